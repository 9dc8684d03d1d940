"""litmus's SQLite-compatible engine, as a DB-API 2.0 (PEP 249) module.

    import engine
    conn = engine.connect("file.db")
    conn.execute("CREATE TABLE t(a, b)")

The module is shaped like the standard library's ``sqlite3``; files it
writes are SQLite 3 database files (fileformat2.html).
"""

from .api import Connection, Cursor, connect
from .errors import (
    DatabaseError, DataError, Error, IntegrityError, InterfaceError, InternalError,
    NotSupportedError, OperationalError, ProgrammingError, SQLiteError, Warning,
)

apilevel = "2.0"
threadsafety = 1
paramstyle = "qmark"
sqlite_version = "3.40.1"
sqlite_version_info = (3, 40, 1)
version = "0.1.0"

__all__ = [
    "connect", "Connection", "Cursor", "Error", "Warning", "InterfaceError", "DatabaseError",
    "DataError", "OperationalError", "IntegrityError", "InternalError", "ProgrammingError",
    "NotSupportedError", "SQLiteError", "apilevel", "threadsafety", "paramstyle", "sqlite_version",
]
