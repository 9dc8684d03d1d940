"""The rollback journal and crash recovery (engine/storage/journal.py, pager.py).

Crashes are simulated with FaultVFS (crash at the N-th file operation, then a
power loss that keeps only synced data, or all of it, or a random part), and
by killing a real sqlite3 process in the middle of a transaction.  sqlite3 is
the oracle for what recovery must produce.
"""

from __future__ import annotations

import os
import random
import shutil
import struct
import subprocess

import pytest

from engine.errors import CorruptError

from engine.storage.btree import TableCursor, create_table
from engine.storage.integrity import check_integrity
from engine.storage.journal import JOURNAL_MAGIC, journal_checksum, read_journal
from engine.storage.pager import Pager
from engine.storage.record import decode_record, encode_record
from engine.storage.vfs import FaultVFS, OSVFS, SimulatedCrash

from storage_helpers import SQLITE3, add_schema_row, requires_sqlite3, sqlite, sqlite_out


def _read(path) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _rows(pager, root=2):
    pager.begin_read()
    try:
        return [(r, decode_record(p)) for r, p in TableCursor(pager, root).scan()]
    finally:
        pager.end_read()


def _base_database(vfs, path="db"):
    pager = Pager.open(vfs, path)
    pager.begin_write()
    root = create_table(pager)
    assert root == 2
    add_schema_row(pager, "table", "t", "t", root, "CREATE TABLE t(a,b)")
    cur = TableCursor(pager, root)
    for i in range(1, 301):
        cur.insert(i, encode_record((i, "old" * (i % 30))))
    pager.commit()
    pager.close()


def _transaction(pager):
    cur = TableCursor(pager, 2)
    for i in range(1, 301, 3):
        cur.delete(i)
    for i in range(2, 301, 7):
        cur.insert(i, encode_record((i, "new" * 40)))
    for i in range(400, 460):
        cur.insert(i, encode_record((i, b"\x07" * 600)))
    pager.user_version = 99


def test_journal_format_before_and_after_commit(dbpath):
    _base_database(OSVFS(), dbpath)
    size_pages = os.path.getsize(dbpath) // 4096
    pager = Pager.open(OSVFS(), dbpath)
    pager.begin_write()
    _transaction(pager)
    journal = _read(dbpath + "-journal")
    # Before the commit sync the magic and record count are still zero.
    assert journal[:12] == bytes(12)
    nonce, initial, sector, page_size = struct.unpack(">IIII", journal[12:28])
    assert (initial, sector, page_size) == (size_pages, 512, 4096)
    assert journal[28:512] == bytes(484)
    records = (len(journal) - 512) // (4096 + 8)
    assert records > 3 and (len(journal) - 512) % (4096 + 8) == 0
    for i in range(records):
        off = 512 + i * 4104
        pgno = struct.unpack(">I", journal[off:off + 4])[0]
        page = journal[off + 4:off + 4100]
        assert 1 <= pgno <= size_pages
        assert struct.unpack(">I", journal[off + 4100:off + 4104])[0] == journal_checksum(nonce, page)
        assert page == _read(dbpath)[(pgno - 1) * 4096:pgno * 4096]   # the original image
    pager.commit()
    assert not os.path.exists(dbpath + "-journal")
    pager.close()


def _sweep_operations():
    vfs = FaultVFS()
    _base_database(vfs)
    start = dict(vfs.counts)
    pager = Pager.open(vfs, "db")
    pager.begin_write()
    _transaction(pager)
    pager.commit()
    return sum(vfs.counts.values()) - sum(start.values())


def _crash_run(k, keep):
    """Build the database, crash the transaction at operation k, lose power."""
    vfs = FaultVFS()
    _base_database(vfs)
    before = vfs.file_bytes("db")
    vfs.crash_at(k, op="any")
    pager = Pager.open(vfs, "db")
    crashed = True
    try:
        pager.begin_write()
        _transaction(pager)
        pager.commit()
        crashed = False
    except SimulatedCrash:
        pass
    vfs.power_loss(keep)
    return vfs, before, crashed


@requires_sqlite3
def test_every_crash_point_recovers_atomically(tmp_path):
    total = _sweep_operations()
    assert total > 30
    rnd = random.Random(7)
    old_rows = new_rows = None
    for k in range(1, total + 2):
        for mode in ("none", "all", "random"):
            keep = (lambda path, i: rnd.random() < 0.5) if mode == "random" else mode
            vfs, before, crashed = _crash_run(k, keep)
            state = {name: vfs.file_bytes(name) for name in vfs.files}
            pager = Pager.open(vfs, "db")
            rows = _rows(pager)
            assert check_integrity(pager, [2]) == [], (k, mode)
            pager.close()
            if "db-journal" in vfs.files:
                assert vfs.file_bytes("db-journal")[:1] in (b"", b"\x00"), (k, mode)
            if old_rows is None:
                old_rows = rows
            if crashed:
                assert rows == old_rows, (k, mode)
                assert vfs.file_bytes("db") == before, (k, mode)
            else:
                new_rows = rows
                assert rows != old_rows
            if mode == "all" or (k % 5 == 0 and mode == "random"):
                # sqlite3 given the same post-crash files recovers the same content.
                d = tmp_path / f"k{k}{mode}"
                d.mkdir()
                for name, data in state.items():
                    (d / name).write_bytes(data)
                out = sqlite_out(d / "db", "PRAGMA integrity_check; SELECT count(*), sum(a) FROM t;"
                                           "PRAGMA user_version;")
                ours = f"{len(rows)}|{sum(r[1][0] for r in rows)}"
                assert out.splitlines() == ["ok", ours, "0" if crashed else "99"], (k, mode)
                if crashed:
                    assert (d / "db").read_bytes() == before
                    if (d / "db-journal").exists():       # left alone only if not hot
                        assert (d / "db-journal").read_bytes()[:1] in (b"", b"\x00")
    assert new_rows is not None


@requires_sqlite3
def test_sqlite3_rolls_back_the_journal_we_leave(tmp_path):
    """A crash in the middle of writing the database file: the engine's
    journal is hot, and sqlite3 restores the old content byte for byte."""
    total = _sweep_operations()
    tried = 0
    for k in range(total - 25, total):
        vfs, before, crashed = _crash_run(k, "all")
        if not crashed or "db-journal" not in vfs.files:
            continue
        journal = vfs.file_bytes("db-journal")
        if journal[:8] != JOURNAL_MAGIC or vfs.file_bytes("db") == before:
            continue                      # want: valid journal and a half-written database
        tried += 1
        d = tmp_path / f"c{k}"
        d.mkdir()
        (d / "db").write_bytes(vfs.file_bytes("db"))
        (d / "db-journal").write_bytes(journal)
        assert sqlite_out(d / "db", "PRAGMA integrity_check;") == "ok"
        assert (d / "db").read_bytes() == before
    assert tried >= 3


def _spawn_sqlite(path):
    return subprocess.Popen([SQLITE3, "-batch", str(path)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _ask(proc, sql):
    proc.stdin.write(sql + "\nSELECT 'marker-ready';\n")
    proc.stdin.flush()
    lines = []
    while True:
        line = proc.stdout.readline()
        if not line or line.strip() == "marker-ready":
            return lines
        lines.append(line.strip())


@requires_sqlite3
def test_engine_rolls_back_a_journal_left_by_a_killed_sqlite3(tmp_path):
    path = tmp_path / "k.db"
    sqlite(path, """
        CREATE TABLE t(a, b);
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
        INSERT INTO t SELECT i, printf('%.*c', 100, 'o') FROM n;
        CREATE INDEX ib ON t(b, a);
    """)
    before = _read(path)
    proc = _spawn_sqlite(path)
    try:
        # A tiny cache forces sqlite3 to spill changed pages into the database
        # file (and to start new journal segments) before the commit.
        _ask(proc, "PRAGMA cache_size = 5; BEGIN;"
                   "UPDATE t SET b = printf('%.*c', 150, 'n');"
                   "INSERT INTO t SELECT a + 5000, b FROM t WHERE a < 500;")
        assert os.path.exists(str(path) + "-journal")
        proc.kill()
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    crashed_db = _read(path)
    journal = _read(str(path) + "-journal")
    assert crashed_db != before                     # the spill reached the file
    # More than one journal segment: a second header after the first nRec records.
    nrec = struct.unpack(">I", journal[8:12])[0]
    second = -(-(512 + nrec * 4104) // 512) * 512
    assert journal[second:second + 8] == JOURNAL_MAGIC
    # sqlite3 itself, on a copy, restores the original bytes ...
    copy = tmp_path / "copy.db"
    shutil.copy(path, copy)
    shutil.copy(str(path) + "-journal", str(copy) + "-journal")
    assert sqlite_out(copy, "PRAGMA integrity_check;") == "ok"
    assert _read(copy) == before
    # ... and so does the engine.
    pager = Pager.open(OSVFS(), str(path))
    rows = _rows(pager)
    assert len(rows) == 3000 and rows[0][1] == (1, "o" * 100)
    pager.close()
    assert not os.path.exists(str(path) + "-journal")
    assert _read(path) == before


@requires_sqlite3
def test_torn_journal_record_ends_playback_like_sqlite3(tmp_path):
    total = _sweep_operations()
    for k in range(total - 20, total):
        vfs, before, crashed = _crash_run(k, "all")
        if crashed and vfs.files.get("db-journal") and vfs.file_bytes("db-journal")[:8] == JOURNAL_MAGIC \
                and vfs.file_bytes("db") != before:
            break
    else:
        pytest.fail("no crash point with a hot journal")
    journal = bytearray(vfs.file_bytes("db-journal"))
    contents = read_journal(vfs.open("db-journal", create=False))
    assert len(contents.records) >= 3
    # Break the checksum of the third record: playback must stop there.
    off = 512 + 2 * 4104 + 4100
    journal[off] ^= 0x55
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    for d in (ours, theirs):
        d.mkdir()
        (d / "db").write_bytes(vfs.file_bytes("db"))
        (d / "db-journal").write_bytes(bytes(journal))
    # Both stop at the torn record, so page 1 keeps the new header while the
    # file is cut back to its old size: both then report corruption.
    res = sqlite(theirs / "db", "PRAGMA user_version;", check=False)
    assert "malformed" in res.stderr
    pager = Pager.open(OSVFS(), str(ours / "db"))
    with pytest.raises(CorruptError):
        pager.begin_read()
    pager.close()
    assert (ours / "db").read_bytes() == (theirs / "db").read_bytes()
    assert not (ours / "db-journal").exists() and not (theirs / "db-journal").exists()


def test_a_journal_with_a_zeroed_header_is_not_hot(dbpath):
    _base_database(OSVFS(), dbpath)
    before = _read(dbpath)
    with open(dbpath + "-journal", "wb") as f:
        f.write(bytes(512) + b"\x01" * 4104)
    pager = Pager.open(OSVFS(), dbpath)
    assert len(_rows(pager)) == 300
    assert _read(dbpath) == before
    pager.begin_write()               # a new transaction reuses the journal file
    TableCursor(pager, 2).insert(1000, encode_record((1000, "x")))
    pager.commit()
    assert not os.path.exists(dbpath + "-journal")
    assert len(_rows(pager)) == 301
    pager.close()


def test_a_journal_beside_an_empty_database_is_discarded(dbpath):
    open(dbpath, "wb").close()
    header = JOURNAL_MAGIC + struct.pack(">IIIII", 1, 5, 0, 512, 4096)
    with open(dbpath + "-journal", "wb") as f:
        f.write(header + bytes(512 - len(header)))
    pager = Pager.open(OSVFS(), dbpath)
    pager.begin_read()
    assert pager.page_count == 0
    pager.end_read()
    assert not os.path.exists(dbpath + "-journal")
    pager.close()


def test_rollback_after_a_failed_commit_restores_the_file(dbpath):
    """An I/O error while the database file is being written: the pager plays
    its own journal back and the transaction is gone."""
    vfs = FaultVFS()
    _base_database(vfs)
    before = vfs.file_bytes("db")

    class Boom(Exception):
        pass

    pager = Pager.open(vfs, "db")
    pager.begin_write()
    _transaction(pager)
    real_write = type(pager.file).write
    calls = {"n": 0}

    def failing_write(self, offset, data):
        if self.path == "db":
            calls["n"] += 1
            if calls["n"] == 3:
                raise Boom()
        return real_write(self, offset, data)

    type(pager.file).write = failing_write
    try:
        with pytest.raises(Boom):
            pager.commit()
    finally:
        type(pager.file).write = real_write
    assert not pager.in_write
    assert vfs.file_bytes("db") == before
    assert "db-journal" not in vfs.files
    assert len(_rows(pager)) == 300
