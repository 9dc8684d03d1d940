"""Writing one table's rows (lang_conflict.html, lang_createtable.html
"constraints", stricttables.html, gencol.html): generated columns, STRICT
type checks, NOT NULL, CHECK, rowid and UNIQUE constraints with their
conflict resolution (ABORT, FAIL, IGNORE, REPLACE, ROLLBACK), and every
index kept in step with the table.

Rows are working rows: ``(rowid, col0, col1, ...)``.
"""

from __future__ import annotations

from ..errors import (
    SQLITE_CONSTRAINT_CHECK, SQLITE_CONSTRAINT_NOTNULL, SQLITE_CONSTRAINT_PRIMARYKEY,
    SQLITE_CONSTRAINT_ROWID, ConstraintError, FullError, MismatchError, SQLError,
)
from ..plan.scope import Scope
from ..storage import btree
from . import index as index_ops
from .expr import ExprCompiler, Runtime
from .values import INT64_MAX, INTEGER, apply_affinity, truth, typeof

SQLITE_CONSTRAINT_DATATYPE = 19 | (12 << 8)


def constraint_error(message: str, code: int, mode: str) -> ConstraintError:
    """A constraint failure; FAIL keeps the statement's earlier changes and
    ROLLBACK ends the transaction (lang_conflict.html)."""
    err = ConstraintError(message, code)
    err.keep_changes = mode == "FAIL"
    err.rollback_transaction = mode == "ROLLBACK"
    return err


class Conflict(Exception):
    """A uniqueness conflict an UPSERT clause takes over: ``rowid`` is the
    existing row, ``index`` the constraint (None for the rowid)."""

    def __init__(self, rowid: int, index):
        super().__init__(rowid)
        self.rowid = rowid
        self.index = index


class RowWriter:
    """Writes rows of one table; ``conflict`` is the statement's OR clause.

    :meth:`get` reuses a writer while the schema is unchanged: its compiled
    defaults, CHECKs, generated columns and index keys read nothing a
    statement binds (they take no parameters and no subqueries)."""

    @classmethod
    def get(cls, db, table, rt: Runtime, conflict: str | None, plan_subquery=None, outer=None) -> "RowWriter":
        if outer is not None:
            return cls(db, table, rt, conflict, plan_subquery, outer)
        cache = db.__dict__.setdefault("_writers", {})
        key = (db.schema_generation, table.name.lower(), conflict)
        writer = cache.get(key)
        if writer is None:
            if len(cache) > 64:
                cache.clear()
            writer = cache[key] = cls(db, table, rt, conflict, plan_subquery, None)
        return writer

    def __init__(self, db, table, rt: Runtime, conflict: str | None, plan_subquery=None, outer=None):
        self.db = db
        self.table = table
        self.rt = rt
        self.default_conflict = conflict
        self.keys = [index_ops.IndexKeys(db, table, idx) for idx in table.indexes]
        scope = index_ops.table_scope(db, table)
        scope.parent = outer
        comp = ExprCompiler(scope, rt, plan_subquery)
        self.checks = [(name, comp.compile(expr), text) for name, expr, text in table.checks]
        self.generated = [(i, comp.compile(c.generated)) for i, c in enumerate(table.columns)
                          if c.generated is not None]
        dcomp = ExprCompiler(Scope(parent=outer), rt, plan_subquery)
        self.defaults = [_compile_default(dcomp, c.default) if c.default is not None else None
                         for c in table.columns]
        self.lookup = db.row_lookup(table)

    # -- values ---------------------------------------------------------------

    def default(self, i: int):
        f = self.defaults[i]
        return f(()) if f is not None else None

    def finish_row(self, row: list) -> None:
        """Compute generated columns and apply each column's affinity (STRICT
        tables also check the type) in place; ``row`` is a working row list."""
        table = self.table
        for i, c in enumerate(table.columns):
            if c.generated is None:
                row[i + 1] = apply_affinity(row[i + 1], c.affinity)
        if self.generated:
            # A generated column may read others: settle them pass by pass.
            for _ in range(len(self.generated)):
                snapshot = tuple(row)
                for i, f in self.generated:
                    row[i + 1] = apply_affinity(f(snapshot), table.columns[i].affinity)
        if table.strict:
            for i, c in enumerate(table.columns):
                self._strict(c, row, i + 1)

    def _strict(self, c, row, slot) -> None:
        v = row[slot]
        if v is None:
            return
        t = (c.declared_type or "").upper()
        want = {"INT": "integer", "INTEGER": "integer", "REAL": "real", "TEXT": "text", "BLOB": "blob"}.get(t)
        if want is None:
            return  # ANY
        got = typeof(v)
        if want == "real" and got == "integer":
            row[slot] = float(v)
            return
        if got != want:
            shown = {"integer": "INT", "real": "REAL", "text": "TEXT", "blob": "BLOB"}[got]
            raise constraint_error(f"cannot store {shown} value in {t} column {self.table.name}.{c.name}",
                                   SQLITE_CONSTRAINT_DATATYPE, "ABORT")

    # -- constraints ------------------------------------------------------------

    def mode(self, constraint_mode: str | None) -> str:
        if self.default_conflict is not None:
            return self.default_conflict
        return constraint_mode or "ABORT"

    def check_row(self, row: list) -> bool:
        """NOT NULL and CHECK; False means skip the row (IGNORE)."""
        table = self.table
        for i, c in enumerate(table.columns):
            if c.not_null and row[i + 1] is None and i != table.rowid_alias:
                mode = self.mode(c.not_null_conflict)
                if mode == "IGNORE":
                    return False
                if mode == "REPLACE" and c.default is not None:
                    row[i + 1] = apply_affinity(self.default(i), c.affinity)
                    continue
                raise constraint_error(f"NOT NULL constraint failed: {table.name}.{c.name}",
                                       SQLITE_CONSTRAINT_NOTNULL, mode)
        if self.checks:
            snapshot = tuple(row)
            for name, fn, text in self.checks:
                if truth(fn(snapshot)) is False:
                    mode = self.default_conflict or "ABORT"
                    if mode == "IGNORE":
                        return False
                    raise constraint_error(f"CHECK constraint failed: {name or text}",
                                           SQLITE_CONSTRAINT_CHECK, mode)
        return True

    def write(self, row, old_rowid: int | None = None, upsert=None) -> bool:
        """Store ``row`` (a list, finished), replacing the row ``old_rowid``
        when updating.  False when the row was ignored.  ``upsert(index)``
        says whether an UPSERT clause takes over a conflict on that index (or
        the rowid, index None): then :class:`Conflict` is raised instead."""
        db = self.db
        table = self.table
        if not self.check_row(row):
            return False
        rowid = row[0]
        if rowid != old_rowid:
            existing = self.lookup(rowid)
            if existing is not None:
                if upsert is not None and upsert(None):
                    raise Conflict(rowid, None)
                mode = self.mode(table.pk_conflict if table.rowid_alias is not None else None)
                if mode == "IGNORE":
                    return False
                if mode == "REPLACE":
                    self.delete(existing)
                else:
                    col = table.columns[table.rowid_alias].name if table.rowid_alias is not None else "rowid"
                    raise constraint_error(f"UNIQUE constraint failed: {table.name}.{col}",
                                           SQLITE_CONSTRAINT_PRIMARYKEY if table.rowid_alias is not None
                                           else SQLITE_CONSTRAINT_ROWID, mode)
        snapshot = tuple(row)
        new_keys = []
        for keys in self.keys:
            k = keys.key(snapshot) if keys.applies(snapshot) else None
            new_keys.append(k)
            if k is None or not keys.idx.unique:
                continue
            while True:
                other = index_ops.find_conflict(db, keys, k)
                if other is None or other == old_rowid:
                    break
                if upsert is not None and upsert(keys.idx):
                    raise Conflict(other, keys.idx)
                mode = self.mode(keys.idx.conflict)
                if mode == "IGNORE":
                    return False
                if mode == "REPLACE":
                    victim = self.lookup(other)
                    if victim is None:
                        break
                    self.delete(victim)
                    continue
                err = index_ops.unique_error(table, keys.idx)
                raise constraint_error(str(err), err.extended_code, mode)
        if old_rowid is not None:
            old = self.lookup(old_rowid)
            if old is not None:
                self._remove_index_entries(old)
                if old_rowid != rowid:
                    db.delete_table_row(table, old_rowid)
        db.write_table_row(table, rowid, snapshot[1:])
        for keys, k in zip(self.keys, new_keys):
            if k is not None:
                btree.IndexCursor(db.pager, keys.idx.root, keys.compare).insert(k)
        return True

    def _remove_index_entries(self, row) -> None:
        for keys in self.keys:
            if keys.applies(row):
                btree.IndexCursor(self.db.pager, keys.idx.root, keys.compare).delete(keys.key(row))

    def delete(self, row) -> None:
        self._remove_index_entries(row)
        self.db.delete_table_row(self.table, row[0])


def _compile_default(comp, expr):
    try:
        return comp.compile(expr)
    except SQLError as exc:
        if str(exc).startswith("no such function: "):
            raise SQLError(f"unknown function: {str(exc)[18:]}()") from None
        raise


def new_rowid(db, table) -> int:
    """The rowid SQLite picks for a row inserted without one."""
    m = db.max_rowid(table)
    if table.autoincrement:
        seq = sequence_value(db, table)
        if seq is not None and (m is None or seq > m):
            m = seq
        if m is not None and m >= INT64_MAX:
            raise FullError("database or disk is full")
    if m is None:
        return 1
    if m < INT64_MAX:
        return m + 1
    import random
    lookup = db.row_lookup(table)
    for _ in range(100):
        r = random.randint(1, INT64_MAX)
        if lookup(r) is None:
            return r
    raise FullError("database or disk is full")


def as_rowid(v):
    """An explicit rowid value after INTEGER affinity; raise on non-integers."""
    v = apply_affinity(v, INTEGER)
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer() and -2**63 <= v < 2**63:
        return int(v)
    raise MismatchError("datatype mismatch")


def _sequence_row(db, table):
    seq = db.lookup_table("sqlite_sequence")
    if seq is None:
        return seq, None
    for row in db.table_reader(seq)():
        if isinstance(row[1], str) and row[1].lower() == table.name.lower():
            return seq, row
    return seq, None


def sequence_value(db, table) -> int | None:
    _seq, row = _sequence_row(db, table)
    return None if row is None or not isinstance(row[2], int) else row[2]


def bump_sequence(db, table, rowid: int) -> None:
    seq, found = _sequence_row(db, table)
    if seq is None:
        return
    if found is None:
        m = db.max_rowid(seq)
        db.write_table_row(seq, (m or 0) + 1, (table.name, rowid))
    elif found[2] is None or rowid > found[2]:
        db.write_table_row(seq, found[0], (found[1], rowid))
