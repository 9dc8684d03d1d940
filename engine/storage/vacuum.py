"""VACUUM (lang_vacuum.html): rebuild the database file compactly.

Every b-tree (the schema table on page 1 first, then each table and index
in schema order) is copied page by page into a new numbering: pre-order,
each page followed by the overflow chains of its cells, so the file ends up
without free pages and with each tree's pages together.  Child pointers,
overflow pointers and the roots recorded in sqlite_schema are rewritten to
the new numbers.  Pages are written through the pager inside the caller's
write transaction, so the rebuild is journaled (or logged) like any other
change and is atomic.  The header keeps user_version, application_id, the
encoding and the default cache size; the freelist is empty afterwards and
the schema cookie moves on, as sqlite3's VACUUM leaves them.

Unlike sqlite3, which re-inserts every row into fresh trees, the copy keeps
each page's cells as they are: free pages go, but half-empty pages stay
half-empty (the file is typically within a few percent of sqlite3's).

The new file takes the auto_vacuum mode ``PRAGMA auto_vacuum`` last asked
for (the current one otherwise), as sqlite3's VACUUM does: this is how a
database changes between NONE and FULL/INCREMENTAL.  An auto_vacuum file
gets its roots on the first pages after the pointer map (page 2), the
largest of them in the header, and pointer-map pages built from the new
numbering (engine.storage.ptrmap).
"""

from __future__ import annotations

import struct

from engine.errors import corrupt
from engine.storage.btree import TableCursor, clear_tree
from engine.storage.btree_page import (
    INTERIOR_TABLE, LEAF_INDEX, Node, _cell_layout, cell_overflow, overflow_chain, parse_node,
    serialize_node,
)
from engine.storage.ptrmap import BTREE, OVERFLOW1, OVERFLOW2, ROOTPAGE, is_map_page, map_page
from engine.storage.record import decode_record, encode_record

__all__ = ["vacuum"]

_U32 = struct.Struct(">I")


def _reorder_schema(pager) -> list[tuple[int, int]]:
    """Put sqlite_schema's rows in the order sqlite3's VACUUM leaves them
    (it creates each table -- its automatic indexes right after it,
    sqlite_sequence after the first AUTOINCREMENT table --, then the other
    indexes, then copies the views and triggers), numbered from 1.
    Returns ``(rowid, root page)`` of every b-tree in that order."""
    rows = []
    for rowid, payload in TableCursor(pager, 1).scan():
        rec = decode_record(payload)
        rows.append((rowid, payload, rec))
    tables, indexes, rest, sequence = [], [], [], []
    autos: dict = {}
    for row in rows:
        rec = row[2]
        if len(rec) < 5 or not isinstance(rec[3], int) or rec[3] <= 0:
            rest.append(row)
        elif rec[0] == "table" and rec[1] == "sqlite_sequence":
            sequence.append(row)
        elif rec[0] == "table":
            tables.append(row)
        elif rec[0] == "index" and rec[4] is None and isinstance(rec[2], str):
            autos.setdefault(rec[2].lower(), []).append(row)
        else:
            indexes.append(row)
    ordered = []
    for row in tables:
        ordered.append(row)
        name, sql = row[2][1], row[2][4]
        ordered.extend(autos.pop(name.lower(), []) if isinstance(name, str) else [])
        if sequence and isinstance(sql, str) and "AUTOINCREMENT" in sql.upper():
            ordered.extend(sequence)
            sequence = []
    for left in autos.values():
        ordered.extend(left)
    ordered += sequence + indexes + rest
    if [row[0] for row in ordered] != list(range(1, len(ordered) + 1)):
        clear_tree(pager, 1)
        schema = TableCursor(pager, 1)
        for i, row in enumerate(ordered, 1):
            schema.insert(i, row[1])
    return [(i, row[2][3]) for i, row in enumerate(ordered, 1) if row not in rest]


def _renumber(pager, root: int) -> None:
    """Give the rows of a table rowids 1, 2, 3, ... in their order."""
    cur = TableCursor(pager, root)
    rowids = [rowid for rowid, _ in cur.scan()]
    if rowids == list(range(1, len(rowids) + 1)):
        return
    rows = list(cur.scan())
    clear_tree(pager, root)
    cur = TableCursor(pager, root)
    for i, (_rowid, payload) in enumerate(rows, 1):
        cur.insert(i, payload)


def vacuum(pager, renumber=()) -> int:
    """Rebuild the open write transaction's database compactly; returns the
    new page count.

    ``renumber`` names the root pages of the tables whose rowids sqlite3's
    VACUUM renumbers 1..n (it copies rows with fresh rowids into tables that
    have neither an INTEGER PRIMARY KEY nor any index); the storage layer
    cannot tell which those are, so the caller says."""
    for root in renumber:
        _renumber(pager, root)
    usable = pager.usable_size
    lock_page = pager.lock_byte_page
    roots = _reorder_schema(pager)
    target = pager.next_auto_vacuum if pager.next_auto_vacuum is not None else pager.auto_vacuum
    mapping: dict[int, int] = {}
    order: list[int] = []
    overflow_next: dict[int, int] = {}
    next_new = 1

    def assign(old: int) -> None:
        nonlocal next_new
        if old in mapping:
            raise corrupt(f"page {old} is referenced twice")
        while next_new == lock_page or (target and is_map_page(pager, next_new)):
            next_new += 1
        mapping[old] = next_new
        order.append(old)
        next_new += 1

    # Page 1, then the roots (after the first pointer-map page of an
    # auto_vacuum file), then the rest of each tree: sqlite3's VACUUM
    # creates every table and index before copying any rows.
    assign(1)
    for _rowid, root in roots:
        if root not in mapping and 1 < root <= pager.page_count:
            assign(root)

    def walk(root: int) -> None:
        stack = [(root, 0)]
        while stack:
            pgno, depth = stack.pop()
            if depth > 20 or pgno < 1 or pgno > pager.page_count:
                raise corrupt(f"b-tree page {pgno} out of range")
            if not (depth == 0 and pgno in mapping):     # a root placed up front
                assign(pgno)
            node = parse_node(pgno, pager.get(pgno), usable)
            for cell in node.cells:
                first, count = cell_overflow(pager, cell, node.ptype)
                if count:
                    chain = overflow_chain(pager, first, count)
                    for k, opg in enumerate(chain):
                        assign(opg)
                        overflow_next[opg] = chain[k + 1] if k + 1 < len(chain) else 0
            if node.ptype < LEAF_INDEX:
                children = [_U32.unpack_from(c, 0)[0] for c in node.cells] + [node.right]
                # Reversed so the left-most child is numbered first.
                stack.extend((c, depth + 1) for c in reversed(children))

    walk(1)
    walked = {1}
    for _rowid, root in roots:
        if root not in walked:
            walked.add(root)
            walk(root)

    images: dict[int, bytes] = {}
    entries: dict[int, tuple[int, int]] = {}      # new page -> pointer-map entry
    page_size = pager.page_size
    for old in order:
        new = mapping[old]
        data = pager.get(old)
        if old in overflow_next:
            page = bytearray(data)
            nxt = overflow_next[old]
            _U32.pack_into(page, 0, mapping[nxt] if nxt else 0)
            if nxt:
                entries[mapping[nxt]] = (OVERFLOW2, new)
            images[new] = bytes(page)
            continue
        node = parse_node(old, data, usable)
        cells = []
        for cell in node.cells:
            cell = bytearray(cell)
            if node.ptype < LEAF_INDEX:
                child = mapping[_U32.unpack_from(cell, 0)[0]]
                _U32.pack_into(cell, 0, child)
                entries[child] = (BTREE, new)
            if node.ptype != INTERIOR_TABLE:
                size, p, local = _cell_layout(bytes(cell), node.ptype, usable)
                if local < size:
                    first = mapping[_U32.unpack_from(cell, p + local)[0]]
                    _U32.pack_into(cell, p + local, first)
                    entries[first] = (OVERFLOW1, new)
            cells.append(bytes(cell))
        right = mapping[node.right] if node.ptype < LEAF_INDEX else 0
        if right:
            entries[right] = (BTREE, new)
        copy = Node(new, node.ptype, cells, list(node.keys), right)
        header = data[:100] if new == 1 else None
        images[new] = bytes(serialize_node(copy, page_size, usable, header, data))

    count = next_new - 1
    new_roots = {mapping[root] for _rowid, root in roots if root in mapping} - {1}
    for r in new_roots:
        entries[r] = (ROOTPAGE, 0)
    maps: dict[int, bytearray] = {}
    if target:
        for new, (etype, parent) in entries.items():
            pm = map_page(pager, new)
            buf = maps.get(pm)
            if buf is None:
                buf = maps[pm] = bytearray(page_size)
            struct.pack_into(">BI", buf, 5 * (new - pm - 1), etype, parent)
        for pm in range(2, count + 1):
            if is_map_page(pager, pm) and pm not in maps:
                maps[pm] = bytearray(page_size)
    pager.grow_pages(count)
    for new in range(1, count + 1):
        if new == lock_page:
            continue
        pager.write(new, maps[new] if new in maps else images[new])
    pager.truncate_pages(count)
    pager.node_cache.clear()
    # An empty freelist; the auto_vacuum fields of the new mode; roots
    # recorded under their new numbers.
    page1 = bytearray(pager.get(1))
    _U32.pack_into(page1, 32, 0)
    _U32.pack_into(page1, 36, 0)
    _U32.pack_into(page1, 52, (max(new_roots) if new_roots else 1) if target else 0)
    _U32.pack_into(page1, 64, 1 if target == 2 else 0)
    pager.write(1, page1)
    pager.auto_vacuum = target
    schema = TableCursor(pager, 1)
    for rowid, root in roots:
        if mapping[root] != root:
            rec = list(decode_record(schema.lookup(rowid)))
            rec[3] = mapping[root]
            schema.insert(rowid, encode_record(rec))
    pager.schema_cookie = pager.schema_cookie + 1
    return pager.page_count
