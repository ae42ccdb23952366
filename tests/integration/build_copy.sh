#!/bin/bash
# COPY/ADD rules table: each case builds one COPY on busybox and checks the new layer's files,
# modes, owners and mtimes; plus error cases, ignore files and ADD archives.
source "$SRC_DIR/tests/integration/lib.sh"
import_busybox busybox:latest
C=$T/ctx
mkdir -p "$C/dir/sub" "$C/other"
echo file >"$C/file.txt"
echo two >"$C/two.txt"
echo inner >"$C/dir/sub/inner"
echo top >"$C/dir/top"
chmod 0751 "$C/dir/top"
chown -R 1234:1234 "$C"
touch -h -d '2001-02-03 04:05:06' "$C/file.txt" "$C/dir/top"
ln -s /etc/passwd "$C/escape-link"
ln -s file.txt "$C/inner-link"
mkdir -p "$C/logs/deep"
echo a >"$C/logs/a.log"
echo b >"$C/logs/deep/b.log"
echo k >"$C/logs/keep.log"
echo ok >"$C/logs/ok.txt"

# copy_case NAME 'COPY ...' : builds and sets $L to the new layer dir.
copy_case() {
  printf 'FROM busybox\n%s\n' "$2" >"$C/Minifile"
  out=$(mini build -t "t-$1" "$C" 2>&1) || fail "$1: build failed: $out"
  L=$(mini inspect "t-$1" | sed -n 's/.*"UpperDir": "\(.*\)".*/\1/p')
  [ -d "$L" ] || fail "$1: no layer dir"
}
stat_of() { stat -c '%F %a %u:%g' "$L/$1" 2>/dev/null || echo missing; }
expect_err() {
  printf 'FROM busybox\n%s\n' "$2" >"$C/Minifile"
  err=$(mini build "$C" 2>&1) && fail "$1: expected an error"
  echo "$err" | grep -F "$3" >/dev/null || fail "$1: wanted [$3], got [$err]"
}

copy_case file 'COPY file.txt /dst'
expect_eq "$(stat_of dst)" "regular file 644 0:0" "file -> /dst"
expect_eq "$(stat -c %Y "$L/dst")" "$(stat -c %Y "$C/file.txt")" "mtime preserved"

copy_case slash 'COPY file.txt /d/'
expect_eq "$(stat_of d/file.txt)" "regular file 644 0:0" "trailing slash dest"
expect_eq "$(stat_of d)" "directory 755 0:0" "created dest dir"

copy_case dir 'COPY dir /target/'
expect_eq "$(stat_of target/top)" "regular file 751 0:0" "dir contents"
expect_eq "$(stat_of target/sub/inner)" "regular file 644 0:0" "nested"
expect_eq "$(stat_of target/dir)" missing "dir itself not copied"

copy_case glob 'COPY *.txt /g/'
expect_eq "$(ls "$L/g" | tr '\n' ' ')" "file.txt two.txt " "glob"

copy_case chown 'COPY --chown=user:user file.txt /o'
expect_eq "$(stat_of o)" "regular file 644 1000:1000" "--chown names"
copy_case chownnum 'COPY --chown=42:43 dir /n/'
expect_eq "$(stat_of n/top)" "regular file 751 42:43" "--chown numbers"
copy_case chmod 'COPY --chmod=0600 file.txt /m'
expect_eq "$(stat_of m)" "regular file 600 0:0" "--chmod"

copy_case link 'COPY inner-link /ln'
expect_eq "$(cat "$L/ln")" "file" "source symlink followed inside the context"
copy_case workdir "$(printf 'WORKDIR /w\nCOPY file.txt rel.txt')"
expect_eq "$(stat_of w/rel.txt)" "regular file 644 0:0" "relative dest uses WORKDIR"

expect_err missing 'COPY nope.txt /x' 'file not found in build context or excluded by .miniignore: nope.txt'
expect_err escape 'COPY ../etc/passwd /x' 'forbidden path outside the build context: ../etc/passwd'
expect_err escape-link 'COPY escape-link /x' 'file not found in build context or excluded by .miniignore: escape-link'
expect_err multi 'COPY file.txt two.txt /x' 'the destination must be a directory and end with a /'
expect_err url 'COPY http://example.com/x /x' "source can't be a URL for COPY"
expect_err line "$(printf 'RUN true\nCOPY nope /x')" "$C/Minifile:3: COPY failed"

# Ignore file: ** and ! exceptions.
printf '**/*.log\n!logs/keep.log\n' >"$C/.dockerignore"
copy_case ignore 'COPY logs /l/'
expect_eq "$(cd "$L/l" && find . -type f | sort | tr '\n' ' ')" "./keep.log ./ok.txt " ".dockerignore"
printf 'logs/ok.txt\n' >"$C/.miniignore"
copy_case ignore2 'COPY logs /l/'
expect_eq "$(cd "$L/l" && find . -type f | sort | tr '\n' ' ')" "./a.log ./deep/b.log ./keep.log " ".miniignore wins"
expect_err ignored 'COPY logs/ok.txt /x' 'file not found in build context or excluded by .miniignore: logs/ok.txt'
rm "$C/.miniignore" "$C/.dockerignore"

# ADD extracts local archives (gzip, zstd, plain); other files are copied.
mkdir -p "$T/arc/pkg"
echo payload >"$T/arc/pkg/f"
tar -C "$T/arc" -czf "$C/a.tar.gz" pkg
tar -C "$T/arc" -cf - pkg | zstd -q >"$C/a.tar.zst" 2>/dev/null || true
copy_case addgz 'ADD a.tar.gz /opt/'
expect_eq "$(cat "$L/opt/pkg/f")" payload "ADD tar.gz"
if [ -s "$C/a.tar.zst" ]; then
  copy_case addzst 'ADD a.tar.zst /z'
  expect_eq "$(cat "$L/z/pkg/f")" payload "ADD tar.zst"
fi
copy_case addfile 'ADD file.txt /plain'
expect_eq "$(cat "$L/plain")" file "ADD plain file"

# COPY into a directory of the base keeps the base's metadata for the parent.
copy_case parent 'COPY file.txt /bin/'
expect_eq "$(stat_of bin)" "directory 755 0:0" "copied-up parent"
[ -L "$L/bin/sh" ] && fail "lower files leaked into the layer"
echo PASS
