"""The ``dbapi:MODULE`` target: any PEP 249 module, e.g. ``dbapi:sqlite3``.

Statements are run one at a time, each with the semicolon that ended it in
the script (as sqlite3 prepares them), in autocommit mode where the module
allows it (as the sqlite3 shell runs).  SQL text ends at its first U+0000,
as it does for sqlite3_exec().  For the standard library's ``sqlite3``, text
that is not valid UTF-8 is decoded with ``surrogateescape``, as the sqlite3
target does, instead of failing, and parameters left unbound are NULL, as
in sqlite3_exec(), instead of an error.
"""

from __future__ import annotations

import importlib
import os
import re
import time
import warnings

from .base import CRASH, ERROR, OK, Result, describe_crash
from .script import split_statements


_UNBOUND = re.compile(r"Incorrect number of bindings supplied\. The current statement uses (\d+), and there are 0 supplied")


def _surrogateescape(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


class DBAPITarget:
    """Runs SQL through ``MODULE.connect(database)``."""

    def __init__(self, module: str, database: str = ":memory:"):
        self.name = f"dbapi:{module}"
        self.module = importlib.import_module(module)
        self.database = database
        self.conn = self._connect()

    def _connect(self):
        if self.module.__name__ == "sqlite3":
            conn = self.module.connect(self.database, isolation_level=None)
            conn.text_factory = _surrogateescape
            return conn
        conn = self.module.connect(self.database)
        if hasattr(conn, "autocommit"):
            try:
                conn.autocommit = True
            except Exception:  # a module may refuse; it then runs in its own mode
                pass
        return conn

    def execute(self, sql: str) -> Result:
        started = time.perf_counter()
        rows: list[tuple] = []
        columns = None
        if "\x00" in sql:
            sql = sql[:sql.index("\x00")]
        for stmt in split_statements(sql, keep_semicolon=True):
            try:
                cur = self.conn.cursor()
                self._run(cur, stmt)
                if cur.description is not None:
                    stmt_rows = [tuple(r) for r in cur.fetchall()]
                    columns = tuple(d[0] for d in cur.description)
                    rows.extend(stmt_rows)
                cur.close()
            except self.module.Error as exc:
                return Result(status=ERROR, error=str(exc), rows=rows, columns=columns,
                              seconds=time.perf_counter() - started)
            except Exception as exc:  # not an SQL error: the target misbehaved
                return Result(status=CRASH, error=describe_crash(exc), rows=rows,
                              columns=columns, seconds=time.perf_counter() - started)
        return Result(status=OK, rows=rows, columns=columns, seconds=time.perf_counter() - started)

    def _run(self, cur, stmt: str) -> None:
        try:
            cur.execute(stmt)
        except self.module.ProgrammingError as exc:
            # The standard library's sqlite3 refuses to run a statement with
            # unbound parameters; SQLite itself (and the shell) binds NULL.
            m = _UNBOUND.match(str(exc)) if self.module.__name__ == "sqlite3" else None
            if m is None:
                raise
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                cur.execute(stmt, (None,) * int(m.group(1)))

    def reset(self) -> None:
        """A fresh, empty database: a new connection (a database file is
        removed first, with its journal and WAL)."""
        self.close()
        if self.database not in (":memory:", ""):
            for suffix in ("", "-journal", "-wal", "-shm"):
                try:
                    os.unlink(self.database + suffix)
                except FileNotFoundError:
                    pass
        self.conn = self._connect()

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None

    def __enter__(self) -> "DBAPITarget":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
