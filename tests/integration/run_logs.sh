#!/bin/bash
# Container output as Docker's json-file log: the line format, stdout/stderr apart, `logs` with
# --tail/-t/--since/--until/-f, rotation (max-size, max-file), --log-driver none, attached runs
# logged too, restarts appending, old plain logs; the line shape compared with Docker's.
source "$SRC_DIR/tests/integration/lib.sh"
import_busybox
on_exit remove_all_containers
logfile() { echo "$R/containers/$1/$1-json.log"; }

echo "== json-file lines, streams apart"
id=$(mini run -d --name lg busybox sh -c 'echo out1; echo err1 >&2; printf part; sleep 0.3; echo ial; echo "<tag>&\"q\""')
mini wait lg >/dev/null
log=$(logfile "$id")
[ -f "$log" ] || fail "no $log"
python3 - "$log" <<'EOF' || fail "json-file format"
import json, re, sys
es = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
for e in es:
    assert list(e.keys()) == ["log", "stream", "time"], e
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z", e["time"]), e
out = "".join(e["log"] for e in es if e["stream"] == "stdout")
assert out == 'out1\npartial\n<tag>&"q"\n', repr(out)
assert [e["log"] for e in es if e["stream"] == "stderr"] == ["err1\n"], es
assert "part" in [e["log"] for e in es], es  # a partial line, written as it came
EOF
grep -F '\u003ctag\u003e\u0026' "$log" >/dev/null || fail "Go's escaping of <>&"
expect_eq "$(mini logs lg 2>/dev/null)" $'out1\npartial\n<tag>&"q"' "logs stdout"
expect_eq "$(mini logs lg 2>&1 >/dev/null)" "err1" "logs stderr"
mini inspect lg | grep -F "\"LogPath\": \"$log\"" >/dev/null || fail "inspect LogPath"

echo "== --tail, -t, --since, --until"
id2=$(mini run -d busybox sh -c 'echo a; echo b; sleep 1.2; echo c; echo d')
mini wait "$id2" >/dev/null
log2=$(logfile "$id2")
expect_eq "$(mini logs --tail 2 "$id2")" $'c\nd' "--tail 2"
expect_eq "$(mini logs -n 1 "$id2")" "d" "-n 1"
expect_eq "$(mini logs --tail all "$id2" | wc -l)" 4 "--tail all"
expect_eq "$(mini logs --tail 0 "$id2")" "" "--tail 0"
mini logs --tail 2 -t "$id2" >"$T/ts.out"
grep -Ec '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z [cd]$' "$T/ts.out" >"$T/ts.n" || true
expect_eq "$(cat "$T/ts.n")" 2 "-t lines: $(cat "$T/ts.out")"
time_of() { python3 -c 'import json, sys; print([json.loads(l)["time"] for l in open(sys.argv[1])][int(sys.argv[2])])' "$log2" "$1"; }
expect_eq "$(mini logs --since "$(time_of 2)" "$id2")" $'c\nd' "--since RFC 3339"
expect_eq "$(mini logs --until "$(time_of 1)" "$id2")" $'a\nb' "--until RFC 3339"
expect_eq "$(mini logs --since 1h "$id2" | wc -l)" 4 "--since 1h"
expect_eq "$(mini logs --since $(($(date +%s) + 100)) "$id2")" "" "--since unix seconds"
expect_eq "$(mini logs --until 1h "$id2")" "" "--until 1h ago"
set +e; mini logs --since soon "$id2" 2>"$T/since.err"; rc=$?; set -e
expect_eq "$rc" 1 "bad --since"
expect_eq "$(cat "$T/since.err")" 'mini: error: failed to parse value as time or duration: "soon"'

echo "== an attached run is logged too; a start appends"
expect_eq "$(mini run --name att busybox sh -c 'echo to-term; echo e2 >&2' 2>"$T/att.err")" "to-term" "attached stdout"
expect_eq "$(cat "$T/att.err")" "e2" "attached stderr"
expect_eq "$(mini logs att 2>&1 | sort | tr '\n' ' ')" "e2 to-term " "logs of an attached run"
mini run -t --name attt busybox echo tty-out >/dev/null
mini logs attt | grep tty-out >/dev/null || fail "logs of an attached -t run"
# The terminal's reader leaves (`| head`): the container's writes fail, as when the pipe was its own.
expect_eq "$(timeout 20 "$MINI" --root "$R" run --name yes1 busybox yes 2>/dev/null | head -n 2 | tr '\n' ' ')" "y y " "run | head"
expect_eq "$(mini wait yes1)" 1 "yes after its reader left"
mini start lg >/dev/null
mini wait lg >/dev/null
expect_eq "$(mini logs lg 2>/dev/null | grep -c out1)" 2 "a restart appends"
expect_eq "$(mini logs --tail 1 lg)" '<tag>&"q"' "tail after a restart"

echo "== rotation: ~5 MB through max-size=100k, max-file=2"
id3=$(mini run -d --log-opt max-size=100k --log-opt max-file=2 busybox sh -c \
  'i=0; while [ $i -lt 50000 ]; do echo "line $i 0123456789012345678901234567890123456789012345678901234567890123456789"; i=$((i+1)); done')
mini wait "$id3" >/dev/null
log3=$(logfile "$id3")
[ -f "$log3.1" ] || fail "not rotated"
[ -e "$log3.2" ] && fail "max-file 2 kept $log3.2"
total=$(( $(stat -c %s "$log3") + $(stat -c %s "$log3.1") ))
line=$(tail -n 1 "$log3" | wc -c)
[ "$total" -le $((2 * 100000 + line)) ] || fail "rotated logs take $total bytes"
[ "$total" -gt 150000 ] || fail "rotated logs too small: $total bytes"
expect_eq "$(mini logs --tail 1 "$id3" | cut -d' ' -f1-2)" "line 49999" "last line"
mini logs "$id3" | awk '{ if (NR > 1 && $2 != prev + 1) { print "gap at " $2; exit 1 } prev = $2 }' || fail "lines missing within the kept files"

echo "== logs -f follows across rotations, ends when the container stops"
id4=$(mini run -d --log-opt max-size=10k --log-opt max-file=3 busybox sh -c \
  'sleep 0.5; i=0; while [ $i -lt 100 ]; do echo "row $i $(printf "%0900d" 0)"; i=$((i+1)); [ $((i % 4)) = 0 ] && sleep 0.1; done')
timeout 60 "$MINI" --root "$R" logs -f "$id4" >"$T/follow.out" || fail "logs -f did not end with the container"
expect_eq "$(cut -d' ' -f1-2 "$T/follow.out" | tr '\n' ' ')" "$(for i in $(seq 0 99); do printf 'row %s ' "$i"; done)" "logs -f output"
[ -f "$(logfile "$id4").2" ] || fail "id4 not rotated twice"

echo "== --log-driver none, bad options"
mini run --name nolog --log-driver none busybox echo hi >/dev/null
ls "$R/containers/$(mini inspect -f '{{.Id}}' nolog)" | grep json.log && fail "none wrote a log"
set +e; mini logs nolog 2>"$T/none.err"; rc=$?; set -e
expect_eq "$rc" 1 "logs of driver none"
expect_eq "$(cat "$T/none.err")" "mini: error: configured logging driver does not support reading"
n=$(mini ps -a -q | wc -l)
for bad in "--log-opt foo=1|unknown log opt 'foo' for json-file log driver" \
           "--log-opt max-size=big|invalid size: 'big'" \
           "--log-opt max-file=0|max-file cannot be less than 1" \
           "--log-driver nope|logger: no log driver named 'nope' is registered" \
           "--detach-keys ctrl-1|Invalid detach keys (ctrl-1) provided"; do
  set +e; mini run ${bad%%|*} busybox true 2>"$T/bad.err"; rc=$?; set -e
  expect_eq "$rc" 125 "${bad%%|*}"
  expect_eq "$(cat "$T/bad.err")" "mini: error: ${bad#*|}"
done
expect_eq "$(mini ps -a -q | wc -l)" "$n" "a refused run left a container"

echo "== --log-opt labels/env/tag make each line's attrs; logs --details shows them"
mini run --name attrs --label team=ops --label other=x -e STAGE=prod --log-opt labels=team,absent \
  --log-opt env=STAGE --log-opt 'tag={{.Name}}' busybox echo hi >/dev/null
expect_eq "$(mini logs --details attrs)" "STAGE=prod,tag=attrs,team=ops hi" "logs --details"
expect_eq "$(mini logs attrs)" "hi" "logs without --details"
grep -F '"stream":"stdout","attrs":{"STAGE":"prod","tag":"attrs","team":"ops"},"time":' \
  "$R/containers/$(mini inspect -f '{{.Id}}' attrs)/$(mini inspect -f '{{.Id}}' attrs)-json.log" >/dev/null ||
  fail "attrs in the json-file line: $(cat "$R"/containers/"$(mini inspect -f '{{.Id}}' attrs)"/*json.log)"
mini run --name noattrs busybox echo plain >/dev/null
expect_eq "$(mini logs --details noattrs)" " plain" "logs --details without attributes: a leading space, as Docker"
expect_eq "$(mini logs -t --details attrs | cut -d' ' -f2-)" "STAGE=prod,tag=attrs,team=ops hi" "-t before the details"
set +e; err=$(mini run --rm --log-opt 'labels-regex=(' busybox true 2>&1); rc=$?; set -e
expect_eq "$rc:$err" "125:mini: error: invalid log opt labels-regex=(: not a regular expression"
mini rm attrs noattrs >/dev/null

echo "== a container from before json-file logs"
old=$(mini create busybox true)
printf 'old raw output\n' >"$R/containers/$old/log"
expect_eq "$(mini logs "$old")" "old raw output" "plain log printed raw"

echo "== Docker's shape"
if command -v docker >/dev/null && command -v dockerd >/dev/null; then
  source "$SRC_DIR/tests/integration/dockerd.bash"
  if start_private_dockerd "$T/docker" "/run/mini-test-logs-$$.sock" >"$T/dockerd.start"; then
    mini save busybox:latest | docker load >/dev/null
    did=$(docker run -d busybox sh -c 'echo a; echo b >&2; sleep 1; echo c')
    docker wait "$did" >/dev/null
    dlog=$(docker inspect -f '{{.LogPath}}' "$did")
    python3 - "$dlog" "$log" <<'EOF' || fail "json-file lines differ in shape from Docker's"
import json, re, sys
def shape(path):
    out = []
    for l in open(path).read().splitlines():
        e = json.loads(l)
        out.append((list(e.keys()), e["stream"], bool(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z", e["time"]))))
    return out
d, m = shape(sys.argv[1]), shape(sys.argv[2])
for entries in d, m:
    assert {(tuple(k), t) for k, _, t in entries} == {(("log", "stream", "time"), True)}, (d, m)
    assert {s for _, s, _ in entries} == {"stdout", "stderr"}, entries
EOF
    docker logs --tail 2 -t "$did" >"$T/d.out" 2>&1
    mini logs --tail 2 -t "$id2" >"$T/m.out" 2>&1
    shape() { sed -E 's/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{9}Z [a-z]$/TS X/' "$1"; }
    expect_eq "$(shape "$T/m.out")" "$(shape "$T/d.out")" "logs --tail 2 -t shape (docker: $(cat "$T/d.out"))"
    docker rm -f "$did" >/dev/null
  else
    echo "dockerd did not start: Docker comparison skipped"
  fi
else
  echo "no docker: comparison skipped"
fi
echo PASS
