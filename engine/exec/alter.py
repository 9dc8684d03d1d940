"""ALTER TABLE (lang_altertable.html): RENAME TO, RENAME COLUMN, ADD COLUMN
and DROP COLUMN.

SQLite keeps each object's CREATE text in sqlite_schema and rewrites that
text on ALTER; so does this module: a rename rewrites exactly the tokens that
name the renamed table or column, found by resolving every object's names
(rename.py); an added column's definition is appended to the column list,
and a dropped column's definition is cut out (its values too, by rewriting
every row).
"""

from __future__ import annotations

from ..errors import SQLError
from ..schema import table_from_ast
from ..sql import ast
from ..sql.parser import parse
from ..sql.tokenizer import tokenize
from ..storage import btree
from ..storage.record import decode_record, encode_record
from .rename import Catalog, Resolver, Tab, edit, parse_with_spans


def _outcome():
    from ..database import Outcome
    return Outcome(None, iter(()))


def _fold(name: str) -> str:
    """SQLite compares identifiers with ASCII-only case folding."""
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in name)


def _schema_rows(db, table):
    """The sqlite_schema rows of the schema (main or TEMP) ``table`` is in."""
    cur = btree.TableCursor(db.pager_for(table), 1)
    return [(rowid, list(decode_record(payload))) for rowid, payload in cur.scan()]


def _save(db, table, rowid, rec) -> None:
    btree.TableCursor(db.pager_for(table), 1).insert(rowid, encode_record(tuple(rec)))


def alter(db, stmt: ast.AlterTable, rt):
    table = db.lookup_table(stmt.table, stmt.schema)
    if table is None:
        if stmt.table.lower() in db.views:
            raise SQLError("Cannot add a column to a view" if isinstance(stmt.action, ast.AddColumn)
                           else f"view {stmt.table} may not be altered")
        raise SQLError(f"no such table: {stmt.table}")
    if _fold(table.name).startswith("sqlite_"):
        raise SQLError(f"table {table.name} may not be altered")
    action = stmt.action
    if isinstance(action, ast.RenameTable):
        _rename_table(db, table, action.new_name)
    elif isinstance(action, ast.RenameColumn):
        _rename_column(db, table, action)
    elif isinstance(action, ast.AddColumn):
        _add_column(db, table, action, rt)
    else:
        _drop_column(db, table, action.name, rt)
    db.bump_schema(table.temp)
    db._load_schema()
    return _outcome()


def _rename_table(db, table, new: str) -> None:
    """Every object is resolved (rename.py) and the tokens naming the table
    (FROM terms, qualifiers, trigger targets, REFERENCES, ON) become
    ``"new"``; then the schema is checked as for RENAME COLUMN."""
    lnew = new.lower()
    if lnew in db.tables or lnew in db.views or lnew in db.indexes:
        raise SQLError(f"there is already another table or index with this name: {new}")
    if _fold(new).startswith("sqlite_"):
        raise SQLError(f"object name reserved for internal use: {new}")
    old = table.name
    catalog = _catalog(db)
    home = "temp" if table.temp else "main"
    changes = []
    context = []          # rows of a schema left alone, still seen by the check
    for schema, pager, rowid, rec in _rows_to_rename(db, home, context):
        kind, name, tbl_name, _root, sql = rec[:5]
        touches = _fold(tbl_name or "") == _fold(old)
        if not _untouchable(rec) and (schema == home or kind in ("view", "trigger")):
            resolver = Resolver(catalog, schema, _fold(old))
            try:
                stmt, spans = parse_with_spans(sql)
                resolver.resolve(stmt, spans)
            except SQLError as exc:
                raise SQLError(f"error in {kind} {name}: {exc}") from None
            rec[4] = edit(sql, resolver.hits, (), new, True)
        if touches and (schema == home or kind == "trigger"):
            rec[2] = new
            if kind == "table":
                rec[1] = new
            prefix = "sqlite_autoindex_" + old + "_"
            if kind == "index" and name and _fold(name).startswith(_fold(prefix)):
                rec[1] = "sqlite_autoindex_" + new + "_" + name[len(prefix):]
        changes.append((schema, pager, rowid, rec, rec[4]))
    _check_after(context, changes)
    for schema, pager, rowid, rec, _sql in changes:
        btree.TableCursor(pager, 1).insert(rowid, encode_record(tuple(rec)))
    if not table.temp and any(c[0] == "temp" for c in changes):
        db.bump_schema(True)
    seq = db.lookup_table("sqlite_sequence")
    if seq is not None:
        for row in db.table_reader(seq)():
            if isinstance(row[1], str) and _fold(row[1]) == _fold(old):
                db.write_table_row(seq, row[0], (new, row[2]))


def _rename_column(db, table, action: ast.RenameColumn) -> None:
    """Every object of the schema is resolved (rename.py) and exactly the
    tokens naming the column are rewritten; double-quoted strings become
    single-quoted ones.  Then the rewritten schema is checked as sqlite3
    checks it ("error in view v after rename: ...") before anything is
    written."""
    old, new = action.old_name, action.new_name
    i = table.column_index(old)
    if i is None:
        raise SQLError(f"no such column: \"{old}\"")
    catalog = _catalog(db)
    home = "temp" if table.temp else "main"
    target = _fold(table.name)
    changes = []          # (schema, pager, rowid, rec, new sql)
    context = []          # rows of a schema left alone, still seen by the check
    for schema, pager, rowid, rec in _rows_to_rename(db, home, context):
        kind, _name, _tbl, _root, sql = rec[:5]
        if _untouchable(rec):
            changes.append((schema, pager, rowid, rec, sql))
            continue
        renames = schema == home or kind in ("view", "trigger")
        new_sql = _rename_in(catalog, schema, target if renames else None, action, i, rec, sql)
        if home == "temp" and kind in ("view", "trigger"):
            # sqlite3 also runs its pass over TEMP views and triggers
            # (meant for those on main tables) on the text just rewritten.
            new_sql = _rename_in(catalog, schema, target, action, i, rec, new_sql)
        changes.append((schema, pager, rowid, rec, new_sql))
    other = next((j for j, c in enumerate(table.columns) if j != i and _fold(c.name) == _fold(new)), None)
    if other is not None:
        dup = table.columns[other].name if other > i else new
        raise SQLError(f"error in table {table.name} after rename: duplicate column name: {dup}")
    _check_after(context, changes)
    touched = set()
    for schema, pager, rowid, rec, new_sql in changes:
        if new_sql != rec[4]:
            rec[4] = new_sql
            btree.TableCursor(pager, 1).insert(rowid, encode_record(tuple(rec)))
            touched.add(schema)
    if "temp" in touched and not table.temp:
        db.bump_schema(True)


def _rows_to_rename(db, home: str, context: list):
    """The sqlite_schema rows a rename of a table in schema ``home``
    rewrites, as (schema, pager, rowid, record); when the table is TEMP the
    rows of main go to ``context`` instead (left alone, but seen by the
    check after the rename)."""
    for schema, pager in _schemas(db):
        if home == "temp" and schema == "main":
            context.extend((schema, pager, rowid, rec, rec[4]) for rowid, rec in _rows(pager))
            continue
        for rowid, rec in _rows(pager):
            yield schema, pager, rowid, rec


def _untouchable(rec) -> bool:
    """A schema row no rename rewrites: automatic indexes, internal tables,
    virtual tables."""
    _kind, name, _tbl, _root, sql = rec[:5]
    return sql is None or _fold(name or "").startswith("sqlite_") or _fold(sql[:14]) == "create virtual"


def _rename_in(catalog, schema, target, action, i, rec, sql) -> str:
    """One object's text with the column renamed (and its double-quoted
    strings single-quoted)."""
    resolver = Resolver(catalog, schema, target, i, action.old_name)
    try:
        stmt, spans = parse_with_spans(sql)
        resolver.resolve(stmt, spans)
    except SQLError as exc:
        raise SQLError(f"error in {rec[0]} {rec[1]}: {exc}") from None
    return edit(sql, resolver.hits, resolver.dqs, action.new_name, action.new_quoted)


def _schemas(db):
    yield "main", db.pager
    if db.temp_pager is not None and db.temp_pager.page_count:
        yield "temp", db.temp_pager


def _rows(pager):
    cur = btree.TableCursor(pager, 1)
    return [(rowid, list(decode_record(payload))) for rowid, payload in cur.scan()]


def _catalog(db) -> Catalog:
    catalog = Catalog()
    for t in db.tables.values():
        catalog.tables[_fold(t.name)] = Tab.of(t)
    for v in db.views.values():
        catalog.views[_fold(v.name)] = (v.name, v.sql)
    return catalog


def _checked(sql) -> bool:
    return sql is not None and _fold(sql[:14]) != "create virtual"


def _check_after(context, changes) -> None:
    """sqlite3's renameTestSchema(..., "after rename"): the rewritten schema
    must parse and its views and triggers must resolve (names resolve in
    ``context`` too: the rows of main when a TEMP table was renamed)."""
    catalog = Catalog()
    parsed = []
    rows = [(row, False) for row in context] + [(row, True) for row in changes]
    for (schema, _pager, _rowid, rec, sql), checked in rows:
        kind, name = rec[0], rec[1]
        if not _checked(sql):
            continue
        try:
            stmt, spans = parse_with_spans(sql)
            if isinstance(stmt, ast.CreateTable):
                catalog.tables[_fold(stmt.name)] = Tab.of(table_from_ast(stmt))
        except SQLError as exc:
            if not checked:
                continue
            raise SQLError(f"error in {kind} {name} after rename: {exc}") from None
        if isinstance(stmt, ast.CreateView):
            catalog.views[_fold(stmt.name)] = (stmt.name, sql)
        if checked and kind in ("view", "trigger"):
            parsed.append((schema, kind, name, stmt, spans))
    for schema, kind, name, stmt, spans in parsed:
        try:
            Resolver(catalog, schema).resolve(stmt, spans)
        except SQLError as exc:
            raise SQLError(f"error in {kind} {name} after rename: {exc}") from None


def _add_column(db, table, action: ast.AddColumn, rt) -> None:
    col = action.column
    if table.column_index(col.name) is not None:
        raise SQLError(f"duplicate column name: {col.name}")
    default = None
    not_null = False
    for cons in col.constraints:
        if isinstance(cons, ast.PrimaryKeyConstraint):
            raise SQLError("Cannot add a PRIMARY KEY column")
        if isinstance(cons, ast.UniqueConstraint):
            raise SQLError("Cannot add a UNIQUE column")
        if isinstance(cons, ast.DefaultConstraint):
            default = cons.expr
        if isinstance(cons, ast.NotNullConstraint):
            not_null = True
        if isinstance(cons, ast.GeneratedConstraint) and cons.stored:
            raise SQLError("cannot add a STORED column")
    if default is not None and not _constant(default):
        raise SQLError("Cannot add a column with non-constant default")
    if not_null and (default is None or (isinstance(default, ast.Literal) and default.value is None)):
        raise SQLError("Cannot add a NOT NULL column with default value NULL")
    for rowid, rec in _schema_rows(db, table):
        if rec[0] == "table" and _fold(rec[1] or "") == _fold(table.name):
            sql = rec[4]
            end = _column_defs_end(sql)
            rec[4] = sql[:end] + ", " + action.text + sql[end:]
            _save(db, table, rowid, rec)
            break


def _constant(e) -> bool:
    if isinstance(e, ast.Literal) or isinstance(e, ast.CurrentTime):
        return not isinstance(e, ast.CurrentTime)
    if isinstance(e, ast.Unary):
        return _constant(e.operand)
    if isinstance(e, ast.Binary):
        return _constant(e.left) and _constant(e.right)
    if isinstance(e, ast.Cast):
        return _constant(e.expr)
    if isinstance(e, ast.FunctionCall):
        return all(_constant(a) for a in e.args) and e.name.lower() not in ("random", "randomblob")
    return False


_TABLE_CONSTRAINT = {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"}


def _column_defs_end(sql: str) -> int:
    """Where sqlite3 puts an added column's ", definition" in a CREATE TABLE
    text: at the comma before the first table constraint, or else at the
    ')' that closes the column list (after any comment before it)."""
    depth = 0
    comma = None          # start of the last top-level comma
    first = False         # the next token starts a top-level item
    for tok in tokenize(sql):
        if tok.kind == "EOF":
            break
        if first:
            first = False
            if tok.kind != "ID" and tok.text.upper() in _TABLE_CONSTRAINT and comma is not None:
                return comma
        if tok.kind == "LP":
            depth += 1
            first = depth == 1
        elif tok.kind == "RP":
            depth -= 1
            if depth == 0:
                return tok.start
        elif tok.kind == "COMMA" and depth == 1:
            comma = tok.start
            first = True
    raise SQLError("malformed database schema")


def _drop_column(db, table, name: str, rt) -> None:
    i = table.column_index(name)
    if i is None:
        raise SQLError(f"no such column: \"{name}\"")
    col = table.columns[i]
    if col.primary_key:
        raise SQLError(f"cannot drop PRIMARY KEY column: \"{col.name}\"")
    for idx in table.indexes:
        if idx.sql is None and any(isinstance(ic.expr, ast.Column) and _fold(ic.expr.name) == _fold(col.name)
                                   for ic in idx.columns):
            raise SQLError(f"cannot drop UNIQUE column: \"{col.name}\"")
    if len(table.columns) == 1:
        raise SQLError(f"cannot drop column \"{col.name}\": no other columns exist")
    sql = table.sql
    span = _column_span(sql, i)
    new_sql = sql[:span[0]] + sql[span[1]:]
    try:
        check = parse(new_sql, schema=True)[0]
        new_table = table_from_ast(check, table.root)
    except SQLError as exc:
        raise SQLError(f"error in table {table.name} after drop column: {exc}") from None
    for idx in table.indexes:
        if idx.sql is not None and any(_fold(t.text) == _fold(col.name) for t in tokenize(idx.sql)):
            raise SQLError(f"error in index {idx.name} after drop column: no such column: {col.name}")
    del new_table
    # Rewrite every row without the column (virtual columns are not stored).
    if db.row_format(table).position(i) is not None:
        db.row_format(table).drop_column(i)
    for rowid, rec in _schema_rows(db, table):
        if rec[0] == "table" and _fold(rec[1] or "") == _fold(table.name):
            rec[4] = new_sql
            _save(db, table, rowid, rec)
            break


def _column_span(sql: str, index: int) -> tuple[int, int]:
    """The text to cut for column ``index``: its definition with the comma
    before it (or after it, for the first column)."""
    depth = 0
    starts = []
    commas = []
    end = None
    for tok in tokenize(sql):
        if tok.kind == "LP":
            depth += 1
            if depth == 1:
                starts.append(tok.end)
                continue
        elif tok.kind == "RP":
            depth -= 1
            if depth == 0:
                end = tok.start
                break
        elif tok.kind == "COMMA" and depth == 1:
            commas.append(tok)
    # Column definitions are the comma-separated items before the first table constraint.
    bounds = [starts[0]] + [c.end for c in commas]
    if index + 1 < len(bounds):
        start, stop = bounds[index], commas[index].start
    else:
        start, stop = bounds[index], end
    if index > 0:
        return commas[index - 1].start, stop
    return start, commas[0].end if commas else stop
