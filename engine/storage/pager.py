"""The pager: page cache, locking, transactions and the database header.

Implements fileformat2.html sections 1.2-1.5 (pages, the 100-byte header, the
lock-byte page, the freelist) and the rollback-journal commit protocol of
atomiccommit.html (sections 3 and 4) with the locking protocol of
lockingv3.html (sections 4-5), in journal_mode DELETE, TRUNCATE, PERSIST,
MEMORY and OFF, and the journal_mode=WAL protocol of wal.html through
:mod:`engine.storage.wal`; ``synchronous`` (pragma.html) chooses the syncs.

Life of a connection's transactions (rollback modes)::

    begin_read()   SHARED lock; roll back a hot journal; re-read the header
                   and drop the cache if another connection changed the file
    begin_write()  RESERVED lock; page writes journal the original page first
    commit()       (auto_vacuum=FULL: free pages moved out and the file
                   cut, engine.storage.autovacuum; a shrinking commit
                   journals every page it cuts) journal synced (records,
                   then magic+nRec, then directory), EXCLUSIVE lock, pages
                   written, database synced, journal deleted/truncated/
                   zeroed (the commit point), lock back to SHARED or NONE
    rollback()     drop the dirty pages (or play the journal back if the
                   database file was already touched), end the journal

In WAL mode the database file keeps a SHARED lock while the connection is
open; ``begin_read`` takes a WAL snapshot (a read mark), ``begin_write``
the WAL's WRITE lock, ``commit`` appends frames, and the last connection to
close checkpoints and deletes the WAL and -shm files.

Pages are ``bytes`` objects.  ``get`` returns the same object for as long as
the page stays cached unchanged, which lets the b-tree layer cache parsed pages
in :attr:`Pager.node_cache` keyed by identity.  Clean pages live in an LRU
bounded by ``cache_size``; dirty pages stay in memory until commit, or until
they outnumber the cache, when they spill to the database file behind a
synced journal (rollback modes).  Every byte goes through the VFS.

In an auto_vacuum file (header offset 52 non-zero) ``allocate`` skips and
creates the pointer-map pages and ``free`` records FREEPAGE entries
(engine.storage.ptrmap); the header fields themselves are properties from
:mod:`engine.storage.pager_header`.
"""

from __future__ import annotations

import struct
import time
from collections import OrderedDict

from engine.errors import (
    BusyError,
    InternalEngineError,
    NotADatabaseError,
    ReadOnlyError,
    SQLError,
    corrupt,
)
from engine.storage.journal import JournalWriter, read_journal, super_journal_name
from engine.storage.vfs import EXCLUSIVE, NONE, PENDING_BYTE, RESERVED, SHARED, VFS, MemoryVFS
from engine.storage.pager_header import HeaderFields
from engine.storage.pager_wal import CHECKPOINT_MODES, JOURNAL_MODES, WalMode
from engine.storage.ptrmap import FREEPAGE, is_map_page, put_entry

__all__ = ["Pager", "HEADER_MAGIC", "SQLITE_VERSION_NUMBER", "JOURNAL_MODES", "CHECKPOINT_MODES"]

HEADER_MAGIC = b"SQLite format 3\x00"
SQLITE_VERSION_NUMBER = 3040001
DEFAULT_PAGE_SIZE = 4096
DEFAULT_CACHE_SIZE = 2000

_U32 = struct.Struct(">I")
_U16 = struct.Struct(">H")

# Header offsets (fileformat2.html 1.3)
OFF_PAGE_SIZE = 16
OFF_WRITE_VERSION = 18
OFF_READ_VERSION = 19
OFF_RESERVED = 20
OFF_CHANGE_COUNTER = 24
OFF_DB_SIZE = 28
OFF_FREELIST_TRUNK = 32
OFF_FREELIST_COUNT = 36
OFF_SCHEMA_COOKIE = 40
OFF_SCHEMA_FORMAT = 44
OFF_CACHE_SIZE = 48
OFF_AUTOVACUUM = 52
OFF_TEXT_ENCODING = 56
OFF_USER_VERSION = 60
OFF_INCR_VACUUM = 64
OFF_APPLICATION_ID = 68
OFF_VERSION_VALID_FOR = 92
OFF_VERSION_NUMBER = 96


def new_database_page1(page_size: int, auto_vacuum: int = 0) -> bytes:
    """Page 1 of an empty database: the header sqlite3 writes and an empty
    table-leaf page for sqlite_schema.  An auto_vacuum file starts with
    page 1 as its largest root."""
    page = bytearray(page_size)
    page[0:16] = HEADER_MAGIC
    _U16.pack_into(page, OFF_PAGE_SIZE, 1 if page_size == 65536 else page_size)
    page[OFF_WRITE_VERSION] = 1
    page[OFF_READ_VERSION] = 1
    page[OFF_RESERVED] = 0
    page[21:24] = b"\x40\x20\x20"
    _U32.pack_into(page, OFF_SCHEMA_FORMAT, 4)
    _U32.pack_into(page, OFF_TEXT_ENCODING, 1)
    _U32.pack_into(page, OFF_VERSION_NUMBER, SQLITE_VERSION_NUMBER)
    if auto_vacuum:
        _U32.pack_into(page, OFF_AUTOVACUUM, 1)
        _U32.pack_into(page, OFF_INCR_VACUUM, 1 if auto_vacuum == 2 else 0)
    page[100] = 0x0D
    _U16.pack_into(page, 105, page_size & 0xFFFF)   # cell content start; 0 means 65536
    return bytes(page)


class Pager(HeaderFields, WalMode):
    """One connection's view of one database file."""

    def __init__(self, vfs: VFS, path: str, *, readonly: bool = False,
                 cache_size: int = DEFAULT_CACHE_SIZE,
                 page_size: int = DEFAULT_PAGE_SIZE, busy_timeout: float = 0.0):
        self.vfs = vfs
        self.path = path
        self.journal_path = path + "-journal"
        self.file = vfs.open(path, create=not readonly, readonly=readonly)
        self.readonly = self.file.readonly
        self.cache_size = max(10, int(cache_size))
        self.busy_timeout = busy_timeout
        self._new_page_size = page_size
        self._page_size = page_size
        self._usable = page_size
        self._page_count = 0
        self._snapshot = None          # (bytes 24..40 of the header, file size)
        self._clean: OrderedDict[int, bytes] = OrderedDict()
        self._dirty: dict[int, bytes] = {}
        self._journaled: set[int] = set()
        self._journal: JournalWriter | None = None
        self._in_read = False
        self._in_write = False
        self._read_before_write = False
        self._modified = False
        self._db_written = False
        self._orig_page_count = 0
        self._orig_counter = 0
        self._write_refused: str | None = None
        self.node_cache: dict = {}     # for the b-tree layer; cleared with the cache
        # Savepoints inside a write transaction (statements and SAVEPOINT):
        # each level maps a page to its image when the level began (None for a
        # page allocated since), recorded at the page's first write.
        self._savepoints: list[tuple[dict, int]] = []
        self.closed = False
        # Journal modes and durability (pragma.html journal_mode, synchronous).
        self.journal_mode = "delete"
        self.synchronous = 2               # OFF=0 NORMAL=1 FULL=2 EXTRA=3
        self.wal = None                    # engine.storage.wal.Wal in WAL mode
        self.wal_autocheckpoint = 1000
        self._checkpoint_due = False
        self._wal_view = None              # (salt, mx_frame) the clean cache reflects
        self._memory_journal_vfs = None
        self._leaving_wal = False
        # auto_vacuum (engine.storage.autovacuum): 0 NONE, 1 FULL, 2
        # INCREMENTAL, as the header says; next_auto_vacuum is what PRAGMA
        # auto_vacuum asked for (a new file and VACUUM use it); moved_roots
        # maps roots moved by a DROP to their new pages for this statement.
        self.auto_vacuum = 0
        self.next_auto_vacuum: int | None = None
        self.moved_roots: dict[int, int] = {}
        # Whether a statement has ended inside the current read transaction:
        # until one has, nothing was observed and the snapshot may be renewed
        # while waiting for the write lock (sqlite3's busy handler case).
        self._observed = False

    @classmethod
    def open(cls, vfs: VFS, path: str, **kwargs) -> "Pager":
        return cls(vfs, path, **kwargs)

    # ------------------------------------------------------------------
    # Locks

    def _retry(self, attempt) -> None:
        """Run ``attempt`` until it stops raising BusyError or the busy
        timeout runs out (the busy handler of SQLite)."""
        deadline = None
        delay = 0.001
        while True:
            try:
                attempt()
                return
            except BusyError:
                if self.busy_timeout <= 0:
                    raise
                now = time.monotonic()
                if deadline is None:
                    deadline = now + self.busy_timeout
                if now >= deadline:
                    raise
                time.sleep(min(delay, max(0.0, deadline - now)))
                delay = min(delay * 2, 0.1)

    def _lock(self, level) -> None:
        self._retry(lambda: self.file.lock(level))

    # ------------------------------------------------------------------
    # Read transactions

    @property
    def in_read(self) -> bool:
        return self._in_read or self._in_write

    @property
    def in_write(self) -> bool:
        return self._in_write

    def begin_read(self) -> None:
        if self._in_read or self._in_write:
            return
        self._check_open()
        self._lock(SHARED)
        try:
            if self.wal is None:
                self._recover_hot_journal()
                self._open_wal_if_present()
            if self.wal is not None:
                self._retry(self.wal.begin_read)
                self._refresh_wal_view()
            self._load_header()
        except BaseException:
            if self.wal is not None:
                self.wal.end_read()
            else:
                self.file.unlock(NONE)
            raise
        self._in_read = True
        self._observed = False

    def note_statement_end(self) -> None:
        """Called by the connection as each statement ends."""
        self._observed = True

    def end_read(self) -> None:
        if self._in_write or not self._in_read:
            return
        self._in_read = False
        if self.wal is not None:
            self.wal.end_read()
            if self._checkpoint_due:
                self._checkpoint_due = False
                try:
                    self.checkpoint("PASSIVE")
                except BusyError:
                    pass
        else:
            self.file.unlock(NONE)

    def _check_open(self) -> None:
        if self.closed:
            raise InternalEngineError("pager is closed")

    def drop_cache(self) -> None:
        self._clean.clear()
        self.node_cache.clear()
        self._snapshot = None

    def _load_header(self) -> None:
        f = self.file
        size = f.size()
        wal = self.wal
        frame = wal.find_frame(1) if wal is not None else 0
        if frame:
            hdr = wal.read_frame(frame, wal.hdr.page_size)[:100]
        else:
            hdr = f.read(0, 100)
        if wal is None:
            snapshot = (hdr[24:40], size)
            if snapshot != self._snapshot:
                self._clean.clear()
                self.node_cache.clear()
            self._snapshot = snapshot
        self._write_refused = None
        wal_pages = wal.db_size if wal is not None and wal.hdr.mx_frame else 0
        if size == 0 and not wal_pages:
            self._page_count = 0
            self._page_size = self._usable = self._new_page_size
            self.auto_vacuum = self.next_auto_vacuum or 0
            return
        if len(hdr) < 100:
            hdr = hdr + bytes(100 - len(hdr))
        if hdr[:16] != HEADER_MAGIC:
            raise NotADatabaseError("file is not a database")
        raw = _U16.unpack_from(hdr, OFF_PAGE_SIZE)[0]
        page_size = 65536 if raw == 1 else raw
        if page_size < 512 or page_size > 65536 or page_size & (page_size - 1):
            raise NotADatabaseError("file is not a database")
        if hdr[OFF_READ_VERSION] > 2 or hdr[21:24] != b"\x40\x20\x20":
            raise NotADatabaseError("file is not a database")
        usable = page_size - hdr[OFF_RESERVED]
        if usable < 480:
            raise NotADatabaseError("file is not a database")
        encoding = _U32.unpack_from(hdr, OFF_TEXT_ENCODING)[0]
        if encoding in (2, 3):
            raise SQLError("unsupported file format: UTF-16 databases are not supported")
        if encoding > 3:
            raise NotADatabaseError("file is not a database")
        if _U32.unpack_from(hdr, OFF_SCHEMA_FORMAT)[0] > 4:
            raise SQLError("unsupported file format")
        if hdr[OFF_WRITE_VERSION] > 2:
            self._write_refused = "attempt to write a readonly database"
        if _U32.unpack_from(hdr, OFF_AUTOVACUUM)[0]:
            self.auto_vacuum = 2 if _U32.unpack_from(hdr, OFF_INCR_VACUUM)[0] else 1
        else:
            self.auto_vacuum = 0
        file_pages = -(-size // page_size)
        in_header = _U32.unpack_from(hdr, OFF_DB_SIZE)[0]
        if wal_pages:
            count = wal_pages
        elif in_header and hdr[24:28] == hdr[92:96]:
            if in_header > file_pages:
                raise corrupt("in-header database size exceeds the file")
            count = in_header
        else:
            count = file_pages
        if page_size != self._page_size:
            self._clean.clear()
            self.node_cache.clear()
        self._page_size = page_size
        self._usable = usable
        self._page_count = count

    # ------------------------------------------------------------------
    # Hot journals (atomiccommit.html 4.2-4.6, lockingv3.html 4.1)

    def _recover_hot_journal(self) -> None:
        vfs = self.vfs
        if not vfs.exists(self.journal_path):
            return
        if self.file.check_reserved_lock():
            return                      # a writer is live: the journal is not hot
        try:
            jf = vfs.open(self.journal_path, create=False, readonly=self.readonly)
        except Exception:
            return
        escalated = False
        try:
            if jf.size() == 0 or jf.read(0, 1) == b"\x00":
                return                  # empty or zeroed header: not hot
            if self.readonly:
                raise ReadOnlyError("attempt to write a readonly database")
            if self.file.size() == 0:
                # A journal beside an empty database is stale: just remove it.
                self._lock(RESERVED)
                escalated = True
            else:
                # PENDING then EXCLUSIVE, never RESERVED: RESERVED would make
                # other connections think the journal is not hot.
                self._lock(EXCLUSIVE)
                escalated = True
                if not vfs.exists(self.journal_path):
                    return
                name = super_journal_name(jf)
                if name is None or vfs.exists(name):
                    contents = read_journal(jf, hot=True)
                    if contents.valid:
                        self._playback(contents)
            jf.close()
            vfs.delete(self.journal_path)
        finally:
            jf.close()
            if escalated:
                self.file.unlock(SHARED)

    def _playback(self, contents) -> None:
        f = self.file
        ps = contents.page_size
        new_size = contents.initial_pages * ps
        size = f.size()
        if size > new_size:
            f.truncate(new_size)
        elif size + ps <= new_size:
            f.write(new_size - ps, bytes(ps))
        for pgno, data in contents.records:
            f.write((pgno - 1) * ps, data)
        f.sync()
        self.drop_cache()

    # ------------------------------------------------------------------
    # Write transactions

    def begin_write(self) -> None:
        if self._in_write:
            return
        self._check_open()
        self._read_before_write = self._in_read
        if self._in_read and self._observed:
            # Already reading: waiting here could deadlock with another
            # writer waiting for our SHARED lock to go, so SQLite does not.
            self._check_writable()
            self._writer_lock()
        elif self._in_read:
            # The read began with this statement: like a transaction that
            # starts by writing, wait for the lock with a fresh snapshot.
            cookie = self._header_u32(OFF_SCHEMA_COOKIE)
            self._check_writable()

            def attempt():
                if not self._in_read:
                    self.begin_read()
                    if self._header_u32(OFF_SCHEMA_COOKIE) != cookie:
                        self._retry_stop = True
                try:
                    self._writer_lock()
                except BusyError:
                    self._in_read = True
                    self.end_read()
                    raise
            self._retry_stop = False
            try:
                self._retry(attempt)
            finally:
                if not self._in_read:
                    self.begin_read()
            if self._retry_stop:
                # The schema changed while we waited: the statement was
                # planned against the old one.
                self._abandon_write_lock()
                from engine.errors import SchemaError
                raise SchemaError("database schema has changed")
        else:
            def attempt():
                self.begin_read()
                try:
                    self._check_writable()
                    self._writer_lock()
                except BaseException:
                    self.end_read()
                    raise
            self._retry(attempt)
        self._in_read = False
        self._in_write = True
        self._orig_page_count = self._page_count
        self._dirty = {}
        self._journaled = set()
        self._journal = None
        self._modified = False
        self._db_written = False
        if self._page_count == 0:
            self._page_size = self._usable = self._new_page_size
            self.auto_vacuum = self.next_auto_vacuum or 0
            self._dirty[1] = new_database_page1(self._page_size, self.auto_vacuum)
            self._page_count = 1
            self._orig_counter = 0
        else:
            self._orig_counter = _U32.unpack_from(self.get(1), OFF_CHANGE_COUNTER)[0]

    def _abandon_write_lock(self) -> None:
        if self.wal is not None:
            self.wal.end_write()
        else:
            self.file.unlock(SHARED)

    def _writer_lock(self) -> None:
        if self.wal is not None:
            self.wal.begin_write()
        else:
            self.file.lock(RESERVED)

    def _check_writable(self) -> None:
        if self.readonly:
            raise ReadOnlyError("attempt to write a readonly database")
        if self._write_refused:
            if self._write_refused.startswith("attempt"):
                raise ReadOnlyError(self._write_refused)
            raise SQLError(self._write_refused)

    def _finish_write(self) -> None:
        self._in_write = False
        self._savepoints = []
        self.moved_roots = {}
        self._dirty = {}
        self._journaled = set()
        self._journal = None
        if self.wal is not None:
            self.wal.end_write()
            self._in_read = True
            if not self._read_before_write:
                self.end_read()
        elif self._read_before_write:
            self._in_read = True
            self.file.unlock(SHARED)
        else:
            self.file.unlock(NONE)

    def commit(self) -> None:
        if not self._in_write:
            return
        if not self._modified:
            if self._orig_page_count == 0:
                self._page_count = 0
            self._finish_write()
            return
        if self.auto_vacuum == 1:
            from engine.storage.autovacuum import commit_step
            commit_step(self)
        if self.wal is not None:
            self._commit_wal()
            return
        page1 = bytearray(self.get(1))
        counter = (self._orig_counter + 1) & 0xFFFFFFFF
        _U32.pack_into(page1, OFF_CHANGE_COUNTER, counter)
        _U32.pack_into(page1, OFF_DB_SIZE, self._page_count)
        _U32.pack_into(page1, OFF_VERSION_VALID_FOR, counter)
        _U32.pack_into(page1, OFF_VERSION_NUMBER, SQLITE_VERSION_NUMBER)
        try:
            self.write(1, page1)
            if self._journal is None and self.journal_mode != "off":
                self._journal = self._new_journal()
            if self._page_count < self._orig_page_count and self._journal is not None:
                self._journal_cut_pages()
            if self._journal is not None:
                self._journal.sync()
        except BaseException:
            # A journal that cannot be written (disk full, I/O error) ends the
            # transaction as sqlite3 does: rolled back, nothing of it kept.
            self._fail_commit()
            raise
        self._lock(EXCLUSIVE)        # BusyError here leaves the transaction open
        try:
            f = self.file
            ps = self._page_size
            self._db_written = True
            for pgno in sorted(self._dirty):
                f.write((pgno - 1) * ps, self._dirty[pgno])
            if f.size() > self._page_count * ps:
                f.truncate(self._page_count * ps)
            if self.synchronous:
                f.sync()
            self._finish_journal(self._journal)
        except BaseException:
            self._fail_commit()
            raise
        self._journal = None
        cache = self._clean
        for pgno, data in self._dirty.items():
            cache[pgno] = data
        while len(cache) > self.cache_size:
            cache.popitem(last=False)
        self._snapshot = (bytes(page1[24:40]), self.file.size())
        self._finish_write()

    def _journal_cut_pages(self) -> None:
        """A commit that shrinks the file (VACUUM, auto_vacuum) journals every
        page it cuts off, so that a crash before the commit point can put
        them back (a page moved elsewhere was only read, never written)."""
        ps = self._page_size
        lock = self.lock_byte_page
        for pgno in range(self._page_count + 1, self._orig_page_count + 1):
            if pgno in self._journaled or pgno == lock:
                continue
            original = self._clean.get(pgno)
            if original is None:
                original = self.file.read((pgno - 1) * ps, ps)
                if len(original) < ps:
                    original += bytes(ps - len(original))
            self._journal.append(pgno, original)
            self._journaled.add(pgno)

    def _new_journal(self) -> JournalWriter:
        vfs = self.vfs
        if self.journal_mode == "memory":
            if self._memory_journal_vfs is None:
                self._memory_journal_vfs = MemoryVFS()
            vfs = self._memory_journal_vfs
        return JournalWriter(vfs, self.journal_path, self._page_size, self._orig_page_count,
                             synchronous=self.synchronous)

    def _finish_journal(self, journal) -> None:
        """End a transaction's journal the way its journal_mode says (the
        commit point of a rollback-journal transaction)."""
        if journal is None:
            return
        mode = self.journal_mode
        if mode == "truncate":
            journal.file.truncate(0)
            if self.synchronous >= 2:
                journal.file.sync()
            journal.close()
        elif mode == "persist":
            journal.file.write(0, bytes(28))
            if self.synchronous:
                journal.file.sync()
            journal.close()
        else:
            journal.close_and_delete()
            if self.synchronous >= 3 and mode != "memory":
                self.vfs.sync_directory(self.journal_path)

    def _fail_commit(self) -> None:
        """A commit that failed part way is rolled back; if even that fails,
        the journal is left hot for whoever opens the file next."""
        try:
            self.rollback()
        except BaseException:
            self._abandon()

    def _abandon(self) -> None:
        self.drop_cache()
        self._in_write = False
        self._in_read = False
        self._dirty = {}
        self._journal = None
        try:
            self.file.unlock(NONE)
        except Exception:
            pass

    def rollback(self) -> None:
        if not self._in_write:
            return
        journal = self._journal
        self._journal = None
        if self.wal is not None:
            self.node_cache.clear()
            self._page_count = self._orig_page_count
            for pgno in self._dirty:
                self._clean.pop(pgno, None)
            self._finish_write()
            return
        if self._db_written and journal is not None:
            contents = read_journal(journal.file, hot=True)
            if contents.valid:
                self._lock(EXCLUSIVE)
                self._playback(contents)
            self._finish_journal(journal)
        elif journal is not None:
            self._finish_journal(journal)
        self.node_cache.clear()
        self._page_count = self._orig_page_count
        if self._db_written:
            self.drop_cache()
            self._load_header()
        self._finish_write()

    def close(self) -> None:
        if self.closed:
            return
        try:
            if self._in_write:
                self.rollback()
            self.end_read()
            if self.wal is not None:
                self._close_wal()
        finally:
            self.closed = True
            self.file.close()

    # ------------------------------------------------------------------
    # Pages

    @property
    def page_size(self) -> int:
        return self._page_size

    @page_size.setter
    def page_size(self, size: int) -> None:
        """Choose the page size of a database that has no pages yet."""
        if size < 512 or size > 65536 or size & (size - 1):
            return
        self._new_page_size = size
        if self._page_count == 0 and not self._in_write:
            self._page_size = self._usable = size

    @property
    def usable_size(self) -> int:
        return self._usable

    @property
    def page_count(self) -> int:
        return self._page_count

    @property
    def lock_byte_page(self) -> int:
        return PENDING_BYTE // self._page_size + 1

    def get(self, pgno: int) -> bytes:
        data = self._dirty.get(pgno)
        if data is not None:
            return data
        data = self._clean.get(pgno)
        if data is not None:
            self._clean.move_to_end(pgno)
            return data
        if not (self._in_read or self._in_write):
            raise InternalEngineError("page read outside a transaction")
        if pgno < 1 or pgno > self._page_count:
            raise corrupt(f"page {pgno} out of range 1..{self._page_count}")
        ps = self._page_size
        frame = self.wal.find_frame(pgno) if self.wal is not None else 0
        if frame:
            data = self.wal.read_frame(frame, ps)
        else:
            data = self.file.read((pgno - 1) * ps, ps)
        if len(data) < ps:
            data = data + bytes(ps - len(data))
        cache = self._clean
        cache[pgno] = data
        if len(cache) > self.cache_size:
            cache.popitem(last=False)
        return data

    def write(self, pgno: int, data) -> bytes:
        """Replace a whole page; returns the stored image (what ``get`` will return)."""
        if not self._in_write:
            raise InternalEngineError("page write outside a write transaction")
        if pgno < 1 or pgno > self._page_count:
            raise corrupt(f"write to page {pgno} out of range 1..{self._page_count}")
        if len(data) != self._page_size:
            raise InternalEngineError("page write of the wrong size")
        if self._savepoints:
            level = self._savepoints[-1]
            if pgno not in level[0]:
                level[0][pgno] = self.get(pgno) if pgno <= level[1] else None
        if pgno not in self._journaled and self.wal is None and self.journal_mode != "off":
            if pgno <= self._orig_page_count:
                original = self._clean.get(pgno)
                if original is None:
                    original = self.file.read((pgno - 1) * self._page_size, self._page_size)
                    if len(original) < self._page_size:
                        original += bytes(self._page_size - len(original))
                if self._journal is None:
                    self._journal = self._new_journal()
                self._journal.append(pgno, original)
            self._journaled.add(pgno)
            self._clean.pop(pgno, None)
        data = bytes(data)
        self._dirty[pgno] = data
        self._clean.pop(pgno, None)     # a spill may have cached an older image
        self._modified = True
        if len(self._dirty) > self.cache_size and self.wal is None and self.journal_mode != "off":
            self._spill()
        return data

    def _spill(self) -> None:
        """Cache spill (atomiccommit.html 6.3): a transaction with more dirty
        pages than the cache writes them to the database early, after the
        journal holding their originals is synced.  The journal is hot from
        then on, so a crash still rolls the transaction back."""
        if self._journal is None:
            self._journal = self._new_journal()
        try:
            self.file.lock(EXCLUSIVE)
        except BusyError:
            return                      # readers are active: keep the pages in memory
        self._journal.sync()
        f = self.file
        ps = self._page_size
        self._db_written = True
        for pgno in sorted(self._dirty):
            f.write((pgno - 1) * ps, self._dirty[pgno])
        self._dirty = {}
        self.node_cache.clear()

    # ------------------------------------------------------------------
    # Savepoints: undo part of a write transaction (lang_savepoint.html;
    # statement atomicity, lang_conflict.html ABORT).

    def savepoint(self) -> int:
        """Open a savepoint level; returns the depth it lives at."""
        if not self._in_write:
            raise InternalEngineError("savepoint outside a write transaction")
        self._savepoints.append(({}, self._page_count))
        self.moved_roots = {}
        return len(self._savepoints)

    def release(self, depth: int) -> None:
        """Keep the changes of levels >= depth; their records pass to the parent."""
        while len(self._savepoints) >= depth and self._savepoints:
            pages, _count = self._savepoints.pop()
            if self._savepoints:
                parent = self._savepoints[-1]
                for pgno, image in pages.items():
                    if pgno not in parent[0]:
                        parent[0][pgno] = image if pgno <= parent[1] else None

    def rollback_to(self, depth: int, *, keep: bool = False) -> None:
        """Undo every change since level ``depth`` began; the level stays open
        when ``keep`` (ROLLBACK TO), else it is closed too."""
        while len(self._savepoints) >= depth and self._savepoints:
            pages, count = self._savepoints[-1]
            for pgno, image in pages.items():
                if image is None:
                    self._dirty.pop(pgno, None)
                    self._clean.pop(pgno, None)
                else:
                    self._dirty[pgno] = image
            self._page_count = count
            if len(self._savepoints) == depth and keep:
                pages.clear()
                break
            self._savepoints.pop()
        self.node_cache.clear()
        self.moved_roots = {}

    def allocate(self, extend: bool = False) -> int:
        """A page for new content: the freelist first (unless ``extend``),
        then the end of the file.  In an auto_vacuum file the end skips
        pointer-map pages, which are created (zeroed) on the way."""
        if not self._in_write:
            raise InternalEngineError("allocate outside a write transaction")
        page1 = self.get(1)
        trunk = 0 if extend else _U32.unpack_from(page1, OFF_FREELIST_TRUNK)[0]
        count = _U32.unpack_from(page1, OFF_FREELIST_COUNT)[0]
        if trunk:
            self._check_freelist_page(trunk)
            tpage = self.get(trunk)
            nxt, n = struct.unpack_from(">II", tpage, 0)
            if n > self._usable // 4 - 2:
                raise corrupt(f"freelist trunk {trunk} claims {n} leaves")
            if n > 0:
                leaf = _U32.unpack_from(tpage, 8 + 4 * (n - 1))[0]
                self._check_freelist_page(leaf)
                t = bytearray(tpage)
                _U32.pack_into(t, 4, n - 1)
                _U32.pack_into(t, 8 + 4 * (n - 1), 0)
                self.write(trunk, t)
                self._set_header_u32(OFF_FREELIST_COUNT, max(count, 1) - 1)
                return leaf
            if nxt:
                self._check_freelist_page(nxt)
                if nxt == trunk:
                    raise corrupt(f"freelist trunk {trunk} points to itself")
            self._set_header_u32(OFF_FREELIST_TRUNK, nxt)
            self._set_header_u32(OFF_FREELIST_COUNT, max(count, 1) - 1)
            return trunk
        pgno = self._page_count + 1
        while True:
            if pgno == self.lock_byte_page:
                pgno += 1
            elif self.auto_vacuum and is_map_page(self, pgno):
                self._grow_to(pgno)
                self.write(pgno, bytes(self._page_size))
                pgno += 1
            else:
                break
        self._grow_to(pgno)
        return pgno

    def _grow_to(self, pgno: int) -> None:
        if pgno > 0xFFFFFFFE:
            from engine.errors import FullError
            raise FullError("database or disk is full")
        self._page_count = pgno
        self._modified = True

    @property
    def empty_new_file(self) -> bool:
        """Inside a write transaction on a file that had no pages, before
        anything was written (sqlite3 still lets auto_vacuum change)."""
        return self._in_write and self._orig_page_count == 0 and not self._modified

    def grow_pages(self, count: int) -> None:
        """Extend the database to ``count`` pages (VACUUM; the caller writes them)."""
        if not self._in_write:
            raise InternalEngineError("grow outside a write transaction")
        if count > self._page_count:
            self._grow_to(count)

    def truncate_pages(self, count: int) -> None:
        """Shrink the database to ``count`` pages (VACUUM); the file is cut
        at commit."""
        if not self._in_write:
            raise InternalEngineError("truncate outside a write transaction")
        if count < self._page_count:
            for pgno in [p for p in self._dirty if p > count]:
                if self._savepoints:
                    level = self._savepoints[-1]
                    if pgno not in level[0]:
                        level[0][pgno] = self._dirty[pgno] if pgno <= level[1] else None
                del self._dirty[pgno]
            for pgno in [p for p in self._clean if p > count]:
                del self._clean[pgno]
            self._page_count = max(1, count)
            self._modified = True

    def _check_freelist_page(self, pgno: int) -> None:
        if pgno < 2 or pgno > self._page_count or pgno == self.lock_byte_page:
            raise corrupt(f"freelist page {pgno} out of range")

    def free(self, pgno: int) -> None:
        """Put a page on the freelist (as a leaf of the first trunk if it has room)."""
        if not self._in_write:
            raise InternalEngineError("free outside a write transaction")
        if pgno < 2 or pgno > self._page_count or pgno == self.lock_byte_page:
            raise corrupt(f"free of page {pgno} out of range")
        if self.auto_vacuum:
            if is_map_page(self, pgno):
                raise corrupt(f"free of pointer-map page {pgno}")
            put_entry(self, pgno, FREEPAGE, 0)
        page1 = self.get(1)
        trunk = _U32.unpack_from(page1, OFF_FREELIST_TRUNK)[0]
        count = _U32.unpack_from(page1, OFF_FREELIST_COUNT)[0]
        if trunk:
            self._check_freelist_page(trunk)
            tpage = self.get(trunk)
            n = _U32.unpack_from(tpage, 4)[0]
            # SQLite leaves the last six slots of a trunk unused (fileformat2 1.5).
            if n < self._usable // 4 - 8:
                t = bytearray(tpage)
                _U32.pack_into(t, 8 + 4 * n, pgno)
                _U32.pack_into(t, 4, n + 1)
                self.write(trunk, t)
                self._set_header_u32(OFF_FREELIST_COUNT, count + 1)
                self.node_cache.pop(pgno, None)
                return
        page = bytearray(self._page_size)
        _U32.pack_into(page, 0, trunk)
        self.write(pgno, page)
        self._set_header_u32(OFF_FREELIST_TRUNK, pgno)
        self._set_header_u32(OFF_FREELIST_COUNT, count + 1)
        self.node_cache.pop(pgno, None)
