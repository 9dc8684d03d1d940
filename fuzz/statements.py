"""Schema and change statements (lang_createtable.html, lang_createindex.html,
lang_createview.html, lang_createtrigger.html, lang_insert.html,
lang_upsert.html, lang_update.html, lang_delete.html, lang_returning.html,
lang_altertable.html, lang_dropindex.html ...), each drawn against the schema
model and updating it.

Changes whose effect would depend on the order in which SQLite visits rows
are not generated: UPDATE takes no OR IGNORE/REPLACE/FAIL (which row keeps a
conflicting value would depend on the scan order), UPDATE ... FROM joins on
the other table's rowid (one matching row at most), INSERT ... SELECT and
LIMIT on UPDATE/DELETE order by identities, triggers write only to tables
created after their own (no cycles).
"""

from __future__ import annotations

from .context import Gen, Scope, chance, coin, integer, pick
from .expressions import expr, predicate
from .model import Column, Index, Table, Trigger, View
from .values import ANY, value_for

_DECLARED = ("INTEGER", "TEXT", "", "REAL", "NUMERIC", "BLOB", "INT", "VARCHAR(10)", "DOUBLE",
             "BOOLEAN", "DATE", "FLOATING POINT", "STRING", "CHARINT", "DECIMAL(5,2)", "BIGINT",
             "NVARCHAR(2)", "CLOB", "ANY", "INTEGER")
_STRICT_TYPES = ("INTEGER", "TEXT", "INT", "REAL", "BLOB", "ANY")
_COLLATIONS = ("NOCASE", "RTRIM", "BINARY", "NOCASE")
_DEFAULTS = ("0", "NULL", "'x'", "1", "-1", "1.5", "''", "(1 + 1)", "'a'", "x'00'",
             "9223372036854775807", "(-1)", "'1'", "TRUE", "FALSE")
_STRICT_DEFAULTS = {"INT": ("0", "NULL", "1", "-1", "(1 + 1)"), "INTEGER": ("0", "NULL", "7", "TRUE"),
                    "REAL": ("0.5", "NULL", "1", "-1.5"), "TEXT": ("'x'", "NULL", "''", "'a'"),
                    "BLOB": ("x'00'", "NULL"), "ANY": _DEFAULTS}


def _default(draw, col: Column, pool=_DEFAULTS) -> str:
    if col.strict_type is not None:
        return pick(draw, _STRICT_DEFAULTS[col.strict_type])
    return pick(draw, pool)


# ---------------------------------------------------------------- CREATE TABLE

def create_table(draw, g: Gen) -> str:
    name = g.schema.fresh("t")
    strict = g.on("strict") and chance(draw, 10)
    without_rowid = g.on("without_rowid") and chance(draw, 15)
    n = integer(draw, 1, 5)
    columns: list[Column] = []
    defs: list[str] = []
    pk_kind = pick(draw, ("none", "rowid", "column", "composite", "rowid"))
    if without_rowid and pk_kind == "none":
        pk_kind = "column"
    if pk_kind == "composite" and n < 2:
        pk_kind = "column"
    table = Table(name=name, columns=columns, without_rowid=without_rowid, strict=strict)
    for i in range(n):
        col = Column(name=f"c{i}")
        if strict:
            col.declared = col.strict_type = pick(draw, _STRICT_TYPES)
        else:
            col.declared = pick(draw, _DECLARED)
        parts = [col.name] + ([col.declared] if col.declared else [])
        if i == 0 and pk_kind == "rowid":
            col.declared = "INTEGER"
            if strict:
                col.strict_type = "INTEGER"
            parts = [col.name, "INTEGER PRIMARY KEY"]
            if pick(draw, ("", " DESC", " ASC")) == " DESC":
                parts[-1] = "INTEGER PRIMARY KEY DESC"   # not a rowid alias (a quirk of SQLite)
            elif not without_rowid:
                table.rowid_alias = col.name
            col.not_null = without_rowid
            table.primary_key = (col.name,)
            if not without_rowid and g.on("autoincrement") and chance(draw, 20) and table.rowid_alias:
                parts[-1] += " AUTOINCREMENT"
                table.autoincrement = True
        elif i == 0 and pk_kind == "column":
            parts.append("PRIMARY KEY")
            table.primary_key = (col.name,)
            col.not_null = without_rowid
            if col.declared.upper() == "INTEGER" and not without_rowid:
                table.rowid_alias = col.name      # the same as the "rowid" kind
        if g.on("collations") and chance(draw, 25):
            col.collation = pick(draw, _COLLATIONS)
            parts.append(f"COLLATE {col.collation}")
        if chance(draw, 12):
            col.not_null = True
            parts.append("NOT NULL")
        if i > 0 and chance(draw, 10):
            col.unique = True
            parts.append("UNIQUE")
            table.uniques.append((col.name,))
        if g.on("defaults") and chance(draw, 20):
            col.default = _default(draw, col)
            parts.append(f"DEFAULT {col.default}")
        elif i > 0 and not col.unique and g.on("generated_columns") and chance(draw, 10) \
                and not (pk_kind == "composite" and i < 2):
            sources = [c.name for c in columns if c.generated is None]
            g.in_schema = True
            try:
                col.generated = expr(draw, g, Scope(refs=tuple(sources)), 1)
            finally:
                g.in_schema = False
            kind = pick(draw, ("VIRTUAL", "STORED", ""))
            parts.append(f"AS ({col.generated}) {kind}".rstrip())
        if g.on("check_constraints") and chance(draw, 5):
            parts.append(f"CHECK ({col.name} IS NULL OR length({col.name}) < 40)")
        columns.append(col)
        defs.append(" ".join(parts))
    if pk_kind == "composite":
        a, b = columns[0].name, columns[1].name
        defs.append(f"PRIMARY KEY ({a}, {b})")
        table.primary_key = (a, b)
        if without_rowid:
            columns[0].not_null = columns[1].not_null = True
    if table.primary_key:
        table.uniques.insert(0, table.primary_key)
    if n >= 2 and chance(draw, 10):
        a, b = columns[-1].name, columns[0].name
        if columns[-1].generated is None:
            defs.append(f"UNIQUE ({a}, {b})")
            table.uniques.append((a, b))
    if g.on("check_constraints") and chance(draw, 8):
        g.in_schema = True
        try:
            check = predicate(draw, g, Scope(refs=tuple(table.names)), 1)
        finally:
            g.in_schema = False
        defs.append(f"CHECK ({check})" if chance(draw, 20) else f"CHECK ({check} OR 1)")
        table.mentioned.update(table.names)
    if g.on("foreign_keys") and chance(draw, 15):
        parents = [t for t in g.schema.tables if len(t.primary_key) == 1]
        child = [c for c in columns if c.generated is None and c.name not in table.primary_key]
        if parents and child:
            parent = pick(draw, tuple(parents))
            col = pick(draw, tuple(child))
            action = pick(draw, ("", " ON DELETE CASCADE", " ON UPDATE CASCADE", " ON DELETE SET NULL",
                                 " DEFERRABLE INITIALLY DEFERRED", " ON DELETE RESTRICT"))
            defs.append(f"FOREIGN KEY ({col.name}) REFERENCES {parent.name}({parent.primary_key[0]}){action}")
            table.parents.append(parent.name)
            table.mentioned.add(col.name)
    options = []
    if without_rowid:
        options.append("WITHOUT ROWID")
    if strict:
        options.append("STRICT")
    g.schema.tables.append(table)
    return f"CREATE TABLE {name}({', '.join(defs)}){' ' + ', '.join(options) if options else ''}"


def create_log_table(draw, g: Gen) -> str:
    """A plain table for triggers to write to."""
    name = g.schema.fresh("t")
    columns = [Column(name="c0", declared="INTEGER"), Column(name="c1")]
    g.schema.tables.append(Table(name=name, columns=columns))
    return f"CREATE TABLE {name}(c0 INTEGER, c1)"


def create_table_as(draw, g: Gen) -> str:
    from .queries import select_core
    g.subquery_budget -= 1
    try:
        body = select_core(draw, g, None, named=True, allow_window=False)
    finally:
        g.subquery_budget += 1
    name = g.schema.fresh("t")
    g.schema.tables.append(Table(name=name, columns=[Column(name=f"x{i}") for i in range(body.width)]))
    return f"CREATE TABLE {name} AS {body.sql}"


# ---------------------------------------------------------------- indexes, views, triggers

def create_index(draw, g: Gen) -> str:
    table = pick(draw, tuple(g.schema.tables))
    name = g.schema.fresh("i")
    unique = g.on("unique_indexes") and chance(draw, 25)
    terms = []
    plain: list[str] = []
    columns = tuple(c.name for c in table.columns)
    for _ in range(integer(draw, 1, 2)):
        if g.on("expression_indexes") and chance(draw, 20):
            g.in_schema = True
            try:
                terms.append(_index_expression(draw, g, columns))
            finally:
                g.in_schema = False
        else:
            col = pick(draw, columns)
            plain.append(col)
            suffix = ""
            if g.on("collations") and chance(draw, 15):
                suffix += " COLLATE " + pick(draw, _COLLATIONS)
            if chance(draw, 20):
                suffix += " DESC"
            terms.append(col + suffix)
    where = ""
    if g.on("partial_indexes") and chance(draw, 20):
        g.in_schema = True
        try:
            where = " WHERE " + predicate(draw, g, Scope(refs=columns), 1)
        finally:
            g.in_schema = False
    sql = f"CREATE {'UNIQUE ' if unique else ''}INDEX {name} ON {table.name}({', '.join(terms)}){where}"
    plain_only = len(plain) == len(terms) and all(" COLLATE" not in t for t in terms)
    g.schema.indexes.append(Index(name=name, table=table.name, sql=sql, unique=unique,
                                  columns=tuple(plain) if plain_only else (), partial=bool(where)))
    if unique and plain_only and not where:
        table.uniques.append(tuple(plain))
    return sql


_INDEX_TEMPLATES = ("({c} + {e})", "lower({c})", "abs({c})", "({c} || {e})", "length({c})",
                    "({c} * {e})", "coalesce({c}, {e})", "substr({c}, 2)", "({c} COLLATE NOCASE)",
                    "({c} > {e})", "typeof({c})", "json_extract({c}, '$.a')")


def _index_expression(draw, g: Gen, columns) -> str:
    """An expression that reads a column (a bare literal would be taken
    for a column name, as SQLite reads ``CREATE INDEX i ON t('x')``)."""
    template = pick(draw, _INDEX_TEMPLATES if g.on("json") else _INDEX_TEMPLATES[:-1])
    e = expr(draw, g, Scope(refs=columns), 1) if "{e}" in template else ""
    return template.format(c=pick(draw, columns), e=e)


def create_view(draw, g: Gen) -> str:
    from .queries import select_core
    name = g.schema.fresh("v")
    width = integer(draw, 1, 3)
    named = not chance(draw, 40)
    g.subquery_budget -= 1
    try:
        body = select_core(draw, g, None, width=width, named=named)
    finally:
        g.subquery_budget += 1
    columns = [f"x{i}" for i in range(width)]
    if named:
        sql = f"CREATE VIEW {name} AS {body.sql}"
    else:
        sql = f"CREATE VIEW {name}({', '.join(columns)}) AS {body.sql}"
    g.schema.views.append(View(name=name, columns=columns, sql=sql))
    return sql


def create_trigger(draw, g: Gen) -> str | None:
    tables = g.schema.tables
    on_view = g.schema.views and chance(draw, 20)
    name = g.schema.fresh("tr")
    events = ("INSERT", "UPDATE", "DELETE", "UPDATE OF")
    if on_view:
        view = pick(draw, tuple(g.schema.views))
        targets = tables
        subject_columns = tuple(view.columns)
        subject = view.name
        timing = "INSTEAD OF"
        events = events[:3]
    else:
        subject_table = pick(draw, tuple(tables))
        # Any other table: a trigger cannot fire itself again while it runs
        # (recursive_triggers aside), so cycles stay bounded; not its own
        # table, which BEFORE triggers may not change (lang_createtrigger.html).
        targets = [t for t in tables if t is not subject_table and t.writable]
        subject_columns = tuple(subject_table.names)
        subject = subject_table.name
        timing = pick(draw, ("AFTER", "BEFORE", "AFTER"))
    if not targets:
        return None
    event = pick(draw, events)
    kind = event.split()[0]
    refs: tuple[str, ...] = ()
    if event != "DELETE":
        refs += tuple(f"NEW.{c}" for c in subject_columns)
    if event != "INSERT":
        refs += tuple(f"OLD.{c}" for c in subject_columns)
    if event == "UPDATE OF":
        event = f"UPDATE OF {pick(draw, subject_columns)}"
    scope = Scope(refs=refs)
    g.in_trigger = True
    try:
        when = f" WHEN {predicate(draw, g, scope, 1)}" if chance(draw, 30) else ""
        body = []
        for _ in range(integer(draw, 1, 2)):
            target = pick(draw, tuple(targets))
            body.append(_trigger_step(draw, g, target, scope))
    finally:
        g.in_trigger = False
    each = " FOR EACH ROW" if coin(draw) else ""
    sql = (f"CREATE TRIGGER {name} {timing} {event} ON {subject}{each}{when} BEGIN "
           + " ".join(s + ";" for s in body) + " END")
    g.schema.triggers.append(Trigger(name=name, table=subject, sql=sql, event=kind))
    return sql


def _trigger_step(draw, g: Gen, target: Table, scope: Scope) -> str:
    kind = pick(draw, ("insert", "update", "delete", "raise"))
    own = Scope(refs=tuple(target.names), outer=scope)
    if kind == "update" and target.writable:
        col = pick(draw, tuple(c.name for c in target.writable))
        return f"UPDATE {target.name} SET {col} = {expr(draw, g, own, 1)} WHERE {predicate(draw, g, own, 1)}"
    if kind == "delete":
        return f"DELETE FROM {target.name} WHERE {predicate(draw, g, own, 1)}"
    if kind == "raise":
        action = pick(draw, ("IGNORE", "ABORT, 'stop'", "FAIL, 'fail'"))
        return f"SELECT RAISE({action}) WHERE {predicate(draw, g, scope, 1)}"
    cols = [c for c in target.writable]
    values = ", ".join(expr(draw, g, scope, 1) if chance(draw, 60) else value_for(draw, c) for c in cols)
    conflict = pick(draw, ("", "OR IGNORE ", "OR REPLACE "))
    return f"INSERT {conflict}INTO {target.name}({', '.join(c.name for c in cols)}) VALUES ({values})"


# ---------------------------------------------------------------- INSERT

_CONFLICTS = ("OR IGNORE ", "OR REPLACE ", "OR ABORT ", "OR FAIL ", "OR ROLLBACK ")


def insert(draw, g: Gen, in_transaction: bool, table: Table | None = None) -> str:
    if table is None:
        table = pick(draw, tuple(g.schema.tables))
    conflict = ""
    keyed = len(table.uniques) > (0 if table.rowid_alias is None else 1)
    if g.on("conflict_clauses") and chance(draw, 60 if keyed else 20):
        options = _CONFLICTS[:4] if in_transaction else _CONFLICTS
        conflict = pick(draw, options)
    verb = "INSERT "
    if conflict == "OR REPLACE " and chance(draw, 30):
        verb, conflict = "REPLACE ", ""
    writable = table.writable
    required = [c for c in writable if c.needs_value]
    form = pick(draw, ("values", "values", "values", "select", "default"))
    if form == "default" and not required:
        return f"{verb}{conflict}INTO {table.name} DEFAULT VALUES{_returning(draw, g, table)}"
    if chance(draw, 50):
        columns = writable
        column_list = ""
    else:
        columns = [c for c in writable if c.needs_value or chance(draw, 60)] or writable[:1]
        column_list = "(" + ", ".join(c.name for c in columns) + ")"
    if form == "select" and len(g.schema.tables) > 0 and g.on("subqueries"):
        source = pick(draw, tuple(g.schema.tables))
        alias = g.alias()
        scope = Scope(refs=tuple(f"{alias}.{c}" for c in source.names))
        items = ", ".join(expr(draw, g, scope, 1) for _ in columns)
        where = f" WHERE {predicate(draw, g, scope, 1)}" if chance(draw, 50) else ""
        order = ", ".join(f"{alias}.{c}" for c in source.identity)
        body = f" SELECT {items} FROM {source.name} AS {alias}{where} ORDER BY {order}"
        return f"{verb}{conflict}INTO {table.name}{column_list}{body}{_returning(draw, g, table)}"
    rows = []
    keyed = {c for u in table.uniques for c in u}
    base = integer(draw, 0, 40) if chance(draw, 70) else None
    for r in range(integer(draw, 1, 4)):
        rows.append("(" + ", ".join(
            str(base * 10 + r + 1) if base is not None and c.name in keyed and c.strict_type != "TEXT"
            and c.strict_type != "BLOB" else _value(draw, g, table, c) for c in columns) + ")")
    sql = f"{verb}{conflict}INTO {table.name}{column_list} VALUES {', '.join(rows)}"
    if g.on("upsert") and verb == "INSERT " and not conflict and table.uniques and chance(draw, 25):
        sql += _upsert(draw, g, table)
    return sql + _returning(draw, g, table)


# Not 9223372036854775807: once the largest rowid is taken, SQLite picks
# new rowids at random (lang_createtable.html, "ROWIDs and the INTEGER
# PRIMARY KEY").
_ROWID_VALUES = ("NULL", "NULL", "1", "2", "3", "NULL", "-1", "10", "4294967296", "0", "'4'",
                 "2.0", "-9223372036854775808")


def _value(draw, g: Gen, table: Table, column: Column) -> str:
    if column.name == table.rowid_alias:
        return pick(draw, _ROWID_VALUES)
    if chance(draw, 8):
        return expr(draw, g, Scope(), 1)
    return value_for(draw, column)


def _upsert(draw, g: Gen, table: Table) -> str:
    if chance(draw, 15):
        return " ON CONFLICT DO NOTHING"
    target = pick(draw, tuple(table.uniques))
    head = f" ON CONFLICT ({', '.join(target)})"
    if chance(draw, 30):
        return head + " DO NOTHING"
    writable = [c.name for c in table.writable]
    col = pick(draw, tuple(writable))
    scope = Scope(refs=tuple(f"excluded.{c}" for c in table.names) + tuple(table.names))
    sets = f"{col} = {expr(draw, g, scope, 1)}"
    where = f" WHERE {predicate(draw, g, scope, 1)}" if chance(draw, 30) else ""
    return f"{head} DO UPDATE SET {sets}{where}"


def _returning(draw, g: Gen, table: Table) -> str:
    if not g.on("returning") or not chance(draw, 15):
        return ""
    if chance(draw, 40):
        return " RETURNING *"
    scope = Scope(refs=tuple(table.names))
    g.subquery_budget, saved = 0, g.subquery_budget
    try:
        items = ", ".join(expr(draw, g, scope, 1) for _ in range(integer(draw, 1, 2)))
    finally:
        g.subquery_budget = saved
    return f" RETURNING {items}"


# ---------------------------------------------------------------- UPDATE, DELETE

def update(draw, g: Gen, in_transaction: bool) -> str:
    table = pick(draw, tuple(g.schema.tables))
    if not table.writable:
        return delete(draw, g)
    refs = tuple(f"{table.name}.{c}" for c in table.names)
    frm = ""
    if g.on("update_from") and chance(draw, 15):
        others = [t for t in g.schema.tables if not t.without_rowid]
        if others and table.names:
            other = pick(draw, tuple(others))
            alias = g.alias()
            refs += tuple(f"{alias}.{c}" for c in other.names)
            key = pick(draw, tuple(f"{table.name}.{c}" for c in table.names))
            frm = f" FROM {other.name} AS {alias}"
            frm_where = f"{alias}.rowid = {key}"
        else:
            frm_where = ""
    scope = Scope(refs=refs)
    conflict = pick(draw, ("OR ABORT ", "OR ROLLBACK ")) if g.on("conflict_clauses") and \
        not in_transaction and chance(draw, 5) else ""
    n = integer(draw, 1, 2)
    keyed = {c for u in table.uniques for c in u} | {c for i in g.schema.indexes
                                                     if i.table == table.name and i.unique for c in i.columns}
    free = tuple(c.name for c in table.writable if c.name not in keyed and not c.unique)
    every = tuple(c.name for c in table.writable)
    targets = []
    for _ in range(n):
        col = pick(draw, free) if free and chance(draw, 85) else pick(draw, every)
        if col not in targets:
            targets.append(col)
    if len(targets) == 2 and chance(draw, 25):
        sets = f"({targets[0]}, {targets[1]}) = ({expr(draw, g, scope, 2)}, {expr(draw, g, scope, 2)})"
    else:
        sets = ", ".join(f"{c} = {expr(draw, g, scope, 2)}" for c in targets)
    conditions = []
    if frm and frm_where:
        conditions.append(frm_where)
    if chance(draw, 75):
        conditions.append(predicate(draw, g, scope, 2))
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    limit = ""
    if not frm and g.on("limit") and chance(draw, 8):
        order = ", ".join(f"{table.name}.{c}" for c in table.identity)
        limit = f" ORDER BY {order}{pick(draw, ('', ' DESC'))} LIMIT {pick(draw, ('1', '2', '0'))}"
    # RETURNING comes before ORDER BY/LIMIT in SQLite's grammar.
    return f"UPDATE {conflict}{table.name} SET {sets}{frm}{where}{_returning(draw, g, table)}{limit}"


def delete(draw, g: Gen) -> str:
    table = pick(draw, tuple(g.schema.tables))
    scope = Scope(refs=tuple(f"{table.name}.{c}" for c in table.names))
    where = f" WHERE {predicate(draw, g, scope, 2)}" if chance(draw, 85) else ""
    limit = ""
    if g.on("limit") and chance(draw, 8):
        order = ", ".join(f"{table.name}.{c}" for c in table.identity)
        limit = f" ORDER BY {order} LIMIT {pick(draw, ('1', '2'))}"
    return f"DELETE FROM {table.name}{where}{_returning(draw, g, table)}{limit}"


def view_change(draw, g: Gen) -> str | None:
    """INSERT/UPDATE/DELETE on a view that has an INSTEAD OF trigger."""
    views = {v.name: v for v in g.schema.views}
    candidates = [t for t in g.schema.triggers if t.table in views]
    if not candidates:
        return None
    trigger = pick(draw, tuple(candidates))
    view = views[trigger.table]
    scope = Scope(refs=tuple(view.columns))
    if trigger.event == "INSERT":
        values = ", ".join(pick(draw, ANY) for _ in view.columns)
        return f"INSERT INTO {view.name} VALUES ({values})"
    if trigger.event == "DELETE":
        return f"DELETE FROM {view.name} WHERE {predicate(draw, g, scope, 1)}"
    col = pick(draw, tuple(view.columns))
    return f"UPDATE {view.name} SET {col} = {expr(draw, g, scope, 1)} WHERE {predicate(draw, g, scope, 1)}"


# ---------------------------------------------------------------- ALTER, DROP

def alter(draw, g: Gen) -> str | None:
    table = pick(draw, tuple(g.schema.tables))
    kind = pick(draw, ("add", "rename_column", "rename", "drop_column"))
    if kind == "rename":
        new = g.schema.fresh("t")
        old = table.name
        g.schema.rename_table(old, new)
        return f"ALTER TABLE {old} RENAME TO {new}"
    if kind == "rename_column":
        col = pick(draw, tuple(table.names))
        new = g.schema.fresh("c")
        g.schema.rename_column(table.name, col, new)
        return f"ALTER TABLE {table.name} RENAME COLUMN {col} TO {new}"
    if kind == "drop_column":
        pinned = g.schema.pinned_columns()
        keyed = {c for u in table.uniques for c in u}
        candidates = [c for c in table.columns if c.name not in pinned and c.name not in keyed
                      and not c.unique and c.name != table.rowid_alias]
        if candidates and len(table.columns) > 1:
            col = pick(draw, tuple(candidates))
            table.columns.remove(col)
            return f"ALTER TABLE {table.name} DROP COLUMN {col.name}"
    name = g.schema.fresh("c")
    col = Column(name=name)
    if table.strict:
        col.declared = col.strict_type = pick(draw, _STRICT_TYPES)
    else:
        col.declared = pick(draw, _DECLARED)
    parts = [name] + ([col.declared] if col.declared else [])
    if g.on("defaults") and chance(draw, 50):
        col.default = _default(draw, col, _DEFAULTS[:7])
        parts.append(f"DEFAULT {col.default}")
        if col.default != "NULL" and chance(draw, 25):
            col.not_null = True
            parts.append("NOT NULL")
    if g.on("collations") and chance(draw, 20):
        col.collation = pick(draw, _COLLATIONS)
        parts.append(f"COLLATE {col.collation}")
    table.columns.append(col)
    return f"ALTER TABLE {table.name} ADD COLUMN {' '.join(parts)}"


def drop(draw, g: Gen) -> str | None:
    kind = pick(draw, ("index", "view", "trigger", "table"))
    s = g.schema
    if kind == "index" and s.indexes:
        index = pick(draw, tuple(s.indexes))
        s.indexes.remove(index)
        t = s.table(index.table)
        if index.unique and index.columns in t.uniques and not index.partial:
            t.uniques.remove(index.columns)
        return f"DROP INDEX {index.name}"
    if kind == "view" and s.views:
        view = pick(draw, tuple(s.views))
        if any(view.name in o.sql for o in (*s.views, *s.triggers) if o is not view):
            return None
        s.views.remove(view)
        s.triggers = [t for t in s.triggers if t.table != view.name]
        return f"DROP VIEW {view.name}"
    if kind == "trigger" and s.triggers:
        trigger = pick(draw, tuple(s.triggers))
        s.triggers.remove(trigger)
        return f"DROP TRIGGER {trigger.name}"
    if kind == "table" and len(s.tables) > 1:
        table = pick(draw, tuple(s.tables))
        if any(table.name in o.sql for o in (*s.views, *s.triggers) if getattr(o, "table", None) != table.name) \
                or any(table.name in t.parents for t in s.tables):
            return None
        s.drop_table(table.name)
        return f"DROP TABLE {table.name}"
    return None
