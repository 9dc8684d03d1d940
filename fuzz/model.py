"""What the generator knows about the database it is building: tables,
columns, indexes, views and triggers, as far as they decide which statements
sqlite3 will accept (datatype3.html for affinity, lang_createtable.html for
constraints, lang_altertable.html for what ALTER TABLE allows).

The model is built while one test case is drawn and is updated by every
schema change the case makes, so later statements name only what exists.
It never predicts data: a statement that fails on the data (a UNIQUE
conflict, a CHECK) still runs, and counts against the acceptance rate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


def affinity(declared: str | None) -> str:
    """Column affinity from a declared type (datatype3.html, section 3.1)."""
    t = (declared or "").upper()
    if "INT" in t:
        return "INTEGER"
    if "CHAR" in t or "CLOB" in t or "TEXT" in t:
        return "TEXT"
    if "BLOB" in t or not t:
        return "BLOB"
    if "REAL" in t or "FLOA" in t or "DOUB" in t:
        return "REAL"
    return "NUMERIC"


@dataclass
class Column:
    name: str
    declared: str = ""              # declared type as written ("" for none)
    collation: str | None = None    # NOCASE, RTRIM, BINARY or None
    not_null: bool = False
    unique: bool = False
    default: str | None = None      # SQL text of the default
    generated: str | None = None    # SQL text of the generating expression
    strict_type: str | None = None  # INT, INTEGER, REAL, TEXT, BLOB or ANY in a STRICT table

    @property
    def affinity(self) -> str:
        return affinity(self.declared)

    @property
    def writable(self) -> bool:
        return self.generated is None

    @property
    def needs_value(self) -> bool:
        """NOT NULL without a default: an INSERT must give it a value."""
        return self.not_null and self.default is None and self.generated is None


@dataclass
class Table:
    name: str
    columns: list[Column]
    primary_key: tuple[str, ...] = ()      # column names
    rowid_alias: str | None = None         # the INTEGER PRIMARY KEY column
    without_rowid: bool = False
    strict: bool = False
    uniques: list[tuple[str, ...]] = field(default_factory=list)   # UNIQUE sets incl. the key
    parents: list[str] = field(default_factory=list)               # tables it references
    autoincrement: bool = False
    mentioned: set[str] = field(default_factory=set)   # names used by CHECK and FOREIGN KEY

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def writable(self) -> list[Column]:
        return [c for c in self.columns if c.writable]

    @property
    def identity(self) -> tuple[str, ...]:
        """Columns (or ``rowid``) that tell the rows apart: an order by them
        is total."""
        if not self.without_rowid:
            return ("rowid",)
        return self.primary_key


@dataclass
class Index:
    name: str
    table: str
    sql: str
    unique: bool = False
    columns: tuple[str, ...] = ()      # plain column terms (for ON CONFLICT targets)
    partial: bool = False


@dataclass
class View:
    name: str
    columns: list[str]
    sql: str


@dataclass
class Trigger:
    name: str
    table: str
    sql: str
    event: str = "INSERT"          # INSERT, UPDATE or DELETE


@dataclass
class Schema:
    tables: list[Table] = field(default_factory=list)
    views: list[View] = field(default_factory=list)
    indexes: list[Index] = field(default_factory=list)
    triggers: list[Trigger] = field(default_factory=list)
    foreign_keys_on: bool = False
    counter: int = 0                   # for fresh names

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(name)

    def pinned_columns(self) -> set[str]:
        """Column names that some index, view, trigger, CHECK, generated
        column or foreign key mentions: dropping one could fail, so the
        generator leaves them alone (conservatively, across all tables)."""
        names: set[str] = set()
        for obj in (*self.indexes, *self.views, *self.triggers):
            names.update(_WORD.findall(obj.sql))
        for t in self.tables:
            for c in t.columns:
                if c.generated:
                    names.update(_WORD.findall(c.generated))
            names.update(t.mentioned)
        return names

    def drop_table(self, name: str) -> None:
        self.tables = [t for t in self.tables if t.name != name]
        self.indexes = [i for i in self.indexes if i.table != name]
        self.triggers = [t for t in self.triggers if t.table != name]

    def _rewrite(self, old: str, new: str) -> None:
        # Keep the stored texts roughly in step, as sqlite3 rewrites them;
        # they only serve the conservative checks above.
        pattern = re.compile(rf"\b{re.escape(old)}\b")
        for obj in (*self.indexes, *self.views, *self.triggers):
            obj.sql = pattern.sub(new, obj.sql)

    def rename_table(self, old: str, new: str) -> None:
        self._rewrite(old, new)
        self.table(old).name = new
        for i in self.indexes:
            if i.table == old:
                i.table = new
        for t in self.triggers:
            if t.table == old:
                t.table = new
        for v in self.views:
            if v.name == old:
                v.name = new
        for t in self.tables:
            t.parents = [new if p == old else p for p in t.parents]

    def rename_column(self, table: str, old: str, new: str) -> None:
        self._rewrite(old, new)
        t = self.table(table)
        t.column(old).name = new
        t.primary_key = tuple(new if c == old else c for c in t.primary_key)
        if t.rowid_alias == old:
            t.rowid_alias = new
        if old in t.mentioned:
            t.mentioned.add(new)
        t.uniques = [tuple(new if c == old else c for c in u) for u in t.uniques]
        for i in self.indexes:
            if i.table == table:
                i.columns = tuple(new if c == old else c for c in i.columns)


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
