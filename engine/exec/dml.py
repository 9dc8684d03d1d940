"""INSERT, UPDATE and DELETE (lang_insert.html, lang_update.html,
lang_delete.html, lang_conflict.html): rowid assignment, affinity on store,
NOT NULL / CHECK / UNIQUE constraints with their conflict resolution, and
index maintenance for every row changed.
"""

from __future__ import annotations

from ..errors import (
    SQLITE_CONSTRAINT_CHECK, SQLITE_CONSTRAINT_NOTNULL, SQLITE_CONSTRAINT_PRIMARYKEY,
    SQLITE_CONSTRAINT_ROWID, ConstraintError, FullError, MismatchError, SQLError,
)
from ..plan.scope import Scope
from ..plan.select import Planner, split_conjuncts
from ..sql import ast
from ..storage import btree
from . import index as index_ops
from .expr import ExprCompiler, Runtime
from .values import INT64_MAX, INTEGER, apply_affinity, truth


def _outcome(columns=None, rows=()):
    from ..database import Outcome
    return Outcome(columns, iter(rows))


def _target_table(db, name: str, schema: str | None, verb: str = "modify"):
    table = db.lookup_table(name, schema)
    if table is None:
        if name.lower() in db.views:
            raise SQLError(f"cannot modify {name} because it is a view")
        raise SQLError(f"no such table: {name}")
    if name.lower() in ("sqlite_master", "sqlite_schema"):
        raise SQLError(f"table {name} may not be modified")
    return table


class RowWriter:
    """Writes rows of one table: constraints, conflict resolution, indexes."""

    def __init__(self, db, table, rt: Runtime, conflict: str | None):
        self.db = db
        self.table = table
        self.rt = rt
        self.default_conflict = conflict
        self.keys = [index_ops.IndexKeys(db, table, idx) for idx in table.indexes]
        scope = index_ops.table_scope(db, table)
        comp = ExprCompiler(scope, rt, Planner(db, rt).plan_subquery)
        self.checks = [(name, comp.compile(expr), text) for name, expr, text in table.checks]
        self.pk_conflict = table.pk_conflict

    def _conflict_mode(self, constraint_mode: str | None) -> str:
        if self.default_conflict is not None:
            return self.default_conflict
        return constraint_mode or "ABORT"

    def check_row(self, row) -> bool:
        """NOT NULL and CHECK; False means skip the row (IGNORE)."""
        table = self.table
        for i, c in enumerate(table.columns):
            if c.not_null and row[i + 1] is None:
                if i == table.rowid_alias:
                    continue
                mode = self._conflict_mode(c.not_null_conflict)
                if mode == "IGNORE":
                    return False
                if mode == "REPLACE" and c.default is not None:
                    continue
                raise ConstraintError(f"NOT NULL constraint failed: {table.name}.{c.name}",
                                      SQLITE_CONSTRAINT_NOTNULL)
        for name, fn, text in self.checks:
            if truth(fn(row)) is False:
                mode = self.default_conflict or "ABORT"
                if mode == "IGNORE":
                    return False
                raise ConstraintError(f"CHECK constraint failed: {name or text}",
                                      SQLITE_CONSTRAINT_CHECK)
        return True

    def write(self, row, old_rowid: int | None = None) -> bool:
        """Store ``row`` = (rowid, values...), replacing the row ``old_rowid``
        when updating.  Returns False when the row was ignored."""
        db = self.db
        table = self.table
        rowid = row[0]
        if not self.check_row(row):
            return False
        # rowid uniqueness
        if rowid != old_rowid:
            existing = db.row_lookup(table)(rowid)
            if existing is not None:
                mode = self._conflict_mode(self.pk_conflict if table.rowid_alias is not None else None)
                if mode == "IGNORE":
                    return False
                if mode == "REPLACE":
                    self.delete(existing)
                else:
                    col = table.columns[table.rowid_alias].name if table.rowid_alias is not None else "rowid"
                    raise ConstraintError(f"UNIQUE constraint failed: {table.name}.{col}",
                                          SQLITE_CONSTRAINT_PRIMARYKEY if table.rowid_alias is not None
                                          else SQLITE_CONSTRAINT_ROWID)
        # unique indexes
        new_keys = []
        for keys in self.keys:
            applies = keys.applies(row)
            k = keys.key(row) if applies else None
            new_keys.append(k)
            if k is None or not keys.idx.unique:
                continue
            while True:
                other = index_ops.find_conflict(db, keys, k)
                if other is None or other == old_rowid:
                    break
                mode = self._conflict_mode(keys.idx.conflict)
                if mode == "IGNORE":
                    return False
                if mode == "REPLACE":
                    victim = db.row_lookup(table)(other)
                    if victim is None:
                        break
                    self.delete(victim)
                    continue
                raise index_ops.unique_error(table, keys.idx)
        if old_rowid is not None:
            old = db.row_lookup(table)(old_rowid)
            if old is not None:
                self._remove_index_entries(old)
                if old_rowid != rowid:
                    db.delete_table_row(table, old_rowid)
        db.write_table_row(table, rowid, row[1:])
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


def _new_rowid(db, table) -> int:
    m = db.max_rowid(table)
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


def _as_rowid(v):
    """An explicit rowid value after INTEGER affinity; raise on non-integers."""
    v = apply_affinity(v, INTEGER)
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer() and -2**63 <= v < 2**63:
        return int(v)
    raise MismatchError("datatype mismatch")


def insert(db, stmt: ast.Insert, rt: Runtime):
    db.changes = 0     # what changes() reports if the statement fails
    table = _target_table(db, stmt.table, stmt.schema)
    ncols = len(table.columns)
    if stmt.columns is not None:
        targets = []
        for name in stmt.columns:
            i = table.column_index(name)
            if i is None:
                if name.lower() in ("rowid", "oid", "_rowid_"):
                    targets.append(-1)
                    continue
                raise SQLError(f"table {table.name} has no column named {name}")
            targets.append(i)
    else:
        targets = list(range(ncols))
    planner = Planner(db, rt)
    if stmt.source is None:
        source_rows = [()]
        width = 0
        if stmt.columns is not None:
            targets = []
    elif isinstance(stmt.source.body, ast.Values) and not stmt.source.order_by and stmt.source.limit is None \
            and stmt.source.with_ is None:
        comp = ExprCompiler(Scope(), rt, planner.plan_subquery)
        rows = stmt.source.body.rows
        width = len(rows[0])
        for r in rows:
            if len(r) != width:
                raise SQLError("all VALUES must have the same number of terms")
        fns = [[comp.compile(e) for e in r] for r in rows]
        source_rows = ([f(()) for f in r] for r in fns)
    else:
        plan = planner.plan_select(stmt.source, None)
        width = len(plan.columns)
        source_rows = list(plan.rows())
    if stmt.source is not None and width != len(targets):
        if stmt.columns is None:
            raise SQLError(f"table {table.name} has {ncols} columns but {width} values were supplied")
        raise SQLError(f"{width} values for {len(targets)} columns")
    if stmt.upserts:
        raise SQLError("UPSERT is not supported yet")
    if stmt.returning:
        raise SQLError("RETURNING is not supported yet")
    writer = RowWriter(db, table, rt, stmt.conflict)
    defaults = _default_fns(db, table, rt)
    alias = table.rowid_alias
    count = 0
    for src in source_rows:
        vals = [None] * ncols
        given = [False] * ncols
        rowid = None
        for t, v in zip(targets, src):
            if t == -1:
                rowid = v
            else:
                vals[t] = v
                given[t] = True
        for i in range(ncols):
            if not given[i]:
                vals[i] = defaults[i]() if defaults[i] is not None else None
        if alias is not None and vals[alias] is not None:
            rowid = vals[alias]
        if rowid is not None:
            rowid = _as_rowid(rowid)
        else:
            rowid = _new_rowid(db, table)
        for i, c in enumerate(table.columns):
            vals[i] = apply_affinity(vals[i], c.affinity)
        if alias is not None:
            vals[alias] = rowid
        row = (rowid, *vals)
        if writer.write(row):
            count += 1
            if not table.without_rowid:
                db.last_insert_rowid = rowid
            if table.autoincrement:
                _bump_sequence(db, table, rowid)
    db.changes = count
    db.total_changes += count
    return _outcome()


def _default_fns(db, table, rt):
    comp = ExprCompiler(Scope(), rt, None)
    out = []
    for c in table.columns:
        if c.default is None:
            out.append(None)
        else:
            f = comp.compile(c.default)
            out.append(lambda f=f: f(()))
    return out


def _bump_sequence(db, table, rowid: int) -> None:
    seq = db.lookup_table("sqlite_sequence")
    if seq is None:
        return
    found = None
    for row in db.table_reader(seq)():
        if isinstance(row[1], str) and row[1].lower() == table.name.lower():
            found = row
            break
    if found is None:
        db.write_table_row(seq, _new_rowid(db, seq), (table.name, rowid))
    elif found[2] is None or rowid > found[2]:
        db.write_table_row(seq, found[0], (found[1], rowid))


def _matching_rows(db, table, alias, where, rt: Runtime, planner: Planner):
    """The working rows of ``table`` satisfying ``where``, read fully before
    any change is made."""
    scope = index_ops.table_scope(db, table, alias)
    from ..plan.select import _Level
    src = scope.sources[0]
    reader = db.table_reader(table)
    from ..exec import operators as op
    level = _Level(src, op.TableScan(reader), "INNER", None, table, reader)
    comp = planner.compiler(scope)
    conjuncts = split_conjuncts(where) if where is not None else []
    join = planner._join([level], scope, conjuncts, comp)
    return list(join.rows()), scope


def update(db, stmt: ast.Update, rt: Runtime):
    db.changes = 0     # what changes() reports if the statement fails
    ref = stmt.table
    table = _target_table(db, ref.name, ref.schema)
    if stmt.from_ is not None:
        raise SQLError("UPDATE FROM is not supported yet")
    if stmt.returning:
        raise SQLError("RETURNING is not supported yet")
    if stmt.order_by or stmt.limit is not None:
        raise SQLError("UPDATE with ORDER BY/LIMIT is not supported yet")
    planner = Planner(db, rt)
    rows, scope = _matching_rows(db, table, ref.alias, stmt.where, rt, planner)
    comp = planner.compiler(scope)
    sets = []
    for a in stmt.assignments:
        if len(a.columns) != 1:
            raise SQLError("row value assignments are not supported yet")
        name = a.columns[0]
        i = table.column_index(name)
        if i is None:
            if name.lower() in ("rowid", "oid", "_rowid_"):
                i = -1
            else:
                raise SQLError(f"no such column: {name}")
        sets.append((i, comp.compile(a.expr)))
    writer = RowWriter(db, table, rt, stmt.conflict)
    alias = table.rowid_alias
    count = 0
    for row in rows:
        vals = list(row[1:])
        rowid = row[0]
        new_rowid = rowid
        computed = [(i, f(row)) for i, f in sets]
        for i, v in computed:
            if i == -1 or i == alias:
                new_rowid = _as_rowid(v) if v is not None else None
                if new_rowid is None:
                    if i == alias:
                        raise MismatchError("datatype mismatch")
                    new_rowid = rowid
            else:
                vals[i] = apply_affinity(v, table.columns[i].affinity)
        if alias is not None:
            vals[alias] = new_rowid
        if writer.write((new_rowid, *vals), old_rowid=rowid):
            count += 1
    db.changes = count
    db.total_changes += count
    return _outcome()


def delete(db, stmt: ast.Delete, rt: Runtime):
    db.changes = 0     # what changes() reports if the statement fails
    ref = stmt.table
    table = _target_table(db, ref.name, ref.schema)
    if stmt.returning:
        raise SQLError("RETURNING is not supported yet")
    if stmt.order_by or stmt.limit is not None:
        raise SQLError("DELETE with ORDER BY/LIMIT is not supported yet")
    planner = Planner(db, rt)
    if stmt.where is None and not table.triggers:
        count = sum(1 for _ in btree.TableCursor(db.pager, table.root).scan())
        btree.clear_tree(db.pager, table.root)
        for idx in table.indexes:
            btree.clear_tree(db.pager, idx.root)
    else:
        rows, _ = _matching_rows(db, table, ref.alias, stmt.where, rt, planner)
        writer = RowWriter(db, table, rt, None)
        for row in rows:
            writer.delete(row)
        count = len(rows)
    db.changes = count
    db.total_changes += count
    return _outcome()
