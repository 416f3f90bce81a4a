#!/usr/bin/env python3
"""check_layers.py - the one direction of firmware/src's dependencies.

The folders of firmware/src are ordered, lowest first, by SRC_DIRS in the
Makefile (docs/architecture.md says what each owns). A file may include
headers of its own folder and of the folders before it, never of one after
it; and no two modules include each other, directly or around a longer
circle (a module is a .c and its .h: web_auth.c and web_auth.h). Prints
every break as "file: reason" and exits 1 when there is one; prints the
module graph's size otherwise.
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
SRC = os.path.join(ROOT, 'firmware', 'src')
DRIVERS = os.path.join(ROOT, 'drivers')


def real(key):
    """The file of a key: 'drivers/...' at the top of the tree (opened
    before the privilege drop), every other folder below firmware/src."""
    return os.path.join(ROOT if key.startswith('drivers/') else SRC, key)


def folder_order():
    text = open(os.path.join(ROOT, 'Makefile')).read().replace('\\\n', ' ')
    m = re.search(r'^SRC_DIRS\s*:=\s*(.*)$', text, re.M)
    if not m:
        sys.exit('check_layers: no SRC_DIRS in the Makefile')
    return m.group(1).split()


def main():
    order = folder_order()
    rank = {d: i for i, d in enumerate(order)}
    problems = []
    files = {}           # path below firmware/src (or drivers/...) -> its includes, resolved
    walks = [(root, names, os.path.relpath(root, SRC)) for root, _, names in os.walk(SRC)]
    walks += [(root, names, os.path.relpath(root, ROOT)) for root, _, names in os.walk(DRIVERS)]
    for root, names, reldir in walks:
        for n in sorted(names):
            if not n.endswith(('.c', '.h')):
                continue
            rel = os.path.normpath(os.path.join(reldir, n))
            here = os.path.dirname(rel)
            if here not in rank:
                problems.append(f'{rel}: folder {here or "."} is not in the Makefile\'s SRC_DIRS')
                continue
            incs = []
            for lineno, line in enumerate(open(os.path.join(root, n)), 1):
                m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                if not m:
                    continue
                name = m.group(1)
                local = os.path.normpath(os.path.join(here, name))
                if os.path.exists(real(local)):
                    target = local
                elif os.path.exists(real(os.path.normpath(name))):
                    target = os.path.normpath(name)
                else:
                    problems.append(f'{rel}:{lineno}: "{name}" is not below firmware/src')
                    continue
                there = os.path.dirname(target)
                if there != here and '/' not in name:
                    problems.append(f'{rel}:{lineno}: "{name}" is in {there}/: name its folder')
                if rank.get(there, -1) > rank[here]:
                    problems.append(f'{rel}:{lineno}: {here}/ includes {target}, which is above it '
                                    f'({" < ".join(order)})')
                incs.append(target)
            files[rel] = incs

    # modules: a.c and a.h are one
    def module(path):
        return os.path.splitext(path)[0]
    graph = {}
    for f, incs in files.items():
        g = graph.setdefault(module(f), set())
        for t in incs:
            if module(t) != module(f):
                g.add(module(t))
    # circles: strongly connected components of more than one module (Tarjan)
    index, low, stack, on, sccs = {}, {}, [], set(), []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    for comp in sccs:
        problems.append('include circle: ' + ' <-> '.join(comp))

    for p in problems:
        print(p)
    if problems:
        print(f'layers: {len(problems)} problem(s)')
        return 1
    edges = sum(len(v) for v in graph.values())
    print(f'layers: {len(graph)} modules in {len(order)} folders, {edges} includes, '
          'all downward, no circle')
    return 0


if __name__ == '__main__':
    sys.exit(main())
