#!/usr/bin/env python3
"""Deterministic inputs of a given size for tests/bench/inputs_bench.sh.

    gen_inputs.py KIND BYTES OUT

KIND is one of
  map-areas   a valid map: units (a tree), areas, sources naming two areas each
  map-dupkeys a map whose one mapping repeats the same key (every one an error)
  csv         rows of the test map's 'actions' dataset (fixtures/test/map.yaml)
  csv-commas  its header, then one line of commas (a record of millions of fields)
  csv-field   its header, then one quoted field of that many bytes
  json-line   the test map's 'engagements' as one JSON array on one line
  json-lines  the same, one object per line
  test        a rule test file for fixtures/test/rules/high-actions.lua: one
              case whose inline data holds the rows (all low priority, so the
              case expects no finding and passes)
  test-expects  the same rule: one case of up to 9000 high-priority rows (the
              rule flags each; its budget is 10000 findings), expecting each
              finding, then expecting findings no row makes, to the size asked
              (the case fails: every extra one is missing)
Writes until OUT holds at least BYTES bytes (stopping short of the 8 MiB map
limit for the YAML kinds). The same arguments always give the same file.
"""
import sys

YAML_LIMIT = 8 << 20


def areas_map(out, size):
    # 1 unit for every 4 areas and 4 sources; n scaled from a first try, then
    # shrunk until the file fits both the size asked for and the map limit
    cap = min(size, YAML_LIMIT)
    n = max(1, int(100 * cap / len(build_areas(100))))
    text = build_areas(n)
    while len(text) > cap and n > 1:
        n = max(1, int(n * 0.995))
        text = build_areas(n)
    out.write(text)


def build_areas(n):
    parts = ["assure: 1\norganisation: {name: Bench Constabulary}\nunits:\n"]
    for u in range(n):
        parent = f", parent: u{(u - 1) // 2}" if u else ""
        parts.append(f"  - {{id: u{u}, name: Unit {u}{parent}}}\n")
    parts.append("areas:\n")
    for a in range(4 * n):
        parts.append(f"  - {{id: a{a}, title: Area {a}, principle: {'ABCDEFG'[a % 7]}, "
                     f"unit: u{a // 4}, owner: Owner {a % 97}, required_lines: [L1, L2]}}\n")
    parts.append("sources:\n")
    for s in range(4 * n):
        parts.append(f"  - {{id: s{s}, title: Source {s}, line: L{1 + s % 3}, "
                     f"areas: [a{s}, a{(s * 7 + 1) % (4 * n)}]}}\n")
    return "".join(parts)


def dupkeys_map(out, size):
    size = min(size, YAML_LIMIT - 64)
    head = "assure: 1\norganisation: {name: Duplicates}\nparams:\n  some-rule:\n"
    out.write(head)
    written = len(head)
    i = 0
    while written < size:
        line = f"    key: {i}\n"
        if written + len(line) > YAML_LIMIT:
            break
        out.write(line)
        written += len(line)
        i += 1


def csv_rows(out, size):
    out.write("Action ID,Area,Priority,Due,Revised,Extensions,Cost,Verified,Note\n")
    written, i, seed = 0, 0, 12345
    areas, prio = ("vetting", "data_quality"), ("high", "medium", "low")
    buf = []
    while written < size:
        i += 1
        seed = (seed * 1103515245 + 12345) % 2147483648
        r = seed // 65536
        y, m, d = 2019 + r % 6, 1 + (r // 7) % 12, 1 + (r // 91) % 28
        rev = f"{1 + (r // 13) % 28:02d}/{1 + (r // 17) % 12:02d}/{y + 1:04d}" if r % 3 == 0 else ""
        note = f'"Follow-up, see report {r % 1000}"' if r % 5 == 0 else "routine check"
        line = (f"A-{i:08d},{areas[r % 2]},{prio[(r // 3) % 3]},{y:04d}-{m:02d}-{d:02d},{rev},"
                f"{r % 4},{r % 5000}.{r % 100:02d},{('yes', 'no')[r % 2]},{note}\n")
        buf.append(line)
        written += len(line)
        if len(buf) == 10000:
            out.write("".join(buf))
            buf = []
    out.write("".join(buf))


def csv_hostile(out, size, kind):
    head = "Action ID,Area,Priority,Due\n"
    out.write(head + ('"' if kind == "field" else ""))
    block = ("," if kind == "commas" else "x") * (1 << 20)
    left = size - len(head) - 2
    while left > 0:
        out.write(block[:left])
        left -= len(block)
    out.write('"\n' if kind == "field" else "\n")


def json_objects(out, size, lines):
    sep = ",\n" if lines else ","
    out.write("[\n" if lines else "[")
    written, i = 2, 0
    opinions = ('"Substantial"', '"Adequate"', '"Limited"', '"No"', "null")
    buf = []
    while written < size:
        obj = (f'{{"engagement_id": "E-{i}", "area": "{("vetting", "data_quality")[i % 2]}", '
               f'"opinion": {opinions[i % 5]}, "final_report": "20{20 + i % 5}-0{1 + i % 9}-1{i % 10}"}}')
        piece = (sep if i else "") + obj
        buf.append(piece)
        written += len(piece)
        i += 1
        if len(buf) == 10000:
            out.write("".join(buf))
            buf = []
    out.write("".join(buf))
    out.write("\n]\n" if lines else "]")


def test_file(out, size):
    size = min(size, YAML_LIMIT - 64)
    head = ("rule: high-actions\ncases:\n  - name: many rows, none of high priority\n"
            "    as_of: 2022-10-03\n    expect: []\n    data:\n      actions:\n")
    out.write(head)
    written, i = len(head), 0
    while written < size:
        i += 1
        line = (f"        - {{action_id: A-{i:08d}, area: {('vetting', 'data_quality')[i % 2]}, "
                f"priority: {('low', 'medium')[i % 2]}, due: 2022-0{1 + i % 9}-1{i % 10}, "
                f"note: row {i}}}\n")
        if written + len(line) > YAML_LIMIT:
            break
        out.write(line)
        written += len(line)


def test_expects(out, size):
    size = min(size, YAML_LIMIT - 64)
    rows = max(1, min(9000, int(size * 0.8) // 140))
    parts = ["rule: high-actions\ncases:\n  - name: every row flagged\n    as_of: 2022-10-03\n"
             "    data:\n      actions:\n"]
    for i in range(rows):
        parts.append(f"        - {{action_id: A-{i:08d}, area: vetting, priority: high, "
                     f"due: 2022-01-01}}\n")
    parts.append("    expect:\n")
    for i in reversed(range(rows)):
        parts.append(f"      - {{subject: A-{i:08d}, severity: medium}}\n")
    text = "".join(parts)
    out.write(text)
    written, i = len(text), 0
    while written < size or i == 0:
        line = f"      - {{subject: B-{i:08d}, message: never}}\n"
        if written + len(line) > YAML_LIMIT:
            break
        out.write(line)
        written += len(line)
        i += 1


def main():
    kind, size, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with open(path, "w") as out:
        if kind == "map-areas":
            areas_map(out, size)
        elif kind == "map-dupkeys":
            dupkeys_map(out, size)
        elif kind == "csv":
            csv_rows(out, size)
        elif kind == "csv-commas":
            csv_hostile(out, size, "commas")
        elif kind == "csv-field":
            csv_hostile(out, size, "field")
        elif kind == "json-line":
            json_objects(out, size, False)
        elif kind == "json-lines":
            json_objects(out, size, True)
        elif kind == "test":
            test_file(out, size)
        elif kind == "test-expects":
            test_expects(out, size)
        else:
            sys.exit(f"gen_inputs.py: unknown kind {kind}")


main()
