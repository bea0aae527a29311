#!/usr/bin/python3
"""Builds docs/performance.md from its template and the benchmarks' output,
so that the figures in it are the bench's own, copied verbatim, never typed.

    tests/bench/perfdoc.py [--out DIR] [--template FILE] [--note TEXT] [DOC]

DOC defaults to docs/performance.md, DIR to out/, FILE to
tests/bench/performance.md.in. In the template:

    @@generated@@                 the line saying the file is generated
    @@out NAME COMMAND@@          DIR/NAME.txt: when, how, where and at what
                                  load it was measured, then the file as it
                                  is; "not measured yet: run COMMAND" if absent
    @@others@@                    every other DIR/*.txt, the same way
    @@chart growth@@              a picture of bench-results.txt's GROWTH table
                                  (performance-growth.svg beside DOC)

--note TEXT is put, in bold, at the head of every measured section (e.g.
"a smoke run on a busy machine"). A section whose file has a load WARNING
says so at its head. Run from anywhere; paths are the checkout's.
"""
import argparse
import math
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]


def busy_kind(text):
    """What a bench's output says of the machine (benchlib's WARNINGs): "busy"
    (other processes kept the CPUs busy), "maybe" (an older bench's warning
    on the load average alone, which counts the bench's own processes), or
    None."""
    if "WARNING: other processes" in text:
        return "busy"
    if "WARNING: load" in text or "WARNING: the 1-minute load" in text:
        return "maybe"
    return None


def header_of(text):
    """The measured:/command:/machine:/load at start lines of a bench's output."""
    h = {}
    for line in text.splitlines()[:12]:
        m = re.match(r"(measured|command|machine|load at start)[^:]*: (.*)", line)
        if m and m.group(1) not in h:
            h[m.group(1)] = m.group(2).strip()
    return h


def section(path, command, note):
    rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    if not path.exists():
        return "*Not measured yet: run `%s` (it writes `%s`).*\n" % (command, rel)
    text = path.read_text(encoding="utf-8", errors="replace").rstrip("\n")
    # verbatim, but for this machine's path to the checkout (a bench run
    # with ASSURE or OLD pointing into it)
    text = text.replace(str(ROOT) + "/", "").replace(str(ROOT), ".")
    h = header_of(text)
    out = []
    if note:
        out.append("**%s**\n" % note)
    busy = busy_kind(text)
    if busy == "busy":
        out.append("**Measured on a busy machine**: other processes kept the CPUs busy "
                   "(the WARNINGs below), so these figures are slower and noisier than a "
                   "quiet machine's. Compare ratios measured at the same moment, and rerun "
                   "on a quiet machine before quoting any figure.\n")
    elif busy == "maybe":
        out.append("**Maybe measured on a busy machine**: the 1-minute load average was above "
                   "1 (the WARNINGs below). These are an older bench's warnings, which count "
                   "the bench's own processes too, so they may be its own load; if something "
                   "else was running, the figures are slower and noisier than a quiet "
                   "machine's. Compare ratios measured at the same moment.\n")
    facts = []
    if "measured" in h:
        facts.append("measured %s" % h["measured"])
    facts.append("by `%s`" % h.get("command", command))
    if "machine" in h:
        facts.append("on %s" % h["machine"])
    if "load at start" in h:
        facts.append("load average at the start %s" % re.sub(r"\s+WARNING.*", "", h["load at start"]))
    out.append("From `%s`: %s.\n" % (rel, "; ".join(facts)))
    out.append("```\n%s\n```\n" % text)
    return "\n".join(out)


COLOURS = ["#1f5fa8", "#d9730d", "#e8a33c", "#2e8540", "#888888", "#8e44ad"]


def growth_rows(path):
    """{tool: [(rows, e2e us/row or None, check us/row or None, peak MB)]} from GROWTH."""
    tools = {}
    if not path.exists():
        return tools
    inside = False
    num = r"(-|[0-9.]+)"
    pat = re.compile(r"\s*(\d+) (.+?)\s+%s\s+%s\s+%s\s+([0-9.]+)\s+[0-9.]+(\s+WARNING.*)?$"
                     % (num, num, num))
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("GROWTH"):
            inside = True
            continue
        if inside and not line.strip():
            break
        m = pat.fullmatch(line) if inside else None
        if m:
            val = lambda s: None if s == "-" else float(s)
            tools.setdefault(m.group(2), []).append(
                (int(m.group(1)), val(m.group(5)), val(m.group(4)), float(m.group(6))))
    return tools


def panel(x0, title, series, unit):
    """One chart: log rows across, the value up; series: [(name, colour, [(rows, v)])]."""
    w, h, left, top, bottom = 300, 200, 48, 30, 36
    pts = [(r, v) for _, _, s in series for r, v in s if v is not None]
    if not pts:
        return ""
    lx = [math.log10(r) for r, _ in pts]
    xa, xb = min(lx), max(lx)
    if xb - xa < 0.5:
        xa, xb = xa - 0.5, xb + 0.5
    ymax = max(v for _, v in pts) * 1.1 or 1
    X = lambda r: x0 + left + (math.log10(r) - xa) / (xb - xa) * (w - left - 10)
    Y = lambda v: top + (1 - v / ymax) * (h - top - bottom)
    out = ['<text x="%d" y="16" font-size="12" font-weight="bold">%s</text>' % (x0 + left, title)]
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#444"/>'
               % (x0 + left, Y(0), x0 + w - 10, Y(0)))
    out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#444"/>'
               % (x0 + left, top, x0 + left, Y(0)))
    for f in (0, 0.5, 1):
        v = ymax / 1.1 * f
        out.append('<text x="%d" y="%d" font-size="10" text-anchor="end">%.3g</text>'
                   % (x0 + left - 4, Y(v) + 3, v))
    out.append('<text x="%d" y="%d" font-size="10" text-anchor="end">%s</text>'
               % (x0 + left - 4, top - 8, unit))
    for r in sorted({r for r, _ in pts}):
        label = "%gk" % (r / 1e3) if r < 1e6 else "%gM" % (r / 1e6)
        out.append('<text x="%d" y="%d" font-size="10" text-anchor="middle">%s</text>'
                   % (X(r), Y(0) + 14, label))
    out.append('<text x="%d" y="%d" font-size="10" text-anchor="middle">rows</text>'
               % (x0 + (left + w) / 2, Y(0) + 28))
    for _, colour, s in series:
        p = [(X(r), Y(v)) for r, v in s if v is not None]
        if len(p) > 1:
            out.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>'
                       % (colour, " ".join("%.1f,%.1f" % q for q in p)))
        for x, y in p:
            out.append('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>' % (x, y, colour))
    return "\n".join(out)


def growth_chart(results, svg, note):
    """Writes svg from results' GROWTH table; returns the Markdown for it."""
    tools = growth_rows(results)
    if not tools:
        return "*No growth chart yet: run `tests/bench/bench.sh`.*"
    names = list(tools)
    series = lambda k: [(n, COLOURS[i % len(COLOURS)], [(r[0], r[k]) for r in tools[n]])
                        for i, n in enumerate(names)]
    busy = busy_kind(results.read_text(encoding="utf-8", errors="replace"))
    caption = ("measured on a busy machine: not results" if busy == "busy"
               else "maybe measured on a busy machine (the load average was above 1)" if busy
               else "see the note on the page" if note else "")
    esc = lambda t: t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    height = 230 + 16 * len(names) + (18 if caption else 0)
    body = [panel(0, "end to end, \u00b5s per row", series(1), "\u00b5s"),
            panel(320, "peak memory", series(3), "MB")]
    for i, n in enumerate(names):
        y = 236 + 16 * i
        body.append('<rect x="48" y="%d" width="12" height="4" fill="%s"/>'
                    '<text x="66" y="%d" font-size="11">%s</text>'
                    % (y - 4, COLOURS[i % len(COLOURS)], y, esc(n)))
    if caption:
        body.append('<text x="48" y="%d" font-size="11" font-style="italic">%s</text>'
                    % (height - 8, esc(caption)))
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="640" height="%d" '
                   'font-family="sans-serif">\n<rect width="100%%" height="100%%" fill="white"/>\n'
                   '%s\n</svg>\n' % (height, "\n".join(body)), encoding="utf-8")
    return ("![The growth table as a picture: end to end microseconds per row and peak memory "
            "against rows, per tool](%s)" % svg.name)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("doc", nargs="?", default=str(ROOT / "docs/performance.md"))
    ap.add_argument("--out", default=str(ROOT / "out"))
    ap.add_argument("--template", default=str(ROOT / "tests/bench/performance.md.in"))
    ap.add_argument("--note", default="")
    args = ap.parse_args()
    outdir = pathlib.Path(args.out).resolve()
    template = pathlib.Path(args.template).read_text(encoding="utf-8")
    named = set()
    lines = []
    for line in template.splitlines():
        m = re.fullmatch(r"@@out (\S+) (.+)@@", line.strip())
        if m:
            named.add(m.group(1))
            lines.append(section(outdir / (m.group(1) + ".txt"), m.group(2), args.note).rstrip("\n"))
        elif line.strip() == "@@chart growth@@":
            lines.append(growth_chart(outdir / "bench-results.txt",
                                      pathlib.Path(args.doc).with_name("performance-growth.svg"),
                                      args.note))
        elif line.strip() == "@@generated@@":
            lines.append("<!-- Generated by tests/bench/perfdoc.py from tests/bench/performance.md.in"
                         " and the benchmarks' out/*.txt: edit the template, not this file. -->")
        elif line.strip() == "@@others@@":
            others = sorted(p for p in outdir.glob("*.txt") if p.stem not in named)
            if not others:
                lines.append("*No other benchmark output in `out/`.*")
            for p in others:
                lines.append("### `%s`\n" % p.name)
                lines.append(section(p, "the benchmark that writes it", args.note).rstrip("\n"))
                lines.append("")
        elif "@@" in line:
            sys.exit("perfdoc: %s: unknown placeholder: %s" % (args.template, line.strip()))
        else:
            lines.append(line)
    doc = pathlib.Path(args.doc)
    tmp = doc.with_name(doc.name + ".tmp")
    tmp.write_text("\n".join(lines).rstrip("\n") + "\n", encoding="utf-8")
    tmp.replace(doc)


main()
