"""The rollback journal (fileformat2.html section 3; atomiccommit.html
sections 3 and 4.2-4.5).

A journal is a sequence of segments.  Each segment starts, on a sector
boundary, with a header (magic, record count "nRec", checksum nonce, initial
database size in pages, sector size, page size) padded to one sector, and is
followed by nRec page records ``pgno | original page | checksum``.  SQLite
writes a new segment each time it syncs the journal mid-transaction (cache
spill), and in its default synchronous=FULL mode writes a segment's magic and
nRec only when that segment is synced, so an unsynced tail segment reads as
"no magic" and ends playback.

:class:`JournalWriter` writes a journal the same way (a segment per sync;
magic and nRec written between two syncs).  :func:`read_journal` parses any
journal SQLite or we wrote and yields the page records that a rollback must
restore, following SQLite's rules: stop at the first invalid header, a record
with page number 0 or the lock-byte page, or (for hot journals) a bad
checksum; skip pages beyond the initial size and pages already restored.
"""

from __future__ import annotations

import struct

from engine.storage.vfs import PENDING_BYTE, VFS, VFSFile

__all__ = [
    "JOURNAL_MAGIC", "DEFAULT_SECTOR_SIZE", "journal_checksum",
    "JournalWriter", "JournalContents", "read_journal", "super_journal_name",
]

JOURNAL_MAGIC = bytes((0xD9, 0xD5, 0x05, 0xF9, 0x20, 0xA1, 0x63, 0xD7))
DEFAULT_SECTOR_SIZE = 512   # what sqlite3's unix VFS reports on Linux
_HDR = struct.Struct(">8sIIIII")
_U32 = struct.Struct(">I")


def journal_checksum(nonce: int, page: bytes) -> int:
    """The sparse checksum of section 3: nonce plus every 200th byte from the end."""
    total = nonce
    i = len(page) - 200
    while i > 0:
        total += page[i]
        i -= 200
    return total & 0xFFFFFFFF


def _power_of_two(n: int, lo: int, hi: int) -> bool:
    return lo <= n <= hi and n & (n - 1) == 0


class JournalWriter:
    """Appends original page images to a new journal file.

    Each sync closes the current segment (its magic and nRec are written
    then); records appended after it go into a new segment that starts on
    the next sector boundary, as sqlite3 does when it spills the cache in
    the middle of a transaction.  With synchronous=OFF there is one segment
    whose nRec is 0xFFFFFFFF ("to the end of the file")."""

    def __init__(self, vfs: VFS, path: str, page_size: int, initial_pages: int,
                 sector_size: int = DEFAULT_SECTOR_SIZE, *, synchronous: int = 2):
        self.vfs = vfs
        self.path = path
        self.page_size = page_size
        self.sector_size = max(sector_size, 512)
        self.initial_pages = initial_pages
        self.nonce = _U32.unpack(vfs.randomness(4))[0]
        self.count = 0                 # records in the whole journal
        self.file: VFSFile = vfs.open(path, create=True)
        self.file.truncate(0)
        self.synchronous = synchronous
        self._dir_synced = False
        self._segment_at = 0           # offset of the open segment's header
        self._segment_count = 0        # records in the open segment
        self._segment_open = False
        self._end = 0                  # where the next record goes
        self._open_segment(0)

    def _open_segment(self, offset: int) -> None:
        # With syncs on, magic and nRec stay zero until sync(): an unsynced
        # segment is never played back.
        header = bytearray(self.sector_size)
        if self.synchronous:
            _HDR.pack_into(header, 0, bytes(8), 0, self.nonce, self.initial_pages,
                           self.sector_size, self.page_size)
        else:
            _HDR.pack_into(header, 0, JOURNAL_MAGIC, 0xFFFFFFFF, self.nonce, self.initial_pages,
                           self.sector_size, self.page_size)
        self.file.write(offset, bytes(header))
        self._segment_at = offset
        self._segment_count = 0
        self._segment_open = True
        self._end = offset + self.sector_size

    def append(self, pgno: int, page: bytes) -> None:
        if not self._segment_open:
            sector = self.sector_size
            self._open_segment(-(-self._end // sector) * sector)
        rec = _U32.pack(pgno) + page + _U32.pack(journal_checksum(self.nonce, page))
        self.file.write(self._end, rec)
        self._end += len(rec)
        self._segment_count += 1
        self.count += 1

    def sync(self) -> None:
        """Make the records durable, then mark the segment valid and sync again."""
        if not self.synchronous:
            return
        if not self._segment_open:
            return
        if self.synchronous >= 2:
            self.file.sync()
        self.file.write(self._segment_at, JOURNAL_MAGIC + _U32.pack(self._segment_count))
        self.file.sync()
        if not self._dir_synced:
            self.vfs.sync_directory(self.path)
            self._dir_synced = True
        self._segment_open = False

    def close(self) -> None:
        self.file.close()

    def close_and_delete(self) -> None:
        self.file.close()
        self.vfs.delete(self.path)


class JournalContents:
    """What a rollback needs: the initial size, the page size and the pages."""

    def __init__(self, initial_pages: int | None, page_size: int | None, records):
        self.initial_pages = initial_pages   # None: no valid header, nothing to do
        self.page_size = page_size
        self.records = records               # list of (pgno, page bytes)

    @property
    def valid(self) -> bool:
        return self.initial_pages is not None


def read_journal(file: VFSFile, *, hot: bool = True) -> JournalContents:
    """Parse a rollback journal.  ``hot`` selects SQLite's hot-journal rules
    (nRec=0 means an empty segment; bad checksums end playback)."""
    size = file.size()
    offset = 0
    initial_pages = None
    page_size = None
    sector_size = None
    records: list[tuple[int, bytes]] = []
    done: set[int] = set()
    while True:
        if sector_size is not None:
            offset = -(-offset // sector_size) * sector_size   # next sector boundary
        if offset + 28 > size:
            break
        raw = file.read(offset, 28)
        if len(raw) < 28:
            break
        magic, nrec, nonce, db_pages, sec, psz = _HDR.unpack(raw)
        if magic != JOURNAL_MAGIC:
            break
        if not _power_of_two(psz, 512, 65536) or not _power_of_two(sec, 32, 65536):
            break
        if sector_size is None:
            sector_size, page_size, initial_pages = sec, psz, db_pages
        elif psz != page_size or sec != sector_size:
            break
        if offset + sector_size > size:
            break
        rec_size = page_size + 8
        offset += sector_size
        if nrec == 0xFFFFFFFF or (nrec == 0 and not hot):
            # No-sync journal, or our own unsynced tail: records run to end of file.
            nrec = (size - offset) // rec_size
        stop = False
        lock_page = PENDING_BYTE // page_size + 1
        for _ in range(nrec):
            if offset + rec_size > size:
                stop = True
                break
            rec = file.read(offset, rec_size)
            offset += rec_size
            if len(rec) < rec_size:
                stop = True
                break
            pgno = _U32.unpack_from(rec, 0)[0]
            if pgno == 0 or pgno == lock_page:
                stop = True
                break
            data = rec[4:4 + page_size]
            if hot and journal_checksum(nonce, data) != _U32.unpack_from(rec, 4 + page_size)[0]:
                stop = True
                break
            if pgno > initial_pages or pgno in done:
                continue
            done.add(pgno)
            records.append((pgno, data))
        if stop:
            break
    return JournalContents(initial_pages, page_size, records)


def super_journal_name(file: VFSFile) -> str | None:
    """The super-journal named at the end of a journal, if any (atomiccommit.html 5)."""
    size = file.size()
    if size < 16:
        return None
    tail = file.read(size - 16, 16)
    if len(tail) < 16 or tail[8:] != JOURNAL_MAGIC:
        return None
    length, checksum = struct.unpack(">II", tail[:8])
    if length == 0 or length > 65536 or length + 16 + 4 > size:
        return None
    name = file.read(size - 16 - length, length)
    if sum(name) & 0xFFFFFFFF != checksum:
        return None
    name = name.split(b"\0", 1)[0]
    if not name:
        return None
    return name.decode("utf-8", "replace")
