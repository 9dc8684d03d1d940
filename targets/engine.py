"""The ``engine`` target: litmus's own engine, in process, through its public
DB-API (DESIGN.md, "Targets").  Nothing below ``engine.connect`` is used.

The connection runs in autocommit mode (``isolation_level=None``), as the
sqlite3 shell does.  A script is split with
:func:`targets.script.split_statements` (semicolons kept, as sqlite3 sees
them; text ends at its first U+0000) and run one statement at a time; the
first error stops it.

- An ``engine.Error`` is status ``error`` with ``str(exc)``, SQLite's message.
- Any other exception is a bug in the engine: status ``crash`` with
  ``TypeName: message (file:line)`` of the innermost frame.  The connection
  is kept: the engine undoes a statement that raised, and a file's later
  records should not all fail because one statement hit a bug.
- A statement still running after ``timeout`` seconds is interrupted with
  ``conn.interrupt()`` from a watchdog thread; it is reported as ``timeout``
  and the connection kept (the engine undoes an interrupted statement).  A
  process cannot be killed here, so for an engine that does not notice the interrupt within ``kill_after`` seconds
  (a loop that never checks the flag) the watchdog raises an exception in
  the thread running the statement, which unwinds the engine's Python
  code.  The timeout message says which of the two stopped the statement.
"""

from __future__ import annotations

import ctypes
import importlib
import os
import threading
import time

from .base import CRASH, ERROR, OK, TIMEOUT, Result, TargetError, describe_crash
from .script import split_statements


class _Stopped(BaseException):
    """Raised by the watchdog inside a statement that ignored the interrupt.
    A BaseException, so that ``except Exception`` in the engine lets it by."""


def _raise_in_thread(thread_id: int, exc_type) -> None:
    """Schedules ``exc_type`` in another thread (None clears a pending one)."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc_type) if exc_type is not None else None)


class _Watchdog:
    """One thread per target: at the deadline it calls ``interrupt``; if the
    statement is still running ``kill_after`` seconds later it raises
    :class:`_Stopped` in the thread that armed it."""

    def __init__(self, kill_after: float):
        self.kill_after = kill_after
        self._cond = threading.Condition()
        self._deadline: float | None = None
        self._interrupt = None
        self._thread_id = 0
        self._stage = 0            # 0 armed/idle, 1 interrupted, 2 exception raised
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="litmus-engine-watchdog", daemon=True)
        self._thread.start()

    def arm(self, seconds: float, interrupt) -> None:
        with self._cond:
            self._deadline = time.monotonic() + seconds
            self._interrupt = interrupt
            self._thread_id = threading.get_ident()
            self._stage = 0
            self._cond.notify()

    def disarm(self) -> int:
        """Stops the countdown and returns how far it got: 0 (in time),
        1 (interrupted) or 2 (stopped by an exception).  A stopping exception
        not delivered yet is withdrawn."""
        with self._cond:
            self._deadline = None
            self._interrupt = None
            if self._stage == 2:
                _raise_in_thread(self._thread_id, None)
            return self._stage

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
                if self._stage == 0:
                    self._stage = 1
                    self._deadline += self.kill_after
                    try:
                        self._interrupt()
                    except Exception:
                        pass      # no working interrupt: the second stage will stop it
                else:
                    self._stage = 2
                    self._deadline = None
                    _raise_in_thread(self._thread_id, _Stopped)


class EngineTarget:
    """Runs SQL through ``engine.connect(database, isolation_level=None)``."""

    name = "engine"

    def __init__(self, database: str = ":memory:", timeout: float = 10.0, kill_after: float = 2.0):
        try:
            self.module = importlib.import_module("engine")
        except ImportError as exc:
            raise TargetError(f"cannot import the engine: {exc}") from None
        self.database = database
        self.in_memory = database in (":memory:", "")
        self.timeout = float(timeout)
        self.conn = None
        self._watchdog = _Watchdog(kill_after)
        self._connect()

    def _connect(self) -> None:
        self.conn = self.module.connect(self.database, isolation_level=None)

    def execute(self, sql: str) -> Result:
        started = time.perf_counter()
        rows: list[tuple] = []
        columns = None
        if "\x00" in sql:
            sql = sql[:sql.index("\x00")]    # where sqlite3_exec() stops reading
        error_class = self.module.Error
        watchdog = self._watchdog
        for stmt in split_statements(sql, keep_semicolon=True):
            conn = self.conn
            failure = None
            try:
                watchdog.arm(self.timeout, getattr(conn, "interrupt", _no_interrupt))
                try:
                    cur = conn.cursor()
                    # As in the sqlite3 shell, parameters nothing binds are NULL.
                    cur.execute(stmt, [None] * sum(p.nparams for p in conn.prepare(stmt)))
                    description = cur.description
                    stmt_rows = [tuple(r) for r in cur.fetchall()] if description is not None else []
                except error_class as exc:
                    failure = (ERROR, str(exc))
                except Exception as exc:      # not an SQL error: a bug in the engine
                    failure = (CRASH, describe_crash(exc))
                stage = watchdog.disarm()
            except _Stopped:
                stage = watchdog.disarm()
                stage = 2
            if stage:
                # Past the deadline, whatever the statement did after it.  An
                # engine that honoured the interrupt undid the statement and
                # keeps its database; one that had to be stopped is replaced.
                lost = ""
                if stage == 2:
                    self._replace_connection()
                    lost = self._lost()
                how = "interrupted" if stage == 1 else \
                    "the engine ignored the interrupt; its Python code was stopped"
                return Result(status=TIMEOUT, rows=rows, columns=columns,
                              error=f"timeout after {self.timeout:g}s ({how}){lost}",
                              seconds=time.perf_counter() - started, state_lost=bool(lost))
            if failure is not None:
                status, message = failure
                return Result(status=status, rows=rows, columns=columns, error=message,
                              seconds=time.perf_counter() - started)
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
