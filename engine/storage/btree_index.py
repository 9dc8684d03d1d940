"""Index b-trees (fileformat2.html sections 1.6, 2.2 and 2.5).

Index b-tree entries are records with no data; unlike table b-trees, interior
pages hold real entries (each exactly once in the tree), so an in-order walk
yields the keys of interior cells between their children, and deleting a key
that lives in an interior cell replaces it with its predecessor from the
left subtree's right-most leaf (as SQLite does).

Keys are tuples of Python values; the layer above builds ``(columns...,
rowid)``.  Order comes from ``compare(a, b) -> int``, which the caller may
supply (collations, DESC columns); :func:`default_compare` is SQLite's BINARY
order of section 2.2: NULL < numbers (int and float compared numerically) <
text (by UTF-8 bytes, which code-point order matches) < blobs (memcmp), a
shorter key first when one is a prefix of the other.

Iterator guarantees are those of :mod:`engine.storage.btree`.
"""

from __future__ import annotations

import struct

from engine.errors import corrupt
from engine.storage.btree import _Tree, clear_tree
from engine.storage.btree_page import (
    INTERIOR_INDEX,
    LEAF_INDEX,
    MAX_DEPTH,
    free_cell_overflow,
    index_key,
    make_cell,
    trim_index_cell,
)
from engine.storage.record import encode_record

__all__ = ["IndexCursor", "default_compare", "compare_values"]

_U32 = struct.Struct(">I")


def _rank(v) -> int:
    if v is None:
        return 0
    t = type(v)
    if t is int or t is float or t is bool:
        return 1
    if t is str:
        return 2
    return 3


def compare_values(x, y) -> int:
    """SQLite's BINARY ordering of two single values."""
    rx, ry = _rank(x), _rank(y)
    if rx != ry:
        return -1 if rx < ry else 1
    if rx == 0:
        return 0
    if rx == 3:
        x, y = bytes(x), bytes(y)
    return -1 if x < y else (1 if x > y else 0)


def default_compare(a: tuple, b: tuple) -> int:
    try:
        if a == b:
            return 0
        return -1 if a < b else 1
    except TypeError:
        pass
    for x, y in zip(a, b):
        c = compare_values(x, y)
        if c:
            return c
    return (len(a) > len(b)) - (len(a) < len(b))


class IndexCursor(_Tree):
    """Keys (tuples) of an index b-tree in ``compare`` order."""

    def __init__(self, pager, root: int, compare=None):
        super().__init__(pager, root)
        self.compare = compare or default_compare

    # --- searching -----------------------------------------------------

    def _find(self, node, key) -> tuple[int, bool]:
        """Position of ``key`` in ``node``: (index, exact match)."""
        pager = self.pager
        if self.compare is default_compare:
            # Python's own tuple order is SQLite's whenever it is defined
            # (it raises TypeError across storage classes or on NULLs).
            keys = node.keys
            lo, hi = 0, len(keys)
            try:
                while lo < hi:
                    mid = (lo + hi) >> 1
                    k = keys[mid]
                    if k is None:
                        k = index_key(pager, node, mid)
                    if k == key:
                        return mid, True
                    if k < key:
                        lo = mid + 1
                    else:
                        hi = mid
                return lo, False
            except TypeError:
                pass
        cmp = self.compare
        lo, hi = 0, len(node.cells)
        while lo < hi:
            mid = (lo + hi) >> 1
            c = cmp(index_key(pager, node, mid), key)
            if c < 0:
                lo = mid + 1
            elif c > 0:
                hi = mid
            else:
                return mid, True
        return lo, False

    def _lower_bound(self, node, probe) -> int:
        """First index whose key k has probe(k) >= 0."""
        pager = self.pager
        lo, hi = 0, len(node.cells)
        while lo < hi:
            mid = (lo + hi) >> 1
            if probe(index_key(pager, node, mid)) < 0:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _upper_bound(self, node, probe) -> int:
        """First index whose key k has probe(k) > 0."""
        pager = self.pager
        lo, hi = 0, len(node.cells)
        while lo < hi:
            mid = (lo + hi) >> 1
            if probe(index_key(pager, node, mid)) <= 0:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _check(self, node) -> None:
        if node.ptype not in (LEAF_INDEX, INTERIOR_INDEX):
            raise corrupt(f"page {node.pgno}: not an index b-tree page")

    def _keys_from(self, probe=None, reverse: bool = False, upper: bool = False):
        """In-order keys starting at the first key k with probe(k) >= 0
        (or, reversed, ending at the last key with probe(k) <= 0 when
        ``upper``); all keys when probe is None."""
        pager = self.pager
        seen = set()
        stack = []
        step = -1 if reverse else 1
        pgno = self.root
        parent = None
        seeking = probe is not None
        while True:
            # Descend to a leaf, yielding its keys.
            while True:
                if pgno in seen:
                    raise corrupt(f"page {pgno} appears twice in one index")
                seen.add(pgno)
                node = self._node(pgno, parent) if parent is not None else self._root_node(False)
                self._check(node)
                n = len(node.cells)
                if not seeking:
                    i = n if reverse else 0
                elif reverse:
                    i = self._upper_bound(node, probe) if upper else n
                else:
                    i = self._lower_bound(node, probe)
                if node.leaf:
                    if reverse:
                        for j in range(i - 1, -1, -1):
                            yield index_key(pager, node, j)
                    else:
                        for j in range(i, n):
                            yield index_key(pager, node, j)
                    break
                stack.append((node, i))
                if len(stack) > MAX_DEPTH:
                    raise corrupt("b-tree too deep")
                parent = node
                pgno = node.child(i)
            seeking = False
            # Climb to the next separator key, yield it, then go down its other side.
            while stack:
                node, i = stack.pop()
                k = i - 1 if reverse else i
                if 0 <= k < len(node.cells):
                    yield index_key(pager, node, k)
                    i += step
                    stack.append((node, i))
                    parent = node
                    pgno = node.child(i)
                    break
            else:
                return

    # --- reading -------------------------------------------------------

    def scan(self):
        """Every key, in order."""
        if self._empty_schema():
            return iter(())
        return self._keys_from()

    def scan_reverse(self):
        """Every key, largest first."""
        if self._empty_schema():
            return iter(())
        return self._keys_from(reverse=True)

    def _prefix_probe(self, prefix: tuple):
        n = len(prefix)
        cmp = self.compare
        prefix = tuple(prefix)
        return lambda key: cmp(key[:n], prefix)

    def seek(self, prefix: tuple):
        """Keys in order from the first whose first ``len(prefix)`` columns are >= prefix."""
        return self._keys_from(self._prefix_probe(prefix))

    def seek_reverse(self, prefix: tuple):
        """Keys in reverse order from the last whose prefix columns are <= prefix."""
        return self._keys_from(self._prefix_probe(prefix), reverse=True, upper=True)

    def scan_range(self, lo: tuple | None = None, hi: tuple | None = None, *,
                   lo_inclusive: bool = True, hi_inclusive: bool = True):
        """Keys between two prefixes (compared on their own length), in order."""
        cmp = self.compare
        if lo is None:
            it = self._keys_from()
        else:
            it = self.seek(lo)
            nlo = len(lo)
            lo = tuple(lo)
        if hi is not None:
            nhi = len(hi)
            hi = tuple(hi)
        skipping = lo is not None and not lo_inclusive
        for key in it:
            if skipping:
                if cmp(key[:nlo], lo) == 0:
                    continue
                skipping = False
            if hi is not None:
                c = cmp(key[:nhi], hi)
                if c > 0 or (c == 0 and not hi_inclusive):
                    return
            yield key

    def contains(self, key: tuple) -> bool:
        if self._empty_schema():
            return False
        key = tuple(key)
        node = self._root_node(False)
        for _ in range(MAX_DEPTH + 1):
            self._check(node)
            i, found = self._find(node, key)
            if found:
                return True
            if node.leaf:
                return False
            node = self._node(node.child(i), node)
        raise corrupt("b-tree too deep")

    __contains__ = contains

    def first(self) -> tuple | None:
        for key in self.scan():
            return key
        return None

    def last(self) -> tuple | None:
        for key in self.scan_reverse():
            return key
        return None

    def count(self) -> int:
        if self._empty_schema():
            return 0
        total = 0
        seen = set()
        stack = [(self.root, 0)]
        while stack:
            pgno, depth = stack.pop()
            if depth > MAX_DEPTH or pgno in seen:
                raise corrupt("b-tree too deep or page repeated")
            seen.add(pgno)
            node = self._node(pgno)
            self._check(node)
            total += len(node.cells)
            if not node.leaf:
                for i in range(len(node.cells) + 1):
                    stack.append((node.child(i), depth + 1))
        return total

    # --- writing -------------------------------------------------------

    def _path_to(self, key):
        """Stack of ``[node, index, dirty]`` down to where ``key`` is or would be,
        and whether it was found (the last frame is then the node holding it)."""
        node = self._root_node(False)
        stack = []
        while True:
            self._check(node)
            i, found = self._find(node, key)
            stack.append([node, i, False])
            if found or node.leaf:
                return stack, found
            if len(stack) > MAX_DEPTH:
                raise corrupt("b-tree too deep")
            node = self._node(node.child(i), node)

    def insert(self, key: tuple) -> bool:
        """Add a key; returns False (and changes nothing) if it is already there."""
        key = tuple(key)
        stack, found = self._path_to(key)
        if found:
            return False
        leaf, i, _ = stack[-1]
        cell = make_cell(self.pager, encode_record(key), None)
        if self._fast_leaf_insert(leaf, i, cell, key):
            return True
        node = leaf.copy()
        append = i == len(node.cells) and all(f[1] == len(f[0].cells) for f in stack[:-1])
        node.cells.insert(i, cell)
        node.keys.insert(i, key)
        stack[-1] = [node, i, True]
        self._settle(stack, append)
        return True

    def delete(self, key: tuple) -> bool:
        """Remove a key; returns False if it was not there."""
        key = tuple(key)
        stack, found = self._path_to(key)
        if not found:
            return False
        holder, i, _ = stack[-1]
        node = holder.copy()
        free_cell_overflow(self.pager, node.cells[i], node.ptype)
        if node.leaf:
            del node.cells[i]
            del node.keys[i]
            stack[-1] = [node, i, True]
            self._settle(stack)
            return True
        # Interior entry: replace it with its predecessor, the last key of
        # the right-most leaf of its left subtree.
        stack[-1] = [node, i, True]
        child = self._node(node.child(i), node)
        while not child.leaf:
            self._check(child)
            stack.append([child, len(child.cells), False])
            if len(stack) > MAX_DEPTH:
                raise corrupt("b-tree too deep")
            child = self._node(child.right, child)
        self._check(child)
        if not child.cells:
            raise corrupt(f"page {child.pgno}: empty leaf")
        leaf = child.copy()
        pred_cell = trim_index_cell(leaf.cells.pop(), self.pager.usable_size)
        pred_key = leaf.keys.pop()
        node.cells[i] = node.cells[i][:4] + pred_cell
        node.keys[i] = pred_key
        stack.append([leaf, len(leaf.cells), True])
        self._settle(stack)
        return True

    def clear(self) -> None:
        clear_tree(self.pager, self.root)
