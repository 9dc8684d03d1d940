"""The write-ahead log and its wal-index (walformat.html, wal.html;
fileformat2.html section 4).

The WAL file is a 32-byte header (magic 0x377f0682/3, version 3007000, page
size, checkpoint sequence, two salts, a checksum) followed by frames: a
24-byte header (page number, database size in pages for a commit frame, the
salts, a cumulative checksum) and one page image.  The checksum runs over
32-bit words, little-endian when bit 0 of the magic is clear, big-endian when
it is set; each frame's checksum continues the previous one.

The wal-index (the ``-shm`` file) is laid out as sqlite3 lays it out, in the
machine's byte order, so a live sqlite3 process and the engine can share a
WAL database: two copies of a 48-byte header, the checkpoint information
(nBackfill, five read marks, eight lock bytes), then 32 KiB blocks each with
an array of page numbers (4062 in the first block, 4096 after) and a hash
table of 8192 16-bit slots.  The locks are sqlite3's: WRITE, CKPT, RECOVER and
READ(0..4) on bytes 120..127 of the -shm file.

One :class:`Wal` belongs to one connection (pager).  It keeps a private map
page -> frames rebuilt incrementally from the shared page-number arrays; the
hash tables are written for sqlite3's sake and never read here.
"""

from __future__ import annotations

import bisect
import struct
import sys
import time

from engine.errors import BusyError, CantOpenError, IOErr, corrupt

__all__ = ["Wal", "WalHeader", "wal_checksum", "WAL_MAGIC", "WAL_VERSION", "read_wal_frames"]

WAL_MAGIC = 0x377F0682
WAL_VERSION = 3007000
WAL_HEADER_SIZE = 32
FRAME_HEADER_SIZE = 24
READMARK_NOT_USED = 0xFFFFFFFF
NREADER = 5

LOCK_WRITE = 0
LOCK_CKPT = 1
LOCK_RECOVER = 2


def LOCK_READ(i: int) -> int:
    return 3 + i


# wal-index layout
INDEX_HDR_SIZE = 136
HASH_NPAGE = 4096
HASH_NSLOT = 8192
HASH_NPAGE_ONE = HASH_NPAGE - INDEX_HDR_SIZE // 4   # 4062
BLOCK_SIZE = HASH_NPAGE * 4 + HASH_NSLOT * 2          # 32768
CKPT_INFO = 96

_NATIVE = "<" if sys.byteorder == "little" else ">"
_IDX_HDR = struct.Struct(_NATIVE + "IIIBBHII2I8s2I")   # 48 bytes
_CKPT = struct.Struct(_NATIVE + "I5I")                 # nBackfill, aReadMark[5]
_U32N = struct.Struct(_NATIVE + "I")
_MASK = 0xFFFFFFFF


def wal_checksum(data, s0: int = 0, s1: int = 0, big_endian: bool = False) -> tuple[int, int]:
    """SQLite's WAL checksum over ``data`` (a multiple of 8 bytes), continuing
    from ``(s0, s1)``."""
    words = struct.unpack(("<", ">")[big_endian] + "%dI" % (len(data) // 4), data)
    it = iter(words)
    for a, b in zip(it, it):
        s0 = (s0 + a + s1) & _MASK
        s1 = (s1 + b + s0) & _MASK
    return s0, s1


class WalHeader:
    """The wal-index header (WalIndexHdr): what a snapshot is."""

    __slots__ = ("change", "big_endian", "page_size", "mx_frame", "n_page", "frame_cksum", "salt")

    def __init__(self, change=0, big_endian=False, page_size=0, mx_frame=0, n_page=0,
                 frame_cksum=(0, 0), salt=bytes(8)):
        self.change = change
        self.big_endian = big_endian
        self.page_size = page_size
        self.mx_frame = mx_frame
        self.n_page = n_page
        self.frame_cksum = tuple(frame_cksum)
        self.salt = bytes(salt)

    def key(self):
        return (self.change, self.mx_frame, self.salt, self.n_page, self.frame_cksum)

    def copy(self) -> "WalHeader":
        return WalHeader(self.change, self.big_endian, self.page_size, self.mx_frame, self.n_page,
                         self.frame_cksum, self.salt)

    def pack(self) -> bytes:
        sz = self.page_size
        raw = _IDX_HDR.pack(WAL_VERSION, 0, self.change, 1, int(self.big_endian),
                            ((sz & 0xFF00) | (sz >> 16)) & 0xFFFF, self.mx_frame, self.n_page,
                            self.frame_cksum[0], self.frame_cksum[1], self.salt, 0, 0)
        c0, c1 = wal_checksum(raw[:40], big_endian=_NATIVE == ">")
        return raw[:40] + _U32N.pack(c0) + _U32N.pack(c1)

    @classmethod
    def unpack(cls, raw: bytes) -> "WalHeader | None":
        (version, _unused, change, init, big, sz, mx, npage, fc0, fc1, salt,
         c0, c1) = _IDX_HDR.unpack(raw)
        if not init or version != WAL_VERSION:
            return None
        if wal_checksum(raw[:40], big_endian=_NATIVE == ">") != (c0, c1):
            return None
        page_size = (sz & 0xFE00) | ((sz & 1) << 16)
        return cls(change, bool(big), page_size, mx, npage, (fc0, fc1), salt)


def _valid_page_size(n: int) -> bool:
    return 512 <= n <= 65536 and n & (n - 1) == 0


def read_wal_frames(data: bytes):
    """Parse a whole WAL image as recovery does.  Returns ``(page_size,
    big_endian, salt, checkpoint_seq, frames, last_commit, commit_cksum)``
    where ``frames`` lists ``(pgno, commit_size)`` of every valid frame, or
    None when the header is not valid."""
    if len(data) < WAL_HEADER_SIZE:
        return None
    magic, version, page_size, ckpt_seq = struct.unpack_from(">IIII", data, 0)
    if magic & 0xFFFFFFFE != WAL_MAGIC or version != WAL_VERSION or not _valid_page_size(page_size):
        return None
    big = bool(magic & 1)
    cksum = wal_checksum(data[:24], big_endian=big)
    if cksum != struct.unpack_from(">II", data, 24):
        return None
    salt = bytes(data[16:24])
    frames = []
    last_commit = 0
    commit_cksum = cksum
    frame_size = FRAME_HEADER_SIZE + page_size
    offset = WAL_HEADER_SIZE
    while offset + frame_size <= len(data):
        pgno, commit = struct.unpack_from(">II", data, offset)
        if pgno == 0 or bytes(data[offset + 8:offset + 16]) != salt:
            break
        cksum = wal_checksum(data[offset:offset + 8], *cksum, big_endian=big)
        cksum = wal_checksum(data[offset + 24:offset + frame_size], *cksum, big_endian=big)
        if cksum != struct.unpack_from(">II", data, offset + 16):
            break
        frames.append((pgno, commit))
        if commit:
            last_commit = len(frames)
            commit_cksum = cksum
        offset += frame_size
    return page_size, big, salt, ckpt_seq, frames, last_commit, commit_cksum


class Wal:
    """One connection's handle on a database's WAL and wal-index."""

    def __init__(self, vfs, db_path: str, db_file, *, readonly: bool = False):
        self.vfs = vfs
        self.db_file = db_file
        self.wal_path = db_path + "-wal"
        self.readonly = readonly
        try:
            self.file = vfs.open(self.wal_path, create=not readonly, readonly=readonly)
        except CantOpenError:
            if not readonly:
                raise
            self.file = None
        self.shm = vfs.open_shm(db_path)
        self.hdr: WalHeader | None = None      # the snapshot of the open read
        self.read_lock = -1
        self.write_lock = False
        self.synchronous = 2
        self.busy = None                       # callable(attempt) from the pager
        # Local page -> frames map for frames 1..len(self._pgnos).
        self._pgnos: list[int] = []
        self._frames: dict[int, list[int]] = {}
        self._index_salt = None

    # ------------------------------------------------------------------
    # Shared-memory structures

    def _read_index_header(self) -> WalHeader | None:
        raw = self.shm.read(0, 96)
        if raw[:48] != raw[48:96]:
            return None
        return WalHeader.unpack(raw[:48])

    def _write_index_header(self, hdr: WalHeader) -> None:
        hdr.change = (hdr.change + 1) & _MASK
        packed = hdr.pack()
        self.shm.write(48, packed)
        self.shm.write(0, packed)

    def _ckpt_info(self) -> tuple[int, list[int]]:
        vals = _CKPT.unpack(self.shm.read(CKPT_INFO, 24))
        return vals[0], list(vals[1:])

    def _set_backfill(self, n: int) -> None:
        self.shm.write(CKPT_INFO, _U32N.pack(n))

    def _set_read_mark(self, i: int, value: int) -> None:
        self.shm.write(CKPT_INFO + 4 + 4 * i, _U32N.pack(value))

    def _set_backfill_attempted(self, n: int) -> None:
        self.shm.write(128, _U32N.pack(n))

    @staticmethod
    def _block_of(frame: int) -> tuple[int, int, int]:
        """(block number, offset of its page array, first frame - 1) for ``frame``."""
        if frame <= HASH_NPAGE_ONE:
            return 0, INDEX_HDR_SIZE, 0
        block = (frame - HASH_NPAGE_ONE - 1) // HASH_NPAGE + 1
        return block, block * BLOCK_SIZE, HASH_NPAGE_ONE + (block - 1) * HASH_NPAGE

    def _append_index(self, first_frame: int, pgnos: list[int]) -> None:
        """Put frames ``first_frame ..`` into the shared page arrays and hash tables."""
        i = 0
        while i < len(pgnos):
            frame = first_frame + i
            block, arr_off, zero = self._block_of(frame)
            capacity = (HASH_NPAGE_ONE if block == 0 else HASH_NPAGE)
            n = min(len(pgnos) - i, zero + capacity - frame + 1)
            hash_off = block * BLOCK_SIZE + HASH_NPAGE * 4
            idx = frame - zero                       # 1-based within the block
            if idx == 1:
                arr = bytearray(capacity * 4)
                slots = bytearray(HASH_NSLOT * 2)
            else:
                arr = bytearray(self.shm.read(arr_off, capacity * 4))
                slots = bytearray(self.shm.read(hash_off, HASH_NSLOT * 2))
                if _U32N.unpack_from(arr, (idx - 1) * 4)[0]:
                    # Entries of an abandoned transaction: drop those >= idx.
                    for s in range(HASH_NSLOT):
                        v = struct.unpack_from(_NATIVE + "H", slots, 2 * s)[0]
                        if v >= idx:
                            struct.pack_into(_NATIVE + "H", slots, 2 * s, 0)
                    arr[(idx - 1) * 4:] = bytes(len(arr) - (idx - 1) * 4)
                    self._rehash(arr, slots, idx - 1)
            for k in range(n):
                pgno = pgnos[i + k]
                j = idx + k
                _U32N.pack_into(arr, (j - 1) * 4, pgno)
                key = (pgno * 383) & (HASH_NSLOT - 1)
                for _ in range(HASH_NSLOT):
                    if not struct.unpack_from(_NATIVE + "H", slots, 2 * key)[0]:
                        break
                    key = (key + 1) & (HASH_NSLOT - 1)
                struct.pack_into(_NATIVE + "H", slots, 2 * key, j)
            self.shm.write(arr_off, bytes(arr))
            self.shm.write(hash_off, bytes(slots))
            i += n

    @staticmethod
    def _rehash(arr: bytearray, slots: bytearray, count: int) -> None:
        """Rebuild a block's hash table from its first ``count`` entries
        (open addressing breaks when slots are just zeroed)."""
        slots[:] = bytes(len(slots))
        for j in range(1, count + 1):
            pgno = _U32N.unpack_from(arr, (j - 1) * 4)[0]
            key = (pgno * 383) & (HASH_NSLOT - 1)
            while struct.unpack_from(_NATIVE + "H", slots, 2 * key)[0]:
                key = (key + 1) & (HASH_NSLOT - 1)
            struct.pack_into(_NATIVE + "H", slots, 2 * key, j)

    def _sync_local_index(self, hdr: WalHeader) -> None:
        """Extend the private page -> frames map to ``hdr.mx_frame``."""
        if self._index_salt != hdr.salt or len(self._pgnos) > hdr.mx_frame:
            self._pgnos = []
            self._frames = {}
            self._index_salt = hdr.salt
        have = len(self._pgnos)
        while have < hdr.mx_frame:
            frame = have + 1
            block, arr_off, zero = self._block_of(frame)
            capacity = HASH_NPAGE_ONE if block == 0 else HASH_NPAGE
            last = min(hdr.mx_frame, zero + capacity)
            raw = self.shm.read(arr_off + (frame - zero - 1) * 4, (last - frame + 1) * 4)
            for k, pgno in enumerate(struct.unpack(_NATIVE + "%dI" % (last - frame + 1), raw)):
                self._pgnos.append(pgno)
                self._frames.setdefault(pgno, []).append(frame + k)
            have = last

    # ------------------------------------------------------------------
    # Recovery (walIndexRecover): rebuild the wal-index from the WAL file

    def _recover(self) -> WalHeader:
        shm = self.shm
        if not shm.lock_exclusive(LOCK_WRITE):
            raise BusyError("database is locked")
        try:
            if not shm.lock_exclusive(LOCK_CKPT, 2):
                raise BusyError("database is locked")
            try:
                hdr = self._read_index_header()
                if hdr is not None:
                    return hdr        # someone else recovered meanwhile
                hdr = WalHeader()
                size = self.file.size() if self.file is not None else 0
                parsed = read_wal_frames(self.file.read(0, size)) if size >= WAL_HEADER_SIZE else None
                pgnos = []
                if parsed is not None:
                    page_size, big, salt, _seq, frames, last_commit, cksum = parsed
                    hdr.page_size = page_size
                    hdr.big_endian = big
                    hdr.salt = salt
                    hdr.frame_cksum = cksum
                    if last_commit:
                        hdr.mx_frame = last_commit
                        hdr.n_page = frames[last_commit - 1][1]
                        pgnos = [p for p, _c in frames[:last_commit]]
                if pgnos:
                    self._append_index(1, pgnos)
                self._set_backfill(0)
                self._set_backfill_attempted(hdr.mx_frame)
                self._set_read_mark(0, 0)
                for i in range(1, NREADER):
                    if shm.lock_exclusive(LOCK_READ(i)):
                        self._set_read_mark(i, hdr.mx_frame if i == 1 and hdr.mx_frame else READMARK_NOT_USED)
                        shm.unlock(LOCK_READ(i))
                self._write_index_header(hdr)
                return hdr
            finally:
                shm.unlock(LOCK_CKPT, 2)
        finally:
            shm.unlock(LOCK_WRITE)

    def _current_header(self) -> WalHeader:
        for _ in range(100):
            hdr = self._read_index_header()
            if hdr is not None:
                return hdr
            try:
                return self._recover()
            except BusyError:
                time.sleep(0.001)
        raise BusyError("database is locked")

    # ------------------------------------------------------------------
    # Read transactions (walTryBeginRead)

    def begin_read(self, use_wal: bool = False) -> bool:
        """Take a snapshot.  Returns True when it differs from the last one.
        ``use_wal`` forbids read mark 0 (reading the database file only)."""
        if self.read_lock >= 0:
            return False
        shm = self.shm
        deadline = time.monotonic() + 5.0
        delay = 0.0005
        while True:
            hdr = self._current_header()
            backfill, marks = self._ckpt_info()
            got = -1
            if not use_wal and hdr.mx_frame == backfill and shm.lock_shared(LOCK_READ(0)):
                got = 0
            else:
                best, best_i = 0, 0
                for i in range(1, NREADER):
                    m = marks[i]
                    if best <= m <= hdr.mx_frame:
                        best, best_i = m, i
                if best < hdr.mx_frame or best_i == 0:
                    for i in range(1, NREADER):
                        if shm.lock_exclusive(LOCK_READ(i)):
                            self._set_read_mark(i, hdr.mx_frame)
                            shm.unlock(LOCK_READ(i))
                            best, best_i = hdr.mx_frame, i
                            break
                if best_i and shm.lock_shared(LOCK_READ(best_i)):
                    if self._ckpt_info()[1][best_i] == best:
                        got = best_i
                    else:
                        shm.unlock(LOCK_READ(best_i))
            if got >= 0:
                now = self._read_index_header()
                if now is not None and now.key() == hdr.key():
                    changed = self.hdr is None or self.hdr.key() != hdr.key()
                    self.read_lock = got
                    self.hdr = hdr
                    if got > 0:
                        self._sync_local_index(hdr)
                    return changed
                shm.unlock(LOCK_READ(got))
            if time.monotonic() > deadline:
                raise BusyError("database is locked")
            time.sleep(delay)
            delay = min(delay * 2, 0.01)

    def end_read(self) -> None:
        if self.read_lock >= 0:
            self.shm.unlock(LOCK_READ(self.read_lock))
            self.read_lock = -1

    def find_frame(self, pgno: int) -> int:
        """The frame holding ``pgno`` in the current snapshot, or 0."""
        if self.read_lock <= 0:
            return 0
        frames = self._frames.get(pgno)
        if not frames:
            return 0
        i = bisect.bisect_right(frames, self.hdr.mx_frame)
        return frames[i - 1] if i else 0

    def pages_changed_since(self, old_mx: int) -> set[int]:
        return set(self._pgnos[old_mx:self.hdr.mx_frame])

    def read_frame(self, frame: int, page_size: int) -> bytes:
        offset = WAL_HEADER_SIZE + (frame - 1) * (FRAME_HEADER_SIZE + page_size) + FRAME_HEADER_SIZE
        data = self.file.read(offset, page_size)
        if len(data) < page_size:
            raise corrupt("WAL frame beyond the end of the WAL file")
        return data

    @property
    def db_size(self) -> int:
        """Pages in the snapshot's database (0: take the database file's)."""
        if self.hdr is None or self.read_lock < 0:
            return 0
        return self.hdr.n_page

    # ------------------------------------------------------------------
    # Write transactions

    def begin_write(self) -> None:
        """The WRITE lock, valid only if the snapshot is still the newest."""
        if self.write_lock:
            return
        if self.readonly:
            from engine.errors import ReadOnlyError
            raise ReadOnlyError("attempt to write a readonly database")
        if not self.shm.lock_exclusive(LOCK_WRITE):
            raise BusyError("database is locked")
        now = self._read_index_header()
        if now is None or now.key() != self.hdr.key():
            self.shm.unlock(LOCK_WRITE)
            raise BusyError("database is locked")   # SQLITE_BUSY_SNAPSHOT
        self.write_lock = True

    def end_write(self) -> None:
        if self.write_lock:
            self.shm.unlock(LOCK_WRITE)
            self.write_lock = False

    def _restart_if_checkpointed(self) -> None:
        """walRestartLog: start the WAL over when every frame is in the
        database and no reader uses it; then read at a real mark."""
        if self.read_lock != 0:
            return
        backfill, _marks = self._ckpt_info()
        if backfill > 0 and self.shm.lock_exclusive(LOCK_READ(1), NREADER - 1):
            try:
                self._restart_header()
            finally:
                self.shm.unlock(LOCK_READ(1), NREADER - 1)
        self.shm.unlock(LOCK_READ(0))
        self.read_lock = -1
        self.begin_read(use_wal=True)

    def _restart_header(self) -> None:
        hdr = self.hdr
        hdr.mx_frame = 0
        salt1 = (struct.unpack(">I", hdr.salt[:4])[0] + 1) & _MASK
        hdr.salt = struct.pack(">I", salt1) + self.vfs.randomness(4)
        self._write_index_header(hdr)
        self._set_backfill(0)
        self._set_backfill_attempted(0)
        self._set_read_mark(1, 0)
        for i in range(2, NREADER):
            self._set_read_mark(i, READMARK_NOT_USED)

    def write_frames(self, pages, db_size: int, page_size: int) -> None:
        """Append one committed transaction: ``pages`` is [(pgno, image)]
        sorted by page number; the last frame is the commit frame."""
        if not self.write_lock:
            raise BusyError("database is locked")
        self._restart_if_checkpointed()
        saved = self.hdr.copy()
        try:
            self._write_frames(pages, db_size, page_size)
        except BaseException:
            # Disk full or an I/O error: take the frames back (a commit frame
            # that reached the file would commit the transaction for the
            # next reader's recovery) and keep the header as it was.
            self.hdr = saved
            end = WAL_HEADER_SIZE + saved.mx_frame * (FRAME_HEADER_SIZE + page_size) if saved.mx_frame else 0
            try:
                if self.file.size() > end:
                    self.file.truncate(end)
            except Exception:
                pass
            raise

    def _write_frames(self, pages, db_size: int, page_size: int) -> None:
        hdr = self.hdr
        f = self.file
        sync_on = self.synchronous > 0
        if hdr.mx_frame == 0:
            old = f.read(0, WAL_HEADER_SIZE) if f.size() >= WAL_HEADER_SIZE else b""
            seq = struct.unpack_from(">I", old, 12)[0] + 1 if len(old) == WAL_HEADER_SIZE else 0
            if hdr.salt == bytes(8) or (len(old) == WAL_HEADER_SIZE and old[16:24] == hdr.salt):
                salt1 = (struct.unpack(">I", hdr.salt[:4])[0] + 1) & _MASK
                hdr.salt = struct.pack(">I", salt1) + self.vfs.randomness(4)
            head = struct.pack(">IIII", WAL_MAGIC | (1 if _NATIVE == ">" else 0), WAL_VERSION,
                               page_size, seq & _MASK) + hdr.salt
            cksum = wal_checksum(head, big_endian=_NATIVE == ">")
            f.write(0, head + struct.pack(">II", *cksum))
            if sync_on:
                f.sync()
            hdr.big_endian = _NATIVE == ">"
            hdr.page_size = page_size
            hdr.frame_cksum = cksum
        elif hdr.page_size != page_size:
            raise corrupt("WAL page size differs from the database's")
        big = hdr.big_endian
        cksum = hdr.frame_cksum
        frame_size = FRAME_HEADER_SIZE + page_size
        first = hdr.mx_frame + 1
        chunks = []
        n = len(pages)
        for k, (pgno, data) in enumerate(pages):
            head8 = struct.pack(">II", pgno, db_size if k == n - 1 else 0)
            cksum = wal_checksum(head8, *cksum, big_endian=big)
            cksum = wal_checksum(data, *cksum, big_endian=big)
            chunks.append(head8 + hdr.salt + struct.pack(">II", *cksum) + data)
        # Write in pieces of at most ~1 MiB so a crash test sees several writes.
        offset = WAL_HEADER_SIZE + (first - 1) * frame_size
        batch = max(1, (1 << 20) // frame_size)
        for i in range(0, n, batch):
            f.write(offset + i * frame_size, b"".join(chunks[i:i + batch]))
        if self.synchronous >= 2:
            f.sync()
        self._append_index(first, [p for p, _d in pages])
        new = hdr.copy()
        new.mx_frame = hdr.mx_frame + n
        new.n_page = db_size
        new.frame_cksum = cksum
        self._write_index_header(new)
        self.hdr = new
        self._sync_local_index(new)

    # ------------------------------------------------------------------
    # Checkpoints (walCheckpoint)

    @property
    def frame_count(self) -> int:
        hdr = self._read_index_header()
        return hdr.mx_frame if hdr is not None else 0

    def checkpoint(self, mode: str, page_size: int, busy_wait) -> tuple[int, int, int]:
        """Copy frames back into the database.  ``mode`` is PASSIVE, FULL,
        RESTART or TRUNCATE; ``busy_wait(fn)`` retries ``fn`` while it
        returns False, within the busy timeout.  Returns sqlite3's
        ``(busy, log frames, checkpointed frames)``."""
        shm = self.shm
        if not shm.lock_exclusive(LOCK_CKPT):
            return 1, -1, -1
        busy = 0
        took_write = False
        try:
            if mode != "PASSIVE" and not self.write_lock:
                if busy_wait(lambda: shm.lock_exclusive(LOCK_WRITE)):
                    took_write = True
                else:
                    busy = 1
                    mode = "PASSIVE"
                    busy_wait = _no_wait
            hdr = self._current_header()
            if hdr.mx_frame and hdr.page_size != page_size:
                raise corrupt("WAL page size differs from the database's")
            self._sync_local_index(hdr)
            backfill, marks = self._ckpt_info()
            if backfill < hdr.mx_frame:
                safe = hdr.mx_frame
                for i in range(1, NREADER):
                    if safe > marks[i]:
                        if busy_wait(lambda i=i: shm.lock_exclusive(LOCK_READ(i))):
                            self._set_read_mark(i, safe if i == 1 else READMARK_NOT_USED)
                            shm.unlock(LOCK_READ(i))
                        else:
                            safe = marks[i]
                            busy_wait = _no_wait
                if backfill < safe and busy_wait(lambda: shm.lock_exclusive(LOCK_READ(0))):
                    try:
                        self._backfill(hdr, backfill, safe, page_size)
                    finally:
                        shm.unlock(LOCK_READ(0))
            backfill, _marks = self._ckpt_info()
            if mode != "PASSIVE":
                if backfill < hdr.mx_frame:
                    busy = 1
                elif mode in ("RESTART", "TRUNCATE"):
                    if busy_wait(lambda: shm.lock_exclusive(LOCK_READ(1), NREADER - 1)):
                        try:
                            if mode == "TRUNCATE":
                                self.hdr = hdr
                                self._restart_header()
                                hdr = self.hdr
                                self.file.truncate(0)
                        finally:
                            shm.unlock(LOCK_READ(1), NREADER - 1)
                    else:
                        busy = 1
            final = self._read_index_header() or hdr
            return busy, final.mx_frame, self._ckpt_info()[0]
        finally:
            if took_write:
                shm.unlock(LOCK_WRITE)
            shm.unlock(LOCK_CKPT)

    def _backfill(self, hdr: WalHeader, backfill: int, safe: int, page_size: int) -> None:
        self._set_backfill_attempted(safe)
        if self.synchronous > 0:
            self.file.sync()
        latest: dict[int, int] = {}
        for frame in range(backfill + 1, safe + 1):
            latest[self._pgnos[frame - 1]] = frame
        db = self.db_file
        for pgno in sorted(latest):
            if pgno > hdr.n_page:
                continue
            db.write((pgno - 1) * page_size, self.read_frame(latest[pgno], page_size))
        if safe == hdr.mx_frame:
            db.truncate(hdr.n_page * page_size)
        if self.synchronous > 0:
            db.sync()
        self._set_backfill(safe)

    # ------------------------------------------------------------------

    def close(self, delete: bool) -> None:
        self.end_read()
        self.end_write()
        try:
            if self.file is not None:
                self.file.close()
            if delete:
                self.vfs.delete(self.wal_path)
        finally:
            self.shm.close(delete=delete)


def _no_wait(fn) -> bool:
    return bool(fn())


__all__ += ["IOErr"]
