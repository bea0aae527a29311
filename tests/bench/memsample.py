#!/usr/bin/python3
"""Peak memory of a command and the processes it starts (assure's rule
workers), sampled from /proc every 20 ms: for the bench only.

    memsample.py OUT -- command...

Runs the command under GNU time and writes one line to OUT:
    time_kib  sum_rss_kib  sum_pss_kib  parent_rss_kib  worker_rss_kib  exit_code
time_kib is GNU time's %M (the largest single process's peak RSS, exact);
the others are the largest values seen in the samples: RSS and PSS
(/proc/PID/smaps_rollup, shared pages divided among the processes that map
them) summed over the command and its workers at one moment, the command's
own RSS, and the largest worker's. Samples can miss a peak shorter than the
interval; time_kib cannot.
"""
import os
import subprocess
import sys
import tempfile
import time


def children():
    """pid -> parent pid, for every process."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                s = f.read()
            out[int(d)] = int(s[s.rindex(")") + 2:].split()[1])
        except (OSError, ValueError):
            pass
    return out


def rollup(pid):
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def main():
    out = sys.argv[1]
    cmd = sys.argv[3:]
    tfile = tempfile.NamedTemporaryFile(delete=False)
    tfile.close()
    p = subprocess.Popen(["/usr/bin/time", "-q", "-f", "%M", "-o", tfile.name] + cmd,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = [0, 0, 0, 0]
    while p.poll() is None:
        tree = children()
        # the command is GNU time's child; its workers are the command's
        top = [c for c, pp in tree.items() if pp == p.pid]
        if top:
            root = top[0]
            seen, todo = [], [root]
            while todo:
                x = todo.pop()
                seen.append(x)
                todo.extend(c for c, pp in tree.items() if pp == x)
            rss = pss = 0
            worker = 0
            for x in seen:
                r, s = rollup(x)
                rss += r
                pss += s
                if x != root:
                    worker = max(worker, r)
            parent = rollup(root)[0]
            peak = [max(peak[0], rss), max(peak[1], pss), max(peak[2], parent),
                    max(peak[3], worker)]
        time.sleep(0.02)
    err = p.stderr.read().decode(errors="replace")
    rc = p.returncode
    with open(tfile.name) as f:
        lines = f.read().split()
    os.unlink(tfile.name)
    tkib = lines[-1] if lines and lines[-1].isdigit() else "0"
    if rc > 1:
        sys.stderr.write(err)
    with open(out, "w") as f:
        f.write(f"{tkib} {peak[0]} {peak[1]} {peak[2]} {peak[3]} {rc}\n")


if __name__ == "__main__":
    main()
