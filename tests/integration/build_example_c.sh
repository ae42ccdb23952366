#!/bin/bash
# The multi-stage C example (Minifile-examples/multistage-c): a Debian bookworm compiler stage
# that installs gcc with apt-get in a RUN (network host, the machine's Debian mirror), then a
# scratch runtime stage holding only the static binary. The Debian base is made once per
# machine with `debootstrap --variant=minbase` and cached as a tarball in
# ${MINI_TEST_CACHE:-/var/cache/mini-test}/debian-bookworm.tar. Skips (77), saying why, when
# debootstrap is missing or fails, or when the mirror is unreachable.
source "$SRC_DIR/tests/integration/lib.sh"
CACHE_DIR=${MINI_TEST_CACHE:-/var/cache/mini-test}
DEB_TAR=$CACHE_DIR/debian-bookworm.tar
skip() { echo "skip: $*"; exit 77; }

# The bookworm mirror apt uses on this machine (one-line and deb822 sources), else Debian's.
debian_mirror() {
  local m
  m=$({ sed -E 's/\[[^]]*\]//' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
          awk '$1 == "deb" && $3 == "bookworm" {print $2}'
        awk '/^URIs:/ {u = $2} /^Suites:/ {for (i = 2; i <= NF; i++) if ($i == "bookworm") print u}' \
          /etc/apt/sources.list.d/*.sources 2>/dev/null; } | head -n1)
  echo "${m:-http://deb.debian.org/debian}"
}
MIRROR=$(debian_mirror)
host=$(echo "$MIRROR" | sed -E 's#^[a-z]+://([^/:]+).*#\1#')
port=80; [[ $MIRROR == https://* ]] && port=443
timeout 20 bash -c "exec 3<>/dev/tcp/$host/$port" 2>/dev/null || skip "the Debian mirror $MIRROR is unreachable"

if [ ! -s "$DEB_TAR" ]; then
  command -v debootstrap >/dev/null || skip "no debootstrap (apt-get install debootstrap) to make the Debian base"
  echo "making the Debian base with debootstrap from $MIRROR (cached in $DEB_TAR)"
  start=$(date +%s)
  timeout 1200 debootstrap --variant=minbase bookworm "$T/debian" "$MIRROR" >"$T/debootstrap.log" 2>&1 ||
    { tail -n 5 "$T/debootstrap.log"; skip "debootstrap failed"; }
  rm -rf "$T/debian/var/cache/apt/archives/"*.deb "$T/debian/var/lib/apt/lists/"*
  mkdir -p "$CACHE_DIR"
  tar --numeric-owner --xattrs -C "$T/debian" -cf "$DEB_TAR.tmp.$$" . && mv "$DEB_TAR.tmp.$$" "$DEB_TAR"
  echo "debootstrap: $(( $(date +%s) - start )) s"
fi
mini import "$DEB_TAR" debian:bookworm >/dev/null || fail "import the Debian base"

# The apt sources of the image point at the same mirror as the host's.
E=$SRC_DIR/Minifile-examples/multistage-c
start=$(date +%s)
if ! mini build -t hello-c --network host "$E" >"$T/build.log" 2>&1; then
  tail -n 20 "$T/build.log"
  grep -qE 'Temporary failure resolving|Could not connect|Unable to fetch|Failed to fetch' "$T/build.log" &&
    skip "apt-get could not reach the mirror from the build"
  fail "build multistage-c"
fi
echo "multistage-c build: $(( $(date +%s) - start )) s"
expect_eq "$(mini run --rm hello-c)" "hello from a static C binary built by mini" "run hello-c"
insp=$(mini inspect hello-c)
expect_eq "$(echo "$insp" | sed -n '/"Layers"/,/]/p' | grep -c sha256)" 1 "runtime stage layers"
echo "$insp" | grep '"/hello"' >/dev/null || fail "Entrypoint"
# The runtime image holds only the binary.
up=$(echo "$insp" | sed -n 's/.*"UpperDir": "\(.*\)".*/\1/p')
expect_eq "$(cd "$up" && find . -mindepth 1 | sort | tr '\n' ' ')" "./hello " "runtime image content"

# A cached rebuild does no apt work.
start=$(date +%s%N)
out=$(mini build --progress plain -t hello-c --network host "$E" 2>&1) || fail "cached rebuild"
echo "cached rebuild: $(( ($(date +%s%N) - start) / 1000000 )) ms"
echo "$out" | grep 'apt-get' >/dev/null && echo "$out" | grep 'Reading package' >/dev/null && fail "apt ran again"
echo PASS
