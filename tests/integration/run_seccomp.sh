#!/bin/bash
# Seccomp: Docker's default profile on by default (run and exec), --security-opt
# seccomp=unconfined|PROFILE.json, --privileged turns it off.
source "$SRC_DIR/tests/integration/lib.sh"
# Detached containers must not outlive a failed test.
on_exit remove_all_containers
import_busybox

seccomp_mode() { mini run --rm "$@" busybox sh -c 'grep "^Seccomp:" /proc/self/status | cut -f2'; }
expect_eq "$(seccomp_mode)" 2 "filter on by default"
expect_eq "$(seccomp_mode --security-opt seccomp=unconfined)" 0 "unconfined"
expect_eq "$(seccomp_mode --privileged)" 0 "privileged"
expect_eq "$(seccomp_mode --security-opt no-new-privileges)" 2 "no-new-privileges keeps the default profile"
if mini run --rm --security-opt seccomp=/nonexistent.json busybox true 2>"$T/err"; then fail "missing profile accepted"; fi
grep -q 'seccomp profile /nonexistent.json' "$T/err" || fail "error does not name the profile: $(cat "$T/err")"

# unshare: refused by the default profile without CAP_SYS_ADMIN; what caps allow, unconfined allows.
if mini run --rm busybox unshare -m true 2>/dev/null; then fail "unshare allowed by default"; fi
mini run --rm --cap-add SYS_ADMIN --security-opt seccomp=unconfined busybox unshare -m true || fail "unconfined + SYS_ADMIN unshare"
# Docker's profile allows mount with CAP_SYS_ADMIN; without it both caps and seccomp refuse it.
if mini run --rm busybox mount -t tmpfs x /tmp 2>/dev/null; then fail "mount allowed by default"; fi

# Syscalls the default profile never allows, whatever the caps: a tiny static helper.
if command -v cc >/dev/null && cat >"$T/sc.c" <<'C' && cc -static -O2 -o "$T/sc" "$T/sc.c" 2>/dev/null; then
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
/* Calls one syscall by name; prints OK, EPERM or the error text. */
int main(int argc, char** argv) {
  long r = -1;
  const char* n = argc > 1 ? argv[1] : "";
  if (!strcmp(n, "add_key")) r = syscall(SYS_add_key, "user", "k", "v", 1, -2);
  else if (!strcmp(n, "keyctl")) r = syscall(SYS_keyctl, 0, -2, 0);
  else if (!strcmp(n, "kexec_load")) r = syscall(SYS_kexec_load, 0, 0, 0, 0);
  else if (!strcmp(n, "unshare")) r = syscall(SYS_unshare, 0x00020000);
  else return 2;
  puts(r >= 0 ? "OK" : errno == EPERM ? "EPERM" : strerror(errno));
  return 0;
}
C
  sc() { mini run --rm -v "$T/sc:/sc:ro" "$@" /sc "${SC_CALL}"; }
  for call in add_key keyctl kexec_load; do
    expect_eq "$(SC_CALL=$call sc --cap-add SYS_ADMIN --cap-add SYS_BOOT busybox)" EPERM "$call in a default container"
  done
  for call in add_key keyctl; do
    [ "$(SC_CALL=$call sc --security-opt seccomp=unconfined busybox)" != EPERM ] || fail "$call refused when unconfined"
  done
else
  echo "no static C compiler: skipping the syscall helper checks"
fi

# A custom profile: everything allowed but mkdir.
cat >"$T/nomkdir.json" <<'J'
{"defaultAction": "SCMP_ACT_ALLOW",
 "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
J
if mini run --rm --security-opt seccomp="$T/nomkdir.json" busybox mkdir /tmp/d 2>/dev/null; then fail "custom profile: mkdir allowed"; fi
mini run --rm --security-opt seccomp="$T/nomkdir.json" busybox touch /tmp/f || fail "custom profile: touch refused"

# exec gets the container's filter; a container created unconfined execs unconfined.
mini run -d --name conf busybox sleep 100 >/dev/null
mini run -d --name unconf --security-opt seccomp="$T/nomkdir.json" busybox sleep 100 >/dev/null
expect_eq "$(mini exec conf grep '^Seccomp:' /proc/self/status | cut -f2)" 2 "exec: default filter"
if mini exec conf unshare -m true 2>/dev/null; then fail "exec: unshare allowed"; fi
if mini exec unconf mkdir /tmp/d 2>/dev/null; then fail "exec: custom profile not applied"; fi
mini stop -t 1 unconf >/dev/null
mini start unconf >/dev/null
if mini exec unconf mkdir /tmp/d 2>/dev/null; then fail "start lost the custom profile"; fi
expect_eq "$(mini exec --privileged conf grep '^Seccomp:' /proc/self/status | cut -f2)" 0 "exec --privileged"
mini rm -f conf unconf >/dev/null
echo PASS
