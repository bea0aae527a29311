#!/usr/bin/env python3
"""Prints, as one SQL script, the queries of every rule in a directory that
makes its findings with ctx:flag_rows, with ctx.as_of and the rule's default
parameters written in as literals (a rule whose query takes a value computed
in Lua is left out, and named on stderr). bench.sh runs it through the sqlite3 CLI
to see how long SQLite alone takes for exactly the SQL those rules run.

    tests/bench/rules_sql.py rules 2022-10-03 > rules.sql
"""
import pathlib
import re
import sys


def params_of(text):
    m = re.search(r"params\s*=\s*\{([^}]*)\}", text)
    if not m:
        return {}
    # numbers as they are, booleans as SQLite's 1 and 0
    found = re.findall(r"(\w+)\s*=\s*([0-9.]+|true|false)", m.group(1))
    return {k: {"true": "1", "false": "0"}.get(v, v) for k, v in found}


def literal(arg, as_of, params):
    arg = arg.strip()
    if arg == "ctx.as_of":
        return "'%s'" % as_of
    m = re.fullmatch(r"ctx\.params\.(\w+)", arg)
    if m and m.group(1) in params:
        return params[m.group(1)]
    return None


def main():
    rules_dir, as_of = sys.argv[1], sys.argv[2]
    for path in sorted(pathlib.Path(rules_dir).glob("*.lua")):
        text = path.read_text()
        m = re.search(r"ctx:flag_rows\(\[\[(.*?)\]\]\s*,?([^)]*)\)", text, re.S)
        if not m:
            continue
        sql, args = m.group(1), [a for a in m.group(2).split(",") if a.strip()]
        values = [literal(a, as_of, params_of(text)) for a in args]
        if None in values:
            # an argument computed in Lua (ctx:latest(...)): not plain SQL
            sys.stderr.write("rules_sql.py: %s left out: an argument is computed in Lua\n"
                             % path.stem)
            continue
        # numbered ?N first, then bare ? in order
        sql = re.sub(r"\?(\d+)", lambda n: values[int(n.group(1)) - 1], sql)
        bare = iter(values)
        sql = re.sub(r"\?", lambda _: next(bare), sql)
        print("-- %s" % path.stem)
        print(sql.strip() + ";")


main()
