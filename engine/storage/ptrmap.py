"""Pointer-map pages of auto_vacuum databases (fileformat2.html section
1.8, "Pointer Map or Ptrmap Pages").

In a database whose header has a non-zero largest-root-page field (offset
52) every page after page 1 has a 5-byte entry -- a type and a parent page
number -- in the pointer-map page that covers it:

* ``ROOTPAGE`` (1, parent 0): the root of a table or index b-tree;
* ``FREEPAGE`` (2, parent 0): on the freelist;
* ``OVERFLOW1`` (3): first page of an overflow chain, parent = the b-tree
  page holding the cell;
* ``OVERFLOW2`` (4): later page of an overflow chain, parent = the previous
  overflow page;
* ``BTREE`` (5): a non-root b-tree page, parent = its parent page.

The first pointer-map page is page 2; with J = usable_size // 5 entries per
page, a pointer-map page covers the J pages that follow it and the next one
comes right after them (pages 2, J+3, 2J+4, ...).  The lock-byte page is
never a pointer-map page: a map that would land there moves one page on.

The entries are what lets auto_vacuum move a page: they name the one page
holding a pointer to it.  This module reads and writes entries, and derives
the entries a b-tree page implies for its children and overflow chains
(:func:`note_node`, called by the b-tree layer each time it writes a page of
an auto_vacuum database).
"""

from __future__ import annotations

import struct

from engine.errors import corrupt
from engine.storage.record import get_varint

__all__ = [
    "ROOTPAGE", "FREEPAGE", "OVERFLOW1", "OVERFLOW2", "BTREE",
    "map_page", "is_map_page", "map_pages", "is_special", "get_entry", "put_entry", "put_entries",
    "note_node", "note_cell", "page_links", "overflow_ptr_offset",
]

ROOTPAGE = 1
FREEPAGE = 2
OVERFLOW1 = 3
OVERFLOW2 = 4
BTREE = 5

_U32 = struct.Struct(">I")
_U16 = struct.Struct(">H")
_ENTRY = struct.Struct(">BI")

_INTERIOR_INDEX = 2
_INTERIOR_TABLE = 5
_LEAF_INDEX = 10
_LEAF_TABLE = 13


def map_page(pager, pgno: int) -> int:
    """The pointer-map page that holds the entry of ``pgno`` (``pgno`` >= 2)."""
    per = pager.usable_size // 5 + 1
    first = (pgno - 2) // per * per + 2
    if first == pager.lock_byte_page:
        first += 1
    return first


def is_map_page(pager, pgno: int) -> bool:
    return pgno >= 2 and map_page(pager, pgno) == pgno


def map_pages(pager, upto: int) -> set[int]:
    """Every pointer-map page among pages 1..``upto``."""
    per = pager.usable_size // 5 + 1
    lock = pager.lock_byte_page
    out = set()
    first = 2
    while first <= upto:
        pm = first + 1 if first == lock else first
        if pm <= upto:
            out.add(pm)
        first += per
    return out


def is_special(pager, pgno: int) -> bool:
    """A page that can hold no content in an auto_vacuum database: a
    pointer-map page or the lock-byte page."""
    return pgno == pager.lock_byte_page or is_map_page(pager, pgno)


def _slot(pager, pgno: int) -> tuple[int, int]:
    if pgno < 2:
        raise corrupt(f"no pointer-map entry for page {pgno}")
    pm = map_page(pager, pgno)
    off = 5 * (pgno - pm - 1)
    if off < 0:
        raise corrupt(f"page {pgno} is a pointer-map page")
    return pm, off


def get_entry(pager, pgno: int) -> tuple[int, int]:
    """(type, parent) of page ``pgno``; a type outside 1..5 is corruption."""
    pm, off = _slot(pager, pgno)
    if pm > pager.page_count:
        raise corrupt(f"pointer-map page {pm} is past the end of the file")
    etype, parent = _ENTRY.unpack_from(pager.get(pm), off)
    if etype < ROOTPAGE or etype > BTREE:
        raise corrupt(f"bad pointer-map entry for page {pgno}")
    return etype, parent


def put_entry(pager, pgno: int, etype: int, parent: int) -> None:
    put_entries(pager, ((pgno, etype, parent),))


def put_entries(pager, entries) -> None:
    """Set ``(pgno, type, parent)`` entries, writing each changed map page once."""
    changed: dict[int, bytearray] = {}
    originals: dict[int, bytes] = {}
    for pgno, etype, parent in entries:
        pm, off = _slot(pager, pgno)
        buf = changed.get(pm)
        if buf is None:
            data = originals.get(pm)
            if data is None:
                if pm > pager.page_count:
                    raise corrupt(f"pointer-map page {pm} is past the end of the file")
                data = originals[pm] = pager.get(pm)
            if data[off] == etype and _U32.unpack_from(data, off + 1)[0] == parent:
                continue
            buf = changed[pm] = bytearray(data)
        _ENTRY.pack_into(buf, off, etype, parent)
    for pm, buf in changed.items():
        pager.write(pm, buf)


# ---------------------------------------------------------------------------
# What a b-tree page points to


def _max_local(ptype: int, usable: int) -> int:
    return usable - 35 if ptype == _LEAF_TABLE else (usable - 12) * 64 // 255 - 23


def _local(size: int, usable: int, max_local: int) -> int:
    if size <= max_local:
        return size
    min_local = (usable - 12) * 32 // 255 - 23
    k = min_local + (size - min_local) % (usable - 4)
    return k if k <= max_local else min_local


def overflow_ptr_offset(cell, start: int, ptype: int, usable: int) -> int | None:
    """Where the overflow page number of the cell at ``start`` of ``cell``
    (a page or a cell's bytes) is, or None when the payload is all local."""
    if ptype == _INTERIOR_TABLE:
        return None
    p = start + 4 if ptype == _INTERIOR_INDEX else start
    b = cell[p]
    if b < 0x80:
        size = b
        p += 1
    else:
        size, p = get_varint(cell, p)
    max_local = _max_local(ptype, usable)
    if size <= max_local:
        return None
    if ptype == _LEAF_TABLE:
        _, p = get_varint(cell, p)
    return p + _local(size, usable, max_local)


def note_cell(pager, pgno: int, cell: bytes, ptype: int) -> None:
    """A cell was put on page ``pgno``: its overflow chain now hangs there."""
    off = overflow_ptr_offset(cell, 0, ptype, pager.usable_size)
    if off is not None:
        put_entry(pager, _U32.unpack_from(cell, off)[0], OVERFLOW1, pgno)


def note_node(pager, node) -> None:
    """Entries for everything a freshly written b-tree node points to."""
    pgno = node.pgno
    ptype = node.ptype
    usable = pager.usable_size
    entries = []
    add = entries.append
    unpack = _U32.unpack_from
    if ptype != _INTERIOR_TABLE:
        max_local = _max_local(ptype, usable)
        skip = 4 if ptype == _INTERIOR_INDEX else 0
        for cell in node.cells:
            b = cell[skip]
            if b < 0x80 and b <= max_local:
                continue
            off = overflow_ptr_offset(cell, 0, ptype, usable)
            if off is not None:
                add((unpack(cell, off)[0], OVERFLOW1, pgno))
    if ptype < _LEAF_INDEX:
        for cell in node.cells:
            add((unpack(cell, 0)[0], BTREE, pgno))
        add((node.right, BTREE, pgno))
    if entries:
        put_entries(pager, entries)


def page_links(data: bytes, pgno: int, usable: int) -> tuple[list[int], list[int], list[int]]:
    """For a b-tree page image: (offsets of child pointers, offsets of
    overflow pointers, child page numbers).  Offsets index into ``data``."""
    hdr = 100 if pgno == 1 else 0
    ptype = data[hdr]
    if ptype not in (_INTERIOR_INDEX, _INTERIOR_TABLE, _LEAF_INDEX, _LEAF_TABLE):
        raise corrupt(f"page {pgno}: invalid b-tree page type {ptype}")
    leaf = ptype >= _LEAF_INDEX
    n = _U16.unpack_from(data, hdr + 3)[0]
    first = hdr + (8 if leaf else 12)
    if first + 2 * n > usable:
        raise corrupt(f"page {pgno}: too many cells")
    child_offs = []
    ovfl_offs = []
    for i in range(n):
        off = _U16.unpack_from(data, first + 2 * i)[0]
        if off < first + 2 * n or off > usable - 4:
            raise corrupt(f"page {pgno}: cell offset out of range")
        if not leaf:
            child_offs.append(off)
        o = overflow_ptr_offset(data, off, ptype, usable)
        if o is not None:
            if o + 4 > usable:
                raise corrupt(f"page {pgno}: cell extends off end of page")
            ovfl_offs.append(o)
    if not leaf:
        child_offs.append(hdr + 8)
    return child_offs, ovfl_offs, [_U32.unpack_from(data, o)[0] for o in child_offs]
