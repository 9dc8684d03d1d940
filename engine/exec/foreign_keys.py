"""Foreign keys (foreignkeys.html), enforced while ``PRAGMA foreign_keys``
is on.

Changes record what they may have broken: a child row whose key must have a
parent, or a parent key that child rows may still point at.  The records
are checked when the statement ends (immediate constraints) or at COMMIT
(deferred ones, or everything under ``PRAGMA defer_foreign_keys``), so a
statement may pass through a violation and repair it, as in SQLite.
ON DELETE / ON UPDATE actions (CASCADE, SET NULL, SET DEFAULT, RESTRICT)
run as the parent row changes, through ordinary UPDATE and DELETE
statements on the child table.
"""

from __future__ import annotations

from ..errors import SQLITE_CONSTRAINT_FOREIGNKEY, ConstraintError, SQLError
from ..sql import ast
from .values import apply_affinity, collation_key_function, equality_key


def enabled(db) -> bool:
    return bool(db.__dict__.get("settings", {}).get("foreign_keys"))


def fk_error() -> ConstraintError:
    return ConstraintError("FOREIGN KEY constraint failed", SQLITE_CONSTRAINT_FOREIGNKEY)


class ForeignKey:
    """One FOREIGN KEY of a child table, resolved against its parent."""

    def __init__(self, db, child, fk: ast.ForeignKeyConstraint, fid: int):
        self.child = child
        self.fid = fid
        self.clause = fk.clause
        self.parent_name = fk.clause.table
        self.child_cols = [child.column_index(c) for c in fk.columns]
        self.actions = dict(fk.clause.actions)
        self.deferred = fk.clause.deferred
        self.parent = db.lookup_table(self.parent_name)
        self.parent_cols = None
        if self.parent is not None:
            self.parent_cols = self._parent_key(db)

    def _parent_key(self, db):
        parent = self.parent
        if self.clause.columns:
            cols = [parent.column_index(c) for c in self.clause.columns]
            if any(c is None for c in cols):
                return None
        elif parent.rowid_alias is not None:
            cols = [parent.rowid_alias]
        else:
            cols = list(parent.primary_key)
        if len(cols) != len(self.child_cols):
            return None
        # The parent key must be the PRIMARY KEY or have a UNIQUE index.
        if cols == [parent.rowid_alias] or sorted(cols) == sorted(parent.primary_key):
            return cols
        for idx in parent.indexes:
            if not idx.unique or idx.where is not None:
                continue
            names = []
            for ic in idx.columns:
                e = ic.expr
                while isinstance(e, ast.Collate):
                    e = e.expr
                names.append(parent.column_index(e.name) if isinstance(e, ast.Column) else None)
            if sorted(n for n in names if n is not None) == sorted(cols) and len(names) == len(cols):
                return cols
        return None

    def check_usable(self) -> None:
        if self.parent is None or self.parent_cols is None or any(c is None for c in self.child_cols):
            if self.parent is None:
                raise SQLError(f"no such table: main.{self.parent_name}")
            raise SQLError(f'foreign key mismatch - "{self.child.name}" referencing "{self.parent_name}"')

    def child_key(self, row):
        """The key a child row points at, or None when any part is NULL."""
        vals = [row[i + 1] for i in self.child_cols]
        if any(v is None for v in vals):
            return None
        return tuple(vals)

    def parent_key_of(self, row):
        return tuple(row[i + 1] for i in self.parent_cols)

    def _key(self, values, table_cols):
        out = []
        for v, i in zip(values, table_cols):
            col = self.parent.columns[i]
            v = apply_affinity(v, col.affinity)
            out.append(equality_key(v, collation_key_function(col.collation)))
        return tuple(out)

    def has_parent(self, db, key) -> bool:
        if self.parent is None:
            return False
        want = self._key(key, self.parent_cols)
        if self.parent_cols == [self.parent.rowid_alias]:
            v = apply_affinity(key[0], self.parent.columns[self.parent.rowid_alias].affinity)
            return isinstance(v, int) and db.row_lookup(self.parent)(v) is not None
        for row in db.table_reader(self.parent)():
            if self._key(self.parent_key_of(row), self.parent_cols) == want:
                return True
        return False

    def children_of(self, db, key) -> list:
        """Child rows pointing at parent key ``key``."""
        want = self._key(key, self.parent_cols)
        out = []
        for row in db.table_reader(self.child)():
            ck = self.child_key(row)
            if ck is not None and self._key(ck, self.parent_cols) == want:
                out.append(row)
        return out


def keys_of(db, table) -> list[ForeignKey]:
    """The foreign keys declared by ``table`` (as a child)."""
    return [ForeignKey(db, table, fk, fid) for fid, fk in enumerate(reversed(table.foreign_keys))]


def keys_to(db, table) -> list[ForeignKey]:
    """The foreign keys of every table that point at ``table`` (as parent)."""
    lname = table.name.lower()
    out = []
    for child in db.tables.values():
        for fk in keys_of(db, child):
            if fk.parent_name.lower() == lname:
                out.append(fk)
    return out


def _pending(db) -> list:
    return db.__dict__.setdefault("_fk_pending", [])


def _deferred(db) -> bool:
    return bool(db.__dict__.get("settings", {}).get("defer_foreign_keys"))


def child_written(db, table, row) -> None:
    """A child row was inserted or updated: its keys need parents."""
    for fk in keys_of(db, table):
        fk.check_usable()
        key = fk.child_key(row)
        if key is not None:
            _pending(db).append(("child", fk, row[0], key))


def parent_removed(db, rt, table, old, new=None) -> None:
    """A parent row is being deleted (``new`` None) or updated: run the
    children's ON DELETE/ON UPDATE actions, and record what must be checked."""
    from . import dml
    for fk in keys_to(db, table):
        fk.check_usable()
        if fk.parent_cols is None:
            continue
        old_key = fk.parent_key_of(old)
        if new is not None and fk._key(fk.parent_key_of(new), fk.parent_cols) == fk._key(old_key, fk.parent_cols):
            continue
        if any(v is None for v in old_key):
            continue
        event = "UPDATE" if new is not None else "DELETE"
        action = fk.actions.get(event, "NO ACTION")
        children = fk.children_of(db, old_key)
        if not children:
            continue
        if action == "RESTRICT":
            raise fk_error()
        ref = ast.TableRef(fk.child.name)
        where = _rowids_in([r[0] for r in children])
        if action == "CASCADE" and new is None:
            dml.delete(db, ast.Delete(ref, where), rt)
        elif action == "CASCADE":
            new_key = fk.parent_key_of(new)
            sets = tuple(ast.Assignment((fk.child.columns[c].name,), ast.Literal(v))
                         for c, v in zip(fk.child_cols, new_key))
            dml.update(db, ast.Update(ref, sets, where=where), rt)
        elif action in ("SET NULL", "SET DEFAULT"):
            sets = []
            for c in fk.child_cols:
                col = fk.child.columns[c]
                value = col.default if action == "SET DEFAULT" and col.default is not None else ast.Literal(None)
                sets.append(ast.Assignment((col.name,), value))
            dml.update(db, ast.Update(ref, tuple(sets), where=where), rt)
        else:
            _pending(db).append(("parent", fk, None, old_key))


def _rowids_in(rowids):
    return ast.InList(ast.Column("rowid"), tuple(ast.Literal(r) for r in rowids))


def _violated(db, item) -> bool:
    kind, fk, rowid, key = item
    if kind == "child":
        row = db.row_lookup(fk.child)(rowid)
        if row is None:
            return False
        current = fk.child_key(row)
        return current is not None and not fk.has_parent(db, current)
    return bool(fk.children_of(db, key)) and not fk.has_parent(db, key)


def statement_end(db) -> None:
    """Check the immediate constraints a statement touched; deferred ones wait
    for COMMIT."""
    pending = db.__dict__.get("_fk_pending")
    if not pending:
        return
    keep = []
    for item in pending:
        if item[1].deferred or _deferred(db) or db.explicit_txn and item[1].deferred:
            keep.append(item)
        elif _violated(db, item):
            pending.clear()
            pending.extend(keep)
            raise fk_error()
    pending[:] = keep if db.explicit_txn else []
    if not db.explicit_txn and keep:
        for item in keep:
            if _violated(db, item):
                raise fk_error()


def commit_check(db) -> None:
    pending = db.__dict__.get("_fk_pending") or []
    for item in pending:
        if _violated(db, item):
            raise fk_error()
    pending.clear()


def forget(db) -> None:
    """The transaction ended: nothing is pending and deferral ends with it."""
    db.__dict__.pop("_fk_pending", None)
    settings = db.__dict__.get("settings")
    if settings is not None:
        settings["defer_foreign_keys"] = 0


def violations(db, table_name: str | None) -> list:
    """Rows for PRAGMA foreign_key_check: (table, rowid, parent, fkid)."""
    tables = [db.lookup_table(table_name)] if table_name else list(db.tables.values())
    out = []
    for table in tables:
        if table is None:
            continue
        for fk in keys_of(db, table):
            for row in db.table_reader(table)():
                key = fk.child_key(row)
                if key is not None and not fk.has_parent(db, key):
                    out.append((table.name, row[0], fk.parent_name, fk.fid))
    return out
