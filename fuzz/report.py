"""A campaign's result file (``litmus-fuzz/1``, see :mod:`fuzz.campaign`)
as a report for people: totals, the distinct failures with their minimized
SQL and the two results side by side, how often each construct was
generated, and throughput over time.  Markdown and self-contained HTML;
only the result dictionary is read.
"""

from __future__ import annotations

import html as _html
import json


def _fmt_result(r: dict | None) -> str:
    if not r:
        return "(none)"
    if r.get("status") != "ok":
        return f"{r.get('status')}: {r.get('error')}"
    rows = r.get("rows", [])
    shown = "\n".join(json.dumps(row, ensure_ascii=False) for row in rows[:20])
    more = f"\n... {len(rows) - 20} more rows" if len(rows) > 20 else ""
    return (shown + more) if rows else "(no rows)"


def _rate_series(result: dict) -> list[tuple[float, float]]:
    """Statements per second over time, all workers together."""
    points: dict[float, float] = {}
    for samples in result.get("throughput", []):
        prev_t, prev_n = 0.0, 0
        for t, n in samples:
            if t > prev_t:
                bucket = round(t / 10) * 10
                points[bucket] = points.get(bucket, 0.0) + (n - prev_n) / (t - prev_t)
            prev_t, prev_n = t, n
    return sorted(points.items())


def markdown(result: dict) -> str:
    t = result["totals"]
    lines = [f"# Fuzz campaign: {result['target']} ({', '.join(result['oracles'])})", ""]
    lines += [
        f"- sqlite3 {result.get('sqlite_version')}, seed {result['seed']}, {result['workers']} worker(s), "
        f"{result['elapsed']} s of {result['seconds']} s",
        f"- {t['cases']:,} cases, {t['statements']:,} statements, "
        f"{t['statements_per_second']} statements/s ({t['statements_per_second_per_worker']} per worker)",
        f"- accepted by {'sqlite3' if result.get('reference') else 'the target'}: "
        f"{100 * (t['acceptance'] or 0):.1f}%",
        f"- failures: {t['failures']} hits, {t['distinct']} distinct cases",
    ]
    if result.get("without"):
        lines.append(f"- constructs switched off: {', '.join(result['without'])}")
    if t.get("noise"):
        lines.append("- differences judged noise (SQLite leaves the answer open): " +
                     ", ".join(f"{k} {v}" for k, v in t["noise"].items()))
    if t.get("inconclusive"):
        lines.append("- inconclusive cases: " + ", ".join(f"{k} {v}" for k, v in t["inconclusive"].items()))
    if t.get("oracle_false_alarms"):
        lines.append(f"- TLP/NoREC findings that sqlite3 shows as well (not reported): {t['oracle_false_alarms']}")
    lines += ["", "## Distinct failures", ""]
    if not result["distinct_failures"]:
        lines.append("None.")
    for n, f in enumerate(result["distinct_failures"], 1):
        lines += [f"### {n}. {f['what']}", "",
                  f"{f['oracle']} / {f['kind']}, {f['hits']} hit(s); case `{f['case']}`", "",
                  "```sql"] + [s.rstrip(";") + ";" for s in f["statements"]] + ["```", "",
                  f"Detail: {f['detail']}", "",
                  "| sqlite3 | target |", "| --- | --- |",
                  f"| {_cell(_fmt_result(f['expected']))} | {_cell(_fmt_result(f['got']))} |", ""]
        if f.get("queries"):
            lines += ["Rewrites run by the oracle:", "", "```sql"] + [q + ";" for q in f["queries"]] + ["```", ""]
    lines += ["## Constructs generated (statements using each)", "", "| construct | statements |", "| --- | ---: |"]
    for name, count in result.get("constructs", {}).items():
        lines.append(f"| {name} | {count:,} |")
    lines += ["", "## Throughput over time", "", "| seconds | statements/s |", "| ---: | ---: |"]
    for t_, rate in _rate_series(result):
        lines.append(f"| {t_:.0f} | {rate:,.0f} |")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return "<pre>" + _html.escape(text).replace("\n", "<br>").replace("|", "&#124;") + "</pre>"


def html(result: dict) -> str:
    t = result["totals"]
    e = _html.escape
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>litmus fuzz: {e(result['target'])}</title>",
        "<style>body{font-family:sans-serif;max-width:70em;margin:2em auto;padding:0 1em}"
        "pre{background:#f4f4f4;padding:.5em;overflow-x:auto;white-space:pre-wrap}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .5em;vertical-align:top}"
        ".side td{width:50%}</style></head><body>",
        f"<h1>Fuzz campaign: {e(result['target'])} ({e(', '.join(result['oracles']))})</h1>",
        "<ul>",
        f"<li>sqlite3 {e(str(result.get('sqlite_version')))}, seed {result['seed']}, "
        f"{result['workers']} worker(s), {result['elapsed']} s of {result['seconds']} s</li>",
        f"<li>{t['cases']:,} cases, {t['statements']:,} statements, {t['statements_per_second']} statements/s "
        f"({t['statements_per_second_per_worker']} per worker)</li>",
        f"<li>accepted: {100 * (t['acceptance'] or 0):.1f}%</li>",
        f"<li>failures: {t['failures']} hits, {t['distinct']} distinct cases</li>",
    ]
    if t.get("noise"):
        parts.append("<li>judged noise: " + e(", ".join(f"{k} {v}" for k, v in t["noise"].items())) + "</li>")
    parts.append("</ul><h2>Distinct failures</h2>")
    if not result["distinct_failures"]:
        parts.append("<p>None.</p>")
    for n, f in enumerate(result["distinct_failures"], 1):
        sql = "\n".join(s.rstrip(";") + ";" for s in f["statements"])
        parts += [f"<h3>{n}. {e(f['what'])}</h3>",
                  f"<p>{e(f['oracle'])} / {e(f['kind'])}, {f['hits']} hit(s); case <code>{e(f['case'])}</code></p>",
                  f"<pre>{e(sql)}</pre><p>{e(f['detail'])}</p>",
                  "<table class='side'><tr><th>sqlite3</th><th>target</th></tr>",
                  f"<tr><td><pre>{e(_fmt_result(f['expected']))}</pre></td>"
                  f"<td><pre>{e(_fmt_result(f['got']))}</pre></td></tr></table>"]
        if f.get("queries"):
            parts.append("<p>Rewrites run by the oracle:</p><pre>" + e("\n".join(q + ";" for q in f["queries"])) + "</pre>")
    parts.append("<h2>Constructs generated</h2><table><tr><th>construct</th><th>statements</th></tr>")
    for name, count in result.get("constructs", {}).items():
        parts.append(f"<tr><td>{e(name)}</td><td align='right'>{count:,}</td></tr>")
    parts.append("</table><h2>Throughput over time</h2>")
    parts.append(_svg(_rate_series(result)))
    parts.append("</body></html>")
    return "\n".join(parts)


def _svg(series) -> str:
    if not series:
        return "<p>(no samples)</p>"
    w, h, pad = 600, 160, 30
    tmax = max(t for t, _ in series) or 1
    rmax = max(r for _, r in series) or 1
    pts = " ".join(f"{pad + (w - 2 * pad) * t / tmax:.1f},{h - pad - (h - 2 * pad) * r / rmax:.1f}"
                   for t, r in series)
    return (f"<svg width='{w}' height='{h}' xmlns='http://www.w3.org/2000/svg'>"
            f"<polyline fill='none' stroke='#36c' stroke-width='2' points='{pts}'/>"
            f"<text x='{pad}' y='15' font-size='12'>{rmax:,.0f} statements/s</text>"
            f"<text x='{w - pad}' y='{h - 5}' font-size='12' text-anchor='end'>{tmax:.0f} s</text></svg>")
