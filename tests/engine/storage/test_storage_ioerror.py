"""I/O errors (issue 4, point 7): when a write fails because the disk is
full (ENOSPC) or broken (EIO), the statement ends in SQLite's error
("database or disk is full", "disk I/O error"), never a traceback, and the
database is what it was before the statement: the same connection reads the
old contents, and after the connection is gone sqlite3 and the engine both
find the old contents and an intact file.  Every write of a transaction is
made to fail in turn, in both rollback and WAL mode."""

from __future__ import annotations

import errno
import os

import pytest

import engine
from engine.storage import vfs as vfs_module

from storage_helpers import SQLITE3, sqlite_out

pytestmark = pytest.mark.skipif(SQLITE3 is None, reason="needs the sqlite3 binary")

SETUP = [
    "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c BLOB)",
    "CREATE INDEX t_b ON t(b)",
    "INSERT INTO t SELECT value, 'row ' || value, randomblob(300) FROM generate_series(1, 400)",
]
CHANGE = [
    "UPDATE t SET b = b || '!' WHERE a % 3 = 0",
    "DELETE FROM t WHERE a % 7 = 0",
    "INSERT INTO t(b, c) VALUES ('new', zeroblob(5000))",
]
CHECK = "SELECT count(*), sum(a), sum(length(b)), sum(length(c)) FROM t"


class _FailingWrites:
    """os.pwrite failing with ``err`` from the ``n``-th call on."""

    def __init__(self, monkeypatch, n: int, err: int):
        self.calls = 0
        real = os.pwrite

        def pwrite(fd, data, offset):
            self.calls += 1
            if self.calls >= n:
                raise OSError(err, os.strerror(err))
            return real(fd, data, offset)
        monkeypatch.setattr(vfs_module.os, "pwrite", pwrite)


def _prepare(path, wal: bool):
    conn = engine.connect(str(path), isolation_level=None)
    if wal:
        conn.execute("PRAGMA journal_mode=WAL")
    for sql in SETUP[:2]:
        conn.execute(sql)
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?)",
                     [(i, f"row {i}", bytes([i % 256]) * 300) for i in range(1, 401)])
    conn.execute("COMMIT")
    before = conn.execute(CHECK).fetchone()
    conn.close()
    return before


def _writes_of_the_change(path, tmp_path, wal: bool) -> int:
    """How many pwrite calls the transaction makes when nothing fails."""
    probe = tmp_path / "probe.db"
    import shutil
    for suffix in ("", "-wal"):
        if os.path.exists(str(path) + suffix):
            shutil.copy(str(path) + suffix, str(probe) + suffix)
    counter = {"n": 0}
    real = os.pwrite

    def pwrite(fd, data, offset):
        counter["n"] += 1
        return real(fd, data, offset)
    conn = engine.connect(str(probe), isolation_level=None)
    conn.execute(CHECK).fetchone()
    vfs_module.os.pwrite = pwrite
    try:
        conn.execute("BEGIN")
        for sql in CHANGE:
            conn.execute(sql)
        conn.execute("COMMIT")
    finally:
        vfs_module.os.pwrite = real
    conn.close()
    return counter["n"]


@pytest.mark.parametrize("wal", [False, True], ids=["rollback", "wal"])
@pytest.mark.parametrize("err,message", [(errno.ENOSPC, "database or disk is full"), (errno.EIO, "disk I/O error")],
                         ids=["ENOSPC", "EIO"])
def test_a_failed_write_leaves_the_database_as_it_was(tmp_path, monkeypatch, wal, err, message):
    path = tmp_path / "io.db"
    before = _prepare(path, wal)
    total = _writes_of_the_change(path, tmp_path, wal)
    assert total > 3
    points = sorted(set([1, 2, 3, total // 2, total - 1, total] + list(range(1, total + 1, max(1, total // 12)))))
    for n in points:
        conn = engine.connect(str(path), isolation_level=None)
        assert conn.execute(CHECK).fetchone() == before
        with monkeypatch.context() as m:
            _FailingWrites(m, n, err)
            with pytest.raises(engine.Error) as info:
                conn.execute("BEGIN")
                for sql in CHANGE:
                    conn.execute(sql)
                conn.execute("COMMIT")
            assert message in str(info.value), (n, str(info.value))
            try:
                conn.execute("ROLLBACK")
            except engine.Error:
                pass
        # The same connection, the writes working again, sees the old state.
        assert conn.execute(CHECK).fetchone() == before, n
        conn.close()
        # So do sqlite3 (recovering any hot journal) and a fresh engine.
        out = sqlite_out(path, "PRAGMA integrity_check; " + CHECK).split("\n")
        assert out[0] == "ok", (n, out)
        assert out[1] == "|".join(str(v) for v in before), (n, out)
        again = engine.connect(str(path))
        assert again.execute(CHECK).fetchone() == before
        assert again.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        again.close()
