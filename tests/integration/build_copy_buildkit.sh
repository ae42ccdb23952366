#!/bin/bash
# COPY/ADD with BuildKit's dockerfile:1 features: --parents, --exclude, symbolic --chmod,
# --chown (BuildKit's group rules), here-documents, --link (reused over another base), ADD of
# http URLs (--checksum, Last-Modified, no extraction) from a local python http.server, ADD of
# git repositories (file:// and dumb http, #ref:subdir, --keep-git-dir), and cache keys that
# ignore mtimes. Each case builds on busybox and checks the layer, the merged image (RUN), or the
# exact error.
source "$SRC_DIR/tests/integration/lib.sh"
import_busybox busybox:latest
C=$T/ctx
mkdir -p "$C/x/y" "$C/x/z"
echo a >"$C/x/y/a.txt"
echo b >"$C/x/y/b.md"
echo c >"$C/x/z/c.txt"
echo top >"$C/top.txt"
echo file >"$C/file.txt"
chmod 0700 "$C/x/z"
chmod 0644 "$C/file.txt"
# The syntax comes from the parser (its own branch): without it there is nothing to test here.
printf 'FROM busybox\nCOPY --parents file.txt /p/\n' >"$C/Minifile"
if probe=$(mini build "$C" 2>&1); then :; else
  grep -E 'flag: parents$' <<<"$probe" >/dev/null && { echo "SKIP: the parser does not know COPY --parents yet"; exit 77; }
fi

# build NAME MINIFILE-TEXT: builds t-NAME, sets $out and $L (the top layer's dir).
build() {
  printf '%s\n' "$2" >"$C/Minifile"
  out=$(mini build -t "t-$1" "$C" 2>&1) || fail "$1: build failed: $out"
  L=$(mini inspect "t-$1" | sed -n 's/.*"UpperDir": "\(.*\)".*/\1/p')
  [ -d "$L" ] || fail "$1: no layer dir"
}
stat_of() { stat -c '%F %a %u:%g' "$L/$1" 2>/dev/null || echo missing; }
files_in() { (cd "$L/$1" && find . -mindepth 1 | sort | tr '\n' ' '); }
expect_err() {
  printf '%s\n' "$2" >"$C/Minifile"
  err=$(mini build "$C" 2>&1) && fail "$1: expected an error"
  grep -F -- "$3" <<<"$err" >/dev/null || fail "$1: wanted [$3], got [$err]"
}
# cached: the last step of the build was a cache hit.
cached() { awk '/^Step /{s=NR} s&&NR==s+1{l=$0} END{exit !(l ~ /Using cache/)}' <<<"$out"; }

# --- --parents -------------------------------------------------------------------------------
build parents1 $'FROM busybox\nCOPY --parents x/y/a.txt top.txt /p/'
expect_eq "$(files_in p)" "./top.txt ./x ./x/y ./x/y/a.txt " "--parents keeps the parents"
build parents2 $'FROM busybox\nCOPY --parents x/*/*.txt /p/'
expect_eq "$(files_in p)" "./x ./x/y ./x/y/a.txt ./x/z ./x/z/c.txt " "--parents with globs"
expect_eq "$(stat_of p/x/z)" "directory 700 0:0" "--parents: a parent keeps the source's mode"
build parents3 $'FROM busybox\nCOPY --parents ./x/./y/a.txt /p/'
expect_eq "$(files_in p)" "./y ./y/a.txt " "--parents below the /./ pivot"
build parents4 $'FROM busybox\nCOPY --parents **/*.txt /p/'
expect_eq "$(files_in p)" "./file.txt ./top.txt ./x ./x/y ./x/y/a.txt ./x/z ./x/z/c.txt " "--parents with **"
build parents5 $'FROM busybox\nCOPY --parents x/y /p/'
expect_eq "$(files_in p)" "./x ./x/y ./x/y/a.txt ./x/y/b.md " "--parents of a directory"
expect_err parents-missing $'FROM busybox\nCOPY --parents x/nope.txt /p/' \
  'COPY failed: file not found in build context or excluded by .miniignore: x/nope.txt'

# --- --exclude -------------------------------------------------------------------------------
build exclude1 $'FROM busybox\nCOPY --exclude=**/*.md --exclude=z x /e/'
expect_eq "$(files_in e)" "./y ./y/a.txt " "--exclude, repeated, below the source"
build exclude2 $'FROM busybox\nCOPY --exclude=*.md x/y /e/'
expect_eq "$(files_in e)" "./a.txt " "--exclude relative to the source"
build exclude3 $'FROM busybox\nCOPY --exclude=y --exclude=!y/a.txt x /e/'
expect_eq "$(files_in e)" "./y ./y/a.txt ./z ./z/c.txt " "--exclude with a ! exception"
build exclude4 $'FROM busybox\nCOPY --parents --exclude=**/*.md x /p/'
expect_eq "$(files_in p)" "./x ./x/y ./x/y/a.txt ./x/z ./x/z/c.txt " "--exclude with --parents"
build exclude5 $'FROM busybox\nADD --exclude=*.txt x/y/ /e/'
expect_eq "$(files_in e)" "./b.md " "ADD --exclude"

# --- --chmod ---------------------------------------------------------------------------------
build chmod1 $'FROM busybox\nCOPY --chmod=u=rwx,go=rx file.txt /m'
expect_eq "$(stat_of m)" "regular file 755 0:0" "symbolic --chmod u=rwx,go=rx"
build chmod2 $'FROM busybox\nCOPY --chmod=+x file.txt /m'
expect_eq "$(stat_of m)" "regular file 755 0:0" "symbolic --chmod +x"
build chmod3 $'FROM busybox\nCOPY --chmod=go-r,u+X x /m/'
expect_eq "$(stat_of m/z)" "directory 700 0:0" "symbolic --chmod on a directory"
expect_eq "$(stat_of m/y/a.txt)" "regular file 600 0:0" "symbolic --chmod go-r, X not for files"
build chmod4 $'FROM busybox\nCOPY --chmod=0640 file.txt /m'
expect_eq "$(stat_of m)" "regular file 640 0:0" "octal --chmod"
expect_err chmod-big $'FROM busybox\nCOPY --chmod=17777 file.txt /m' \
  "invalid chmod parameter: '17777'. it should be octal string and between 0 and 07777"
expect_err chmod-num $'FROM busybox\nCOPY --chmod=999 file.txt /m' \
  "invalid chmod parameter: '999'. it should be octal string and between 0 and 07777"
expect_err chmod-sym $'FROM busybox\nCOPY --chmod=u=rwz file.txt /m' "invalid chmod parameter: 'u=rwz': invalid syntax"

# --- --chown: BuildKit's rules ---------------------------------------------------------------
build chown-base $'FROM busybox\nRUN --network=none echo "bob:x:1001:50:bob:/:/bin/sh" >>/etc/passwd && echo "staff:x:50:" >>/etc/group'
build chown1 $'FROM t-chown-base\nCOPY --chown=bob file.txt /o'
expect_eq "$(stat_of o)" "regular file 644 1001:50" "--chown=NAME: the passwd entry's group"
build chown2 $'FROM busybox\nCOPY --chown=1000 file.txt /o'
expect_eq "$(stat_of o)" "regular file 644 1000:1000" "--chown=UID: the same number as group"
build chown3 $'FROM busybox\nCOPY --chown=root:wheel file.txt /o'
expect_eq "$(stat_of o)" "regular file 644 0:10" "--chown=root:GROUP"
expect_err chown-missing $'FROM busybox\nCOPY --chown=nosuch file.txt /o' \
  'unable to find user nosuch: no matching entries in passwd file'

# --- here-documents --------------------------------------------------------------------------
build heredoc1 $'FROM busybox\nARG WHO=world\nCOPY <<EOF /h/greeting\nhello $WHO "quoted" \'single\'\nEOF\nCOPY <<"EOF" /h/raw\nraw $WHO\nEOF'
expect_eq "$(cat "$L/h/raw")" 'raw $WHO' "quoted delimiter: not expanded"
expect_eq "$(stat_of h/raw)" "regular file 644 0:0" "here-document mode"
build heredoc2 $'FROM t-heredoc1\nRUN --network=none cat /h/greeting >/h/seen'
expect_eq "$(cat "$L/h/seen")" "hello world \"quoted\" 'single'" "expanded, quotes kept (seen by RUN)"
build heredoc3 $'FROM busybox\nCOPY --chmod=0755 <<A <<B /hd/\n#!/bin/sh\necho a\nA\nb\nB'
expect_eq "$(files_in hd)" "./A ./B " "two here-documents into a directory"
expect_eq "$(stat_of hd/A)" "regular file 755 0:0" "--chmod on a here-document"
build heredoc4 $'FROM busybox\nADD <<EOF /added\nadd\nEOF'
expect_eq "$(cat "$L/added")" "add" "ADD of a here-document"

# --- --link ----------------------------------------------------------------------------------
build base-a $'FROM busybox\nRUN --network=none ln -s /tmp /lnk && echo a >/base'
build base-b $'FROM busybox\nRUN --network=none ln -s /tmp /lnk && echo b >/base'
build link-a $'FROM t-base-a\nCOPY --link file.txt /lnk/f'
cached && fail "--link: first build hit the cache"
expect_eq "$(stat_of lnk)" "directory 755 0:0" "--link: a symlinked destination dir is not followed"
expect_eq "$(cat "$L/lnk/f")" file "--link: the file"
diff_a=$(mini inspect t-link-a | sed -n 's/.*"\(sha256:[0-9a-f]*\)".*/\1/p' | tail -1)
build link-b $'FROM t-base-b\nCOPY --link file.txt /lnk/f'
cached || fail "--link: not reused over another base: $out"
diff_b=$(mini inspect t-link-b | sed -n 's/.*"\(sha256:[0-9a-f]*\)".*/\1/p' | tail -1)
expect_eq "$diff_b" "$diff_a" "--link: the same diff on the new base"
build link-run $'FROM t-link-b\nRUN --network=none cat /base /lnk/f >/seen'
expect_eq "$(cat "$L/seen")" $'b\nfile' "--link: the layer on base b, seen by RUN"
build nolink-b $'FROM t-base-b\nCOPY file.txt /plain'
build nolink-a $'FROM t-base-a\nCOPY file.txt /plain'
cached && fail "without --link a COPY over another base must not hit the cache"
build link-from-a $'FROM t-base-a AS src\nRUN --network=none echo made >/made\nFROM t-base-a\nCOPY --link --from=src /made /m/'
build link-from-b $'FROM t-base-a AS src\nRUN --network=none echo made >/made\nFROM t-base-b\nCOPY --link --from=src /made /m/'
cached || fail "--link --from: not reused over another base"
build link-chown-a $'FROM t-chown-base\nCOPY --link --chown=bob file.txt /o'
expect_eq "$(stat_of o)" "regular file 644 1001:50" "--link --chown: names from the stage"
chk=$(mini system check 2>&1) || fail "system check after --link reuse: $chk"

# --- ADD of http URLs ------------------------------------------------------------------------
W=$T/www
mkdir -p "$W"
echo remote >"$W/data.txt"
touch -d '2001-02-03 04:05:06 UTC' "$W/data.txt"
tar -C "$T" -czf "$W/arch.tar.gz" ctx/file.txt
python3 -u -m http.server --bind 127.0.0.1 --directory "$W" 0 >"$T/http.log" 2>&1 &
HTTP_PID=$!
on_exit 'kill $HTTP_PID 2>/dev/null || true'
for _ in $(seq 50); do grep -o 'port [0-9]*' "$T/http.log" >/dev/null && break; sleep 0.1; done
PORT=$(grep -o 'port [0-9]*' "$T/http.log" | head -1 | cut -d' ' -f2)
[ -n "$PORT" ] || fail "http.server did not start: $(cat "$T/http.log")"
U=http://127.0.0.1:$PORT
SUM=sha256:$(sha256sum "$W/data.txt" | cut -d' ' -f1)
build http1 "$(printf 'FROM busybox\nADD %s/data.txt /d/' "$U")"
expect_eq "$(stat_of d/data.txt)" "regular file 600 0:0" "ADD URL: file name from the URL, mode 0600"
expect_eq "$(cat "$L/d/data.txt")" remote "ADD URL: content"
expect_eq "$(stat -c %Y "$L/d/data.txt")" "$(date -d '2001-02-03 04:05:06 UTC' +%s)" "ADD URL: Last-Modified as mtime"
build http2 "$(printf 'FROM busybox\nADD %s/data.txt /d/' "$U")"
cached || fail "ADD URL: unchanged content is a cache hit"
grep -F '"GET /data.txt HTTP/1.1" 304' "$T/http.log" >/dev/null || fail "ADD URL: no conditional re-check: $(cat "$T/http.log")"
build http2b "$(printf 'FROM busybox\nADD %s/data.txt /other/' "$U")"
expect_eq "$(cat "$L/other/data.txt")" remote "ADD URL: re-checked (304), then downloaded for a new step"
build http3 "$(printf 'FROM busybox\nADD --checksum=%s %s/data.txt /named' "$SUM" "$U")"
expect_eq "$(cat "$L/named")" remote "ADD --checksum: right digest, dest a file"
build http4 "$(printf 'FROM busybox\nADD %s/arch.tar.gz /t/' "$U")"
expect_eq "$(files_in t)" "./arch.tar.gz " "ADD URL: a remote archive is not extracted"
echo changed >"$W/data.txt"
touch -d '2002-02-03 04:05:06 UTC' "$W/data.txt"
build http5 "$(printf 'FROM busybox\nADD %s/data.txt /d/' "$U")"
cached && fail "ADD URL: changed content must miss the cache"
expect_eq "$(cat "$L/d/data.txt")" changed "ADD URL: the new content"
GOT=sha256:$(sha256sum "$W/data.txt" | cut -d' ' -f1)
expect_err http-sum "$(printf 'FROM busybox\nADD --checksum=%s %s/data.txt /d/' "$SUM" "$U")" \
  "digest mismatch for $U/data.txt: $GOT (expected: $SUM)"
expect_err http-404 "$(printf 'FROM busybox\nADD %s/nope.txt /d/' "$U")" "ADD $U/nope.txt: 404 Not Found"
expect_err copy-url "$(printf 'FROM busybox\nCOPY %s/data.txt /d/' "$U")" "source can't be a URL for COPY"
expect_err sum-local $'FROM busybox\nADD --checksum=sha256:0000000000000000000000000000000000000000000000000000000000000000 file.txt /d/' \
  'checksum requires HTTP(S) or Git sources'

# --- ADD of git repositories -----------------------------------------------------------------
G=$T/gitwork
git init -q -b main "$G"
mkdir -p "$G/sub"
echo v1 >"$G/readme"
echo s1 >"$G/sub/s"
git -C "$G" add -A
git -C "$G" -c user.name=t -c user.email=t@t commit -qm one
git -C "$G" tag v1
echo v2 >"$G/readme"
git -C "$G" -c user.name=t -c user.email=t@t commit -qam two
git clone -q --bare "$G" "$W/repo.git"
git -C "$W/repo.git" update-server-info
REPO=file://$W/repo.git
V1=$(git -C "$G" rev-parse v1)
build git1 "$(printf 'FROM busybox\nADD %s#v1 /g/' "$REPO")"
expect_eq "$(files_in g)" "./readme ./sub ./sub/s " "ADD git#tag: the tree, no .git"
expect_eq "$(cat "$L/g/readme")" v1 "ADD git#tag: the tag's content"
build git2 "$(printf 'FROM busybox\nADD %s#main:sub /s/' "$REPO")"
expect_eq "$(files_in s)" "./s " "ADD git#ref:subdir"
build git3 "$(printf 'FROM busybox\nADD --keep-git-dir=true %s#main /k/' "$REPO")"
[ -d "$L/k/.git" ] || fail "--keep-git-dir: no .git"
expect_eq "$(cat "$L/k/readme")" v2 "ADD git#branch"
build git4 "$(printf 'FROM busybox\nADD %s/repo.git#main /h/' "$U")"
expect_eq "$(cat "$L/h/readme")" v2 "ADD of a git repository over (dumb) http"
build git5 "$(printf 'FROM busybox\nADD %s#main:sub /s/' "$REPO")"
cached || fail "ADD git: the same commit is a cache hit"
echo s2 >"$G/sub/s"
git -C "$G" -c user.name=t -c user.email=t@t commit -qam three
git -C "$G" push -q "$W/repo.git" main
build git6 "$(printf 'FROM busybox\nADD %s#main:sub /s/' "$REPO")"
cached && fail "ADD git: a new commit must miss the cache"
expect_eq "$(cat "$L/s/s")" s2 "ADD git: the new commit"
build git7 "$(printf 'FROM busybox\nADD --checksum=%s %s#v1 /g/' "${V1:0:12}" "$REPO")"
expect_eq "$(cat "$L/g/readme")" v1 "ADD git --checksum (a commit prefix)"
expect_err git-sum "$(printf 'FROM busybox\nADD --checksum=deadbeef %s#v1 /g/' "$REPO")" \
  "expected checksum to match deadbeef, got $V1"
expect_err git-ref "$(printf 'FROM busybox\nADD %s#nope /g/' "$REPO")" "git ref nope not found in $REPO"
expect_err git-copy "$(printf 'FROM busybox\nCOPY %s#v1 /g/' "$REPO")" "source can't be a git ref for COPY"

# --- cache keys: mtimes are not part of them -------------------------------------------------
build key1 $'FROM busybox\nCOPY x /k/'
build key2 $'FROM busybox\nCOPY x /k/'
cached || fail "unchanged sources: cache hit"
touch -d '2011-01-01 00:00:00' "$C/x/y/a.txt" "$C/x/z"
build key3 $'FROM busybox\nCOPY x /k/'
cached || fail "touch (mtime only) must still hit the cache: $out"
chmod 0600 "$C/x/y/a.txt"
build key4 $'FROM busybox\nCOPY x /k/'
cached && fail "a mode change must miss the cache"
chown 1234 "$C/x/y/a.txt"
build key5 $'FROM busybox\nCOPY x /k/'
cached && fail "an owner change must miss the cache"
echo A >"$C/x/y/a.txt"
build key6 $'FROM busybox\nCOPY x /k/'
cached && fail "a content change must miss the cache"
expect_eq "$(cat "$L/k/y/a.txt")" A "the new content"
echo PASS
