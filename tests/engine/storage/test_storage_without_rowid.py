"""WITHOUT ROWID tables on disk (withoutrowid.html, fileformat2.html 2.3):
the engine's b-trees hold the same entries as sqlite3's for the same
statements, sqlite3 checks and changes what the engine wrote, and the engine
reads, searches and changes what sqlite3 wrote.  VIRTUAL generated columns
are left out of records and REAL values are stored as sqlite3 stores them,
in every kind of table."""

from __future__ import annotations

import random

import pytest

from engine import api
from engine.storage.btree import IndexCursor, TableCursor
from engine.storage.pager import Pager
from engine.storage.record import decode_record
from engine.storage.vfs import OSVFS

from storage_helpers import integrity_ok, requires_sqlite3, sqlite, sqlite_out

pytestmark = requires_sqlite3

SHAPES = """
CREATE TABLE t1(a INTEGER PRIMARY KEY, b TEXT, c REAL) WITHOUT ROWID;
CREATE TABLE t2(x TEXT COLLATE NOCASE, y INT, z BLOB, w AS (y*2), v, PRIMARY KEY(y DESC, x, x)) WITHOUT ROWID;
CREATE INDEX t2z ON t2(z);
CREATE UNIQUE INDEX t2v ON t2(v, x COLLATE BINARY);
CREATE INDEX t2e ON t2(y+1, x) WHERE v IS NOT NULL;
CREATE TABLE t3(a, b UNIQUE, c, d AS (a||c) STORED, e AS (c+1), PRIMARY KEY(c, a)) WITHOUT ROWID;
CREATE TABLE t4(k REAL PRIMARY KEY, v, u UNIQUE) WITHOUT ROWID;
CREATE INDEX t4v ON t4(v DESC);
CREATE TABLE r(a, b AS (a+1), c REAL, d AS (c*2) STORED);
CREATE INDEX rc ON r(c);
INSERT INTO t1 VALUES(3,'x',1.0),(1,'y',2.5),(2,NULL,3),(-7,'z',-0.0),(9,'big',1e300);
INSERT INTO t2(x,y,z,v) VALUES('abc',1,x'01',10),('ABD',1,x'02',NULL),('b',2,NULL,11),('a',3,'t',12);
INSERT INTO t3(a,b,c) VALUES(1,2,3),('x','y','z'),(2.5,NULL,-1);
INSERT INTO t4 VALUES(1,2,3),(2.5,'a',4.0),(-3,NULL,NULL),(4.0,x'00',5);
INSERT INTO r(a,c) VALUES(1,2),(5,6.5),(NULL,-8);
UPDATE t2 SET x = 'B' WHERE x = 'b';
UPDATE t2 SET y = y + 10 WHERE v = 12;
UPDATE t4 SET k = k * 2 WHERE k < 3;
DELETE FROM t3 WHERE c = 'z';
INSERT OR REPLACE INTO t2(x,y,z,v) VALUES('ABC',1,x'03',13);
"""


def _typed(values) -> tuple:
    return tuple((type(v).__name__, v) for v in values)


def entries(path) -> dict:
    """Every b-tree's entries, by schema object name, with value types."""
    pager = Pager.open(OSVFS(), str(path), readonly=True)
    pager.begin_read()
    try:
        out = {}
        for _rowid, payload in TableCursor(pager, 1).scan():
            kind, name, _tbl, root, sql = decode_record(payload)[:5]
            if not root:
                continue
            if kind == "table" and "WITHOUT ROWID" not in (sql or "").upper():
                out[name] = [(r, _typed(decode_record(p))) for r, p in TableCursor(pager, root).scan()]
            else:
                out[name] = [_typed(k) for k in IndexCursor(pager, root).scan()]
        return out
    finally:
        pager.end_read()
        pager.close()


def engine_run(path, sql: str) -> None:
    conn = api.connect(str(path))
    try:
        conn.executescript(sql)
        conn.commit()
    finally:
        conn.close()


def engine_rows(path, sql: str) -> list:
    conn = api.connect(str(path))
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def quoted_query(table: str, columns: list[str], where: str = "") -> str:
    cols = " || '|' || ".join(f"quote({c})" for c in columns)
    return f"SELECT {cols} FROM {table} {where}"


def assert_same_entries(engine_path, sqlite_path) -> None:
    mine, theirs = entries(engine_path), entries(sqlite_path)
    assert sorted(mine) == sorted(theirs)
    for name in theirs:
        if mine[name] != theirs[name]:
            only_mine = [_short(e) for e in mine[name] if e not in theirs[name]]
            only_theirs = [_short(e) for e in theirs[name] if e not in mine[name]]
            raise AssertionError(f"{name}: only in the engine's {only_mine[:5]}, "
                                 f"only in sqlite3's {only_theirs[:5]}"
                                 + ("" if only_mine or only_theirs else " (same entries, another order)"))


def _short(entry):
    def cut(v):
        return v[:12] + f"...({len(v)})" if isinstance(v, (str, bytes)) and len(v) > 15 else v
    return tuple(cut(v) for _t, v in entry) if isinstance(entry[0], tuple) else entry


def test_entries_equal_sqlite3s(tmp_path):
    ours, theirs = tmp_path / "engine.db", tmp_path / "sqlite3.db"
    engine_run(ours, SHAPES)
    sqlite(theirs, SHAPES)
    assert_same_entries(ours, theirs)
    integrity_ok(ours)


def test_sqlite3_changes_engine_file_and_engine_changes_sqlite3s(tmp_path):
    ours, theirs = tmp_path / "engine.db", tmp_path / "sqlite3.db"
    engine_run(ours, SHAPES)
    sqlite(theirs, SHAPES)
    more = """
    INSERT INTO t2(x,y,z,v) VALUES('q',5,x'05',20),('Q2',5,NULL,NULL);
    UPDATE t2 SET v = v + 100 WHERE y = 1;
    DELETE FROM t4 WHERE v IS NULL;
    INSERT INTO t3(a,b,c) VALUES(7,8,9);
    """
    # sqlite3 continues the engine's file, the engine continues sqlite3's.
    sqlite(ours, more)
    engine_run(theirs, more)
    integrity_ok(ours)
    integrity_ok(theirs)
    assert_same_entries(ours, theirs)


LOOKUPS = [
    ("t1", ["a", "b", "c"], "WHERE a = 3"),
    ("t1", ["a", "b", "c"], "WHERE a > 1 ORDER BY a DESC"),
    ("t2", ["x", "y", "z", "w", "v"], ""),
    ("t2", ["x", "y", "w"], "WHERE y = 1 AND x = 'abc'"),
    ("t2", ["x", "y"], "WHERE z = x'02'"),
    ("t2", ["x", "v"], "WHERE v = 11"),
    ("t3", ["a", "b", "c", "d", "e"], ""),
    ("t3", ["a", "c"], "WHERE b = 2"),
    ("t4", ["k", "v", "u"], "WHERE k = 4"),
    ("t4", ["k", "u"], "WHERE u = 4.0"),
    ("r", ["a", "b", "c", "d"], "WHERE c = 2"),
]


@pytest.mark.parametrize("table,columns,where", LOOKUPS)
def test_engine_reads_sqlite3s_file(tmp_path, table, columns, where):
    path = tmp_path / "sqlite3.db"
    sqlite(path, SHAPES)
    query = quoted_query(table, columns, where)
    want = sqlite_out(path, query + ";").splitlines()
    assert [r[0] for r in engine_rows(path, query)] == want


def _value(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.25:
        return str(rng.randint(-50, 50))
    if kind < 0.35:
        return repr(rng.choice([0.5, -2.0, 3.0, 1e10, 7.25]))
    if kind < 0.45:
        return "NULL"
    if kind < 0.85:
        n = rng.choice([1, 3, 10, 100, 600, 3000, 9000])
        return f"printf('%.{n}c', '{rng.choice('abcdefgh')}')"
    return f"x'{rng.randrange(256):02x}{rng.randrange(256):02x}'"


def _key(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return str(rng.randint(1, 400))
    # Long keys: index entries that spill to overflow pages.
    n = rng.choice([5, 200, 1500, 5000])
    return f"printf('%.{n}c', '{rng.choice('kmnp')}') || {rng.randint(1, 400)}"


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("page_size", [512, 4096])
def test_random_changes_keep_same_entries(tmp_path, seed, page_size):
    """Inserts, updates that move rows to new keys, deletes and REPLACEs of
    rows from a few bytes to several pages, on keys of one and two columns
    and secondary indexes: after each round the engine's b-trees hold what
    sqlite3's hold, and sqlite3 finds the engine's file intact."""
    rng = random.Random(seed)
    ours, theirs = tmp_path / "engine.db", tmp_path / "sqlite3.db"
    schema = f"""
    PRAGMA page_size={page_size};
    CREATE TABLE a(k PRIMARY KEY, v, w) WITHOUT ROWID;
    CREATE INDEX av ON a(v);
    CREATE TABLE b(k1 TEXT COLLATE NOCASE, k2 INT, v, PRIMARY KEY(k2 DESC, k1)) WITHOUT ROWID;
    CREATE UNIQUE INDEX bv ON b(v);
    """
    engine_run(ours, schema)
    sqlite(theirs, schema)
    for _round in range(6):
        stmts = []
        for _ in range(25):
            op = rng.random()
            if op < 0.5:
                stmts.append(f"INSERT OR REPLACE INTO a VALUES({_key(rng)}, {_value(rng)}, {_value(rng)})")
                stmts.append(f"INSERT OR IGNORE INTO b VALUES({_value(rng)}, {rng.randint(0, 30)}, {_value(rng)})")
            elif op < 0.7:
                m = rng.randint(2, 5)
                stmts.append(f"UPDATE OR IGNORE a SET v = {_value(rng)} WHERE length(k) % {m} = {rng.randrange(m)}")
                stmts.append(f"UPDATE OR IGNORE b SET k2 = k2 + 1 WHERE k2 % {m} = 0")
            elif op < 0.85:
                stmts.append(f"UPDATE OR REPLACE a SET k = {_key(rng)} WHERE k = (SELECT k FROM a ORDER BY k LIMIT 1)")
            else:
                m = rng.randint(2, 6)
                stmts.append(f"DELETE FROM a WHERE length(k) % {m} = {rng.randrange(m)}")
                stmts.append(f"DELETE FROM b WHERE k2 % {m} = {rng.randrange(m)}")
        script = ";\n".join(stmts) + ";\n"
        engine_run(ours, script)
        sqlite(theirs, script)
        assert_same_entries(ours, theirs)
        integrity_ok(ours)
        # The engine's own check finds both files intact, index entries and all.
        assert engine_rows(ours, "PRAGMA integrity_check") == [("ok",)]
        assert engine_rows(theirs, "PRAGMA integrity_check") == [("ok",)]
    # sqlite3's VACUUM and the engine's leave the same rows.
    engine_run(ours, "VACUUM")
    sqlite(theirs, "VACUUM;")
    integrity_ok(ours)
    assert_same_entries(ours, theirs)


def test_alter_table_on_without_rowid(tmp_path):
    ours, theirs = tmp_path / "engine.db", tmp_path / "sqlite3.db"
    script = SHAPES + """
    ALTER TABLE t1 ADD COLUMN d DEFAULT 'dflt';
    INSERT INTO t1(a,b) VALUES(10,'new');
    ALTER TABLE t1 DROP COLUMN b;
    ALTER TABLE t3 RENAME TO t3x;
    ALTER TABLE t2 ADD COLUMN extra DEFAULT 'e';
    INSERT INTO t2(x,y,v) VALUES('after',7,70);
    ALTER TABLE t3x DROP COLUMN e;
    ALTER TABLE t4 ADD COLUMN more;
    UPDATE t4 SET more = k * 3 WHERE k > 2;
    ALTER TABLE r DROP COLUMN b;
    CREATE TABLE rr(a INTEGER PRIMARY KEY, b REAL, c);
    INSERT INTO rr VALUES(1, 2, 3), (5, 6.5, 7);
    ALTER TABLE rr ADD COLUMN d DEFAULT 4;
    ALTER TABLE rr DROP COLUMN c;
    """
    engine_run(ours, script)
    sqlite(theirs, script)
    assert_same_entries(ours, theirs)
    integrity_ok(ours)
    query = quoted_query("t1", ["a", "c", "d"])
    assert [r[0] for r in engine_rows(ours, query)] == sqlite_out(ours, query + ";").splitlines()
