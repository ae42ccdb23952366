#!/usr/bin/env python3
"""Prints an image's file tree from a docker-archive (docker save / mini save) for comparisons.

Usage: tree_of.py ARCHIVE.tar [--layers]
Without --layers: the flattened tree (layers applied in order, .wh. whiteouts and opaque
markers honoured), one line per entry: path type mode uid:gid size link-target.
With --layers: the same lines per non-empty layer, headed by "== layer N".
Directory sizes and all mtimes are left out (they legitimately differ between builders).
"""
import json
import sys
import tarfile


def entry_line(path, m):
    kind = {tarfile.DIRTYPE: "d", tarfile.SYMTYPE: "l", tarfile.LNKTYPE: "h", tarfile.CHRTYPE: "c",
            tarfile.BLKTYPE: "b", tarfile.FIFOTYPE: "p"}.get(m.type, "f")
    size = "-" if kind in "dlh" else str(m.size)
    link = m.linkname if kind in "lh" else ""
    return f"{path} {kind} {m.mode & 0o7777:o} {m.uid}:{m.gid} {size} {link}".rstrip()


def layer_entries(outer, name):
    with outer.extractfile(name) as f, tarfile.open(fileobj=f, mode="r:*") as t:
        out = []
        for m in t.getmembers():
            name = m.name[2:] if m.name.startswith("./") else m.name
            out.append((name.strip("/") if name != "." else "", m))
        return out


def main():
    arch = sys.argv[1]
    per_layer = "--layers" in sys.argv[2:]
    with tarfile.open(arch) as outer:
        manifest = json.load(outer.extractfile("manifest.json"))
        layers = manifest[0]["Layers"]
        tree = {}
        n = 0
        for name in layers:
            entries = layer_entries(outer, name)
            if per_layer:
                lines = [entry_line(p, m) for p, m in entries if p]
                if lines:
                    print(f"== layer {n}")
                    print("\n".join(sorted(lines)))
                    n += 1
                continue
            # Whiteouts and opaque markers hide what the lower layers hold, then the entries land.
            for p, m in entries:
                base = p.rsplit("/", 1)[-1]
                parent = p[: len(p) - len(base)].rstrip("/")
                if base == ".wh..wh..opq":
                    for k in [k for k in tree if not parent or k.startswith(parent + "/")]:
                        del tree[k]
                elif base.startswith(".wh."):
                    gone = (parent + "/" if parent else "") + base[4:]
                    for k in [k for k in tree if k == gone or k.startswith(gone + "/")]:
                        del tree[k]
            for p, m in entries:
                base = p.rsplit("/", 1)[-1]
                if not p or base.startswith(".wh."):
                    continue
                if m.type != tarfile.DIRTYPE:
                    for k in [k for k in tree if k.startswith(p + "/")]:
                        del tree[k]
                tree[p] = m
        if not per_layer:
            for p in sorted(tree):
                print(entry_line(p, tree[p]))


main()
