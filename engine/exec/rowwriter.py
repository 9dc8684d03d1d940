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
from .rowformat import settle_generated
from .values import INT64_MAX, INTEGER, apply_affinity, truth, typeof

SQLITE_CONSTRAINT_DATATYPE = 19 | (12 << 8)


def constraint_error(message: str, code: int, mode: str) -> ConstraintError:
    """A constraint failure; FAIL keeps the statement's earlier changes and
    ROLLBACK ends the transaction (lang_conflict.html)."""
    err = ConstraintError(message, code)
    err.keep_changes = mode == "FAIL"
    err.rollback_transaction = mode == "ROLLBACK"
    return err


STRICT_TYPES = {"INT": "integer", "INTEGER": "integer", "REAL": "real", "TEXT": "text", "BLOB": "blob"}
_ROWID = object()     # the rowid's place in the order of uniqueness checks


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
        pk, position = index_ops.primary_key_index(table)
        created = list(self.keys)     # creation order (the PRIMARY KEY among the automatic indexes)
        if pk is not None:
            pk_keys = index_ops.IndexKeys(db, table, pk)
            self.keys.append(pk_keys)
            autos = sum(1 for k in created if k.idx.sql is None)
            created.insert(min(position, autos), pk_keys)
        unique = [k for k in created if k.idx.unique]
        # sqlite3 checks the newest constraint first, and those declared
        # ON CONFLICT REPLACE after all the others.
        self.unique_keys = [k for k in reversed(unique) if k.idx.conflict != "REPLACE"] \
            + [k for k in unique if k.idx.conflict == "REPLACE"]
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
        self.format = db.row_format(table)

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
            # sqlite3 checks a STRICT row's stored types before it computes
            # generated columns, so ahead of NOT NULL and CHECK.
            self.type_check(row)
            settle_generated(row, self.generated, table.columns)

    def type_check(self, row, generated: bool = False) -> None:
        """A STRICT table's column types (stricttables.html).  sqlite3 checks
        before BEFORE triggers when there are any, and after NOT NULL: before
        the CHECK constraints when there are any, else after the rowid's
        uniqueness and before the indexes', with STORED generated columns
        (``generated``); without CHECKs or indexes, as the row is stored,
        generated columns left out."""
        table = self.table
        if not table.strict:
            return
        for i, c in enumerate(table.columns):
            v = row[i + 1]
            if v is None or (c.generated is not None and not (generated and c.generated_stored)):
                continue
            t = (c.declared_type or "").upper()
            want = STRICT_TYPES.get(t)
            if want is None:
                continue  # ANY
            got = typeof(v)
            if want == "real" and got == "integer":
                row[i + 1] = float(v)
                continue
            if got != want:
                shown = {"integer": "INT", "real": "REAL", "text": "TEXT", "blob": "BLOB"}[got]
                raise constraint_error(f"cannot store {shown} value in {t} column {table.name}.{c.name}",
                                       SQLITE_CONSTRAINT_DATATYPE, "ABORT")

    # -- constraints ------------------------------------------------------------

    def mode(self, constraint_mode: str | None) -> str:
        if self.default_conflict is not None:
            return self.default_conflict
        return constraint_mode or "ABORT"

    def check_row(self, row: list) -> bool:
        """NOT NULL and CHECK; False means skip the row (IGNORE)."""
        table = self.table
        # sqlite3 checks the generated columns after all the others, having
        # computed them again when a REPLACE put a DEFAULT in.
        replaced = False
        for generated in (False, True):
            if generated and replaced and self.generated:
                settle_generated(row, self.generated, table.columns)
            for i, c in enumerate(table.columns):
                if (c.generated is not None) != generated:
                    continue
                if c.not_null and row[i + 1] is None and i != table.rowid_alias:
                    mode = self.mode(c.not_null_conflict)
                    if mode == "IGNORE":
                        return False
                    if mode == "REPLACE" and c.default is not None:
                        row[i + 1] = apply_affinity(self.default(i), c.affinity)
                        if row[i + 1] is not None:
                            replaced = True
                            continue
                        mode = "ABORT"   # a NULL default cannot replace a NULL
                    raise constraint_error(f"NOT NULL constraint failed: {table.name}.{c.name}",
                                           SQLITE_CONSTRAINT_NOTNULL, mode)
        if self.checks:
            self.type_check(row, generated=True)
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
        when updating.  False when the row was ignored.  ``upsert`` is the
        INSERT's :class:`~engine.exec.dml._Upserts` or None: a conflict on a
        constraint one of its clauses takes over raises :class:`Conflict`."""
        db = self.db
        if not self.check_row(row):
            return False
        if self.table.without_rowid:
            row[0] = self.format.handle_of(row)
        new_keys = None
        # sqlite3 checks a STRICT row's types as it reaches the indexes,
        # STORED generated columns included, before it computes any index
        # key; a table without indexes is checked as the row is stored,
        # generated columns left out.
        typed = bool(self.checks)
        for keys in self._check_order(upsert):
            if keys is _ROWID:
                outcome = self._check_rowid(row, old_rowid, upsert)
            else:
                if not typed:
                    self.type_check(row, generated=True)
                    typed = True
                if new_keys is None:
                    new_keys = self._index_keys(row)
                outcome = self._check_unique(keys, new_keys[id(keys)], old_rowid, upsert)
            if outcome is False:
                return False
        if not typed:
            self.type_check(row, generated=bool(self.keys))
        if new_keys is None:
            new_keys = self._index_keys(row)
        snapshot = tuple(row)
        if old_rowid is not None:
            old = self.lookup(old_rowid)
            if old is not None:
                self._remove_index_entries(old)
                if old_rowid != row[0]:
                    db.delete_table_row(self.table, old_rowid)
        db.write_table_row(self.table, row[0], snapshot[1:])
        for keys in self.keys:
            k = new_keys[id(keys)]
            if k is not None and keys.idx.root:
                btree.IndexCursor(db.pager_for(keys.idx), keys.idx.root, keys.compare).insert(k)
        return True

    def _index_keys(self, row) -> dict:
        """Each index's key of ``row`` (None where a partial index leaves it out)."""
        snapshot = tuple(row)
        return {id(keys): keys.key(snapshot) if keys.applies(snapshot) else None for keys in self.keys}

    def _check_order(self, upsert) -> list:
        """The order sqlite3 checks uniqueness in: the rowid first (last when
        it is declared ON CONFLICT REPLACE and the statement names no conflict
        resolution), then the unique indexes; an UPSERT's targets come first,
        the rowid straight after the first clause's target."""
        table = self.table
        order = list(self.unique_keys)
        if upsert is not None:
            targets = [self._keys_for(t) for t in upsert.targets()]
            if targets:
                rest = [k for k in order if not any(k is t for t in targets)]
                rowid = [] if table.without_rowid or any(t is _ROWID for t in targets[1:]) else [_ROWID]
                if targets[0] is _ROWID:
                    return targets + rest
                return targets[:1] + rowid + targets[1:] + rest
        if table.without_rowid:
            return order
        if self.default_conflict is None and table.rowid_alias is not None \
                and table.pk_conflict == "REPLACE" and self.keys:
            return order + [_ROWID]
        return [_ROWID] + order

    def _keys_for(self, target):
        if target is None:
            return _ROWID
        for keys in self.keys:
            if keys.idx is target:
                return keys
        raise AssertionError("upsert target is not an index of the table")

    def _check_rowid(self, row, old_rowid, upsert):
        table = self.table
        rowid = row[0]
        if rowid == old_rowid:
            return True
        existing = self.lookup(rowid)
        if existing is None:
            return True
        if upsert is not None and upsert.matches(None):
            raise Conflict(rowid, None)
        mode = self.mode(table.pk_conflict if table.rowid_alias is not None else None)
        if mode == "IGNORE":
            return False
        if mode == "REPLACE":
            self.delete(existing)
            return True
        col = table.columns[table.rowid_alias].name if table.rowid_alias is not None else "rowid"
        raise constraint_error(f"UNIQUE constraint failed: {table.name}.{col}",
                               SQLITE_CONSTRAINT_PRIMARYKEY if table.rowid_alias is not None
                               else SQLITE_CONSTRAINT_ROWID, mode)

    def _check_unique(self, keys, k, old_rowid, upsert):
        if k is None:
            return True
        while True:
            other = index_ops.find_conflict(self.db, keys, k, old_rowid)
            if other is None:
                return True
            if upsert is not None and upsert.matches(keys.idx):
                raise Conflict(other, keys.idx)
            mode = self.mode(keys.idx.conflict)
            if mode == "IGNORE":
                return False
            if mode == "REPLACE":
                victim = self.lookup(other)
                if victim is None:
                    return True
                self.delete(victim)
                continue
            err = index_ops.unique_error(self.table, keys.idx)
            raise constraint_error(str(err), err.extended_code, mode)

    def _remove_index_entries(self, row) -> None:
        for keys in self.keys:
            if keys.idx.root and keys.applies(row):
                btree.IndexCursor(self.db.pager_for(keys.idx), keys.idx.root, keys.compare).delete(keys.key(row))

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
        # The sequence starts at 0: AUTOINCREMENT never hands out a rowid below 1.
        seq = sequence_value(db, table) or 0
        if m is None or seq > m:
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
    v = apply_affinity(v, INTEGER)     # a real converts only when exact and inside the range
    if isinstance(v, int):
        return v
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
        db.write_table_row(seq, (m or 0) + 1, (table.name, max(rowid, 0)))
    elif found[2] is None or rowid > found[2]:
        db.write_table_row(seq, found[0], (found[1], rowid))
