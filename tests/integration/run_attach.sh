#!/bin/bash
# Detaching and attaching, driven through a real pseudo-terminal (pty_drive.py): `run -it` then
# Ctrl-P Ctrl-Q leaves the container running, `attach` gets its output and takes input, detaches
# again, --detach-keys, the window size, signals of a non-tty attach (--sig-proxy), exit codes.
source "$SRC_DIR/tests/integration/lib.sh"
command -v python3 >/dev/null || { echo "skip: no python3"; exit 77; }
import_busybox
on_exit remove_all_containers
drive() { python3 "$SRC_DIR/tests/integration/pty_drive.py" "$@"; }
M=("$MINI" --root "$R")
running() { mini ps -q --filter "name=$1" | grep . >/dev/null; }

echo "== run -it, then Ctrl-P Ctrl-Q: quiet, exit 0, the container runs on"
drive 'expect:/ #' 'send:echo one-$((6*7))\r' 'expect:one-42' 'send:stty size\r' 'expect:24 80' \
  drain: 'send:\x10\x11' exit:0 -- "${M[@]}" run -it --name sh1 busybox sh || fail "run -it detach"
running sh1 || fail "sh1 stopped after the detach"

echo "== attach: output, input, window size, detach again"
drive sleep:0.3 'send:echo two-$((6*7))\r' 'expect:two-42' winsize:30,100 sleep:0.2 'send:stty size\r' 'expect:30 100' \
  drain: 'send:\x10\x11' exit:0 -- "${M[@]}" attach sh1 || fail "attach detach"
running sh1 || fail "sh1 stopped after the second detach"
# A ctrl-p not followed by ctrl-q goes to the container (ash: the previous command again).
drive sleep:0.3 'send:\x10' 'send:x' 'expect:stty size' 'send:\x15echo p-$((6*7))\r' 'expect:p-42' drain: 'send:\x10\x11' \
  exit:0 -- "${M[@]}" attach sh1 || fail "a lone ctrl-p"
mini logs sh1 | grep two-42 >/dev/null || fail "the -it container's log"

echo "== --detach-keys ctrl-x (run and attach)"
drive 'expect:/ #' 'send:echo three-$((6*7))\r' 'expect:three-42' drain: 'send:\x18' exit:0 \
  -- "${M[@]}" run -it --detach-keys ctrl-x --name sh2 busybox sh || fail "run --detach-keys ctrl-x"
running sh2 || fail "sh2 stopped after ctrl-x"
drive sleep:0.3 'send:echo four-$((6*7))\r' 'expect:four-42' drain: 'send:\x18' exit:0 -- "${M[@]}" attach sh2 \
  || fail "attach of a --detach-keys container"
drive sleep:0.3 'send:echo five-$((6*7))\r' 'expect:five-42' drain: 'send:\x05' exit:0 \
  -- "${M[@]}" attach --detach-keys ctrl-e sh2 || fail "attach --detach-keys ctrl-e"
running sh2 || fail "sh2 stopped"

echo "== the container's end ends the client with its status"
drive sleep:0.3 'send:exit 3\r' exit:3 -- "${M[@]}" attach sh1 || fail "attach exit status"
expect_eq "$(mini wait sh1)" 3 "sh1's exit code"
drive 'expect:/ #' 'send:exit 7\r' exit:7 -- "${M[@]}" run -it --rm busybox sh || fail "run -it exit status"
set +e; mini attach sh1 2>"$T/stopped.err"; rc=$?; set -e
expect_eq "$rc" 1 "attach to a stopped container"
expect_eq "$(cat "$T/stopped.err")" "mini: error: You cannot attach to a stopped container, start it first"

echo "== attach to a non-tty container: output; ^C is proxied, or with --sig-proxy=false leaves"
mini run -d --name tick busybox sh -c 'trap "echo got-int; exit 5" INT; i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.2; done' >/dev/null
drive 'expect:tick-' 'send:\x03' exit:130 -- "${M[@]}" attach --sig-proxy=false tick || fail "attach --sig-proxy=false"
running tick || fail "tick stopped by a --sig-proxy=false ^C"
drive 'expect:tick-' 'send:\x03' 'expect:got-int' exit:5 -- "${M[@]}" attach tick || fail "attach, ^C proxied"
expect_eq "$(mini wait tick)" 5 "tick's exit code"

echo "== a detached -i container takes an attached client's input"
mini run -d -i --name cat1 busybox sh -c 'while read l; do echo "got:$l"; done' >/dev/null
drive sleep:0.3 'send:hello\r' 'expect:got:hello' -- "${M[@]}" attach cat1 || fail "attach stdin of a -d -i container"
mini logs cat1 | grep got:hello >/dev/null || fail "the input's answer in the log"
echo PASS
