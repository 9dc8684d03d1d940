"""Cache spill (pager.py; atomiccommit.html 6.3): a transaction with more
dirty pages than ``cache_size`` writes them to the database early behind a
synced journal segment, and stays atomic: ROLLBACK and a crash both bring
back the state before it."""

from __future__ import annotations

import random

import engine
from engine.storage.vfs import FaultVFS, SimulatedCrash

from storage_helpers import integrity_ok, requires_sqlite3, sqlite_out


def _fill(conn, n, tag):
    conn.execute("BEGIN")
    for i in range(n):
        conn.execute("INSERT INTO t VALUES (?, ?)", (i + 10, f"{tag}{i}" * 40))
        assert len(conn._db.pager._dirty) <= conn._db.pager.cache_size + 1
    return conn


@requires_sqlite3
def test_large_transaction_spills_and_commits(dbpath):
    conn = engine.connect(dbpath, isolation_level=None)
    conn.execute("PRAGMA cache_size=20")
    conn.execute("CREATE TABLE t(a INTEGER PRIMARY KEY, b)")
    conn.execute("CREATE INDEX tb ON t(b)")
    _fill(conn, 3000, "x")
    assert conn._db.pager._db_written          # it did spill
    conn.execute("COMMIT")
    conn.close()
    assert sqlite_out(dbpath, "SELECT count(*) FROM t; PRAGMA integrity_check;") == "3000\nok"


@requires_sqlite3
def test_spilled_transaction_rolls_back(dbpath):
    conn = engine.connect(dbpath, isolation_level=None)
    conn.execute("CREATE TABLE t(a INTEGER PRIMARY KEY, b)")
    conn.execute("INSERT INTO t VALUES (1, 'kept')")
    conn.execute("PRAGMA cache_size=15")
    _fill(conn, 2000, "y")
    conn.execute("UPDATE t SET b = 'changed' WHERE a = 1")
    conn.execute("ROLLBACK")
    assert conn.execute("SELECT * FROM t").fetchall() == [(1, "kept")]
    conn.close()
    integrity_ok(dbpath)
    assert sqlite_out(dbpath, "SELECT * FROM t;") == "1|kept"


def test_crash_after_a_spill_rolls_back():
    rng = random.Random(3)
    for point in sorted(rng.sample(range(5, 400), 25)):
        vfs = FaultVFS()
        conn = engine.connect("db", vfs=vfs, isolation_level=None)
        conn.execute("CREATE TABLE t(a INTEGER PRIMARY KEY, b)")
        conn.execute("INSERT INTO t VALUES (1, 'kept')")
        conn.execute("PRAGMA cache_size=12")
        vfs.crash_at(point, ("write", "sync"))
        try:
            _fill(conn, 1500, "z")
            conn.execute("COMMIT")
            committed = True
        except SimulatedCrash:
            committed = False
        vfs.power_loss("none")
        again = engine.connect("db", vfs=vfs, isolation_level=None)
        count = again.execute("SELECT count(*) FROM t").fetchone()[0]
        assert count == (1501 if committed else 1) or (count == 1501 and not committed), point
        assert again.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        again.close()
