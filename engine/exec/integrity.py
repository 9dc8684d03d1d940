"""PRAGMA integrity_check and quick_check (pragma.html#pragma_integrity_check):
the page-level checks of engine/storage/integrity.py, then the checks that
need the schema, as sqlite3 3.40 words and orders them.

For each table (the most recently created first, as sqlite3's schema hash
lists them), row by row, with ``N`` the row's position in the table:

* each column in order: ``NULL value in T.C`` for a NOT NULL column holding
  NULL (generated columns computed), ``non-TYPE value in T.C`` for a STRICT
  column holding another type;
* ``CHECK constraint failed in T`` once when any CHECK is false;
* integrity_check only, each index (newest first) that holds the row:
  ``row N missing from index I`` when its entry is missing, else
  ``non-unique entry in index I`` when a UNIQUE index's next entry has the
  same values (none NULL);

then, integrity_check only, ``wrong # of entries in index I`` for each index
whose entry count differs from the number of rows it should hold.

``PRAGMA integrity_check(N)`` stops after N messages (100 by default, and
for N <= 0); ``PRAGMA integrity_check(T)`` checks table T and its indexes
only (the pages of other trees and the freelist are then not accounted).
"""

from __future__ import annotations

from ..errors import CorruptError, SQLError
from ..storage import btree
from ..storage.integrity import MAX_ERRORS, check_integrity
from .expr import Runtime
from .values import truth, typeof



class _Full(Exception):
    pass


def integrity_check(db, arg, quick: bool) -> list[str]:
    limit = MAX_ERRORS
    only = None
    if isinstance(arg, (int, float)) and not isinstance(arg, bool):
        limit = int(arg) if int(arg) > 0 else MAX_ERRORS
    elif isinstance(arg, str):
        try:
            n = int(arg)
        except ValueError:
            only = arg
        else:
            limit = n if n > 0 else MAX_ERRORS
    tables = list(db.catalogs["main"]["tables"].values())
    if only is not None:
        tables = [t for t in tables if t.name.lower() == only.lower()]
        if not tables:
            raise SQLError(f"no such table: {only}")
    roots = []
    for t in tables:
        roots.append(t.root)
        roots.extend(i.root for i in t.indexes)
    if only is None:
        roots.extend(i.root for i in db.catalogs["main"]["indexes"].values())
    messages = check_integrity(db.pager, roots, max_errors=limit, partial=only is not None)
    if len(messages) >= limit:
        return messages[:limit]
    out = list(messages)

    def report(msg: str) -> None:
        out.append(msg)
        if len(out) >= limit:
            raise _Full

    try:
        for table in reversed(tables):
            _check_table(db, table, quick, report)
    except _Full:
        pass
    except CorruptError:
        if not messages:
            raise      # a record the page checks could not see: sqlite3 fails the pragma too
    return out


def _check_table(db, table, quick: bool, report) -> None:
    from . import index as index_ops
    from .rowwriter import STRICT_TYPES, RowWriter
    name = table.name
    columns = table.columns
    checks = RowWriter.get(db, table, Runtime(db), None).checks if table.checks else []
    strict = {}
    if table.strict:
        for i, c in enumerate(columns):
            want = STRICT_TYPES.get((c.declared_type or "").upper())
            if want is not None and i != table.rowid_alias:
                strict[i] = ((c.declared_type or "").upper(), want)
    indexes = [] if quick else [(idx, index_ops.IndexKeys(db, table, idx)) for idx in reversed(table.indexes)]
    held = [0] * len(indexes)
    n = 0
    for row in db.table_reader(table)():
        n += 1
        for i, c in enumerate(columns):
            v = row[i + 1]
            if v is None:
                if c.not_null and i != table.rowid_alias:
                    report(f"NULL value in {name}.{c.name}")
            elif i in strict:
                shown, want = strict[i]
                got = typeof(v)
                if got != want and not (want == "real" and got == "integer"):
                    report(f"non-{shown} value in {name}.{c.name}")
        if checks and any(truth(fn(row)) is False for _name, fn, _text in checks):
            report(f"CHECK constraint failed in {name}")
        for k, (idx, keys) in enumerate(indexes):
            if not keys.applies(row):
                continue
            held[k] += 1
            _check_entry(db, idx, keys, keys.key(row), n, report)
    for k, (idx, keys) in enumerate(indexes):
        if btree.IndexCursor(db.pager_for(idx), idx.root, keys.compare).count() != held[k]:
            report(f"wrong # of entries in index {idx.name}")


def _check_entry(db, idx, keys, key, n: int, report) -> None:
    compare = keys.compare
    entries = btree.IndexCursor(db.pager_for(idx), idx.root, compare).seek(key)
    found = next(entries, None)
    if found is None or compare(found, key) != 0:
        report(f"row {n} missing from index {idx.name}")
        return
    width = len(idx.columns)
    if idx.unique and all(v is not None for v in key[:width]):
        after = next(entries, None)
        if after is not None and compare(after[:width], key[:width]) == 0:
            report(f"non-unique entry in index {idx.name}")
