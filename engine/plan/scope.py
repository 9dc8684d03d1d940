"""Name resolution: which row slot a column name refers to (lang_select.html,
"Column names", and SQLite's resolve rules).

A query's working row is the concatenation of the rows of its FROM sources.
A :class:`Scope` knows each source's name and columns and where they sit in
that row; scopes nest, so a correlated subquery resolves names in the scopes
around it and reads them from the outer query's current row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import SQLError
from ..exec.values import BLOB, INTEGER
from ..names import fold

ROWID_NAMES = ("rowid", "oid", "_rowid_")


@dataclass
class ColumnInfo:
    name: str
    affinity: str = BLOB
    collation: str | None = None
    hidden: bool = False      # not part of "*" (the rowid slot)
    declared_type: str | None = None
    is_rowid: bool = False    # the rowid or an INTEGER PRIMARY KEY (no collation)


@dataclass
class Source:
    """One FROM item: its name for qualification, its columns, and the
    position of its first slot in the working row."""

    name: str | None
    columns: list[ColumnInfo]
    offset: int = 0
    rowid_slot: int | None = None          # relative slot of the rowid, if addressable
    table: object = None                   # the schema Table, for base tables
    # Column names joined by USING/NATURAL: a name here is taken from the left side.
    using_hidden: set[str] = field(default_factory=set)
    from_index: int = 0                    # position in the FROM clause (for "*")

    @property
    def width(self) -> int:
        return len(self.columns)

    def find(self, name: str) -> int | None:
        lname = fold(name)
        for i, col in enumerate(self.columns):
            if not col.hidden and fold(col.name) == lname:
                return i
        if lname in ROWID_NAMES and self.rowid_slot is not None:
            return self.rowid_slot
        for i, col in enumerate(self.columns):
            if col.hidden and not col.is_rowid and fold(col.name) == lname:
                return i      # a hidden column (of a table-valued function) by name
        return None


def table_source(table, alias: str | None = None) -> Source:
    """A base table as a FROM source: its working row is (rowid, columns...)."""
    cols = [ColumnInfo("rowid", affinity=INTEGER, hidden=True, is_rowid=True)]
    for i, c in enumerate(table.columns):
        cols.append(ColumnInfo(c.name, c.affinity, c.collation, hidden=c.hidden,
                               declared_type=c.declared_type, is_rowid=i == table.rowid_alias))
    return Source(alias or table.name, cols, rowid_slot=None if table.without_rowid else 0, table=table)


class RowCell:
    """The current row of a scope, for subqueries that read it."""

    __slots__ = ("row",)

    def __init__(self):
        self.row = None


@dataclass
class Resolved:
    scope: "Scope"
    slot: int               # absolute slot in the scope's row
    info: ColumnInfo
    source: Source | None
    alt: int | None = None  # USING in a RIGHT/FULL join: the right side's slot (coalesced)


class Scope:
    """The names visible at one query level."""

    def __init__(self, sources: list[Source] | None = None, parent: "Scope | None" = None):
        self.sources: list[Source] = []
        self.parent = parent
        self.cell = RowCell()
        self.width = 0
        self.depth = 0 if parent is None else parent.depth + 1
        self.correlated = False          # set when a name resolved in an outer scope
        self.used_outer: set[int] = set()
        self.coalesce: dict[str, int] = {}   # USING name -> right slot, for RIGHT/FULL joins
        for s in sources or ():
            self.add(s)

    def add(self, source: Source) -> Source:
        source.offset = self.width
        self.sources.append(source)
        self.width += source.width
        return source

    def source_named(self, name: str) -> Source | None:
        lname = fold(name)
        for s in self.sources:
            if s.name is not None and fold(s.name) == lname:
                return s
        return None

    def lookup_local(self, name: str, table: str | None) -> Resolved | None:
        """The column ``[table.]name`` among this scope's own sources."""
        if table is not None:
            src = self.source_named(table)
            if src is None:
                return None
            i = src.find(name)
            if i is None:
                return None
            self._check_unique_name(src, src.columns[i].name if i < len(src.columns) else name)
            return Resolved(self, src.offset + i, src.columns[i] if i < len(src.columns) else ColumnInfo(name), src)
        found: Resolved | None = None
        lname = fold(name)
        for src in self.sources:
            if lname in src.using_hidden:
                continue
            i = src.find(name)
            if i is None:
                continue
            if found is not None:
                if lname in ROWID_NAMES and src.columns[i].hidden:
                    continue
                raise SQLError(f"ambiguous column name: {name}")
            found = Resolved(self, src.offset + i, src.columns[i], src)
        if found is not None and lname in self.coalesce:
            found.alt = self.coalesce[lname]
        return found

    def resolve(self, name: str, table: str | None) -> Resolved | None:
        """Resolve in this scope, then outward; marks correlation."""
        scope: Scope | None = self
        while scope is not None:
            r = scope.lookup_local(name, table)
            if r is not None:
                if scope is not self:
                    s = self
                    while s is not scope:
                        s.correlated = True
                        s = s.parent
                return r
            scope = scope.parent
        return None

    def _check_unique_name(self, src: Source, column: str) -> None:
        """Two FROM items with the same name make ``name.column`` ambiguous."""
        key = fold(src.name)
        if sum(1 for s in self.sources if s.name is not None and fold(s.name) == key) > 1:
            prefix = "main." if src.table is not None else ""
            raise SQLError(f"ambiguous column name: {prefix}{src.name}.{column}")

    def star_columns(self, table: str | None) -> list[tuple[int, ColumnInfo, Source]]:
        """The slots ``*`` or ``table.*`` expands to."""
        for src in self.sources:
            visible = [c for c in src.columns if not c.hidden]
            if src.name is not None and visible and (table is None or fold(table) == fold(src.name)):
                self._check_unique_name(src, visible[0].name)
        out = []
        if table is not None:
            src = self.source_named(table)
            if src is None:
                raise SQLError(f"no such table: {table}")
            for i, col in enumerate(src.columns):
                if not col.hidden:
                    out.append((src.offset + i, col, src))
            return out
        for src in sorted(self.sources, key=lambda s: s.from_index):
            for i, col in enumerate(src.columns):
                if not col.hidden and fold(col.name) not in src.using_hidden:
                    out.append((src.offset + i, col, src))
        return out

    def star_alt(self, slot: int, name: str) -> int | None:
        """The right side's slot when ``*`` shows a coalesced USING column."""
        return self.coalesce.get(fold(name))
