"""A self-contained HTML report of a conformance result (docs/results.md).

One file, no external assets and no script: inline CSS, every piece of text
from the result escaped, one collapsible ``<details>`` per failure and per
known difference.  The markup is also well-formed XML, so it can be checked
and post-processed with an XML parser.
"""

from __future__ import annotations

from html import escape

from reports.results import ConformanceResult, Counts, Record, format_rate, pass_rate
from reports.text import one_line, printable

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.bad td { background: #fdecea; }
details { border: 1px solid #ddd; margin: 0.3em 0; padding: 0.3em 0.6em; }
details.failure summary { color: #a40000; }
details.known summary { color: #6b5900; }
summary { cursor: pointer; font-family: monospace; }
pre { background: #f6f6f6; padding: 0.5em; overflow-x: auto; white-space: pre-wrap; }
.meta { color: #555; }
"""


def render_html(result: ConformanceResult, max_failures: int | None = None) -> str:
    title = f"litmus conformance: {result.target or 'unknown target'}"
    parts: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8" />',
        f"<title>{_e(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{_e(title)}</h1>",
    ]
    parts.append(_metadata(result))
    parts.append(_totals_table(result.totals))

    parts.append(f"<h2>Files ({len(result.files)})</h2>")
    parts.append(_files_table(result))

    parts.append(f'<h2 id="failures">Failures ({len(result.failures)})</h2>')
    shown = result.failures if max_failures is None else result.failures[:max_failures]
    parts.extend(_record(record, "failure") for record in shown)
    if len(shown) < len(result.failures):
        parts.append(f"<p>... and {len(result.failures) - len(shown)} more failures "
                     "(see the result file).</p>")
    if not result.failures:
        parts.append("<p>None.</p>")

    parts.append(f'<h2 id="known">Known differences ({len(result.known)})</h2>')
    parts.extend(_record(record, "known") for record in result.known)
    if not result.known:
        parts.append("<p>None.</p>")

    parts.append(f'<h2 id="malformed">Malformed records ({len(result.malformed)})</h2>')
    if result.malformed:
        parts.append("<ul>")
        parts.extend(f"<li><code>{_e(f'{bad.file}:{bad.line}')}</code>: {_e(bad.message)}</li>"
                     for bad in result.malformed)
        parts.append("</ul>")
    else:
        parts.append("<p>None.</p>")

    parts.extend(["</body>", "</html>", ""])
    return "\n".join(parts)


def _e(text: str) -> str:
    return escape(printable(text), quote=True)


def _metadata(result: ConformanceResult) -> str:
    facts = [("target", result.target), ("mode", result.mode),
             ("sqlite3", result.sqlite_version), ("started", result.started),
             ("seconds", None if result.seconds is None else f"{result.seconds:g}"),
             ("result file", result.source)]
    items = "".join(f"<li>{_e(name)}: {_e(value)}</li>" for name, value in facts
                    if value is not None)
    return f'<ul class="meta">{items}</ul>'


def _totals_table(totals: Counts) -> str:
    cells = "".join(f'<td class="n">{n}</td>' for n in (
        totals.passed, totals.failed, totals.skipped, totals.known, totals.malformed))
    return ("<table><tr><th>passed</th><th>failed</th><th>skipped</th><th>known</th>"
            "<th>malformed</th><th>pass rate</th></tr>"
            f'<tr>{cells}<td class="n">{format_rate(pass_rate(totals))}</td></tr></table>'
            "<p>Pass rate is passed / (passed + failed); skipped and known records "
            "do not count.</p>")


def _files_table(result: ConformanceResult) -> str:
    if not result.files:
        return "<p>No files were run.</p>"
    rows = ["<table>", "<tr><th>file</th><th>passed</th><th>failed</th><th>skipped</th>"
            "<th>known</th><th>malformed</th><th>pass rate</th><th>error</th></tr>"]
    for entry in result.files:
        c = entry.counts
        bad = ' class="bad"' if c.failed or entry.error else ""
        numbers = "".join(f'<td class="n">{n}</td>' for n in (
            c.passed, c.failed, c.skipped, c.known, c.malformed))
        rows.append(f"<tr{bad}><td>{_e(entry.file)}</td>{numbers}"
                    f'<td class="n">{format_rate(pass_rate(c))}</td>'
                    f"<td>{_e(entry.error or '')}</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


def _record(record: Record, css_class: str) -> str:
    summary = f"{record.id}: {one_line(record.message)}"
    body = [f'<details class="{css_class}">', f"<summary>{_e(summary)}</summary>",
            f"<p>kind: {_e(record.kind)}; message: {_e(record.message)}</p>"]
    if record.reason is not None:
        body.append(f"<p>reason: {_e(record.reason)}</p>")
    body.append(f"<p>SQL</p><pre>{_e(record.sql)}</pre>")
    if record.expected is not None:
        body.append(f"<p>expected</p><pre>{_e(record.expected)}</pre>")
    if record.got is not None:
        body.append(f"<p>got</p><pre>{_e(record.got)}</pre>")
    body.append("</details>")
    return "\n".join(body)
