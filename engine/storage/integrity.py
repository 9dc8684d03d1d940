"""A standalone integrity checker (the page-level half of SQLite's
``PRAGMA integrity_check``; fileformat2.html sections 1.3-1.7).

``check_integrity(pager, roots)`` walks the freelist and every b-tree named in
``roots`` and reports, in SQLite's wording:

* page accounting: every page is used exactly once, by a tree, an overflow
  chain or the freelist (the lock-byte page excepted) -- "Page N is never
  used", "2nd reference to page N", "invalid page number N";
* the freelist: trunk leaf counts and the header's total;
* each b-tree page: valid type, cells inside the page and not overlapping,
  freeblocks well formed, fragment count right, rowids in order within and
  across pages, index keys in order when a comparison is supplied, all
  leaves at the same depth;
* overflow chains: valid pages and the length the payload size implies;
* in auto_vacuum files (fileformat2.html 1.8): the pointer-map entry of
  every root, child, overflow and free page, the largest-root field of the
  header, and no tree using a pointer-map page -- "Bad ptr map entry
  key=N expected=(T,P) got=(T,P)", "Failed to read ptrmap key=N", "max
  rootpage (N) disagrees with header (M)", "Pointer map page N is
  referenced", with the prefixes sqlite3 3.40 gives them (all children of
  an interior page are reported "at right child", as 3.40 does).

The index-versus-table agreement that SQLite also checks needs the schema and
belongs to the layer above.  An empty list means no problem was found.
"""

from __future__ import annotations

import struct

from engine.errors import CorruptError
from engine.storage.btree_page import (
    INTERIOR_INDEX,
    INTERIOR_TABLE,
    LEAF_INDEX,
    LEAF_TABLE,
    MAX_DEPTH,
    local_payload_size,
    overflow_pages,
)
from engine.storage.ptrmap import (
    BTREE, FREEPAGE, OVERFLOW1, OVERFLOW2, ROOTPAGE, map_page, map_pages,
)
from engine.storage.record import decode_record, get_varint

__all__ = ["check_integrity"]

_U32 = struct.Struct(">I")
_U16 = struct.Struct(">H")
MAX_ERRORS = 100


class _Stop(Exception):
    pass


class _Checker:
    def __init__(self, pager, max_errors: int):
        self.pager = pager
        self.usable = pager.usable_size
        self.count = pager.page_count
        self.used = bytearray(self.count + 1)
        self.errors: list[str] = []
        self.max_errors = max_errors
        self.autovac = _U32.unpack_from(pager.get(1), 52)[0] != 0

    def check_ptrmap(self, pgno: int, etype: int, parent: int, context: str = "") -> None:
        """The pointer-map entry of ``pgno`` must be ``(etype, parent)``."""
        pager = self.pager
        got = None
        if 2 <= pgno <= 0xFFFFFFFF:
            pm = map_page(pager, pgno)
            off = 5 * (pgno - pm - 1)
            if off >= 0 and pm <= self.count:
                data = pager.get(pm)
                t = data[off]
                if 1 <= t <= 5:
                    got = (t, _U32.unpack_from(data, off + 1)[0])
        if got is None:
            self.error(f"{context}Failed to read ptrmap key={pgno}")
        elif got != (etype, parent):
            self.error(f"{context}Bad ptr map entry key={pgno} expected=({etype},{parent}) "
                       f"got=({got[0]},{got[1]})")

    def error(self, msg: str) -> None:
        self.errors.append(msg)
        if len(self.errors) >= self.max_errors:
            raise _Stop

    def claim(self, pgno: int, context: str = "") -> bool:
        """Mark a page used; False (after reporting) if it cannot be."""
        if pgno < 1 or pgno > self.count:
            self.error(f"{context}invalid page number {pgno}")
            return False
        if self.used[pgno]:
            self.error(f"{context}2nd reference to page {pgno}")
            return False
        self.used[pgno] = 1
        return True

    # --- freelist -------------------------------------------------------

    def check_freelist(self) -> None:
        page1 = self.pager.get(1)
        trunk = _U32.unpack_from(page1, 32)[0]
        expected = _U32.unpack_from(page1, 36)[0]
        errors_at_start = len(self.errors)
        found = 0
        max_leaves = self.usable // 4 - 2
        guard = 0
        while trunk and guard <= self.count:
            guard += 1
            if not self.claim(trunk, "Main freelist: "):
                break
            found += 1
            data = self.pager.get(trunk)
            nxt, n = struct.unpack_from(">II", data, 0)
            if self.autovac:
                self.check_ptrmap(trunk, FREEPAGE, 0, "Main freelist: ")
            if n > max_leaves:
                self.error(f"Main freelist: freelist leaf count too big on page {trunk}")
                n = 0
            for i in range(n):
                leaf = _U32.unpack_from(data, 8 + 4 * i)[0]
                if self.autovac:
                    self.check_ptrmap(leaf, FREEPAGE, 0, "Main freelist: ")
                self.claim(leaf, "Main freelist: ")
                found += 1
            trunk = nxt
        # As sqlite3 does, the total is only questioned when walking the
        # list found nothing else wrong.
        if found != expected and len(self.errors) == errors_at_start:
            self.error(f"Main freelist: size is {found} but should be {expected}")

    # --- b-trees --------------------------------------------------------

    def check_roots(self, roots) -> None:
        """The header's largest-root field against the trees checked."""
        page1 = self.pager.get(1)
        if self.autovac:
            largest = max(roots) if roots else 0
            in_header = _U32.unpack_from(page1, 52)[0]
            if largest != in_header:
                self.error(f"max rootpage ({largest}) disagrees with header ({in_header})")
        elif _U32.unpack_from(page1, 64)[0]:
            self.error("incremental_vacuum enabled with a max rootpage of zero")

    def check_tree(self, root: int, compare=None) -> None:
        if self.autovac and root > 1:
            self.check_ptrmap(root, ROOTPAGE, 0)
        if not self.claim(root):
            return
        self.check_page(root, None, None, compare, 0, None, root)

    def check_page(self, pgno, lower, upper, compare, depth, want_intkey, root):
        """Check one page and its subtree; returns (leaf depth, min key, max key)
        or None when the page is unusable.  ``lower``/``upper`` bound the keys."""
        pager = self.pager
        usable = self.usable
        prefix = f"On tree page {pgno} "
        if depth > MAX_DEPTH:
            self.error(f"{prefix}b-tree too deep")
            return None
        data = pager.get(pgno)
        hdr = 100 if pgno == 1 else 0
        ptype = data[hdr]
        if ptype not in (INTERIOR_INDEX, INTERIOR_TABLE, LEAF_INDEX, LEAF_TABLE):
            self.error(f"{prefix}cell 0: invalid page type {ptype}")
            return None
        intkey = ptype in (INTERIOR_TABLE, LEAF_TABLE)
        if want_intkey is not None and intkey != want_intkey:
            self.error(f"{prefix}cell 0: page of the wrong kind in tree {root}")
            return None
        leaf = ptype >= LEAF_INDEX
        first = hdr + (8 if leaf else 12)
        n = _U16.unpack_from(data, hdr + 3)[0]
        content = _U16.unpack_from(data, hdr + 5)[0] or 65536
        frag = data[hdr + 7]
        ptr_end = first + 2 * n
        if ptr_end > usable or content > usable or content < ptr_end:
            self.error(f"{prefix}cell 0: btreeInitPage() returns error code 11")
            return None
        # Space accounting: mark every byte of the content area once.
        owner = bytearray(usable + 1)
        cells = []
        ok = True
        for i in range(n):
            off = _U16.unpack_from(data, first + 2 * i)[0]
            cprefix = f"{prefix}cell {i}: "
            if off < ptr_end or off > usable - 4:
                self.error(f"{cprefix}Offset {off} out of range {ptr_end}..{usable - 4}")
                ok = False
                continue
            try:
                info = self._cell_info(data, off, ptype)
            except CorruptError:
                self.error(f"{cprefix}Extends off end of page")
                ok = False
                continue
            size, key, payload_size, local, ovfl, child = info
            if off + size > usable:
                self.error(f"{cprefix}Extends off end of page")
                ok = False
                continue
            if any(owner[off:off + size]):
                self.error(f"Multiple uses for byte {off + owner[off:off + size].index(1)} "
                           f"of page {pgno}")
                ok = False
                continue
            owner[off:off + size] = b"\x01" * size
            cells.append((i, off, key, payload_size, local, ovfl, child))
        fb = _U16.unpack_from(data, hdr + 1)[0]
        free_total = 0
        guard = 0
        prev = 0
        while fb and guard < usable:
            guard += 1
            if fb <= prev or fb < content or fb > usable - 4:
                self.error(f"Freeblock at {fb} out of order or out of range on page {pgno}")
                ok = False
                break
            nxt, fsize = struct.unpack_from(">HH", data, fb)
            if fsize < 4 or fb + fsize > usable or any(owner[fb:fb + fsize]):
                self.error(f"Multiple uses for byte {fb} of page {pgno}")
                ok = False
                break
            owner[fb:fb + fsize] = b"\x01" * fsize
            free_total += fsize
            prev = fb
            fb = nxt
        if ok:
            unaccounted = (usable - content) - sum(owner[content:usable])
            if unaccounted != frag:
                self.error(f"Fragmentation of {unaccounted} bytes reported as {frag} on page {pgno}")
        # Keys, overflow chains and children.  (sqlite3 3.40 reports the
        # pointer-map entries of an interior page's cells with the prefix it
        # set for the right child, checked first.)
        av_prefix = f"On page {pgno} at right child: " if not leaf else None
        prev_key = lower
        child_depth = None
        leaf_depth = depth
        for i, off, key, payload_size, local, ovfl, child in cells:
            cprefix = f"{prefix}cell {i}: "
            if ovfl:
                if self.autovac:
                    self.check_ptrmap(ovfl, OVERFLOW1, pgno, av_prefix or cprefix)
                self._check_overflow(ovfl, overflow_pages(payload_size, local, usable), cprefix,
                                     av_prefix or cprefix)
            if intkey:
                if prev_key is not None and (key < prev_key or (key == prev_key and leaf)):
                    self.error(f"{cprefix}Rowid {key} out of order")
                if upper is not None and key > upper:
                    self.error(f"{cprefix}Rowid {key} out of order")
            elif compare is not None:
                try:
                    payload = self._payload(data, off, ptype, payload_size, local, ovfl)
                    key = decode_record(payload)
                except CorruptError:
                    self.error(f"{cprefix}Bad record")
                    key = None
                if key is not None:
                    if prev_key is not None and compare(prev_key, key) >= 0:
                        self.error(f"{cprefix}Index key out of order")
                    if upper is not None and compare(key, upper) >= 0:
                        self.error(f"{cprefix}Index key out of order")
            if not leaf:
                if self.autovac:
                    self.check_ptrmap(child, BTREE, pgno, av_prefix)
                if self.claim(child, cprefix):
                    res = self.check_page(child, prev_key, key, compare, depth + 1, intkey, root)
                    if res is not None:
                        if child_depth is None:
                            child_depth = res
                        elif res != child_depth:
                            self.error(f"{cprefix}Child page depth differs")
            if key is not None:
                prev_key = key
        if not leaf:
            right = _U32.unpack_from(data, hdr + 8)[0]
            rprefix = f"{prefix}cell {n}: "
            if self.autovac:
                self.check_ptrmap(right, BTREE, pgno, av_prefix)
            if self.claim(right, rprefix):
                res = self.check_page(right, prev_key, upper, compare, depth + 1, intkey, root)
                if res is not None:
                    if child_depth is not None and res != child_depth:
                        self.error(f"{rprefix}Child page depth differs")
                    child_depth = res if child_depth is None else child_depth
            leaf_depth = child_depth if child_depth is not None else depth
        return leaf_depth

    def _cell_info(self, data, off, ptype):
        """(size on page, rowid or None, payload size, local size, first overflow, child)."""
        usable = self.usable
        child = 0
        p = off
        if ptype in (INTERIOR_TABLE, INTERIOR_INDEX):
            if off + 4 > usable:
                raise CorruptError("cell")
            child = _U32.unpack_from(data, off)[0]
            p += 4
        if ptype == INTERIOR_TABLE:
            key, p = get_varint(data, p)
            return max(p - off, 4), key, 0, 0, 0, child
        payload_size, p = get_varint(data, p)
        key = None
        if ptype == LEAF_TABLE:
            key, p = get_varint(data, p)
        if payload_size < 0:
            raise CorruptError("cell")
        local = local_payload_size(payload_size, usable, ptype == LEAF_TABLE)
        end = p + local
        ovfl = 0
        if local < payload_size:
            if end + 4 > usable:
                raise CorruptError("cell")
            ovfl = _U32.unpack_from(data, end)[0]
            end += 4
            if ovfl == 0:
                ovfl = -1
        return max(end - off, 4), key, payload_size, local, ovfl, child

    def _payload(self, data, off, ptype, payload_size, local, ovfl):
        p = off + (4 if ptype == INTERIOR_INDEX else 0)
        _, p = get_varint(data, p)
        if ptype == LEAF_TABLE:
            _, p = get_varint(data, p)
        out = bytes(data[p:p + local])
        if local < payload_size:
            from engine.storage.btree_page import read_overflow
            out += read_overflow(self.pager, ovfl, payload_size - local)
        return out

    def _check_overflow(self, first: int, expected: int, prefix: str, av_prefix: str) -> None:
        pgno = first
        found = 0
        while found < expected:
            if pgno <= 0 or not self.claim(pgno, prefix):
                break
            found += 1
            nxt = _U32.unpack_from(self.pager.get(pgno), 0)[0]
            if self.autovac and found < expected:
                self.check_ptrmap(nxt, OVERFLOW2, pgno, av_prefix)
            pgno = nxt
        if found != expected:
            self.error(f"{prefix}overflow list length is {found} but should be {expected}")


def check_integrity(pager, roots, *, max_errors: int = MAX_ERRORS, partial: bool = False) -> list[str]:
    """Check the file's page accounting and the b-trees rooted at ``roots``.

    ``roots`` holds root page numbers, or ``(root, compare)`` pairs to also
    check index key order with ``compare``.  Page 1 (sqlite_schema) is
    always checked.  Returns SQLite-style messages; empty means ok.
    ``partial``: only the trees of ``roots`` are checked, without the
    freelist and the accounting of every page (sqlite3's check of one
    table).
    """
    started = False
    if not pager.in_read:
        pager.begin_read()
        started = True
    try:
        if pager.page_count == 0:
            return []
        checker = _Checker(pager, max_errors)
        try:
            if not partial:
                checker.check_freelist()
            todo = []
            seen_roots = set()
            for item in ([] if partial else [1]) + list(roots):
                root, compare = (item if isinstance(item, tuple) else (item, None))
                if root in seen_roots:
                    continue
                seen_roots.add(root)
                todo.append((root, compare))
            checker.check_roots([r for r, _ in todo])
            for root, compare in todo:
                try:
                    checker.check_tree(root, compare)
                except CorruptError as exc:
                    checker.error(f"Tree {root}: {getattr(exc, 'detail', None) or exc}")
            lock_page = pager.lock_byte_page
            maps = map_pages(pager, checker.count) if checker.autovac else ()
            for pgno in range(1, 0 if partial else checker.count + 1):
                is_map = pgno in maps
                if not checker.used[pgno] and pgno != lock_page and not is_map:
                    checker.error(f"Page {pgno} is never used")
                if checker.used[pgno] and is_map:
                    checker.error(f"Pointer map page {pgno} is referenced")
        except _Stop:
            pass
        return checker.errors
    finally:
        if started:
            pager.end_read()
