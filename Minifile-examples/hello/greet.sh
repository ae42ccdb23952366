#!/bin/sh
echo "$GREETING ($(uname -s), pid $$, host $(hostname))"
