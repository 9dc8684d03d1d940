"""VACUUM (engine/storage/vacuum.py): the rebuilt file is compact, keeps
every row and header setting, and passes sqlite3's integrity_check."""

from __future__ import annotations

import os
import shutil

import pytest

import engine
from engine.storage.vacuum import vacuum

from storage_helpers import requires_sqlite3, sqlite, sqlite_out


def _vacuum(path):
    conn = engine.connect(path, isolation_level=None)
    pager = conn._db.pager
    pager.begin_write()
    try:
        vacuum(pager)
        pager.commit()
    except BaseException:
        pager.rollback()
        raise
    finally:
        conn.close()


@requires_sqlite3
@pytest.mark.parametrize("page_size", [512, 4096])
def test_vacuum_compacts_and_keeps_everything(tmp_path, page_size):
    path = str(tmp_path / "v.db")
    sqlite(path, f"""
        PRAGMA page_size = {page_size}; PRAGMA user_version = 7; PRAGMA application_id = 99;
        CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c BLOB);
        CREATE INDEX tb ON t(b);
        CREATE TABLE gone(x);
        INSERT INTO gone SELECT randomblob(900) FROM generate_series(1, 300);
        INSERT INTO t SELECT value, printf('%.*c', value % 300, 'k'),
               CASE WHEN value % 50 = 0 THEN randomblob(20000) END FROM generate_series(1, 3000);
        CREATE UNIQUE INDEX tc ON t(c, a);
        CREATE VIEW v AS SELECT a FROM t;
        DROP TABLE gone;
        DELETE FROM t WHERE a % 3 = 0;
    """)
    before = sqlite_out(path, "SELECT count(*), sum(a), sum(length(b)), sum(length(c)) FROM t;")
    free_before = int(sqlite_out(path, "PRAGMA freelist_count;"))
    size_before = os.path.getsize(path)
    assert free_before > 0
    shutil.copy(path, path + ".s")
    _vacuum(path)
    assert sqlite_out(path, "PRAGMA integrity_check;") == "ok"
    assert sqlite_out(path, "PRAGMA freelist_count;") == "0"
    assert os.path.getsize(path) < size_before
    assert sqlite_out(path, "SELECT count(*), sum(a), sum(length(b)), sum(length(c)) FROM t;") == before
    assert sqlite_out(path, "PRAGMA user_version; PRAGMA application_id; SELECT count(*) FROM v;") == \
        "7\n99\n2000"
    assert sqlite_out(path, "SELECT count(*) FROM t INDEXED BY tb WHERE b > '';") != "0"
    # Near sqlite3's own VACUUM: it also re-packs half-empty pages, which
    # this page-by-page copy keeps as they are.
    sqlite(path + ".s", "VACUUM;")
    assert os.path.getsize(path) <= os.path.getsize(path + ".s") * 1.15
    conn = engine.connect(path)
    assert conn.execute("SELECT count(*) FROM t WHERE b = 'kkkk'").fetchone() == (10,)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()


def test_vacuum_rolls_back(tmp_path):
    path = str(tmp_path / "r.db")
    conn = engine.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE t(a, b)")
    conn.execute("INSERT INTO t WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                 "WHERE i < 200) SELECT i, zeroblob(3000) FROM n")
    conn.execute("DELETE FROM t WHERE a > 20")
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    pager = conn._db.pager
    pager.begin_write()
    vacuum(pager)
    pager.rollback()
    assert conn.execute("PRAGMA page_count").fetchone()[0] == pages
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (20,)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()


def test_vacuum_renumbers_rowids_as_sqlite3_does(tmp_path):
    """Tables with neither an INTEGER PRIMARY KEY nor an index get rowids
    1..n from VACUUM (sqlite3 copies their rows into fresh tables); the
    others keep theirs."""
    script = ("CREATE TABLE plain(a); CREATE TABLE indexed(a); CREATE INDEX indexed_a ON indexed(a);"
              "CREATE TABLE keyed(k INTEGER PRIMARY KEY AUTOINCREMENT, a);"
              "INSERT INTO plain VALUES (1),(2),(3),(4); INSERT INTO indexed SELECT a FROM plain;"
              "INSERT INTO keyed(a) SELECT a FROM plain;"
              "DELETE FROM plain WHERE a % 2 = 1; DELETE FROM indexed WHERE a % 2 = 1;"
              "DELETE FROM keyed WHERE a % 2 = 1; VACUUM;")
    query = ("SELECT 'plain', rowid, a FROM plain UNION ALL SELECT 'indexed', rowid, a FROM indexed "
             "UNION ALL SELECT 'keyed', rowid, a FROM keyed UNION ALL SELECT name, rowid, seq FROM sqlite_sequence")
    theirs = tmp_path / "theirs.db"
    sqlite(theirs, script)
    ours = tmp_path / "ours.db"
    conn = engine.connect(str(ours), isolation_level=None)
    conn.executescript(script)
    got = [tuple(r) for r in conn.execute(query).fetchall()]
    conn.close()
    want = [tuple(int(v) if v.isdigit() else v for v in line.split("|"))
            for line in sqlite_out(theirs, query).splitlines()]
    assert got == want
    assert sqlite_out(ours, "PRAGMA integrity_check") == "ok"
