"""The ``engine`` target: litmus's own engine, in process, through its public
DB-API (DESIGN.md, "Targets").  Nothing below ``engine.connect`` is used.

The connection runs in autocommit mode (``isolation_level=None``), as the
sqlite3 shell does.  A script is split with
:func:`targets.script.split_statements` (semicolons kept, as sqlite3 sees
them) and run one statement at a time; the first error stops it.

- An ``engine.Error`` is status ``error`` with ``str(exc)``, SQLite's message.
- Any other exception is a bug in the engine: status ``crash`` with
  ``TypeName: message (file:line)`` of the innermost frame; the connection
  is then replaced, so later statements start from a fresh database.
- A statement still running after ``timeout`` seconds is interrupted with
  ``conn.interrupt()`` from a watchdog thread; it is reported as
  ``timeout`` and the connection replaced.  An engine that never checks for
  the interrupt cannot be stopped from inside the process: ``execute`` then
  waits for it.
"""

from __future__ import annotations

import importlib
import os
import threading
import time

from .base import CRASH, ERROR, OK, TIMEOUT, Result, TargetError, describe_crash
from .script import split_statements


class _Watchdog:
    """One thread that calls ``action`` when an armed deadline passes."""

    def __init__(self):
        self._cond = threading.Condition()
        self._deadline: float | None = None
        self._action = None
        self._generation = 0
        self.fired = False
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="litmus-engine-watchdog", daemon=True)
        self._thread.start()

    def arm(self, seconds: float, action) -> None:
        with self._cond:
            self._generation += 1
            self._deadline = time.monotonic() + seconds
            self._action = action
            self.fired = False
            self._cond.notify()

    def disarm(self) -> bool:
        """Stops the countdown; True when the action had already run."""
        with self._cond:
            self._generation += 1
            self._deadline = None
            self._action = None
            return self.fired

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        self._thread.join(timeout=1.0)

    def _run(self) -> None:
        with self._cond:
            while not self._closed:
                if self._deadline is None:
                    self._cond.wait()
                    continue
                left = self._deadline - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                action = self._action
                self._deadline = None
                self._action = None
                self.fired = True
                try:
                    action()
                except Exception:
                    pass        # a connection that cannot be interrupted: the statement runs on


class EngineTarget:
    """Runs SQL through ``engine.connect(database, isolation_level=None)``."""

    name = "engine"

    def __init__(self, database: str = ":memory:", timeout: float = 10.0):
        try:
            self.module = importlib.import_module("engine")
        except ImportError as exc:
            raise TargetError(f"cannot import the engine: {exc}") from None
        self.database = database
        self.in_memory = database in (":memory:", "")
        self.timeout = float(timeout)
        self.conn = None
        self._watchdog = _Watchdog()
        self._connect()

    def _connect(self) -> None:
        self.conn = self.module.connect(self.database, isolation_level=None)

    def execute(self, sql: str) -> Result:
        started = time.perf_counter()
        rows: list[tuple] = []
        columns = None
        error_class = self.module.Error
        if "\x00" in sql:
            sql = sql[:sql.index("\x00")]    # where sqlite3_exec() stops reading
        for stmt in split_statements(sql, keep_semicolon=True):
            conn = self.conn
            self._watchdog.arm(self.timeout, getattr(conn, "interrupt", _no_interrupt))
            try:
                cur = conn.cursor()
                cur.execute(stmt)
                description = cur.description
                stmt_rows = [tuple(r) for r in cur.fetchall()] if description is not None else []
            except error_class as exc:
                if self._watchdog.disarm():
                    return self._timed_out(rows, columns, started)
                return Result(status=ERROR, rows=rows, columns=columns, error=str(exc),
                              seconds=time.perf_counter() - started)
            except Exception as exc:      # not an SQL error: a bug in the engine
                self._watchdog.disarm()
                message = describe_crash(exc)
                self._replace_connection()
                return Result(status=CRASH, rows=rows, columns=columns,
                              error=message + self._lost(),
                              seconds=time.perf_counter() - started)
            if self._watchdog.disarm():
                # The deadline passed just as the statement ended; the
                # interrupt may still be pending on the connection.
                return self._timed_out(rows, columns, started)
            try:
                cur.close()
            except Exception:
                pass
            if description is not None:
                columns = tuple(d[0] for d in description)
                rows.extend(stmt_rows)
        return Result(status=OK, rows=rows, columns=columns, seconds=time.perf_counter() - started)

    def reset(self) -> None:
        """A fresh, empty database: a new connection (a database file is
        removed first, with its journal and WAL)."""
        self._close_connection()
        if not self.in_memory:
            for suffix in ("", "-journal", "-wal", "-shm"):
                try:
                    os.unlink(self.database + suffix)
                except FileNotFoundError:
                    pass
        self._connect()

    def close(self) -> None:
        self._close_connection()
        self._watchdog.close()

    def __enter__(self) -> "EngineTarget":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------ helpers

    def _timed_out(self, rows, columns, started) -> Result:
        self._replace_connection()
        return Result(status=TIMEOUT, rows=rows, columns=columns,
                      error=f"timeout after {self.timeout:g}s{self._lost()}",
                      seconds=time.perf_counter() - started)

    def _replace_connection(self) -> None:
        self._close_connection()
        self._connect()

    def _close_connection(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass

    def _lost(self) -> str:
        if self.in_memory:
            return " (the connection was replaced: the database is empty again)"
        return " (the connection was replaced)"


def _no_interrupt() -> None:
    pass
