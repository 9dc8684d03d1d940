"""The pager (engine/storage/pager.py): header, cache, transactions, freelist."""

from __future__ import annotations

import os
import struct

import pytest

import engine.storage.pager as pager_module
from engine.errors import CorruptError, InternalEngineError, NotADatabaseError, SQLError
from engine.storage.btree import TableCursor, create_table
from engine.storage.integrity import check_integrity
from engine.storage.pager import Pager
from engine.storage.record import decode_record, encode_record
from engine.storage.vfs import MemoryVFS, OSVFS

from storage_helpers import add_schema_row, integrity_ok, new_db, requires_sqlite3, sqlite, sqlite_out


def _read(path) -> bytes:
    with open(path, "rb") as f:
        return f.read()


@requires_sqlite3
def test_new_database_is_byte_identical_to_sqlite3s(tmp_path):
    ours, theirs = str(tmp_path / "ours.db"), str(tmp_path / "theirs.db")
    sqlite(theirs, "CREATE TABLE t(a);")
    pager = new_db(ours)
    root = create_table(pager)
    add_schema_row(pager, "table", "t", "t", root, "CREATE TABLE t(a)")
    pager.commit()
    pager.close()
    assert _read(ours) == _read(theirs)


def test_header_fields_after_commits(dbpath):
    pager = new_db(dbpath)
    assert pager.page_count == 1 and pager.page_size == 4096
    pager.commit()          # nothing changed: the file stays empty
    assert os.path.getsize(dbpath) == 0 and pager.page_count == 0
    pager.begin_write()
    pager.user_version = 7
    pager.application_id = -2
    pager.commit()
    hdr = _read(dbpath)[:100]
    assert hdr[:16] == b"SQLite format 3\x00"
    fields = struct.unpack(">HBBBBBBIIIIIIIIIIII", hdr[16:72])
    (page_size, wv, rv, reserved, maxf, minf, leaff, counter, size, trunk, nfree, cookie,
     fmt, cache, autovac, enc, user_version, incr, app_id) = fields
    assert (page_size, wv, rv, reserved, maxf, minf, leaff) == (4096, 1, 1, 0, 64, 32, 32)
    assert (counter, size, trunk, nfree, cookie, fmt, cache) == (1, 1, 0, 0, 0, 4, 0)
    assert (autovac, enc, user_version, incr, app_id) == (0, 1, 7, 0, 2 ** 32 - 2)
    assert struct.unpack(">II", hdr[92:100]) == (1, 3040001)
    pager.begin_write()
    pager.schema_cookie = 5
    pager.commit()
    hdr = _read(dbpath)[:100]
    assert struct.unpack(">I", hdr[24:28])[0] == 2 == struct.unpack(">I", hdr[92:96])[0]
    pager.begin_read()
    assert (pager.user_version, pager.application_id, pager.schema_cookie) == (7, -2, 5)
    assert (pager.text_encoding, pager.schema_format, pager.file_change_counter) == (1, 4, 2)
    pager.end_read()
    pager.close()


@requires_sqlite3
def test_header_fields_agree_with_sqlite3(dbpath):
    pager = new_db(dbpath)
    pager.user_version = 42
    pager.application_id = 0x12345678
    pager.commit()
    pager.close()
    assert sqlite_out(dbpath, "PRAGMA user_version; PRAGMA application_id; PRAGMA integrity_check;"
                      ).splitlines() == ["42", str(0x12345678), "ok"]
    sqlite(dbpath, "PRAGMA user_version = 9; CREATE TABLE x(y);")
    pager = Pager.open(OSVFS(), dbpath)
    pager.begin_read()
    assert pager.user_version == 9 and pager.schema_cookie == 1
    assert pager.file_change_counter == 3
    pager.end_read()
    pager.close()


def test_page_size_of_a_new_database_can_be_chosen():
    vfs = MemoryVFS()
    pager = Pager.open(vfs, "x.db")
    pager.page_size = 8192
    pager.begin_write()
    create_table(pager)
    pager.commit()
    assert pager.page_size == 8192
    assert len(bytes(vfs.files["x.db"].data)) == 2 * 8192
    pager.page_size = 1024      # ignored: the database exists
    pager.begin_read()
    assert pager.page_size == 8192
    pager.end_read()


def test_rollback_leaves_the_file_byte_identical(dbpath):
    pager = new_db(dbpath)
    root = create_table(pager)
    add_schema_row(pager, "table", "t", "t", root, "CREATE TABLE t(a)")
    cur = TableCursor(pager, root)
    for i in range(2000):
        cur.insert(i, encode_record((i, "x" * 100)))
    pager.commit()
    before = _read(dbpath)
    pager.begin_write()
    for i in range(0, 2000, 2):
        cur.delete(i)
    for i in range(5000, 6000):
        cur.insert(i, encode_record((b"y" * 3000,)))
    pager.user_version = 3
    assert pager.page_count > len(before) // 4096
    pager.rollback()
    assert not os.path.exists(dbpath + "-journal")
    assert _read(dbpath) == before
    pager.begin_read()
    assert pager.page_count == len(before) // 4096 and pager.user_version == 0
    assert cur.count() == 2000
    pager.end_read()
    pager.close()


@requires_sqlite3
def test_changes_by_another_connection_are_seen(dbpath):
    sqlite(dbpath, "CREATE TABLE t(a); INSERT INTO t VALUES (1);")
    pager = Pager.open(OSVFS(), dbpath)
    pager.begin_read()
    cur = TableCursor(pager, 2)
    assert [decode_record(p) for _, p in cur.scan()] == [(1,)]
    counter = pager.file_change_counter
    pager.end_read()
    sqlite(dbpath, "INSERT INTO t VALUES (2);")
    pager.begin_read()
    assert pager.file_change_counter == counter + 1
    assert [decode_record(p) for _, p in cur.scan()] == [(1,), (2,)]
    pager.end_read()
    # And the other way round, with the cache kept across our own commits.
    pager.begin_write()
    cur.insert(3, encode_record((3,)))
    pager.commit()
    assert sqlite_out(dbpath, "SELECT group_concat(a) FROM t") == "1,2,3"
    pager.close()


def test_cache_holds_at_most_cache_size_clean_pages(dbpath):
    pager = Pager.open(OSVFS(), dbpath, cache_size=20)
    pager.begin_write()
    root = create_table(pager)
    cur = TableCursor(pager, root)
    for i in range(3000):
        cur.insert(i, encode_record(("v" * 200,)))
    pager.commit()
    assert pager.page_count > 150
    pager.begin_read()
    assert sum(1 for _ in cur.scan()) == 3000
    assert len(pager._clean) <= 20
    pager.end_read()
    pager.close()


@pytest.mark.parametrize("content", [
    b"hello world, this is plainly text and not a database at all" * 100,
    b"SQLite format 3\x00" + b"\xff" * 200,               # bad page size
    b"SQLite format 3\x00\x10\x00\x01\x01\x00\x40\x20\x21" + bytes(4096 - 24),   # bad fraction
    b"SQLite format 3\x00\x10\x00\x01\x03\x00\x40\x20\x20" + bytes(4096 - 24),   # read version 3
    b"short",
    b"SQLite format 3\x00\x02\x00\x01\x01\x40\x40\x20\x20" + bytes(512 - 24),    # usable 448
])
def test_not_a_database(dbpath, content):
    with open(dbpath, "wb") as f:
        f.write(content)
    pager = Pager.open(OSVFS(), dbpath)
    with pytest.raises(NotADatabaseError, match="file is not a database"):
        pager.begin_read()
    assert not pager.in_read
    pager.close()


@requires_sqlite3
def test_utf16_database_is_refused(dbpath):
    sqlite(dbpath, "PRAGMA encoding = 'UTF-16le'; CREATE TABLE t(a);")
    pager = Pager.open(OSVFS(), dbpath)
    with pytest.raises(SQLError, match="unsupported file format"):
        pager.begin_read()
    pager.close()


@requires_sqlite3
def test_wal_database_without_wal_file_opens_in_wal_mode(dbpath):
    sqlite(dbpath, "PRAGMA journal_mode = WAL; CREATE TABLE t(a); INSERT INTO t VALUES (5);")
    assert not os.path.exists(dbpath + "-wal")
    pager = Pager.open(OSVFS(), dbpath)
    pager.begin_read()
    assert pager.journal_mode == "wal"
    assert [decode_record(p) for _, p in TableCursor(pager, 2).scan()] == [(5,)]
    pager.end_read()
    pager.begin_write()
    TableCursor(pager, 2).insert(2, encode_record((6,)))
    pager.commit()
    assert os.path.getsize(dbpath + "-wal") > 0
    assert sqlite_out(dbpath, "SELECT a FROM t;") == "5\n6"
    pager.close()
    assert not os.path.exists(dbpath + "-wal")


def test_in_header_size_rules(dbpath):
    pager = new_db(dbpath)
    create_table(pager)
    pager.commit()
    pager.close()
    data = bytearray(_read(dbpath))
    with open(dbpath, "wb") as f:             # trailing junk beyond the in-header size
        f.write(bytes(data) + b"\x99" * 4096)
    pager = Pager.open(OSVFS(), dbpath)
    pager.begin_read()
    assert pager.page_count == 2
    pager.end_read()
    pager.close()
    struct.pack_into(">I", data, 28, 9)       # claims more pages than the file has
    with open(dbpath, "wb") as f:
        f.write(bytes(data))
    pager = Pager.open(OSVFS(), dbpath)
    with pytest.raises(CorruptError):
        pager.begin_read()
    struct.pack_into(">I", data, 92, 77)      # version-valid-for mismatch: size from the file
    with open(dbpath, "wb") as f:
        f.write(bytes(data))
    pager.begin_read()
    assert pager.page_count == 2
    pager.end_read()
    pager.close()


def test_misuse_is_reported():
    pager = Pager.open(MemoryVFS(), "m.db")
    with pytest.raises(InternalEngineError):
        pager.write(1, bytes(4096))
    pager.begin_write()
    with pytest.raises(CorruptError):
        pager.get(99)
    with pytest.raises(InternalEngineError):
        pager.write(1, b"short")
    pager.rollback()
    with pytest.raises(InternalEngineError):
        pager.get(1)


@requires_sqlite3
def test_freelist_trunks_and_leaves(tmp_path):
    path = str(tmp_path / "free.db")
    pager = new_db(path, page_size=512)
    root = create_table(pager)
    add_schema_row(pager, "table", "t", "t", root, "CREATE TABLE t(a)")
    pages = [create_table(pager) for _ in range(600)]
    for pgno in pages:
        pager.free(pgno)
    assert pager.freelist_count == 600
    pager.commit()
    integrity_ok(path)
    assert sqlite_out(path, "PRAGMA freelist_count") == "600"
    # More than one trunk: 512-byte pages hold 512/4 - 8 = 120 leaves per trunk.
    pager.begin_read()
    trunks = 0
    trunk = pager.freelist_trunk
    while trunk:
        trunks += 1
        trunk = struct.unpack(">I", pager.get(trunk)[:4])[0]
    assert trunks >= 5
    pager.end_read()
    pager.begin_write()
    again = {pager.allocate() for _ in range(600)}
    assert again == set(pages) and pager.freelist_count == 0
    assert pager.allocate() == pager.page_count == 603
    pager.rollback()
    pager.close()


def test_lock_byte_page_is_skipped(monkeypatch):
    monkeypatch.setattr(pager_module, "PENDING_BYTE", 512 * 20)
    import engine.storage.integrity  # noqa: F401 - the checker asks the pager
    vfs = MemoryVFS()
    pager = Pager.open(vfs, "lb.db", page_size=512)
    pager.begin_write()
    got = [pager.allocate() for _ in range(25)]
    assert pager.lock_byte_page == 21
    assert 21 not in got and got[18] == 20 and got[19] == 22
    for pgno in got:
        pager.write(pgno, bytes(512))
        pager.free(pgno)
    pager.commit()
    assert pager.page_count == 27          # 1 + 25 allocated + the lock-byte page
    assert check_integrity(pager, []) == []
