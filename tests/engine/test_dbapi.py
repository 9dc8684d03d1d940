"""The DB-API module (engine/api.py) and the files it writes, checked with
the sqlite3 binary."""

import shutil
import subprocess

import pytest

import engine

SQLITE3 = shutil.which("sqlite3")
needs_sqlite3 = pytest.mark.skipif(SQLITE3 is None, reason="the sqlite3 binary is not installed")


def sqlite3(path, sql):
    out = subprocess.run([SQLITE3, str(path), sql], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.splitlines()


def test_module_globals():
    assert engine.apilevel == "2.0"
    assert engine.paramstyle == "qmark"
    assert issubclass(engine.IntegrityError, engine.DatabaseError)
    assert issubclass(engine.OperationalError, engine.Error)


def test_cursor_basics():
    conn = engine.connect(":memory:")
    cur = conn.cursor()
    cur.execute("CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT)")
    cur.execute("INSERT INTO t(b) VALUES (?)", ("x",))
    assert cur.rowcount == 1
    assert cur.lastrowid == 1
    cur.executemany("INSERT INTO t(b) VALUES (:v)", [{"v": "y"}, {"v": "z"}])
    assert cur.rowcount == 2
    cur.execute("SELECT a, b FROM t ORDER BY a")
    assert [d[0] for d in cur.description] == ["a", "b"]
    assert cur.fetchone() == (1, "x")
    assert cur.fetchmany(1) == [(2, "y")]
    assert cur.fetchall() == [(3, "z")]
    assert cur.fetchone() is None
    cur.execute("UPDATE t SET b = b || '!' WHERE a > 1")
    assert cur.rowcount == 2
    conn.close()


def test_parameters_numbered_and_named():
    conn = engine.connect(":memory:")
    assert conn.execute("SELECT ?2, ?1, ?", (1, 2, 3)).fetchall() == [(2, 1, 3)]
    assert conn.execute("SELECT :a, @b, $c, :a", {"a": 1, "b": "x", "c": None}).fetchall() == [(1, "x", None, 1)]
    with pytest.raises(engine.ProgrammingError, match="Incorrect number of bindings"):
        conn.execute("SELECT ?, ?", (1,))
    with pytest.raises(engine.ProgrammingError, match="one statement at a time"):
        conn.execute("SELECT 1; SELECT 2")


def test_errors_carry_sqlite_messages():
    conn = engine.connect(":memory:")
    with pytest.raises(engine.OperationalError, match=r'^near "SELEC": syntax error$'):
        conn.execute("SELEC 1")
    with pytest.raises(engine.OperationalError, match="^no such table: nope$"):
        conn.execute("SELECT * FROM nope")
    conn.execute("CREATE TABLE t(a UNIQUE)")
    conn.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(engine.IntegrityError, match=r"^UNIQUE constraint failed: t\.a$") as info:
        conn.execute("INSERT INTO t VALUES (1)")
    assert info.value.sqlite_errorcode == engine.errors.SQLITE_CONSTRAINT_UNIQUE


def test_implicit_transaction_commit_and_rollback(tmp_path):
    path = tmp_path / "t.db"
    conn = engine.connect(path)
    conn.execute("CREATE TABLE t(a)")
    conn.execute("INSERT INTO t VALUES (1)")
    assert conn.in_transaction
    conn.rollback()
    assert conn.execute("SELECT count(*) FROM t").fetchall() == [(0,)]
    conn.execute("INSERT INTO t VALUES (2)")
    conn.commit()
    conn.close()
    again = engine.connect(path)
    assert again.execute("SELECT a FROM t").fetchall() == [(2,)]
    again.close()


@needs_sqlite3
def test_engine_file_is_read_by_sqlite3(tmp_path):
    """100,000 rows through the DB-API: several b-tree levels, checked by sqlite3."""
    path = tmp_path / "big.db"
    conn = engine.connect(path)
    conn.execute("CREATE TABLE t(a INTEGER, b TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, 'row ' || ?)", ((i, i) for i in range(1, 100001)))
    conn.commit()
    conn.close()
    assert sqlite3(path, "PRAGMA integrity_check; SELECT count(*), sum(a) FROM t;"
                         "SELECT b FROM t WHERE a = 77777; SELECT sql FROM sqlite_schema") == [
        "ok", "100000|5000050000", "row 77777", "CREATE TABLE t(a INTEGER, b TEXT)"]


@needs_sqlite3
def test_sqlite3_file_is_read_by_engine(tmp_path):
    path = tmp_path / "theirs.db"
    sqlite3(path, "CREATE TABLE t(a INTEGER, b TEXT);"
                  "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 100000)"
                  " INSERT INTO t SELECT i, 'row ' || i FROM c;")
    want = sqlite3(path, "SELECT count(*), sum(a) FROM t")
    conn = engine.connect(path)
    count, total = conn.execute("SELECT count(*), sum(a) FROM t").fetchone()
    assert f"{count}|{total}" == want[0]
    assert conn.execute("SELECT b FROM t WHERE rowid = 4242").fetchall() == [("row 4242",)]
    conn.close()


@needs_sqlite3
def test_schema_and_indexes_written_as_sqlite3_expects(tmp_path):
    path = tmp_path / "idx.db"
    conn = engine.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT UNIQUE, c)")
    conn.execute("CREATE INDEX tc ON t(c DESC, b)")
    for i in range(2000):
        conn.execute("INSERT INTO t VALUES (?, ?, ?)", (i, f"b{i:05d}", i % 7))
    conn.execute("DELETE FROM t WHERE a % 3 = 0")
    conn.execute("UPDATE t SET c = c + 1 WHERE a % 5 = 0")
    conn.close()
    assert sqlite3(path, "PRAGMA integrity_check") == ["ok"]
    assert sqlite3(path, "SELECT count(*), sum(c) FROM t INDEXED BY tc WHERE c >= 0") == \
        sqlite3(path, "SELECT count(*), sum(c) FROM t NOT INDEXED")


def test_temp_objects_never_reach_the_database_file(tmp_path):
    """TEMP tables, indexes and triggers live in a memory database of the
    connection: the main file's bytes do not change, sqlite3 sees nothing of
    them, and a new connection does not either."""
    path = tmp_path / "t.db"
    conn = engine.connect(str(path))
    conn.execute("CREATE TABLE m(a)")
    conn.execute("INSERT INTO m VALUES (1)")
    conn.commit()
    before = path.read_bytes()
    conn.execute("CREATE TEMP TABLE t(a UNIQUE, b)")
    conn.execute("CREATE INDEX t_b ON t(b)")
    conn.execute("CREATE TEMP TRIGGER m_ins AFTER INSERT ON m BEGIN INSERT INTO t VALUES (NEW.a, 0); END")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(i, i % 7) for i in range(10, 2000)])
    conn.commit()
    assert path.read_bytes() == before
    assert conn.execute("SELECT count(*) FROM t WHERE b = 3").fetchone() == (sum(i % 7 == 3 for i in range(10, 2000)),)
    conn.execute("INSERT INTO m VALUES (5)")
    conn.commit()
    assert conn.execute("SELECT b FROM t WHERE a = 5").fetchall() == [(0,)]
    conn.close()
    other = engine.connect(str(path))
    assert other.execute("SELECT name FROM sqlite_schema ORDER BY name").fetchall() == [("m",)]
    assert other.execute("SELECT count(*) FROM sqlite_temp_schema").fetchone() == (0,)
    other.close()
    if SQLITE3:
        out = subprocess.run([SQLITE3, str(path), "PRAGMA integrity_check; SELECT count(*) FROM m"],
                             capture_output=True, text=True, check=True).stdout.split()
        assert out == ["ok", "2"]
