#!/bin/bash
# mini build: the hello example (config, history, layers), cache hits and timing, a cache miss
# when a copied file changes, --no-cache, -q, and a failing RUN that leaves nothing behind.
source "$SRC_DIR/tests/integration/lib.sh"
import_busybox busybox:latest
ctx=$T/hello
cp -r "$SRC_DIR/Minifile-examples/hello" "$ctx"

# BuildKit's plain progress, on stderr: the steps with a filesystem result are numbered.
out=$(mini build --progress plain -t hello "$ctx" 2>&1) || fail "build: $out"
echo "$out" | grep '^#[0-9]* \[4/4\] RUN chmod +x /app/greet.sh && mkdir -p /data$' >/dev/null || fail "step lines: $out"
echo "$out" | grep '^#[0-9]* naming to docker.io/library/hello:latest done$' >/dev/null || fail "tag line: $out"
id=$(echo "$out" | sed -n 's/^#[0-9]* writing image sha256:\([0-9a-f]*\) done$/\1/p')
[ -n "$id" ] || fail "no image id in: $out"
insp=$(mini inspect hello)
echo "$insp" | grep "\"Id\": \"sha256:$id" >/dev/null || fail "inspect id"
echo "$insp" | grep '"WorkingDir": "/app"' >/dev/null || fail "WorkingDir"
echo "$insp" | grep '"GREETING=hello from mini"' >/dev/null || fail "Env"
echo "$insp" | grep '"org.opencontainers.image.title": "hello"' >/dev/null || fail "Labels"
# 1 base layer + WORKDIR (it creates /app, as Docker does) + COPY + RUN
expect_eq "$(echo "$insp" | sed -n '/"Layers"/,/]/p' | grep -c sha256)" 4 "layers"
hist=$(mini history --no-trunc hello 2>/dev/null || true)
[ -z "$hist" ] || echo "$hist" | grep 'WORKDIR /app' >/dev/null || fail "history: $hist"
upper=$(echo "$insp" | sed -n 's/.*"UpperDir": "\(.*\)".*/\1/p')
[ -d "$upper/data" ] || fail "RUN layer lacks /data"
[ ! -e "$upper/etc/hosts" ] || fail "init layer file leaked into the RUN layer"
[ "$(mini run --rm hello)" != "" ] || fail "run hello"

# Unchanged rebuild: every step cached, same image id, fast.
start=$(date +%s%N)
out2=$(mini build -t hello "$ctx" 2>&1)
ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "cached rebuild: ${ms} ms"
expect_eq "$(echo "$out2" | grep -c '^#[0-9]* CACHED$')" 3 "cached steps (WORKDIR, COPY, RUN)"
expect_eq "$(echo "$out2" | sed -n 's/^#[0-9]* writing image sha256:\([0-9a-f]*\) done$/\1/p')" "$id" "cached image id"
[ "$ms" -lt 2000 ] || fail "cached rebuild took ${ms} ms"

# -q prints only the id
q=$(mini build -q "$ctx")
expect_eq "$q" "sha256:$(mini inspect hello | sed -n 's/.*"Id": "sha256:\([0-9a-f]*\)".*/\1/p')" "-q output"

# Changing the copied file invalidates COPY and everything after it.
echo 'echo changed' >>"$ctx/greet.sh"
out3=$(mini build -t hello "$ctx" 2>&1)
expect_eq "$(echo "$out3" | grep -c '^#[0-9]* CACHED$')" 1 "cache hits after a change (WORKDIR)"
mini run --rm hello | grep changed >/dev/null || fail "changed file not in image"

# --no-cache
expect_eq "$(mini build --no-cache "$ctx" 2>&1 | grep -c 'CACHED' || true)" 0 "--no-cache"

# A failing RUN: exact message, no container, mount or layer left.
mkdir -p "$T/bad"
printf 'FROM busybox\nRUN echo out; touch /x; exit 3\n' >"$T/bad/Minifile"
find "$R" | sort >"$T/before"
mounts_before=$(grep -c " $R" /proc/self/mountinfo || true)
if err=$(mini build "$T/bad" 2>&1); then fail "failing RUN succeeded"; fi
echo "$err" | grep -x 'mini: error: RUN echo out; touch /x; exit 3: exit code 3' >/dev/null || fail "message: $err"
find "$R" | sort >"$T/after"
diff "$T/before" "$T/after" || fail "failing RUN left files behind"
expect_eq "$(grep -c " $R" /proc/self/mountinfo || true)" "$mounts_before" "mounts"
expect_eq "$(mini ps -a -q 2>/dev/null | wc -l)" 0 "containers left"

# A RUN step's overlay is volatile (its fsyncs do not each wait for the disk; the layer is
# synced once at the step's end), and what it fsynced is in the layer.
mkdir -p "$T/sync"
printf 'FROM busybox\nRUN grep " / / " /proc/self/mountinfo | grep -w volatile >/dev/null && echo kept >/f && sync /f\n' >"$T/sync/Minifile"
mini build -q -t synced "$T/sync" >/dev/null || fail "a RUN step's root is not a volatile overlay"
expect_eq "$(mini run --rm synced cat /f)" kept "the synced file in the layer"

# Parse errors name FILE:LINE.
printf 'FROM busybox\n\nBOGUS x\n' >"$T/bad/Minifile"
err=$(mini build "$T/bad" 2>&1) && fail "bogus instruction accepted"
echo "$err" | grep -F "mini: error: $T/bad/Minifile:3: unknown instruction: BOGUS" >/dev/null || fail "parse error: $err"
echo PASS
