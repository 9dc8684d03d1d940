"""A Markdown summary of a conformance result (docs/results.md): totals and
pass rate, one table row per file, then every failure with its SQL and the
expected and actual output, the known differences with their reasons, and
the malformed records.  Meant for CI job summaries and pull requests."""

from __future__ import annotations

import re

from reports.results import ConformanceResult, Record, format_rate, pass_rate
from reports.text import one_line, printable


def render_markdown(result: ConformanceResult, max_failures: int | None = None) -> str:
    out: list[str] = []
    out.append(f"# litmus conformance: {_inline(result.target or 'unknown target')}")
    out.append("")
    out.extend(_metadata(result))
    out.append("")

    totals = result.totals
    out.append("| passed | failed | skipped | known | malformed | pass rate |")
    out.append("| ---: | ---: | ---: | ---: | ---: | ---: |")
    out.append(f"| {totals.passed} | {totals.failed} | {totals.skipped} | {totals.known} "
               f"| {totals.malformed} | {format_rate(pass_rate(totals))} |")
    out.append("")
    out.append("Pass rate is passed / (passed + failed); skipped and known records do not count.")
    out.append("")

    out.append(f"## Files ({len(result.files)})")
    out.append("")
    if result.files:
        out.append("| file | passed | failed | skipped | known | malformed | pass rate | error |")
        out.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
        for entry in result.files:
            c = entry.counts
            out.append(f"| {_inline(entry.file)} | {c.passed} | {c.failed} | {c.skipped} "
                       f"| {c.known} | {c.malformed} | {format_rate(pass_rate(c))} "
                       f"| {_inline(entry.error or '')} |")
    else:
        out.append("No files were run.")
    out.append("")

    out.append(f"## Failures ({len(result.failures)})")
    out.append("")
    shown = result.failures if max_failures is None else result.failures[:max_failures]
    for record in shown:
        out.extend(_record(record))
    if len(shown) < len(result.failures):
        out.append(f"... and {len(result.failures) - len(shown)} more failures "
                   "(see the result file).")
        out.append("")
    if not result.failures:
        out.append("None.")
        out.append("")

    out.append(f"## Known differences ({len(result.known)})")
    out.append("")
    for record in result.known:
        out.extend(_record(record))
    if not result.known:
        out.append("None.")
        out.append("")

    out.append(f"## Malformed records ({len(result.malformed)})")
    out.append("")
    for bad in result.malformed:
        out.append(f"- `{_code_span_text(f'{bad.file}:{bad.line}')}`: {_inline(bad.message)}")
    if not result.malformed:
        out.append("None.")
    out.append("")
    return "\n".join(out)


def _metadata(result: ConformanceResult) -> list[str]:
    facts = [("target", result.target), ("mode", result.mode),
             ("sqlite3", result.sqlite_version), ("started", result.started),
             ("seconds", None if result.seconds is None else f"{result.seconds:g}"),
             ("result file", result.source)]
    return [f"- {name}: {_inline(value)}" for name, value in facts if value is not None]


def _record(record: Record) -> list[str]:
    lines = [f"### `{_code_span_text(record.id)}`", ""]
    lines.append(f"- kind: {_inline(record.kind)}")
    lines.append(f"- message: {_inline(record.message)}")
    if record.reason is not None:
        lines.append(f"- reason: {_inline(record.reason)}")
    lines.append("")
    lines.extend(_block("sql", record.sql, "SQL"))
    if record.expected is not None:
        lines.extend(_block("", record.expected, "Expected"))
    if record.got is not None:
        lines.extend(_block("", record.got, "Got"))
    return lines


def _block(language: str, text: str, title: str) -> list[str]:
    # A fence longer than any run of backticks inside keeps the block closed.
    text = printable(text)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{title}:", "", f"{fence}{language}", text.rstrip("\n"), fence, ""]


def _inline(text: str) -> str:
    """One line of prose-safe text: Markdown and HTML specials are escaped,
    ``|`` included, so it also fits in a table cell."""
    return re.sub(r"([\\`*_{}\[\]<>()#+!|~&])", r"\\\1", printable(one_line(text, 300)))


def _code_span_text(text: str) -> str:
    return printable(one_line(text, 300)).replace("`", "'")
