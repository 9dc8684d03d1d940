"""Comparing one statement's results the way the fuzzer needs: on top of
:func:`targets.compare` (status, message, column count, rows with their
storage classes), rows in order where the statement asks for it, and the
cases where SQLite itself does not define the answer.

What SQLite leaves open, and how it is treated:

- **Ties under ORDER BY.**  Rows that SQLite's comparison cannot tell apart
  (1 and 1.0; 'a' and 'A' under NOCASE; 'a' and 'a ' under RTRIM) may come
  in either order.  An ordered comparison checks that both sides agree
  position by position up to such *loose* equality, then compares each run
  of loosely equal rows as a multiset, exactly (storage classes included).
  With LIMIT/OFFSET (``limited``), the first and last runs may be cut at
  different members, so they are compared loosely.
- **Which representative.**  DISTINCT, GROUP BY, UNION/INTERSECT/EXCEPT,
  min()/max() and window partitions keep one of several loosely equal
  values, and which one is not specified.  When the only difference is
  between loosely equal values and the statement uses one of those
  constructs, it is noise ("representative").
- **Float sums.**  sum(), avg() and total() over reals add in scan order;
  results that agree to 12 significant digits in a statement using them are
  noise ("float-sum"), as is an "integer overflow" error on one side only
  ("sum-overflow"): whether a partial sum overflows depends on the order.

- **Random rowids.**  Once a table's largest rowid is 9223372036854775807,
  SQLite picks new rowids at random (lang_createtable.html, "ROWIDs and the
  INTEGER PRIMARY KEY": a random number from 1 to 2^62); results that agree
  once every integer of 2^40 or more is blanked out are noise
  ("random-rowid").  The generator avoids
  such rowids; this catches the ones that arithmetic makes.
- **Text holding U+0000.**  The sqlite3 shell prints text as a C string,
  cut at the first U+0000 (targets/sqlite3_shell.py); results that agree
  once every text value is cut there are noise ("nul-in-text").

Noise is counted (per reason) but never reported as a difference.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from targets import OK, Difference, Result, compare
from targets.compare import row_key

_ASCII_FOLD = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")

_REPRESENTATIVE = re.compile(
    r"\b(?:DISTINCT|GROUP\s+BY|UNION|INTERSECT|EXCEPT|PARTITION\s+BY|min\s*\(|max\s*\(|"
    r"first_value|last_value|nth_value|lag\s*\(|lead\s*\()",
    re.I)
_FLOAT_AGG = re.compile(r"\b(?:sum|avg|total)\s*\(", re.I)
_OVERFLOW = "integer overflow"


def loose_value(v):
    """A key under which values SQLite may treat as equal coincide: numbers
    by numeric value, text by ASCII case and without trailing spaces."""
    if isinstance(v, str):
        return (3, v.translate(_ASCII_FOLD).rstrip(" "))
    if isinstance(v, (int, float)):
        return (1, v)                  # Python: 1 == 1.0 and hash(1) == hash(1.0)
    if v is None:
        return (0, None)
    return (4, bytes(v))


def loose_row(row) -> tuple:
    return tuple(loose_value(v) for v in row)


def _approx_value(v):
    if isinstance(v, float) and math.isfinite(v) and v != 0.0:
        return (1, float(f"{v:.12g}"))
    if isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2 ** 53:
        return (1, float(f"{float(v):.12g}"))
    return loose_value(v)


def _approx_row(row) -> tuple:
    return tuple(_approx_value(v) for v in row)


def compare_statement(sql: str, expected: Result, got: Result, *, ordered: bool = False,
                      limited: bool = False, messages: bool = True) -> tuple[Difference | None, str | None]:
    """(difference, noise reason): the first is None when the results agree
    or differ only where SQLite leaves the answer open; the second then
    names why (None when they simply agree)."""
    if expected.status != got.status or expected.status != OK:
        diff = compare(expected, got, messages=messages)
        if diff is None:
            return None, None
        if diff.kind == "status" and _FLOAT_AGG.search(sql) and \
                _OVERFLOW in ((expected.error or "") + (got.error or "")):
            return None, "sum-overflow"
        return diff, None
    if expected.columns is not None and got.columns is not None and \
            len(expected.columns) != len(got.columns):
        return compare(expected, got), None
    a, b = expected.rows, got.rows
    if ordered:
        diff = ordered_difference(a, b, limited)
    else:
        diff = compare(expected, got, messages=messages)
    if diff is None:
        return None, None
    if diff.kind == "columns" or len(a) != len(b):
        return diff, None
    if _has_nul(a) or _has_nul(b):
        if _same(a, b, _nul_cut_row, ordered):
            return None, "nul-in-text"
    if _REPRESENTATIVE.search(sql) and _same(a, b, loose_row, ordered):
        return None, "representative"
    # Random rowids decide an ORDER BY rowid too: compared as multisets.
    if _same(a, b, _huge_int_row, False) and _has_huge(a) and _has_huge(b):
        return None, "random-rowid"
    if _FLOAT_AGG.search(sql) and _same(a, b, _approx_row, ordered):
        return None, "float-sum"
    return diff, None


_HUGE = 1 << 40   # a random rowid is below this once in four million
_RANDOM_MAX = 1 << 62


def _random_rowid(v) -> bool:
    return type(v) is int and _HUGE <= v <= _RANDOM_MAX


def _has_huge(rows) -> bool:
    return any(_random_rowid(v) for row in rows for v in row)


def _huge_int_row(row) -> tuple:
    return row_key(tuple("<huge>" if _random_rowid(v) else v for v in row))


def _has_nul(rows) -> bool:
    return any(isinstance(v, str) and "\x00" in v for row in rows for v in row)


def _nul_cut_row(row) -> tuple:
    return row_key(tuple(v.split("\x00", 1)[0] if isinstance(v, str) else v for v in row))


def _same(a, b, key, ordered: bool) -> bool:
    if ordered:
        return all(key(x) == key(y) for x, y in zip(a, b))
    return Counter(map(key, a)) == Counter(map(key, b))


def ordered_difference(a: list[tuple], b: list[tuple], limited: bool) -> Difference | None:
    """Rows in order up to ties (see the module docstring)."""
    if len(a) != len(b):
        return Difference("rows", f"{len(a)} rows vs {len(b)}")
    widths_a = {len(r) for r in a}
    widths_b = {len(r) for r in b}
    if widths_a and widths_b and widths_a != widths_b:
        return Difference("columns", f"rows of widths {sorted(widths_a)} vs {sorted(widths_b)}")
    loose_a = [loose_row(r) for r in a]
    for i, (ka, rb) in enumerate(zip(loose_a, b)):
        if ka != loose_row(rb):
            return Difference("order", f"row {i + 1}: {a[i]!r} vs {rb!r}")
    runs = []
    start = 0
    for i in range(1, len(a) + 1):
        if i == len(a) or loose_a[i] != loose_a[start]:
            runs.append((start, i))
            start = i
    for n, (s, e) in enumerate(runs):
        if limited and (n == 0 or n == len(runs) - 1):
            continue
        if e - s == 1:
            if row_key(a[s]) != row_key(b[s]):
                return Difference("rows", f"row {s + 1}: {a[s]!r} vs {b[s]!r}")
        elif Counter(map(row_key, a[s:e])) != Counter(map(row_key, b[s:e])):
            return Difference("rows", f"rows {s + 1}-{e}: {a[s:e]!r} vs {b[s:e]!r}")
    return None
