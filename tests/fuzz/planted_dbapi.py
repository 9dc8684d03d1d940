"""A PEP 249 module for the fuzzer's own tests: the standard library's
sqlite3 with one bug planted, LIKE run as GLOB (case-sensitive, other
wildcards).  Reached as the target ``dbapi:planted_dbapi``, also from a
campaign's worker processes, so the fuzzer can be shown to find and reduce
a difference without depending on the state of litmus's engine."""

from __future__ import annotations

import re
import sqlite3

Error = sqlite3.Error
ProgrammingError = sqlite3.ProgrammingError
apilevel = "2.0"
threadsafety = 1
paramstyle = "qmark"

_LIKE = re.compile(r"\bLIKE\b", re.I)


def _rewrite(sql: str) -> str:
    return _LIKE.sub("GLOB", sql)


class Cursor:
    def __init__(self, cursor):
        self._cursor = cursor

    @property
    def description(self):
        return self._cursor.description

    def execute(self, sql, params=()):
        self._cursor.execute(_rewrite(sql), params)
        return self

    def fetchall(self):
        return self._cursor.fetchall()

    def close(self):
        self._cursor.close()


class Connection:
    def __init__(self, conn):
        self._conn = conn

    def cursor(self):
        return Cursor(self._conn.cursor())

    def close(self):
        self._conn.close()


def connect(database=":memory:"):
    conn = sqlite3.connect(database, isolation_level=None)
    conn.text_factory = lambda b: b.decode("utf-8", "surrogateescape")
    return Connection(conn)
