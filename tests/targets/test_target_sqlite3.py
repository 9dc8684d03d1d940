"""The sqlite3 target: the system sqlite3 shell as one persistent process."""

import math
import os
import random
import signal
import struct
import threading
import time

import pytest

from targets import open_target
from targets.base import CRASH, ERROR, OK, TIMEOUT, TargetError
from targets.sqlite3_shell import SQLite3Target


@pytest.fixture(scope="module")
def shared():
    target = SQLite3Target()
    yield target
    target.close()


@pytest.fixture
def db(shared):
    shared.reset()
    return shared


def value(target, expr):
    result = target.execute(f"SELECT {expr}")
    assert result.status == OK, result.error
    assert len(result.rows) == 1 and len(result.rows[0]) == 1
    return result.rows[0][0]


def same(a, b):
    return type(a) is type(b) and (a == b or (isinstance(a, float) and math.isnan(a) and math.isnan(b)))


# ------------------------------------------------------------ values

def test_version(shared):
    parts = shared.version.split(".")
    assert len(parts) == 3 and all(p.isdigit() for p in parts)


@pytest.mark.parametrize("expr, expected", [
    ("0", 0), ("-1", -1), ("9223372036854775807", 2**63 - 1),
    ("-9223372036854775808", -2**63), ("-9223372036854775807 - 1", -2**63),
    ("9223372036854775807 + 1", 9.223372036854775807e18),       # overflows to a real
    ("0.1", 0.1), ("1e300", 1e300), ("5e-324", 5e-324), ("2.0", 2.0), ("-2.0", -2.0),
    ("1e16", 1e16), ("1e19", 1e19), ("-1e19", -1e19), ("1.5e19", 1.5e19), ("1e20", 1e20),
    ("9223372036854775808.0", 2.0**63), ("-9223372036854775808.0", -2.0**63),
    ("4503599627370495.5", 4503599627370495.5), ("1.7976931348623157e308", 1.7976931348623157e308),
    ("2.2250738585072014e-308", 2.2250738585072014e-308), ("1e-5", 1e-5), ("1/3.0", 1 / 3),
    ("9e999", float("inf")), ("-9e999", float("-inf")),
    ("'it''s'", "it's"), ("''", ""), ("'a\nb\r\nc'", "a\nb\r\nc"), ("'é€😀'", "é€😀"),
    ("'NULL'", "NULL"), ("'1'", "1"), ("'X''00'''", "X'00'"), ("',\n'", ",\n"),
    ("x''", b""), ("x'00ff'", b"\x00\xff"), ("x'414243'", b"ABC"), ("zeroblob(3)", b"\0\0\0"),
    ("NULL", None), ("char(9, 10, 13)", "\t\n\r"), ("cast(x'ff41' as text)", "\udcffA"),
])
def test_typed_values(shared, expr, expected):
    got = value(shared, expr)
    assert same(got, expected), (got, expected)


def test_negative_zero_reads_as_zero(shared):
    # Documented: the shell prints -0.0 as 0.0 (SQLite's printf drops the
    # sign of a zero); the storage class survives.
    got = value(shared, "-0.0")
    assert type(got) is float and got == 0.0


def test_text_stops_at_nul(shared):
    # Documented: the shell prints text as a C string.
    assert value(shared, "'ab' || char(0) || 'cd'") == "ab"


def test_one_row_of_every_class(shared):
    result = shared.execute("SELECT 1, 1.0, '1', x'31', NULL")
    assert [type(v) for v in result.rows[0]] == [int, float, str, bytes, type(None)]


def test_random_doubles_round_trip(shared):
    rng = random.Random(42)
    doubles = [5e-324, -5e-324, 2.2250738585072009e-308, 1.7976931348623157e308, 0.1, 1 / 3,
               2.0**63, -(2.0**63), 2.0**53 + 2, 123456789.123456789]
    while len(doubles) < 3000:
        bits = rng.getrandbits(64)
        if len(doubles) % 3 == 0:       # also plenty of everyday magnitudes
            bits = (bits & ~(0x7FF << 52)) | (rng.randint(1023 - 60, 1023 + 60) << 52)
        x = struct.unpack("<d", struct.pack("<Q", bits))[0]
        if not math.isnan(x):
            doubles.append(x)
    for start in range(0, len(doubles), 250):
        chunk = doubles[start:start + 250]
        exprs = ", ".join(f"ieee754_from_blob(x'{struct.pack('>d', x).hex()}')" for x in chunk)
        result = shared.execute(f"SELECT {exprs}")
        assert result.status == OK, result.error
        for x, y in zip(chunk, result.rows[0]):
            assert type(y) is float and (y == x or (x == 0 and y == 0)), (x.hex(), y)
            if x != 0:
                assert struct.pack("<d", x) == struct.pack("<d", y), (x.hex(), y.hex())


def test_table_round_trip(db):
    values = [0, 1, -1, 2**63 - 1, -2**63, 0.5, -1e-300, 3.0, "", "x", "a'b\nc", b"", b"\x00", None]
    assert db.execute("CREATE TABLE t(v)").ok
    for v in values:
        literal = ("NULL" if v is None else
                   f"x'{v.hex()}'" if isinstance(v, bytes) else
                   "'" + v.replace("'", "''") + "'" if isinstance(v, str) else repr(v))
        assert db.execute(f"INSERT INTO t VALUES({literal})").ok
    result = db.execute("SELECT v, typeof(v) FROM t ORDER BY rowid")
    assert [r[0] for r in result.rows] == values
    assert [type(r[0]) for r in result.rows] == [type(v) for v in values]


def test_large_output_and_large_input(db):
    result = db.execute("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                        "WHERE x < 50000) SELECT x, 'row ' || x FROM c")
    assert result.ok and len(result.rows) == 50000
    assert result.rows[-1] == (50000, "row 50000")
    big = "ab'c\n" * 60000
    literal = big.replace("'", "''")
    assert db.execute(f"CREATE TABLE big(v); INSERT INTO big VALUES('{literal}')").ok
    assert db.execute("SELECT length(v), v = v FROM big").rows == [(len(big), 1)]
    assert db.execute("SELECT v FROM big").rows == [(big,)]


# ------------------------------------------------------------ columns

def test_column_names(shared):
    result = shared.execute('SELECT 1 AS a, 2 AS "b c", 3 AS [it\'s], 1 + 1, \'x\'')
    assert result.columns == ("a", "b c", "it's", "1 + 1", "'x'")


def test_empty_result_has_unknown_columns(shared):
    result = shared.execute("SELECT 1 AS a WHERE 0")
    assert result.ok and result.rows == [] and result.columns is None


def test_columns_are_those_of_the_last_statement(db):
    result = db.execute("SELECT 1 AS a, 2 AS b; SELECT 3 AS c")
    assert result.rows == [(1, 2), (3,)] and result.columns == ("c",)
    # A last statement without output: the shell cannot tell its columns.
    result = db.execute("SELECT 1 AS a; CREATE TABLE t(x)")
    assert result.rows == [(1,)] and result.columns is None


def test_explain_comes_back_as_rows(db):
    result = db.execute("EXPLAIN QUERY PLAN SELECT 1")
    assert result.columns == ("id", "parent", "notused", "detail")
    result = db.execute("EXPLAIN SELECT 1")
    assert result.columns[:2] == ("addr", "opcode") and isinstance(result.rows[0][0], int)


# ------------------------------------------------------------ scripts

def test_script_runs_in_order(db):
    result = db.execute("CREATE TABLE t(a); INSERT INTO t VALUES(1); INSERT INTO t VALUES(2);"
                        "SELECT a FROM t ORDER BY a; SELECT count(*) FROM t")
    assert result.ok and result.rows == [(1,), (2,), (2,)]


def test_script_stops_at_first_error(db):
    result = db.execute("CREATE TABLE t(a UNIQUE); INSERT INTO t VALUES(1); SELECT 'before';"
                        "INSERT INTO t VALUES(1); INSERT INTO t VALUES(2); SELECT 'after'")
    assert result.status == ERROR
    assert result.error == "UNIQUE constraint failed: t.a"
    assert result.rows == [("before",)]
    # Statements before the error took effect, the ones after did not run.
    assert db.execute("SELECT a FROM t").rows == [(1,)]


def test_statement_without_semicolon_and_semicolons_in_strings(db):
    result = db.execute("SELECT 'a;b'; SELECT \"c;\" FROM (SELECT 1 AS \"c;\"); SELECT ';'")
    assert result.rows == [("a;b",), (1,), (";",)]


def test_dot_lines_are_sql_not_commands(db):
    result = db.execute("SELECT '\n.tables\n.quit\n'")
    assert result.rows == [("\n.tables\n.quit\n",)]
    result = db.execute(".tables")
    assert result.status == ERROR and result.error == 'near ".": syntax error'
    result = db.execute("-- comment\n.print hi")
    assert result.status == ERROR and result.error == 'near ".": syntax error'
    result = db.execute("#x")
    assert result.status == ERROR and result.error == 'near "#x": syntax error'
    assert db.execute("SELECT 1").rows == [(1,)]      # the shell is still in step


def test_multi_line_statements(db):
    result = db.execute("SELECT\n  1 AS a,\n  'x\n;\ny' AS b\n;\nSELECT 2")
    assert result.rows == [(1, "x\n;\ny"), (2,)]
    assert db.execute("SELECT 'a\r\nb' || x'0d0a'").rows == [("a\r\nb\r\n",)]


def test_terminator_lines_do_not_split(db):
    assert db.execute("SELECT 4\n/\n2").rows == [(2,)]
    assert db.execute("SELECT 5 AS\ngo").rows == [(5,)]


def test_triggers(db):
    result = db.execute(
        "CREATE TABLE t(a); CREATE TABLE log(x);"
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN "
        "  INSERT INTO log VALUES(CASE WHEN new.a > 1 THEN 'big' ELSE 'small' END);"
        "  INSERT INTO log VALUES(new.a);"
        "END;"
        "INSERT INTO t VALUES(1); INSERT INTO t VALUES(5); SELECT x FROM log ORDER BY rowid")
    assert result.ok and result.rows == [("small",), (1,), ("big",), (5,)]


def test_comments_only(db):
    result = db.execute("-- nothing\n/* at all */ ;")
    assert result.ok and result.rows == [] and result.columns is None


def test_sql_stops_at_nul(db):
    assert db.execute("SELECT 1;\x00 SELECT 2").rows == [(1,)]


# ------------------------------------------------------------ errors

@pytest.mark.parametrize("sql, message", [
    ("SELECT * FROM nosuch", "no such table: nosuch"),
    ("SELEC 1", 'near "SELEC": syntax error'),
    ("SELECT 1 +;", 'near ";": syntax error'),
    ("SELECT 1 +", "incomplete input"),
    ("SELECT 'abc", "unrecognized token: \"'abc\""),
    ("SELECT 1, 'a\nb", "unrecognized token: \"'a\nb\""),
    ("SELECT x'0a", "unrecognized token: \"x'0a\""),
    ("SELECT [a", 'unrecognized token: "[a"'),
    ("SELECT 1 /* open", None),
    ("SELECT 1 -- no end", None),
    ("CREATE TABLE t(a /* open", "incomplete input"),
    ("SELECT nosuch_function(1)", "no such function: nosuch_function"),
    ("SELECT abs(-9223372036854775808)", "integer overflow"),
    ("SELECT * FROM \"a\nb\"", "no such table: a\nb"),
    ("SELECT count(*) FROM (SELECT 1) GROUP BY 1 HAVING nosuch_column_with_a_long_name_xx",
     "no such column: nosuch_column_with_a_long_name_xx"),
    ("CREATE TABLE t(a); CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1;", "incomplete input"),
    ("CREATE TRIGGER tr AFTER INSERT ON nosuch BEGIN SELECT 1;", "no such table: main.nosuch"),
    ("CREATE TABLE t(a CHECK(a > 0)); INSERT INTO t VALUES(0)", "CHECK constraint failed: a > 0"),
    ("CREATE TABLE t(a NOT NULL); INSERT INTO t VALUES(NULL)", "NOT NULL constraint failed: t.a"),
    ("SELECT raise(abort, 'x')", "RAISE() may only be used within a trigger-program"),
    ("CREATE TABLE t(a); CREATE TRIGGER tr BEFORE INSERT ON t BEGIN SELECT raise(abort, 'no (3)'); END;"
     "INSERT INTO t VALUES(1)", "no (3)"),
])
def test_error_messages(db, sql, message):
    result = db.execute(sql)
    if message is None:
        assert result.ok, result.error
    else:
        assert result.status == ERROR and result.error == message
    assert db.execute("SELECT 'still here'").rows == [("still here",)]


def test_runtime_error_after_rows(db):
    result = db.execute("SELECT 0; WITH c(x) AS (VALUES(1), (2), (3)) "
                        "SELECT CASE WHEN x < 3 THEN x ELSE abs(-9223372036854775807 - 1) END FROM c")
    assert result.status == ERROR and result.error == "integer overflow"
    assert result.rows == [(0,)]       # rows of the failed statement are not kept


def test_safe_mode_attach_is_a_crash(db):
    assert db.execute("CREATE TABLE t(a)").ok
    result = db.execute("ATTACH ':memory:' AS other")
    assert result.status == CRASH
    assert "cannot run ATTACH in safe mode" in result.error
    assert "empty again" in result.error
    # A new process, on a fresh database.
    assert db.execute("SELECT name FROM sqlite_schema").rows == []


def test_unsafe_mode_allows_attach():
    with SQLite3Target(safe=False) as target:
        result = target.execute("ATTACH ':memory:' AS other; CREATE TABLE other.t(a);"
                                "INSERT INTO other.t VALUES(7); SELECT a FROM other.t")
        assert result.ok and result.rows == [(7,)]


# ------------------------------------------------------------ timeouts, crashes, reset

INFINITE = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"


def test_timeout_restarts_on_a_fresh_database():
    with SQLite3Target(timeout=1.0) as target:
        assert target.execute("CREATE TABLE t(a); INSERT INTO t VALUES(1)").ok
        pid = target.pid
        started = time.monotonic()
        result = target.execute(f"SELECT 'before'; {INFINITE}; SELECT 'after'")
        assert result.status == TIMEOUT
        assert result.error.startswith("timeout after 1s")
        assert result.rows == [("before",)]
        assert 0.9 < time.monotonic() - started < 5
        assert target.pid != pid and target.restarts == 1
        assert target.execute("SELECT name FROM sqlite_schema").rows == []
        assert target.execute("SELECT 1").rows == [(1,)]


def wait_until_dead(pid):
    # The child stays a zombie (unreaped) once dead; its pipes are closed by then.
    for _ in range(200):
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split(")")[-1].split()[0] == "Z":
                    return
        except FileNotFoundError:
            return
        time.sleep(0.01)


def test_process_killed_between_calls_is_reported_as_crash():
    with SQLite3Target() as target:
        assert target.execute("CREATE TABLE t(a)").ok
        pid = target.pid
        os.kill(pid, signal.SIGKILL)
        wait_until_dead(pid)
        result = target.execute("SELECT 1")
        assert result.status == CRASH
        assert "before this statement was sent; it did not run" in result.error
        assert "SIGKILL" in result.error
        assert target.pid != pid
        assert target.execute("SELECT count(*) FROM sqlite_schema").rows == [(0,)]


def test_process_killed_during_a_statement_is_reported_as_crash():
    with SQLite3Target(timeout=10.0) as target:
        pid = target.pid
        timer = threading.Timer(0.3, os.kill, (pid, signal.SIGKILL))
        timer.start()
        try:
            result = target.execute(INFINITE)
        finally:
            timer.cancel()
        assert result.status == CRASH
        assert "while running this statement" in result.error
        assert target.execute("SELECT 2").rows == [(2,)]


def test_reset_gives_an_empty_database(db):
    assert db.execute("CREATE TABLE t(a); CREATE TEMP TABLE u(b); PRAGMA foreign_keys = 1").ok
    pid = db.pid
    db.reset()
    assert db.pid == pid                  # no new process for an in-memory database
    assert db.execute("SELECT count(*) FROM sqlite_schema").rows == [(0,)]
    assert db.execute("SELECT count(*) FROM sqlite_temp_schema").rows == [(0,)]
    assert db.execute("PRAGMA foreign_keys").rows == [(0,)]
    assert db.execute("ATTACH ':memory:' AS x").status == CRASH     # still in safe mode


def test_file_database_and_reset(tmp_path):
    path = tmp_path / "t.db"
    with SQLite3Target(database=str(path)) as target:
        assert target.execute("CREATE TABLE t(a); INSERT INTO t VALUES(1)").ok
        assert path.exists()
        target.reset()
        assert target.execute("SELECT count(*) FROM sqlite_schema").rows == [(0,)]


def test_close_ends_the_process():
    target = SQLite3Target()
    pid = target.pid
    target.close()
    wait_until_dead(pid)
    assert target.pid is None


def test_missing_binary():
    with pytest.raises(TargetError):
        SQLite3Target(binary="/nonexistent/sqlite3")


def test_open_target_spec():
    target = open_target("sqlite3", timeout=3)
    try:
        assert target.name == "sqlite3" and target.timeout == 3
        assert target.execute("SELECT 1").rows == [(1,)]
    finally:
        target.close()
