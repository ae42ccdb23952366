#!/bin/sh
echo "$APP_GREETING, $1 (uid $(id -u), port $APP_PORT, cwd $(pwd))"
