"""B-tree pages and cells (fileformat2.html sections 1.6 and 1.7).

A page is parsed into a :class:`Node`: its type, its cells as raw byte strings
(exactly as stored, including an interior cell's 4-byte left-child pointer),
the cells' keys (rowids for table pages; index keys decoded lazily), and the
right-most child pointer of an interior page.  Writing a node serializes it as
a defragmented page: header, cell pointer array, unallocated space, then the
cells packed against the end of the usable area (no freeblocks, no fragments).
Pages written by SQLite with freeblocks and fragments parse the same way, since
only the cell pointer array says where cells are.

Also here: the local-payload formula of section 1.6 (table-leaf and index
variants), building cells with overflow chains, reading and freeing overflow
chains (section 1.7).  Every offset and page number read from a page is
checked; damage raises ``engine.errors.corrupt``.
"""

from __future__ import annotations

import struct
from itertools import accumulate

from engine.errors import corrupt
from engine.storage import ptrmap
from engine.storage.record import decode_record, get_varint, put_varint

__all__ = [
    "INTERIOR_INDEX", "INTERIOR_TABLE", "LEAF_INDEX", "LEAF_TABLE", "Node",
    "parse_node", "write_node", "load_node", "local_payload_size", "make_cell",
    "cell_payload", "free_cell_overflow", "read_overflow", "overflow_pages",
    "empty_page", "MAX_DEPTH",
]

INTERIOR_INDEX = 2
INTERIOR_TABLE = 5
LEAF_INDEX = 10
LEAF_TABLE = 13
_PAGE_TYPES = (INTERIOR_INDEX, INTERIOR_TABLE, LEAF_INDEX, LEAF_TABLE)

MAX_DEPTH = 20          # SQLite's BTCURSOR_MAX_DEPTH: deeper trees are corrupt
NODE_CACHE_LIMIT = 1024

_U32 = struct.Struct(">I")
_U16 = struct.Struct(">H")
_HDR8 = struct.Struct(">BHHHB")
_PTR_STRUCTS: dict[int, struct.Struct] = {}


def _ptr_struct(n: int) -> struct.Struct:
    s = _PTR_STRUCTS.get(n)
    if s is None:
        s = _PTR_STRUCTS[n] = struct.Struct(f">{n}H")
    return s


def local_payload_size(payload_size: int, usable: int, table_leaf: bool) -> int:
    """Bytes of a payload kept on the b-tree page (the X/M/K rule of section 1.6)."""
    max_local = usable - 35 if table_leaf else (usable - 12) * 64 // 255 - 23
    if payload_size <= max_local:
        return payload_size
    min_local = (usable - 12) * 32 // 255 - 23
    k = min_local + (payload_size - min_local) % (usable - 4)
    return k if k <= max_local else min_local


def overflow_pages(payload_size: int, local: int, usable: int) -> int:
    return -(-(payload_size - local) // (usable - 4))


class Node:
    """A parsed b-tree page.  Treat nodes from the cache as immutable:
    ``copy()`` before changing one."""

    __slots__ = ("pgno", "ptype", "cells", "keys", "right", "data")

    def __init__(self, pgno, ptype, cells, keys, right=0, data=None):
        self.pgno = pgno
        self.ptype = ptype
        self.cells = cells      # raw cells
        self.keys = keys        # rowids (table) or decoded tuples / None (index)
        self.right = right      # right-most child (interior pages)
        self.data = data        # the page image this node was parsed from

    @property
    def leaf(self) -> bool:
        return self.ptype >= LEAF_INDEX

    @property
    def intkey(self) -> bool:
        return self.ptype in (LEAF_TABLE, INTERIOR_TABLE)

    def copy(self) -> "Node":
        return Node(self.pgno, self.ptype, list(self.cells), list(self.keys), self.right, None)

    def child(self, i: int) -> int:
        if i < len(self.cells):
            return _U32.unpack_from(self.cells[i], 0)[0]
        return self.right

    def used(self) -> int:
        """Bytes the cells and their pointers take on the page (cells in
        memory are always at least 4 bytes long, the minimum SQLite allocates)."""
        cells = self.cells
        return sum(map(len, cells)) + 2 * len(cells)

    def header_size(self) -> int:
        return 8 if self.ptype >= LEAF_INDEX else 12


def cell_size(cell: bytes) -> int:
    n = len(cell)
    return (n if n >= 4 else 4) + 2


def pad_cell(cell: bytes) -> bytes:
    """Cells shorter than 4 bytes occupy 4 (SQLite's minimum allocation)."""
    return cell if len(cell) >= 4 else cell + bytes(4 - len(cell))


def trim_index_cell(cell: bytes, usable: int) -> bytes:
    """An index leaf cell without any padding bytes (before it moves into an
    interior page, where padding would be counted as unaccounted space)."""
    if len(cell) > 4:
        return cell
    size, p = get_varint(cell, 0)
    local = local_payload_size(size, usable, False)
    return cell[:p + local + (4 if local < size else 0)]


def empty_page(page_size: int, usable: int, ptype: int, header: bytes = b"") -> bytes:
    page = bytearray(page_size)
    off = len(header)
    page[:off] = header
    page[off] = ptype
    _U16.pack_into(page, off + 5, usable & 0xFFFF)
    return bytes(page)


def parse_node(pgno: int, data: bytes, usable: int) -> Node:
    hdr = 100 if pgno == 1 else 0
    ptype = data[hdr]
    if ptype not in _PAGE_TYPES:
        raise corrupt(f"page {pgno}: invalid b-tree page type {ptype}")
    leaf = ptype >= LEAF_INDEX
    n = _U16.unpack_from(data, hdr + 3)[0]
    first = hdr + (8 if leaf else 12)
    ptr_end = first + 2 * n
    if ptr_end > usable:
        raise corrupt(f"page {pgno}: too many cells ({n})")
    right = 0 if leaf else _U32.unpack_from(data, hdr + 8)[0]
    offsets = _ptr_struct(n).unpack_from(data, first) if n else ()
    cells = []
    keys = []
    append_cell = cells.append
    append_key = keys.append
    last = usable - 4
    if ptype == LEAF_TABLE:
        max_local = usable - 35
        for off in offsets:
            if off < ptr_end or off > last:
                raise corrupt(f"page {pgno}: cell offset {off} out of range")
            size, p = get_varint(data, off)
            rowid, p = get_varint(data, p)
            if size < 0:
                raise corrupt(f"page {pgno}: negative payload size")
            if size <= max_local:
                end = p + size
            else:
                end = p + local_payload_size(size, usable, True) + 4
            if end > usable:
                raise corrupt(f"page {pgno}: cell extends off end of page")
            append_cell(data[off:end if end - off >= 4 else off + 4])
            append_key(rowid)
    elif ptype == INTERIOR_TABLE:
        for off in offsets:
            if off < ptr_end or off > last:
                raise corrupt(f"page {pgno}: cell offset {off} out of range")
            rowid, end = get_varint(data, off + 4)
            if end > usable:
                raise corrupt(f"page {pgno}: cell extends off end of page")
            append_cell(data[off:end])
            append_key(rowid)
    else:
        skip = 0 if leaf else 4
        max_local = (usable - 12) * 64 // 255 - 23
        for off in offsets:
            if off < ptr_end or off > last:
                raise corrupt(f"page {pgno}: cell offset {off} out of range")
            size, p = get_varint(data, off + skip)
            if size <= 0:
                raise corrupt(f"page {pgno}: bad index payload size")
            if size <= max_local:
                end = p + size
            else:
                end = p + local_payload_size(size, usable, False) + 4
            if end > usable:
                raise corrupt(f"page {pgno}: cell extends off end of page")
            append_cell(data[off:end if end - off >= 4 else off + 4])
            append_key(None)
    return Node(pgno, ptype, cells, keys, right, data)


def serialize_node(node: Node, page_size: int, usable: int, page1_header: bytes | None,
                   old: bytes | None = None) -> bytearray:
    hdr = 100 if node.pgno == 1 else 0
    buf = bytearray(page_size)
    if hdr:
        buf[:100] = page1_header
    if usable < page_size and old is not None:
        buf[usable:] = old[usable:]         # keep the reserved region as it was
    leaf = node.ptype >= LEAF_INDEX
    first = hdr + (8 if leaf else 12)
    cells = node.cells
    n = len(cells)
    if n:
        ends = list(accumulate(map(len, cells)))
        pos = usable - ends[-1]
        if pos < first + 2 * n:
            raise AssertionError("b-tree node does not fit its page")
        buf[pos:usable] = b"".join(reversed(cells))
        _ptr_struct(n).pack_into(buf, first, *[usable - e for e in ends])
    else:
        pos = usable
    _HDR8.pack_into(buf, hdr, node.ptype, 0, n, pos & 0xFFFF, 0)
    if not leaf:
        _U32.pack_into(buf, hdr + 8, node.right)
    return buf


def write_node(pager, node: Node) -> Node:
    """Serialize ``node`` into its page and cache it; returns the node."""
    old = pager.get(node.pgno) if (node.pgno == 1 or pager.usable_size < pager.page_size) else None
    header = old[:100] if node.pgno == 1 else None
    buf = serialize_node(node, pager.page_size, pager.usable_size, header, old)
    node.data = pager.write(node.pgno, buf)
    cache_node(pager.node_cache, node)
    if pager.auto_vacuum:
        ptrmap.note_node(pager, node)
    return node


def cache_node(cache: dict, node: Node) -> None:
    """Remember a parsed node; the oldest entry goes when the cache is full."""
    if len(cache) >= NODE_CACHE_LIMIT and node.pgno not in cache:
        del cache[next(iter(cache))]
    cache[node.pgno] = node


def load_node(pager, pgno: int, cache: bool = True) -> Node:
    data = pager.get(pgno)
    node = pager.node_cache.get(pgno)
    if node is not None and node.data is data:
        return node
    node = parse_node(pgno, data, pager.usable_size)
    if cache:
        cache_node(pager.node_cache, node)
    return node


# ---------------------------------------------------------------------------
# Cells and overflow chains


def _check_overflow_pgno(pager, pgno: int, seen: set) -> None:
    if pgno < 2 or pgno > pager.page_count or pgno in seen:
        raise corrupt(f"bad overflow page number {pgno}")
    seen.add(pgno)


def read_overflow(pager, first: int, nbytes: int) -> bytes:
    """``nbytes`` of payload from the overflow chain starting at ``first``."""
    parts = []
    chunk = pager.usable_size - 4
    seen: set = set()
    pgno = first
    while nbytes > 0:
        _check_overflow_pgno(pager, pgno, seen)
        data = pager.get(pgno)
        take = chunk if nbytes > chunk else nbytes
        parts.append(data[4:4 + take])
        nbytes -= take
        pgno = _U32.unpack_from(data, 0)[0]
    return b"".join(parts)


def overflow_chain(pager, first: int, count: int) -> list[int]:
    """The page numbers of an overflow chain of ``count`` pages."""
    out = []
    seen: set = set()
    pgno = first
    for _ in range(count):
        _check_overflow_pgno(pager, pgno, seen)
        out.append(pgno)
        pgno = _U32.unpack_from(pager.get(pgno), 0)[0]
    return out


def _cell_layout(cell: bytes, ptype: int, usable: int):
    """(payload size, offset of local payload, local size) of a cell with payload."""
    if ptype == LEAF_TABLE:
        size, p = get_varint(cell, 0)
        _, p = get_varint(cell, p)
        return size, p, local_payload_size(size, usable, True)
    size, p = get_varint(cell, 0 if ptype == LEAF_INDEX else 4)
    return size, p, local_payload_size(size, usable, False)


def cell_payload(pager, cell: bytes, ptype: int) -> bytes:
    size, p, local = _cell_layout(cell, ptype, pager.usable_size)
    if local == size:
        return cell[p:p + size]
    first = _U32.unpack_from(cell, p + local)[0]
    return cell[p:p + local] + read_overflow(pager, first, size - local)


def cell_overflow(pager, cell: bytes, ptype: int) -> tuple[int, int]:
    """(first overflow page, number of overflow pages); (0, 0) when none."""
    if ptype == INTERIOR_TABLE:
        return 0, 0
    usable = pager.usable_size
    size, p, local = _cell_layout(cell, ptype, usable)
    if local == size:
        return 0, 0
    return _U32.unpack_from(cell, p + local)[0], overflow_pages(size, local, usable)


def free_cell_overflow(pager, cell: bytes, ptype: int) -> None:
    first, count = cell_overflow(pager, cell, ptype)
    if count:
        for pgno in overflow_chain(pager, first, count):
            pager.free(pgno)


def make_cell(pager, payload: bytes, rowid: int | None) -> bytes:
    """A leaf cell for ``payload`` (table leaf when ``rowid`` is given, else
    index), spilling to newly allocated overflow pages when needed."""
    usable = pager.usable_size
    size = len(payload)
    table = rowid is not None
    head = put_varint(size) + put_varint(rowid) if table else put_varint(size)
    local = local_payload_size(size, usable, table)
    if local == size:
        cell = head + payload
        return cell if len(cell) >= 4 else cell + bytes(4 - len(cell))
    chunk = usable - 4
    rest = memoryview(payload)[local:]
    count = -(-len(rest) // chunk)
    pgnos = [pager.allocate() for _ in range(count)]
    page_size = pager.page_size
    for i, pgno in enumerate(pgnos):
        page = bytearray(page_size)
        nxt = pgnos[i + 1] if i + 1 < count else 0
        _U32.pack_into(page, 0, nxt)
        piece = rest[i * chunk:(i + 1) * chunk]
        page[4:4 + len(piece)] = piece
        pager.write(pgno, page)
    if pager.auto_vacuum and count > 1:
        ptrmap.put_entries(pager, [(pgnos[i], ptrmap.OVERFLOW2, pgnos[i - 1])
                                   for i in range(1, count)])
    return head + payload[:local] + _U32.pack(pgnos[0])


def index_key(pager, node: Node, i: int) -> tuple:
    """The decoded key of cell ``i`` of an index node (cached on the node)."""
    key = node.keys[i]
    if key is None:
        key = decode_record(cell_payload(pager, node.cells[i], node.ptype))
        if not key:
            # Every index record ends with at least one key column (the rowid
            # or the primary key); an empty one can only come from damage.
            raise corrupt(f"empty index record on page {node.pgno}")
        node.keys[i] = key
    return key
