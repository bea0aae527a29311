#!/usr/bin/python3
"""Findings per rule, for the benchmark's check that every tool it compares
did the same work (a comparison of different work is worthless).

    rule_counts.py csv LIST.csv            "rule count" per rule of an exception
                                           list (assure's, DuckDB's or pandas's
                                           CSV: a "rule" column; a BOM is fine)
    rule_counts.py sql checks.sql          checks.sql rewritten so that the
                                           sqlite3 CLI prints "rule|count" for
                                           each of its queries
    rule_counts.py rules checks.sql        the rule ids of checks.sql, one a line
    rule_counts.py compare RULES NAME=FILE...
                                           the counts files (of "rule count"
                                           lines, any separator of space or |)
                                           side by side for the rules in RULES
                                           (a file of ids); prints "counts
                                           identical" and exits 0, or the
                                           differences and exits 1
"""
import csv
import re
import sys
from collections import Counter


def queries(path):
    """(rule id, query) for each "-- id" comment and the statement after it."""
    out, rule, body = [], None, []
    for line in open(path, encoding="utf-8"):
        m = re.fullmatch(r"-- ([a-z0-9-]+)\s*", line)
        if m and not body:
            rule = m.group(1)
            continue
        if rule is None or line.startswith("--") or line.startswith("."):
            continue
        body.append(line.rstrip("\n"))
        if line.rstrip().endswith(";"):
            out.append((rule, "\n".join(body).rstrip().rstrip(";")))
            rule, body = None, []
    return out


def read_counts(path):
    counts = {}
    for line in open(path, encoding="utf-8"):
        parts = re.split(r"[ |]+", line.strip())
        if len(parts) == 2 and parts[1].isdigit():
            counts[parts[0]] = int(parts[1])
    return counts


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    verb = sys.argv[1]
    if verb == "csv":
        with open(sys.argv[2], encoding="utf-8-sig", newline="") as f:
            for rule, n in sorted(Counter(r["rule"] for r in csv.DictReader(f)).items()):
                print(rule, n)
    elif verb == "sql":
        for line in open(sys.argv[2], encoding="utf-8"):
            if line.startswith(".parameter"):
                print(line, end="")
        for rule, q in queries(sys.argv[2]):
            print("SELECT '%s', count(*) FROM (%s);" % (rule, q))
    elif verb == "rules":
        for rule, _ in queries(sys.argv[2]):
            print(rule)
    elif verb == "compare":
        rules = [r.strip() for r in open(sys.argv[2], encoding="utf-8") if r.strip()]
        names, tables = [], []
        for arg in sys.argv[3:]:
            name, _, path = arg.partition("=")
            names.append(name)
            tables.append(read_counts(path))
        width = max(len(r) for r in rules)
        print("  %-*s %s" % (width, "rule", " ".join("%10s" % n for n in names)))
        differ = False
        for r in rules:
            row = [t.get(r) for t in tables]
            same = len(set(row)) == 1 and row[0] is not None
            differ |= not same
            print("  %-*s %s%s" % (width, r, " ".join("%10s" % ("-" if v is None else v)
                                                       for v in row), "" if same else "  DIFFERS"))
        print("  counts differ: the tools did not do the same work" if differ
              else "  counts identical")
        sys.exit(1 if differ else 0)
    else:
        sys.exit(__doc__)


main()
