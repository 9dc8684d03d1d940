"""Table b-trees and the tree algorithms shared with index b-trees
(fileformat2.html section 1.6; sections 2.3 and 2.6 for what the trees hold).

Insertion descends to a leaf, adds the cell and then settles the path from the
leaf up: a page that no longer fits is split into as few pages as hold its
cells (evenly, or -- when the new cell went to the right-most end of the
tree, as with sequential rowids -- filling the left page completely, like
SQLite's ``balance_quick``), and the new dividers go into the parent, which
may split in turn.  A root never moves: when it overflows its content is
pushed down into new children (SQLite's ``balance_deeper``), so the
sqlite_schema tree stays rooted at page 1.  After a delete a page that is
less than a third full is merged with (or rebalanced against) a sibling, and
a root left with no cells absorbs its only child when that fits; empty
non-root pages never remain.

Cursor guarantees: iterators read the tree as it is while they run; if the
tree is modified between two steps of an iterator, what it yields afterwards
is undefined (the executor materializes rowids before modifying a table it is
scanning).  Lookups and modifications are always safe to interleave.
"""

from __future__ import annotations

import struct
from bisect import bisect_left

from engine.errors import corrupt
from engine.storage.btree_page import (
    INTERIOR_INDEX,
    INTERIOR_TABLE,
    LEAF_INDEX,
    LEAF_TABLE,
    MAX_DEPTH,
    cache_node,
    Node,
    pad_cell,
    trim_index_cell,
    cell_payload,
    cell_size,
    empty_page,
    free_cell_overflow,
    load_node,
    local_payload_size,
    make_cell,
    overflow_chain,
    cell_overflow,
    read_overflow,
    write_node,
)
from engine.storage import autovacuum, ptrmap
from engine.storage.record import get_varint, put_varint

__all__ = ["TableCursor", "IndexCursor", "create_table", "create_index", "drop_tree",
           "clear_tree", "tree_pages"]

_U32 = struct.Struct(">I")
_U16 = struct.Struct(">H")


# ---------------------------------------------------------------------------
# Whole trees


def _new_root(pager, ptype: int) -> int:
    if pager.auto_vacuum:
        # Roots of auto_vacuum files stay at the front (engine.storage.autovacuum).
        pgno = autovacuum.allocate_root(pager)
    else:
        pgno = pager.allocate()
    pager.write(pgno, empty_page(pager.page_size, pager.usable_size, ptype))
    return pgno


def create_table(pager) -> int:
    """A new empty table b-tree; returns its root page number."""
    return _new_root(pager, LEAF_TABLE)


def create_index(pager) -> int:
    """A new empty index b-tree; returns its root page number."""
    return _new_root(pager, LEAF_INDEX)


def tree_pages(pager, root: int):
    """Yield ``(pgno, kind)`` for every page of a tree: kind is "btree" or
    "overflow".  Guards against cycles and runaway depth."""
    seen = set()
    stack = [(root, 0)]
    while stack:
        pgno, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise corrupt("b-tree too deep")
        if pgno < 1 or pgno > pager.page_count or pgno in seen:
            raise corrupt(f"bad child page {pgno}")
        seen.add(pgno)
        node = load_node(pager, pgno, cache=False)
        yield pgno, "btree"
        for cell in node.cells:
            first, count = cell_overflow(pager, cell, node.ptype)
            if count:
                for opg in overflow_chain(pager, first, count):
                    if opg in seen:
                        raise corrupt(f"overflow page {opg} used twice")
                    seen.add(opg)
                    yield opg, "overflow"
        if not node.leaf:
            for i in range(len(node.cells) + 1):
                stack.append((node.child(i), depth + 1))


def clear_tree(pager, root: int) -> None:
    """Remove every entry (DELETE without WHERE): all pages but the root are freed."""
    node = load_node(pager, root)
    is_table = node.intkey
    pages = [p for p in tree_pages(pager, root) if p[0] != root]
    for pgno, _ in pages:
        pager.free(pgno)
    pager.node_cache.pop(root, None)
    header = pager.get(1)[:100] if root == 1 else b""
    pager.write(root, empty_page(pager.page_size, pager.usable_size,
                                 LEAF_TABLE if is_table else LEAF_INDEX, header))


def drop_tree(pager, root: int) -> None:
    """Free every page of a tree, root and overflow pages included (page 1 is only cleared)."""
    if root == 1:
        clear_tree(pager, 1)
        return
    if pager.auto_vacuum:
        root = autovacuum.resolve_root(pager, root)
        for pgno, _ in list(tree_pages(pager, root)):
            if pgno != root:
                pager.free(pgno)
        autovacuum.drop_root(pager, root)
        return
    for pgno, _ in list(tree_pages(pager, root)):
        pager.free(pgno)


# ---------------------------------------------------------------------------
# Shared tree machinery


class _Tree:
    """Descent bookkeeping and the split/merge logic for one b-tree."""

    def __init__(self, pager, root: int):
        self.pager = pager
        self.root = root

    # --- loading -------------------------------------------------------

    def _empty_schema(self) -> bool:
        return self.root == 1 and self.pager.page_count == 0

    def _node(self, pgno: int, parent: Node | None = None) -> Node:
        pager = self.pager
        if pgno < 1 or pgno > pager.page_count:
            raise corrupt(f"child page {pgno} out of range")
        data = pager.get(pgno)
        node = pager.node_cache.get(pgno)
        if node is None or node.data is not data:
            node = load_node(pager, pgno)
        # Table pages have types 5 and 13, index pages 2 and 10.
        if parent is not None and (node.ptype ^ parent.ptype) & 7:
            raise corrupt(f"page {pgno}: mixed table and index pages in one tree")
        return node

    def _root_node(self, intkey: bool) -> Node:
        node = self._node(self.root)
        if node.intkey != intkey:
            raise corrupt(f"page {self.root} is not a {'table' if intkey else 'index'} root")
        return node

    # --- writing -------------------------------------------------------

    def _capacity(self, pgno: int, leaf: bool) -> int:
        return self.pager.usable_size - (100 if pgno == 1 else 0) - (8 if leaf else 12)

    def _fits(self, node: Node) -> bool:
        return node.used() <= self._capacity(node.pgno, node.leaf)

    def _underfull(self, node: Node) -> bool:
        return (node.used() + node.header_size()) * 3 < self.pager.usable_size

    def _divider_from_cell(self, node_ptype: int, cell: bytes) -> tuple[bytes, int | None]:
        """(body, right pointer) of a cell that moves up into the parent."""
        if node_ptype == LEAF_INDEX:
            return trim_index_cell(cell, self.pager.usable_size), None
        return cell[4:], _U32.unpack_from(cell, 0)[0]

    def _fast_leaf_insert(self, leaf: Node, i: int, cell: bytes, key) -> bool:
        """Insert a cell into the unallocated gap of an unmodified leaf page,
        without reserializing it; False if the gap is too small."""
        data = leaf.data
        if data is None:
            return False
        pgno = leaf.pgno
        hdr = 100 if pgno == 1 else 0
        n = len(leaf.cells)
        content = _U16.unpack_from(data, hdr + 5)[0] or 65536
        ptr_end = hdr + 8 + 2 * n
        size = len(cell)
        if content - ptr_end < size + 2 or content > self.pager.usable_size:
            return False
        buf = bytearray(data)
        start = content - size
        buf[start:content] = cell
        p = hdr + 8 + 2 * i
        buf[p + 2:ptr_end + 2] = buf[p:ptr_end]
        _U16.pack_into(buf, p, start)
        _U16.pack_into(buf, hdr + 3, n + 1)
        _U16.pack_into(buf, hdr + 5, start)
        stored = self.pager.write(pgno, buf)
        # Only now that the page is written does the cached node change, in
        # place (iterators over this tree are not guaranteed across writes).
        leaf.cells.insert(i, cell)
        leaf.keys.insert(i, key)
        leaf.data = stored
        cache_node(self.pager.node_cache, leaf)
        if self.pager.auto_vacuum:
            ptrmap.note_cell(self.pager, pgno, cell, leaf.ptype)
        return True

    def _split(self, ptype: int, cells: list, keys: list, right: int, cap: int, append: bool):
        """Distribute cells over the fewest pages of capacity ``cap``.

        Returns ``(groups, dividers)``: groups are ``(cells, keys, right)``,
        dividers ``(body, key)`` for the parent cells between them.
        """
        sizes = [cell_size(c) for c in cells]
        remove = ptype != LEAF_TABLE
        bounds = _partition(sizes, cap, remove, append)
        groups = []
        dividers = []
        last = len(bounds) - 1
        for gi, (s, e) in enumerate(bounds):
            g_right = right
            if gi < last:
                if remove:
                    body, g_right = self._divider_from_cell(ptype, cells[e])
                    dividers.append((body, keys[e]))
                else:
                    dividers.append((put_varint(keys[e - 1]), keys[e - 1]))
            groups.append((cells[s:e], keys[s:e], g_right if ptype < LEAF_INDEX else 0))
        return groups, dividers

    def _write_groups(self, ptype: int, groups, pgnos: list[int]) -> None:
        for (cells, keys, right), pgno in zip(groups, pgnos):
            write_node(self.pager, Node(pgno, ptype, cells, keys, right or 0))

    @staticmethod
    def _replace_children(parent: Node, a: int, b: int, pgnos: list[int], dividers) -> None:
        """Children a..b of ``parent`` become ``pgnos``, separated by ``dividers``."""
        pack = _U32.pack
        new_cells = [pack(pgnos[j]) + body for j, (body, _) in enumerate(dividers)]
        new_keys = [key for _, key in dividers]
        n = len(parent.cells)
        if b < n:
            old = parent.cells[b]
            new_cells.append(pack(pgnos[-1]) + old[4:])
            new_keys.append(parent.keys[b])
            parent.cells[a:b + 1] = new_cells
            parent.keys[a:b + 1] = new_keys
        else:
            parent.cells[a:b] = new_cells
            parent.keys[a:b] = new_keys
            parent.right = pgnos[-1]

    def _settle(self, stack: list, append: bool = False) -> None:
        """Write the modified nodes on a root-to-leaf path, splitting and
        merging as needed.  ``stack`` holds ``[node, child index, dirty]``."""
        pager = self.pager
        level = len(stack) - 1
        while level > 0:
            node, _, dirty = stack[level]
            level -= 1
            if not dirty:
                continue
            frame = stack[level]
            parent = frame[0]
            pos = frame[1]
            if not self._fits(node):
                if not frame[2]:
                    parent = parent.copy()
                    frame[0] = parent
                    frame[2] = True
                append = append and pos == len(parent.cells)
                groups, dividers = self._split(node.ptype, node.cells, node.keys, node.right,
                                               self._capacity(2, node.leaf), append)
                pgnos = [node.pgno] + [pager.allocate() for _ in groups[1:]]
                self._write_groups(node.ptype, groups, pgnos)
                self._replace_children(parent, pos, pos, pgnos, dividers)
            elif self._underfull(node) and parent.cells:
                if not frame[2]:
                    parent = parent.copy()
                    frame[0] = parent
                    frame[2] = True
                self._rebalance(parent, pos, node)
                append = False
            else:
                write_node(pager, node)
                append = False
        root, _, dirty = stack[0]
        if dirty:
            self._settle_root(root, append)

    def _rebalance(self, parent: Node, pos: int, node: Node) -> None:
        """Merge ``node`` (child ``pos`` of ``parent``) with a sibling, or share cells."""
        pager = self.pager
        a = pos - 1 if pos > 0 else pos
        if a == pos:
            left, right = node, self._node(parent.child(pos + 1), parent)
        else:
            left, right = self._node(parent.child(a), parent), node
        if left.ptype != right.ptype:
            raise corrupt("sibling pages of different types")
        ptype = node.ptype
        body = parent.cells[a][4:]
        key = parent.keys[a]
        if ptype == LEAF_TABLE:
            cells = left.cells + right.cells
            keys = left.keys + right.keys
        elif ptype == LEAF_INDEX:
            cells = left.cells + [pad_cell(body)] + right.cells
            keys = left.keys + [key] + right.keys
        else:
            cells = left.cells + [_U32.pack(left.right) + body] + right.cells
            keys = left.keys + [key] + right.keys
        groups, dividers = self._split(ptype, cells, keys, right.right,
                                       self._capacity(2, node.leaf), False)
        pgnos = [left.pgno, right.pgno]
        while len(pgnos) < len(groups):
            pgnos.append(pager.allocate())
        for extra in pgnos[len(groups):]:
            pager.free(extra)
        del pgnos[len(groups):]
        self._write_groups(ptype, groups, pgnos)
        self._replace_children(parent, a, a + 1, pgnos, dividers)

    def _settle_root(self, root: Node, append: bool) -> None:
        pager = self.pager
        while not self._fits(root):
            groups, dividers = self._split(root.ptype, root.cells, root.keys, root.right,
                                           self._capacity(2, root.leaf), append)
            pgnos = [pager.allocate() for _ in groups]
            self._write_groups(root.ptype, groups, pgnos)
            ptype = INTERIOR_TABLE if root.intkey else INTERIOR_INDEX
            root = Node(root.pgno, ptype, [], [], 0)
            self._replace_children(root, 0, 0, pgnos, dividers)
        if not root.leaf and not root.cells:
            child = self._node(root.right, root)
            if child.used() <= self._capacity(root.pgno, child.leaf):
                root = Node(root.pgno, child.ptype, list(child.cells), list(child.keys),
                            child.right)
                pager.free(child.pgno)
        write_node(pager, root)


def _partition(sizes: list[int], cap: int, remove: bool, append: bool) -> list[tuple[int, int]]:
    """Group boundaries ``(start, end)``; with ``remove`` the item at each
    non-final ``end`` is a divider that belongs to no group."""
    n = len(sizes)
    total = sum(sizes)
    if total <= cap:
        return [(0, n)]
    if not append:
        best = None
        acc = 0
        for s in range(1, n):
            acc += sizes[s - 1]
            if acc > cap:
                break
            if remove:
                if s > n - 2:
                    break
                rest = total - acc - sizes[s]
            else:
                rest = total - acc
            if rest <= cap:
                score = abs(acc - rest)
                if best is None or score < best[0]:
                    best = (score, s)
        if best is not None:
            s = best[1]
            return [(0, s), (s + 1 if remove else s, n)]
    groups = []
    start = 0
    acc = 0
    i = 0
    while i < n:
        if acc + sizes[i] > cap and i > start:
            groups.append((start, i))
            if remove:
                i += 1
            start = i
            acc = 0
            continue
        acc += sizes[i]
        i += 1
    groups.append((start, n))
    if groups[-1][0] >= groups[-1][1]:
        # The last item became a divider: shift one item to the right.
        ps, pe = groups[-2]
        if pe - 1 <= ps:
            raise corrupt("cannot split page")
        groups[-2] = (ps, pe - 1)
        groups[-1] = (pe, n)
    return groups


# ---------------------------------------------------------------------------
# Table b-trees


class TableCursor(_Tree):
    """Rows of a table b-tree: ``(rowid, record payload)`` in rowid order."""

    # --- reading -------------------------------------------------------

    def _leaf_rows(self, pgno: int, data: bytes):
        """(rowid, payload) of every cell of a table leaf, read straight off the page."""
        hdr = 100 if pgno == 1 else 0
        usable = self.pager.usable_size
        n = _U16.unpack_from(data, hdr + 3)[0]
        first = hdr + 8
        ptr_end = first + 2 * n
        if ptr_end > usable:
            raise corrupt(f"page {pgno}: too many cells")
        max_local = usable - 35
        last = usable - 4
        for off in struct.unpack_from(f">{n}H", data, first):
            if off < ptr_end or off > last:
                raise corrupt(f"page {pgno}: cell offset out of range")
            size = data[off]
            if size < 0x80:
                p = off + 1
            else:
                size, p = get_varint(data, off)
            rowid = data[p]
            if rowid < 0x80:
                p += 1
            else:
                rowid, p = get_varint(data, p)
            if size <= max_local:
                end = p + size
                if end > usable:
                    raise corrupt(f"page {pgno}: cell extends off end of page")
                yield rowid, data[p:end]
            else:
                local = local_payload_size(size, usable, True)
                if size < 0 or p + local + 4 > usable:
                    raise corrupt(f"page {pgno}: cell extends off end of page")
                ovfl = _U32.unpack_from(data, p + local)[0]
                yield rowid, data[p:p + local] + read_overflow(self.pager, ovfl, size - local)

    def _walk(self, start: int | None, reverse: bool = False):
        """Leaves ``(pgno, page)`` in order (or reverse), from the one that may
        hold ``start``.  A page met twice means a damaged tree."""
        if self._empty_schema():
            return
        pager = self.pager
        seen = set()
        stack = []
        step = -1 if reverse else 1
        pgno = self.root
        seeking = start is not None
        while True:
            while True:
                if pgno < 1 or pgno > pager.page_count or pgno in seen:
                    raise corrupt(f"bad or repeated child page {pgno}")
                seen.add(pgno)
                data = pager.get(pgno)
                ptype = data[100 if pgno == 1 else 0]
                if ptype == LEAF_TABLE:
                    yield pgno, data
                    break
                if ptype != INTERIOR_TABLE:
                    raise corrupt(f"page {pgno}: not a table b-tree page")
                node = load_node(pager, pgno)
                if seeking:
                    i = bisect_left(node.keys, start)
                else:
                    i = len(node.cells) if reverse else 0
                stack.append((node, i))
                if len(stack) > MAX_DEPTH:
                    raise corrupt("b-tree too deep")
                pgno = node.child(i)
            seeking = False
            while stack:
                node, i = stack.pop()
                i += step
                if 0 <= i <= len(node.cells):
                    stack.append((node, i))
                    pgno = node.child(i)
                    break
            else:
                return

    def scan(self):
        """Every ``(rowid, payload)`` in rowid order."""
        for pgno, data in self._walk(None):
            yield from self._leaf_rows(pgno, data)

    def scan_from(self, rowid: int):
        """Rows with rowid >= ``rowid``, in order."""
        first = True
        for pgno, data in self._walk(rowid):
            if first:
                first = False
                for row in self._leaf_rows(pgno, data):
                    if row[0] >= rowid:
                        yield row
            else:
                yield from self._leaf_rows(pgno, data)

    def scan_reverse(self):
        """Every row, largest rowid first."""
        for pgno, data in self._walk(None, reverse=True):
            yield from reversed(list(self._leaf_rows(pgno, data)))

    def _descend(self, rowid: int):
        """Root-to-leaf stack of ``[node, child index, dirty]`` for ``rowid``."""
        node = self._root_node(True)
        stack = []
        while node.ptype == INTERIOR_TABLE:
            i = bisect_left(node.keys, rowid)
            stack.append([node, i, False])
            if len(stack) > MAX_DEPTH:
                raise corrupt("b-tree too deep")
            node = self._node(node.child(i), node)
        if node.ptype != LEAF_TABLE:
            raise corrupt(f"page {node.pgno}: not a table b-tree page")
        stack.append([node, bisect_left(node.keys, rowid), False])
        return stack

    def lookup(self, rowid: int) -> bytes | None:
        if self._empty_schema():
            return None
        if type(rowid) is not int:
            # Rowids come from index entries here; a damaged entry may end
            # in anything (sqlite3 reports corruption too).
            raise corrupt("index entry without an integer rowid")
        leaf, i, _ = self._descend(rowid)[-1]
        if i < len(leaf.keys) and leaf.keys[i] == rowid:
            return cell_payload(self.pager, leaf.cells[i], LEAF_TABLE)
        return None

    def __contains__(self, rowid: int) -> bool:
        if self._empty_schema():
            return False
        leaf, i, _ = self._descend(rowid)[-1]
        return i < len(leaf.keys) and leaf.keys[i] == rowid

    def max_rowid(self) -> int | None:
        if self._empty_schema():
            return None
        leaf = self._descend(1 << 63)[-1][0]
        return leaf.keys[-1] if leaf.keys else None

    def min_rowid(self) -> int | None:
        for rowid, _ in self.scan():
            return rowid
        return None

    def count(self) -> int:
        total = 0
        for pgno, data in self._walk(None):
            total += _U16.unpack_from(data, (100 if pgno == 1 else 0) + 3)[0]
        return total

    # --- writing -------------------------------------------------------

    def insert(self, rowid: int, payload: bytes) -> None:
        """Add a row, replacing any row with the same rowid."""
        stack = self._descend(rowid)
        leaf, i, _ = stack[-1]
        cell = make_cell(self.pager, bytes(payload), rowid)
        if (i >= len(leaf.keys) or leaf.keys[i] != rowid) and \
                self._fast_leaf_insert(leaf, i, cell, rowid):
            return
        node = leaf.copy()
        append = False
        if i < len(node.keys) and node.keys[i] == rowid:
            free_cell_overflow(self.pager, node.cells[i], LEAF_TABLE)
            node.cells[i] = cell
        else:
            append = i == len(node.keys) and all(f[1] == len(f[0].cells) for f in stack[:-1])
            node.cells.insert(i, cell)
            node.keys.insert(i, rowid)
        stack[-1] = [node, i, True]
        self._settle(stack, append)

    def delete(self, rowid: int) -> bool:
        if self._empty_schema():
            return False
        stack = self._descend(rowid)
        leaf, i, _ = stack[-1]
        if i >= len(leaf.keys) or leaf.keys[i] != rowid:
            return False
        node = leaf.copy()
        free_cell_overflow(self.pager, node.cells[i], LEAF_TABLE)
        del node.cells[i]
        del node.keys[i]
        stack[-1] = [node, i, True]
        self._settle(stack)
        return True

    def clear(self) -> None:
        clear_tree(self.pager, self.root)


def __getattr__(name):
    # Index b-trees live in btree_index (which builds on this module); they
    # are re-exported here lazily so callers can use ``btree.IndexCursor``.
    if name in ("IndexCursor", "default_compare", "compare_values"):
        from engine.storage import btree_index
        return getattr(btree_index, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
