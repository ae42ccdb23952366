#!/usr/bin/env python3
"""Writes the benchmarks' node_modules-like tree into DIR: 100,000 small files (20-800 bytes)
in 100 directories. pull_push.sh IMAGE=small pulls it as one layer; commit.sh FILES=small has
a container write it."""
import os
import sys

for d in range(100):
    p = os.path.join(sys.argv[1], "pkg%03d" % d)
    os.makedirs(p)
    for f in range(1000):
        with open(os.path.join(p, "f%04d.js" % f), "w") as fh:
            fh.write(("module.exports = %d;\n" % (d * 1000 + f)) * (1 + (f * 7) % 40))
