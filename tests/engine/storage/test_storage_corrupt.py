"""Damaged files: the storage layers report corruption, never crash or hang.

A real database written by sqlite3 (tables, indexes, overflow chains, a
freelist, a multi-level tree) is damaged at random -- bit flips, overwritten
bytes, zeroed pages, truncation -- and every case is read, checked and
written to.  The only errors allowed are CorruptError and NotADatabaseError
(plus "unsupported file format" or a read-only refusal when the damage hit
the header's encoding, schema-format or file-format-version fields).
The same holds for auto_vacuum files (FULL and INCREMENTAL), where the
writes also create and drop trees, run incremental_vacuum and the FULL
commit step, all of which follow the (possibly damaged) pointer map.
"""

from __future__ import annotations

import random
import time

import pytest

from engine.errors import CorruptError, NotADatabaseError, ReadOnlyError, SQLError
from engine.storage.btree import TableCursor
from engine.storage.btree_index import IndexCursor
from engine.storage.integrity import check_integrity
from engine.storage.pager import Pager
from engine.storage.record import decode_record, encode_record
from engine.storage.vfs import MemoryVFS

from storage_helpers import requires_sqlite3, sqlite

CASES = 300


@pytest.fixture(scope="module", params=[0, 1, 2], ids=["plain", "full", "incremental"])
def original(tmp_path_factory, request):
    path = tmp_path_factory.mktemp("corrupt") / "base.db"
    sqlite(path, f"PRAGMA auto_vacuum = {request.param};" + """
        PRAGMA page_size = 1024;
        CREATE TABLE t(a INTEGER, b TEXT, c BLOB);
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500)
        INSERT INTO t SELECT i, printf('%.*c', i % 90, 'q'), CASE WHEN i % 250 = 0 THEN randomblob(3000) END FROM n;
        CREATE INDEX ta ON t(a);
        CREATE INDEX tb ON t(b, a);
        CREATE TABLE u(x);
        INSERT INTO u VALUES (randomblob(5000)), ('small');
        DELETE FROM t WHERE a % 7 = 0;
        DELETE FROM u WHERE x = 'small';
    """)
    return path.read_bytes()


def _exercise(data: bytes, rnd: random.Random) -> None:
    vfs = MemoryVFS()
    f = vfs.open("c.db")
    f.write(0, data)
    f.close()
    pager = Pager.open(vfs, "c.db")
    pager.begin_read()
    roots = []
    for _, payload in TableCursor(pager, 1).scan():
        rec = decode_record(payload)
        if len(rec) >= 4 and isinstance(rec[3], int) and rec[3] > 0:
            roots.append((rec[0], rec[3]))
    check_integrity(pager, [r for _, r in roots])
    for kind, root in roots:
        if kind == "table":
            cur = TableCursor(pager, root)
            for _, payload in cur.scan():
                decode_record(payload)
            cur.count()
            cur.max_rowid()
            cur.lookup(rnd.randrange(1, 1600))
            list(cur.scan_from(rnd.randrange(1, 1600)))
        else:
            cur = IndexCursor(pager, root)
            list(cur.scan())
            list(cur.seek((rnd.randrange(1, 1600),)))
    pager.end_read()
    pager.begin_write()
    try:
        for kind, root in roots:
            if kind == "table":
                cur = TableCursor(pager, root)
                for _ in range(20):
                    cur.delete(rnd.randrange(1, 1600))
                    cur.insert(rnd.randrange(1, 1600), encode_record((1, "x" * rnd.randrange(400))))
            else:
                cur = IndexCursor(pager, root)
                for _ in range(20):
                    cur.insert((rnd.randrange(1, 1600), rnd.randrange(10 ** 6)))
                    cur.delete((rnd.randrange(1, 1600), rnd.randrange(10 ** 6)))
        if pager.auto_vacuum:
            from engine.storage import autovacuum, btree
            new_root = btree.create_table(pager)
            TableCursor(pager, new_root).insert(1, encode_record((b"z" * 3000,)))
            btree.create_index(pager)
            kind, root = roots[rnd.randrange(len(roots))]
            btree.drop_tree(pager, root)
            autovacuum.incremental_vacuum(pager, rnd.choice([1, 5, 0]))
            autovacuum.commit_step(pager)
    finally:
        pager.rollback()
        pager.close()


def _damage(data: bytes, rnd: random.Random) -> tuple[bytes, bool]:
    """A damaged copy and whether the 100-byte header was touched."""
    buf = bytearray(data)
    header = False
    kind = rnd.random()
    if kind < 0.1:
        cut = rnd.randrange(len(buf))
        return bytes(buf[:cut]), cut < 100
    if kind < 0.2:
        page = rnd.randrange(len(buf) // 1024)
        buf[page * 1024:(page + 1) * 1024] = bytes(1024) if rnd.random() < 0.5 else rnd.randbytes(1024)
        return bytes(buf), page == 0
    for _ in range(rnd.randint(1, 8)):
        where = rnd.random()
        if where < 0.5:
            pos = rnd.randrange(len(buf))
        elif where < 0.7:
            pos = rnd.randrange(min(len(buf), 3000))
        else:       # page headers and cell pointer arrays
            page = rnd.randrange(len(buf) // 1024)
            pos = page * 1024 + (100 if page == 0 else 0) + rnd.randrange(40)
        if rnd.random() < 0.6:
            buf[pos] ^= 1 << rnd.randrange(8)
        else:
            buf[pos] = rnd.randrange(256)
        header = header or pos < 100
    return bytes(buf), header


@requires_sqlite3
def test_random_damage_raises_only_corruption_errors(original):
    rnd = random.Random(20240601)
    _exercise(original, rnd)            # the undamaged file works
    outcomes = {"ok": 0, "corrupt": 0, "notadb": 0, "unsupported": 0}
    start = time.monotonic()
    auto_vacuum = original[52:56] != bytes(4)
    for case in range(CASES // 2 if auto_vacuum else CASES):
        damaged, header = _damage(original, rnd)
        t0 = time.monotonic()
        try:
            _exercise(damaged, random.Random(case))
            outcomes["ok"] += 1
        except CorruptError as exc:
            assert str(exc) == "database disk image is malformed"
            outcomes["corrupt"] += 1
        except NotADatabaseError as exc:
            assert str(exc) == "file is not a database"
            outcomes["notadb"] += 1
        except SQLError as exc:
            assert header and str(exc).startswith("unsupported file format"), (case, exc)
            outcomes["unsupported"] += 1
        except ReadOnlyError:
            assert header          # a write version above 2 makes the file read-only
            outcomes["unsupported"] += 1
        assert time.monotonic() - t0 < 5, f"case {case} is too slow (a loop?)"
    assert outcomes["corrupt"] > 10 and outcomes["ok"] > 10, outcomes
    assert time.monotonic() - start < 40


def test_integrity_checker_reports_instead_of_raising(original):
    rnd = random.Random(99)
    reported = 0
    for _ in range(60):
        damaged, _ = _damage(original[:100] + original[100:], rnd)
        vfs = MemoryVFS()
        f = vfs.open("c.db")
        f.write(0, damaged)
        f.close()
        pager = Pager.open(vfs, "c.db")
        try:
            pager.begin_read()
        except (CorruptError, NotADatabaseError, SQLError):
            continue
        problems = check_integrity(pager, [2, 3, 4, 5, 6])
        assert all(isinstance(p, str) for p in problems)
        reported += bool(problems)
        pager.end_read()
    assert reported > 10
