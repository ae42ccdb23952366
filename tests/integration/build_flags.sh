#!/bin/bash
# mini build's BuildKit flags: --progress (plain, tty, quiet, -q), --iidfile, --label, --output
# (local, tar, image, -o DIR, -o -), --build-context (a directory or docker-image:// in FROM,
# COPY --from, over a stage name), --no-cache-filter, --build-arg NAME from the environment,
# --network none, --target errors; BuildKit's stage semantics (unused stages skipped, WORKDIR
# layers) and the exact errors for bad specs.
source "$SRC_DIR/tests/integration/lib.sh"
import_busybox busybox:latest
C=$T/ctx
mkdir -p "$C"
echo payload >"$C/file.txt"
cat >"$C/Minifile" <<'MF'
FROM busybox AS build
RUN echo built >/out
FROM build AS unused
RUN echo should-not-run >/unused
FROM busybox AS final
LABEL from.file=file keep=yes
COPY --from=build /out /out
COPY file.txt /file.txt
CMD ["cat", "/out"]
MF
images_count() { mini images -q | wc -l; }

echo "== --progress plain: BuildKit's lines on stderr, nothing on stdout"
mini build --progress plain -t flags:1 "$C" >"$T/stdout" 2>"$T/stderr" || fail "build: $(cat "$T/stderr")"
expect_eq "$(cat "$T/stdout")" "" "stdout of a build without -q"
grep -x '#[0-9]* \[build 1/2\] FROM docker.io/library/busybox:latest' "$T/stderr" >/dev/null || fail "FROM step: $(cat "$T/stderr")"
grep -x '#[0-9]* \[final 2/3\] COPY --from=build /out /out' "$T/stderr" >/dev/null || fail "COPY step: $(cat "$T/stderr")"
grep -x '#[0-9]* DONE [0-9]*\.[0-9]s' "$T/stderr" >/dev/null || fail "DONE lines: $(cat "$T/stderr")"
grep should-not-run "$T/stderr" >/dev/null && fail "the unused stage was built"
grep '\[unused ' "$T/stderr" >/dev/null && fail "a step of the unused stage: $(cat "$T/stderr")"
# A RUN's output: "#N <seconds> line".
printf 'FROM busybox\nRUN echo hello-out; echo hello-err >&2\n' >"$T/run.mf"
mini build --progress plain -f "$T/run.mf" "$C" 2>"$T/run.err" >/dev/null || fail "RUN build: $(cat "$T/run.err")"
grep -x '#[0-9]* [0-9]*\.[0-9]* hello-out' "$T/run.err" >/dev/null || fail "RUN output: $(cat "$T/run.err")"
grep -x '#[0-9]* [0-9]*\.[0-9]* hello-err' "$T/run.err" >/dev/null || fail "RUN stderr: $(cat "$T/run.err")"
grep -x '#[0-9]* \[2/2\] RUN echo hello-out; echo hello-err >&2' "$T/run.err" >/dev/null || fail "one-stage step name: $(cat "$T/run.err")"
# Cached steps.
mini build --progress plain -t flags:1 "$C" 2>"$T/stderr2" >/dev/null || fail "rebuild"
expect_eq "$(grep -c '^#[0-9]* CACHED$' "$T/stderr2")" 3 "cached steps (RUN, COPY, COPY)"

echo "== -q and --progress quiet: the id on stdout, nothing on stderr"
id=$(mini build -q -t flags:1 "$C" 2>"$T/qerr")
expect_eq "$(cat "$T/qerr")" "" "stderr with -q"
expect_eq "$id" "$(mini inspect flags:1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Id"])')" "-q id"
expect_eq "$(mini build --progress quiet "$C" 2>"$T/qerr")" "$id" "--progress quiet"
expect_eq "$(cat "$T/qerr")" "" "stderr with --progress quiet"
err=$(mini build --progress fancy "$C" 2>&1) && fail "--progress fancy accepted"
expect_eq "$err" 'mini: error: invalid --progress "fancy": use auto, plain, tty or quiet' "bad --progress"

echo "== --progress tty (and auto on a terminal): redrawn in place"
script -qec "$MINI --root $R build --progress tty -f $T/run.mf $C" /dev/null >"$T/tty.out" 2>&1 || fail "tty build: $(cat "$T/tty.out")"
grep -a 'Building .* FINISHED' "$T/tty.out" >/dev/null || fail "tty summary: $(cat -v "$T/tty.out" | tail -5)"
grep -a $'\033\\[[0-9]*A' "$T/tty.out" >/dev/null || fail "tty output is not redrawn: $(cat -v "$T/tty.out" | tail -5)"
grep -a ' => CACHED \[2/2\] RUN echo hello-out' "$T/tty.out" >/dev/null || fail "tty cached step: $(cat -v "$T/tty.out" | tail -5)"
script -qec "$MINI --root $R build -f $T/run.mf $C" /dev/null >"$T/auto.out" 2>&1 || fail "auto build"
grep -a 'FINISHED' "$T/auto.out" >/dev/null || fail "auto on a terminal is not tty: $(cat -v "$T/auto.out" | tail -3)"

echo "== --iidfile, --label"
mini build -q --iidfile "$T/iid" --label keep=flag --label extra=1 -t flags:labels "$C" >"$T/id2"
expect_eq "$(cat "$T/iid")" "$(cat "$T/id2")" "--iidfile content"
labels=$(mini inspect flags:labels | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)[0]["Config"]["Labels"], sort_keys=True))')
expect_eq "$labels" '{"extra": "1", "from.file": "file", "keep": "flag"}' "labels"

echo "== --output"
n=$(images_count)
mini build -q --output type=local,dest="$T/out-local" "$C" >"$T/o.out" || fail "local output"
expect_eq "$(cat "$T/o.out")" "" "-q prints no id when no image is made"
expect_eq "$(cat "$T/out-local/out")" built "local output: /out"
expect_eq "$(cat "$T/out-local/file.txt")" payload "local output: /file.txt"
[ -x "$T/out-local/bin/busybox" ] || fail "local output: /bin/busybox"
expect_eq "$(images_count)" "$n" "images after a local-only build"
mini build -q -o "$T/out-short" "$C" >/dev/null || fail "-o DIR"
expect_eq "$(cat "$T/out-short/out")" built "-o DIR"
mini build -q --output type=tar,dest="$T/fs.tar" "$C" >/dev/null || fail "tar output"
tar -tf "$T/fs.tar" | grep -x 'out' >/dev/null || fail "tar output lacks out: $(tar -tf "$T/fs.tar" | head)"
mini build -q -o - "$C" >"$T/fs2.tar" || fail "-o -"
tar -xOf "$T/fs2.tar" file.txt | grep -x payload >/dev/null || fail "-o - content"
mini build -q --output type=image -t flags:img "$C" >/dev/null || fail "type=image"
expect_eq "$(mini run --rm --network none flags:img)" built "type=image runs"
err=$(mini build --output type=zip,dest=x "$C" 2>&1) && fail "type=zip accepted"
expect_eq "$err" 'mini: error: invalid --output "type=zip,dest=x": unknown type "zip" (local, tar, oci or image)' "unknown output type"
err=$(mini build --output type=local "$C" 2>&1) && fail "local without dest accepted"
expect_eq "$err" 'mini: error: invalid --output "type=local": dest is required for type=local' "local without dest"
err=$(mini build -o a -o b "$C" 2>&1) && fail "two outputs accepted"
expect_eq "$err" 'mini: error: only one --output is supported' "two outputs"

echo "== --build-context"
mkdir -p "$T/extra/sub"
echo from-extra >"$T/extra/sub/e.txt"
cat >"$T/bc.mf" <<'MF'
FROM alpine AS base
COPY --from=extra /sub/e.txt /e.txt
FROM build AS over
FROM extra AS fromdir
FROM base
COPY --from=over /o.txt /o.txt
COPY --from=fromdir /sub/e.txt /e2.txt
CMD ["cat", "/e.txt", "/o.txt", "/e2.txt"]
MF
mkdir -p "$T/over" && echo over >"$T/over/o.txt"
mini build -q -f "$T/bc.mf" --build-context extra="$T/extra" --build-context alpine=docker-image://busybox:latest \
  --build-context over="$T/over" -t flags:bc "$C" >/dev/null || fail "build with contexts"
expect_eq "$(mini run --rm --network none flags:bc)" "from-extra
over
from-extra" "named contexts in FROM and COPY --from"
echo changed >"$T/extra/sub/e.txt"
mini build -q -f "$T/bc.mf" --build-context extra="$T/extra" --build-context alpine=docker-image://busybox:latest \
  --build-context over="$T/over" -t flags:bc "$C" >/dev/null || fail "rebuild with contexts"
expect_eq "$(mini run --rm --network none flags:bc cat /e.txt)" changed "a changed context directory is not a cache hit"
err=$(mini build --build-context nodir "$C" 2>&1) && fail "bad build context accepted"
expect_eq "$err" 'mini: error: invalid --build-context "nodir": expected NAME=DIR or NAME=docker-image://REF' "bad --build-context"
err=$(mini build --build-context x=oci-layout:///tmp/l "$C" 2>&1) && fail "oci-layout accepted"
expect_eq "$err" 'mini: error: invalid --build-context "x=oci-layout:///tmp/l": unsupported source "oci-layout:///tmp/l" (a directory or docker-image://REF)' "unsupported build context"
err=$(mini build -f "$T/bc.mf" --build-context extra="$T/nope" --build-context alpine=docker-image://busybox "$C" 2>&1) && fail "missing context dir accepted"
expect_eq "$(tail -n1 <<<"$err")" "mini: error: $T/bc.mf:2: COPY --from=extra: build context \"$T/nope\" is not a directory" "missing context dir"

echo "== --no-cache-filter"
cat >"$T/ncf.mf" <<'MF'
FROM busybox AS a
RUN echo a >/a
FROM busybox AS b
RUN cat /proc/sys/kernel/random/uuid >/u
FROM a
COPY --from=b /u /u
CMD ["cat", "/u"]
MF
mini build -q -f "$T/ncf.mf" -t flags:ncf "$C" >/dev/null
u1=$(mini run --rm --network none flags:ncf)
mini build --progress plain -f "$T/ncf.mf" -t flags:ncf "$C" 2>"$T/ncf1" >/dev/null
expect_eq "$(mini run --rm --network none flags:ncf)" "$u1" "a cached rebuild"
mini build --progress plain --no-cache-filter b -f "$T/ncf.mf" -t flags:ncf "$C" 2>"$T/ncf2" >/dev/null || fail "--no-cache-filter"
u2=$(mini run --rm --network none flags:ncf)
[ "$u2" != "$u1" ] || fail "stage b was not rebuilt"
expect_eq "$(grep -A1 '\[a 2/2\] RUN echo a' "$T/ncf2" | tail -n1)" "$(grep -A1 '\[a 2/2\] RUN' "$T/ncf1" | tail -n1)" "stage a still cached"
grep -A1 '\[b 2/2\] RUN' "$T/ncf2" | tail -n1 | grep CACHED >/dev/null && fail "stage b cached: $(cat "$T/ncf2")"
grep -A1 'COPY --from=b' "$T/ncf2" | tail -n1 | grep CACHED >/dev/null && fail "the COPY of b's new file was cached"
# A normal build afterwards: b's newest result, and the COPY of it (not the first build's).
mini build -q -f "$T/ncf.mf" -t flags:ncf "$C" >/dev/null
expect_eq "$(mini run --rm --network none flags:ncf)" "$u2" "a cached build after --no-cache-filter"

echo "== --build-arg NAME takes the environment's value; --network none"
printf 'FROM busybox\nARG FOO\nRUN echo "$FOO" >/foo; ls /sys/class/net | tr "\\n" " " >/nets\n' >"$T/arg.mf"
FOO=from-env mini build -q --build-arg FOO --network none -f "$T/arg.mf" -t flags:arg "$C" >/dev/null
expect_eq "$(mini run --rm --network none flags:arg cat /foo)" from-env "--build-arg FOO"
expect_eq "$(mini run --rm --network none flags:arg cat /nets)" "lo " "--network none"

echo "== --target"
err=$(mini build --target nope "$C" 2>&1) && fail "missing target accepted"
expect_eq "$(tail -n1 <<<"$err")" 'mini: error: target stage "nope" could not be found' "missing target"

echo "== WORKDIR: BuildKit's layers (one per WORKDIR, empty when the directory exists)"
printf 'FROM busybox\nWORKDIR /app\nWORKDIR /bin\nUSER user\nWORKDIR /home/user/w\nENV A=1\n' >"$T/wd.mf"
mini build -q -f "$T/wd.mf" -t flags:wd "$C" >/dev/null
mini inspect flags:wd | python3 -c '
import json, sys
i = json.load(sys.stdin)[0]
print(len(i["RootFS"]["Layers"]), i["RootFS"]["Layers"][2])' >"$T/wd.layers"
expect_eq "$(cat "$T/wd.layers")" "4 sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef" "WORKDIR layers (the existing /bin: the empty layer)"
mini save flags:wd >"$T/wd.tar"
python3 - "$T/wd.tar" >"$T/wd.hist" <<'PY'
import json, sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    m = json.load(t.extractfile("manifest.json"))
    c = json.load(t.extractfile(m[0]["Config"]))
for h in c["history"][1:]:
    print(h["created_by"], h.get("empty_layer", False))
PY
expect_eq "$(cat "$T/wd.hist")" "WORKDIR /app False
WORKDIR /bin False
USER user True
WORKDIR /home/user/w False
ENV A=1 True" "history and its empty_layer flags"
hist=$(mini history --no-trunc flags:wd | awk 'NR > 1' | grep -c WORKDIR)
expect_eq "$hist" 3 "WORKDIR history entries"
expect_eq "$(mini run --rm --network none flags:wd stat -c '%U %a' /home/user/w)" "user 755" "WORKDIR made by USER"
echo PASS
