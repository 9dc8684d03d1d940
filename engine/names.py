"""Comparing names the way SQLite does: case-insensitively for ASCII letters
only (sqlite3StrICmp), so "NAÏVE" and "naïve" are different names."""

from __future__ import annotations

_TABLE = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def fold(name: str) -> str:
    """The key under which ``name`` is looked up."""
    return name.lower() if name.isascii() else name.translate(_TABLE)
