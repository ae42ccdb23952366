#!/bin/bash
# build_guest.sh MINI: prints the directory of the cached base guest, building it first when the
# cache has none for these inputs. The guest is Debian 12's cloud kernel (vmlinuz from the .deb,
# unpacked with dpkg-deb -x, never installed on the host) and one initramfs, base.cpio.gz:
# busybox-static, bash, getconf and coreutils stat, the libraries mini loads (and dlopens), the
# kernel modules mini's tests use (overlay, veth, bridge, nf_tables, zram, virtio_blk),
# guest/init and guest/run-tests. run.sh appends the per-run payload (mini, the test scripts,
# the test list) as a second cpio archive.
#
# Cache: $MINI_VM_CACHE (default /var/cache/mini-test)/guest-<hash>, the hash of every input
# (kernel package and version, this script, guest/init and run-tests, the host's busybox,
# bash and libraries), so a change rebuilds; older guest-* directories are removed then.
# Exit 77 when the kernel package can be neither found in the cache nor downloaded.
set -euo pipefail
MINI_BIN=${1:?usage: build_guest.sh MINI_BINARY (its libraries go into the guest)}
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${MINI_VM_CACHE:-/var/cache/mini-test}
KPKG_META=${MINI_VM_KERNEL:-linux-image-cloud-amd64}
mkdir -p "$CACHE/debs"

# The kernel: the package the metapackage depends on, its .deb kept in the cache.
kpkg=$(apt-cache depends "$KPKG_META" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -1)
deb=""
if [ -n "$kpkg" ]; then
  kver=$(apt-cache policy "$kpkg" | sed -n 's/^ *Candidate: //p')
  deb=$(ls "$CACHE/debs/${kpkg}_${kver//:/%3a}_"*.deb 2>/dev/null | head -1 || true)
  if [ -z "$deb" ]; then
    (cd "$CACHE/debs" && apt-get download -q "$kpkg" >/dev/null 2>&1) || true
    deb=$(ls "$CACHE/debs/${kpkg}_"*.deb 2>/dev/null | head -1 || true)
  fi
fi
[ -n "$deb" ] || deb=$(ls -t "$CACHE/debs/"linux-image-*.deb 2>/dev/null | head -1 || true)
[ -n "$deb" ] || { echo "skip: no kernel package ($KPKG_META) in $CACHE/debs and apt-get download failed" >&2; exit 77; }

# Host programs copied into the guest (coreutils stat: busybox stat -f knows no cgroup2fs),
# with every library they, mini and the libraries mini dlopens load.
HOST_BINS=(/bin/bash /usr/bin/getconf /usr/bin/stat)
LAZY=(/usr/lib/x86_64-linux-gnu/libarchive.so.13 /usr/lib/x86_64-linux-gnu/libnftables.so.1)  # mini dlopens them
LIBS_OF=("${HOST_BINS[@]}" "${LAZY[@]}" "$MINI_BIN")
libs() { for f in "$@"; do [ -n "$f" ] && ldd "$f" | awk '$3 ~ /^\// {print $3} $1 ~ /^\// {print $1}'; done | sort -u; }
LIBS=$(libs "${LIBS_OF[@]}")

key=$( { basename "$deb"; sha256sum "$HERE/build_guest.sh" "$HERE"/guest/{init,run-tests} /bin/busybox "${HOST_BINS[@]}"; \
         for l in $LIBS "${LAZY[@]}"; do sha256sum "$(readlink -f "$l")"; done; } | sha256sum | cut -c1-16)
OUT=$CACHE/guest-$key
if [ -f "$OUT/base.cpio.gz" ] && [ -f "$OUT/vmlinuz" ]; then echo "$OUT"; exit 0; fi

start=$(date +%s.%N)
work=$(mktemp -d "$CACHE/build.XXXXXX")
source "$HERE/../integration/on_exit.bash"
on_exit 'rm -rf "$work"'
dpkg-deb -x "$deb" "$work/k"
kdir=$(ls -d "$work/k/lib/modules/"*)
kv=$(basename "$kdir")
r=$work/root
mkdir -p "$r"/{bin,sbin,etc,proc,sys,dev,tmp,run,root,var/lib,lib/modules/"$kv"}
cp /bin/busybox "$r/bin/busybox"
for a in $(/bin/busybox --list); do [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"; done
ln -s /bin/busybox "$r/sbin/modprobe"  # the kernel's request_module runs /sbin/modprobe
for b in "${HOST_BINS[@]}"; do rm -f "$r/bin/$(basename "$b")"; cp "$b" "$r/bin/"; done
# Libraries at the paths the host has them (the dynamic loader's default search path).
for l in $LIBS "${LAZY[@]}"; do
  mkdir -p "$r$(dirname "$l")"
  cp -L "$l" "$r$l"
done
mkdir -p "$r/lib64" && cp -L /lib64/ld-linux-x86-64.so.2 "$r/lib64/"

# Modules: the wanted ones and everything they depend on, per modules.dep.
WANT="overlay veth bridge nf_tables nft_chain_nat nft_nat nft_masq nft_ct nft_redir nft_fib_inet nf_nat zram lzo-rle virtio_pci virtio_blk"
/bin/busybox depmod -b "$work/k" "$kv"  # the .deb ships no modules.dep (its postinst makes it)
cp "$kdir"/modules.{dep,alias,symbols,builtin,order,builtin.modinfo} "$r/lib/modules/$kv/" 2>/dev/null || true
declare -A seen=()
add_mod() {  # add_mod RELPATH: copies it and its dependencies
  local rel=$1 line dep
  [ -n "${seen[$rel]:-}" ] && return 0
  seen[$rel]=1
  mkdir -p "$r/lib/modules/$kv/$(dirname "$rel")"
  cp "$kdir/$rel" "$r/lib/modules/$kv/$rel"
  line=$(grep -E "^$rel:" "$kdir/modules.dep")
  for dep in ${line#*:}; do add_mod "$dep"; done
}
for m in $WANT; do
  rel=$(grep -E "(^|/)$m\.ko(\.[a-z]+)?:" "$kdir/modules.dep" | head -1 | cut -d: -f1)
  [ -n "$rel" ] || { echo "build_guest: module $m is not in $kv" >&2; exit 1; }
  add_mod "$rel"
done

cp "$HERE/guest/init" "$r/init"
mkdir -p "$r/vm" && cp "$HERE/guest/run-tests" "$r/vm/run-tests"
chmod 755 "$r/init" "$r/vm/run-tests"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$r/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
echo "$kv" >"$r/etc/mini-vm-kernel"

(cd "$r" && find . | /bin/busybox cpio -o -H newc 2>/dev/null | gzip -1) >"$work/base.cpio.gz"
cp "$work/k/boot/vmlinuz-$kv" "$work/vmlinuz"
echo "$(basename "$deb")" >"$work/kernel-package"
rm -rf "$work/k" "$r"
for old in "$CACHE"/guest-*; do [ -e "$old" ] && [ "$old" != "$OUT" ] && rm -rf "$old"; done
mv "$work" "$OUT"
awk -v s="$start" -v e="$(date +%s.%N)" -v o="$OUT" -v k="$kv" 'BEGIN {printf "build_guest: %s (%s) built in %.1f s\n", o, k, e - s}' >&2
echo "$OUT"
