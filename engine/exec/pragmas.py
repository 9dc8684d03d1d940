"""PRAGMA statements and their table-valued forms (pragma.html): schema
introspection (table_info, table_xinfo, index_list, index_info,
index_xinfo, foreign_key_list, foreign_key_check), settings kept by the
connection (foreign_keys, recursive_triggers, case_sensitive_like, ...),
header fields (user_version, application_id, schema_version, page_size,
page_count, freelist_count, encoding) and integrity_check.

``run(db, name, arg)`` gives ``(column names, rows)``; ``COLUMNS`` lists the
result columns of each pragma that has a table-valued form ``pragma_NAME``.
"""

from __future__ import annotations

from ..errors import SQLError
from ..sql import ast

COLUMNS = {
    "table_info": ["cid", "name", "type", "notnull", "dflt_value", "pk"],
    "table_xinfo": ["cid", "name", "type", "notnull", "dflt_value", "pk", "hidden"],
    "index_list": ["seq", "name", "unique", "origin", "partial"],
    "index_info": ["seqno", "cid", "name"],
    "index_xinfo": ["seqno", "cid", "name", "desc", "coll", "key"],
    "foreign_key_list": ["id", "seq", "table", "from", "to", "on_update", "on_delete", "match"],
    "foreign_key_check": ["table", "rowid", "parent", "fkid"],
}

# Settings a connection keeps; the value is the default.
SETTINGS = {
    "foreign_keys": 0,
    "recursive_triggers": 0,
    "case_sensitive_like": 0,
    "defer_foreign_keys": 0,
    "count_changes": 0,
    "automatic_index": 1,
    "synchronous": 2,
    "cache_size": -2000,
    "busy_timeout": 0,
    "temp_store": 0,
    "cell_size_check": 0,
    "reverse_unordered_selects": 0,
}
WRITE_ONLY = {"case_sensitive_like"}


def literal_value(e):
    """The value of a pragma argument: a literal, a signed number or a bare word."""
    if e is None:
        return None
    if isinstance(e, ast.Literal):
        return e.value
    if isinstance(e, ast.Unary) and isinstance(e.operand, ast.Literal) and isinstance(e.operand.value, (int, float)):
        return -e.operand.value if e.op == "-" else e.operand.value
    if isinstance(e, ast.Column):
        return e.name
    raise SQLError("syntax error")


def _flag(value) -> int:
    if isinstance(value, str):
        v = value.lower()
        if v in ("on", "yes", "true", "full"):
            return 1
        if v in ("off", "no", "false", "none"):
            return 0
        try:
            return int(v)
        except ValueError:
            return 0
    return 1 if value else 0


def run(db, name: str, arg) -> tuple[list | None, list]:
    name = name.lower()
    if name in COLUMNS:
        rows = _INTROSPECTION[name](db, arg) if arg is not None or name == "foreign_key_check" else []
        return COLUMNS[name], rows
    settings = db.__dict__.setdefault("settings", dict(SETTINGS))
    if name in _STORAGE_PRAGMAS:
        return _storage_pragma(db, name, arg, settings)
    if name in SETTINGS:
        if arg is None:
            if name in WRITE_ONLY:
                return None, []
            return [name], [(settings[name],)]
        if name == "case_sensitive_like":
            db.like_redefined = True    # like() is now non-deterministic (functions.first_nondeterministic)
        settings[name] = _flag(arg) if name not in ("cache_size", "busy_timeout", "synchronous", "temp_store") \
            else int(arg) if not isinstance(arg, str) or arg.lstrip("-").isdigit() else settings[name]
        return None, []
    pager = db.pager
    if name in ("user_version", "application_id"):
        if arg is None:
            return [name], [(getattr(pager, name),)]
        value = _header_int(arg)
        if not pager.in_write:
            pager.begin_write()         # a header field: committed with the statement
        setattr(pager, name, value)
        return None, []
    if name == "schema_version":
        return [name], [(pager.schema_cookie,)]
    if name == "page_size":
        if arg is not None:
            size = autovacuum_parse_int(arg)
            if size is not None:
                pager.page_size = size      # only a database without pages changes
            return None, []
        return [name], [(pager.page_size,)]
    if name == "page_count":
        return [name], [(pager.page_count,)]
    if name == "freelist_count":
        return [name], [(pager.freelist_count,)]
    if name == "encoding":
        return [name], [("UTF-8",)]
    if name in ("integrity_check", "quick_check"):
        from .integrity import integrity_check
        problems = integrity_check(db, arg, quick=name == "quick_check")
        return [name], [(p,) for p in problems] or [("ok",)]
    return None, []     # unknown pragmas are ignored, as SQLite does


def _table_info(db, arg, extended=False):
    table = db.lookup_table(str(arg))
    if table is None:
        view = db.views.get(str(arg).lower())
        if view is None:
            return []
        from ..plan.select import Planner
        from .expr import Runtime
        plan = db.view_plan(view, Planner(db, Runtime(db)))
        return [(i, c.name, c.declared_type or "", 0, None, 0) + ((0,) if extended else ())
                for i, c in enumerate(plan.columns)]
    pk_order = {}
    if table.rowid_alias is not None:
        pk_order[table.rowid_alias] = 1
    for k, i in enumerate(table.primary_key, 1):
        pk_order[i] = k
    rows = []
    for i, c in enumerate(table.columns):
        if c.generated is not None and not extended:
            continue
        hidden = (2 if not c.generated_stored else 3) if c.generated is not None else 0
        rows.append((len(rows) if not extended else i, c.name, c.declared_type or "", 1 if c.not_null else 0,
                     default_text(c), pk_order.get(i, 0)) + ((hidden,) if extended else ()))
    return rows


def default_text(column) -> str | None:
    """How PRAGMA table_info shows a column's DEFAULT: its source text."""
    if column.default is None:
        return None
    text = getattr(column, "default_text", None)
    if text:
        return text
    e = column.default
    if isinstance(e, ast.Literal):
        v = e.value
        if v is None:
            return "NULL"
        if isinstance(v, str):
            return "'" + v.replace("'", "''") + "'"
        return str(v)
    return None


def _index_list(db, arg):
    table = db.lookup_table(str(arg))
    if table is None:
        return []
    indexes = list(table.indexes)
    if table.without_rowid:
        # The PRIMARY KEY is the table's own b-tree, listed where sqlite3
        # created it among the automatic indexes.
        from .index import primary_key_index
        pk, position = primary_key_index(table)
        autos = sum(1 for i in indexes if i.sql is None)
        indexes.insert(min(position, autos), pk)
    rows = []
    for seq, idx in enumerate(reversed(indexes)):
        rows.append((seq, idx.name, 1 if idx.unique else 0, idx.origin, 1 if idx.where is not None else 0))
    return rows


def _index_columns(db, arg, extended):
    from .index import key_collations, primary_key_index
    idx = db.indexes.get(str(arg).lower())
    if idx is None:
        # The PRIMARY KEY of a WITHOUT ROWID table has no schema row.
        for t in db.tables.values():
            if t.without_rowid and primary_key_index(t)[0].name.lower() == str(arg).lower():
                idx = primary_key_index(t)[0]
                break
        else:
            return []
    table = db.lookup_table(idx.table)
    colls = key_collations(table, idx)
    rows = []
    for seq, ic in enumerate(idx.columns):
        e = ic.expr
        while isinstance(e, ast.Collate):
            e = e.expr
        if isinstance(e, ast.Column):
            cid = table.column_index(e.name)
            cname = table.columns[cid].name if cid is not None else e.name
        else:
            cid, cname = -2, None
        if extended:
            rows.append((seq, cid, cname, 1 if ic.desc else 0, colls[seq] or "BINARY", 1))
        else:
            rows.append((seq, cid, cname))
    if extended:
        if not table.without_rowid:
            rows.append((len(idx.columns), -1, None, 0, "BINARY", 0))
            return rows
        # A WITHOUT ROWID table's index ends with the PRIMARY KEY columns it
        # lacks; its PRIMARY KEY with the table's other columns.
        pk = primary_key_index(table)[0]
        used = {r[1] for r in rows}
        if idx is pk:
            extra = [(i, c.name, 0, "BINARY") for i, c in enumerate(table.columns)
                     if i not in used]
        else:
            # The key columns the index does not hold with the same collation.
            from .index import IndexKeys, _plain_column
            pk_colls = key_collations(table, pk)
            at = IndexKeys(db, table, idx).handle_at
            extra = []
            for k, ic in enumerate(pk.columns):
                if at[k] >= len(idx.columns):
                    i = _plain_column(table, ic)
                    extra.append((i, table.columns[i].name, 1 if ic.desc else 0, pk_colls[k] or "BINARY"))
        for cid, cname, desc, coll in extra:
            rows.append((len(rows), cid, cname, desc, coll, 0))
    return rows


def _foreign_key_list(db, arg):
    table = db.lookup_table(str(arg))
    if table is None:
        return []
    rows = []
    fks = list(reversed(table.foreign_keys))
    for fid, fk in enumerate(fks):
        clause = fk.clause
        actions = dict(clause.actions)
        to_cols = clause.columns or (None,) * len(fk.columns)
        for seq, (frm, to) in enumerate(zip(fk.columns, to_cols)):
            rows.append((fid, seq, clause.table, frm, to, actions.get("UPDATE", "NO ACTION"),
                         actions.get("DELETE", "NO ACTION"), "NONE"))
    return rows


def _foreign_key_check(db, arg):
    from .foreign_keys import violations
    return violations(db, str(arg) if arg is not None else None)


_INTROSPECTION = {
    "table_info": lambda db, a: _table_info(db, a),
    "table_xinfo": lambda db, a: _table_info(db, a, True),
    "index_list": _index_list,
    "index_info": lambda db, a: _index_columns(db, a, False),
    "index_xinfo": lambda db, a: _index_columns(db, a, True),
    "foreign_key_list": _foreign_key_list,
    "foreign_key_check": _foreign_key_check,
}


_STORAGE_PRAGMAS = ("journal_mode", "synchronous", "wal_checkpoint", "wal_autocheckpoint", "cache_size",
                    "auto_vacuum", "incremental_vacuum")
_SYNC_WORDS = {"off": 0, "no": 0, "false": 0, "normal": 1, "on": 1, "yes": 1, "true": 1,
               "full": 2, "extra": 3}


def _storage_pragma(db, name: str, arg, settings):
    """journal_mode, synchronous, wal_checkpoint, wal_autocheckpoint,
    cache_size, auto_vacuum and incremental_vacuum: the pager's settings
    (pragma.html)."""
    pager = db.pager
    if name in ("auto_vacuum", "incremental_vacuum"):
        return _vacuum_pragma(db, name, arg)
    if db.in_memory and pager.journal_mode not in ("memory", "off"):
        pager.journal_mode = "memory"
    if name == "journal_mode":
        if arg is not None:
            mode = str(arg).lower()
            if db.in_memory and mode not in ("memory", "off"):
                mode = pager.journal_mode
            pager.set_journal_mode(mode, in_transaction=db.explicit_txn)
        return [name], [(pager.journal_mode,)]
    if name == "synchronous":
        if arg is None:
            return [name], [(pager.synchronous,)]
        if isinstance(arg, str) and not arg.lstrip("-").isdigit():
            level = _SYNC_WORDS.get(arg.lower(), 1)
        else:
            level = int(arg)
        level = (level + 1) & 7 or 1
        pager.synchronous = level - 1
        return None, []
    if name == "wal_checkpoint":
        mode = str(arg).upper() if arg is not None else "PASSIVE"
        return ["busy", "log", "checkpointed"], [pager.checkpoint(mode)]
    if name == "wal_autocheckpoint":
        if arg is not None:
            pager.wal_autocheckpoint = max(0, int(arg)) if not isinstance(arg, str) or \
                arg.lstrip("-").isdigit() else pager.wal_autocheckpoint
        return [name], [(pager.wal_autocheckpoint,)]
    # cache_size: positive is pages, negative is KiB
    if arg is None:
        return [name], [(settings[name],)]
    if not isinstance(arg, str) or arg.lstrip("-").isdigit():
        settings[name] = int(arg)
        n = settings[name]
        pager.cache_size = max(10, n if n >= 0 else (-n * 1024) // max(pager.page_size, 512))
    return None, []


def _header_int(arg) -> int:
    """A header pragma's value as sqlite3 reads it: a leading 32-bit
    integer, else 0."""
    value = autovacuum_parse_int(arg)
    return value if value is not None else 0


def autovacuum_parse_int(arg):
    from ..storage.autovacuum import parse_page_limit
    return parse_page_limit(arg)


def _vacuum_pragma(db, name: str, arg):
    """auto_vacuum (read, or set: engine.storage.autovacuum.set_mode says
    when it takes effect) and incremental_vacuum(N)."""
    from ..storage import autovacuum
    pager = db.pager
    if name == "auto_vacuum":
        if arg is None:
            return [name], [(pager.auto_vacuum,)]
        mode = autovacuum.parse_mode(arg)
        if autovacuum.needs_write(pager, mode) and not pager.in_write:
            pager.begin_write()
        autovacuum.set_mode(pager, mode)
        return None, []
    if not pager.auto_vacuum or not pager.freelist_count:
        return None, []
    limit = autovacuum.parse_page_limit(arg)
    if not pager.in_write:
        pager.begin_write()
    autovacuum.incremental_vacuum(pager, limit if limit is not None and limit > 0 else 0)
    return None, []


def table_function(db, pragma_name: str):
    """(visible columns, hidden columns, fn(args) -> rows) for ``pragma_NAME``."""
    name = pragma_name.lower()
    cols = COLUMNS.get(name)
    if cols is None:
        if name in SETTINGS or name in ("user_version", "application_id", "schema_version", "page_size",
                                        "page_count", "freelist_count", "encoding", "journal_mode"):
            cols = [name]
        else:
            return None

    def rows(arg=None, schema=None):
        _cols, out = run(db, name, arg)
        return [tuple(r) + (arg, schema) for r in out]
    return cols, ["arg", "schema"], rows
