"""Schema statements: CREATE TABLE/INDEX/VIEW/TRIGGER, DROP, and PRAGMA
(lang_createtable.html, lang_createindex.html, lang_createview.html,
lang_createtrigger.html, lang_droptable.html, pragma.html).

A schema change writes the object's row into sqlite_schema exactly as
sqlite3 would (type, name, tbl_name, rootpage, sql) and bumps the schema
cookie; the catalog is then reloaded from those rows, so what the engine
runs is always what the file says.
"""

from __future__ import annotations

from ..errors import SQLError
from ..schema import Index, auto_indexes, table_from_ast
from ..sql import ast
from ..storage import btree
from ..storage.record import decode_record, encode_record
from . import index as index_ops
from .expr import ExprCompiler, Runtime
from .functions import first_nondeterministic
from .values import collation_key_function


def _outcome(columns=None, rows=()):
    from ..database import Outcome
    return Outcome(columns, iter(rows))


def _name_taken(db, name: str, kind: str, if_not_exists: bool, temp: bool = False) -> bool:
    """Whether CREATE ``kind`` ``name`` should do nothing (IF NOT EXISTS on an
    existing object); raises SQLite's error when the name is not free in
    the schema (main or TEMP) the object goes to."""
    lname = name.lower()
    if lname.startswith("sqlite_"):
        raise SQLError(f"object name reserved for internal use: {name}")
    catalog = db.catalogs["temp" if temp else "main"]
    if lname in catalog["tables"] or lname in catalog["views"]:
        if if_not_exists and kind != "index":
            return True
        if kind == "index":
            raise SQLError(f"there is already a table named {name}")
        raise SQLError(f"{'table' if lname in catalog['tables'] else 'view'} {name} already exists")
    if lname in catalog["indexes"]:
        if if_not_exists and kind == "index":
            return True
        if kind == "index":
            raise SQLError(f"index {name} already exists")
        raise SQLError(f"there is already an index named {name}")
    return False


def _schema_pager(db, temp: bool):
    return db.ensure_temp() if temp else db.pager


def _schema_insert(db, kind: str, name: str, tbl_name: str, root: int, sql: str | None,
                   temp: bool = False) -> None:
    cur = btree.TableCursor(_schema_pager(db, temp), 1)
    last = cur.max_rowid() or 0
    cur.insert(last + 1, encode_record((kind, name, tbl_name, root, sql)))


def _schema_delete(db, predicate, temp: bool = False) -> None:
    """Delete sqlite_schema rows for which predicate(record) is true."""
    pager = _schema_pager(db, temp)
    cur = btree.TableCursor(pager, 1)
    doomed = [rowid for rowid, payload in cur.scan() if predicate(decode_record(payload))]
    for rowid in doomed:
        btree.TableCursor(pager, 1).delete(rowid)


def _is_temp(stmt) -> bool:
    """Whether a CREATE statement makes a TEMP object (TEMP keyword or the
    temp. qualifier); a TEMP object's name must not name main."""
    schema = (stmt.schema or "").lower()
    if schema and schema not in ("main", "temp"):
        raise SQLError(f"unknown database {stmt.schema}")
    if getattr(stmt, "temporary", False):
        if schema == "main":
            raise SQLError("temporary table name must be unqualified")
        return True
    return schema == "temp"


def create_table(db, stmt: ast.CreateTable, rt: Runtime):
    temp = _is_temp(stmt)
    if _name_taken(db, stmt.name, "table", stmt.if_not_exists, temp):
        return _outcome()
    if stmt.as_select is not None:
        return _create_table_as(db, stmt, rt, temp)
    table = table_from_ast(stmt)
    table.temp = temp
    _validate_table(db, table, rt)
    autos = auto_indexes(table, stmt)
    # A WITHOUT ROWID table is an index b-tree (engine/exec/rowformat.py).
    make_tree = btree.create_index if table.without_rowid else btree.create_table
    table.root = make_tree(db.pager_for(table))
    _schema_insert(db, "table", stmt.name, stmt.name, table.root, stmt.sql, temp)
    for auto in autos:
        auto.root = btree.create_index(db.pager_for(table))
        _schema_insert(db, "index", auto.name, stmt.name, auto.root, None, temp)
    if table.autoincrement and "sqlite_sequence" not in db.catalogs["temp" if temp else "main"]["tables"]:
        root = btree.create_table(db.pager_for(table))
        _schema_insert(db, "table", "sqlite_sequence", "sqlite_sequence", root,
                       "CREATE TABLE sqlite_sequence(name,seq)", temp)
    db.bump_schema(temp)
    db._load_schema()
    return _outcome()


def _validate_table(db, table, rt: Runtime) -> None:
    """The checks sqlite3 makes when it prepares CREATE TABLE: collations
    exist, defaults are constant, CHECK and generated expressions resolve
    against the table and use no subqueries."""
    from .expr import walk
    from .index import table_scope
    for c in table.columns:
        if c.collation is not None:
            collation_key_function(c.collation)
        if c.default is not None:
            if any(isinstance(n, (ast.Column, ast.Subquery, ast.Exists, ast.InSelect)) for n in walk(c.default)):
                raise SQLError(f"default value of column [{c.name}] is not constant")
    scope = table_scope(db, table)
    comp = ExprCompiler(scope, rt, None)
    for _name, expr, _text in table.checks:
        if any(isinstance(n, (ast.Subquery, ast.Exists, ast.InSelect)) for n in walk(expr)):
            raise SQLError("subqueries prohibited in CHECK constraints")
        comp.aggregates = {}
        comp.compile(expr)
    for c in table.columns:
        if c.generated is not None:
            if any(isinstance(n, (ast.Subquery, ast.Exists, ast.InSelect)) for n in walk(c.generated)):
                raise SQLError("subqueries prohibited in generated columns")
            if first_nondeterministic(db, c.generated) is not None:
                raise SQLError("non-deterministic functions prohibited in generated columns")
            comp.compile(c.generated)


def _create_table_as(db, stmt: ast.CreateTable, rt: Runtime, temp: bool = False):
    from ..plan.select import Planner
    plan = Planner(db, rt).plan_select(stmt.as_select, None)
    rows = list(plan.rows())
    names = [c.name for c in plan.columns]
    cols = []
    for c in plan.columns:
        decl = {"A": "", "B": "TEXT", "C": "NUM", "D": "INT", "E": "REAL"}.get(c.affinity, "")
        cols.append(_quote_ident(c.name) + (" " + decl if decl else ""))
    # sqlite3's createTableStmt: one line when its size estimate (each name
    # counted as quoted, plus 5 per column) stays under 50, else one column
    # per line.
    size = sum(_ident_length(c.name) + 5 for c in plan.columns) + _ident_length(stmt.name)
    if size < 50:
        sql = f"CREATE TABLE {_quote_ident(stmt.name)}(" + ",".join(cols) + ")"
    else:
        sql = f"CREATE TABLE {_quote_ident(stmt.name)}(" + ",".join("\n  " + c for c in cols) + "\n)"
    from dataclasses import replace
    from ..sql.parser import parse
    created = replace(parse(sql)[0], temporary=temp)
    create_table(db, created, rt)
    table = db.lookup_table(stmt.name)
    for i, r in enumerate(rows, 1):
        from .values import apply_affinity
        vals = [apply_affinity(v, c.affinity) for v, c in zip(r, table.columns)]
        db.write_table_row(table, i, vals)
    del names
    return _outcome()


def _ident_length(name: str) -> int:
    return len(name.encode("utf-8")) + name.count('"') + 2


def _quote_ident(name: str) -> str:
    if name.replace("_", "a").isalnum() and not name[:1].isdigit() and name.isascii():
        from ..sql.tokenizer import KEYWORDS
        if name.upper() not in KEYWORDS:
            return name
    return '"' + name.replace('"', '""') + '"'


def create_index(db, stmt: ast.CreateIndex, rt: Runtime):
    schema = (stmt.schema or "").lower() or None
    if schema is not None and schema not in ("main", "temp"):
        raise SQLError(f"unknown database {stmt.schema}")
    # An index lives in its table's schema; a qualified name picks where
    # the table is looked for.
    table = db.lookup_table(stmt.table, schema)
    if schema == "temp" and table is None and db.lookup_table(stmt.table, "main") is not None:
        raise SQLError(f'cannot create a TEMP index on non-TEMP table "{stmt.table}"')
    if table is None or stmt.table.lower() in ("sqlite_master", "sqlite_schema"):
        if stmt.table.lower() in db.views:
            raise SQLError("views may not be indexed")
        if table is not None:
            raise SQLError(f"table {stmt.table} may not be indexed")
        raise SQLError(f"no such table: {schema or 'main'}.{stmt.table}")
    temp = table.temp
    if _name_taken(db, stmt.name, "index", stmt.if_not_exists, temp):
        return _outcome()
    idx = Index(name=stmt.name, table=table.name, columns=stmt.columns, unique=stmt.unique,
                sql=stmt.sql, where=stmt.where, temp=temp)
    index_ops.validate_index(db, table, idx)
    idx.root = btree.create_index(db.pager_for(table))
    index_ops.populate(db, table, idx, rt)
    _schema_insert(db, "index", stmt.name, table.name, idx.root, stmt.sql, temp)
    db.bump_schema(temp)
    db._load_schema()
    return _outcome()


def create_view(db, stmt: ast.CreateView, rt: Runtime):
    temp = _is_temp(stmt)
    if _name_taken(db, stmt.name, "view", stmt.if_not_exists, temp):
        return _outcome()
    # As in sqlite3, names in the view's query are resolved when the view
    # is used, not here: a view may name tables that do not exist yet.
    _schema_insert(db, "view", stmt.name, stmt.name, 0, stmt.sql, temp)
    db.bump_schema(temp)
    db._load_schema()
    return _outcome()


def create_trigger(db, stmt: ast.CreateTrigger, rt: Runtime):
    lname = stmt.name.lower()
    if lname in db.triggers:
        if stmt.if_not_exists:
            return _outcome()
        raise SQLError(f"trigger {stmt.name} already exists")
    table = db.lookup_table(stmt.table)
    if table is None:
        view = db.views.get(stmt.table.lower())
        if view is None:
            raise SQLError(f"no such table: main.{stmt.table}")
        if stmt.timing != "INSTEAD OF":
            raise SQLError(f"cannot create {stmt.timing} trigger on view: {view.name}")
        tbl_name = view.name
    else:
        if stmt.timing == "INSTEAD OF":
            raise SQLError(f"cannot create INSTEAD OF trigger on table: {stmt.table}")
        tbl_name = table.name
    # A trigger on a TEMP table or view is a TEMP trigger too.
    temp = _is_temp(stmt) or getattr(table if table is not None else view, "temp", False)
    _schema_insert(db, "trigger", stmt.name, tbl_name, 0, stmt.sql, temp)
    db.bump_schema(temp)
    db._load_schema()
    return _outcome()


def drop(db, stmt: ast.Drop, rt: Runtime):
    lname = stmt.name.lower()
    kind = stmt.kind.upper()
    if kind == "TABLE":
        if lname in ("sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_temp_schema"):
            raise SQLError("table sqlite_master may not be dropped")
        table = db.lookup_table(stmt.name, stmt.schema)
        if table is None:
            if lname in db.views:
                raise SQLError(f"use DROP VIEW to delete view {stmt.name}")
            if stmt.if_exists:
                return _outcome()
            raise SQLError(f"no such table: {stmt.name}")
        if lname.startswith("sqlite_") and lname != "sqlite_stat1":
            raise SQLError(f"table {stmt.name} may not be dropped")
        from . import foreign_keys
        if foreign_keys.enabled(db) and foreign_keys.keys_to(db, table):
            # DROP TABLE first deletes every row, as DELETE would (foreignkeys.html 5).
            from . import dml
            dml.delete(db, ast.Delete(ast.TableRef(table.name)), rt)
            foreign_keys.statement_end(db)
        for idx in table.indexes:
            btree.drop_tree(db.pager_for(idx), idx.root)
        btree.drop_tree(db.pager_for(table), table.root)
        temp = table.temp
        _schema_delete(db, lambda r: (r[2] or "").lower() == lname, temp)
        if not temp and db.temp_pager is not None:
            # TEMP triggers on the dropped table go with it.
            _schema_delete(db, lambda r: r[0] == "trigger" and (r[2] or "").lower() == lname, True)
        seq = db.lookup_table("sqlite_sequence")
        if seq is not None and table.autoincrement:
            for row in list(db.table_reader(seq)()):
                if isinstance(row[1], str) and row[1].lower() == lname:
                    db.delete_table_row(seq, row[0])
    elif kind == "INDEX":
        idx = db.indexes.get(lname)
        if idx is None:
            if stmt.if_exists:
                return _outcome()
            raise SQLError(f"no such index: {stmt.name}")
        if idx.sql is None:
            raise SQLError("index associated with UNIQUE or PRIMARY KEY constraint cannot be dropped")
        btree.drop_tree(db.pager_for(idx), idx.root)
        temp = idx.temp
        _schema_delete(db, lambda r: r[0] == "index" and (r[1] or "").lower() == lname, temp)
    elif kind == "VIEW":
        if lname not in db.views:
            if lname in db.tables:
                raise SQLError(f"use DROP TABLE to delete table {stmt.name}")
            if stmt.if_exists:
                return _outcome()
            raise SQLError(f"no such view: {stmt.name}")
        temp = db.views[lname].temp
        _schema_delete(db, lambda r: (r[0] == "view" and (r[1] or "").lower() == lname)
                       or (r[0] == "trigger" and (r[2] or "").lower() == lname), temp)
    elif kind == "TRIGGER":
        if lname not in db.triggers:
            if stmt.if_exists:
                return _outcome()
            raise SQLError(f"no such trigger: {stmt.name}")
        temp = db.triggers[lname].temp
        _schema_delete(db, lambda r: r[0] == "trigger" and (r[1] or "").lower() == lname, temp)
    db.bump_schema(temp)
    db._load_schema()
    return _outcome()


def reindex(db, stmt: ast.Reindex):
    """REINDEX [name]: the indexes are always consistent here, so only the
    name is checked (a collation, a table or an index)."""
    if stmt.name is not None:
        lname = stmt.name.lower()
        known = lname in db.tables or lname in db.indexes or lname.upper() in ("BINARY", "NOCASE", "RTRIM")
        if not known:
            raise SQLError("unable to identify the object to be reindexed")
    return _outcome()


def column_defaults(db, table) -> list:
    """The DEFAULT value of each column (NULL where none), for rows stored
    before ALTER TABLE ADD COLUMN."""
    from ..plan.scope import Scope
    comp = ExprCompiler(Scope(), Runtime(db), None)
    out = []
    for c in table.columns:
        out.append(comp.compile(c.default)(()) if c.default is not None else None)
    return out


def pragma(db, stmt: ast.Pragma):
    from . import pragmas
    columns, rows = pragmas.run(db, stmt.name, pragmas.literal_value(stmt.value))
    return _outcome(columns, rows)
