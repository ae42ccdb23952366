#!/bin/bash
# Whiteouts from `RUN rm` survive push and pull: build the whiteouts example, push it to a local
# docker-registry, remove it, pull it back, and run it: the deleted files stay deleted.
# Env: MINI=<binary>, SRC_DIR=<repo>. Exit 0 pass, 77 skip, anything else fail.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/registry_fixture.bash"

start_registry open
import_busybox
mini build -q -t "$REG/wh:1" "$SRC_DIR/Minifile-examples/whiteouts" >/dev/null
before=$(mini run --rm "$REG/wh:1")
grep -q '^/bin/vi deleted$' <<<"$before" || fail "vi not deleted before push: $before"
ID=$(id_of "$REG/wh:1")
mini push -q "$REG/wh:1" >/dev/null
mini rmi "$REG/wh:1" >/dev/null
mini pull -q "$REG/wh:1" >/dev/null
expect_eq "$(id_of "$REG/wh:1")" "$ID" "image id after push and pull"
after=$(mini run --rm "$REG/wh:1")
expect_eq "$after" "$before" "whiteouts after push and pull"
expect_eq "$(printf '%s\n' "$after" | grep -c deleted)" 3 "three deletions"
echo PASS
