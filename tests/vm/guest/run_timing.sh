#!/bin/bash
# Prints how long `mini run --rm busybox true` takes (the mean of MINI_VM_TEST_RUNS runs,
# default 10, after one warm-up), the same way on the host and in the VM guest, so the two
# can be compared as a ratio (TCG is slow). Measures; checks only that the runs succeed.
source "$SRC_DIR/tests/integration/lib.sh"
import_busybox
n=${MINI_VM_TEST_RUNS:-10}
mini run --rm busybox true
read -r t0 _ </proc/uptime
for ((i = 0; i < n; i++)); do mini run --rm busybox true; done
read -r t1 _ </proc/uptime
awk -v a="$t0" -v b="$t1" -v n="$n" 'BEGIN {printf "run --rm busybox true: %.0f ms (mean of %d)\n", (b - a) * 1000 / n, n}'
echo PASS
