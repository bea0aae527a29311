"""The standard rules over audit_actions, done the way an analyst might with
pandas: read the CSV export, compute the same exception list, write it as
CSV. For the benchmark only (python3-pandas from Debian); not part of assure.

    python3 pandas_checks.py audit_actions.csv 2022-10-03 out.csv

Prints "rule count" for each rule on stdout and the phase times on stderr:
"pandas: version V load S check S" (load: the CSV read and typed; check:
the rules and the list written).
"""
import sys
import time

import pandas as pd

src, as_of, out = sys.argv[1], pd.Timestamp(sys.argv[2]), sys.argv[3]
t0 = time.perf_counter()
a = pd.read_csv(src, dtype=str, keep_default_na=False, na_values=[""])
for col in ["Agreed on", "Original due", "Current due", "Implemented on", "Verified on"]:
    a[col] = pd.to_datetime(a[col], format="%Y-%m-%d", errors="raise")
a["Extensions"] = pd.to_numeric(a["Extensions"])
t1 = time.perf_counter()
# open as the model computes it: no status (and no position column) is open
open_ = a["Status"].isin(["not started", "in progress"]) | a["Status"].isna()
due = a["Current due"].fillna(a["Original due"])
found, rules = [], []


def flag(rule, mask, message):
    rows = a[mask]
    rules.append(rule)
    found.append(pd.DataFrame({"rule": rule, "subject": rows["Action ID"],
                               "message": message(rows), "owner": rows["Owner"]}))


flag("overdue-actions", open_ & (a["Priority"] != "high") & (due < as_of),
     lambda r: r["Description"] + ": overdue")
flag("high-priority-overdue", open_ & (a["Priority"] == "high") & (due < as_of),
     lambda r: r["Description"] + ": high priority, overdue")
flag("overdue-against-original",
     open_ & (a["Original due"] < as_of) & (a["Current due"] >= as_of),
     lambda r: r["Description"] + ": past its original due date")
flag("repeated-extensions", open_ & (a["Extensions"].fillna(0) >= 2),
     lambda r: r["Description"] + ": extended repeatedly")
flag("long-outstanding-actions",
     open_ & (a["Original due"] < as_of - pd.Timedelta(days=365)),
     lambda r: r["Description"] + ": long outstanding")
flag("implemented-unverified",
     (a["Status"] == "implemented awaiting verification")
     & (a["Implemented on"].fillna(due) < as_of - pd.Timedelta(days=90)),
     lambda r: r["Description"] + ": implemented, not verified")
flag("action-without-owner-or-date", open_ & (a["Owner"].isna() | due.isna()),
     lambda r: r["Description"] + ": no owner or date")
result = pd.concat(found).sort_values(["rule", "subject"])
result.to_csv(out, index=False)
t2 = time.perf_counter()
for rule, rows in zip(rules, found):
    print(rule, len(rows))
sys.stderr.write("pandas: version %s load %.3f check %.3f\n" % (pd.__version__, t1 - t0, t2 - t1))
