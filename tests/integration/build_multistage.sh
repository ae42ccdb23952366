#!/bin/bash
# Multi-stage builds: stages by name and index, COPY --from=stage|image, --target, only the
# needed stages built, ARG before FROM, whiteouts from RUN rm in the next image.
source "$SRC_DIR/tests/integration/lib.sh"
import_busybox busybox:latest
C=$T/ctx
mkdir -p "$C"
cat >"$C/Minifile" <<'MF'
ARG BASE=busybox
FROM ${BASE} AS build
RUN echo built >/out && rm /bin/vi
FROM build AS unused
RUN echo should-not-run >/unused
FROM scratch AS final
COPY --from=build /out /out
COPY --from=0 /bin/busybox /bin/busybox
COPY --from=busybox:latest /etc/passwd /etc/passwd
ENTRYPOINT ["/bin/busybox"]
CMD ["cat", "/out"]
MF
out=$(mini build --progress plain -t ms "$C" 2>&1) || fail "build: $out"
echo "$out" | grep should-not-run >/dev/null && fail "unused stage was built"
# BuildKit's numbered steps: FROM an image, RUN, COPY (none for FROM scratch or metadata)
expect_eq "$(echo "$out" | grep -c '^#[0-9]* \[[a-z0-9-]* [0-9]*/[0-9]*\] ')" 5 "steps of needed stages"
echo "$out" | grep '^#[0-9]* \[final 3/3\] COPY --from=busybox:latest /etc/passwd /etc/passwd$' >/dev/null || fail "step names: $out"
expect_eq "$(mini run --rm ms)" built "final image runs"
insp=$(mini inspect ms)
expect_eq "$(echo "$insp" | sed -n '/"Layers"/,/]/p' | grep -c sha256)" 3 "final layers"

# --target stops at a stage; the whiteout of /bin/vi is in its RUN layer.
out=$(mini build --progress plain -t ms-build --target build "$C" 2>&1) || fail "target build: $out"
expect_eq "$(echo "$out" | grep -c '^#[0-9]* \[build [0-9]/2\] ')" 2 "target steps"
up=$(mini inspect ms-build | sed -n 's/.*"UpperDir": "\(.*\)".*/\1/p')
[ -c "$up/bin/vi" ] || fail "no whiteout for /bin/vi in the RUN layer"
mini run --rm ms-build sh -c 'test ! -e /bin/vi' || fail "/bin/vi visible in the built image"
# The whiteout is a .wh. entry in the packed blob (what push and save send).
mini save -o "$T/ms.tar" ms-build || fail "save"
mkdir -p "$T/saved" && tar -xf "$T/ms.tar" -C "$T/saved"
found=0
for f in $(find "$T/saved" -type f); do
  if (tar -tf "$f" 2>/dev/null || true) | grep -c '^bin/.wh.vi$' >/dev/null; then found=1; fi
done
expect_eq "$found" 1 "bin/.wh.vi in a saved layer blob"
err=$(mini build --target nope "$C" 2>&1) && fail "bad target accepted"
echo "$err" | grep -F 'target stage "nope" could not be found' >/dev/null || fail "target error: $err"
echo PASS
