#!/bin/bash
# Builds and runs every busybox-based Minifile example (the Debian-based multistage-c has its
# own test, build_example_c.sh, since it needs debootstrap and the mirror).
source "$SRC_DIR/tests/integration/lib.sh"
import_busybox busybox:latest
E=$SRC_DIR/Minifile-examples

mini build -q -t hello "$E/hello" >/dev/null || fail "build hello"
mini run --rm hello | grep '^hello from mini' >/dev/null || fail "run hello"

mini build -q -t static-hello "$E/static-hello" >/dev/null || fail "build static-hello"
expect_eq "$(mini run --rm static-hello)" "hello from scratch" "static-hello"
expect_eq "$(mini inspect static-hello | sed -n '/"Layers"/,/]/p' | grep -c sha256)" 1 "static-hello layers"

mini build -q -t shell-app --build-arg GREETING=hi "$E/shell-app" >/dev/null || fail "build shell-app"
expect_eq "$(mini run --rm shell-app)" "hi, world (uid 1000, port 8080, cwd /srv/app)" "shell-app"
insp=$(mini inspect shell-app)
for want in '"User": "1000:1000"' '"8080/tcp": {}' '"/srv/data": {}' '"StopSignal": "SIGTERM"' \
  '"Entrypoint": [' '"APP_GREETING=hi"' '"WorkingDir": "/srv/app"' '"version": "1.0"'; do
  echo "$insp" | grep -F "$want" >/dev/null || fail "shell-app config lacks $want"
done

mini build -q -t whiteouts "$E/whiteouts" >/dev/null || fail "build whiteouts"
expect_eq "$(mini run --rm whiteouts | tr '\n' ' ')" "/bin/vi deleted /etc/group deleted /home deleted " "whiteouts"

echo PASS
