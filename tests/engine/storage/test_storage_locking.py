"""Locking (engine/storage/vfs.py, lockingv3.html) between the engine and a
live sqlite3 process, and between two connections inside this process."""

from __future__ import annotations

import subprocess
import threading
import time

import pytest

from engine.errors import BusyError, CantOpenError
from engine.storage.btree import TableCursor
from engine.storage.pager import Pager
from engine.storage.record import decode_record, encode_record
from engine.storage.vfs import EXCLUSIVE, NONE, RESERVED, SHARED, MemoryVFS, OSVFS

from storage_helpers import SQLITE3, requires_sqlite3, sqlite, sqlite_out


class Sqlite3Process:
    """An interactive sqlite3 that holds a transaction open while we poke at it."""

    def __init__(self, path):
        self.proc = subprocess.Popen([SQLITE3, "-batch", str(path)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def run(self, sql: str) -> list[str]:
        self.proc.stdin.write(sql + "\nSELECT 'marker-done';\n")
        self.proc.stdin.flush()
        out = []
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError("sqlite3 exited: " + "".join(out))
            if line.strip() == "marker-done":
                return out
            out.append(line.strip())

    def close(self):
        try:
            self.proc.stdin.write(".quit\n")
            self.proc.stdin.flush()
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()


@pytest.fixture
def db(dbpath):
    sqlite(dbpath, "CREATE TABLE t(a); INSERT INTO t VALUES (1);")
    return dbpath


@pytest.fixture
def other(db):
    proc = Sqlite3Process(db)
    yield proc
    proc.close()


def _values(pager):
    return [decode_record(p)[0] for _, p in TableCursor(pager, 2).scan()]


@requires_sqlite3
def test_engine_writer_blocks_sqlite3_writer_not_reader(db):
    pager = Pager.open(OSVFS(), db)
    pager.begin_write()
    TableCursor(pager, 2).insert(2, encode_record((2,)))
    res = sqlite(db, "INSERT INTO t VALUES (3);", check=False)
    assert res.returncode != 0 and "database is locked" in res.stderr
    # A RESERVED lock still lets readers in; they see the committed state.
    assert sqlite_out(db, "SELECT group_concat(a) FROM t;") == "1"
    pager.commit()
    assert sqlite_out(db, "SELECT group_concat(a) FROM t;") == "1,2"
    pager.close()


@requires_sqlite3
def test_sqlite3_writer_blocks_engine_writer(db, other):
    other.run("BEGIN IMMEDIATE; INSERT INTO t VALUES (5);")
    pager = Pager.open(OSVFS(), db)
    pager.begin_read()
    assert pager.file.check_reserved_lock()
    assert _values(pager) == [1]                  # not yet committed
    with pytest.raises(BusyError, match="database is locked"):
        pager.begin_write()
    assert pager.in_read and not pager.in_write   # the read transaction survives
    pager.end_read()
    other.run("COMMIT;")
    pager.begin_write()
    assert _values(pager) == [1, 5]
    pager.rollback()
    pager.close()


@requires_sqlite3
def test_sqlite3_exclusive_lock_blocks_engine_reader(db, other):
    other.run("BEGIN EXCLUSIVE;")
    pager = Pager.open(OSVFS(), db)
    with pytest.raises(BusyError):
        pager.begin_read()
    assert pager.file.lock_level == NONE
    other.run("ROLLBACK;")
    pager.begin_read()
    assert _values(pager) == [1]
    pager.end_read()
    pager.close()


@requires_sqlite3
def test_sqlite3_reader_delays_engine_commit(db, other):
    other.run("BEGIN; SELECT count(*) FROM t;")          # holds SHARED
    pager = Pager.open(OSVFS(), db)
    pager.begin_write()
    TableCursor(pager, 2).insert(7, encode_record((7,)))
    with pytest.raises(BusyError):
        pager.commit()                                  # EXCLUSIVE needs readers gone
    assert pager.in_write
    # While we hold PENDING, new sqlite3 readers are refused too.
    res = sqlite(db, "SELECT count(*) FROM t;", check=False)
    assert "database is locked" in res.stderr
    assert other.run("SELECT count(*) FROM t;") == ["1"]
    other.run("COMMIT;")
    pager.commit()
    assert sqlite_out(db, "SELECT group_concat(a) FROM t;") == "1,7"
    pager.close()


@requires_sqlite3
def test_busy_timeout_waits_for_the_other_process(db, other):
    other.run("BEGIN IMMEDIATE;")
    pager = Pager.open(OSVFS(), db, busy_timeout=5.0)
    timer = threading.Timer(0.3, lambda: other.run("COMMIT;"))
    timer.start()
    start = time.monotonic()
    pager.begin_write()
    assert time.monotonic() - start >= 0.2
    timer.join()
    pager.rollback()
    pager.close()


@requires_sqlite3
def test_two_connections_in_one_process(db):
    a = Pager.open(OSVFS(), db)
    b = Pager.open(OSVFS(), db)
    a.begin_write()
    with pytest.raises(BusyError):
        b.begin_write()
    b.begin_read()                       # readers coexist with RESERVED
    assert _values(b) == [1]
    TableCursor(a, 2).insert(2, encode_record((2,)))
    with pytest.raises(BusyError):
        a.commit()                       # b still reads
    b.end_read()
    a.commit()
    b.begin_read()
    assert _values(b) == [1, 2]
    b.end_read()
    # Closing a third handle must not drop a's POSIX locks.
    a.begin_write()
    c = Pager.open(OSVFS(), db)
    c.close()
    res = sqlite(db, "INSERT INTO t VALUES (9);", check=False)
    assert "database is locked" in res.stderr
    a.rollback()
    a.close()
    b.close()
    assert sqlite_out(db, "INSERT INTO t VALUES (9); SELECT count(*) FROM t;") == "3"


def test_lock_state_machine_in_memory():
    vfs = MemoryVFS()
    f1 = vfs.open("x")
    f2 = vfs.open("x")
    f1.lock(SHARED)
    f2.lock(SHARED)
    f1.lock(RESERVED)
    assert f2.check_reserved_lock()
    with pytest.raises(BusyError):
        f2.lock(RESERVED)
    with pytest.raises(BusyError):
        f1.lock(EXCLUSIVE)               # f2 still shares: f1 is left PENDING
    f3 = vfs.open("x")
    with pytest.raises(BusyError):
        f3.lock(SHARED)                  # no new readers while PENDING
    f2.unlock(NONE)
    f1.lock(EXCLUSIVE)
    assert f1.lock_level == EXCLUSIVE
    f1.unlock(SHARED)
    f3.lock(SHARED)
    f1.unlock(NONE)
    f3.unlock(NONE)
    assert not f3.check_reserved_lock()


def test_opening_missing_or_bad_paths(tmp_path):
    vfs = OSVFS()
    with pytest.raises(CantOpenError, match="unable to open database file"):
        vfs.open(str(tmp_path / "missing" / "x.db"))
    with pytest.raises(CantOpenError):
        vfs.open(str(tmp_path))                      # a directory
    with pytest.raises(CantOpenError):
        vfs.open(str(tmp_path / "nope.db"), create=False)
    with pytest.raises(CantOpenError):
        Pager.open(vfs, str(tmp_path / "nope.db"), readonly=True)
    f = vfs.open(str(tmp_path / "ok.db"))
    f.write(10, b"abc")
    assert f.size() == 13 and f.read(8, 10) == b"\x00\x00abc"
    f.truncate(4)
    assert f.read(0, 100) == b"\x00" * 4
    f.sync()
    f.close()
