"""Scale (issue 4): scanning a large table keeps memory bounded by the page
cache, not by the table, and a rowid or indexed lookup reads O(log n)
pages.  The default suite uses 200,000 rows; the slow run uses 1,000,000
(``LITMUS_SLOW=1 .venv/bin/python -m pytest -q -m slow tests/engine/storage``)."""

from __future__ import annotations

import os
import tracemalloc

import pytest

import engine
from engine.storage.vfs import FaultVFS

from storage_helpers import requires_sqlite3, sqlite


def _build(path, rows):
    sqlite(path, f"""
        CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c INTEGER);
        INSERT INTO t SELECT value, printf('row %08d', value), value % 1000
          FROM generate_series(1, {rows});
        CREATE INDEX tb ON t(b);
        CREATE INDEX tc ON t(c, a);
    """)


def _check(tmp_path, rows):
    path = str(tmp_path / "big.db")
    _build(path, rows)
    size = os.path.getsize(path)
    conn = engine.connect(path)
    conn.execute("PRAGMA cache_size=500")          # 500 pages, 2 MB
    tracemalloc.start()
    try:
        n = 0
        for _row in conn.execute("SELECT a, b, c FROM t"):
            n += 1
        _cur, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    conn.close()
    assert n == rows
    assert peak < 25 * 2**20 and peak < size / 2, (peak, size)
    # Lookups read O(log n) pages: count reads on a memory copy.
    vfs = FaultVFS()
    with open(path, "rb") as f:
        data = f.read()
    handle = vfs.open("big.db")
    handle.write(0, data)
    handle.close()
    conn = engine.connect("big.db", vfs=vfs)
    conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
    for sql, arg in (("SELECT b FROM t WHERE a = ?", rows // 2),
                     ("SELECT a FROM t WHERE b = ?", "row %08d" % (rows // 3)),
                     ("SELECT b FROM t WHERE c = ? AND a = ?", (7, 5007))):
        conn._db.pager.drop_cache()
        before = vfs.counts.get("read", 0)
        assert len(conn.execute(sql, arg if isinstance(arg, tuple) else (arg,)).fetchall()) == 1
        reads = vfs.counts.get("read", 0) - before
        assert reads <= 20, (sql, reads)
    conn.close()


@requires_sqlite3
def test_scan_memory_and_lookup_reads(tmp_path):
    _check(tmp_path, 200_000)


@pytest.mark.slow
@requires_sqlite3
def test_a_million_rows(tmp_path):
    _check(tmp_path, 1_000_000)
