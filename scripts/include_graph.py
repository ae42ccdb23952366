#!/usr/bin/env python3
"""Checks the #include "..." graph of src/: no include cycles between files, and every
module includes only the modules the architecture allows (README, "Modules").

A file's module is its first directory under src/ (src/run/launch/x.h is in run). An
include of a.h counts as a dependency of the pair a.h/a.cc, so a cycle is found between
concepts (a.cc includes b.h, b.cc includes a.h), not only between headers.

Usage: scripts/include_graph.py [SRC_DIR]   (default: src next to this script)
       scripts/include_graph.py --dot        prints the module-level graph for graphviz
Exits 1 on a cycle or a forbidden module edge, listing each.
"""
import os
import re
import sys

# Module -> the modules it may include (besides itself). lazylib is C glue, no includes.
ALLOWED = {
    "common": set(),
    "store": {"common"},
    "registry": {"common", "store"},
    "net": {"common", "store"},
    "run": {"common", "store", "net"},
    "build": {"common", "store", "registry", "run"},
    "cli": {"common", "store", "registry", "net", "run", "build"},
    "lazylib": set(),
    "": {"common", "store", "registry", "net", "run", "build", "cli"},  # src/main.cc
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def module_of(rel):
    parts = rel.split("/")
    return parts[0] if len(parts) > 1 else ""


def concept_of(rel):
    """a.h and a.cc are one node: the include cycle that matters is between concepts. A private
    a_internal.h (the parts of a.cc that its tests also see) belongs to the same node."""
    stem = os.path.splitext(rel)[0]
    return stem[: -len("_internal")] if stem.endswith("_internal") else stem


def scan(src):
    edges = {}  # concept -> {concept: (file, line)}
    modules = []  # (from file, line, included, from module, to module)
    for root, _, files in os.walk(src):
        for name in sorted(files):
            if not name.endswith((".h", ".cc", ".c")):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, src)
            text = open(path, encoding="utf-8").read()
            node = concept_of(rel)
            edges.setdefault(node, {})
            for m in INCLUDE.finditer(text):
                inc = m.group(1)
                line = text.count("\n", 0, m.start()) + 1
                if not os.path.exists(os.path.join(src, inc)):
                    continue  # a system or third-party header spelled with quotes
                target = concept_of(inc)
                if target != node:
                    edges[node].setdefault(target, (rel, line))
                modules.append((rel, line, inc, module_of(rel), module_of(inc)))
    return edges, modules


def strongly_connected(edges):
    """Tarjan's algorithm, iterative; returns components with more than one node."""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    counter = [0]
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, {}))))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, it = work[-1]
            advanced = False
            for nxt in it:
                if nxt not in index:
                    index[nxt] = low[nxt] = counter[0]
                    counter[0] += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(edges.get(nxt, {})))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    n = stack.pop()
                    on_stack.discard(n)
                    comp.append(n)
                    if n == node:
                        break
                if len(comp) > 1:
                    out.append(sorted(comp))
    return out


def main(argv):
    here = os.path.dirname(os.path.abspath(__file__))
    args = [a for a in argv[1:] if not a.startswith("--")]
    src = args[0] if args else os.path.join(here, "..", "src")
    edges, modules = scan(src)

    if "--dot" in argv:
        pairs = sorted({(f, t) for _, _, _, f, t in modules if f != t})
        print("digraph modules {")
        for f, t in pairs:
            print(f'  "{f or "main"}" -> "{t}";')
        print("}")
        return 0

    failed = False
    for comp in strongly_connected(edges):
        failed = True
        members = set(comp)
        print(f"include cycle between {len(comp)} files:")
        for node in comp:
            for target, (rel, line) in sorted(edges[node].items()):
                if target in members:
                    print(f"  {rel}:{line} includes {target}.h")
    for rel, line, inc, frm, to in modules:
        if frm != to and to not in ALLOWED.get(frm, set()):
            failed = True
            print(f"forbidden module edge {frm} -> {to}: {rel}:{line} includes {inc}")
    nodes = len(edges)
    nedges = sum(len(v) for v in edges.values())
    if failed:
        return 1
    print(f"include graph OK: {nodes} files (.h/.cc pairs), {nedges} edges, no cycle, "
          "module edges within the allowed graph")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
