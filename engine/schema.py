"""The catalog: tables, indexes, views and triggers as described by the rows
of sqlite_schema (fileformat2.html section 2.6, lang_createtable.html).

Schema objects are built from the parsed CREATE statements, whether the
statement was just executed or read back from a database file, so a file
written by sqlite3 and one written by the engine load the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import SQLError
from .names import fold
from .exec.values import BLOB, NUMERIC, affinity_of_type
from .sql import ast


@dataclass
class Column:
    name: str
    declared_type: str | None = None
    affinity: str = BLOB
    collation: str | None = None
    not_null: bool = False
    not_null_conflict: str | None = None
    default: object = None            # ast expression or None
    default_text: str | None = None   # its source text (PRAGMA table_info shows it)
    primary_key: bool = False
    hidden: bool = False
    generated: object = None          # ast expression of a generated column
    generated_stored: bool = False


@dataclass
class Index:
    name: str
    table: str
    columns: tuple                     # tuple of ast.IndexedColumn
    unique: bool = False
    root: int = 0
    sql: str | None = None             # None for automatic indexes (sqlite_autoindex_*)
    where: object = None               # partial index predicate
    origin: str = "c"                  # c: CREATE INDEX, u: UNIQUE, pk: PRIMARY KEY
    conflict: str | None = None
    temp: bool = False                 # in the TEMP database


@dataclass
class Table:
    name: str
    columns: list[Column]
    root: int = 0
    sql: str = ""
    rowid_alias: int | None = None    # index of the INTEGER PRIMARY KEY column
    without_rowid: bool = False
    autoincrement: bool = False
    strict: bool = False
    primary_key: tuple = ()           # column indexes of a non-alias PRIMARY KEY
    pk_conflict: str | None = None
    checks: list = field(default_factory=list)       # (name, ast expr, source text)
    foreign_keys: list = field(default_factory=list)  # ast.ForeignKeyConstraint
    indexes: list[Index] = field(default_factory=list)
    triggers: list = field(default_factory=list)
    is_virtual: bool = False
    temp: bool = False                # in the TEMP database

    def column_index(self, name: str) -> int | None:
        lname = fold(name)
        for i, c in enumerate(self.columns):
            if fold(c.name) == lname:
                return i
        return None


@dataclass
class View:
    name: str
    select: ast.Select
    columns: tuple | None = None
    sql: str = ""
    temp: bool = False


@dataclass
class Trigger:
    name: str
    table: str
    stmt: ast.CreateTrigger
    sql: str = ""
    temp: bool = False


def _ident_type(type_name: str | None) -> str | None:
    return type_name


def table_from_ast(stmt: ast.CreateTable, root: int = 0) -> Table:
    """A Table from a CREATE TABLE statement (without AS SELECT)."""
    names = set()
    columns: list[Column] = []
    table = Table(name=stmt.name, columns=columns, root=root, sql=stmt.sql,
                  without_rowid=stmt.without_rowid, strict=stmt.strict)
    pk_cols: list[int] = []
    pk_desc = False
    for cdef in stmt.columns:
        lname = cdef.name.lower()
        if lname in names:
            raise SQLError(f"duplicate column name: {cdef.name}")
        names.add(lname)
        col = Column(name=cdef.name, declared_type=cdef.type_name,
                     affinity=affinity_of_type(cdef.type_name))
        if cdef.type_name == "":
            col.affinity = NUMERIC    # a quoted empty type: SQLite reads '""', which matches no rule
        if stmt.strict and (cdef.type_name or "").upper() == "ANY":
            col.affinity = BLOB       # a STRICT table's ANY column keeps values as given
        for cons in cdef.constraints:
            if isinstance(cons, ast.PrimaryKeyConstraint):
                if pk_cols:
                    raise SQLError(f'table "{stmt.name}" has more than one primary key')
                col.primary_key = True
                pk_cols.append(len(columns))
                pk_desc = cons.desc
                table.pk_conflict = cons.conflict
                table.autoincrement = cons.autoincrement
            elif isinstance(cons, ast.NotNullConstraint):
                col.not_null = True
                col.not_null_conflict = cons.conflict
            elif isinstance(cons, ast.DefaultConstraint):
                col.default = cons.expr
                col.default_text = cons.text
            elif isinstance(cons, ast.CollateConstraint):
                col.collation = cons.collation
            elif isinstance(cons, ast.CheckConstraint):
                table.checks.append((cons.name, cons.expr, cons.text))
            elif isinstance(cons, ast.GeneratedConstraint):
                col.generated = cons.expr
                col.generated_stored = cons.stored
                col.hidden = False
            elif isinstance(cons, ast.ForeignKeyConstraint):
                table.foreign_keys.append(ast.ForeignKeyConstraint(cons.clause, cons.name, (cdef.name,)))
        columns.append(col)
    for cons in stmt.constraints:
        if isinstance(cons, ast.PrimaryKeyConstraint):
            if pk_cols:
                raise SQLError(f'table "{stmt.name}" has more than one primary key')
            for ic in cons.columns:
                name = _indexed_column_name(ic)
                i = table.column_index(name) if name else None
                if i is None:
                    raise SQLError(f"no such column: {name}")
                pk_cols.append(i)
                columns[i].primary_key = True
            table.pk_conflict = cons.conflict
            table.autoincrement = cons.autoincrement
            pk_desc = False
        elif isinstance(cons, ast.CheckConstraint):
            table.checks.append((cons.name, cons.expr, cons.text))
        elif isinstance(cons, ast.ForeignKeyConstraint):
            table.foreign_keys.append(cons)
    if len(pk_cols) == 1 and not stmt.without_rowid:
        col = columns[pk_cols[0]]
        if (col.declared_type or "").upper() == "INTEGER" and not pk_desc:
            table.rowid_alias = pk_cols[0]
    if table.autoincrement and table.rowid_alias is None:
        raise SQLError("AUTOINCREMENT is only allowed on an INTEGER PRIMARY KEY")
    if table.rowid_alias is None:
        table.primary_key = tuple(pk_cols)
    if stmt.without_rowid and not pk_cols:
        raise SQLError(f"PRIMARY KEY missing on table {stmt.name}")
    if stmt.without_rowid or stmt.strict:
        # The PRIMARY KEY of a WITHOUT ROWID or STRICT table is NOT NULL
        # (a rowid alias excepted: NULL there picks a new rowid).
        for i in pk_cols:
            if i != table.rowid_alias:
                columns[i].not_null = True
    return table


def _indexed_column_name(ic: ast.IndexedColumn) -> str | None:
    e = ic.expr
    while isinstance(e, ast.Collate):
        e = e.expr
    if isinstance(e, ast.Column) and e.table is None:
        return e.name
    return None


def auto_indexes(table: Table, stmt: ast.CreateTable) -> list[Index]:
    """The automatic indexes SQLite creates for PRIMARY KEY (when not a rowid
    alias) and UNIQUE constraints, named sqlite_autoindex_<table>_<n>, in the
    order SQLite creates them."""
    out: list[Index] = []

    def add(cols, origin, conflict):
        key = tuple((_indexed_column_name(c) or "").lower() for c in cols)
        for idx in out:
            if tuple((_indexed_column_name(c) or "").lower() for c in idx.columns) == key:
                return
        n = len(out) + 1
        out.append(Index(name=f"sqlite_autoindex_{table.name}_{n}", table=table.name,
                         columns=tuple(cols), unique=True, origin=origin, conflict=conflict))

    # A WITHOUT ROWID table's PRIMARY KEY is an automatic index too: it takes
    # its number (and a later UNIQUE on the same columns is no index), but
    # it is the table's own b-tree, so it is not returned.  An INTEGER
    # PRIMARY KEY there becomes the key only at the end of the statement.
    deferred_pk = None
    for cdef in stmt.columns:
        for cons in cdef.constraints:
            if isinstance(cons, ast.PrimaryKeyConstraint) and table.rowid_alias is None:
                cols = (ast.IndexedColumn(ast.Column(cdef.name), None, cons.desc),)
                if table.without_rowid and _integer_key(table, cols):
                    deferred_pk = cols
                else:
                    add(cols, "pk", cons.conflict)
            elif isinstance(cons, ast.UniqueConstraint):
                add((ast.IndexedColumn(ast.Column(cdef.name)),), "u", cons.conflict)
    for cons in stmt.constraints:
        if isinstance(cons, ast.PrimaryKeyConstraint) and table.rowid_alias is None:
            if table.without_rowid and _integer_key(table, cons.columns):
                deferred_pk = cons.columns
            else:
                add(cons.columns, "pk", cons.conflict)
        elif isinstance(cons, ast.UniqueConstraint):
            add(cons.columns, "u", cons.conflict)
    if deferred_pk is not None:
        add(deferred_pk, "pk", table.pk_conflict)
    if table.without_rowid:
        out = [idx for idx in out if idx.origin != "pk"]
    return out


def _integer_key(table: Table, cols) -> bool:
    """A one-column ascending PRIMARY KEY declared INTEGER."""
    if len(cols) != 1 or cols[0].desc:
        return False
    name = _indexed_column_name(cols[0])
    i = table.column_index(name) if name else None
    return i is not None and (table.columns[i].declared_type or "").upper() == "INTEGER"
