#!/usr/bin/env python3
"""Sums callgrind profiles by library and by function, for the benchmarks.

    cgsum.py [--top N] NAME=FILE[,FILE...] [NAME=FILE[,FILE...] ...]

Each NAME is a column: the self cost (instructions executed in the function
itself, not in what it calls) of every function in its FILEs, added up. The
first table puts each function under the library it is in (SQLite, Lua,
libc, the dynamic linker, assure's own code...), one row per library and one
column per NAME, in millions of instructions; the second lists the N
functions that cost the most in each column. Reads callgrind's own file
format (valgrind --tool=callgrind --callgrind-out-file=...), so it needs
nothing but Python. Used by tests/bench/check_profile.sh and
latency_profile.sh.
"""

import argparse
import collections
import os
import re
import sys

# callgrind's name kinds, and which of them share one table of compressed ids
KIND = {"ob": "ob", "cob": "ob", "fl": "fl", "fi": "fl", "fe": "fl", "cfi": "fl",
        "cfl": "fl", "fn": "fn", "cfn": "fn"}
NAMED = re.compile(r"^\((\d+)\)(?: (.*))?$")

# the library a function's object file belongs to, by a part of its name
LIBRARIES = [
    ("libsqlite3", "SQLite"),
    ("liblua", "Lua"),
    ("libyaml", "YAML parser"),
    ("libseccomp", "seccomp (the worker's filter)"),
    ("ld-linux", "dynamic linker"),
    ("libc.so", "libc (allocator, strings, stdio)"),
    ("libm.so", "libc (allocator, strings, stdio)"),
    ("libz", "compression"),
    ("libzip", "compression"),
    ("libexpat", "XML parser"),
    ("libxlsxwriter", "Excel writer"),
    ("libnettle", "hashing"),
    ("libcrypto", "hashing"),
]


def library(obj):
    base = os.path.basename(obj)
    for part, name in LIBRARIES:
        if part in base:
            return name
    if base == "assure":
        return "assure's own code"
    return base or "unknown"


def parse(path):
    """Self cost by (object, function) and the file's total, from one file."""
    names = {"ob": {}, "fl": {}, "fn": {}}
    cost = collections.Counter()
    obj = fn = "?"
    skip = False
    total = summary = None
    npos = 1  # how many position columns come before the cost ("positions:")
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line[0] == "#":
                continue
            c = line[0]
            if c.isdigit() or c in "+-*":
                if skip:  # the inclusive cost of a call: not this function's own
                    skip = False
                    continue
                parts = line.split()
                if len(parts) > npos:
                    cost[(obj, fn)] += int(parts[npos])
                continue
            key, _, val = line.partition("=")
            if key in KIND:
                m = NAMED.match(val)
                table = names[KIND[key]]
                if m:
                    if m.group(2) is not None:
                        table[m.group(1)] = m.group(2)
                    name = table.get(m.group(1), "?")
                else:
                    name = val
                if key == "ob":
                    obj = name
                elif key == "fn":
                    fn = name
            elif key == "calls":
                skip = True
            elif line.startswith("positions:"):
                npos = len(line.split()) - 1
            elif line.startswith("totals:"):
                # one line a part; a file dumped in several parts has several
                total = (total or 0) + int(line.split()[1])
            elif line.startswith("summary:"):
                summary = int(line.split()[1])
    if total is None:
        total = summary
    return cost, total


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--top", type=int, default=8)
    ap.add_argument("columns", nargs="+", metavar="NAME=FILE[,FILE...]")
    args = ap.parse_args()
    cols = []
    for spec in args.columns:
        name, _, files = spec.partition("=")
        files = [f for f in files.split(",") if f]
        if not files:
            sys.exit(f"cgsum: {name}: no profile files")
        cost = collections.Counter()
        total = 0
        for path in files:
            c, t = parse(path)
            cost.update(c)
            s = sum(c.values())
            if t is not None and t != s:
                print(f"cgsum: {path}: functions add up to {s:,}, its total says {t:,}",
                      file=sys.stderr)
            total += s
        if not total:
            # a profile that counted nothing would print zeros as if they were figures
            sys.exit(f"cgsum: {name}: no instructions were collected in {len(files)} file(s)")
        cols.append((name, len(files), cost, total))

    def mi(n):
        return f"{n / 1e6:.1f}"

    by_lib = []
    for _, _, cost, _ in cols:
        lib = collections.Counter()
        for (obj, _fn), n in cost.items():
            lib[library(obj)] += n
        by_lib.append(lib)
    # libraries under 0.5% of every column are put together
    totals = [t for _, _, _, t in cols]
    small = {k for k in set().union(*by_lib)
             if all(b[k] < 0.005 * t for b, t in zip(by_lib, totals) if t)}
    for b in by_lib:
        rest = sum(b.pop(k, 0) for k in small)
        if len(small) > 0:
            b["others (each under 0.5%)"] = rest
    libs = sorted(set().union(*by_lib),
                  key=lambda k: (k.startswith("others"), -sum(b[k] for b in by_lib)))
    w = max([len("instructions, millions")] + [len(k) for k in libs])
    head = [f"{n} ({p} process{'es' if p != 1 else ''})" for n, p, _, _ in cols]
    cw = [max(12, len(h)) for h in head]
    print(f"{'instructions, millions':<{w}}  " + "  ".join(f"{h:>{c}}" for h, c in zip(head, cw)))
    for k in libs:
        print(f"{k:<{w}}  " + "  ".join(f"{mi(b[k]):>{c}}" for b, c in zip(by_lib, cw)))
    print(f"{'all':<{w}}  " + "  ".join(f"{mi(t):>{c}}" for (_, _, _, t), c in zip(cols, cw)))
    for name, _, cost, total in cols:
        # a recursive function's levels (sqlite3Parser'2) count as the function
        merged = collections.Counter()
        for (obj, fn), n in cost.items():
            merged[(obj, re.sub(r"'\d+$", "", fn))] += n
        print(f"\nthe {args.top} functions that cost {name} the most (own instructions):")
        for (obj, fn), n in merged.most_common(args.top):
            print(f"  {mi(n):>8} M  {100 * n / total:5.1f}%  {fn}  [{library(obj)}]")


if __name__ == "__main__":
    main()
