"""auto_vacuum and incremental_vacuum (pragma.html; fileformat2.html 1.8).

An auto_vacuum database keeps a pointer map (:mod:`engine.storage.ptrmap`)
so that any page but a root can be moved: the page is copied to its new
number, the one pointer to it (in its parent b-tree page, the cell whose
overflow chain it starts, or the previous overflow page) is rewritten, and
the entries of the pages it points to are updated (:func:`relocate`).  On
that rest:

* FULL mode (:func:`commit_step`, run by the pager before every commit):
  the pages past the final size are moved into the free pages before it,
  the freelist is emptied and the file cut -- no free pages survive a
  commit.
* INCREMENTAL mode (:func:`incremental_vacuum`): ``PRAGMA
  incremental_vacuum(N)`` removes up to N pages from the end, free ones
  directly, others by moving them into free pages nearer the front.
* Roots stay at the front: a new table or index gets the page just after
  the largest root page (header offset 52), whatever was there moving out
  of the way (:func:`allocate_root`); dropping a b-tree moves the last root
  into the freed slot and rewrites its sqlite_schema row
  (:func:`drop_root`).  The rootpage recorded in the caller's catalog for
  the moved tree is then stale until the schema is read again; within the
  statement, :func:`resolve_root` maps it to the new page.
* ``PRAGMA auto_vacuum`` (:func:`set_mode`): NONE/FULL/INCREMENTAL take
  effect on a database without pages, FULL<->INCREMENTAL at any time; any
  other change waits for the next VACUUM (engine.storage.vacuum).

Every page change goes through the pager, so the moves are journaled (or
logged) like any other write and a commit stays atomic.
"""

from __future__ import annotations

import struct

from engine.errors import corrupt
from engine.storage.ptrmap import (
    BTREE,
    FREEPAGE,
    OVERFLOW1,
    OVERFLOW2,
    ROOTPAGE,
    get_entry,
    is_special,
    map_pages,
    page_links,
    put_entries,
    put_entry,
)

__all__ = ["relocate", "commit_step", "incremental_vacuum", "allocate_root", "drop_root",
           "resolve_root", "set_mode", "final_size", "read_freelist", "parse_mode",
           "parse_page_limit"]

_U32 = struct.Struct(">I")

OFF_FREELIST_TRUNK = 32
OFF_FREELIST_COUNT = 36
OFF_LARGEST_ROOT = 52
OFF_INCR_VACUUM = 64


# ---------------------------------------------------------------------------
# The freelist as a whole


def read_freelist(pager) -> list[tuple[int, list[int]]]:
    """The freelist as ``[(trunk, [leaves...]), ...]``, checked against the
    header's count."""
    page1 = pager.get(1)
    trunk = _U32.unpack_from(page1, OFF_FREELIST_TRUNK)[0]
    expected = _U32.unpack_from(page1, OFF_FREELIST_COUNT)[0]
    out = []
    seen = set()
    total = 0
    max_leaves = pager.usable_size // 4 - 2
    count = pager.page_count
    while trunk:
        if trunk < 2 or trunk > count or trunk in seen:
            raise corrupt(f"freelist trunk {trunk} out of range or repeated")
        seen.add(trunk)
        data = pager.get(trunk)
        nxt, n = struct.unpack_from(">II", data, 0)
        if n > max_leaves:
            raise corrupt(f"freelist trunk {trunk} claims {n} leaves")
        leaves = list(struct.unpack_from(f">{n}I", data, 8)) if n else []
        for leaf in leaves:
            if leaf < 2 or leaf > count or leaf in seen:
                raise corrupt(f"freelist leaf {leaf} out of range or repeated")
            seen.add(leaf)
        out.append((trunk, leaves))
        total += 1 + n
        if total > count:
            raise corrupt("freelist longer than the file")
        trunk = nxt
    if total != expected:
        raise corrupt(f"freelist holds {total} pages, header says {expected}")
    return out


def _rewrite_freelist(pager, old: list[tuple[int, list[int]]], removed: set) -> None:
    """Take the pages in ``removed`` off the freelist ``old`` (as read by
    :func:`read_freelist`): a removed trunk hands its place to one of its
    remaining leaves.  Only trunks whose content changes are written."""
    new = []
    changed = set()
    for trunk, leaves in old:
        kept = [p for p in leaves if p not in removed]
        if trunk in removed:
            if not kept:
                continue
            trunk = kept.pop()
            changed.add(trunk)
        elif len(kept) != len(leaves):
            changed.add(trunk)
        new.append((trunk, kept))
    old_next = {t: (old[i + 1][0] if i + 1 < len(old) else 0) for i, (t, _) in enumerate(old)}
    page_size = pager.page_size
    total = 0
    for i, (trunk, leaves) in enumerate(new):
        nxt = new[i + 1][0] if i + 1 < len(new) else 0
        total += 1 + len(leaves)
        if trunk not in changed and old_next.get(trunk) == nxt:
            continue
        page = bytearray(page_size)
        struct.pack_into(f">II{len(leaves)}I", page, 0, nxt, len(leaves), *leaves)
        pager.write(trunk, page)
    page1 = bytearray(pager.get(1))
    _U32.pack_into(page1, OFF_FREELIST_TRUNK, new[0][0] if new else 0)
    _U32.pack_into(page1, OFF_FREELIST_COUNT, total)
    pager.write(1, page1)


def final_size(pager, n_orig: int, n_free: int) -> int:
    """The page count once the ``n_free`` free pages of an ``n_orig``-page
    auto_vacuum file are gone, with the pointer-map pages (and the lock-byte
    page) the remaining content still needs."""
    lock = pager.lock_byte_page
    per = pager.usable_size // 5 + 1

    def special(n: int) -> int:
        """Pointer-map pages and the lock-byte page among pages 1..n."""
        if n < 2:
            return 0
        groups = (n - 2) // per + 1
        last_map = (groups - 1) * per + 2
        if last_map == lock:
            last_map += 1
        return groups - (1 if last_map > n else 0) + (1 if lock <= n else 0)

    need = n_orig - n_free - special(n_orig)
    if need < 1:
        raise corrupt("more free pages than the file holds")
    n = need
    while n - special(n) < need:
        n += need - (n - special(n))
    while is_special(pager, n):
        n -= 1
    return n


# ---------------------------------------------------------------------------
# Moving one page


def relocate(pager, src: int, dst: int, etype: int, parent: int) -> None:
    """Move page ``src`` (of pointer-map type ``etype``, pointed to from
    ``parent``) to page ``dst``, whose old content is lost."""
    if src < 2 or dst < 2 or src == dst:
        raise corrupt(f"cannot move page {src} to {dst}")
    data = pager.get(src)
    usable = pager.usable_size
    entries = []
    if etype in (ROOTPAGE, BTREE):
        child_offs, ovfl_offs, children = page_links(data, src, usable)
        entries += [(c, BTREE, dst) for c in children]
        entries += [(_U32.unpack_from(data, o)[0], OVERFLOW1, dst) for o in ovfl_offs]
    elif etype in (OVERFLOW1, OVERFLOW2):
        nxt = _U32.unpack_from(data, 0)[0]
        if nxt:
            entries.append((nxt, OVERFLOW2, dst))
    else:
        raise corrupt(f"page {src} of pointer-map type {etype} cannot move")
    pager.write(dst, bytearray(data))
    pager.node_cache.pop(src, None)
    pager.node_cache.pop(dst, None)
    if etype != ROOTPAGE:
        _repoint(pager, parent, etype, src, dst)
    entries.append((dst, etype, parent if etype != ROOTPAGE else 0))
    put_entries(pager, entries)


def _repoint(pager, parent: int, etype: int, old: int, new: int) -> None:
    """In page ``parent``, the pointer to ``old`` now points to ``new``."""
    if parent < 1 or parent > pager.page_count:
        raise corrupt(f"pointer-map parent {parent} of page {old} out of range")
    data = bytearray(pager.get(parent))
    if etype == OVERFLOW2:
        offs = [0]
    else:
        child_offs, ovfl_offs, _ = page_links(data, parent, pager.usable_size)
        offs = child_offs if etype == BTREE else ovfl_offs
    for off in offs:
        if _U32.unpack_from(data, off)[0] == old:
            _U32.pack_into(data, off, new)
            break
    else:
        raise corrupt(f"page {parent} does not point to page {old} as its pointer map says")
    pager.write(parent, data)
    pager.node_cache.pop(parent, None)


# ---------------------------------------------------------------------------
# FULL: at commit.  INCREMENTAL: on request.


def commit_step(pager) -> None:
    """FULL auto_vacuum before a commit: every free page leaves the file."""
    n_free = pager.freelist_count
    if not n_free:
        return
    n_orig = pager.page_count
    _, free = _free_pages(pager)
    n_fin = final_size(pager, n_orig, n_free)
    targets = sorted(p for p in free if p <= n_fin)
    skip = map_pages(pager, n_orig)
    skip.add(pager.lock_byte_page)
    movers = [p for p in range(n_orig, n_fin, -1) if p not in free and p not in skip]
    if len(targets) != len(movers):
        raise corrupt("free pages and pages to move do not match")
    for src, dst in zip(movers, targets):
        _move_out(pager, src, dst)
    page1 = bytearray(pager.get(1))
    _U32.pack_into(page1, OFF_FREELIST_TRUNK, 0)
    _U32.pack_into(page1, OFF_FREELIST_COUNT, 0)
    pager.write(1, page1)
    pager.truncate_pages(n_fin)


def _free_pages(pager) -> tuple[list, set[int]]:
    """The freelist (read_freelist) and every page on it, trunks and leaves."""
    trunks = read_freelist(pager)
    free = set()
    for trunk, leaves in trunks:
        free.add(trunk)
        free.update(leaves)
    return trunks, free


def _move_out(pager, src: int, dst: int) -> None:
    etype, parent = get_entry(pager, src)
    if etype in (ROOTPAGE, FREEPAGE):
        raise corrupt(f"page {src} (pointer-map type {etype}) cannot be moved")
    relocate(pager, src, dst, etype, parent)


def incremental_vacuum(pager, limit: int) -> int:
    """Remove up to ``limit`` pages (all when ``limit`` <= 0) from the end
    of an auto_vacuum database's file, inside the open write transaction;
    returns how many were removed."""
    if not pager.auto_vacuum:
        return 0
    n_free = pager.freelist_count
    if not n_free:
        return 0
    n_orig = pager.page_count
    trunks, free = _free_pages(pager)
    n_fin = final_size(pager, n_orig, n_free)
    if n_fin > n_orig:
        raise corrupt("final size past the end of the file")
    targets = sorted((p for p in free if p <= n_fin), reverse=True)
    removed = set()
    last = n_orig
    done = 0
    while (limit <= 0 or done < limit) and len(removed) < n_free:
        if last in free:
            removed.add(last)
        else:
            if not targets:
                raise corrupt("no free page to move into")
            dst = targets.pop()
            removed.add(dst)
            _move_out(pager, last, dst)
        done += 1
        last -= 1
        while last > 1 and is_special(pager, last):
            last -= 1
    if done:
        _rewrite_freelist(pager, trunks, removed)
        pager.truncate_pages(last)
    return done


# ---------------------------------------------------------------------------
# Roots


def _largest_root(pager) -> int:
    return _U32.unpack_from(pager.get(1), OFF_LARGEST_ROOT)[0]


def _set_largest_root(pager, value: int) -> None:
    page1 = bytearray(pager.get(1))
    _U32.pack_into(page1, OFF_LARGEST_ROOT, value)
    pager.write(1, page1)


def allocate_root(pager) -> int:
    """The page for a new root in an auto_vacuum database: the first
    content page after the largest root, emptied for the caller (who
    writes the root's page)."""
    slot = _largest_root(pager) + 1
    while is_special(pager, slot):
        slot += 1
    if slot > pager.page_count:
        got = pager.allocate(extend=True)
        if got != slot:
            raise corrupt(f"new root landed on page {got}, not {slot}")
    else:
        etype, parent = get_entry(pager, slot)
        if etype == FREEPAGE:
            _rewrite_freelist(pager, read_freelist(pager), {slot})
        elif etype == ROOTPAGE:
            raise corrupt(f"page {slot} after the largest root is a root")
        else:
            dst = pager.allocate()
            relocate(pager, slot, dst, etype, parent)
    put_entry(pager, slot, ROOTPAGE, 0)
    _set_largest_root(pager, slot)
    pager.moved_roots.pop(slot, None)
    return slot


def resolve_root(pager, root: int) -> int:
    """Where a root named by the caller's catalog is now (roots move when
    another tree is dropped; see :func:`drop_root`)."""
    moved = pager.moved_roots
    guard = 0
    while root in moved and guard < 64:
        root = moved[root]
        guard += 1
    return root


def drop_root(pager, root: int) -> None:
    """The tree rooted at ``root`` is gone (its other pages already freed):
    free the root, keeping roots at the front -- the last root moves into
    the slot and its sqlite_schema row follows."""
    largest = _largest_root(pager)
    if root > largest or root < 2:
        raise corrupt(f"root page {root} past the largest root {largest}")
    if root == largest:
        pager.free(root)
    else:
        etype, _ = get_entry(pager, largest)
        if etype != ROOTPAGE:
            raise corrupt(f"largest root page {largest} is not a root")
        relocate(pager, largest, root, ROOTPAGE, 0)
        pager.free(largest)
        _update_schema_root(pager, largest, root)
        pager.moved_roots[largest] = root
    largest -= 1
    while largest > 1 and is_special(pager, largest):
        largest -= 1
    _set_largest_root(pager, largest)


def _update_schema_root(pager, old: int, new: int) -> None:
    from engine.storage.btree import TableCursor
    from engine.storage.record import decode_record, encode_record
    schema = TableCursor(pager, 1)
    hits = []
    for rowid, payload in schema.scan():
        rec = decode_record(payload)
        if len(rec) >= 4 and rec[3] == old and type(rec[3]) is int:
            rec = list(rec)
            rec[3] = new
            hits.append((rowid, encode_record(rec)))
    for rowid, payload in hits:
        TableCursor(pager, 1).insert(rowid, payload)


# ---------------------------------------------------------------------------
# PRAGMA auto_vacuum


def parse_mode(value) -> int:
    """NONE/FULL/INCREMENTAL or 0/1/2 (anything else is NONE, as sqlite3 reads it)."""
    if isinstance(value, str):
        word = value.lower()
        if word in ("none", "full", "incremental"):
            return ("none", "full", "incremental").index(word)
    n = parse_page_limit(value)
    return n if n is not None and 0 <= n <= 2 else 0


def parse_page_limit(value) -> int | None:
    """A pragma's integer argument read as sqlite3 reads one (an optional
    sign, or 0x and hex digits, then decimal digits up to the first other
    character; None when there are no digits or the value is out of 32-bit
    range)."""
    if value is None:
        return None
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        return value if -2**31 <= value < 2**31 else None
    text = repr(value) if isinstance(value, float) else str(value)
    neg = False
    i = 0
    if text[:1] in ("-", "+"):
        neg = text[0] == "-"
        i = 1
    elif text[:2].lower() == "0x" and len(text) > 2 and text[2] in "0123456789abcdefABCDEF":
        j = 2
        while j < len(text) and text[j] in "0123456789abcdefABCDEF":
            j += 1
        v = int(text[2:j], 16)
        return v if v < 2**32 and j - 2 <= 8 else None
    j = i
    while j < len(text) and text[j].isdigit() and text[j] in "0123456789":
        j += 1
    if j == i:
        return None
    v = int(text[i:j])
    if neg:
        v = -v
    return v if -2**31 <= v < 2**31 else None


def set_mode(pager, mode: int) -> bool:
    """Apply ``PRAGMA auto_vacuum = mode`` as sqlite3 does; True when the
    database changed (the caller has opened a write transaction when
    ``needs_write`` said so)."""
    pager.next_auto_vacuum = mode
    if pager.page_count == 0 or pager.empty_new_file:
        pager.auto_vacuum = mode
        if pager.in_write:
            page1 = pager.get(1)
            fields = (1 if mode else 0, 1 if mode == 2 else 0)
            if (_U32.unpack_from(page1, OFF_LARGEST_ROOT)[0],
                    _U32.unpack_from(page1, OFF_INCR_VACUUM)[0]) != fields or mode:
                page1 = bytearray(page1)
                _U32.pack_into(page1, OFF_LARGEST_ROOT, fields[0])
                _U32.pack_into(page1, OFF_INCR_VACUUM, fields[1])
                pager.write(1, page1)
                return True
        return False
    if pager.auto_vacuum and mode:
        pager.auto_vacuum = mode
        page1 = pager.get(1)
        want = 1 if mode == 2 else 0
        if _U32.unpack_from(page1, OFF_INCR_VACUUM)[0] != want and pager.in_write:
            page1 = bytearray(page1)
            _U32.pack_into(page1, OFF_INCR_VACUUM, want)
            pager.write(1, page1)
            return True
    return False


def needs_write(pager, mode: int) -> bool:
    """Whether ``PRAGMA auto_vacuum = mode`` writes to the database."""
    if pager.page_count == 0 or pager.empty_new_file:
        return mode != 0
    if pager.auto_vacuum and mode:
        return _U32.unpack_from(pager.get(1), OFF_INCR_VACUUM)[0] != (1 if mode == 2 else 0)
    return False


