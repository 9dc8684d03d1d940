"""Index maintenance: building an index's keys from table rows, keeping
indexes in step with every change, and UNIQUE checks (lang_createindex.html,
fileformat2.html section 2.3 "index b-tree key format", withoutrowid.html).

An index key is the tuple of the indexed values followed by the row's
handle, ordered column by column under each column's collation and
direction.  The handle is the rowid; in a WITHOUT ROWID table it is the
PRIMARY KEY, and the key ends with those of its columns the index does not
already hold (same column, same collation), under the PRIMARY KEY's
collations and directions.
"""

from __future__ import annotations

from ..errors import ConstraintError, SQLError
from ..plan.scope import Scope, table_source
from ..sql import ast
from ..storage import btree
from .expr import ExprCompiler, Runtime
from .values import REAL, collation_key_function, truth

_RANK = {type(None): 0, int: 1, float: 1, str: 2, bytes: 3}


def _column_of(ic: ast.IndexedColumn):
    e = ic.expr
    while isinstance(e, ast.Collate):
        e = e.expr
    return e


def key_collations(table, idx) -> list[str | None]:
    out = []
    for ic in idx.columns:
        coll = ic.collation
        e = ic.expr
        if coll is None and isinstance(e, ast.Collate):
            coll = e.collation
        if coll is None:
            base = _column_of(ic)
            if isinstance(base, ast.Column):
                i = table.column_index(base.name)
                if i is not None:
                    coll = table.columns[i].collation
        out.append(coll)
    return out


def make_comparator(table, idx, tail=(), limit=None):
    """compare(a, b) -> -1/0/1 over index key tuples (prefixes allowed).
    ``tail`` holds (collation, descending) of the columns after the indexed
    ones (BINARY and ascending when not given); only the first ``limit`` columns count when
    it is set (a WITHOUT ROWID table's entries compare by key alone)."""
    colls = [collation_key_function(c) for c in key_collations(table, idx)]
    descs = [ic.desc for ic in idx.columns]
    colls += [collation_key_function(c) for c, _desc in tail]
    descs += [desc for _c, desc in tail]
    n = len(colls)

    def compare(a, b):
        m = min(len(a), len(b))
        if limit is not None and m > limit:
            m = limit
        for i in range(m):
            x = a[i]
            y = b[i]
            if i < n:
                c = _cmp(x, y, colls[i])
                if c:
                    return -c if descs[i] else c
            else:
                c = _cmp(x, y, None)
                if c:
                    return c
        return 0
    return compare


def _cmp(x, y, coll) -> int:
    rx = _RANK.get(type(x), 3)
    ry = _RANK.get(type(y), 3)
    if rx != ry:
        return -1 if rx < ry else 1
    if rx == 0:
        return 0
    if rx == 2 and coll is not None:
        x = coll(x)
        y = coll(y)
    return -1 if x < y else (1 if x > y else 0)


def table_scope(db, table, alias: str | None = None) -> Scope:
    return Scope([table_source(table, alias)])


class IndexKeys:
    """Computes an index's key (and partial-index membership) from a working
    row ``(handle, col0, col1, ...)``, and a row's handle from a key."""

    def __init__(self, db, table, idx):
        self.idx = idx
        self.table = table
        scope = table_scope(db, table)
        comp = ExprCompiler(scope, Runtime(db), None)
        self.parts = []
        for ic in idx.columns:
            base = _column_of(ic)
            if isinstance(base, ast.Column) and base.table is None:
                i = table.column_index(base.name)
                if i is None:
                    raise SQLError(f"no such column: {base.name}")
                real = table.columns[i].affinity == REAL
                self.parts.append(_real_getter(i + 1) if real else _slot_getter(i + 1))
            else:
                self.parts.append(comp.compile(ic.expr))
        self.where = comp.compile(idx.where) if idx.where is not None else None
        self.handle_at = None          # positions of a WITHOUT ROWID row's key in an entry
        if not table.without_rowid:
            self.compare = make_comparator(table, idx)
            self._key_parts = self.parts + [_slot_getter(0)]
            return
        pk = primary_key_index(table)[0]
        own = [(_plain_column(table, ic), (c or "BINARY").upper())
               for ic, c in zip(idx.columns, key_collations(table, idx))]
        tail, tail_colls, at = [], [], []
        for ic, coll in zip(pk.columns, key_collations(table, pk)):
            # sqlite3 appends them in the PRIMARY KEY's own directions.
            col = _plain_column(table, ic)
            coll_name = (coll or "BINARY").upper()
            if (col, coll_name) in own:
                at.append(own.index((col, coll_name)))
            else:
                at.append(len(own) + len(tail))
                real = table.columns[col].affinity == REAL
                tail.append(_real_getter(col + 1) if real else _slot_getter(col + 1))
                tail_colls.append((coll, ic.desc))
        self._key_parts = self.parts + tail
        self.handle_at = tuple(at)
        self.compare = make_comparator(table, idx, tail_colls,
                                       limit=len(idx.columns) if idx is pk else None)

    def applies(self, row) -> bool:
        return self.where is None or truth(self.where(row)) is True

    def key(self, row) -> tuple:
        return tuple(f(row) for f in self._key_parts)

    def handle(self, entry: tuple):
        """The handle of the row an index entry points at."""
        if self.handle_at is None:
            return entry[-1]
        return tuple(entry[i] for i in self.handle_at)


def _plain_column(table, ic) -> int | None:
    """The table column an indexed column is, or None for an expression."""
    base = _column_of(ic)
    if isinstance(base, ast.Column) and base.table is None:
        return table.column_index(base.name)
    return None


def _slot_getter(i):
    return lambda row: row[i]


def _real_getter(i):
    from .rowformat import store_real
    return lambda row: store_real(row[i])


def validate_index(db, table, idx) -> None:
    from .expr import walk
    from .functions import first_nondeterministic
    if idx.where is not None and any(isinstance(n, (ast.Subquery, ast.Exists, ast.InSelect)) for n in walk(idx.where)):
        raise SQLError("subqueries prohibited in partial index WHERE clauses")
    if idx.where is not None and first_nondeterministic(db, idx.where) is not None:
        raise SQLError("non-deterministic functions prohibited in partial index WHERE clauses")
    for ic in idx.columns:
        for n in walk(ic.expr):
            if isinstance(n, (ast.Subquery, ast.Exists, ast.InSelect)):
                raise SQLError("subqueries prohibited in index expressions")
        if first_nondeterministic(db, ic.expr) is not None:
            raise SQLError("non-deterministic functions prohibited in index expressions")
        base = _column_of(ic)
        if isinstance(base, ast.Column) and base.table is None:
            if table.column_index(base.name) is None:
                raise SQLError(f"no such column: {base.name}")
        if ic.collation is not None:
            collation_key_function(ic.collation)


def index_cursor(db, table, idx, keys: IndexKeys | None = None):
    keys = keys or IndexKeys(db, table, idx)
    return btree.IndexCursor(db.pager_for(idx), idx.root, keys.compare)


def populate(db, table, idx, rt: Runtime) -> None:
    keys = IndexKeys(db, table, idx)
    cur = btree.IndexCursor(db.pager_for(idx), idx.root, keys.compare)
    entries = []
    for row in db.table_reader(table)():
        if keys.applies(row):
            entries.append(keys.key(row))
    from functools import cmp_to_key
    entries.sort(key=cmp_to_key(keys.compare))
    n = len(idx.columns)
    if idx.unique:
        for a, b in zip(entries, entries[1:]):
            if all(v is not None for v in a[:n]) and keys.compare(a[:n], b[:n]) == 0:
                raise unique_error(table, idx)
    for k in entries:
        cur.insert(k)


def unique_error(table, idx) -> ConstraintError:
    from ..errors import SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_UNIQUE
    code = SQLITE_CONSTRAINT_PRIMARYKEY if idx.origin == "pk" else SQLITE_CONSTRAINT_UNIQUE
    names = []
    for ic in idx.columns:
        base = _column_of(ic)
        if not isinstance(base, ast.Column):
            # An index on an expression is named, not its columns.
            return ConstraintError(f"UNIQUE constraint failed: index '{idx.name}'", code)
        i = table.column_index(base.name)
        names.append(f"{table.name}.{table.columns[i].name if i is not None else base.name}")
    return ConstraintError("UNIQUE constraint failed: " + ", ".join(names), code)


def find_conflict(db, keys: IndexKeys, key: tuple, own_rowid: int | None = None) -> int | None:
    """The rowid of a row other than ``own_rowid`` (the row being updated)
    whose indexed values equal ``key``'s, or None."""
    n = len(keys.idx.columns)
    prefix = key[:n]
    if any(v is None for v in prefix):
        return None
    compare = keys.compare
    if keys.idx.root:
        cur = btree.IndexCursor(db.pager_for(keys.idx), keys.idx.root, compare)
    else:
        # The PRIMARY KEY of a WITHOUT ROWID table: the table's own b-tree.
        cur = btree.IndexCursor(db.pager_for(keys.table), keys.table.root, compare)
    handle = keys.handle
    for entry in cur.seek(prefix):
        if compare(entry[:n], prefix) != 0:
            return None
        h = handle(entry)
        if h != own_rowid:
            return h
    return None


def primary_key_index(table):
    """The PRIMARY KEY of a WITHOUT ROWID table as the unique index sqlite3
    keeps it in, and its position among the table's automatic indexes (the
    order the constraints were written in); (None, 0) for rowid tables.

    sqlite3 stores such a table in that index's b-tree (withoutrowid.html),
    so the index has no b-tree of its own (root 0: its entries are the
    table's, engine/exec/rowformat.py); a column repeated in the key with
    the same collation is dropped as sqlite3 drops it."""
    if not table.without_rowid:
        return None, 0
    cached = table.__dict__.get("_pk_index")
    if cached is not None:
        return cached
    from ..schema import Index
    from ..sql.parser import parse
    stmt = parse(table.sql, schema=True)[0]
    seen: list = []       # column keys of the UNIQUE constraints before the PRIMARY KEY
    columns = None

    def unique_key(cols):
        return tuple((_column_of(c).name.lower() if isinstance(_column_of(c), ast.Column) else None) for c in cols)

    for cdef in stmt.columns:
        for cons in cdef.constraints:
            if isinstance(cons, ast.PrimaryKeyConstraint) and columns is None:
                columns = (ast.IndexedColumn(ast.Column(cdef.name), None, cons.desc),)
            elif isinstance(cons, ast.UniqueConstraint) and columns is None:
                k = unique_key((ast.IndexedColumn(ast.Column(cdef.name)),))
                if k not in seen:
                    seen.append(k)
    for cons in stmt.constraints:
        if isinstance(cons, ast.PrimaryKeyConstraint) and columns is None:
            columns = cons.columns
        elif isinstance(cons, ast.UniqueConstraint) and columns is None:
            k = unique_key(cons.columns)
            if k not in seen:
                seen.append(k)
    position = len(seen)
    if columns is not None and len(columns) == 1 and not columns[0].desc:
        # An INTEGER PRIMARY KEY becomes the key only once the whole CREATE
        # TABLE is read: its index is created after every UNIQUE one.
        base = _column_of(columns[0])
        i = table.column_index(base.name) if isinstance(base, ast.Column) else None
        if i is not None and (table.columns[i].declared_type or "").upper() == "INTEGER":
            position = len({k for k in (unique_key(c.columns) for c in stmt.constraints
                                        if isinstance(c, ast.UniqueConstraint))}
                           | {unique_key((ast.IndexedColumn(ast.Column(cd.name)),)) for cd in stmt.columns
                              if any(isinstance(c, ast.UniqueConstraint) for c in cd.constraints)})
    kept = []
    seen_columns = set()
    for ic in columns or ():
        col = _plain_column(table, ic)
        coll = (key_collations(table, Index("", table.name, (ic,)))[0] or "BINARY").upper()
        if (col, coll) in seen_columns:
            continue
        seen_columns.add((col, coll))
        kept.append(ic)
    idx = Index(name=f"sqlite_autoindex_{table.name}_{position + 1}", table=table.name, columns=tuple(kept),
                unique=True, root=0, origin="pk", conflict=table.pk_conflict)
    table.__dict__["_pk_index"] = (idx, position)
    return idx, position
