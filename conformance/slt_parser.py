"""Parsing sqllogictest scripts into records (the format of SQLite's
sqllogictest, as its reference runner ``sqllogictest.c`` reads it).

A script is a sequence of records separated by blank lines.  A line whose
first character is ``#`` is a comment wherever it appears and is dropped
before anything else looks at the script (so it neither ends a record nor
counts as SQL or as a result).  A record is:

- zero or more condition lines, ``skipif <db>`` / ``onlyif <db>``;
- a header line: ``statement ok``, ``statement error``,
  ``query <types> [<sortmode> [<label>]]``, ``hash-threshold <n>`` or
  ``halt``;
- for ``statement`` the SQL, all remaining lines of the record;
- for ``query`` the SQL up to a ``----`` line, then the expected values, one
  a line, or the single line ``<n> values hashing to <md5>``.

On condition and header lines a word starting with ``#`` begins a trailing
comment.  Line endings may be LF or CRLF.  Line numbers are 1-based and a
record's line is its first line (its first condition when it has any).

:func:`parse_slt` is pure: text in, :class:`ParsedFile` out.  A record that
cannot be understood becomes a :class:`ParseError` and parsing goes on with
the next record.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Union

SORT_MODES = ("nosort", "rowsort", "valuesort")
TYPE_LETTERS = frozenset("ITR")

_HASH_LINE = re.compile(r"(\d+) values hashing to ([0-9a-fA-F]{32})\Z")
_SPACE = " \t\r\n\f\v"


@dataclass(frozen=True, slots=True)
class Condition:
    """``skipif <engine>`` (negate=True) or ``onlyif <engine>``."""

    kind: str        # "skipif" or "onlyif"
    engine: str      # as written, e.g. "mysql"

    def __str__(self) -> str:
        return f"{self.kind} {self.engine}"


@dataclass(frozen=True, slots=True)
class Statement:
    file: str
    line: int
    conditions: tuple[Condition, ...]
    sql: str
    expect_error: bool
    error_text: str | None = None   # text after ``statement error``: the expected message, if any

    kind = "statement"


@dataclass(frozen=True, slots=True)
class Query:
    file: str
    line: int
    conditions: tuple[Condition, ...]
    sql: str
    types: str                        # one of I, T, R per column
    sort: str                         # nosort, rowsort or valuesort
    label: str | None
    expected: tuple[str, ...]         # expected values, one a line ((): none)
    expected_hash: tuple[int, str] | None = None   # (count, md5) for the hash form

    kind = "query"


@dataclass(frozen=True, slots=True)
class HashThreshold:
    file: str
    line: int
    conditions: tuple[Condition, ...]
    threshold: int

    kind = "hash-threshold"


@dataclass(frozen=True, slots=True)
class Halt:
    file: str
    line: int
    conditions: tuple[Condition, ...]

    kind = "halt"


Record = Union[Statement, Query, HashThreshold, Halt]


@dataclass(frozen=True, slots=True)
class ParseError:
    """A record that could not be parsed; ``line`` is its first line."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class ParsedFile:
    file: str
    records: tuple[Record, ...]
    errors: tuple[ParseError, ...]

    def in_order(self) -> list[Record | ParseError]:
        """Records and parse errors together, in the order of their lines."""
        merged: list[Record | ParseError] = [*self.records, *self.errors]
        if self.errors:
            merged.sort(key=lambda item: item.line)
        return merged


class _Malformed(Exception):
    pass


def _is_blank(line: str) -> bool:
    return not line.strip(_SPACE)


def _words(line: str) -> list[str]:
    """The whitespace-separated words of a control line, up to a ``#`` word."""
    words = line.split()
    for i, word in enumerate(words):
        if word.startswith("#"):
            return words[:i]
    return words


def parse_slt(text: str, file: str) -> ParsedFile:
    """Parse the sqllogictest script ``text``; ``file`` names it in records
    and errors."""
    lines = text.replace("\r\n", "\n").split("\n")
    records: list[Record] = []
    errors: list[ParseError] = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if line[:1] == "#" or _is_blank(line):
            i += 1
            continue
        body: list[tuple[int, str]] = []
        while i < n:
            line = lines[i]
            if line[:1] != "#":
                if _is_blank(line):
                    break
                body.append((i + 1, line))
            i += 1
        try:
            records.append(_parse_record(body, file))
        except _Malformed as exc:
            errors.append(ParseError(file, body[0][0], str(exc)))
    return ParsedFile(file, tuple(records), tuple(errors))


def _parse_record(body: list[tuple[int, str]], file: str) -> Record:
    first_line = body[0][0]
    conditions: list[Condition] = []
    k = 0
    while k < len(body):
        words = _words(body[k][1])
        if not words or words[0] not in ("skipif", "onlyif"):
            break
        if len(words) != 2:
            raise _Malformed(f"{words[0]} needs exactly one database name")
        conditions.append(Condition(words[0], words[1]))
        k += 1
    if k == len(body):
        raise _Malformed("condition without a record after it")
    header_line, header = body[k]
    words = _words(header)
    rest = body[k + 1:]
    conds = tuple(conditions)
    keyword = words[0] if words else header.strip()
    if keyword == "statement":
        return _parse_statement(words, rest, file, first_line, conds)
    if keyword == "query":
        return _parse_query(words, rest, file, first_line, conds)
    if keyword == "hash-threshold":
        if len(words) != 2 or not words[1].isdigit() or not words[1].isascii():
            raise _Malformed("hash-threshold needs one non-negative integer")
        if rest:
            raise _Malformed("unexpected lines after hash-threshold")
        return HashThreshold(file, first_line, conds, int(words[1]))
    if keyword == "halt":
        if len(words) != 1 or rest:
            raise _Malformed("unexpected text after halt")
        return Halt(file, first_line, conds)
    if header_line != first_line:
        raise _Malformed(f"unknown record type {keyword!r} after {conditions[-1]} "
                         f"(line {header_line})")
    raise _Malformed(f"unknown record type {keyword!r}")


def _parse_statement(words, rest, file, line, conds) -> Statement:
    if len(words) < 2 or words[1] not in ("ok", "error"):
        got = words[1] if len(words) > 1 else "nothing"
        raise _Malformed(f"statement must be followed by ok or error, not {got}")
    if words[1] == "ok" and len(words) > 2:
        raise _Malformed("unexpected text after statement ok")
    error_text = " ".join(words[2:]) or None
    if not rest:
        raise _Malformed("statement without SQL")
    sql_lines = []
    for _, text in rest:
        if text == "----":
            raise _Malformed("a statement has no result section (----)")
        sql_lines.append(text)
    return Statement(file, line, conds, "\n".join(sql_lines), words[1] == "error", error_text)


def _parse_query(words, rest, file, line, conds) -> Query:
    if len(words) < 2:
        raise _Malformed("query without a type string")
    types = words[1]
    bad = sorted(set(types) - TYPE_LETTERS)
    if bad:
        raise _Malformed(f"unknown type letter {bad[0]!r} in {types!r} (expected I, T or R)")
    sort = words[2] if len(words) > 2 else "nosort"
    if sort not in SORT_MODES:
        raise _Malformed(f"unknown sort mode {sort!r} (expected nosort, rowsort or valuesort)")
    label = words[3] if len(words) > 3 else None
    if len(words) > 4:
        raise _Malformed(f"unexpected text after the label: {' '.join(words[4:])!r}")
    sql_lines: list[str] = []
    expected: list[str] = []
    in_results = False
    for _, text in rest:
        if in_results:
            expected.append(text)
        elif text == "----":
            in_results = True
        else:
            sql_lines.append(text)
    if not sql_lines:
        raise _Malformed("query without SQL")
    expected_hash = None
    if len(expected) == 1:
        m = _HASH_LINE.match(expected[0].strip(_SPACE))
        if m:
            expected_hash = (int(m.group(1)), m.group(2).lower())
            expected = []
    return Query(file, line, conds, "\n".join(sql_lines), types, sort, label,
                 tuple(expected), expected_hash)
