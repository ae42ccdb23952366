#!/bin/bash
# RUN --mount (cache, bind, tmpfs, secret, ssh), RUN --security/--network and RUN heredocs:
# each built and then run; nothing of a mount reaches a layer (every layer tar of `mini save` is
# listed), secrets appear nowhere (saved tar, store, build output), and every failing build
# leaves no container, mount, lease or scratch directory behind.
source "$SRC_DIR/tests/integration/lib.sh"
import_busybox busybox:latest
C=$T/ctx
mkdir -p "$C"

# Everything a failed (or finished) build could leave: mounts, containers, leases, scratch.
assert_clean() {
  ! grep -F " $R/" /proc/self/mountinfo >/dev/null || fail "$1: mounts left: $(grep -F " $R/" /proc/self/mountinfo)"
  [ -z "$(ls "$R/containers" 2>/dev/null)" ] || fail "$1: containers left: $(ls "$R/containers")"
  [ -z "$(ls "$R/leases" 2>/dev/null)" ] || fail "$1: leases left: $(ls "$R/leases")"
  [ -z "$(ls "$R/tmp" 2>/dev/null)" ] || fail "$1: scratch left: $(ls "$R/tmp")"
}
# build_ok NAME [ARGS...]: builds $C as NAME; its output is in $out.
build_ok() {
  local n=$1
  shift
  out=$(mini build -t "$n" "$@" "$C" 2>&1) || fail "$n: build failed: $out"
}
# build_fails NAME MESSAGE [ARGS...]
build_fails() {
  local n=$1 msg=$2
  shift 2
  out=$(mini build -t "$n" "$@" "$C" 2>&1) && fail "$n: expected the build to fail: $out"
  grep -F -- "$msg" <<<"$out" >/dev/null || fail "$n: wanted [$msg], got [$out]"
  assert_clean "$n"
}
# layer_files IMAGE: every path in every layer tar of the saved image (the tar in $T/IMAGE.tar).
layer_files() {
  local x=$T/save-$1
  rm -rf "$x" && mkdir -p "$x"
  mini save -o "$T/$1.tar" "$1"
  tar -C "$x" -xf "$T/$1.tar"
  find "$x" -type f | while read -r f; do tar -tf "$f" 2>/dev/null || true; done
}
in_image() { mini run --rm "$1" sh -c "$2"; }
# no_secret WHAT PATH...: neither secret value in any file under PATH (files vanishing meanwhile
# are fine: only a match fails).
no_secret() {
  local what=$1 hits
  shift
  hits=$(grep -rlsF -e "$S1" -e "$S2" "$@" || true)
  [ -z "$hits" ] || fail "secret in $what: $hits"
}

# --- type=cache: survives between builds, never in a layer, keyed by id, sharing honoured -------
cat >"$C/Minifile" <<'EOF'
FROM busybox
ARG CDIR=/var/cache/pm
RUN --mount=type=cache,target=$CDIR,id=pm ls $CDIR >/seen; echo one >$CDIR/written; dd if=/dev/zero of=$CDIR/blob bs=1k count=256 2>/dev/null
EOF
build_ok cache1
expect_eq "$(in_image cache1 'cat /seen')" "" "first build: empty cache"
build_ok cache2 --no-cache
expect_eq "$(in_image cache2 'cat /seen | tr "\n" " "')" "blob written " "second build sees the first's files"
files=$(layer_files cache2)
! grep -E 'cache/pm|written|blob' <<<"$files" >/dev/null || fail "cache content or mount point in a layer: $files"
grep -E '(^|/)seen$' <<<"$files" >/dev/null || fail "layer listing misses /seen: $files"
[ -n "$(ls "$R/build-cache-mounts")" ] || fail "no cache mount dir in the store"
# Without --no-cache the step is a cache hit (the cache mount's content is not in the key).
build_ok cache3
grep -E '^#[0-9]+ CACHED$' <<<"$out" >/dev/null || fail "cache mount step not cached: $out"
assert_clean cache

# from=: a new cache starts with that tree's source; later builds keep what steps added.
cat >"$C/Minifile" <<'EOF'
FROM busybox AS seedsrc
RUN mkdir -p /seed && echo seeded >/seed/s.txt
FROM busybox
RUN --mount=type=cache,id=seeded,from=seedsrc,source=/seed,target=/c cat /c/s.txt >/got; ls /c | tr "\n" " " >/ls; echo more >/c/more
EOF
build_ok seeded1
expect_eq "$(in_image seeded1 'cat /got /ls')" "seeded
s.txt " "cache seeded from a stage"
build_ok seeded2 --no-cache
expect_eq "$(in_image seeded2 'cat /ls')" "more s.txt " "seeded cache kept its additions"

# sharing=locked: two concurrent builds take turns (their start/end lines never interleave).
mkdir -p "$T/l1" "$T/l2"
for n in 1 2; do
  printf 'FROM busybox\nRUN --mount=type=cache,id=lk,target=/c,sharing=locked echo start%s >>/c/log; sleep 1; echo end%s >>/c/log\n' $n $n >"$T/l$n/Minifile"
done
mini build -q "$T/l1" >"$T/l1.out" 2>&1 &
p1=$!
mini build -q "$T/l2" >"$T/l2.out" 2>&1 &
p2=$!
wait $p1 || fail "locked build 1: $(cat "$T/l1.out")"
wait $p2 || fail "locked build 2: $(cat "$T/l2.out")"
printf 'FROM busybox\nRUN --mount=type=cache,id=lk,target=/c cat /c/log >/log\n' >"$C/Minifile"
build_ok locked
log=$(in_image locked 'cat /log | tr "\n" " "')
[ "$log" = "start1 end1 start2 end2 " ] || [ "$log" = "start2 end2 start1 end1 " ] || fail "locked steps interleaved: $log"
# sharing=private: a concurrent user gets a directory of its own.
mkdir -p "$T/p1" "$T/p2"
for n in 1 2; do
  printf 'FROM busybox\nRUN --mount=type=cache,id=pv,target=/c,sharing=private touch /c/m%s; sleep 1; ls /c | tr "\\n" " " >/saw\n' $n >"$T/p$n/Minifile"
done
mini build -t pv1 "$T/p1" >"$T/p1.out" 2>&1 &
p1=$!
mini build -t pv2 "$T/p2" >"$T/p2.out" 2>&1 &
p2=$!
wait $p1 || fail "private build 1: $(cat "$T/p1.out")"
wait $p2 || fail "private build 2: $(cat "$T/p2.out")"
expect_eq "$(in_image pv1 'cat /saw')" "m1 " "private cache 1"
expect_eq "$(in_image pv2 'cat /saw')" "m2 " "private cache 2"

# builder prune clears cache mounts (the next build starts empty again).
pr=$(mini builder prune -f)
grep -E '^Total reclaimed space: [0-9.]+[kMG]?B$' <<<"$pr" >/dev/null || fail "builder prune output: $pr"
grep -F 'pm' <<<"$pr" >/dev/null || fail "builder prune did not list the pm cache: $pr"
[ -z "$(ls -A "$R/build-cache-mounts")" ] || fail "cache mounts left after prune: $(ls "$R/build-cache-mounts")"
cat >"$C/Minifile" <<'EOF'
FROM busybox
RUN --mount=type=cache,target=/var/cache/pm,id=pm ls /var/cache/pm >/seen
EOF
build_ok cache4 --no-cache
expect_eq "$(in_image cache4 'cat /seen')" "" "cache empty after prune"
sys=$(mini system prune -f)
grep -F 'Total reclaimed space:' <<<"$sys" >/dev/null || fail "system prune: $sys"
[ -z "$(ls -A "$R/build-cache-mounts")" ] || fail "system prune left cache mounts"

# --- type=bind: from a stage, an image, the context; read-only unless rw; rw writes dropped -------
echo ctx-one >"$C/data.txt"
ln -sfn /etc "$C/escape"
cat >"$C/Minifile" <<'EOF'
FROM busybox AS src
RUN mkdir /out && echo fromstage >/out/f
FROM busybox
RUN --mount=type=bind,from=src,source=/out,target=/m cat /m/f >/got; if touch /m/new 2>/dev/null; then echo writable >/ro; else echo ro >/ro; fi
RUN --mount=type=bind,from=src,source=out,target=/m,rw echo x >/m/new && cat /m/new >/rwseen && echo y >/m/f
RUN --mount=type=bind,from=0,source=/out,target=/m ls /m | tr "\n" " " >/after; cat /m/f >>/after
RUN --mount=type=bind,from=busybox,source=/etc/passwd,target=/pw head -1 /pw >/pwline
RUN --mount=type=bind,target=/ctx cat /ctx/data.txt >/ctxgot; touch /ctx/x 2>/dev/null && echo writable >/ctxro || echo ro >/ctxro
RUN --mount=type=bind,source=data.txt,target=/one.txt,rw echo changed >/one.txt && cat /one.txt >/onegot
EOF
build_ok bind
expect_eq "$(in_image bind 'cat /got /ro')" "fromstage
ro" "bind from stage, read-only"
expect_eq "$(in_image bind 'cat /rwseen')" "x" "rw bind writable"
expect_eq "$(in_image bind 'cat /after')" "f fromstage" "rw writes did not reach the stage"
expect_eq "$(in_image bind 'cat /pwline')" "root:x:0:0:root:/root:/bin/sh" "bind from an image"
expect_eq "$(in_image bind 'cat /ctxgot /ctxro')" "ctx-one
ro" "bind from the context, read-only"
expect_eq "$(in_image bind 'cat /onegot')" "changed" "rw bind of a file"
expect_eq "$(cat "$C/data.txt")" "ctx-one" "the context file is untouched"
[ ! -e "$C/x" ] || fail "a write reached the context"
files=$(layer_files bind)
! grep -E '(^|/)(m|ctx|pw|one\.txt)(/|$)' <<<"$files" >/dev/null || fail "bind mount points or writes in a layer: $files"
assert_clean bind
# The context's content keys the step: unchanged -> cached; changed -> rerun.
build_ok bind2
# (BuildKit's progress: every "#N [i/n] ..." step of the build is followed by "#N CACHED".)
expect_eq "$(grep -cE '^#[0-9]+ CACHED$' <<<"$out")" "$(grep -cE '^#[0-9]+ \[[^]]*[0-9]+/[0-9]+\] (RUN|COPY|ADD|WORKDIR)' <<<"$out")" "unchanged context: every step cached"
[ "$(grep -cE '^#[0-9]+ CACHED$' <<<"$out")" -ge 3 ] || fail "too few cached steps: $out"
echo ctx-two >"$C/data.txt"
build_ok bind3
expect_eq "$(in_image bind3 'cat /ctxgot')" "ctx-two" "changed bound file reruns the step"
# What the ignore file excludes is not in a bind of the context (as BuildKit's context).
mkdir -p "$C/node_modules/pkg" "$C/sub"
echo hidden >"$C/node_modules/pkg/index.js"
echo hidden >"$C/sub/local.env"
echo shown >"$C/sub/kept.txt"
printf 'node_modules\n**/*.env\n' >"$C/.dockerignore"
printf 'FROM busybox\nRUN --mount=type=bind,target=/ctx ls -a /ctx /ctx/sub | tr "\\n" " " >/ls\nRUN --mount=type=bind,source=sub,target=/s,rw ls /s >/ls2\n' >"$C/Minifile"
build_ok ignored
ls_out=$(in_image ignored 'cat /ls')
! grep -E 'node_modules|local\.env' <<<"$ls_out" >/dev/null || fail "ignored files visible in the bind: $ls_out"
grep -F 'kept.txt' <<<"$ls_out" >/dev/null || fail "bind of the context misses files: $ls_out"
expect_eq "$(in_image ignored 'cat /ls2')" "kept.txt" "ignored files hidden in a rw bind of a subdir"
rm -rf "$C/.dockerignore" "$C/node_modules" "$C/sub"
assert_clean ignored
# A source never leaves its tree: an absolute link in the context resolves inside it.
printf 'FROM busybox\nRUN --mount=type=bind,source=escape,target=/e cat /e/passwd\n' >"$C/Minifile"
build_fails escape "not found"
printf 'FROM busybox\nRUN --mount=type=bind,source=../../../../etc,target=/e cat /e/passwd\n' >"$C/Minifile"
build_fails dotdot "not found"
printf 'FROM busybox AS s\nFROM busybox\nRUN --mount=type=bind,from=s,source=/nope,target=/e true\n' >"$C/Minifile"
build_fails nosource "RUN --mount from=s: /nope: not found"
printf 'FROM busybox\nRUN --mount=type=bind,from=nosuch,target=/e true\n' >"$C/Minifile"
build_fails noimage "RUN --mount from=nosuch: failed to pull nosuch:latest"  # a missing image is pulled, as BuildKit
printf 'FROM busybox\nRUN --mount=type=bind,target=/m,mode=0700 true\n' >"$C/Minifile"
build_fails badmode 'mode not allowed for "bind" type mounts'
# A failing step with every kind of mount leaves nothing either.
printf 'FROM busybox\nRUN --mount=type=cache,target=/c --mount=type=bind,target=/b,rw --mount=type=tmpfs,target=/t false\n' >"$C/Minifile"
build_fails failing "exit code 1"

# --- type=tmpfs ----------------------------------------------------------------------------------
printf 'FROM busybox\nRUN --mount=type=tmpfs,target=/scratch,size=1m grep " /scratch " /proc/mounts >/tinfo; echo x >/scratch/f; dd if=/dev/zero of=/scratch/big bs=1k count=2048 2>/dev/null && echo unlimited >>/tinfo || echo full >>/tinfo\n' >"$C/Minifile"
build_ok tmpfs
info=$(in_image tmpfs 'cat /tinfo')
grep -E '^tmpfs /scratch tmpfs .*size=1024k' <<<"$info" >/dev/null || fail "tmpfs mount: $info"
grep -x full <<<"$info" >/dev/null || fail "tmpfs size not enforced: $info"
! grep -E '(^|/)scratch' <<<"$(layer_files tmpfs)" >/dev/null || fail "tmpfs mount point in a layer"

# --- type=secret: file and env, never stored anywhere; required ones must be there --------------
S1="s3cr3t-file-$RANDOM$RANDOM"
S2="s3cr3t-env-$RANDOM$RANDOM"
printf '%s' "$S1" >"$T/secret.txt"
cat >"$C/Minifile" <<'EOF'
FROM busybox
RUN --mount=type=secret,id=fs test -n "$(cat /run/secrets/fs)" && stat -c '%a %u' /run/secrets/fs >/st1 && cat /run/secrets/fs | wc -c >/len1
RUN --mount=type=secret,id=tok,env=TOKEN test -n "$TOKEN" && echo ${#TOKEN} >/len2 && if [ -e /run/secrets ]; then echo file >/nofile; else echo none >/nofile; fi
RUN --mount=type=secret,id=fs,target=/etc/app/creds,mode=0440,uid=1000,gid=1000 stat -c '%a %u %g' /etc/app/creds >/st2
RUN --mount=type=secret,id=absent if [ -e /run/secrets/absent ]; then echo mounted >/absent; else echo none >/absent; fi
EOF
out=$(MYTOKEN="$S2" mini build -t sec --progress plain --secret "id=fs,src=$T/secret.txt" --secret id=tok,env=MYTOKEN "$C" 2>&1) ||
  fail "secret build: $out"
expect_eq "$(in_image sec 'cat /st1 /len1')" "400 0
${#S1}" "secret file: mode, owner, content"
expect_eq "$(in_image sec 'cat /len2 /nofile')" "${#S2}
none" "secret env, no file for env-only"
expect_eq "$(in_image sec 'cat /st2')" "440 1000 1000" "secret target, mode, uid, gid"
expect_eq "$(in_image sec 'cat /absent')" "none" "an optional missing secret is not mounted"
! grep -F -e "$S1" -e "$S2" <<<"$out" >/dev/null || fail "secret in the build output"
mini inspect sec >"$T/sec.json"
mini history --no-trunc sec >>"$T/sec.json" 2>&1 || true
! grep -F -e "$S1" -e "$S2" "$T/sec.json" >/dev/null || fail "secret in the config or history"
layer_files sec >"$T/sec.files"
! grep -E 'run/secrets|etc/app/creds' "$T/sec.files" >/dev/null || fail "secret mount point in a layer: $(cat "$T/sec.files")"
mkdir -p "$T/sec-layers"
find "$T/save-sec" -type f | while read -r f; do tar -C "$T/sec-layers" -xf "$f" 2>/dev/null || true; done
no_secret "the saved image" "$T/sec.tar" "$T/save-sec" "$T/sec-layers"
no_secret "the store" "$R"
no_secret "the runtime tmpfs" /run/mini
# While a step runs: the secret file is on the runtime tmpfs, and nowhere in the store.
printf 'FROM busybox\nRUN --mount=type=secret,id=fs --mount=type=secret,id=tok,env=TOKEN touch /started; sleep 3\n' >"$C/Minifile"
MYTOKEN="$S2" mini build -q --secret "id=fs,src=$T/secret.txt" --secret id=tok,env=MYTOKEN "$C" >"$T/during.out" 2>&1 &
bp=$!
seen=
for _ in $(seq 400); do
  seen=$(grep -rlsF "$S1" /run/mini || true)
  [ -z "$seen" ] && kill -0 $bp 2>/dev/null || break
  sleep 0.05
done
[ -n "$seen" ] || fail "the running step's secret file was never on the runtime tmpfs: $(cat "$T/during.out")"
no_secret "the store while its step runs" "$R"
wait $bp || fail "secret build (during): $(cat "$T/during.out")"
! grep -F -e "$S1" -e "$S2" "$T/during.out" >/dev/null || fail "secret in the build output"
no_secret "the runtime tmpfs after the step" /run/mini
# id only: taken from the environment variable of that name, else the file of that name.
printf 'FROM busybox\nRUN --mount=type=secret,id=IDVAR,required cat /run/secrets/IDVAR >/v\n' >"$C/Minifile"
IDVAR=from-env mini build -t secid --secret id=IDVAR "$C" >/dev/null 2>&1 || fail "--secret id=IDVAR from env"
expect_eq "$(in_image secid 'cat /v')" "from-env" "secret id from env var"
printf 'FROM busybox\nRUN --mount=type=secret,id=nope,required=true cat /run/secrets/nope\n' >"$C/Minifile"
build_fails secmissing "secret nope: not found"
build_fails secbadsrc "failed to stat $T/missing.txt" --secret "id=nope,src=$T/missing.txt"

# --- type=ssh: the agent socket forwarded, SSH_AUTH_SOCK set -------------------------------------
if command -v cc >/dev/null && command -v python3 >/dev/null; then
  mkdir -p "$C/tools"
  cat >"$T/sockcat.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
int main(void) {
  const char* p = getenv("SSH_AUTH_SOCK");
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  if (!p) return 2;
  strncpy(a.sun_path, p, sizeof a.sun_path - 1);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (connect(fd, (struct sockaddr*)&a, sizeof a) != 0) { perror("connect"); return 3; }
  char buf[256];
  ssize_t n = read(fd, buf, sizeof buf);
  if (n > 0) fwrite(buf, 1, n, stdout);
  return 0;
}
EOF
  cc -static -O -o "$C/tools/sockcat" "$T/sockcat.c"
  python3 -c '
import os, socket, sys
p = sys.argv[1]
s = socket.socket(socket.AF_UNIX); s.bind(p); s.listen(4)
open(p + ".ready", "w").close()
while True:
    c, _ = s.accept(); c.sendall(b"agent-ok\n"); c.close()
' "$T/agent.sock" &
agent=$!
on_exit "kill $agent 2>/dev/null || true"
for _ in $(seq 50); do [ -e "$T/agent.sock.ready" ] && break; sleep 0.1; done
  cat >"$C/Minifile" <<'EOF'
FROM busybox
RUN --mount=type=ssh --mount=type=bind,source=tools,target=/tools echo $SSH_AUTH_SOCK >/sock && /tools/sockcat >/reply
RUN --mount=type=ssh,id=other,target=/agent.sock,required --mount=type=bind,source=tools,target=/tools /tools/sockcat >/reply2
EOF
  SSH_AUTH_SOCK=$T/agent.sock build_ok ssh --ssh default --ssh "other=$T/agent.sock"
  expect_eq "$(in_image ssh 'cat /sock /reply /reply2')" "/run/buildkit/ssh_agent.0
agent-ok
agent-ok" "ssh agent forwarded"
  ! grep -E 'run/buildkit|agent\.sock' <<<"$(layer_files ssh)" >/dev/null || fail "ssh mount point in a layer"
  printf 'FROM busybox\nRUN --mount=type=ssh,id=other,required true\n' >"$C/Minifile"
  build_fails sshmissing 'no SSH key "other" forwarded from the client'
  echo key >"$T/id_ed25519"
  build_fails sshkey "is not a socket: mini forwards ssh agent sockets only" --ssh "default=$T/id_ed25519"
  kill $agent
else
  echo "SKIP ssh: no C compiler or python3"
fi

# --- RUN --security / --network ------------------------------------------------------------------
printf 'FROM busybox\nRUN --security=insecure grep CapEff /proc/self/status >/caps\n' >"$C/Minifile"
build_fails insecure "RUN --security=insecure is not allowed: build with \`mini build --allow security.insecure\`"
build_ok insecure --allow security.insecure
privcaps=$(mini run --rm --privileged busybox grep CapEff /proc/self/status)
expect_eq "$(in_image insecure 'cat /caps')" "$privcaps" "insecure step is privileged"
printf 'FROM busybox\nRUN --security=sandbox grep CapEff /proc/self/status >/caps\nRUN --network=none cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d " " >/ifs\n' >"$C/Minifile"
build_ok sandbox
[ "$(in_image sandbox 'cat /caps')" != "$privcaps" ] || fail "sandbox step privileged"
expect_eq "$(in_image sandbox 'cat /ifs')" "lo" "--network=none"
build_fails badallow "invalid entitlement: device" --allow device

# --- RUN heredocs --------------------------------------------------------------------------------
printf 'FROM busybox\nRUN <<EOF\necho probe >/probe\nEOF\n' >"$C/Minifile"
if ! probe=$(mini build -t probe "$C" 2>&1) && grep -E 'parse|unknown|heredoc|EOF' <<<"$probe" >/dev/null; then
  echo "SKIP heredocs: this branch's parser does not read them yet ($probe)"
else
  cat >"$C/Minifile" <<'MINIFILE'
FROM busybox
ENV WHO=world
RUN <<EOF
echo "hello $WHO" >/plain
echo second >>/plain
EOF
RUN <<EOF
#!/bin/sh
echo "script $0" >/shebang
EOF
RUN cat >/quoted <<'EOT'
$WHO stays
EOT
RUN cat >/expanded <<EOT
$WHO expands
EOT
RUN <<-EOF
	echo tabs >/chomp
	EOF
RUN cat <<A >/two && cat <<B >>/two
a-body
A
b-body
B
MINIFILE
  build_ok heredoc
  expect_eq "$(in_image heredoc 'cat /plain')" "hello world
second" "plain heredoc"
  expect_eq "$(in_image heredoc 'cat /shebang')" "script /dev/pipes/EOF" "shebang heredoc run as a script"
  expect_eq "$(in_image heredoc 'cat /quoted')" '$WHO stays' "quoted delimiter"
  expect_eq "$(in_image heredoc 'cat /expanded')" 'world expands' "unquoted delimiter"
  expect_eq "$(in_image heredoc 'cat /chomp')" "tabs" "<<- strips tabs"
  expect_eq "$(in_image heredoc 'cat /two')" "a-body
b-body" "two heredocs"
  mini history --no-trunc heredoc | grep -F 'echo second' >/dev/null || fail "heredoc body not in the history"
  ! grep -E '(^|/)dev/pipes' <<<"$(layer_files heredoc)" >/dev/null || fail "script file in a layer"
  # The body is part of the cache key.
  sed -i 's/echo second/echo changed/' "$C/Minifile"
  build_ok heredoc2
  expect_eq "$(in_image heredoc2 'cat /plain')" "hello world
changed" "changed heredoc body reruns the step"
fi
assert_clean end
echo "build_mounts: ok"
