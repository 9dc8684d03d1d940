"""Round trip over the sqllogictest corpus: every SQL record of select1.test
and evidence/*.test parses, except where sqlite3 itself reports a syntax
error, and then the messages agree."""

from __future__ import annotations

import pathlib

import pytest

from engine.errors import SQLError
from engine.sql.parser import parse_statements
from engine.sql.tokenizer import complete_statement

from sql_oracle import is_parse_error, needs_sqlite3, sqlite3_script_errors

SLT = pathlib.Path("/work/shared/slt")
FILES = sorted([SLT / "select1.test", *sorted((SLT / "evidence").glob("*.test"))])

pytestmark = [
    needs_sqlite3,
    pytest.mark.skipif(not (SLT / "select1.test").exists(), reason="no sqllogictest corpus"),
]


def sql_records(path: pathlib.Path) -> list[str]:
    """The SQL of each ``statement``/``query`` record (files use CRLF)."""
    lines = path.read_bytes().decode("utf-8").replace("\r\n", "\n").split("\n")
    records = []
    i = 0
    while i < len(lines):
        if lines[i].startswith(("statement", "query")):
            j = i + 1
            sql = []
            while j < len(lines) and lines[j].strip() and lines[j] != "----":
                sql.append(lines[j])
                j += 1
            records.append("\n".join(sql))
            i = j
        else:
            i += 1
    return records


def my_error(sql: str) -> str | None:
    try:
        for _ in parse_statements(sql):
            pass
    except SQLError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_corpus_statements_parse_like_sqlite3(path):
    records = sql_records(path)
    assert records
    # Run the file's statements in order through sqlite3, each starting on a
    # known line, and collect the parse errors it reports.
    script = []
    starts = []
    for sql in records:
        starts.append(len(script) + 1)
        text = sql if complete_statement(sql) else sql + ";"
        script.extend(text.split("\n"))
    errors = sqlite3_script_errors(script)
    mismatches = []
    for sql, start in zip(records, starts):
        expected = errors.get(start)
        if not is_parse_error(expected):
            expected = None
        mine = my_error(sql)
        if mine is not None and not is_parse_error(mine):
            mine = None
        if mine != expected:
            mismatches.append((sql, expected, mine))
    assert mismatches == []
