"""The ``dbapi:MODULE`` target: any PEP 249 module, e.g. ``dbapi:sqlite3``."""

from __future__ import annotations

import importlib
import time

from .base import CRASH, ERROR, OK, Result
from .script import split_statements


class DBAPITarget:
    """Runs SQL through ``MODULE.connect(database)``, one statement at a time,
    in autocommit mode where the module allows it (as the sqlite3 shell runs)."""

    def __init__(self, module: str, database: str = ":memory:"):
        self.name = f"dbapi:{module}"
        self.module = importlib.import_module(module)
        self.database = database
        self.conn = None
        self.reset()

    def _connect(self):
        if self.module.__name__ == "sqlite3":
            return self.module.connect(self.database, isolation_level=None)
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
        for stmt in split_statements(sql):
            try:
                cur = self.conn.cursor()
                cur.execute(stmt)
                if cur.description is not None:
                    columns = tuple(d[0] for d in cur.description)
                    rows.extend(tuple(r) for r in cur.fetchall())
                cur.close()
            except self.module.Error as exc:
                return Result(status=ERROR, error=str(exc), rows=rows, columns=columns,
                              seconds=time.perf_counter() - started)
            except Exception as exc:  # not an SQL error: the target misbehaved
                return Result(status=CRASH, error=f"{type(exc).__name__}: {exc}", rows=rows,
                              columns=columns, seconds=time.perf_counter() - started)
        return Result(status=OK, rows=rows, columns=columns, seconds=time.perf_counter() - started)

    def reset(self) -> None:
        self.close()
        self.conn = self._connect()

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.close()
            finally:
                self.conn = None
