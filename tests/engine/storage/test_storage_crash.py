"""Crash points (issue 4 acceptance): a small workload is stopped at every
write, truncate, delete and sync it makes (FaultVFS), the files are cut
back to what a power loss would leave (synced bytes only), and then both
the engine and sqlite3 open the result.  They must agree, the state must be
the last committed transaction or the one in flight, and sqlite3's
integrity_check must say ok.  Both journal modes, and an auto_vacuum=FULL
database (whose commits also move pages and cut the file) in both."""

from __future__ import annotations

import random

import pytest

import engine
from engine.storage.vfs import FaultVFS, SimulatedCrash

from storage_helpers import requires_sqlite3, sqlite

DUMP = ("SELECT a, length(b), quote(substr(b, 1, 12)), length(c) FROM t ORDER BY a;"
        "SELECT count(*) FROM t INDEXED BY tb WHERE b > '';")


def _workload(conn):
    """Yields after each committed transaction."""
    rng = random.Random(7)
    conn.execute("BEGIN")
    conn.execute("CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c BLOB)")
    conn.execute("CREATE INDEX tb ON t(b)")
    conn.execute("COMMIT")
    yield
    conn.execute("BEGIN")
    for i in range(40):
        conn.execute("INSERT INTO t VALUES (?, ?, ?)", (i, f"row{i:03}" * rng.randint(1, 30),
                                                       rng.randbytes(rng.randint(0, 300))))
    conn.execute("COMMIT")
    yield
    conn.execute("INSERT INTO t VALUES (1000, 'big', ?)", (rng.randbytes(20000),))
    yield
    conn.execute("UPDATE t SET b = b || 'x' WHERE a % 3 = 0")
    yield
    conn.execute("DELETE FROM t WHERE a % 4 = 1 OR a = 1000")
    yield
    if conn._db.pager.journal_mode == "wal":
        conn.execute("PRAGMA wal_checkpoint")
    conn.execute("BEGIN")
    conn.execute("INSERT INTO t SELECT a + 2000, b, c FROM t")
    conn.execute("DELETE FROM t WHERE a < 10")
    conn.execute("COMMIT")
    yield
    conn.execute("DELETE FROM t WHERE a % 5 = 2")
    yield
    # VACUUM rewrites and shrinks the file: every cut page is journaled.
    conn.execute("VACUUM")
    yield


def _engine_dump(conn):
    rows = [tuple(r) for r in conn.execute(DUMP.split(";")[0]).fetchall()]
    rows.append(tuple(conn.execute(DUMP.split(";")[1]).fetchone()))
    return ["|".join(str(v) for v in r) for r in rows]


def _run(mode, crash_point=None):
    """Run the workload on a FaultVFS; returns (vfs, committed count, states).
    ``mode`` is a journal mode, with "+full" for an auto_vacuum=FULL file."""
    vfs = FaultVFS()
    conn = engine.connect("db", vfs=vfs, isolation_level=None)
    mode, _, auto = mode.partition("+")
    if auto:
        conn.execute(f"PRAGMA auto_vacuum={auto}")
    conn.execute(f"PRAGMA journal_mode={mode}")
    vfs.log.clear()
    if crash_point is not None:
        vfs.crash_at(crash_point, ("write", "sync", "truncate", "delete"))
    states = [None]
    committed = 0
    try:
        for _ in _workload(conn):
            committed += 1
            if crash_point is None:
                states.append(_engine_dump(conn))
        conn.close()
        committed += 1          # the close (WAL: a checkpoint) changes no content
        if crash_point is None:
            states.append(states[-1])
    except SimulatedCrash:
        pass
    return vfs, committed, states


@requires_sqlite3
@pytest.mark.parametrize("mode", ["delete", "wal", "delete+full", "wal+full"])
def test_every_crash_point_recovers_to_a_committed_state(tmp_path, mode):
    vfs, total, states = _run(mode)
    points = sum(1 for op, *_ in vfs.log if op in ("write", "sync", "truncate", "delete"))
    assert points > 20
    checked = 0
    for n in range(1, points + 1):
        vfs, committed, _ = _run(mode, n)
        assert vfs.crashed, n
        images = vfs.durable_images("none")
        work = tmp_path / f"p{n}"
        work.mkdir()
        for name, data in images.items():
            for copy in ("e", "s"):
                (work / f"{copy}{name}").write_bytes(data)
        acceptable = [s for s in (states[committed], states[min(committed + 1, len(states) - 1)])]
        conn = engine.connect(str(work / "edb"), isolation_level=None)
        try:
            got = _engine_dump(conn) if conn.execute(
                "SELECT count(*) FROM sqlite_schema WHERE name = 't'").fetchone()[0] else None
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        finally:
            conn.close()
        assert got in acceptable, (n, committed)
        out = sqlite(work / "sdb", "SELECT count(*) FROM sqlite_schema WHERE name = 't';")
        if out.stdout.strip() == "1":
            theirs = sqlite(work / "sdb", DUMP).stdout.splitlines()
        else:
            theirs = None
        assert theirs == got, n
        assert sqlite(work / "sdb", "PRAGMA integrity_check;").stdout.strip() == "ok"
        checked += 1
    assert checked == points


@pytest.mark.parametrize("mode", ["delete", "wal", "delete+full"])
def test_random_unsynced_writes_survive_or_not(mode):
    """Power loss that keeps a random part of the unsynced writes: the engine
    recovers to a committed state and its own checker agrees."""
    vfs, total, states = _run(mode)
    points = sum(1 for op, *_ in vfs.log if op in ("write", "sync"))
    rng = random.Random(11)
    for n in rng.sample(range(1, points + 1), min(30, points)):
        vfs, committed, _ = _run(mode, n)
        vfs.power_loss(lambda path, i: rng.random() < 0.5 and not path.endswith("db"))
        conn = engine.connect("db", vfs=vfs, isolation_level=None)
        has_t = conn.execute("SELECT count(*) FROM sqlite_schema WHERE name = 't'").fetchone()[0]
        got = _engine_dump(conn) if has_t else None
        assert got in (states[committed], states[min(committed + 1, len(states) - 1)]), n
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        conn.close()
