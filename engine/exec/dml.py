"""INSERT, UPDATE and DELETE (lang_insert.html, lang_update.html,
lang_delete.html, lang_upsert.html, lang_returning.html): which rows
change, with what values, the triggers around each row, UPSERT, RETURNING,
UPDATE ... FROM and ORDER BY/LIMIT on UPDATE and DELETE.  The writing
itself, with constraints and indexes, is engine/exec/rowwriter.py.

Every statement reads the rows it will change before changing any, so a
statement never sees its own changes.  ``outer`` is the scope of a trigger
program when the statement runs inside one.
"""

from __future__ import annotations

from dataclasses import replace
from operator import itemgetter

from ..errors import ConstraintError, MismatchError, SQLError
from ..plan.scope import Scope, table_source
from ..plan.select import Planner, _Level, split_conjuncts
from ..sql import ast
from ..storage import btree
from . import foreign_keys
from . import operators as op
from .expr import ExprCompiler, Runtime
from .index import key_collations
from .rowwriter import Conflict, RowWriter, as_rowid, bump_sequence, new_rowid
from .triggers import fire, has_triggers, triggers_for
from .values import INTEGER, NUMERIC, REAL, affinity_of_type, collation_key_function, truth


def _outcome(columns=None, rows=()):
    from ..database import Outcome
    return Outcome(columns, iter(rows))


def _planner(db, rt, with_) -> Planner:
    planner = Planner(db, rt)
    if with_ is not None:
        planner._ctes.append({c.name.lower(): (c, with_.recursive) for c in with_.ctes})
    return planner


def _target(db, name: str, schema: str | None, event: str):
    """The table a statement changes, or a view with INSTEAD OF triggers."""
    if name.lower() in ("sqlite_master", "sqlite_schema"):
        raise SQLError(f"table {name} may not be modified")
    table = db.lookup_table(name, schema)
    if table is not None:
        return table
    view = db.views.get(name.lower())
    if view is not None:
        if triggers_for(db, view.name, "INSTEAD OF", event):
            return view
        raise SQLError(f"cannot modify {name} because it is a view")
    schema = schema or db.__dict__.get("_trigger_schema")     # inside a trigger's program
    raise SQLError(f"no such table: {schema + '.' if schema else ''}{name}")


def _fire_before(db, rt, writer, event: str, old, row, columns, conflict) -> bool:
    """The BEFORE triggers of a row; a STRICT table's types are checked
    before they run, STORED generated columns included."""
    table = writer.table
    if table.strict and triggers_for(db, table.name, "BEFORE", event, columns):
        writer.type_check(row, generated=True)
    return fire(db, rt, table, "BEFORE", event, old=old, new=tuple(row), columns=columns, conflict=conflict)


def _statement_conflict(db, conflict, outer):
    """The conflict resolution a statement runs with: inside a trigger
    program, the one of the statement that fired it when that named one
    (lang_createtrigger.html), else its own OR clause."""
    if outer is not None:
        inherited = db.__dict__.get("_trigger_conflict")
        if inherited is not None:
            return inherited
    return conflict


def _statement_failed(db, count: int, exc: Exception, top_level: bool) -> None:
    """changes() and total_changes() after a statement failed part way: a
    FAIL keeps the rows already changed and counts them, anything else
    undoes them and changes() is 0."""
    if getattr(exc, "keep_changes", False):
        if top_level and foreign_keys.enabled(db):
            # The rows kept must satisfy the immediate foreign keys, else the
            # statement fails on those instead and is undone.
            try:
                foreign_keys.statement_end(db)
            except ConstraintError as fk_failure:
                db.changes = 0
                raise fk_failure from None
        db.changes = count
        db.total_changes += count
    else:
        db.changes = 0


def _is_view(target) -> bool:
    return hasattr(target, "select")


class Returning:
    """RETURNING: expressions over the changed row, collected in order.

    sqlite3 3.40 gives a result column that is a bare column reference
    (``c``, ``t.c``, ``c COLLATE x``, a ``*`` column, the rowid) other types
    than the same column inside an expression: a REAL column's integral
    value comes out as an integer where the statement computed the row
    (INSERT, UPDATE, UPSERT; for DELETE only a VIRTUAL generated column's;
    also through unary ``+``), and when the table's first column has REAL
    affinity every bare column's integer comes out as a real.

    Every column here also takes the first column's affinity and collation
    in comparisons, and its NOT NULL (see :func:`_returning_quirks`); a
    column on the left of BETWEEN has neither affinity nor collation."""

    def __init__(self, planner: Planner, target, items, outer, deleting: bool = False):
        source = table_source(target)
        first = target.columns[0] if target.columns else None
        if first is not None:
            # sqlite3 3.40 compares every column here, the rowid too, under
            # the affinity and collation of the table's first column.
            for info in source.columns:
                info.affinity = first.affinity
                info.collation = first.collation
        if first is not None:
            items = [rc if isinstance(rc, ast.Star) else replace(rc, expr=_returning_quirks(rc.expr, target))
                     for rc in items]
        scope = Scope([source], parent=outer)
        comp = planner.compiler(scope)
        self.names = []
        self.fns = []
        real_first = bool(target.columns) and target.columns[0].affinity == REAL
        for rc in items:
            if isinstance(rc, ast.Star):
                for slot, info, _src in scope.star_columns(None):
                    self.names.append(info.name)
                    column = target.column_index(info.name)
                    self.fns.append(_returned_column(itemgetter(slot), target, column, deleting, real_first))
            else:
                self.names.append(rc.alias or (rc.expr.name if isinstance(rc.expr, ast.Column) else rc.text))
                agg = _aggregate_in(rc.expr)
                if agg is not None:
                    raise SQLError(f"misuse of aggregate function {agg.name}()")
                fn = comp.compile(rc.expr)
                bare, column = _bare_column(rc.expr, target)
                if bare is not None:
                    fn = _returned_column(fn, target, column, deleting, real_first and bare)
                elif _hands_on(rc.expr):
                    fn = _passed_through(fn, target, deleting)
                self.fns.append(fn)
        self.rows: list = []

    def add(self, row) -> None:
        self.rows.append(tuple(f(row) for f in self.fns))

    def outcome(self):
        return _outcome(self.names, self.rows)


def _returning_quirks(e, target):
    """``e`` as sqlite3 3.40 evaluates it in RETURNING (subqueries are left
    as they are):

    * a plain column on the left of BETWEEN has no affinity or collation;
    * when the table's first column is NOT NULL every column is taken to
      be NOT NULL: ``c IS NULL`` is 0, ``c IS NOT NULL`` is 1, and an IN
      list made of such columns and non-NULL constants ignores the NULLs
      of its columns (a non-NULL left operand gives 0 or 1)."""
    if isinstance(e, tuple):          # CASE's (WHEN, THEN) pairs
        return tuple(_returning_quirks(x, target) for x in e)
    if not hasattr(e, "__dataclass_fields__") or isinstance(e, (ast.Select, ast.Subquery, ast.Exists, ast.InSelect)):
        return e
    not_null = target.columns[0].not_null

    def column(x):
        return isinstance(x, ast.Column) and _bare_column(x, target)[0] is True

    if not_null and isinstance(e, ast.Binary) and e.op in ("IS", "IS NOT") and isinstance(e.right, ast.Literal) \
            and e.right.value is None and column(e.left):
        return ast.Literal(0 if e.op == "IS" else 1)
    changes = {}
    for f in e.__dataclass_fields__:
        v = getattr(e, f)
        if hasattr(v, "__dataclass_fields__"):
            new = _returning_quirks(v, target)
        elif isinstance(v, tuple):
            new = tuple(_returning_quirks(x, target) for x in v)
        else:
            continue
        if new != v:
            changes[f] = new
    if changes:
        e = replace(e, **changes)
    if isinstance(e, ast.Between) and column(e.expr):
        return replace(e, expr=ast.FunctionCall("likely", (e.expr,)))
    if not_null and isinstance(e, ast.InList) and e.items and any(column(x) for x in e.items) \
            and all(column(x) or _constant_not_null(x) for x in e.items):
        decided = ast.FunctionCall("coalesce", (e, ast.Literal(1 if e.negated else 0)))
        return ast.Case(None, ((ast.Binary("IS", e.expr, ast.Literal(None)), ast.Literal(None)),), decided)
    return e


def _constant_not_null(e) -> bool:
    while isinstance(e, ast.Unary) and e.op in ("+", "-"):
        e = e.operand
    return isinstance(e, ast.Literal) and e.value is not None


def _bare_column(expr, target):
    """(True, column) for a bare reference to a column of ``target`` (column
    None: the rowid), (False, column) for one under unary plus, (None, None)
    for anything else."""
    bare = True
    e = expr
    while True:
        if isinstance(e, ast.Collate):
            e = e.expr
        elif isinstance(e, ast.Unary) and e.op == "+":
            bare = False
            e = e.operand
        else:
            break
    if not isinstance(e, ast.Column) or e.schema is not None \
            or (e.table is not None and e.table.lower() != target.name.lower()):
        return None, None
    i = target.column_index(e.name)
    if i is None and (target.without_rowid or e.name.lower() not in ("rowid", "oid", "_rowid_")):
        return None, None
    return bare, i


def _returned_column(fn, target, column, deleting: bool, realify: bool):
    col = target.columns[column] if column is not None else None
    integral = col is not None and col.affinity == REAL and (
        not deleting or (col.generated is not None and not col.generated_stored))
    if not integral and not realify:
        return fn

    def value(row):
        v = fn(row)
        # sqlite3 keeps such a value as an integer flagged real only when it
        # fits in 6 bytes.
        if integral and type(v) is float and v.is_integer() and -2**47 <= v < 2**47:
            v = int(v)
        if realify and type(v) is int:
            v = float(v)
        return v
    return value


_HANDING_ON = frozenset(("unlikely", "likely", "likelihood", "coalesce", "ifnull", "nullif", "iif", "max", "min"))


def _hands_on(e) -> bool:
    """Whether ``e`` may give one of its operands' values unchanged, as
    sqlite3 copies them (a function that returns an argument, CASE, CAST to
    a numeric type, unary plus), down to a column."""
    if isinstance(e, ast.Column):
        return True
    if isinstance(e, (ast.Collate, ast.Cast)):
        if isinstance(e, ast.Cast) and affinity_of_type(e.type_name) not in (NUMERIC, INTEGER):
            return False
        return _hands_on(e.expr)
    if isinstance(e, ast.Unary) and e.op == "+":
        return _hands_on(e.operand)
    if isinstance(e, ast.FunctionCall) and e.over is None and e.name.lower() in _HANDING_ON:
        return any(_hands_on(a) for a in e.args)
    if isinstance(e, ast.Case):
        return any(_hands_on(t) for _w, t in e.whens) or (e.else_ is not None and _hands_on(e.else_))
    return False


def _passed_through(fn, target, deleting: bool):
    """An expression that hands on a REAL column's integral value unchanged
    (unlikely(), coalesce(), CASE, max(), CAST AS NUMERIC, ...) gives it as
    an integer too: sqlite3 3.40 copies the column's integer-flagged-real
    value.  The value is recognised as the row's own object."""
    slots = [i + 1 for i, c in enumerate(target.columns) if c.affinity == REAL
             and (not deleting or (c.generated is not None and not c.generated_stored))]
    if not slots:
        return fn

    def value(row):
        v = fn(row)
        if type(v) is float and v.is_integer() and -2**47 <= v < 2**47 \
                and any(v is row[s] for s in slots):
            return int(v)
        return v
    return value


def _term_matches(table, ic, icoll, e, coll) -> bool:
    """Whether an upsert target term (expression ``e``, explicit collation
    ``coll``) names index column ``ic`` (whose collation is ``icoll``)."""
    if coll is not None and coll.lower() != (icoll or "BINARY").lower():
        return False
    base = ic.expr
    while isinstance(base, ast.Collate):
        base = base.expr
    if isinstance(base, ast.Column) and isinstance(e, ast.Column):
        i = table.column_index(base.name)
        # A term naming the rowid alias means the rowid, never an index column.
        return e.table is None and i is not None and i != table.rowid_alias \
            and table.column_index(e.name) == i
    return _same_expr(e, base)


def _same_expr(a, b) -> bool:
    """Expression trees equal up to the case of column names."""
    if type(a) is not type(b):
        return False
    if isinstance(a, ast.Column):
        return a.name.lower() == b.name.lower() and (a.table or "").lower() == (b.table or "").lower()
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same_expr(x, y) for x, y in zip(a, b))
    if hasattr(a, "__dataclass_fields__"):
        return all(_same_expr(getattr(a, f), getattr(b, f)) for f in a.__dataclass_fields__)
    return a == b


def _aggregate_in(expr):
    """The first aggregate call (not a window function) in ``expr``, or None."""
    from .aggregates import is_aggregate_call
    from .expr import walk
    for n in walk(expr):
        if isinstance(n, ast.FunctionCall) and n.over is None \
                and is_aggregate_call(n.name, len(n.args), n.star):
            return n
    return None


# ---------------------------------------------------------------------------
# INSERT
# ---------------------------------------------------------------------------


def _insert_targets(target, columns) -> list[int]:
    """Column positions for the values (-1 for an explicit rowid)."""
    names = [c.name for c in target.columns] if not _is_view(target) else None
    if columns is None:
        return [i for i, c in enumerate(target.columns) if c.generated is None]
    out = []
    for name in columns:
        i = target.column_index(name) if names is not None else None
        if i is None:
            if names is not None and name.lower() in ("rowid", "oid", "_rowid_") and not target.without_rowid:
                out.append(-1)
                continue
            raise SQLError(f"table {target.name} has no column named {name}")
        out.append(i)
    return out


def _reads_table(db, exprs, name: str) -> bool:
    """Whether a subquery in ``exprs`` reads table ``name`` (or any view,
    which might)."""
    lname = name.lower()
    return any(isinstance(n, ast.TableRef) and (n.name.lower() == lname or n.name.lower() in db.views)
               for row in exprs for x in row for n in ast.subtree(x))


def _all_first(compute):
    """Rows computed in full when the first is asked for (so nothing runs
    while the statement is still being prepared)."""
    yield from compute()


def executing(db) -> None:
    """The statement has been prepared and starts to run: from now on a
    failure leaves changes() at 0, as a failed sqlite3_step does (an error
    while preparing leaves it as it was)."""
    db._executing = True


def _source_rows(planner: Planner, stmt: ast.Insert, outer, rt):
    """(width, iterator of value tuples) for the VALUES or SELECT."""
    src = stmt.source
    if src is None:
        return 0, iter([()])
    if isinstance(src.body, ast.Values) and not src.order_by and src.limit is None and src.with_ is None:
        comp = ExprCompiler(Scope(parent=outer), rt, planner.plan_subquery)
        rows = src.body.rows
        width = len(rows[0])
        for r in rows:
            if len(r) != width:
                raise SQLError("all VALUES must have the same number of terms")
        fns = [[comp.compile(e) for e in r] for r in rows]
        if len(rows) > 1 and (stmt.returning or _reads_table(planner.db, rows, stmt.table)):
            # sqlite3 computes a multi-row VALUES that reads the target table,
            # or whose INSERT has a RETURNING clause, into a temporary table
            # before inserting anything.
            return width, _all_first(lambda: [[f(()) for f in r] for r in fns])
        return width, ([f(()) for f in r] for r in fns)
    plan = planner.plan_select(src, outer)
    db = planner.db
    if any(isinstance(n, ast.TableRef) and (n.name.lower() == stmt.table.lower() or n.name.lower() in db.views)
           for n in ast.subtree(src)) or stmt.returning or has_triggers(db, stmt.table) or foreign_keys.enabled(db):
        # Read everything first: INSERT INTO t SELECT ... FROM t sees t as it
        # was (sqlite3 uses a temporary table, as it does for RETURNING),
        # and nothing the inserts set off can change a table being read.
        return len(plan.columns), _all_first(lambda: list(plan.rows()))
    # Otherwise each row is inserted as it is read, as sqlite3 does: the
    # SELECT sees last_insert_rowid() and changes() move on.
    return len(plan.columns), plan.rows()


def insert(db, stmt: ast.Insert, rt: Runtime, outer=None):
    target = _target(db, stmt.table, stmt.schema, "INSERT")
    planner = _planner(db, rt, stmt.with_)
    if _is_view(target):
        return _insert_into_view(db, stmt, rt, target, planner, outer)
    table = target
    ncols = len(table.columns)
    targets = _insert_targets(table, stmt.columns)
    for i in targets:
        if i >= 0 and table.columns[i].generated is not None:
            raise SQLError(f"cannot INSERT into generated column \"{table.columns[i].name}\"")
    width, source = _source_rows(planner, stmt, outer, rt)
    if stmt.source is None:
        targets = []
    elif width != len(targets):
        if stmt.columns is None:
            raise SQLError(f"table {table.name} has {len(targets)} columns but {width} values were supplied")
        raise SQLError(f"{width} values for {len(targets)} columns")
    conflict = _statement_conflict(db, stmt.conflict, outer)
    writer = RowWriter.get(db, table, rt, conflict, planner.plan_subquery, outer)
    upserts = _Upserts(db, table, stmt.upserts, rt, planner, outer, writer) if stmt.upserts else None
    returning = Returning(planner, table, stmt.returning, outer) if stmt.returning else None
    triggered = has_triggers(db, table.name)
    fk_on = foreign_keys.enabled(db)
    alias = table.rowid_alias
    count = 0
    executing(db)
    try:
        for values in source:
            row = [None] * (ncols + 1)
            given = [False] * ncols
            rowid = None
            for t, v in zip(targets, values):
                if t == -1:
                    rowid = v
                else:
                    row[t + 1] = v
                    given[t] = True
            for i in range(ncols):
                # The rowid alias's DEFAULT is never used: an omitted one is a new rowid.
                if not given[i] and table.columns[i].generated is None and i != alias:
                    row[i + 1] = writer.default(i)
            if alias is not None and row[alias + 1] is not None:
                rowid = row[alias + 1]
            rowid = as_rowid(rowid) if rowid is not None else None
            if triggered:
                writer.finish_row(row)
                row[0] = rowid if rowid is not None else -1
                if alias is not None:
                    row[alias + 1] = row[0]
                if not _fire_before(db, rt, writer, "INSERT", None, row, None, conflict):
                    continue
            if rowid is not None:
                row[0] = rowid
            else:
                row[0] = None if table.without_rowid else new_rowid(db, table)
            if alias is not None:
                row[alias + 1] = row[0]
            writer.finish_row(row)
            try:
                written = writer.write(row, upsert=upserts)
            except Conflict as clash:
                changed = upserts.apply(clash, row)
                if changed is not None:
                    count += 1
                    if returning is not None:
                        returning.add(changed)
                continue
            if not written:
                continue
            count += 1
            if fk_on:
                foreign_keys.child_written(db, table, row)
            if not table.without_rowid:
                db.last_insert_rowid = row[0]
            if table.autoincrement:
                bump_sequence(db, table, row[0])
            if triggered:
                fire(db, rt, table, "AFTER", "INSERT", new=tuple(row), conflict=conflict)
            if returning is not None:
                returning.add(tuple(row))
    except Exception as exc:
        _statement_failed(db, count, exc, outer is None)
        raise
    return _statement_done(db, count, returning, outer)


def _insert_into_view(db, stmt, rt, view, planner, outer):
    plan = db.view_plan(view, planner)
    names = [c.name for c in plan.columns]
    if stmt.columns is None:
        targets = list(range(len(names)))
    else:
        lower = [n.lower() for n in names]
        targets = []
        for name in stmt.columns:
            if name.lower() not in lower:
                raise SQLError(f"table {view.name} has no column named {name}")
            targets.append(lower.index(name.lower()))
    width, source = _source_rows(planner, stmt, outer, rt)
    if stmt.source is not None and width != len(targets):
        raise SQLError(f"table {view.name} has {len(names)} columns but {width} values were supplied")
    for values in source:
        row = [None] * (len(names) + 1)
        for t, v in zip(targets, values):
            row[t + 1] = v
        fire(db, rt, view, "INSTEAD OF", "INSERT", new=tuple(row),
             conflict=_statement_conflict(db, stmt.conflict, outer))
    return _outcome()


class _Upserts:
    """The ON CONFLICT clauses of an INSERT."""

    def __init__(self, db, table, clauses, rt, planner, outer, writer):
        self.db = db
        self.table = table
        self.clauses = clauses
        self.writer = writer
        self.conflict = writer.default_conflict
        # Scope for DO UPDATE: the existing row, then the proposed one as "excluded".
        excluded = table_source(table, "excluded")
        # Unqualified names mean the existing row; "excluded." must be written.
        excluded.using_hidden = {c.name.lower() for c in table.columns} | {"rowid", "oid", "_rowid_"}
        scope = Scope([table_source(table), excluded], parent=outer)
        comp = planner.compiler(scope)
        self.compiled = []
        for clause in clauses:
            sets = _compile_sets(table, clause.assignments, comp) if clause.action == "UPDATE" else []
            where = comp.compile(clause.where) if clause.where is not None else None
            self.compiled.append((clause, sets, where))
        self._chosen = None
        for clause in clauses:
            for ic in clause.target or ():
                e = ic.expr
                while isinstance(e, ast.Collate):
                    e = e.expr
                if isinstance(e, ast.Column) and table.column_index(e.name) is None \
                        and e.name.lower() not in ("rowid", "oid", "_rowid_"):
                    raise SQLError(f"no such column: {e.name}")
        self._targets = []
        for i, clause in enumerate(clauses):
            if clause.target is None:
                if i != len(clauses) - 1:
                    raise SQLError("ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint")
                continue
            index = self._index_for(clause)
            if index is False:
                raise SQLError("ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint")
            self._targets.append(index)

    def _index_for(self, clause):
        """The constraint a clause's target names (lang_upsert.html): the
        rowid (None) for one term naming it, else the first unique index (in
        the order they are checked) with as many columns as the target, each
        found among the target's terms; a term's COLLATE must be the index
        column's collation.  False when none matches."""
        table = self.table
        terms = []
        for ic in clause.target:
            e = ic.expr
            coll = ic.collation
            while isinstance(e, ast.Collate):
                coll = e.collation if coll is None else coll
                e = e.expr
            terms.append((e, coll))
        if len(terms) == 1 and not table.without_rowid:
            e, coll = terms[0]
            if isinstance(e, ast.Column) and coll is None and e.table is None:
                i = table.column_index(e.name)
                if (i is None and e.name.lower() in ("rowid", "oid", "_rowid_")) \
                        or (i is not None and i == table.rowid_alias):
                    return None
        for keys in self.writer.unique_keys:
            idx = keys.idx
            if len(idx.columns) != len(terms):
                continue
            if idx.where is not None and (clause.target_where is None
                                          or not _same_expr(clause.target_where, idx.where)):
                continue
            colls = key_collations(table, idx)
            if all(any(_term_matches(table, ic, icoll, e, coll) for e, coll in terms)
                   for ic, icoll in zip(idx.columns, colls)):
                return idx
        return False

    def targets(self) -> list:
        """The constraints the clauses name, in clause order (None: the rowid)."""
        return self._targets

    def matches(self, index) -> bool:
        for entry, target in zip(self.compiled, self._targets + [False]):
            clause = entry[0]
            if clause.target is None or target is index:
                self._chosen = entry
                return True
        return False

    def apply(self, conflict: Conflict, proposed):
        """Run the chosen clause on the existing row; the row as updated, or None."""
        clause, sets, where = self._chosen
        if clause.action == "NOTHING":
            return None
        db = self.db
        existing = db.row_lookup(self.table)(conflict.rowid)
        combined = tuple(existing) + tuple(proposed)
        if where is not None and truth(where(combined)) is not True:
            return None
        row = list(existing)
        _apply_sets(self.table, sets, combined, row)
        table = self.table
        rt = self.writer.rt
        writer = RowWriter.get(db, table, rt, None)
        writer.finish_row(row)
        # DO UPDATE is an UPDATE of the existing row: its triggers fire.
        triggered = has_triggers(db, table.name)
        columns = {c.lower() for a in clause.assignments for c in a.columns}
        if triggered and not _fire_before(db, rt, writer, "UPDATE", tuple(existing), row, columns, self.conflict):
            return None
        if not writer.write(row, old_rowid=existing[0]):
            return None
        if foreign_keys.enabled(db):
            foreign_keys.parent_removed(db, rt, table, tuple(existing), tuple(row))
            foreign_keys.child_written(db, table, row)
        if triggered:
            fire(db, rt, table, "AFTER", "UPDATE", old=tuple(existing), new=tuple(row), columns=columns,
                 conflict=self.conflict)
        return tuple(row)


# ---------------------------------------------------------------------------
# UPDATE and DELETE
# ---------------------------------------------------------------------------


def _order_needs_limit(stmt, kind: str) -> None:
    if stmt.order_by and stmt.limit is None:
        raise SQLError(f"ORDER BY without LIMIT on {kind}")


def _check_assignments(table, ref, assignments, planner, outer) -> None:
    """Names in SET, in sqlite3's order: each assignment's value, then the
    columns it sets, all before the WHERE clause (an UPDATE ... FROM
    resolves them with its FROM instead)."""
    comp = planner.compiler(Scope([table_source(table, ref.alias)], parent=outer))
    for a in assignments:
        e = a.expr
        if isinstance(e, ast.RowValue):
            for item in e.items:
                comp.compile(item)
        elif isinstance(e, ast.Subquery) and len(a.columns) > 1:
            comp.plan_subquery(e.select, comp.scope)
        else:
            comp.compile(e)
        _set_columns(table, a.columns)


def _set_columns(table, names) -> list:
    """The column indexes an assignment sets (-1: the rowid)."""
    idxs = []
    for name in names:
        i = table.column_index(name)
        if i is None:
            if name.lower() in ("rowid", "oid", "_rowid_") and not table.without_rowid:
                i = -1
            else:
                raise SQLError(f"no such column: {name}")
        elif table.columns[i].generated is not None:
            raise SQLError(f"cannot UPDATE generated column \"{table.columns[i].name}\"")
        idxs.append(i)
    return idxs


def _compile_sets(table, assignments, comp) -> list:
    """[(column indexes, expression function, width)]; -1 is the rowid."""
    sets = []
    for a in assignments:
        idxs = _set_columns(table, a.columns)
        if len(idxs) > 1:
            e = a.expr
            if isinstance(e, ast.RowValue):
                if len(e.items) != len(idxs):
                    raise SQLError(f"{len(idxs)} columns assigned {len(e.items)} values")
                for i, item in zip(idxs, e.items):
                    sets.append(([i], comp.compile(item), 1))
                continue
            if isinstance(e, ast.Subquery):
                sub = comp.plan_subquery(e.select, comp.scope)
                if len(sub.columns) != len(idxs):
                    raise SQLError(f"{len(idxs)} columns assigned {len(sub.columns)} values")
                sets.append((idxs, _row_subquery(sub, comp.scope), len(idxs)))
                continue
            raise SQLError(f"{len(idxs)} columns assigned 1 values")
        sets.append((idxs, comp.compile(a.expr), 1))
    return sets


def _row_subquery(sub, scope):
    cell = scope.cell

    def value(row):
        cell.row = row
        for r in sub.rows():
            return r
        return (None,) * len(sub.columns)
    return value


def _apply_sets(table, sets, source_row, row: list) -> None:
    """Evaluate every SET on ``source_row`` first, then store into ``row``."""
    values = [(idxs, f(source_row), width) for idxs, f, width in sets]
    for idxs, v, width in values:
        vs = v if width > 1 else (v,)
        for i, x in zip(idxs, vs):
            if i == -1 or i == table.rowid_alias:
                if x is None:
                    if i == table.rowid_alias:
                        raise MismatchError("datatype mismatch")
                    continue
                row[0] = as_rowid(x)
                if table.rowid_alias is not None:
                    row[table.rowid_alias + 1] = row[0]
            else:
                row[i + 1] = x


def _rows_to_change(db, planner: Planner, target, ref: ast.TableRef, from_, where, order_by, limit, offset, outer):
    """The working rows a statement changes (target row first, then the FROM
    sources' columns for UPDATE ... FROM), and their scope."""
    scope = Scope(parent=outer)
    if _is_view(target):
        plan = db.view_plan(target, planner)
        from ..plan.scope import ColumnInfo, Source
        cols = [ColumnInfo("rowid", hidden=True, is_rowid=True)] + [ColumnInfo(c.name, c.affinity) for c in plan.columns]
        src = Source(ref.alias or target.name, cols, rowid_slot=0)
        rows = [(i,) + tuple(r) for i, r in enumerate(plan.rows(), 1)]
        levels = [_Level(src, _Fixed(rows), "INNER", None, None, None)]
    else:
        src = table_source(target, ref.alias)
        reader = db.table_reader(target)
        levels = [_Level(src, op.TableScan(reader), "INNER", None, target, reader)]
    scope.add(src)
    if from_ is not None:
        for item, kind, natural, on, using in planner._flatten_from(from_):
            s, access, table, reader = planner._source_for(item, outer, scope)
            scope.add(s)
            if natural or using:
                on = planner._using_condition(scope, s, natural, using, on)
            levels.append(_Level(s, access, "LEFT" if kind == "LEFT" else "INNER", on, table, reader))
    comp = planner.compiler(scope)
    conjuncts = split_conjuncts(where) if where is not None else []
    joined = planner._join(levels, scope, conjuncts, comp)
    executing(db)
    rows = list(joined.rows())
    if from_ is not None:
        # Each target row changes once, with the first matching FROM row.
        seen = set()
        firsts = []
        for r in rows:
            if r[0] not in seen:
                seen.add(r[0])
                firsts.append(r)
        rows = firsts
    if order_by:
        terms = []
        for t in order_by:
            f = comp.compile(t.expr)
            coll = collation_key_function(comp.collation(t.expr)[0])
            terms.append((f, t.desc, None if t.nulls is None else t.nulls == "FIRST", coll))
        rows.sort(key=op.make_sort_key(terms))
    if limit is not None:
        lim = planner._limit_value(limit, outer)()
        off = planner._limit_value(offset, outer)() if offset is not None else 0
        off = max(off, 0)
        rows = rows[off:] if lim < 0 else rows[off:off + lim]
    return rows, scope, comp


class _Fixed:
    def __init__(self, rows):
        self.rows = rows

    def rows_for(self, prefix):
        return self.rows


def _statement_done(db, count: int, returning, outer):
    """The end of an INSERT, UPDATE or DELETE that succeeded: immediate foreign keys
    are checked before the rows count as changed; then the change counts."""
    if outer is None and foreign_keys.enabled(db):
        foreign_keys.statement_end(db)
    db.changes = count
    db.total_changes += count
    return returning.outcome() if returning is not None else _outcome()


def update(db, stmt: ast.Update, rt: Runtime, outer=None):
    ref = stmt.table
    target = _target(db, ref.name, ref.schema, "UPDATE")
    _order_needs_limit(stmt, "UPDATE")
    planner = _planner(db, rt, stmt.with_)
    if stmt.from_ is None and not _is_view(target):
        _check_assignments(target, ref, stmt.assignments, planner, outer)
    rows, scope, comp = _rows_to_change(db, planner, target, ref, stmt.from_, stmt.where, stmt.order_by,
                                        stmt.limit, stmt.offset, outer)
    if _is_view(target):
        return _update_view(db, rt, target, stmt, rows, comp)
    table = target
    sets = _compile_sets(table, stmt.assignments, comp)
    changed_cols = {c.lower() for a in stmt.assignments for c in a.columns}
    conflict = _statement_conflict(db, stmt.conflict, outer)
    writer = RowWriter.get(db, table, rt, conflict, planner.plan_subquery, outer)
    returning = Returning(planner, table, stmt.returning, outer) if stmt.returning else None
    triggered = has_triggers(db, table.name)
    fk_on = foreign_keys.enabled(db)
    width = len(table.columns) + 1
    lookup = db.row_lookup(table)
    # An earlier row's triggers, or a REPLACE that resolved its conflict,
    # may have changed or deleted this row: sqlite3 skips deleted rows.
    recheck = triggered or conflict == "REPLACE" or table.pk_conflict == "REPLACE" \
        or any(idx.unique and idx.conflict == "REPLACE" for idx in table.indexes)
    count = 0
    try:
        for source_row in rows:
            old = source_row[:width]
            if recheck:
                current = lookup(old[0])
                if current is None:
                    continue
                if current != old:
                    source_row = current + source_row[width:]
                    old = current
            row = list(old)
            _apply_sets(table, sets, source_row, row)
            writer.finish_row(row)
            if triggered and not _fire_before(db, rt, writer, "UPDATE", old, row, changed_cols, conflict):
                continue
            if not writer.write(row, old_rowid=old[0]):
                continue
            count += 1
            if fk_on:
                foreign_keys.parent_removed(db, rt, table, old, tuple(row))
                foreign_keys.child_written(db, table, row)
            if triggered:
                fire(db, rt, table, "AFTER", "UPDATE", old=old, new=tuple(row), columns=changed_cols,
                     conflict=conflict)
            if returning is not None:
                returning.add(tuple(row))
    except Exception as exc:
        _statement_failed(db, count, exc, outer is None)
        raise
    return _statement_done(db, count, returning, outer)


def _update_view(db, rt, view, stmt, rows, comp):
    names = [n.lower() for n in (c for c in view_columns(db, view, rt))]
    sets = []
    for a in stmt.assignments:
        for name in a.columns:
            if name.lower() not in names:
                raise SQLError(f"no such column: {name}")
        sets.append(([names.index(n.lower()) for n in a.columns], comp.compile(a.expr), len(a.columns)))
    changed = {c.lower() for a in stmt.assignments for c in a.columns}
    for r in rows:
        new = list(r)
        for idxs, f, width in sets:
            v = f(r)
            for i, x in zip(idxs, v if width > 1 else (v,)):
                new[i + 1] = x
        fire(db, rt, view, "INSTEAD OF", "UPDATE", old=r, new=tuple(new), columns=changed,
             conflict=_statement_conflict(db, stmt.conflict, comp.scope.parent))
    return _outcome()


def view_columns(db, view, rt):
    return [c.name for c in db.view_plan(view, Planner(db, rt)).columns]


def delete(db, stmt: ast.Delete, rt: Runtime, outer=None):
    ref = stmt.table
    target = _target(db, ref.name, ref.schema, "DELETE")
    _order_needs_limit(stmt, "DELETE")
    planner = _planner(db, rt, stmt.with_)
    if _is_view(target):
        rows, _scope, _comp = _rows_to_change(db, planner, target, ref, None, stmt.where, stmt.order_by,
                                              stmt.limit, stmt.offset, outer)
        for r in rows:
            fire(db, rt, target, "INSTEAD OF", "DELETE", old=r)
        return _outcome()
    table = target
    returning = Returning(planner, table, stmt.returning, outer, deleting=True) if stmt.returning else None
    triggered = has_triggers(db, table.name)
    if stmt.where is None and not triggered and returning is None and not stmt.order_by \
            and stmt.limit is None and not _is_referenced(db, table):
        executing(db)
        count = db.row_format(table).count()
        btree.clear_tree(db.pager_for(table), table.root)
        for idx in table.indexes:
            btree.clear_tree(db.pager_for(idx), idx.root)
    else:
        rows, _scope, _comp = _rows_to_change(db, planner, table, ref, None, stmt.where, stmt.order_by,
                                              stmt.limit, stmt.offset, outer)
        writer = RowWriter.get(db, table, rt, None, planner.plan_subquery, outer)
        lookup = db.row_lookup(table)
        fk_on = foreign_keys.enabled(db)
        count = 0
        try:
            for row in rows:
                if triggered:
                    current = lookup(row[0])
                    if current is None:
                        continue
                    row = current
                    if not fire(db, rt, table, "BEFORE", "DELETE", old=row):
                        continue
                    if lookup(row[0]) is None:
                        continue
                writer.delete(row)
                count += 1
                if fk_on:
                    foreign_keys.parent_removed(db, rt, table, row)
                if triggered:
                    fire(db, rt, table, "AFTER", "DELETE", old=row)
                if returning is not None:
                    returning.add(row)
        except Exception as exc:
            _statement_failed(db, count, exc, outer is None)
            raise
    return _statement_done(db, count, returning, outer)


def _is_referenced(db, table) -> bool:
    """Whether foreign keys may point at the table (the fast clear is then unsafe)."""
    return foreign_keys.enabled(db) and bool(foreign_keys.keys_to(db, table))

