"""The pager's WAL side (wal.html; pragma.html journal_mode, wal_checkpoint):
entering and leaving WAL mode, opening the WAL of a database that has one,
snapshot changes seen by the page cache, commits as WAL frames,
checkpoints, and the last connection's checkpoint-and-delete on close.

A mixin of :class:`engine.storage.pager.Pager`; the database file keeps a
SHARED lock for as long as the connection uses the WAL, as sqlite3's pager
does.
"""

from __future__ import annotations

import struct

from engine.errors import BusyError, SQLError
from engine.storage.vfs import EXCLUSIVE, NONE, SHARED
from engine.storage.wal import Wal

__all__ = ["WalMode", "JOURNAL_MODES", "CHECKPOINT_MODES"]

JOURNAL_MODES = ("delete", "truncate", "persist", "memory", "off", "wal")
CHECKPOINT_MODES = ("PASSIVE", "FULL", "RESTART", "TRUNCATE")

HEADER_MAGIC = b"SQLite format 3\x00"
OFF_WRITE_VERSION = 18
OFF_READ_VERSION = 19
OFF_DB_SIZE = 28
_U32 = struct.Struct(">I")


class WalMode:
    def _open_wal_if_present(self) -> None:
        wal_path = self.path + "-wal"
        size = self.file.size()
        if size == 0:
            if self.vfs.exists(wal_path) and not self.readonly:
                self.vfs.delete(wal_path)     # a WAL beside an empty database is stale
            return
        head = self.file.read(0, 20)
        wal_format = len(head) == 20 and head[:16] == HEADER_MAGIC and head[19] == 2
        if self.vfs.exists(wal_path) or (wal_format and not self._leaving_wal):
            self._start_wal()

    def _start_wal(self) -> None:
        wal = Wal(self.vfs, self.path, self.file, readonly=self.readonly)
        wal.synchronous = self.synchronous
        self.wal = wal
        self.journal_mode = "wal"
        self._wal_view = None
        self.drop_cache()

    def _refresh_wal_view(self) -> None:
        """Drop cached pages that newer frames replaced since our last snapshot."""
        hdr = self.wal.hdr
        view = (hdr.salt, hdr.mx_frame)
        old = self._wal_view
        if old == view:
            return
        if old is not None and old[0] == view[0] and old[1] <= view[1] and self.wal.read_lock > 0:
            for pgno in self.wal.pages_changed_since(old[1]):
                self._clean.pop(pgno, None)
            self.node_cache.clear()
        else:
            self._clean.clear()
            self.node_cache.clear()
        self._wal_view = view

    def checkpoint(self, mode: str = "PASSIVE") -> tuple[int, int, int]:
        """PRAGMA wal_checkpoint(mode): sqlite3's (busy, log, checkpointed)."""
        mode = mode.upper()
        if mode not in CHECKPOINT_MODES:
            mode = "PASSIVE"
        if self.wal is None:
            return 0, -1, -1
        if self._in_write:
            from engine.errors import LockedError
            raise LockedError("database table is locked")
        reading = self._in_read
        if reading:
            self._in_read = False
            self.wal.end_read()
        self.wal.synchronous = self.synchronous

        def busy_wait(fn) -> bool:
            def attempt():
                if not fn():
                    raise BusyError("database is locked")
            try:
                self._retry(attempt)
                return True
            except BusyError:
                return False
        try:
            return self.wal.checkpoint(mode, self._page_size, busy_wait)
        finally:
            if reading:
                self.begin_read()

    def set_journal_mode(self, mode: str, *, in_transaction: bool = False) -> str:
        """PRAGMA journal_mode=mode; returns the mode now in force."""
        mode = mode.lower()
        old = self.journal_mode
        if mode not in JOURNAL_MODES or mode == old:
            return old
        if mode == "wal" or old == "wal":
            if in_transaction or self._in_write:
                raise SQLError("cannot change %s wal mode from within a transaction"
                               % ("into" if mode == "wal" else "out of"))
            if self.readonly:
                return old
            reading = self._in_read
            if mode == "wal":
                if reading:
                    self.end_read()
                self._set_format_version(2)
                self._lock(SHARED)
                self._start_wal()
            else:
                if reading:
                    self._in_read = False
                    self.wal.end_read()
                try:
                    self.file.lock(EXCLUSIVE)
                except BusyError:
                    self.file.unlock(SHARED)
                    if reading:
                        self.begin_read()
                    raise
                try:
                    self.wal.synchronous = self.synchronous
                    self.wal.checkpoint("PASSIVE", self._page_size, lambda fn: bool(fn()))
                    self.wal.close(delete=True)
                finally:
                    self.wal = None
                    self.file.unlock(NONE)
                self.journal_mode = mode
                self.drop_cache()
                self._leaving_wal = True
                try:
                    self._set_format_version(1)
                finally:
                    self._leaving_wal = False
            if reading:
                self.begin_read()
            return mode
        if old in ("persist", "truncate") and mode in ("delete", "off", "memory"):
            if self.vfs.exists(self.journal_path) and not self._in_write \
                    and not self.file.check_reserved_lock():
                self.vfs.delete(self.journal_path)
        self.journal_mode = mode
        return mode

    def _set_format_version(self, version: int) -> None:
        """Write bytes 18 and 19 of the header (1: rollback journal, 2: WAL)."""
        self.begin_write()
        try:
            page1 = bytearray(self.get(1))
            if page1[OFF_WRITE_VERSION] != version or page1[OFF_READ_VERSION] != version:
                page1[OFF_WRITE_VERSION] = page1[OFF_READ_VERSION] = version
                self.write(1, page1)
            self.commit()
        except BaseException:
            self.rollback()
            raise

    def _commit_wal(self) -> None:
        # In WAL mode sqlite3 keeps the change counter; the in-header size
        # follows the database (btree.c does that as pages are allocated).
        page1 = self.get(1)
        if _U32.unpack_from(page1, OFF_DB_SIZE)[0] != self._page_count or page1[24:28] != page1[92:96]:
            page1 = bytearray(page1)
            _U32.pack_into(page1, OFF_DB_SIZE, self._page_count)
            page1[92:96] = page1[24:28]
            self.write(1, page1)
        wal = self.wal
        wal.synchronous = self.synchronous
        pages = sorted(self._dirty.items())
        try:
            wal.write_frames(pages, self._page_count, self._page_size)
        except BaseException:
            # Disk full or an I/O error: the transaction is rolled back.
            self._fail_commit()
            raise
        cache = self._clean
        for pgno, data in pages:
            cache[pgno] = data
        while len(cache) > self.cache_size:
            cache.popitem(last=False)
        self._wal_view = (wal.hdr.salt, wal.hdr.mx_frame)
        if self.wal_autocheckpoint > 0 and wal.hdr.mx_frame >= self.wal_autocheckpoint:
            self._checkpoint_due = True
        self._finish_write()

    def _close_wal(self) -> None:
        """The last connection checkpoints and deletes the WAL and -shm
        (sqlite3WalClose); it knows it is last when it gets EXCLUSIVE."""
        wal = self.wal
        delete = False
        try:
            if not self.readonly:
                try:
                    self.file.lock(EXCLUSIVE)
                    wal.synchronous = self.synchronous
                    busy, _log, _done = wal.checkpoint("PASSIVE", self._page_size, lambda fn: bool(fn()))
                    delete = not busy
                except BusyError:
                    pass
        finally:
            self.wal = None
            try:
                wal.close(delete=delete)
            finally:
                self.file.unlock(NONE)
