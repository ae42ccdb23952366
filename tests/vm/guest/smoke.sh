#!/bin/bash
# The guest works: cgroup2 at /sys/fs/cgroup, mini imports busybox and runs a container.
source "$SRC_DIR/tests/integration/lib.sh"
expect_eq "$(stat -fc %T /sys/fs/cgroup)" cgroup2fs "cgroup2 at /sys/fs/cgroup"
echo "controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
import_busybox
expect_eq "$(mini run --rm busybox echo hi)" hi
echo PASS
