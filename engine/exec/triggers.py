"""Firing triggers (lang_createtrigger.html): BEFORE, AFTER and INSTEAD OF
row triggers on INSERT, UPDATE [OF columns] and DELETE, their WHEN clause,
the NEW and OLD rows, and RAISE().

A trigger program runs its statements with an outer scope holding the
``new`` and ``old`` rows, so the statements read them as correlated values.
Triggers fire most recently created first, as sqlite3 does, and a trigger
does not fire again while it is running (recursive_triggers is off).
Statements inside a trigger add to total_changes() but leave changes() and
last_insert_rowid() of the outer statement as they were.
"""

from __future__ import annotations

from ..errors import SQLITE_CONSTRAINT_TRIGGER, SQLError
from ..plan.scope import Scope, table_source
from ..sql import ast
from .expr import ExprCompiler
from .rowwriter import constraint_error
from .values import BLOB, truth


MAX_TRIGGER_DEPTH = 1000      # SQLITE_MAX_TRIGGER_DEPTH


class RaiseSignal(Exception):
    """RAISE(action, message) evaluated inside a trigger program."""

    def __init__(self, action: str, message):
        super().__init__(message)
        self.action = action
        self.message = message


class TriggerScope(Scope):
    """The scope of a trigger program: the ``new`` and ``old`` rows."""

    is_trigger = True


def triggers_for(db, name: str, timing: str, event: str, columns=None) -> list:
    lname = name.lower()
    out = []
    for trig in db.triggers.values():
        st = trig.stmt
        if st.table.lower() != lname or st.timing != timing or st.event != event:
            continue
        if event == "UPDATE" and st.update_columns and columns is not None:
            wanted = {c.lower() for c in st.update_columns}
            if not wanted & columns:
                continue
        out.append(trig)
    out.reverse()       # the most recently created fires first
    return out


def has_triggers(db, name: str) -> bool:
    lname = name.lower()
    return any(t.stmt.table.lower() == lname for t in db.triggers.values())


def fire(db, rt, target, timing: str, event: str, old=None, new=None, columns=None, conflict=None) -> bool:
    """Run the matching triggers for one row.  False when a RAISE(IGNORE)
    abandoned the row.  ``conflict`` is the firing statement's conflict
    resolution, which overrides the program's own OR clauses."""
    trigs = triggers_for(db, target.name, timing, event, columns)
    if not trigs:
        return True
    firing = db.__dict__.setdefault("_firing", [])
    recursive = db.__dict__.get("settings", {}).get("recursive_triggers")
    for trig in trigs:
        key = trig.name.lower()
        if key in firing and not recursive:
            continue
        if len(firing) >= MAX_TRIGGER_DEPTH:
            raise SQLError("too many levels of trigger recursion")
        firing.append(key)
        saved = (db.changes, db.last_insert_rowid, db.__dict__.get("_trigger_conflict"),
                 db.__dict__.get("_trigger_schema"))
        db.__dict__["_trigger_conflict"] = conflict
        # sqlite3 qualifies the names of a trigger's program with its schema.
        db.__dict__["_trigger_schema"] = None if trig.temp else "main"
        try:
            if not _run_program(db, rt, target, trig.stmt, old, new):
                return False
        except RecursionError:
            # Python's stack ends before sqlite3's 1000 levels only in a
            # process that lowered the recursion limit (engine/database.py
            # raises it).
            raise SQLError("too many levels of trigger recursion") from None
        finally:
            firing.pop()
            (db.changes, db.last_insert_rowid, db.__dict__["_trigger_conflict"],
             db.__dict__["_trigger_schema"]) = saved
    return True


def _run_program(db, rt, target, st: ast.CreateTrigger, old, new) -> bool:
    from . import dml
    from ..plan.select import Planner
    scope = TriggerScope()
    row: tuple = ()
    for name, values in (("new", new), ("old", old)):
        if values is None:
            continue
        src = _view_source(db, target, name, rt) if hasattr(target, "select") else table_source(target, name)
        _without_affinity(src)
        scope.add(src)
        row += tuple(values)
    scope.cell.row = row
    planner = Planner(db, rt)
    try:
        if st.when is not None:
            comp = ExprCompiler(Scope(parent=scope), rt, planner.plan_subquery)
            if truth(comp.compile(st.when)(())) is not True:
                return True
        for stmt in st.body:
            if isinstance(stmt, ast.Insert):
                dml.insert(db, stmt, rt, outer=scope)
            elif isinstance(stmt, ast.Update):
                dml.update(db, stmt, rt, outer=scope)
            elif isinstance(stmt, ast.Delete):
                dml.delete(db, stmt, rt, outer=scope)
            elif isinstance(stmt, ast.Select):
                for _ in Planner(db, rt).plan_select(stmt, scope).rows():
                    pass
            else:
                raise SQLError("unsupported statement in a trigger")
    except RaiseSignal as sig:
        if sig.action == "IGNORE":
            return False
        raise constraint_error(str(sig.message), SQLITE_CONSTRAINT_TRIGGER, sig.action) from None
    return True


def _without_affinity(src) -> None:
    """sqlite3 3.40 compares NEW.x and OLD.x without the column's affinity
    (only the rowid, and an INTEGER PRIMARY KEY, which is the rowid, keep
    theirs); their collation stays."""
    for info in src.columns:
        if not info.is_rowid:
            info.affinity = BLOB


def _view_source(db, view, name, rt):
    from ..plan.scope import ColumnInfo, Source
    from ..plan.select import Planner
    plan = db.view_plan(view, Planner(db, rt))
    cols = [ColumnInfo("rowid", hidden=True, is_rowid=True)] + [ColumnInfo(c.name, c.affinity) for c in plan.columns]
    return Source(name, cols, rowid_slot=0)
