"""A database connection's core: the catalog, transactions, and running one
parsed statement at a time (arch.html: the layer between the interface and
the planner/executor).

The DB-API (engine/api.py) and the shell sit on top; the planner
(engine/plan) and executor (engine/exec) are below; storage (engine/storage)
is reached only through the pager and b-tree modules.
"""

from __future__ import annotations

import itertools
import sys

from .errors import SQLError, SQLiteError, corrupt
from .exec import ddl, dml
from .exec import foreign_keys as fk
from .exec.expr import Runtime
from .exec.rowformat import RowFormat
from .plan.select import Planner, QueryPlan
from .plan.scope import ColumnInfo
from .schema import Index, Table, Trigger, View, auto_indexes, table_from_ast
from .sql import ast
from .sql.parser import parse
from .storage import btree
from .storage.pager import Pager
from .storage.record import decode_record
from .storage.vfs import MemoryVFS, OSVFS

# sqlite3 lets triggers nest 1000 levels deep (SQLITE_MAX_TRIGGER_DEPTH) and
# expressions 1000 deep; each level takes a few Python frames.
if sys.getrecursionlimit() < 6000:
    sys.setrecursionlimit(6000)

_memory_ids = itertools.count(1)
_shared_memory_vfs = MemoryVFS()
_temp_vfs = MemoryVFS()


def _empty_catalog() -> dict[str, dict]:
    return {"tables": {}, "indexes": {}, "views": {}, "triggers": {}}


class Outcome:
    """What running a statement gives the interface layer: result column
    names (None for statements without a result) and an iterator of rows."""

    __slots__ = ("columns", "rows", "decltypes")

    def __init__(self, columns, rows, decltypes=None):
        self.columns = columns
        self.rows = rows
        self.decltypes = decltypes


class Database:
    def __init__(self, path: str, *, vfs=None, readonly: bool = False, timeout: float = 0.0):
        if path in (":memory:", ""):
            vfs = vfs or _shared_memory_vfs
            path = f":memory:{next(_memory_ids)}"
            self.in_memory = True
        else:
            vfs = vfs or OSVFS()
            self.in_memory = False
        self.path = path
        self.vfs = vfs
        self.pager = Pager.open(vfs, path, readonly=readonly, busy_timeout=timeout)
        # The catalog: every schema object by lower-case name, TEMP objects
        # shadowing main ones of the same name; ``catalogs`` keeps each
        # schema's own for schema-qualified names.
        self.tables: dict[str, Table] = {}
        self.indexes: dict[str, Index] = {}
        self.views: dict[str, View] = {}
        self.triggers: dict[str, Trigger] = {}
        self.catalogs: dict[str, dict[str, dict]] = {"main": _empty_catalog(), "temp": _empty_catalog()}
        # The TEMP database (lang_createtable.html: CREATE TEMP ...): a memory
        # file of its own, made when first needed, in every transaction of
        # the main one.
        self.temp_pager: Pager | None = None
        self._schema_cookie: int | None = None
        self._schema_generation = 0
        self.changes = 0
        self.total_changes = 0
        self.last_insert_rowid = 0
        self.explicit_txn = False          # inside BEGIN ... COMMIT (or a SAVEPOINT)
        self._savepoints: list[tuple[str, int]] = []   # (name, pager depth)
        self._txn_by_savepoint = False
        self._interrupted = False
        self._executing = False      # the statement being run has started to run (dml.executing)
        self.closed = False

    # -- lifecycle ----------------------------------------------------------

    def close(self) -> None:
        if self.closed:
            return
        try:
            if self.pager.in_write:
                self.pager.rollback()
            if self.pager.in_read:
                self.pager.end_read()
        finally:
            self.pager.close()
            if self.temp_pager is not None:
                self.temp_pager.close()
                try:
                    _temp_vfs.delete(self.temp_pager_path)
                except Exception:
                    pass
            if self.in_memory:
                try:
                    self.vfs.delete(self.path)
                except Exception:
                    pass
            self.closed = True

    def interrupt(self) -> None:
        self._interrupted = True

    def check_interrupt(self) -> None:
        if self._interrupted:
            from .errors import InterruptError
            self._interrupted = False
            raise InterruptError("interrupted")

    @property
    def in_transaction(self) -> bool:
        return self.explicit_txn

    # -- schema ---------------------------------------------------------------

    @property
    def schema_generation(self) -> int:
        return self._schema_generation

    def _ensure_schema(self) -> None:
        cookie = self.pager.schema_cookie if self.pager.page_count > 0 else 0
        if cookie == self._schema_cookie:
            return
        self._load_schema()
        self._schema_cookie = cookie

    def _load_schema(self) -> None:
        self.tables.clear()
        self.indexes.clear()
        self.views.clear()
        self.triggers.clear()
        self._schema_generation += 1
        for schema in ("main", "temp"):
            self.catalogs[schema] = _empty_catalog()
            pager = self.pager if schema == "main" else self.temp_pager
            if pager is None or pager.page_count == 0:
                continue
            self._load_catalog(pager, schema)
            for kind, objects in self.catalogs[schema].items():
                getattr(self, kind).update(objects)
        # A TEMP trigger may sit on a main table.
        for trig in self.catalogs["temp"]["triggers"].values():
            table = self.tables.get(trig.table.lower())
            if table is not None and trig not in table.triggers:
                table.triggers.append(trig)

    def _load_catalog(self, pager: Pager, schema: str) -> None:
        """Read one schema's sqlite_schema into ``self.catalogs[schema]``."""
        catalog = self.catalogs[schema]
        temp = schema == "temp"
        rows = []
        for rowid, payload in btree.TableCursor(pager, 1).scan():
            rec = decode_record(payload)
            if len(rec) < 5:
                raise corrupt("short sqlite_schema record")
            rows.append(rec[:5])
        later = []
        for kind, name, tbl_name, root, sql in rows:
            if kind == "table":
                if name in ("sqlite_sequence", "sqlite_stat1") and sql is None:
                    continue
                if sql is None:
                    continue
                try:
                    stmt = parse(sql, schema=True)[0]
                except SQLiteError:
                    raise SQLError(f"malformed database schema ({name})") from None
                if isinstance(stmt, ast.CreateTable):
                    table = table_from_ast(stmt, root or 0)
                    table.sql = sql
                    table.temp = temp
                    catalog["tables"][name.lower()] = table
                    table._autos = auto_indexes(table, stmt)
                else:
                    raise SQLError(f"malformed database schema ({name})")
            else:
                later.append((kind, name, tbl_name, root, sql))
        for kind, name, tbl_name, root, sql in later:
            table = catalog["tables"].get((tbl_name or "").lower())
            if kind == "index":
                if sql is None:
                    # An automatic index: match it to the table's constraint by name.
                    if table is None:
                        continue
                    for auto in getattr(table, "_autos", ()):
                        if auto.name.lower() == name.lower():
                            auto.root = root
                            auto.temp = temp
                            catalog["indexes"][name.lower()] = auto
                            table.indexes.append(auto)
                            break
                    continue
                stmt = parse(sql, schema=True)[0]
                idx = Index(name=stmt.name, table=stmt.table, columns=stmt.columns, unique=stmt.unique,
                            root=root, sql=sql, where=stmt.where)
                idx.temp = temp
                catalog["indexes"][name.lower()] = idx
                if table is not None:
                    table.indexes.append(idx)
            elif kind == "view":
                stmt = parse(sql, schema=True)[0]
                view = View(stmt.name, stmt.select, stmt.columns, sql)
                view.temp = temp
                catalog["views"][name.lower()] = view
            elif kind == "trigger":
                stmt = parse(sql, schema=True)[0]
                trig = Trigger(stmt.name, stmt.table, stmt, sql)
                trig.temp = temp
                catalog["triggers"][name.lower()] = trig
                if table is not None:
                    table.triggers.append(trig)

    def pager_for(self, obj) -> Pager:
        """The pager that holds a table's or an index's b-tree (and the
        sqlite_schema row describing it): the TEMP database's for TEMP
        objects.  Every b-tree access of a schema object goes through this."""
        if getattr(obj, "temp", False):
            return self.ensure_temp()
        return self.pager

    def ensure_temp(self) -> Pager:
        """The TEMP database's pager, made on first use and brought into the
        transaction the main database is in."""
        if self.temp_pager is None:
            self.temp_pager_path = f":temp:{next(_memory_ids)}"
            self.temp_pager = Pager.open(_temp_vfs, self.temp_pager_path)
            self._temp_depth0 = None
            if self.pager.in_read:
                self.temp_pager.begin_read()
            if self.pager.in_write:
                self.temp_pager.begin_write()
                # Savepoints taken before the TEMP database existed roll it
                # back to empty.
                self._temp_depth0 = self.temp_pager.savepoint()
        return self.temp_pager

    def lookup_table(self, name: str, schema: str | None = None) -> Table | None:
        lname = name.lower()
        if schema is not None:
            schema = schema.lower()
            if schema not in ("main", "temp"):
                return None
        if lname in ("sqlite_temp_schema", "sqlite_temp_master") and schema in (None, "temp"):
            return self._schema_table(True)
        if lname in ("sqlite_schema", "sqlite_master"):
            return self._schema_table(schema == "temp")
        if schema is None:
            return self.tables.get(lname)
        return self.catalogs[schema]["tables"].get(lname)

    def lookup_table_or_view(self, name: str, schema: str | None = None):
        t = self.lookup_table(name, schema)
        if t is not None:
            return t
        if schema is None:
            return self.views.get(name.lower())
        if schema.lower() not in ("main", "temp"):
            return None
        return self.catalogs[schema.lower()]["views"].get(name.lower())

    def _schema_table(self, temp: bool = False) -> Table:
        stmt = parse("CREATE TABLE sqlite_master(type text, name text, tbl_name text, rootpage int, sql text)")[0]
        t = table_from_ast(stmt, 1)
        t.name = "sqlite_temp_master" if temp else "sqlite_master"
        t.temp = temp
        return t

    def view_plan(self, view: View, planner: Planner) -> QueryPlan:
        """Plan a view's query where it is used.  Names in it resolve
        against the schema only (not the user's CTEs); a view that reaches
        itself is 'circularly defined'."""
        lname = view.name.lower()
        if lname in planner.views_open:
            raise SQLError(f"view {view.name} is circularly defined")
        saved = planner._ctes
        planner.views_open.append(lname)
        planner._ctes = []
        try:
            plan = planner.plan_select(view.select, None)
        finally:
            planner._ctes = saved
            planner.views_open.pop()
        if view.columns is not None:
            if len(view.columns) != len(plan.columns):
                raise SQLError(f"expected {len(view.columns)} columns for '{view.name}' but got {len(plan.columns)}")
            plan = QueryPlan([ColumnInfo(n, c.affinity, c.collation) for n, c in zip(view.columns, plan.columns)],
                             plan.operator, plan.correlated)
        return plan

    # -- rows -------------------------------------------------------------------

    def row_format(self, table: Table):
        """The stored form of a table's rows (engine/exec/rowformat.py),
        kept while the schema is unchanged."""
        cached = table.__dict__.get("_row_format")
        if cached is not None and cached[0] == self._schema_generation:
            return cached[1]
        fmt = RowFormat(self, table)
        table.__dict__["_row_format"] = (self._schema_generation, fmt)
        return fmt

    def table_reader(self, table: Table):
        """() -> iterator of the table's working rows, in b-tree order."""
        return self.row_format(table).reader()

    def row_lookup(self, table: Table):
        """handle (rowid, or a WITHOUT ROWID table's key) -> row or None."""
        return self.row_format(table).lookup_function()

    # -- transactions -------------------------------------------------------------

    def _begin_statement(self, writes: bool) -> None:
        if not self.pager.in_read:
            self.pager.begin_read()
        temp = self.temp_pager
        if temp is not None and not temp.in_read:
            temp.begin_read()
        self._ensure_schema()
        if writes and not self.pager.in_write:
            self.pager.begin_write()
        if writes and temp is not None and not temp.in_write:
            temp.begin_write()
            self._temp_depth0 = None

    def _end_statement(self, ok: bool) -> None:
        self.pager.note_statement_end()
        if self.explicit_txn:
            return
        for pager in (self.pager, self.temp_pager):
            if pager is None:
                continue
            if pager.in_write:
                if ok:
                    pager.commit()
                else:
                    pager.rollback()
                    self._schema_cookie = None
            if pager.in_read:
                pager.end_read()

    def _savepoint(self):
        """A savepoint in the main database and the TEMP one: (depth, depth)."""
        temp = self.temp_pager
        return self.pager.savepoint(), (temp.savepoint() if temp is not None and temp.in_write else None)

    def _release(self, depths) -> None:
        main, temp = depths
        self.pager.release(main)
        if temp is not None and self.temp_pager is not None and self.temp_pager.in_write:
            self.temp_pager.release(temp)

    def _rollback_to(self, depths, keep: bool = False) -> None:
        main, temp = depths
        self.pager.rollback_to(main, keep=keep)
        tp = self.temp_pager
        if tp is not None and tp.in_write:
            if temp is None:
                temp = self._temp_depth0     # the TEMP database began after this savepoint
            if temp is not None:
                tp.rollback_to(temp, keep=keep)

    # -- running statements ---------------------------------------------------------

    def run(self, stmt, params=()) -> Outcome:
        """Run one parsed statement.  A SELECT's rows are produced lazily; the
        read transaction it opened ends when they are exhausted (or closed).
        A failing change undoes itself only (its statement savepoint) inside
        an explicit transaction, and the whole transaction in autocommit."""
        if self.closed:
            from .errors import MisuseError
            raise MisuseError("Cannot operate on a closed database.")
        self._interrupted = False
        self._executing = False      # set by the executor once the statement is prepared
        if isinstance(stmt, (ast.Begin, ast.Commit, ast.Rollback, ast.Savepoint, ast.Release)):
            return self._transaction_statement(stmt)
        if isinstance(stmt, ast.Explain):
            raise SQLError("EXPLAIN is not supported yet")
        if isinstance(stmt, ast.Vacuum):
            self._check_vacuum(stmt)
        writes = not isinstance(stmt, (ast.Select, ast.Pragma))
        self._begin_statement(writes)
        depth = self._savepoint() if writes and self.explicit_txn else None
        try:
            if isinstance(stmt, ast.Select):
                rt = Runtime(self)
                rt.start(list(params))
                plan = Planner(self, rt).plan_select(stmt, None)
                return Outcome(plan.names, self._stream(plan.rows()),
                               [c.declared_type for c in plan.columns])
            if isinstance(stmt, ast.Pragma):
                out = ddl.pragma(self, stmt)
                self._end_statement(True)
                return out
            out = self._run_change(stmt, params)
            fk.statement_end(self)
            if depth is not None:
                self._release(depth)
            self._end_statement(True)
            return out
        except BaseException as exc:
            keep = getattr(exc, "keep_changes", False)
            if isinstance(stmt, (ast.Insert, ast.Update, ast.Delete)) and not keep \
                    and self._executing:
                self.changes = 0     # what changes() reports after a change failed while running
            if depth is not None and self.pager.in_write:
                if keep:
                    self._release(depth)
                else:
                    self._rollback_to(depth)
                    self._schema_cookie = None
            if getattr(exc, "rollback_transaction", False) and self.explicit_txn:
                self.explicit_txn = False
                self._savepoints.clear()
                self._end_statement(False)
            else:
                self._end_statement(keep)
            raise

    def _stream(self, rows):
        ok = False
        try:
            yield from rows
            ok = True
        finally:
            self._end_statement(ok or True)

    def _run_change(self, stmt, params) -> Outcome:
        rt = Runtime(self)
        rt.start(list(params))
        if isinstance(stmt, ast.Insert):
            return dml.insert(self, stmt, rt)
        if isinstance(stmt, ast.Update):
            return dml.update(self, stmt, rt)
        if isinstance(stmt, ast.Delete):
            return dml.delete(self, stmt, rt)
        if isinstance(stmt, ast.CreateTable):
            return ddl.create_table(self, stmt, rt)
        if isinstance(stmt, ast.CreateIndex):
            return ddl.create_index(self, stmt, rt)
        if isinstance(stmt, ast.CreateView):
            return ddl.create_view(self, stmt, rt)
        if isinstance(stmt, ast.CreateTrigger):
            return ddl.create_trigger(self, stmt, rt)
        if isinstance(stmt, ast.Drop):
            return ddl.drop(self, stmt, rt)
        if isinstance(stmt, ast.AlterTable):
            from .exec.alter import alter
            return alter(self, stmt, rt)
        if isinstance(stmt, ast.Reindex):
            return ddl.reindex(self, stmt)
        if isinstance(stmt, ast.Analyze):
            return Outcome(None, iter(()))
        if isinstance(stmt, ast.Vacuum):
            return self._vacuum(stmt)
        raise SQLError(f"{type(stmt).__name__.upper()} is not supported yet")

    def _check_vacuum(self, stmt) -> None:
        if stmt.schema is not None and stmt.schema.lower() not in ("main", "temp"):
            raise SQLError(f"unknown database {stmt.schema}")
        if stmt.into is not None:
            raise SQLError("VACUUM INTO is not supported yet")
        if self.explicit_txn:
            raise SQLError("cannot VACUUM from within a transaction")

    def _vacuum(self, stmt) -> Outcome:
        """VACUUM: the storage layer rebuilds the file compactly inside this
        statement's write transaction (engine/storage/vacuum.py); the
        schema is read again because every root page moved."""
        if stmt.schema is None or stmt.schema.lower() == "main":
            from .storage.vacuum import vacuum
            if self.pager.page_count > 0:
                # sqlite3's VACUUM copies rows into fresh tables: a table with
                # neither an INTEGER PRIMARY KEY nor any index gets rowids 1..n.
                renumber = [t.root for t in self.catalogs["main"]["tables"].values()
                            if t.rowid_alias is None and not t.indexes and not t.without_rowid and t.root]
                vacuum(self.pager, renumber=renumber)
                self._schema_cookie = None
                self._ensure_schema()
        return Outcome(None, iter(()))

    def _transaction_statement(self, stmt) -> Outcome:
        pager = self.pager
        if isinstance(stmt, ast.Begin):
            if self.explicit_txn:
                raise SQLError("cannot start a transaction within a transaction")
            self._begin_statement(stmt.mode in ("IMMEDIATE", "EXCLUSIVE"))
            self.explicit_txn = True
            self._txn_by_savepoint = False
        elif isinstance(stmt, ast.Commit):
            if not self.explicit_txn:
                raise SQLError("cannot commit - no transaction is active")
            fk.commit_check(self)
            self._finish_transaction(True)
        elif isinstance(stmt, ast.Rollback):
            if stmt.savepoint is None:
                if not self.explicit_txn:
                    raise SQLError("cannot rollback - no transaction is active")
                self._finish_transaction(False)
            else:
                i = self._find_savepoint(stmt.savepoint)
                name, depth = self._savepoints[i]
                del self._savepoints[i + 1:]
                self._rollback_to(depth, keep=True)
                self._schema_cookie = None
                self._ensure_schema()
        elif isinstance(stmt, ast.Savepoint):
            if not self.explicit_txn:
                self._begin_statement(True)
                self.explicit_txn = True
                self._txn_by_savepoint = True
            elif not pager.in_write:
                self._begin_statement(True)
            self._savepoints.append((stmt.name, self._savepoint()))
        elif isinstance(stmt, ast.Release):
            i = self._find_savepoint(stmt.name)
            if i == 0 and self._txn_by_savepoint:
                fk.commit_check(self)       # this RELEASE commits: deferred keys are due
            name, depth = self._savepoints[i]
            del self._savepoints[i:]
            self._release(depth)
            if not self._savepoints and self._txn_by_savepoint:
                self._finish_transaction(True)
        return Outcome(None, iter(()))

    def _find_savepoint(self, name: str) -> int:
        lname = name.lower()
        for i in range(len(self._savepoints) - 1, -1, -1):
            if self._savepoints[i][0].lower() == lname:
                return i
        raise SQLError(f"no such savepoint: {name}")

    def _finish_transaction(self, commit: bool) -> None:
        fk.forget(self)
        self.explicit_txn = False
        self._txn_by_savepoint = False
        self._savepoints.clear()
        if not commit:
            self._schema_cookie = None
        self._end_statement(commit)

    # -- writing rows (used by dml and ddl) ---------------------------------------

    def write_table_row(self, table: Table, handle, values) -> None:
        self.row_format(table).write(handle, values)

    def delete_table_row(self, table: Table, handle) -> None:
        self.row_format(table).delete(handle)

    def max_rowid(self, table: Table) -> int | None:
        return self.row_format(table).max_rowid()

    def bump_schema(self, temp: bool = False) -> None:
        if temp:
            pager = self.ensure_temp()
            pager.schema_cookie = pager.schema_cookie + 1
        else:
            self.pager.schema_cookie = self.pager.schema_cookie + 1
            self._schema_cookie = self.pager.schema_cookie
        self._schema_generation += 1
