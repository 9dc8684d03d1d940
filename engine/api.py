"""The DB-API 2.0 (PEP 249) interface, shaped like the standard library's
``sqlite3`` module: ``connect``, connections, cursors, ``?`` and ``:name``
parameters, implicit transactions before data changes (the legacy
``isolation_level`` behaviour), and the PEP 249 exception classes.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import OrderedDict

from .database import Database
from .errors import ProgrammingError
from .sql import ast
from .sql.parser import parse_statements

_CHANGE_STATEMENTS = (ast.Insert, ast.Update, ast.Delete)


@dataclasses.dataclass
class _Prepared:
    stmt: object
    nparams: int
    names: dict            # parameter name (without prefix) -> number


def _scan_params(node) -> tuple[int, dict]:
    """The highest parameter number in a statement and its named parameters."""
    highest = 0
    names: dict = {}
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Param):
            highest = max(highest, n.number)
            if n.name[:1] in (":", "@", "$"):
                names.setdefault(n.name[1:], n.number)
            continue
        if isinstance(n, tuple):
            stack.extend(n)
        elif dataclasses.is_dataclass(n):
            for f in dataclasses.fields(n):
                v = getattr(n, f.name)
                if isinstance(v, (tuple,)) or dataclasses.is_dataclass(v):
                    stack.append(v)
    return highest, names


def _adapt(value, i: int):
    if value is None or isinstance(value, (str, float)):
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        if not -(1 << 63) <= value < (1 << 63):
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise ProgrammingError(f"Error binding parameter {i}: type '{type(value).__name__}' is not supported")


class Connection:
    def __init__(self, database, timeout: float = 5.0, isolation_level: str | None = "",
                 cached_statements: int = 128, vfs=None):
        self._db = Database(str(database), vfs=vfs, timeout=timeout)
        self._isolation_level = isolation_level
        self._cache: OrderedDict[str, list] = OrderedDict()
        self._cache_size = cached_statements
        self._lock = threading.RLock()
        self.row_factory = None
        self.text_factory = str

    # -- properties --------------------------------------------------------

    @property
    def isolation_level(self):
        return self._isolation_level

    @isolation_level.setter
    def isolation_level(self, value):
        if value is None and self.in_transaction:
            self.commit()
        self._isolation_level = value

    @property
    def in_transaction(self) -> bool:
        return self._db.in_transaction

    @property
    def total_changes(self) -> int:
        return self._db.total_changes

    @property
    def database(self) -> Database:
        return self._db

    # -- statements ----------------------------------------------------------

    def _check(self) -> None:
        if self._db.closed:
            raise ProgrammingError("Cannot operate on a closed database.")

    def prepare(self, sql: str) -> list[_Prepared]:
        """The statements of ``sql``, parsed once and cached by text."""
        cached = self._cache.get(sql)
        if cached is not None:
            self._cache.move_to_end(sql)
            return cached
        out = []
        for stmt, _text in parse_statements(sql):
            n, names = _scan_params(stmt)
            out.append(_Prepared(stmt, n, names))
        self._cache[sql] = out
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return out

    def _bind(self, prep: _Prepared, params) -> list:
        if params is None:
            params = ()
        if isinstance(params, dict) or (hasattr(params, "keys") and hasattr(params, "__getitem__")
                                        and not isinstance(params, (list, tuple))):
            values = [None] * prep.nparams
            for name, number in prep.names.items():
                try:
                    values[number - 1] = _adapt(params[name], number)
                except KeyError:
                    raise ProgrammingError(f"You did not supply a value for binding parameter :{name}.") from None
            return values
        try:
            seq = list(params)
        except TypeError:
            raise ProgrammingError("parameters are of unsupported type") from None
        if len(seq) != prep.nparams:
            raise ProgrammingError(f"Incorrect number of bindings supplied. The current statement uses "
                                   f"{prep.nparams}, and there are {len(seq)} supplied.")
        return [_adapt(v, i + 1) for i, v in enumerate(seq)]

    def _run(self, prep: _Prepared, params):
        db = self._db
        if (self._isolation_level is not None and isinstance(prep.stmt, _CHANGE_STATEMENTS)
                and not db.in_transaction):
            mode = (self._isolation_level or "DEFERRED").upper()
            db.run(ast.Begin(mode))
        return db.run(prep.stmt, self._bind(prep, params))

    def cursor(self, factory=None) -> "Cursor":
        self._check()
        return (factory or Cursor)(self)

    def execute(self, sql: str, parameters=()) -> "Cursor":
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, seq_of_parameters) -> "Cursor":
        return self.cursor().executemany(sql, seq_of_parameters)

    def executescript(self, script: str) -> "Cursor":
        return self.cursor().executescript(script)

    def commit(self) -> None:
        self._check()
        if self._db.in_transaction:
            self._db.run(ast.Commit())

    def rollback(self) -> None:
        self._check()
        if self._db.in_transaction:
            self._db.run(ast.Rollback())

    def close(self) -> None:
        self._db.close()

    def interrupt(self) -> None:
        self._db.interrupt()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.commit()
        else:
            self.rollback()
        return False


class Cursor:
    arraysize = 1

    def __init__(self, connection: Connection):
        self.connection = connection
        self.description = None
        self.rowcount = -1
        self.lastrowid = None
        self._rows = iter(())
        self._closed = False
        self.row_factory = connection.row_factory

    def _check(self) -> None:
        if self._closed:
            raise ProgrammingError("Cannot operate on a closed cursor.")
        self.connection._check()

    def _reset(self) -> None:
        close = getattr(self._rows, "close", None)
        if close is not None:
            close()
        self._rows = iter(())
        self.description = None

    def execute(self, sql: str, parameters=()) -> "Cursor":
        self._check()
        if not isinstance(sql, str):
            raise TypeError("execute() argument 1 must be str")
        self._reset()
        conn = self.connection
        with conn._lock:
            preps = conn.prepare(sql)
            if len(preps) > 1:
                raise ProgrammingError("You can only execute one statement at a time.")
            self.rowcount = -1
            if not preps:
                return self
            prep = preps[0]
            db = conn._db
            before = db.total_changes
            outcome = conn._run(prep, parameters)
            if outcome.columns is not None:
                self.description = tuple((name, None, None, None, None, None, None) for name in outcome.columns)
                self._rows = outcome.rows
            else:
                for _ in outcome.rows:
                    pass
            if isinstance(prep.stmt, _CHANGE_STATEMENTS):
                self.rowcount = db.total_changes - before
                if isinstance(prep.stmt, ast.Insert):
                    self.lastrowid = db.last_insert_rowid
        return self

    def executemany(self, sql: str, seq_of_parameters) -> "Cursor":
        self._check()
        self._reset()
        conn = self.connection
        with conn._lock:
            preps = conn.prepare(sql)
            if len(preps) > 1:
                raise ProgrammingError("You can only execute one statement at a time.")
            if not preps:
                return self
            prep = preps[0]
            if not isinstance(prep.stmt, _CHANGE_STATEMENTS):
                raise ProgrammingError("executemany() can only execute DML statements.")
            total = 0
            db = conn._db
            for params in seq_of_parameters:
                before = db.total_changes
                outcome = conn._run(prep, params)
                for _ in outcome.rows:
                    pass
                total += db.total_changes - before
            self.rowcount = total
            self.lastrowid = db.last_insert_rowid if isinstance(prep.stmt, ast.Insert) else self.lastrowid
        return self

    def executescript(self, script: str) -> "Cursor":
        self._check()
        self._reset()
        conn = self.connection
        with conn._lock:
            if conn.in_transaction:
                conn.commit()
            for stmt, _text in parse_statements(script):
                outcome = conn._db.run(stmt, [])
                for _ in outcome.rows:
                    pass
        return self

    def fetchone(self):
        self._check()
        row = next(self._rows, None)
        if row is not None and self.row_factory is not None:
            return self.row_factory(self, row)
        return row

    def fetchmany(self, size: int | None = None):
        n = self.arraysize if size is None else size
        out = []
        for _ in range(n):
            row = self.fetchone()
            if row is None:
                break
            out.append(row)
        return out

    def fetchall(self):
        self._check()
        rows = list(self._rows)
        if self.row_factory is not None:
            return [self.row_factory(self, r) for r in rows]
        return rows

    def __iter__(self):
        return self

    def __next__(self):
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    def close(self) -> None:
        self._reset()
        self._closed = True

    def setinputsizes(self, sizes) -> None:
        pass

    def setoutputsize(self, size, column=None) -> None:
        pass


def connect(database, timeout: float = 5.0, detect_types: int = 0, isolation_level: str | None = "",
            check_same_thread: bool = True, factory=None, cached_statements: int = 128,
            uri: bool = False, vfs=None) -> Connection:
    """Open a database file (created if missing) or ``:memory:``."""
    cls = factory or Connection
    return cls(database, timeout=timeout, isolation_level=isolation_level,
               cached_statements=cached_statements, vfs=vfs)
