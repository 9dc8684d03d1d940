"""One function decides whether two results agree (DESIGN.md, "Targets").

Two results agree when both are errors (and, if ``messages`` is set, with the
same text), or both succeeded with the same number of columns and the same
rows: values equal *and* of the same storage class (1, 1.0 and '1' all
differ), compared as multisets unless ``ordered`` is set.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from .base import OK, Result

_CLASS = {type(None): 0, int: 1, float: 2, str: 3, bytes: 4, bytearray: 4, memoryview: 4}


@dataclass(frozen=True)
class Difference:
    kind: str      # "status", "error", "columns", "rows"
    detail: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


def storage_class(value) -> str:
    return ("null", "integer", "real", "text", "blob")[_CLASS.get(type(value), 3)]


def typed_key(value):
    """A hashable, orderable key that keeps the storage class apart."""
    rank = _CLASS.get(type(value))
    if rank is None:
        return (5, repr(value))
    if rank == 4:
        return (4, bytes(value))
    if rank == 0:
        return (0, None)
    return (rank, value)


def row_key(row) -> tuple:
    return tuple(typed_key(v) for v in row)


def compare(a: Result, b: Result, *, ordered: bool = False, messages: bool = True) -> Difference | None:
    """None when ``a`` and ``b`` agree, otherwise what differs first."""
    if a.status != b.status:
        return Difference("status", f"{_describe(a)} vs {_describe(b)}")
    if a.status != OK:
        if messages and a.error != b.error:
            return Difference("error", f"{a.error!r} vs {b.error!r}")
        return None
    if a.columns is not None and b.columns is not None and len(a.columns) != len(b.columns):
        return Difference("columns", f"{len(a.columns)} columns vs {len(b.columns)}")
    # A script's rows may come from statements of different widths; only a
    # width that one side has and the other lacks is a column difference.
    widths_a = {len(r) for r in a.rows}
    widths_b = {len(r) for r in b.rows}
    if widths_a and widths_b and widths_a != widths_b:
        if len(widths_a) == len(widths_b) == 1:
            return Difference("columns", f"{widths_a.pop()} columns vs {widths_b.pop()}")
        return Difference("columns", f"rows of widths {sorted(widths_a)} vs {sorted(widths_b)}")
    if len(a.rows) != len(b.rows):
        return Difference("rows", f"{len(a.rows)} rows vs {len(b.rows)}")
    if ordered:
        for i, (ra, rb) in enumerate(zip(a.rows, b.rows)):
            if row_key(ra) != row_key(rb):
                return Difference("rows", f"row {i + 1}: {ra!r} vs {rb!r}")
        return None
    ca = Counter(row_key(r) for r in a.rows)
    cb = Counter(row_key(r) for r in b.rows)
    if ca != cb:
        only_a = list((ca - cb).elements())[:3]
        only_b = list((cb - ca).elements())[:3]
        return Difference("rows", f"only in first: {_untag(only_a)}; only in second: {_untag(only_b)}")
    return None


def _untag(keys) -> list:
    return [tuple(v for _, v in key) for key in keys]


def _describe(r: Result) -> str:
    return "ok" if r.status == OK else f"{r.status} ({r.error})"
