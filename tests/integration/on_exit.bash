# The one EXIT trap of the integration tests and benchmarks (sourced; lib.sh sources it, and so do
# dockerd.bash and the scripts that do without lib.sh). Tests and fixtures never call
# `trap ... EXIT` themselves (a second trap replaces the first, and a cleanup that runs a command
# before it reads $? loses the test's status): they register cleanups with on_exit. At exit the
# trap
#   1. takes the script's exit status before any other command runs,
#   2. runs the cleanups in reverse order of registration, each with set +e +u (one failing
#      command does not skip the rest) and with `exit` made to return, so a cleanup that calls
#      exit (or fail) cannot end the trap before the cleanups after it,
#   3. exits with the script's status; when that is 0 (pass) or 77 (skip) and a cleanup failed
#      (returned non-zero or called exit), with 1: a cleanup that could not undo what the test
#      did (a leftover mount, a changed host bridge) fails the test.
# A script killed by a signal still runs the cleanups; bash then dies of that signal.
#
#   on_exit CMD         CMD is one string, evaluated at exit: `on_exit 'kill $PID'` reads PID then.
#   on_exit CMD ARG...  the words, quoted now: `on_exit rm -rf "$dir"` keeps a space in $dir.
# A cleanup returns 0 when it cleaned up: guard the commands that may fail harmlessly (`kill` of
# a process that is gone) with `|| true`.
[ -n "${ON_EXIT_LOADED:-}" ] && return 0
ON_EXIT_LOADED=1
ON_EXIT_CMDS=()

on_exit() {
  if [ $# -eq 1 ]; then ON_EXIT_CMDS+=("$1"); else ON_EXIT_CMDS+=("$(printf '%q ' "$@")"); fi
}

on_exit_run() {
  local rc=$1 i s failed=0
  set +eu
  # Only while the cleanups run: `exit N` in one returns N from the exit call instead.
  exit() { ON_EXIT_CALLED_EXIT=1; return "${1:-0}"; }
  for ((i = ${#ON_EXIT_CMDS[@]} - 1; i >= 0; i--)); do
    ON_EXIT_CALLED_EXIT=
    eval "${ON_EXIT_CMDS[$i]}"
    s=$?
    if [ -n "$ON_EXIT_CALLED_EXIT" ]; then
      echo "FAIL: cleanup [${ON_EXIT_CMDS[$i]}] called exit (status $s)" >&2
      failed=1
    elif [ "$s" != 0 ]; then
      echo "FAIL: cleanup [${ON_EXIT_CMDS[$i]}] returned $s" >&2
      failed=1
    fi
  done
  unset -f exit
  if [ "$failed" = 1 ] && { [ "$rc" = 0 ] || [ "$rc" = 77 ]; }; then rc=1; fi
  exit "$rc"
}
trap 'on_exit_run "$?"' EXIT
