#!/usr/bin/env python3
"""config_of.py ARCHIVE: the image config fields the build conformance tests compare (a
`docker save`-shaped archive, first image), one per line; unset and empty values print as null."""
import json
import sys
import tarfile

with tarfile.open(sys.argv[1]) as t:
    m = json.load(t.extractfile("manifest.json"))
    c = json.load(t.extractfile(m[0]["Config"])).get("config") or {}
for k in ["Env", "Cmd", "Entrypoint", "WorkingDir", "User", "Labels", "ExposedPorts", "Volumes",
          "StopSignal", "Healthcheck", "Shell", "OnBuild"]:
    v = c.get(k)
    if v in (None, "", [], {}):
        v = None
    print(k, json.dumps(v, sort_keys=True))
