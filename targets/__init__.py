"""Targets: how the proof reaches an engine (DESIGN.md, "Targets").

``open_target(spec)`` understands:

- ``sqlite3`` (or ``sqlite3:/path/to/binary``): the system sqlite3 shell as one
  persistent process;
- ``engine``: litmus's own engine, in process;
- ``dbapi:MODULE``: any PEP 249 module.
"""

from __future__ import annotations

from .base import CRASH, ERROR, OK, TIMEOUT, Result, Target, TargetError
from .compare import Difference, compare

__all__ = ["open_target", "Result", "Target", "compare", "Difference",
           "OK", "ERROR", "TIMEOUT", "CRASH", "TargetError"]


def open_target(spec: str, *, timeout: float = 10.0, database: str | None = None) -> Target:
    if spec == "sqlite3" or spec.startswith("sqlite3:"):
        from .sqlite3_shell import SQLite3Target
        binary = spec.partition(":")[2] or "sqlite3"
        return SQLite3Target(binary=binary, timeout=timeout, database=database or ":memory:")
    if spec == "engine":
        from .engine import EngineTarget
        return EngineTarget(database=database or ":memory:", timeout=timeout)
    if spec.startswith("dbapi:"):
        from .dbapi import DBAPITarget
        module = spec.partition(":")[2]
        try:
            return DBAPITarget(module, database=database or ":memory:")
        except ImportError as exc:
            raise TargetError(f"cannot import DB-API module {module!r}: {exc}") from None
    raise TargetError(f"unknown target {spec!r} (expected sqlite3, engine or dbapi:MODULE)")
