"""Table and index b-trees (engine/storage/btree*.py), with sqlite3 as the oracle."""

from __future__ import annotations

import random

import pytest

from engine.storage.btree import (
    TableCursor,
    clear_tree,
    create_index,
    create_table,
    drop_tree,
    tree_pages,
)
from engine.storage.btree_index import IndexCursor, compare_values, default_compare
from engine.storage.btree_page import local_payload_size
from engine.storage.integrity import check_integrity
from engine.storage.pager import Pager
from engine.storage.record import decode_record, encode_record
from engine.storage.vfs import MemoryVFS, OSVFS

from storage_helpers import (
    add_schema_row,
    integrity_ok,
    new_db,
    requires_sqlite3,
    schema_rows,
    sqlite,
    sqlite_out,
)


def _b_value(i: int) -> str:
    return f"row-{i:06d}-" + "x" * (i % 37)


# --- the engine writes, sqlite3 checks -----------------------------------------


@requires_sqlite3
def test_100k_rows_with_index_written_by_engine(dbpath):
    n = 100_000
    pager = new_db(dbpath)
    root = create_table(pager)
    iroot = create_index(pager)
    add_schema_row(pager, "table", "t", "t", root, "CREATE TABLE t(a,b)")
    add_schema_row(pager, "index", "i", "t", iroot, "CREATE INDEX i ON t(a)")
    table = TableCursor(pager, root)
    index = IndexCursor(pager, iroot)
    for rowid in range(1, n + 1):
        a = (rowid * 7919) % 100_003          # index inserts land all over the tree
        table.insert(rowid, encode_record((a, _b_value(rowid))))
        index.insert((a, rowid))
    pager.commit()
    assert pager.page_count > 500
    pager.close()
    expected_sum = sum((r * 7919) % 100_003 for r in range(1, n + 1))
    out = sqlite_out(dbpath, "PRAGMA integrity_check; SELECT count(*), sum(a) FROM t;"
                             "SELECT b FROM t WHERE a = 7919;"
                             "SELECT count(*) FROM t INDEXED BY i WHERE a BETWEEN 10 AND 20;")
    assert out.splitlines() == ["ok", f"{n}|{expected_sum}", _b_value(1), "11"]
    # The interior levels exist: the table root is an interior page.
    depth = sqlite_out(dbpath, f"SELECT count(*) FROM t WHERE rowid > {n - 10}")
    assert depth == "10"


@requires_sqlite3
def test_multi_megabyte_values_overflow_chains(dbpath):
    rnd = random.Random(5)
    big_blob = rnd.randbytes(3 * 1024 * 1024 + 17)
    big_text = "".join(rnd.choice("abcdéfgh✓") for _ in range(700_000))   # > 1 MB of UTF-8
    rows = {1: (1, big_blob), 2: (2, big_text), 3: (3, b"small")}
    # Payload sizes right at the local-payload boundaries of a 4096-byte page.
    for rowid, size in enumerate([4061, 4062, 4063, 4096, 8192, 12000], start=4):
        rows[rowid] = (rowid, rnd.randbytes(size))
    pager = new_db(dbpath)
    root = create_table(pager)
    add_schema_row(pager, "table", "t", "t", root, "CREATE TABLE t(a,b)")
    cur = TableCursor(pager, root)
    for rowid, row in rows.items():
        cur.insert(rowid, encode_record(row))
    pager.commit()
    pager.begin_read()
    assert {r: decode_record(p) for r, p in cur.scan()} == rows
    pager.end_read()
    pager.close()
    out = sqlite_out(dbpath, "PRAGMA integrity_check; SELECT sum(length(CAST(b AS BLOB))) FROM t;"
                             "SELECT hex(substr(b, 2000001, 8)) FROM t WHERE a = 1;"
                             "SELECT substr(b, 300001, 5) FROM t WHERE a = 2;")
    lines = out.splitlines()
    assert lines[0] == "ok"
    total = sum(len(v if isinstance(v, bytes) else v.encode()) for _, v in rows.values())
    assert lines[1] == str(total)
    assert lines[2] == big_blob[2_000_000:2_000_008].hex().upper()
    assert lines[3] == big_text[300_000:300_005]


@requires_sqlite3
def test_index_with_overflowing_keys(dbpath):
    rnd = random.Random(11)
    pager = new_db(dbpath)
    root = create_table(pager)
    iroot = create_index(pager)
    add_schema_row(pager, "table", "t", "t", root, "CREATE TABLE t(a,b)")
    add_schema_row(pager, "index", "i", "t", iroot, "CREATE INDEX i ON t(b)")
    table, index = TableCursor(pager, root), IndexCursor(pager, iroot)
    expect = []
    for rowid in range(1, 801):
        b = "k%05d" % rnd.randrange(100000) + "y" * rnd.choice([10, 900, 1500, 5000])
        table.insert(rowid, encode_record((rowid, b)))
        index.insert((b, rowid))
        expect.append((b, rowid))
    # Delete some keys: interior entries get replaced by their predecessors.
    for key in rnd.sample(expect, 300):
        assert index.delete(key)
        assert table.delete(key[1])
        expect.remove(key)
    pager.commit()
    pager.begin_read()
    assert list(index.scan()) == sorted(expect)
    assert check_integrity(pager, [root, (iroot, default_compare)]) == []
    pager.end_read()
    pager.close()
    out = sqlite_out(dbpath, "PRAGMA integrity_check; SELECT count(*) FROM t INDEXED BY i WHERE b > '';")
    assert out.splitlines() == ["ok", str(len(expect))]


@requires_sqlite3
@pytest.mark.parametrize("page_size", [512, 1024, 65536])
def test_other_page_sizes(tmp_path, page_size):
    path = str(tmp_path / f"p{page_size}.db")
    pager = new_db(path, page_size=page_size)
    root = create_table(pager)
    iroot = create_index(pager)
    add_schema_row(pager, "table", "t", "t", root, "CREATE TABLE t(a,b)")
    add_schema_row(pager, "index", "i", "t", iroot, "CREATE INDEX i ON t(b)")
    table, index = TableCursor(pager, root), IndexCursor(pager, iroot)
    for rowid in range(1, 3001):
        b = "v" * (rowid % 300) + str(rowid)
        table.insert(rowid, encode_record((rowid, b)))
        index.insert((b, rowid))
    pager.commit()
    pager.close()
    out = sqlite_out(path, "PRAGMA page_size; PRAGMA integrity_check; SELECT count(*), sum(a) FROM t;")
    assert out.splitlines() == [str(page_size), "ok", f"3000|{3000 * 3001 // 2}"]


@requires_sqlite3
def test_schema_table_root_splits_and_stays_on_page_1(dbpath):
    pager = new_db(dbpath)
    roots = []
    for i in range(400):
        root = create_table(pager)
        roots.append(root)
        sql = f"CREATE TABLE table_number_{i:04d}(a, b, c, d, {'e' * 40})"
        add_schema_row(pager, "table", f"table_number_{i:04d}", f"table_number_{i:04d}", root, sql)
    TableCursor(pager, roots[7]).insert(1, encode_record((1, 2, 3, 4, 5)))
    pager.commit()
    pager.begin_read()
    assert pager.get(1)[100] == 0x05            # page 1 is now an interior table page
    assert [r[1] for r in schema_rows(pager)] == [f"table_number_{i:04d}" for i in range(400)]
    pager.end_read()
    pager.close()
    out = sqlite_out(dbpath, "PRAGMA integrity_check; SELECT count(*) FROM sqlite_schema;"
                             "SELECT * FROM table_number_0007;")
    assert out.splitlines() == ["ok", "400", "1|2|3|4|5"]


# --- sqlite3 writes, the engine reads -------------------------------------------


@requires_sqlite3
def test_reading_a_100k_row_database_written_by_sqlite3(dbpath):
    sqlite(dbpath, """
        CREATE TABLE t(a INTEGER, b TEXT, c BLOB);
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
        INSERT INTO t SELECT (i * 31) % 1000, 'v' || i, CASE WHEN i % 20000 = 0 THEN zeroblob(300000) END FROM n;
        CREATE INDEX ia ON t(a);
        CREATE INDEX ib ON t(b);
        DELETE FROM t WHERE rowid % 97 = 0;
    """)
    count, total, blobs = sqlite_out(dbpath, "SELECT count(*), sum(a), sum(length(c)) FROM t").split("|")
    pager = Pager.open(OSVFS(), dbpath)
    pager.begin_read()
    schema = {r[1]: r for r in schema_rows(pager)}
    table = TableCursor(pager, schema["t"][3])
    n = s = b = 0
    prev = None
    for rowid, payload in table.scan():
        a, text, blob = decode_record(payload)
        assert prev is None or rowid > prev
        prev = rowid
        assert text == f"v{rowid}"
        n += 1
        s += a
        b += len(blob) if blob is not None else 0
    assert (n, s, b) == (int(count), int(total), int(blobs))
    assert table.count() == n
    assert table.max_rowid() == 100000
    ia = IndexCursor(pager, schema["ia"][3])
    keys = list(ia.scan())
    assert len(keys) == n
    assert keys == sorted(keys)
    hits = list(ia.scan_range((5,), (5,)))
    assert hits and all(k[0] == 5 for k in hits)
    assert len(hits) == int(sqlite_out(dbpath, "SELECT count(*) FROM t WHERE a = 5"))
    ib = IndexCursor(pager, schema["ib"][3])
    assert next(iter(ib.seek(("v5000",)))) == ("v5000", 5000)
    assert check_integrity(pager, [r[3] for r in schema.values()]) == []
    pager.end_read()
    pager.close()


# --- deletes and page reuse -------------------------------------------------------


@requires_sqlite3
def test_deletes_keep_the_tree_valid_and_pages_are_reused(dbpath):
    rnd = random.Random(3)
    pager = new_db(dbpath)
    root = create_table(pager)
    iroot = create_index(pager)
    add_schema_row(pager, "table", "t", "t", root, "CREATE TABLE t(a,b)")
    add_schema_row(pager, "index", "i", "t", iroot, "CREATE INDEX i ON t(a)")
    table, index = TableCursor(pager, root), IndexCursor(pager, iroot)
    model = {}
    for rowid in range(1, 20001):
        row = (rnd.randrange(1000), "p" * rnd.randrange(200) if rowid % 500 else b"B" * 9000)
        table.insert(rowid, encode_record(row))
        index.insert((row[0], rowid))
        model[rowid] = row
    pager.commit()
    size_before = pager.page_count

    pager.begin_write()
    victims = rnd.sample(sorted(model), 6000) + list(range(5000, 9000))
    for rowid in victims:
        if rowid in model:
            row = model.pop(rowid)
            assert table.delete(rowid)
            assert index.delete((row[0], rowid))
    assert not table.delete(5000)
    pager.commit()
    pager.begin_read()
    freed = pager.freelist_count
    assert freed > 50
    assert [r for r, _ in table.scan()] == sorted(model)
    pager.end_read()
    out = sqlite_out(dbpath, "PRAGMA integrity_check; SELECT count(*), sum(a) FROM t;"
                             "PRAGMA freelist_count;")
    assert out.splitlines() == ["ok", f"{len(model)}|{sum(r[0] for r in model.values())}",
                                str(freed)]

    pager.begin_write()
    for rowid in range(20001, 23001):
        table.insert(rowid, encode_record((rowid % 1000, "q" * 100)))
        index.insert((rowid % 1000, rowid))
    pager.commit()
    assert pager.page_count == size_before          # grew into freed pages only
    pager.close()
    integrity_ok(dbpath)


@requires_sqlite3
def test_engine_deletes_from_a_file_sqlite3_wrote(dbpath):
    sqlite(dbpath, """
        CREATE TABLE t(a, b);
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
        INSERT INTO t SELECT i, printf('%.*c', i % 300, 'z') FROM n;
        DELETE FROM t WHERE a % 3 = 0;       -- leaves freeblocks and a freelist
    """)
    pager = Pager.open(OSVFS(), dbpath)
    pager.begin_write()
    root = schema_rows(pager)[0][3]
    cur = TableCursor(pager, root)
    for rowid in range(1, 5001, 2):
        cur.delete(rowid)
    for rowid in range(6000, 6500):
        cur.insert(rowid, encode_record((rowid, "new")))
    pager.commit()
    pager.close()
    expect = [r for r in range(1, 5001) if r % 3 and r % 2 == 0] + list(range(6000, 6500))
    out = sqlite_out(dbpath, "PRAGMA integrity_check; SELECT count(*), sum(a) FROM t;")
    assert out.splitlines() == ["ok", f"{len(expect)}|{sum(expect)}"]


@requires_sqlite3
def test_clear_and_drop_free_every_page(dbpath):
    pager = new_db(dbpath)
    keep = create_table(pager)
    gone = create_table(pager)
    idx = create_index(pager)
    add_schema_row(pager, "table", "keep", "keep", keep, "CREATE TABLE keep(a)")
    t = TableCursor(pager, gone)
    ix = IndexCursor(pager, idx)
    for rowid in range(1, 3000):
        t.insert(rowid, encode_record((rowid, b"\x01" * (5000 if rowid % 100 == 0 else 50))))
        ix.insert(("key" * 200, rowid))
    TableCursor(pager, keep).insert(1, encode_record((42,)))
    pager.commit()
    pager.begin_write()
    used_by_tree = len(list(tree_pages(pager, gone)))
    assert any(kind == "overflow" for _, kind in tree_pages(pager, gone))
    used_by_index = len(list(tree_pages(pager, idx)))
    before = pager.freelist_count
    drop_tree(pager, gone)
    clear_tree(pager, idx)
    assert pager.freelist_count == before + used_by_tree + used_by_index - 1
    assert IndexCursor(pager, idx).count() == 0
    drop_tree(pager, idx)
    pager.commit()
    pager.close()
    out = sqlite_out(dbpath, "PRAGMA integrity_check; SELECT a FROM keep;")
    assert out.splitlines() == ["ok", "42"]


# --- cursor API -------------------------------------------------------------------


def _memory_pager(page_size=512):
    pager = Pager.open(MemoryVFS(), "mem.db", page_size=page_size)
    pager.begin_write()
    return pager


def test_table_cursor_api():
    pager = _memory_pager()
    root = create_table(pager)
    cur = TableCursor(pager, root)
    assert cur.max_rowid() is None and cur.count() == 0 and list(cur.scan()) == []
    rowids = sorted({-2 ** 63, -5, 0, 3, 7, 1000, 2 ** 63 - 1, *range(10, 2000, 3)})
    random.Random(1).shuffle(rowids)
    for r in rowids:
        cur.insert(r, encode_record((r, "v" * (r % 50 if r > 0 else 3))))
    ordered = sorted(rowids)
    assert [r for r, _ in cur.scan()] == ordered
    assert [r for r, _ in cur.scan_reverse()] == ordered[::-1]
    assert [r for r, _ in cur.scan_from(11)][:3] == [13, 16, 19]
    assert [r for r, _ in cur.scan_from(2 ** 63 - 1)] == [2 ** 63 - 1]
    assert cur.max_rowid() == 2 ** 63 - 1 and cur.min_rowid() == -2 ** 63
    assert cur.count() == len(rowids)
    assert decode_record(cur.lookup(7)) == (7, "v" * 7)
    assert cur.lookup(8) is None and 8 not in cur and 7 in cur
    # Overwrite with a value that overflows, then with a small one again.
    cur.insert(7, encode_record((b"z" * 5000,)))
    assert decode_record(cur.lookup(7)) == (b"z" * 5000,)
    free_before = pager.freelist_count
    cur.insert(7, encode_record(("small",)))
    assert pager.freelist_count > free_before             # the overflow chain was freed
    assert cur.count() == len(rowids)
    assert check_integrity(pager, [root]) == []


def test_index_cursor_api_and_ordering():
    pager = _memory_pager()
    root = create_index(pager)
    ix = IndexCursor(pager, root)
    keys = [(None, 1), (None, 2), (-3, 3), (2.5, 4), (2, 5), (3, 6), ("a", 7), ("B", 8),
            ("b", 9), (b"\x00", 10), (b"", 11), (2, 12), (2.0, 13)]
    for k in reversed(keys):
        assert ix.insert(k)
    assert not ix.insert((2, 5))                    # already present
    expect = [(None, 1), (None, 2), (-3, 3), (2, 5), (2, 12), (2.0, 13), (2.5, 4), (3, 6),
              ("B", 8), ("a", 7), ("b", 9), (b"", 11), (b"\x00", 10)]
    assert list(ix.scan()) == expect
    assert list(ix.scan_reverse()) == expect[::-1]
    assert list(ix.seek((2,)))[:3] == [(2, 5), (2, 12), (2.0, 13)]
    assert list(ix.seek(("a",)))[0] == ("a", 7)
    assert list(ix.seek_reverse((2,)))[:4] == [(2.0, 13), (2, 12), (2, 5), (-3, 3)]
    assert list(ix.scan_range((2,), (3,), lo_inclusive=False)) == [(2.5, 4), (3, 6)]
    assert list(ix.scan_range(None, (None,))) == [(None, 1), (None, 2)]
    assert ix.contains((3, 6)) and not ix.contains((3, 7))
    assert ix.first() == (None, 1) and ix.last() == (b"\x00", 10)
    assert ix.delete((2, 12)) and not ix.delete((2, 12))
    assert ix.count() == len(expect) - 1
    assert compare_values(1, 1.0) == 0 and compare_values("a", b"a") < 0


def test_index_custom_comparator():
    pager = _memory_pager()
    root = create_index(pager)

    def nocase_desc(a, b):           # first column NOCASE descending, then rowid
        x, y = a[0].lower(), b[0].lower()
        if x != y:
            return -1 if x > y else 1
        return default_compare(a[1:], b[1:])

    ix = IndexCursor(pager, root, nocase_desc)
    words = ["apple", "Banana", "cherry", "APPLE", "date", "Cherry"]
    for i, w in enumerate(words):
        ix.insert((w, i))
    assert [k[0] for k in ix.scan()] == ["date", "cherry", "Cherry", "Banana", "apple", "APPLE"]
    assert [k[1] for k in ix.seek(("CHERRY",))] == [2, 5, 1, 0, 3]


@requires_sqlite3
@pytest.mark.parametrize("seed", [1, 2])
def test_random_operations_against_a_model(tmp_path, seed):
    """Inserts, deletes and range deletes on small pages; the engine's own
    checker after every batch, sqlite3's integrity_check at the end."""
    rnd = random.Random(seed)
    path = str(tmp_path / "model.db")
    pager = new_db(path, page_size=512)
    root, iroot = create_table(pager), create_index(pager)
    add_schema_row(pager, "table", "t", "t", root, "CREATE TABLE t(a,b)")
    add_schema_row(pager, "index", "i", "t", iroot, "CREATE INDEX i ON t(b)")
    table, index = TableCursor(pager, root), IndexCursor(pager, iroot)
    model = {}

    def value():
        k = rnd.random()
        if k < 0.05:
            return rnd.randbytes(rnd.randint(100, 2500))
        if k < 0.4:
            return "s" * rnd.randint(0, 150) + str(rnd.random())
        return rnd.randint(-10 ** 12, 10 ** 12)

    for step in range(4000):
        op = rnd.random()
        if op < 0.6:
            rowid = rnd.randint(1, 2500)
            b = value()
            if rowid in model:
                index.delete((model[rowid][1], rowid))
            table.insert(rowid, encode_record((rowid, b)))
            index.insert((b, rowid))
            model[rowid] = (rowid, b)
        elif op < 0.95 and model:
            rowid = rnd.choice(list(model))
            assert table.delete(rowid)
            assert index.delete((model.pop(rowid)[1], rowid))
        elif model:
            lo = rnd.choice(list(model))
            for rowid in [r for r in model if lo <= r < lo + 150]:
                assert table.delete(rowid)
                assert index.delete((model.pop(rowid)[1], rowid))
        if step % 400 == 399:
            assert check_integrity(pager, [root, (iroot, default_compare)]) == []
            assert {r: decode_record(p) for r, p in table.scan()} == model
            pager.commit()
            pager.begin_write()
    assert [k[1] for k in index.scan()] == [r for r, _ in sorted(
        model.items(), key=lambda kv: (_sort_key(kv[1][1]), kv[0]))]
    pager.commit()
    pager.close()
    out = sqlite_out(path, "PRAGMA integrity_check; SELECT count(*) FROM t;")
    assert out.splitlines() == ["ok", str(len(model))]


def _sort_key(v):
    if isinstance(v, (int, float)):
        return (1, v, b"")
    if isinstance(v, str):
        return (2, 0, v.encode())
    return (3, 0, v)


def test_local_payload_formula_matches_the_documented_rule():
    # U=4096: table leaf X = 4061, index X = 1002, M = 489, K = M + (P-M) % 4092.
    assert local_payload_size(4061, 4096, True) == 4061
    assert local_payload_size(4062, 4096, True) == 489        # K = 4062 > X: M
    assert local_payload_size(4681, 4096, True) == 589        # K = 589 <= X: K
    assert local_payload_size(1002, 4096, False) == 1002
    assert local_payload_size(1003, 4096, False) == 489
    assert local_payload_size(4681, 4096, False) == 589
    assert local_payload_size(5000, 4096, False) == 489 + (5000 - 489) % 4092


@requires_sqlite3
def test_engine_and_sqlite3_take_turns_on_one_file(dbpath):
    """Each side reuses the other's freelist and reads the other's pages."""
    sqlite(dbpath, "CREATE TABLE t(a, b); CREATE INDEX ia ON t(a);")
    rnd = random.Random(17)
    model = {}
    next_id = 1
    for round_no in range(8):
        pager = Pager.open(OSVFS(), dbpath)
        pager.begin_write()
        schema = {r[1]: r[3] for r in schema_rows(pager)}
        table, index = TableCursor(pager, schema["t"]), IndexCursor(pager, schema["ia"])
        assert {r: decode_record(p) for r, p in table.scan()} == model
        for _ in range(300):
            a = rnd.randrange(1000)
            row = (a, "e" * rnd.randrange(300))
            table.insert(next_id, encode_record(row))
            index.insert((a, next_id))
            model[next_id] = row
            next_id += 1
        for rowid in rnd.sample(sorted(model), len(model) // 3):
            assert table.delete(rowid)
            assert index.delete((model.pop(rowid)[0], rowid))
        pager.commit()
        pager.close()
        integrity_ok(dbpath)
        # sqlite3's turn: its own inserts and deletes.
        lo = next_id
        sqlite(dbpath, f"""
            WITH RECURSIVE n(i) AS (SELECT {lo} UNION ALL SELECT i + 1 FROM n WHERE i < {lo + 199})
            INSERT INTO t(rowid, a, b) SELECT i, i % 1000, substr('{"s" * 250}', 1, i % 250) FROM n;
            DELETE FROM t WHERE rowid % 5 = {round_no % 5};
        """)
        for i in range(lo, lo + 200):
            model[i] = (i % 1000, "s" * (i % 250))
        next_id = lo + 200
        for rowid in [r for r in model if r % 5 == round_no % 5]:
            del model[rowid]
        integrity_ok(dbpath)
    assert sqlite_out(dbpath, "SELECT count(*), sum(a) FROM t") == \
        f"{len(model)}|{sum(r[0] for r in model.values())}"
