"""Errors raised by the engine: SQLite's result codes (rescode.html) as exceptions.

One base class, :class:`SQLiteError`, carries SQLite's primary and extended
result codes and SQLite's own message text; there is one subclass per primary
code.  Each subclass also derives from the matching PEP 249 exception, chosen
as the standard library's ``sqlite3`` module chooses it, so code written for
``sqlite3`` catches the same classes here.
"""

from __future__ import annotations


# PEP 249 exception hierarchy.
class Warning(Exception):  # noqa: A001 - name fixed by PEP 249
    pass


class Error(Exception):
    pass


class InterfaceError(Error):
    pass


class DatabaseError(Error):
    pass


class DataError(DatabaseError):
    pass


class OperationalError(DatabaseError):
    pass


class IntegrityError(DatabaseError):
    pass


class InternalError(DatabaseError):
    pass


class ProgrammingError(DatabaseError):
    pass


class NotSupportedError(DatabaseError):
    pass


# Primary result codes (rescode.html).
SQLITE_OK = 0
SQLITE_ERROR = 1
SQLITE_INTERNAL = 2
SQLITE_PERM = 3
SQLITE_ABORT = 4
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_NOMEM = 7
SQLITE_READONLY = 8
SQLITE_INTERRUPT = 9
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_NOTFOUND = 12
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_PROTOCOL = 15
SQLITE_EMPTY = 16
SQLITE_SCHEMA = 17
SQLITE_TOOBIG = 18
SQLITE_CONSTRAINT = 19
SQLITE_MISMATCH = 20
SQLITE_MISUSE = 21
SQLITE_NOLFS = 22
SQLITE_AUTH = 23
SQLITE_FORMAT = 24
SQLITE_RANGE = 25
SQLITE_NOTADB = 26

# Extended result codes used by the engine.
SQLITE_IOERR_READ = SQLITE_IOERR | (1 << 8)
SQLITE_IOERR_SHORT_READ = SQLITE_IOERR | (2 << 8)
SQLITE_IOERR_WRITE = SQLITE_IOERR | (3 << 8)
SQLITE_IOERR_FSYNC = SQLITE_IOERR | (4 << 8)
SQLITE_IOERR_TRUNCATE = SQLITE_IOERR | (6 << 8)
SQLITE_IOERR_DELETE = SQLITE_IOERR | (10 << 8)
SQLITE_IOERR_LOCK = SQLITE_IOERR | (15 << 8)
SQLITE_CONSTRAINT_CHECK = SQLITE_CONSTRAINT | (1 << 8)
SQLITE_CONSTRAINT_FOREIGNKEY = SQLITE_CONSTRAINT | (3 << 8)
SQLITE_CONSTRAINT_NOTNULL = SQLITE_CONSTRAINT | (5 << 8)
SQLITE_CONSTRAINT_PRIMARYKEY = SQLITE_CONSTRAINT | (6 << 8)
SQLITE_CONSTRAINT_TRIGGER = SQLITE_CONSTRAINT | (7 << 8)
SQLITE_CONSTRAINT_UNIQUE = SQLITE_CONSTRAINT | (8 << 8)
SQLITE_CONSTRAINT_ROWID = SQLITE_CONSTRAINT | (10 << 8)
SQLITE_CORRUPT_INDEX = SQLITE_CORRUPT | (3 << 8)


class SQLiteError(DatabaseError):
    """An error with SQLite's result code and message text.

    ``str(err)`` is exactly the message sqlite3 prints (without any
    "Error:" prefix), e.g. ``near "FROM": syntax error``.
    """

    code = SQLITE_ERROR

    def __init__(self, message: str, extended_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.extended_code = self.code if extended_code is None else extended_code

    @property
    def sqlite_errorcode(self) -> int:
        return self.extended_code

    def __reduce__(self):
        return (type(self), (self.message, self.extended_code))


class SQLError(SQLiteError, OperationalError):
    code = SQLITE_ERROR


class InternalEngineError(SQLiteError, InternalError):
    code = SQLITE_INTERNAL


class PermError(SQLiteError, OperationalError):
    code = SQLITE_PERM


class AbortError(SQLiteError, OperationalError):
    code = SQLITE_ABORT


class BusyError(SQLiteError, OperationalError):
    code = SQLITE_BUSY


class LockedError(SQLiteError, OperationalError):
    code = SQLITE_LOCKED


class NoMemError(SQLiteError, OperationalError):
    code = SQLITE_NOMEM


class ReadOnlyError(SQLiteError, OperationalError):
    code = SQLITE_READONLY


class InterruptError(SQLiteError, OperationalError):
    code = SQLITE_INTERRUPT


class IOErr(SQLiteError, OperationalError):
    code = SQLITE_IOERR


class CorruptError(SQLiteError, DatabaseError):
    code = SQLITE_CORRUPT


class FullError(SQLiteError, OperationalError):
    code = SQLITE_FULL


class CantOpenError(SQLiteError, OperationalError):
    code = SQLITE_CANTOPEN


class ProtocolError(SQLiteError, OperationalError):
    code = SQLITE_PROTOCOL


class SchemaError(SQLiteError, OperationalError):
    code = SQLITE_SCHEMA


class TooBigError(SQLiteError, DataError):
    code = SQLITE_TOOBIG


class ConstraintError(SQLiteError, IntegrityError):
    code = SQLITE_CONSTRAINT


class MismatchError(SQLiteError, IntegrityError):
    code = SQLITE_MISMATCH


class MisuseError(SQLiteError, ProgrammingError):
    code = SQLITE_MISUSE


class AuthError(SQLiteError, DatabaseError):
    code = SQLITE_AUTH


class RangeError(SQLiteError, ProgrammingError):
    code = SQLITE_RANGE


class NotADatabaseError(SQLiteError, DatabaseError):
    code = SQLITE_NOTADB


def corrupt(detail: str | None = None) -> CorruptError:
    """The error SQLite gives for a damaged file; ``detail`` is kept for debugging."""
    err = CorruptError("database disk image is malformed")
    err.detail = detail
    return err
