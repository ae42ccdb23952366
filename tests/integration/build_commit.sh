#!/bin/bash
# mini diff and mini commit: added/changed/deleted files, -m/-a/-c, only the upper dir
# (not the init layer's /etc/hosts etc.) in the new layer, a running container frozen.
source "$SRC_DIR/tests/integration/lib.sh"
import_busybox busybox:latest
mini run --name c1 busybox sh -c 'echo new >/added; echo extra >>/etc/passwd; rm /bin/vi; mkdir -p /d/e; touch /d/e/f' >/dev/null \
  || fail "run c1"
d=$(mini diff c1)
expected='A /added
A /d
A /d/e
A /d/e/f
C /bin
D /bin/vi
C /etc
C /etc/passwd'
expect_eq "$(echo "$d" | sort)" "$(echo "$expected" | sort)" "diff"

id=$(mini commit -m "my change" -a "Jane <j@x>" -c 'CMD ["cat", "/added"]' -c 'ENV MODE=committed' c1 committed:1) \
  || fail "commit"
expect_eq "$(mini run --rm committed:1)" new "committed image runs with -c CMD"
expect_eq "$(mini run --rm committed:1 sh -c 'echo $MODE; test -e /bin/vi || echo novi')" "committed
novi" "ENV and whiteout"
insp=$(mini inspect committed:1)
echo "$insp" | grep '"Author": "Jane <j@x>"' >/dev/null || fail "author"
up=$(echo "$insp" | sed -n 's/.*"UpperDir": "\(.*\)".*/\1/p')
[ ! -e "$up/etc/hosts" ] && [ ! -e "$up/etc/hostname" ] && [ ! -e "$up/.dockerenv" ] || fail "init layer in commit"
[ -f "$up/added" ] || fail "added file missing"

# A running container can be committed (frozen while packing).
mini run -d --name c2 busybox sh -c 'echo live >/live; sleep 30' >/dev/null || fail "run -d"
sleep 1
mini commit c2 live:1 >/dev/null || fail "commit running"
expect_eq "$(mini run --rm live:1 cat /live)" live "running commit"
mini rm -f c2 >/dev/null 2>&1 || true
echo PASS
