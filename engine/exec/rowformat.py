"""A table's rows as stored (fileformat2.html section 2.1 "record format"
and section 2.3 "WITHOUT ROWID tables", withoutrowid.html, gencol.html):
how a working row ``(handle, col0, col1, ...)`` becomes a b-tree entry, and
back.

* A rowid table is a table b-tree keyed by the rowid, which is the handle.
  Its record holds the columns in table order, the INTEGER PRIMARY KEY
  stored as NULL (its value is the rowid).
* A WITHOUT ROWID table is an index b-tree ordered by its PRIMARY KEY, and
  the handle is the tuple of the key's values.  A record holds the key
  columns in key order (a column repeated with the same collation once),
  then the table's other columns in table order; only the key columns take
  part in comparisons, under the key's collations and directions.
* VIRTUAL generated columns are never stored: they are computed as a row is
  read.  A record shorter than the table (written before ALTER TABLE ADD
  COLUMN) reads the missing columns as their DEFAULT.

Everything that reads or writes a table's rows goes through the
:class:`RowFormat` of the table (``Database.row_format``).
"""

from __future__ import annotations

from ..storage import btree
from ..storage.record import decode_record, encode_record
from .values import REAL, apply_affinity, real_as_numeric


def store_real(v):
    """How a REAL-affinity value is stored in a record: an integral float
    within the 64-bit range as an integer (sqlite3's MakeRecord does this
    to save space; it reads back as a float)."""
    return real_as_numeric(v) if type(v) is float else v


def settle_generated(row: list, generated, columns) -> None:
    """Compute generated columns of a working row list in place.  One may
    read another, so they are settled pass by pass."""
    for _ in range(len(generated)):
        snapshot = tuple(row)
        for i, f in generated:
            row[i + 1] = apply_affinity(f(snapshot), columns[i].affinity)


class RowFormat:
    """The stored form of one table's rows."""

    def __init__(self, db, table):
        from .expr import ExprCompiler, Runtime
        from .index import IndexKeys, _plain_column, primary_key_index, table_scope
        self.db = db
        self.table = table
        columns = table.columns
        self.ncols = len(columns)
        virtual = [i for i, c in enumerate(columns) if c.generated is not None and not c.generated_stored]
        self.without_rowid = table.without_rowid
        if self.without_rowid:
            pk = primary_key_index(table)[0]
            self.key = IndexKeys(db, table, pk)
            key_cols = [_plain_column(table, ic) for ic in pk.columns]
            self.nkey = len(key_cols)
            rest = [i for i in range(self.ncols) if i not in key_cols and i not in virtual]
            self.stored = key_cols + rest
        else:
            self.key = None
            self.nkey = 0
            self.stored = [i for i in range(self.ncols) if i not in virtual]
        self.in_order = self.stored == list(range(self.ncols))    # record = columns in table order
        self.reals = [i for i, c in enumerate(columns) if c.affinity == REAL]
        self.virtual = []
        if virtual:
            comp = ExprCompiler(table_scope(db, table), Runtime(db), None)
            self.virtual = [(i, comp.compile(columns[i].generated)) for i in virtual]
        self.defaults = None

    def pager(self):
        return self.db.pager_for(self.table)

    # -- reading ------------------------------------------------------------

    def decoder(self):
        """A function (handle, fields) -> working row."""
        ncols = self.ncols
        alias = self.table.rowid_alias
        reals = self.reals
        virtual = self.virtual
        stored = self.stored
        columns = self.table.columns
        plain = not virtual and self.in_order
        fmt = self

        def decode(handle, vals):
            if plain:
                if len(vals) != ncols:
                    if len(vals) < ncols:
                        vals = tuple(vals) + tuple(fmt._defaults()[len(vals):])
                    else:
                        vals = vals[:ncols]
                if alias is None and not reals:
                    return (handle, *vals)
                vals = list(vals)
            else:
                fields = vals
                vals = [None] * ncols
                n = len(fields)
                for k, i in enumerate(stored):
                    vals[i] = fields[k] if k < n else fmt._defaults()[i]
            if alias is not None:
                vals[alias] = handle
            for i in reals:
                if type(vals[i]) is int:
                    vals[i] = float(vals[i])
            if virtual:
                row = [handle, *vals]
                settle_generated(row, virtual, columns)
                return tuple(row)
            return (handle, *vals)
        return decode

    def _defaults(self):
        if self.defaults is None:
            from .ddl import column_defaults
            self.defaults = column_defaults(self.db, self.table)
        return self.defaults

    def reader(self):
        """() -> iterator of the table's working rows, in b-tree order
        (rowid order; PRIMARY KEY order in a WITHOUT ROWID table)."""
        decode = self.decoder()
        root = self.table.root
        check = self.db.check_interrupt
        nkey = self.nkey

        if self.without_rowid:
            compare = self.key.compare

            def read():
                n = 0
                for fields in btree.IndexCursor(self.pager(), root, compare).scan():
                    n += 1
                    if n & 1023 == 0:
                        check()
                    yield decode(fields[:nkey], fields)
            return read

        def read():
            n = 0
            for rowid, payload in btree.TableCursor(self.pager(), root).scan():
                n += 1
                if n & 1023 == 0:
                    check()
                yield decode(rowid, decode_record(payload))
        return read

    def lookup_function(self):
        """handle -> working row, or None when there is no such row."""
        decode = self.decoder()
        root = self.table.root
        if self.without_rowid:
            compare = self.key.compare
            nkey = self.nkey

            def lookup(handle):
                for fields in btree.IndexCursor(self.pager(), root, compare).seek(handle):
                    if compare(fields[:nkey], handle) == 0:
                        return decode(fields[:nkey], fields)
                    return None
                return None
            return lookup

        def lookup(rowid):
            payload = btree.TableCursor(self.pager(), root).lookup(rowid)
            return None if payload is None else decode(rowid, decode_record(payload))
        return lookup

    def entry_row(self):
        """A WITHOUT ROWID table's b-tree entry -> working row."""
        decode = self.decoder()
        nkey = self.nkey
        return lambda fields: decode(fields[:nkey], fields)

    def count(self) -> int:
        if self.without_rowid:
            return btree.IndexCursor(self.pager(), self.table.root, self.key.compare).count()
        return btree.TableCursor(self.pager(), self.table.root).count()

    # -- writing ------------------------------------------------------------

    def handle_of(self, row) -> tuple:
        """A WITHOUT ROWID working row's handle: its PRIMARY KEY values."""
        return tuple(row[i + 1] for i in self.stored[:self.nkey])

    def fields(self, values) -> list:
        """The stored fields of a row given as its column values."""
        vals = list(values)
        if self.table.rowid_alias is not None:
            vals[self.table.rowid_alias] = None
        for i in self.reals:
            vals[i] = store_real(vals[i])
        if self.in_order:
            return vals
        return [vals[i] for i in self.stored]

    def write(self, handle, values) -> None:
        """Store a row (its column values), replacing the one with the same
        handle.  A WITHOUT ROWID row's handle comes from its values."""
        fields = self.fields(values)
        if not self.without_rowid:
            btree.TableCursor(self.pager(), self.table.root).insert(handle, encode_record(fields))
            return
        cur = btree.IndexCursor(self.pager(), self.table.root, self.key.compare)
        if not cur.insert(fields):
            cur.delete(fields[:self.nkey])
            cur.insert(fields)

    def delete(self, handle) -> None:
        if self.without_rowid:
            btree.IndexCursor(self.pager(), self.table.root, self.key.compare).delete(handle)
        else:
            btree.TableCursor(self.pager(), self.table.root).delete(handle)

    def max_rowid(self) -> int | None:
        return btree.TableCursor(self.pager(), self.table.root).max_rowid()

    def drop_column(self, column: int) -> None:
        """Rewrite every row without a stored column, as sqlite3's ALTER
        TABLE DROP COLUMN does: each record is made again from the row as
        read (DEFAULTs of short records filled in, REAL values as reals)."""
        stored = [i for i in self.stored if i != column]
        alias = self.table.rowid_alias
        pager = self.pager()
        root = self.table.root
        rows = list(self.reader()())
        if self.without_rowid:
            cur = btree.IndexCursor(pager, root, self.key.compare)
        else:
            cur = btree.TableCursor(pager, root)
        for row in rows:
            fields = [None if i == alias else row[i + 1] for i in stored]
            if self.without_rowid:
                cur.delete(row[0])
                cur.insert(tuple(fields))
            else:
                cur.insert(row[0], encode_record(fields))

    def position(self, column: int) -> int | None:
        """Where a column sits in the record, None when it is not stored."""
        return self.stored.index(column) if column in self.stored else None
