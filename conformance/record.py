"""Recording expectations: ``litmus conform --record PATH...`` rewrites
sqllogictest files so that every applicable record's expectation is what the
oracle (the sqlite3 binary by default) answers.

This is how litmus's own cases get their expected results: a person writes
the SQL and the record headers (``statement ok``, ``query IT rowsort``), and
the tool fills in ``statement ok|error`` and the values under ``----``.
Nothing is typed by hand.  Records the oracle does not run (``skipif
sqlite``, ``onlyif`` another engine), comments and blank lines are kept
exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from targets import OK, open_target

from .slt_format import hash_line, render_rows, sort_values
from .slt_parser import Halt, HashThreshold, Query, Statement, parse_slt
from .slt_runner import DEFAULT_HASH_THRESHOLD, skip_reason


class RecordProblem(Exception):
    """A file that cannot be recorded (malformed records, a query the oracle
    rejects); the message names file:line."""


@dataclass
class RecordSummary:
    file: str
    statements: int = 0
    queries: int = 0
    changed: int = 0
    problems: list[str] = field(default_factory=list)


def record_text(text: str, file_id: str, oracle) -> tuple[str, RecordSummary]:
    """The file's text with expectations from ``oracle`` (a target, on a fresh
    database)."""
    summary = RecordSummary(file_id)
    parsed = parse_slt(text, file_id)
    if parsed.errors:
        raise RecordProblem("; ".join(str(e) for e in parsed.errors))
    lines = text.replace("\r\n", "\n").split("\n")
    out: list[str] = []
    pos = 0                      # next line (0-based) of ``lines`` to copy
    threshold = DEFAULT_HASH_THRESHOLD
    oracle.reset()
    for rec in parsed.records:
        start = rec.line - 1
        end = start
        while end < len(lines) and lines[end].strip():
            end += 1
        out.extend(lines[pos:start])
        block = lines[start:end]
        pos = end
        if skip_reason(rec.conditions) is not None:
            out.extend(block)
            continue
        if isinstance(rec, HashThreshold):
            threshold = rec.threshold
            out.extend(block)
            continue
        if isinstance(rec, Halt):
            out.extend(block)
            continue
        head = next(i for i, line in enumerate(block) if line.split()[:1] in (["statement"], ["query"]))
        result = oracle.execute(rec.sql)
        if isinstance(rec, Statement):
            summary.statements += 1
            # An error is recorded with sqlite3's message, which the runner then checks.
            new_head = "statement ok" if result.status == OK else \
                "statement error " + " ".join((result.error or "").split())
            new_block = block[:head] + [new_head] + block[head + 1:]
        else:
            summary.queries += 1
            new_block = _query_block(rec, block, head, result, threshold, summary)
        if new_block != block:
            summary.changed += 1
        out.extend(new_block)
    out.extend(lines[pos:])
    return "\n".join(out), summary


def _query_block(rec: Query, block: list[str], head: int, result, threshold: int,
                 summary: RecordSummary) -> list[str]:
    where = f"{rec.file}:{rec.line}"
    if result.status != OK:
        summary.problems.append(f"{where}: the oracle rejects this query: {result.error}")
        return block
    widths = {len(r) for r in result.rows}
    if widths and widths != {len(rec.types)}:
        summary.problems.append(f"{where}: the query returns {sorted(widths)} columns but the "
                                f"record declares {len(rec.types)} ({rec.types})")
        return block
    sep = next((i for i in range(head + 1, len(block)) if block[i] == "----"), len(block))
    sql_lines = block[head + 1:sep]
    values = sort_values(render_rows(result.rows, rec.types), len(rec.types), rec.sort)
    body = [hash_line(values)] if threshold and len(values) > threshold else values
    return block[:head + 1] + sql_lines + ["----"] + body


def record_file(path: str, file_id: str, oracle) -> RecordSummary:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    new_text, summary = record_text(text, file_id, oracle)
    if new_text != text.replace("\r\n", "\n"):
        with open(path, "w", encoding="utf-8") as f:
            f.write(new_text)
    return summary


def record_files(files, oracle_spec: str = "sqlite3", timeout: float = 10.0) -> list[RecordSummary]:
    oracle = open_target(oracle_spec, timeout=timeout)
    try:
        return [record_file(f.path, f.file_id, oracle) for f in files]
    finally:
        oracle.close()
