#!/bin/bash
# Pure cgroup v2 on a real kernel: boots the tests/vm guest (QEMU TCG, Debian 12's cloud kernel,
# no systemd: mini's cgroupfs driver) and runs the runner's cgroup tests and net_build.sh (ports,
# user networks, a RUN build on the real kernel's veth, bridge and nf_tables) inside it. Skips when
# qemu-system-x86_64 is not installed or no kernel package can be had. Timings: run.sh's line.
source "$SRC_DIR/tests/integration/lib.sh"
command -v qemu-system-x86_64 >/dev/null || { echo "skip: qemu-system-x86_64 is not installed"; exit 77; }
MINI=$MINI SRC_DIR=$SRC_DIR bash "$SRC_DIR/tests/vm/run.sh" -o "$T/logs" \
  tests/vm/guest/cgroup_v2.sh tests/integration/run_resources.sh tests/integration/cli_container_verbs.sh \
  tests/vm/guest/net_build.sh
echo PASS
