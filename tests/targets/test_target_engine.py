"""The engine target: litmus's own engine in process, through its DB-API.

These run against the real engine (``engine.connect``); nothing is faked,
so they fail for as long as the engine cannot do what they ask.
"""

import time

import pytest

from targets import open_target
from targets.base import CRASH, ERROR, OK, TIMEOUT, describe_crash
from targets.engine import EngineTarget

INFINITE = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"


@pytest.fixture
def target():
    t = EngineTarget()
    yield t
    t.close()


def test_name_and_spec():
    t = open_target("engine", timeout=2)
    try:
        assert t.name == "engine" and t.timeout == 2
    finally:
        t.close()


def test_typed_values(target):
    result = target.execute("SELECT 1, 1.0, '1', x'31', NULL, -9223372036854775808, 0.1")
    assert result.status == OK, result.error
    assert result.rows == [(1, 1.0, "1", b"1", None, -2**63, 0.1)]
    assert [type(v) for v in result.rows[0]] == [int, float, str, bytes, type(None), int, float]


def test_column_names(target):
    result = target.execute("SELECT 1 AS a, 2 AS \"b c\", 1 + 1")
    assert result.columns == ("a", "b c", "1 + 1")


def test_script_and_first_error(target):
    result = target.execute("CREATE TABLE t(a UNIQUE); INSERT INTO t VALUES(1); SELECT a FROM t;"
                            "INSERT INTO t VALUES(1); INSERT INTO t VALUES(2)")
    assert result.status == ERROR
    assert result.error == "UNIQUE constraint failed: t.a"
    assert result.rows == [(1,)]
    assert target.execute("SELECT a FROM t").rows == [(1,)]


def test_error_message(target):
    result = target.execute("SELECT * FROM nosuch")
    assert result.status == ERROR and result.error == "no such table: nosuch"
    result = target.execute("SELECT 1 +;")
    assert result.status == ERROR and result.error == 'near ";": syntax error'


def test_autocommit(tmp_path):
    path = str(tmp_path / "e.db")
    t = EngineTarget(database=path)
    try:
        assert t.execute("CREATE TABLE t(a); INSERT INTO t VALUES(1)").ok
    finally:
        t.close()
    t = EngineTarget(database=path)
    try:
        assert t.execute("SELECT a FROM t").rows == [(1,)]
    finally:
        t.close()


def test_timeout_interrupts_and_keeps_the_database():
    t = EngineTarget(timeout=1.0)
    try:
        assert t.execute("CREATE TABLE t(a)").ok
        started = time.monotonic()
        result = t.execute(INFINITE)
        assert result.status == TIMEOUT
        assert result.error.startswith("timeout after 1s")
        assert time.monotonic() - started < 10
        # The interrupted statement was undone; the database is still there.
        assert t.execute("SELECT count(*) FROM sqlite_schema").rows == [(1,)]
    finally:
        t.close()


@pytest.mark.parametrize("setup, query", [
    ("", INFINITE),
    ("CREATE TABLE t(a);" + ";".join(f"INSERT INTO t VALUES({i})" for i in range(100)),
     "SELECT count(*) FROM t a, t b, t c, t d, t e"),
])
def test_interrupt_reaches_the_engine(setup, query):
    # The engine's side of the timeout contract: conn.interrupt() stops the
    # running statement soon after, wherever it is looping.  (Without it
    # the target still stops the statement, by raising in its thread; the
    # message tells the two apart.)
    t = EngineTarget(timeout=1.0)
    try:
        assert t.execute(setup).ok
        result = t.execute(query)
        assert result.status == TIMEOUT
        assert "(interrupted)" in result.error, result.error
    finally:
        t.close()


def test_reset(target):
    assert target.execute("CREATE TABLE t(a)").ok
    target.reset()
    assert target.execute("SELECT count(*) FROM sqlite_schema").rows == [(0,)]


class CursorRaises:
    """The real connection, except that cursor() fails with a Python error,
    as a bug inside the engine would."""

    def __init__(self, conn):
        self._conn = conn

    def cursor(self):
        return {}["no such key"]

    def __getattr__(self, name):
        return getattr(self._conn, name)


def test_python_exception_is_a_crash(target):
    assert target.execute("CREATE TABLE t(a)").ok
    target.conn = CursorRaises(target.conn)
    result = target.execute("SELECT 1")
    assert result.status == CRASH
    assert result.error.startswith("KeyError: 'no such key' (")
    assert "test_target_engine.py:" in result.error
    # The connection is kept, with its database.
    target.conn = target.conn._conn
    assert target.execute("SELECT count(*) FROM sqlite_schema").rows == [(1,)]


def test_describe_crash():
    try:
        1 / 0
    except ZeroDivisionError as exc:
        text = describe_crash(exc)
    assert text.startswith("ZeroDivisionError: division by zero (")
    assert text.endswith(f"test_target_engine.py:{test_describe_crash.__code__.co_firstlineno + 2})")
