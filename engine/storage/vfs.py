"""The VFS: every byte the engine reads or writes goes through here.

Implements the operating-system interface SQLite describes in lockingv3.html
(sections 2 and 3: the five lock states and how they map onto POSIX advisory
locks) and the durability points of atomiccommit.html (``sync`` is the only
way data reaches stable storage).

* :class:`OSVFS` uses real files.  Its locks are POSIX ``fcntl`` record locks
  on exactly the bytes SQLite's unix VFS uses (the pending byte at
  0x40000000, the reserved byte after it, and the 510-byte shared range after
  that), so an engine connection and a ``sqlite3`` process exclude each other.
  POSIX locks belong to a process, not to a file descriptor, so connections
  inside one process are arbitrated by an in-process table keyed by inode
  (the same idea as SQLite's ``unixInodeInfo``), and descriptors are not
  closed while another connection of this process holds a lock on the file
  (closing any descriptor would drop all of the process's locks).
* :class:`MemoryVFS` keeps files in a dict (``:memory:`` databases and
  tests); it uses the same in-process lock table without OS locks.
* :class:`FaultVFS` is a memory VFS that crashes on a chosen operation and
  then shows the files as a power loss would leave them (only synced data
  is certain to survive).

OS failures are turned into the engine's errors (``IOErr``, ``FullError``,
``CantOpenError``, ``BusyError``); no raw ``OSError`` leaves this module.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import struct
import threading
from enum import IntEnum

from engine.errors import (
    SQLITE_IOERR_DELETE,
    SQLITE_IOERR_FSYNC,
    SQLITE_IOERR_LOCK,
    SQLITE_IOERR_READ,
    SQLITE_IOERR_TRUNCATE,
    SQLITE_IOERR_WRITE,
    BusyError,
    CantOpenError,
    FullError,
    InternalEngineError,
    IOErr,
)

__all__ = [
    "LockLevel", "NONE", "SHARED", "RESERVED", "PENDING", "EXCLUSIVE",
    "PENDING_BYTE", "RESERVED_BYTE", "SHARED_FIRST", "SHARED_SIZE",
    "VFS", "VFSFile", "OSVFS", "MemoryVFS", "FaultVFS", "SimulatedCrash", "default_vfs",
]


class LockLevel(IntEnum):
    NONE = 0
    SHARED = 1
    RESERVED = 2
    PENDING = 3
    EXCLUSIVE = 4


NONE = LockLevel.NONE
SHARED = LockLevel.SHARED
RESERVED = LockLevel.RESERVED
PENDING = LockLevel.PENDING
EXCLUSIVE = LockLevel.EXCLUSIVE

PENDING_BYTE = 0x40000000
RESERVED_BYTE = PENDING_BYTE + 1
SHARED_FIRST = PENDING_BYTE + 2
SHARED_SIZE = 510


def _busy() -> BusyError:
    return BusyError("database is locked")


def _io_error(exc: OSError, extended: int) -> Exception:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return FullError("database or disk is full")
    return IOErr("disk I/O error", extended)


# ---------------------------------------------------------------------------
# Interfaces


class VFSFile:
    """An open file.  Offsets are absolute byte positions."""

    readonly = False

    def read(self, offset: int, n: int) -> bytes:
        """Up to ``n`` bytes at ``offset``; fewer at end of file."""
        raise NotImplementedError

    def write(self, offset: int, data: bytes) -> None:
        raise NotImplementedError

    def truncate(self, size: int) -> None:
        raise NotImplementedError

    def sync(self) -> None:
        """Make every earlier write durable (the only durability point)."""
        raise NotImplementedError

    def size(self) -> int:
        raise NotImplementedError

    def lock(self, level: LockLevel) -> None:
        """Raise the lock to ``level``; raises ``BusyError`` on conflict.

        On a failed attempt at EXCLUSIVE the file may be left holding
        PENDING (as SQLite does), which keeps new readers out.
        """
        raise NotImplementedError

    def unlock(self, level: LockLevel) -> None:
        """Lower the lock to ``level`` (SHARED or NONE)."""
        raise NotImplementedError

    def check_reserved_lock(self) -> bool:
        """True if any connection (this process or another) holds RESERVED or more."""
        raise NotImplementedError

    @property
    def lock_level(self) -> LockLevel:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class VFS:
    """Names files and opens them."""

    def open(self, path: str, *, create: bool = True, readonly: bool = False) -> VFSFile:
        raise NotImplementedError

    def delete(self, path: str) -> None:
        raise NotImplementedError

    def exists(self, path: str) -> bool:
        raise NotImplementedError

    def sync_directory(self, path: str) -> None:
        """Make the directory entry of ``path`` (create/delete) durable."""
        raise NotImplementedError

    def randomness(self, n: int) -> bytes:
        """Random bytes (journal nonces); a fault VFS may make them repeatable."""
        return os.urandom(n)

    def open_shm(self, db_path: str) -> "ShmHandle":
        """The WAL-index shared memory of ``db_path`` (its ``-shm`` file)."""
        raise NotImplementedError


# ---------------------------------------------------------------------------
# In-process lock arbitration (SQLite's unixInodeInfo logic)


class _OSLocks:
    """The process-wide byte-range locks; a no-op for memory files."""

    def set(self, kind: int, start: int, length: int) -> bool:
        return True

    def other_process_holds_reserved(self) -> bool:
        return False


class _FcntlLocks(_OSLocks):
    _FLOCK = struct.Struct("hhqqi4x")  # struct flock on Linux (64-bit off_t)

    def __init__(self, fd: int):
        self.fd = fd

    def set(self, kind: int, start: int, length: int) -> bool:
        # kind: fcntl.F_RDLCK / F_WRLCK / F_UNLCK; never blocks.
        try:
            fcntl.fcntl(self.fd, fcntl.F_SETLK, self._FLOCK.pack(kind, os.SEEK_SET, start, length, 0))
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EAGAIN):
                return False
            raise IOErr("disk I/O error", SQLITE_IOERR_LOCK) from None
        return True

    def other_process_holds_reserved(self) -> bool:
        try:
            out = fcntl.fcntl(self.fd, fcntl.F_GETLK,
                              self._FLOCK.pack(fcntl.F_WRLCK, os.SEEK_SET, RESERVED_BYTE, 1, 0))
        except OSError:
            raise IOErr("disk I/O error", SQLITE_IOERR_LOCK) from None
        return self._FLOCK.unpack(out)[0] != fcntl.F_UNLCK


class _Inode:
    """Lock state shared by all handles of one file inside this process."""

    def __init__(self, key):
        self.key = key
        self.level = NONE          # strongest lock any handle here holds
        self.n_shared = 0          # handles holding SHARED or more
        self.n_handles = 0
        self.deferred_fds: list[int] = []   # closed handles' fds, closed when unlocked
        self.mutex = threading.RLock()


class _LockingHandle:
    """The lock state machine of lockingv3.html, shared by both VFSes."""

    _inode: _Inode
    _os: _OSLocks
    _level = NONE

    @property
    def lock_level(self) -> LockLevel:
        return self._level

    def lock(self, level: LockLevel) -> None:
        level = LockLevel(level)
        inode = self._inode
        with inode.mutex:
            if self._level >= level:
                return
            # Another handle of this process holds something that precludes us.
            if self._level != inode.level and (inode.level >= PENDING or level > SHARED):
                raise _busy()
            if level == SHARED and inode.level in (SHARED, RESERVED):
                self._level = SHARED
                inode.n_shared += 1
                return
            osl = self._os
            if level == SHARED:
                if not osl.set(fcntl.F_RDLCK, PENDING_BYTE, 1):
                    raise _busy()
                ok = osl.set(fcntl.F_RDLCK, SHARED_FIRST, SHARED_SIZE)
                osl.set(fcntl.F_UNLCK, PENDING_BYTE, 1)
                if not ok:
                    raise _busy()
                self._level = inode.level = SHARED
                inode.n_shared += 1
                return
            if self._level == NONE:
                raise InternalEngineError("a lock above SHARED needs SHARED first")
            if level == RESERVED:
                if not osl.set(fcntl.F_WRLCK, RESERVED_BYTE, 1):
                    raise _busy()
                self._level = inode.level = RESERVED
                return
            # PENDING or EXCLUSIVE
            if self._level < PENDING:
                if not osl.set(fcntl.F_WRLCK, PENDING_BYTE, 1):
                    raise _busy()
                self._level = inode.level = PENDING
            if level == PENDING:
                return
            if inode.n_shared > 1 or not osl.set(fcntl.F_WRLCK, SHARED_FIRST, SHARED_SIZE):
                raise _busy()
            self._level = inode.level = EXCLUSIVE

    def unlock(self, level: LockLevel) -> None:
        level = LockLevel(level)
        inode = self._inode
        with inode.mutex:
            if self._level <= level:
                return
            osl = self._os
            if self._level > SHARED:
                if self._level == EXCLUSIVE:
                    osl.set(fcntl.F_RDLCK, SHARED_FIRST, SHARED_SIZE)
                osl.set(fcntl.F_UNLCK, PENDING_BYTE, 2)
                inode.level = SHARED
                self._level = SHARED
            if level == NONE:
                inode.n_shared -= 1
                if inode.n_shared == 0:
                    osl.set(fcntl.F_UNLCK, 0, 0)
                    inode.level = NONE
                    self._after_full_unlock()
                self._level = NONE

    def check_reserved_lock(self) -> bool:
        inode = self._inode
        with inode.mutex:
            if inode.level > SHARED:
                return True
            return self._os.other_process_holds_reserved()

    def _after_full_unlock(self) -> None:
        pass


# ---------------------------------------------------------------------------
# WAL-index shared memory (walformat.html section 2: the -shm file and its
# eight lock slots at byte 120, the "DMS" byte at 128)

SHM_NLOCK = 8
SHM_LOCK_BASE = 120
SHM_DMS = SHM_LOCK_BASE + SHM_NLOCK


class _ShmNode:
    """One -shm file as this process sees it: the bytes (or the descriptor
    that reaches them) and which handles hold which lock slots."""

    def __init__(self, key):
        self.key = key
        self.mutex = threading.RLock()
        self.n_shared = [0] * SHM_NLOCK
        self.exclusive = [None] * SHM_NLOCK   # the handle holding it
        self.handles = 0
        self.data = bytearray()               # memory VFSes only
        self.fd = -1                          # OS VFS only
        self.os = _OSLocks()


class ShmHandle:
    """One connection's use of a wal-index.  Reads and writes go to the
    shared bytes at once (sqlite3 maps the file; we use pread/pwrite on the
    same file, which the kernel keeps coherent with the mapping)."""

    def __init__(self, node: _ShmNode, on_close):
        self._node = node
        self._shared = set()
        self._excl = set()
        self._on_close = on_close
        self.closed = False

    # bytes -------------------------------------------------------------
    def read(self, offset: int, n: int) -> bytes:
        node = self._node
        if node.fd >= 0:
            try:
                data = os.pread(node.fd, n, offset)
            except OSError as exc:
                raise _io_error(exc, SQLITE_IOERR_READ) from None
        else:
            data = bytes(node.data[offset:offset + n])
        if len(data) < n:
            data += bytes(n - len(data))
        return data

    def write(self, offset: int, data: bytes) -> None:
        node = self._node
        if node.fd >= 0:
            try:
                end = offset + len(data)
                if os.fstat(node.fd).st_size < end:
                    # Grow in whole 32 KiB regions as sqlite3 maps them.
                    os.ftruncate(node.fd, -(-end // 32768) * 32768)
                os.pwrite(node.fd, data, offset)
            except OSError as exc:
                raise _io_error(exc, SQLITE_IOERR_WRITE) from None
        else:
            buf = node.data
            end = offset + len(data)
            if end > len(buf):
                buf.extend(bytes(-(-end // 32768) * 32768 - len(buf)))
            buf[offset:end] = data

    # locks (non-blocking; False means busy) ------------------------------
    def lock_shared(self, slot: int) -> bool:
        node = self._node
        with node.mutex:
            if slot in self._shared or slot in self._excl:
                return True
            if node.exclusive[slot] is not None:
                return False
            if node.n_shared[slot] == 0 and not node.os.set(fcntl.F_RDLCK, SHM_LOCK_BASE + slot, 1):
                return False
            node.n_shared[slot] += 1
            self._shared.add(slot)
            return True

    def lock_exclusive(self, slot: int, n: int = 1) -> bool:
        node = self._node
        with node.mutex:
            slots = range(slot, slot + n)
            if all(s in self._excl for s in slots):
                return True
            for s in slots:
                if (node.exclusive[s] not in (None, self)) or node.n_shared[s]:
                    return False
            if not node.os.set(fcntl.F_WRLCK, SHM_LOCK_BASE + slot, n):
                return False
            for s in slots:
                node.exclusive[s] = self
                self._excl.add(s)
            return True

    def unlock(self, slot: int, n: int = 1) -> None:
        node = self._node
        with node.mutex:
            for s in range(slot, slot + n):
                if s in self._excl:
                    self._excl.discard(s)
                    node.exclusive[s] = None
                    node.os.set(fcntl.F_UNLCK, SHM_LOCK_BASE + s, 1)
                elif s in self._shared:
                    self._shared.discard(s)
                    node.n_shared[s] -= 1
                    if node.n_shared[s] == 0:
                        node.os.set(fcntl.F_UNLCK, SHM_LOCK_BASE + s, 1)

    def holds_exclusive(self, slot: int) -> bool:
        return slot in self._excl

    def close(self, delete: bool = False) -> None:
        if self.closed:
            return
        for s in list(self._excl) + list(self._shared):
            self.unlock(s)
        self.closed = True
        self._on_close(self, delete)


class _ShmRegistry:
    """The -shm nodes of this process, keyed by file (like unixShmNode)."""

    def __init__(self):
        self.nodes: dict = {}
        self.mutex = threading.Lock()

    def open_os(self, db_path: str) -> ShmHandle:
        path = db_path + "-shm"
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError:
            raise CantOpenError("unable to open database file") from None
        with self.mutex:
            st = os.fstat(fd)
            key = (st.st_dev, st.st_ino)
            node = self.nodes.get(key)
            if node is not None:
                os.close(fd)           # the node's descriptor carries our locks
                node.handles += 1
                return ShmHandle(node, self._closed)
            node = _ShmNode(key)
            node.fd = fd
            node.path = path
            node.os = _FcntlLocks(fd)
            # The "dead man switch": the first connection of all processes
            # gets the byte exclusively and starts the wal-index afresh.
            if node.os.set(fcntl.F_WRLCK, SHM_DMS, 1):
                try:
                    os.ftruncate(fd, 0)
                except OSError:
                    pass
            if not node.os.set(fcntl.F_RDLCK, SHM_DMS, 1):
                os.close(fd)
                raise _busy()
            node.handles = 1
            self.nodes[key] = node
            return ShmHandle(node, self._closed)

    def open_memory(self, db_path: str) -> ShmHandle:
        with self.mutex:
            node = self.nodes.get(db_path)
            if node is None:
                node = self.nodes[db_path] = _ShmNode(db_path)
            node.handles += 1
            return ShmHandle(node, self._closed)

    def _closed(self, handle: ShmHandle, delete: bool) -> None:
        node = handle._node
        with self.mutex:
            node.handles -= 1
            if node.handles > 0:
                return
            if self.nodes.get(node.key) is node:
                del self.nodes[node.key]
            if node.fd >= 0:
                if delete:
                    try:
                        os.unlink(node.path)
                    except OSError:
                        pass
                try:
                    os.close(node.fd)
                except OSError:
                    pass
                node.fd = -1

    def forget_all(self) -> None:
        with self.mutex:
            self.nodes.clear()


_os_shm = _ShmRegistry()


# ---------------------------------------------------------------------------
# OS files

_inodes: dict = {}
_inodes_mutex = threading.Lock()


class OSFile(_LockingHandle, VFSFile):
    def __init__(self, path: str, fd: int, inode: _Inode, readonly: bool):
        self.path = path
        self._fd = fd
        self._inode = inode
        self._os = _FcntlLocks(fd)
        self.readonly = readonly
        self._closed = False

    def _check(self) -> int:
        if self._closed:
            raise IOErr("disk I/O error")
        return self._fd

    def read(self, offset: int, n: int) -> bytes:
        fd = self._check()
        try:
            data = os.pread(fd, n, offset)
            if len(data) < n:  # pread may return short before EOF in theory
                parts = [data]
                got = len(data)
                while got < n:
                    more = os.pread(fd, n - got, offset + got)
                    if not more:
                        break
                    parts.append(more)
                    got += len(more)
                data = b"".join(parts)
            return data
        except OSError as exc:
            raise _io_error(exc, SQLITE_IOERR_READ) from None

    def write(self, offset: int, data: bytes) -> None:
        fd = self._check()
        try:
            view = memoryview(data)
            while view:
                written = os.pwrite(fd, view, offset)
                view = view[written:]
                offset += written
        except OSError as exc:
            raise _io_error(exc, SQLITE_IOERR_WRITE) from None

    def truncate(self, size: int) -> None:
        fd = self._check()
        try:
            os.ftruncate(fd, size)
        except OSError as exc:
            raise _io_error(exc, SQLITE_IOERR_TRUNCATE) from None

    def sync(self) -> None:
        fd = self._check()
        try:
            os.fsync(fd)
        except OSError as exc:
            raise _io_error(exc, SQLITE_IOERR_FSYNC) from None

    def size(self) -> int:
        fd = self._check()
        try:
            return os.fstat(fd).st_size
        except OSError as exc:
            raise _io_error(exc, SQLITE_IOERR_READ) from None

    def _after_full_unlock(self) -> None:
        fds, self._inode.deferred_fds = self._inode.deferred_fds, []
        for fd in fds:
            try:
                os.close(fd)
            except OSError:
                pass

    def close(self) -> None:
        if self._closed:
            return
        try:
            self.unlock(NONE)
        finally:
            self._closed = True
            inode = self._inode
            with _inodes_mutex, inode.mutex:
                inode.n_handles -= 1
                if inode.n_shared > 0:
                    # Closing now would drop the other handles' POSIX locks.
                    inode.deferred_fds.append(self._fd)
                else:
                    try:
                        os.close(self._fd)
                    except OSError:
                        pass
                if inode.n_handles == 0:
                    for fd in inode.deferred_fds:
                        try:
                            os.close(fd)
                        except OSError:
                            pass
                    inode.deferred_fds = []
                    if _inodes.get(inode.key) is inode:
                        del _inodes[inode.key]

    def __del__(self):  # pragma: no cover - best effort
        try:
            if not self._closed:
                self.close()
        except Exception:
            pass


class OSVFS(VFS):
    """Real files with POSIX advisory locks compatible with sqlite3."""

    def open(self, path: str, *, create: bool = True, readonly: bool = False) -> OSFile:
        flags = os.O_RDONLY if readonly else os.O_RDWR
        if create and not readonly:
            flags |= os.O_CREAT
        flags |= getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(path, flags, 0o644)
        except OSError as exc:
            if not readonly and exc.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
                try:
                    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
                except OSError:
                    raise CantOpenError("unable to open database file") from None
                readonly = True
            else:
                raise CantOpenError("unable to open database file") from None
        try:
            st = os.fstat(fd)
        except OSError:
            os.close(fd)
            raise CantOpenError("unable to open database file") from None
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise CantOpenError("unable to open database file")
        key = (st.st_dev, st.st_ino)
        with _inodes_mutex:
            inode = _inodes.get(key)
            if inode is None:
                inode = _inodes[key] = _Inode(key)
            inode.n_handles += 1
        return OSFile(path, fd, inode, readonly)

    def delete(self, path: str) -> None:
        try:
            os.unlink(path)
        except FileNotFoundError:
            return
        except OSError:
            raise IOErr("disk I/O error", SQLITE_IOERR_DELETE) from None

    def exists(self, path: str) -> bool:
        return os.path.exists(path)

    def open_shm(self, db_path: str) -> ShmHandle:
        return _os_shm.open_os(db_path)

    def sync_directory(self, path: str) -> None:
        directory = os.path.dirname(os.path.abspath(path)) or "."
        try:
            fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError:
            return  # some filesystems cannot open directories; SQLite ignores this too
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)


# ---------------------------------------------------------------------------
# Memory files


class _MemoryData:
    def __init__(self, name):
        self.data = bytearray()
        self.inode = _Inode(name)


class MemoryFile(_LockingHandle, VFSFile):
    def __init__(self, vfs: "MemoryVFS", name: str, store: _MemoryData, readonly: bool):
        self._vfs = vfs
        self.path = name
        self._store = store
        self._inode = store.inode
        self._os = _OSLocks()
        self.readonly = readonly
        self._closed = False
        store.inode.n_handles += 1

    def read(self, offset: int, n: int) -> bytes:
        return bytes(self._store.data[offset:offset + n])

    def write(self, offset: int, data: bytes) -> None:
        buf = self._store.data
        end = offset + len(data)
        if offset > len(buf):
            buf.extend(bytes(offset - len(buf)))
        buf[offset:end] = data

    def truncate(self, size: int) -> None:
        buf = self._store.data
        if size < len(buf):
            del buf[size:]
        else:
            buf.extend(bytes(size - len(buf)))

    def sync(self) -> None:
        pass

    def size(self) -> int:
        return len(self._store.data)

    def close(self) -> None:
        if not self._closed:
            self.unlock(NONE)
            self._closed = True
            self._inode.n_handles -= 1


class MemoryVFS(VFS):
    """Files kept in a dict: nothing touches the disk, locks are in-process only."""

    def __init__(self):
        self.files: dict[str, _MemoryData] = {}
        self.shm = _ShmRegistry()

    def open_shm(self, db_path: str) -> ShmHandle:
        return self.shm.open_memory(db_path)

    def open(self, path: str, *, create: bool = True, readonly: bool = False) -> MemoryFile:
        store = self.files.get(path)
        if store is None:
            if not create or readonly:
                raise CantOpenError("unable to open database file")
            store = self.files[path] = _MemoryData(path)
        return MemoryFile(self, path, store, readonly)

    def delete(self, path: str) -> None:
        self.files.pop(path, None)

    def exists(self, path: str) -> bool:
        return path in self.files

    def sync_directory(self, path: str) -> None:
        pass


# ---------------------------------------------------------------------------
# Fault injection (for crash tests and the crash harness)


class SimulatedCrash(BaseException):
    """Raised by :class:`FaultVFS` at the chosen operation.  A BaseException so
    that no ``except Exception`` recovery code runs, as in a real crash."""


class FaultFile(MemoryFile):
    def __init__(self, vfs: "FaultVFS", name: str, store: _MemoryData, readonly: bool):
        super().__init__(vfs, name, store, readonly)
        self._fault_vfs = vfs

    def write(self, offset: int, data: bytes) -> None:
        self._fault_vfs._operation("write", self.path, offset, len(data))
        self._fault_vfs._pending.setdefault(self.path, []).append((offset, bytes(data)))
        super().write(offset, data)

    def truncate(self, size: int) -> None:
        self._fault_vfs._operation("truncate", self.path, size, 0)
        self._fault_vfs._pending.setdefault(self.path, []).append((size, None))
        super().truncate(size)

    def sync(self) -> None:
        self._fault_vfs._operation("sync", self.path, 0, 0)
        self._fault_vfs._synced[self.path] = bytes(self._store.data)
        self._fault_vfs._pending.pop(self.path, None)

    def read(self, offset: int, n: int) -> bytes:
        self._fault_vfs._operation("read", self.path, offset, n)
        return super().read(offset, n)


class FaultVFS(MemoryVFS):
    """A recording memory VFS for crash injection.

    Every operation is listed in :attr:`log` as ``(op, path, offset, length)``
    (op: open, read, write, truncate, sync, delete, dirsync).
    ``crash_at(n, op="write", path_suffix="")`` arms a crash at the n-th
    (1-based) matching operation ("write", "sync", "truncate", "read",
    "delete", "any", or a tuple of these) on a file whose name ends with
    ``path_suffix``; that operation and every later one raise
    :class:`SimulatedCrash`, which stops the engine as a power cut would.

    :meth:`durable_images` gives the files as they would be found after a
    power cut at that moment: each file's last synced image, plus whichever
    unsynced writes ``keep`` selects ("none", "all", or a callable
    ``(path, index) -> bool``).  :meth:`power_loss` makes those images the
    files' contents, drops every lock and the shared memory, and disarms the
    VFS.  File creation and deletion are taken as durable at once.
    """

    def __init__(self):
        super().__init__()
        self._synced: dict[str, bytes] = {}
        self._pending: dict[str, list] = {}
        self._arm = None
        self.crashed = False
        self.counts: dict[str, int] = {}
        self.log: list[tuple[str, str, int, int]] = []
        self.recording = True

    def crash_at(self, n: int, op="write", path_suffix: str = "") -> None:
        ops = (op,) if isinstance(op, str) else tuple(op)
        self._arm = [n, ops, path_suffix]

    def _operation(self, op: str, path: str, offset: int = 0, length: int = 0) -> None:
        if self.crashed:
            raise SimulatedCrash(f"{op} after crash")
        self.counts[op] = self.counts.get(op, 0) + 1
        if self.recording:
            self.log.append((op, path, offset, length))
        arm = self._arm
        if arm and (op in arm[1] or "any" in arm[1]) and path.endswith(arm[2]):
            arm[0] -= 1
            if arm[0] <= 0:
                self.crashed = True
                raise SimulatedCrash(f"crash at {op} of {path}")

    def open(self, path: str, *, create: bool = True, readonly: bool = False) -> FaultFile:
        if self.crashed:
            raise SimulatedCrash("open after crash")
        store = self.files.get(path)
        if store is None:
            if not create or readonly:
                raise CantOpenError("unable to open database file")
            store = self.files[path] = _MemoryData(path)
            self._synced[path] = b""
        if self.recording:
            self.log.append(("open", path, 0, 0))
        return FaultFile(self, path, store, readonly)

    def delete(self, path: str) -> None:
        self._operation("delete", path)
        super().delete(path)
        self._synced.pop(path, None)
        self._pending.pop(path, None)

    def sync_directory(self, path: str) -> None:
        self._operation("dirsync", path)

    def open_shm(self, db_path: str) -> ShmHandle:
        if self.crashed:
            raise SimulatedCrash("shm after crash")
        return super().open_shm(db_path)

    def durable_images(self, keep="none") -> dict[str, bytes]:
        """What each file would hold after a power cut now."""
        images = {}
        for path in self.files:
            image = bytearray(self._synced.get(path, b""))
            for i, (offset, data) in enumerate(self._pending.get(path, [])):
                if keep == "all" or (callable(keep) and keep(path, i)):
                    if data is None:
                        del image[offset:]
                    else:
                        if offset > len(image):
                            image.extend(bytes(offset - len(image)))
                        image[offset:offset + len(data)] = data
            images[path] = bytes(image)
        return images

    def power_loss(self, keep="none") -> None:
        for path, image in self.durable_images(keep).items():
            store = self.files[path]
            store.data = bytearray(image)
            store.inode = _Inode(path)
            self._synced[path] = image
        self._pending.clear()
        self.shm = _ShmRegistry()
        self._arm = None
        self.crashed = False

    def file_bytes(self, path: str) -> bytes:
        return bytes(self.files[path].data)


_default = OSVFS()


def default_vfs() -> OSVFS:
    return _default
