"""WAL mode and the rollback journal modes (engine/storage/wal.py, pager.py),
with sqlite3 as the oracle: files each side leaves are read by the other,
a live sqlite3 process shares a WAL database with the engine, checkpoint
result rows and journal_mode answers match sqlite3's."""

from __future__ import annotations

import os
import shutil
import signal
import struct
import subprocess
import sys
import time

import pytest

import engine
from engine.storage.vfs import FaultVFS
from engine.storage.wal import WAL_MAGIC, read_wal_frames, wal_checksum

from storage_helpers import SQLITE3, integrity_ok, requires_sqlite3, sqlite, sqlite_out


def _connect(path, **kw):
    return engine.connect(str(path), isolation_level=None, **kw)


def _dump(conn, table="t"):
    return sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)


class LiveSqlite:
    """A sqlite3 process kept open on a database, fed statements one at a time."""

    def __init__(self, path):
        self.proc = subprocess.Popen([SQLITE3, "-batch", str(path)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, bufsize=1)

    def __call__(self, sql: str) -> list[str]:
        self.proc.stdin.write(sql + "\n;SELECT 'END-OF-OUTPUT';\n")
        self.proc.stdin.flush()
        out = []
        while True:
            line = self.proc.stdout.readline()
            if not line or line.strip() == "END-OF-OUTPUT":
                return out
            out.append(line.rstrip("\n"))

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def close(self):
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)


def test_checksum_matches_the_documented_algorithm():
    data = bytes(range(256)) * 2
    s0 = s1 = 0
    words = struct.unpack("<128I", data)
    for i in range(0, 128, 2):
        s0 = (s0 + words[i] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[i + 1] + s0) & 0xFFFFFFFF
    assert wal_checksum(data) == (s0, s1)
    assert wal_checksum(data[:8], *wal_checksum(data[8:16])) != wal_checksum(data[:16])


@requires_sqlite3
def test_engine_wal_is_sqlite_format_and_read_live_by_sqlite3(dbpath):
    conn = _connect(dbpath)
    assert conn.execute("PRAGMA journal_mode=WAL").fetchall() == [("wal",)]
    conn.execute("CREATE TABLE t(a INTEGER PRIMARY KEY, b)")
    for i in range(20):
        conn.execute("INSERT INTO t VALUES (?, ?)", (i, "x" * (i * 100)))
    with open(dbpath + "-wal", "rb") as f:
        data = f.read()
    assert struct.unpack(">I", data[:4])[0] & ~1 == WAL_MAGIC
    page_size, _big, _salt, _seq, frames, last_commit, _ck = read_wal_frames(data)
    assert page_size == 4096 and last_commit == len(frames) > 20
    # sqlite3 reads the WAL through our wal-index while we keep it open.
    assert sqlite_out(dbpath, "SELECT count(*), sum(a) FROM t; PRAGMA integrity_check;") == "20|190\nok"
    # and writes to it; we see its change.
    sqlite(dbpath, "INSERT INTO t VALUES (100, 'sqlite');")
    assert conn.execute("SELECT b FROM t WHERE a=100").fetchall() == [("sqlite",)]
    conn.close()
    assert not os.path.exists(dbpath + "-wal") and not os.path.exists(dbpath + "-shm")
    assert sqlite_out(dbpath, "PRAGMA journal_mode; SELECT count(*) FROM t;") == "wal\n21"


@requires_sqlite3
def test_live_sqlite3_and_engine_share_a_wal_database(tmp_path):
    path = tmp_path / "live.db"
    sq = LiveSqlite(path)
    try:
        assert sq("PRAGMA journal_mode=WAL; CREATE TABLE t(a, b); INSERT INTO t VALUES (1, 2);") == ["wal"]
        conn = _connect(path)
        assert _dump(conn) == [(1, 2)]
        sq("INSERT INTO t SELECT a + 1, randomblob(2000) FROM t; INSERT INTO t SELECT a + 10, b FROM t;")
        assert conn.execute("SELECT count(*), sum(a) FROM t").fetchall() == [(4, 26)]
        conn.execute("INSERT INTO t VALUES (100, 'engine')")
        assert sq("SELECT count(*), sum(a) FROM t;") == ["5|126"]
        # Snapshot isolation across processes.
        conn.execute("BEGIN")
        assert conn.execute("SELECT count(*) FROM t").fetchall() == [(5,)]
        sq("INSERT INTO t VALUES (200, 'x');")
        assert conn.execute("SELECT count(*) FROM t").fetchall() == [(5,)]
        with pytest.raises(engine.OperationalError, match="locked"):
            conn.execute("INSERT INTO t VALUES (300, 'stale snapshot')")
        conn.execute("ROLLBACK")
        assert conn.execute("SELECT count(*) FROM t").fetchall() == [(6,)]
        # A checkpoint by either side; the other keeps reading correctly.
        assert sq("PRAGMA wal_checkpoint;")[0].startswith("0|")
        assert conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall() == [(0, 0, 0)]
        assert os.path.getsize(str(path) + "-wal") == 0
        conn.execute("INSERT INTO t VALUES (400, 'after truncate')")
        assert sq("SELECT count(*), sum(a) FROM t; PRAGMA integrity_check;") == ["7|726", "ok"]
        sq("INSERT INTO t VALUES (500, 'sqlite after');")
        assert conn.execute("SELECT count(*), sum(a) FROM t").fetchall() == [(8, 1226)]
        conn.close()
    finally:
        sq.close()
    integrity_ok(path)


_ENGINE_CRASH = r"""
import os, sys, engine
conn = engine.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA journal_mode=WAL")
conn.execute("PRAGMA wal_autocheckpoint=0")
conn.execute("CREATE TABLE t(a, b)")
for i in range(30):
    conn.execute("INSERT INTO t VALUES (?, ?)", (i, os.urandom(i * 50)))
conn.execute("BEGIN")
conn.execute("INSERT INTO t VALUES (-1, 'never committed')")
os._exit(0)
"""


@requires_sqlite3
def test_wal_left_by_the_engine_is_recovered_by_sqlite3(tmp_path):
    path = str(tmp_path / "e.db")
    subprocess.run([sys.executable, "-c", _ENGINE_CRASH, path], check=True, timeout=120)
    assert os.path.getsize(path + "-wal") > 0
    shutil.copy(path, path + ".copy")
    shutil.copy(path + "-wal", path + ".copy-wal")
    assert sqlite_out(path, "SELECT count(*), sum(a) FROM t; PRAGMA integrity_check;") == "30|435\nok"
    conn = _connect(path + ".copy")
    assert conn.execute("SELECT count(*), sum(a) FROM t").fetchall() == [(30, 435)]
    conn.close()


@requires_sqlite3
@pytest.mark.parametrize("how", ["copy", "kill"])
def test_wal_left_by_sqlite3_is_recovered_like_sqlite3(tmp_path, how):
    path = str(tmp_path / "s.db")
    sq = LiveSqlite(path)
    sq("PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0; PRAGMA cache_size=5;"
       "CREATE TABLE t(a, b); CREATE INDEX tb ON t(b);")
    for i in range(10):
        sq(f"INSERT INTO t SELECT value + {i * 100}, randomblob(300) FROM generate_series(1, 40);")
    # A transaction bigger than the cache spills uncommitted frames into the WAL.
    sq("BEGIN; INSERT INTO t SELECT value + 5000, randomblob(900) FROM generate_series(1, 400);")
    if how == "copy":
        for ext in ("", "-wal"):
            shutil.copy(path + ext, path + ".a" + ext)
            shutil.copy(path + ext, path + ".b" + ext)
        sq("COMMIT;")
        sq.close()
    else:
        sq.kill()
        for ext in ("", "-wal"):
            shutil.copy(path + ext, path + ".a" + ext)
            shutil.copy(path + ext, path + ".b" + ext)
    expected = sqlite_out(path + ".a", "SELECT count(*), sum(a), sum(length(b)) FROM t;")
    assert expected == "400|188200|120000"
    conn = _connect(path + ".b")
    got = conn.execute("SELECT count(*), sum(a), sum(length(b)) FROM t").fetchone()
    assert "|".join(map(str, got)) == expected
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()
    integrity_ok(path + ".b")


@requires_sqlite3
def test_checkpoint_rows_and_journal_mode_answers_match_sqlite3(tmp_path):
    script = [
        "PRAGMA journal_mode", "PRAGMA wal_checkpoint", "PRAGMA journal_mode=WAL",
        "PRAGMA journal_mode", "CREATE TABLE t(a, b)", "PRAGMA wal_checkpoint",
        "INSERT INTO t VALUES (1, 2)", "INSERT INTO t VALUES (3, 4)",
        "PRAGMA wal_checkpoint(PASSIVE)", "INSERT INTO t VALUES (5, 6)",
        "PRAGMA wal_checkpoint(FULL)", "PRAGMA wal_checkpoint(RESTART)",
        "INSERT INTO t VALUES (7, 8)", "PRAGMA wal_checkpoint(TRUNCATE)",
        "PRAGMA wal_checkpoint", "PRAGMA wal_autocheckpoint", "PRAGMA wal_autocheckpoint=7",
        "PRAGMA synchronous", "PRAGMA synchronous=NORMAL", "PRAGMA synchronous",
        "PRAGMA synchronous=extra", "PRAGMA synchronous", "PRAGMA synchronous=OFF", "PRAGMA synchronous",
        "PRAGMA journal_mode=DELETE", "PRAGMA journal_mode", "PRAGMA wal_checkpoint",
        "PRAGMA journal_mode=persist", "PRAGMA journal_mode=bogus", "PRAGMA journal_mode=truncate",
        "PRAGMA journal_mode=memory", "PRAGMA journal_mode=off", "PRAGMA journal_mode=delete",
        "SELECT * FROM t",
    ]
    conn = _connect(tmp_path / "e.db")
    ours = []
    for sql in script:
        for row in conn.execute(sql).fetchall():
            ours.append("|".join(str(v) for v in row))
    conn.close()
    theirs = sqlite_out(tmp_path / "s.db", ";\n".join(script) + ";").splitlines()
    assert ours == theirs


def test_journal_mode_answers_for_memory_databases():
    conn = _connect(":memory:")
    answers = [conn.execute(f"PRAGMA journal_mode={m}").fetchone()[0]
               for m in ("wal", "delete", "off", "truncate", "memory")]
    assert answers == ["memory", "memory", "off", "off", "memory"]


@requires_sqlite3
def test_switching_back_to_delete_removes_the_wal(dbpath):
    conn = _connect(dbpath)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t(a)")
    conn.execute("INSERT INTO t VALUES (1)")
    other = _connect(dbpath)
    assert other.execute("SELECT * FROM t").fetchall() == [(1,)]
    with pytest.raises(engine.OperationalError, match="locked"):
        conn.execute("PRAGMA journal_mode=DELETE")   # another connection uses the WAL
    other.close()
    conn.execute("BEGIN")
    with pytest.raises(engine.OperationalError, match="out of wal mode"):
        conn.execute("PRAGMA journal_mode=DELETE")
    conn.execute("COMMIT")
    assert conn.execute("PRAGMA journal_mode=DELETE").fetchall() == [("delete",)]
    assert not os.path.exists(dbpath + "-wal") and not os.path.exists(dbpath + "-shm")
    with open(dbpath, "rb") as f:
        assert f.read(20)[18:20] == b"\x01\x01"
    conn.execute("INSERT INTO t VALUES (2)")
    conn.close()
    assert sqlite_out(dbpath, "PRAGMA journal_mode; SELECT * FROM t; PRAGMA integrity_check;") == "delete\n1\n2\nok"


def test_snapshot_reads_between_connections_of_one_process(dbpath):
    a = _connect(dbpath)
    a.execute("PRAGMA journal_mode=WAL")
    a.execute("CREATE TABLE t(a)")
    a.execute("INSERT INTO t VALUES (1)")
    b = _connect(dbpath)
    c = _connect(dbpath)
    b.execute("BEGIN")
    assert _dump(b) == [(1,)]
    a.execute("INSERT INTO t VALUES (2)")
    c.execute("BEGIN")
    assert _dump(c) == [(1,), (2,)]
    a.execute("INSERT INTO t VALUES (3)")
    assert _dump(b) == [(1,)]                      # each keeps its snapshot
    assert _dump(c) == [(1,), (2,)]
    # A checkpoint cannot copy frames past the oldest reader's snapshot.
    busy, log, done = a.execute("PRAGMA wal_checkpoint").fetchone()
    assert done < log
    with pytest.raises(engine.OperationalError, match="locked"):
        b.execute("INSERT INTO t VALUES (99)")     # stale snapshot may not write
    b.execute("COMMIT")
    c.execute("COMMIT")
    assert a.execute("PRAGMA wal_checkpoint").fetchone() == (0, log, log)
    assert _dump(b) == [(1,), (2,), (3,)]
    # Two writers: the second waits for the first (busy_timeout) or fails.
    a.execute("BEGIN IMMEDIATE")
    with pytest.raises(engine.OperationalError, match="locked"):
        b.execute("BEGIN IMMEDIATE")
    a.execute("COMMIT")
    for conn in (a, b, c):
        conn.close()
    assert not os.path.exists(dbpath + "-wal")


def test_autocheckpoint_keeps_the_wal_short(dbpath):
    conn = _connect(dbpath)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=20")
    conn.execute("CREATE TABLE t(a, b)")
    for i in range(200):
        conn.execute("INSERT INTO t VALUES (?, ?)", (i, "x" * 500))
        assert conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1] <= 21 if i % 50 == 0 else True
    frames = (os.path.getsize(dbpath + "-wal") - 32) // (4096 + 24)
    assert frames <= 25
    assert conn.execute("SELECT count(*) FROM t").fetchone() == (200,)
    conn.close()


def _sync_counts(mode, synchronous):
    vfs = FaultVFS()
    conn = engine.connect("db", vfs=vfs, isolation_level=None)
    conn.execute(f"PRAGMA journal_mode={mode}")
    conn.execute(f"PRAGMA synchronous={synchronous}")
    conn.execute("CREATE TABLE t(a)")
    conn.execute("INSERT INTO t VALUES (1)")
    vfs.log.clear()
    conn.execute("INSERT INTO t VALUES (2)")
    syncs = [(op, path) for op, path, _o, _n in vfs.log if op in ("sync", "dirsync")]
    conn.close()
    return syncs


def test_synchronous_decides_when_syncs_happen():
    assert _sync_counts("delete", "off") == []
    # The journal's directory is synced once, after its first sync (sqlite3's
    # unix VFS does this for each new journal).
    assert _sync_counts("delete", "normal") == [("sync", "db-journal"), ("dirsync", "db-journal"),
                                                 ("sync", "db")]
    assert _sync_counts("delete", "full") == [("sync", "db-journal"), ("sync", "db-journal"),
                                               ("dirsync", "db-journal"), ("sync", "db")]
    assert _sync_counts("delete", "extra")[-1] == ("dirsync", "db-journal")
    assert _sync_counts("truncate", "full")[-1] == ("sync", "db-journal")
    assert _sync_counts("wal", "off") == []
    assert _sync_counts("wal", "normal") == []                  # synced at checkpoints only
    assert _sync_counts("wal", "full") == [("sync", "db-wal")]


@requires_sqlite3
@pytest.mark.parametrize("mode", ["delete", "truncate", "persist", "memory", "off"])
def test_rollback_journal_modes(dbpath, mode):
    conn = _connect(dbpath)
    assert conn.execute(f"PRAGMA journal_mode={mode}").fetchone() == (mode,)
    conn.execute("CREATE TABLE t(a, b)")
    conn.execute("INSERT INTO t VALUES (1, 'one')")
    journal = dbpath + "-journal"
    if mode == "truncate":
        assert os.path.getsize(journal) == 0
    elif mode == "persist":
        with open(journal, "rb") as f:
            assert f.read(28) == bytes(28)
    else:
        assert not os.path.exists(journal)
    conn.execute("BEGIN")
    conn.execute("INSERT INTO t SELECT a + 1, b FROM t")
    conn.execute("ROLLBACK")
    assert _dump(conn) == [(1, "one")]
    conn.close()
    assert sqlite_out(dbpath, "SELECT * FROM t; PRAGMA integrity_check;") == "1|one\nok"


@requires_sqlite3
def test_hot_journal_left_beside_a_persisted_journal_file(dbpath):
    # sqlite3 in PERSIST mode leaves a zeroed journal: not hot for the engine.
    sqlite(dbpath, "PRAGMA journal_mode=persist; CREATE TABLE t(a); INSERT INTO t VALUES (1);")
    assert os.path.exists(dbpath + "-journal")
    conn = _connect(dbpath)
    assert _dump(conn) == [(1,)]
    conn.execute("INSERT INTO t VALUES (2)")
    conn.close()
    assert sqlite_out(dbpath, "SELECT count(*) FROM t;") == "2"


def test_wal_busy_writer_waits_with_busy_timeout(dbpath):
    a = _connect(dbpath)
    a.execute("PRAGMA journal_mode=WAL")
    a.execute("CREATE TABLE t(a)")
    b = engine.connect(dbpath, isolation_level=None, timeout=2.0)
    a.execute("BEGIN IMMEDIATE")
    a.execute("INSERT INTO t VALUES (1)")
    import threading
    timer = threading.Timer(0.3, lambda: a.execute("COMMIT"))
    timer.start()
    t0 = time.monotonic()
    b.execute("INSERT INTO t VALUES (2)")
    assert time.monotonic() - t0 >= 0.2
    timer.join()
    assert _dump(b) == [(1,), (2,)]
    a.close()
    b.close()
