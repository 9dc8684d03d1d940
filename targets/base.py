"""The target protocol: the one door from the proof (conformance, fuzz, crash)
to any engine under test (DESIGN.md, "Targets").

A target runs SQL text and answers with a :class:`Result`: typed rows and
column names, or an error with SQLite's message text.  Nothing else about an
engine is visible through it.
"""

from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

# Result.status values.
OK = "ok"
ERROR = "error"          # the statement failed; ``error`` holds the engine's message
TIMEOUT = "timeout"      # the statement ran past the target's timeout; the target was restarted
CRASH = "crash"          # the engine died or raised something that is not an SQL error


@dataclass
class Result:
    """What one ``execute`` produced.

    ``rows`` are tuples of Python values whose types are SQLite's storage
    classes: None (NULL), int (INTEGER), float (REAL), str (TEXT), bytes (BLOB).
    Text that is not valid UTF-8 is decoded with ``surrogateescape``.
    When a script holds several statements, ``rows`` are the rows of all of
    them in order (as the sqlite3 shell prints them) and ``columns`` are those
    of the last statement that returned rows.  ``columns`` is None when the
    target cannot tell: the sqlite3 shell prints no header for an empty
    result, so it reports None whenever the last statement printed no rows.
    (``compare()`` checks the column count only when both sides know it.)

    A script is split into statements as sqlite3_complete() splits it
    (:func:`targets.script.split_statements`), each keeping its semicolon,
    and ends at its first U+0000 as for sqlite3_exec().  On an error, the
    statements before the failing one have taken effect and the ones after
    it have not run; ``rows`` then hold the rows of the statements that
    completed, not the partial output of the failing one.  On a timeout or
    crash the target has been restarted and ``error`` says whether the
    database state was lost.
    """

    status: str = OK
    rows: list[tuple] = field(default_factory=list)
    columns: tuple[str, ...] | None = None
    error: str | None = None
    seconds: float = 0.0
    # True when the target had to start over (a killed process, a replaced
    # connection): the database is empty again and earlier statements are lost.
    state_lost: bool = False

    @property
    def ok(self) -> bool:
        return self.status == OK

    @classmethod
    def failure(cls, message: str, status: str = ERROR, seconds: float = 0.0) -> "Result":
        return cls(status=status, error=message, seconds=seconds)

    def to_json(self) -> dict:
        """A JSON-ready form; values keep their storage class (see value_to_json)."""
        out: dict = {"status": self.status}
        if self.error is not None:
            out["error"] = self.error
        if self.columns is not None:
            out["columns"] = list(self.columns)
        if self.status == OK:
            out["rows"] = [[value_to_json(v) for v in row] for row in self.rows]
        return out


def value_to_json(value):
    """A JSON form that keeps the storage class: int, float and None map to
    themselves except non-finite reals; text and blobs are tagged."""
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return {"real": repr(value)}
        return value
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"blob": bytes(value).hex()}
    return {"unknown": repr(value)}


def value_from_json(obj):
    if isinstance(obj, dict):
        if "blob" in obj:
            return bytes.fromhex(obj["blob"])
        if "real" in obj:
            return float(obj["real"])
        raise ValueError(f"unknown value form {obj!r}")
    return obj


def describe_crash(exc: BaseException) -> str:
    """``TypeName: message (file:line)`` for an exception that is not an SQL
    error, the place being the innermost frame, where it was raised."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


class TargetError(Exception):
    """A target that cannot be opened or driven (unknown name, missing binary
    or module, a process that does not start)."""


@runtime_checkable
class Target(Protocol):
    """Anything that runs SQLite's SQL.  ``name`` identifies it in reports."""

    name: str

    def execute(self, sql: str) -> Result:
        """Run one statement or a script of several; never raises for SQL errors."""

    def reset(self) -> None:
        """Start over on a fresh, empty database."""

    def close(self) -> None:
        """Release the process, file or connection behind the target."""
