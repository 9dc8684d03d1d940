"""Name resolution for ALTER TABLE ... RENAME COLUMN (lang_altertable.html,
"ALTER TABLE RENAME COLUMN"): which tokens of a schema object's CREATE text
name the renamed column.

sqlite3 parses every object of the schema, resolves each name in it as a
query would (tables' CHECK and generated expressions, constraint column
lists, FOREIGN KEY references to the renamed table, indexes on it, views,
triggers with their NEW/OLD, INSERT column lists and UPDATE SET names) and
rewrites exactly the tokens that refer to the column, keeping the rest of the
text byte for byte.  A double-quoted name that resolves to nothing is a
string (the double-quoted-string fallback) and is rewritten as a
single-quoted string.  The same resolver, run over the rewritten texts with
no column to find, is the check sqlite3 makes after the rename.

The parser hands out the tokens of names when asked (``Parser.spans``); the
:class:`Resolver` walks an object's syntax tree with scopes much like the
planner's and collects ``hits`` (tokens to rename) and ``dqs`` (strings
written in double quotes).
"""

from __future__ import annotations

from dataclasses import fields

from ..errors import SQLError
from ..names import fold
from ..sql import ast
from ..sql.parser import Parser

ROWID_NAMES = ("rowid", "oid", "_rowid_")
_MASTER_COLUMNS = ["type", "name", "tbl_name", "rootpage", "sql"]
_MASTER_NAMES = ("sqlite_master", "sqlite_schema", "sqlite_temp_master", "sqlite_temp_schema")


def parse_with_spans(sql: str):
    """The first statement of ``sql`` and the token side table of its names."""
    parser = Parser(sql, True)
    parser.spans = {}
    stmt = next(parser.statements())[0]
    return stmt, parser.spans


class Tab:
    """A base table as the resolver sees it."""

    __slots__ = ("key", "name", "columns", "rowid", "ipk")

    def __init__(self, name, columns, rowid=True, ipk=None):
        self.key = fold(name)
        self.name = name
        self.columns = list(columns)
        self.rowid = rowid
        self.ipk = ipk

    @classmethod
    def of(cls, table) -> "Tab":
        return cls(table.name, [c.name for c in table.columns], not table.without_rowid, table.rowid_alias)


class Catalog:
    """Tables and views by folded name: ``tables`` maps to :class:`Tab`,
    ``views`` to (name, CREATE VIEW text)."""

    def __init__(self):
        self.tables: dict[str, Tab] = {}
        self.views: dict[str, tuple] = {}


class _Src:
    """One FROM source: the name it is qualified by, its column names, the
    base table it reads (for hits), the names USING/NATURAL hid on it."""

    __slots__ = ("name", "cols", "origin", "hidden", "opaque", "aliased")

    def __init__(self, name, cols, origin=None, opaque=False, aliased=True):
        self.aliased = aliased      # qualified by an alias, not by the table's name
        self.name = name
        self.cols = cols
        self.origin = origin
        self.hidden = set()
        self.opaque = opaque

    def find(self, name: str):
        for i, c in enumerate(self.cols):
            if fold(c) == name:
                return i
        if name in ROWID_NAMES and self.origin is not None and self.origin.rowid:
            return -1
        return None


class _Scope:
    __slots__ = ("sources", "parent", "aliases", "trigger")

    def __init__(self, sources, parent=None, trigger=None):
        self.sources = sources
        self.parent = parent
        self.aliases = None
        self.trigger = trigger


class Resolver:
    """Resolves the names of schema objects against ``catalog``; tokens that
    name column ``col`` of the table ``target`` (a folded name) go to
    ``hits`` (with ``col`` None: the tokens that name the table itself, for
    RENAME TO), unresolved double-quoted names to ``dqs``."""

    def __init__(self, catalog: Catalog, schema: str = "main", target: str | None = None,
                 col: int | None = None, old: str | None = None):
        self.cat = catalog
        self.schema = schema
        self.target = target
        self.col = col
        self.old = fold(old) if old is not None else None
        self.spans: dict = {}
        self.hits: list = []
        self.dqs: list = []
        self.ctes: list[dict] = []
        self._view_cols: dict[str, list | None] = {}

    # -- objects -----------------------------------------------------------

    def resolve(self, stmt, spans: dict) -> None:
        """Walk one parsed CREATE statement."""
        self.spans = spans
        if isinstance(stmt, ast.CreateTable):
            self._table(stmt)
        elif isinstance(stmt, ast.CreateIndex):
            self._index(stmt)
        elif isinstance(stmt, ast.CreateView):
            self.select(stmt.select, None)
        elif isinstance(stmt, ast.CreateTrigger):
            self._trigger(stmt)

    def _toks(self, node) -> tuple:
        entry = self.spans.get(id(node))
        return entry[1] if entry is not None and entry[0] is node else ()

    def _names(self, names, is_target: bool) -> None:
        """A list of column names of the target table (matched by name)."""
        if not is_target or not names:
            return
        for name, tok in zip(names, self._toks(names)):
            if fold(name) == self.old:
                self.hits.append(tok)

    def _is_target(self, name: str | None) -> bool:
        return self.target is not None and name is not None and fold(name) == self.target

    def _table_hit(self, node, name: str | None) -> None:
        """RENAME TO: the token of ``node`` that names the table ``name``."""
        if self.col is None and self._is_target(name):
            self.hits.extend(self._toks(node)[:1])

    def _table(self, stmt: ast.CreateTable) -> None:
        if stmt.as_select is not None:
            return
        is_target = self._is_target(stmt.name)
        from ..schema import table_from_ast
        tab = Tab.of(table_from_ast(stmt))
        scope = _Scope([_Src(fold(stmt.name), tab.columns, tab, aliased=False)])
        self._table_hit(stmt, stmt.name)
        if is_target and self.col is not None:
            toks = self._toks(stmt.columns[self.col])
            self.hits.extend(toks[:1])
        for cdef in stmt.columns:
            for cons in cdef.constraints:
                if isinstance(cons, (ast.CheckConstraint, ast.GeneratedConstraint)):
                    self.expr(cons.expr, scope)
                elif isinstance(cons, ast.ForeignKeyConstraint):
                    self._references(cons.clause)
        for cons in stmt.constraints:
            if isinstance(cons, ast.CheckConstraint):
                self.expr(cons.expr, scope)
            elif isinstance(cons, (ast.PrimaryKeyConstraint, ast.UniqueConstraint)):
                if is_target:
                    for ic in cons.columns:
                        self.expr(ic.expr, scope)
            elif isinstance(cons, ast.ForeignKeyConstraint):
                self._names(cons.columns, is_target)
                self._references(cons.clause)

    def _references(self, clause: ast.ForeignKeyClause) -> None:
        self._table_hit(clause, clause.table)
        self._names(clause.columns, self._is_target(clause.table))

    def _index(self, stmt: ast.CreateIndex) -> None:
        tab = self.cat.tables.get(fold(stmt.table))
        if tab is None:
            return
        self._table_hit(stmt, stmt.table)
        scope = _Scope([_Src(tab.key, tab.columns, tab, aliased=False)])
        for ic in stmt.columns:
            self.expr(ic.expr, scope)
        self.expr(stmt.where, scope)

    def _trigger(self, stmt: ast.CreateTrigger) -> None:
        key = fold(stmt.table)
        tab = self.cat.tables.get(key)
        if tab is None:
            view = self.cat.views.get(key)
            if view is None:
                raise SQLError(f"no such table: {self.schema}.{stmt.table}")
            tab = Tab(view[0], self.view_columns(key) or [], rowid=False)
        scope = _Scope([], None, trigger=(tab, stmt.event))
        self._table_hit(stmt, stmt.table)
        self._names(stmt.update_columns, self._is_target(stmt.table))
        self.expr(stmt.when, scope)
        for step in stmt.body:
            self._step(step, scope)

    def _target(self, name: str) -> Tab:
        tab = self.cat.tables.get(fold(name))
        if tab is None:
            raise SQLError(f"no such table: {self.schema}.{name}")
        return tab

    def _step(self, step, scope) -> None:
        if isinstance(step, ast.Select):
            self.select(step, scope)
        elif isinstance(step, ast.Insert):
            tab = self._target(step.table)
            is_target = tab.key == self.target
            self._table_hit(step, step.table)
            self._names(step.columns, is_target)
            if step.source is not None:
                self.select(step.source, scope)
            for up in step.upserts:
                excluded = _Src("excluded", tab.columns, tab)
                excluded.hidden.update(fold(c) for c in tab.columns)    # only as excluded.x
                inner = _Scope([_Src(tab.key, tab.columns, tab, aliased=False), excluded], scope)
                for ic in up.target or ():
                    self.expr(ic.expr, inner)
                self.expr(up.target_where, inner)
                for a in up.assignments:
                    self._names(a.columns, is_target)
                    self.expr(a.expr, inner)
                self.expr(up.where, inner)
        elif isinstance(step, (ast.Update, ast.Delete)):
            tab = self._target(step.table.name)
            self._table_hit(step.table, step.table.name)
            sources = [_Src(fold(step.table.alias or step.table.name), tab.columns, tab,
                            aliased=step.table.alias is not None)]
            if isinstance(step, ast.Update) and step.from_ is not None:
                sources += self._from(step.from_, scope)
            inner = _Scope(sources, scope)
            if isinstance(step, ast.Update):
                for a in step.assignments:
                    self._names(a.columns, tab.key == self.target)
                    self.expr(a.expr, inner)
            self.expr(step.where, inner)
            for term in step.order_by:
                self.expr(term.expr, inner)
            self.expr(step.limit, inner)
            self.expr(step.offset, inner)

    # -- queries -------------------------------------------------------------

    def select(self, sel: ast.Select, outer) -> list | None:
        """Resolve a query; its result column names (None when unknown)."""
        pushed = sel.with_ is not None
        if pushed:
            self._with(sel.with_, outer)
        try:
            body = sel.body
            if isinstance(body, ast.Compound):
                names, scope, aliases = self._compound(body, outer)
                for term in sel.order_by:
                    e = term.expr
                    if type(e) is ast.Column and e.table is None and fold(e.name) in aliases:
                        continue
                    if scope is not None:
                        try:
                            self.expr(e, scope)
                        except SQLError:
                            pass
            else:
                names, scope = self._body(body, outer, sel.order_by)
            self.expr(sel.limit, outer)
            self.expr(sel.offset, outer)
            return names
        finally:
            if pushed:
                self.ctes.pop()

    def _with(self, with_: ast.With, outer) -> None:
        ctes: dict = {}
        self.ctes.append(ctes)
        for cte in with_.ctes:
            key = fold(cte.name)
            ctes[key] = list(cte.columns) if cte.columns else None
            names = self.select(cte.select, outer)
            ctes[key] = list(cte.columns) if cte.columns else names

    def _compound(self, body, outer):
        if isinstance(body, ast.Compound):
            left = self._compound(body.left, outer)
            self._compound(body.right, outer)
            return left
        names, scope = self._body(body, outer, ())
        aliases = set()
        if isinstance(body, ast.SelectCore):
            aliases = {fold(rc.alias) for rc in body.columns if isinstance(rc, ast.ResultColumn) and rc.alias}
        return names, scope, aliases

    def _body(self, body, outer, order_by):
        if isinstance(body, ast.Values):
            for row in body.rows:
                for e in row:
                    self.expr(e, outer)
            width = len(body.rows[0]) if body.rows else 0
            return [f"column{i + 1}" for i in range(width)], None
        return self._core(body, outer, order_by)

    def _core(self, core: ast.SelectCore, outer, order_by):
        sources = self._from(core.from_, outer) if core.from_ is not None else []
        scope = _Scope(sources, outer)
        names: list | None = []
        for rc in core.columns:
            if isinstance(rc, ast.Star):
                names = self._star(rc, sources, names)
                continue
            found = self.expr(rc.expr, scope)
            if names is None:
                continue
            if rc.alias:
                names.append(rc.alias)
            elif found is not None:
                src, i = found
                names.append(src.cols[i] if i is not None and i >= 0 else rc.expr.name)
            else:
                names.append(rc.text)
        scope.aliases = {fold(rc.alias) for rc in core.columns if isinstance(rc, ast.ResultColumn) and rc.alias}
        self._join_conditions(core.from_, scope)
        self.expr(core.where, scope)
        self.expr(core.group_by, scope)
        self.expr(core.having, scope)
        for w in core.windows:
            self.expr(w.spec, scope)
        for term in order_by:
            e = term.expr
            if type(e) is ast.Column and e.table is None and fold(e.name) in scope.aliases:
                continue
            self.expr(e, scope)
        return _unique(names), scope

    def _star(self, star: ast.Star, sources, names):
        if names is None:
            return None
        chosen = sources
        if star.table is not None:
            chosen = [s for s in sources if s.name == fold(star.table)]
            if not chosen:
                raise SQLError(f"no such table: {star.table}")
        elif not sources:
            raise SQLError("no tables specified")
        for src in chosen:
            if star.table is not None and not src.aliased and src.origin is not None:
                self._table_hit(star, src.origin.name)
            if src.opaque:
                return None
            for c in src.cols:
                if star.table is None and fold(c) in src.hidden:
                    continue
                names.append(c)
        return names

    def _from(self, item, outer) -> list:
        if isinstance(item, ast.Join):
            left = self._from(item.left, outer)
            right = self._from(item.right, outer)
            if item.using:
                for name in item.using:
                    key = fold(name)
                    if not any(s.opaque or s.find(key) is not None for s in left) or \
                            not any(s.opaque or s.find(key) is not None for s in right):
                        raise SQLError(f"cannot join using column {name} - column not present in both tables")
                    for s in right:
                        s.hidden.add(key)
            elif item.natural:
                left_names = {fold(c) for s in left for c in s.cols}
                for s in right:
                    s.hidden.update(fold(c) for c in s.cols if fold(c) in left_names)
            return left + right
        if isinstance(item, ast.SubqueryRef):
            sel = item.select
            if item.alias is None and self._toks(sel) == () and id(sel) in self.spans:
                # "(t1 a JOIN t2 b)": SQLite keeps the joined tables as FROM terms.
                inner = self._from(sel.body.from_, outer)
                self._join_conditions(sel.body.from_, _Scope(inner, outer))
                return inner
            names = self.select(item.select, outer)
            return [_Src(fold(item.alias) if item.alias else None, names or [], opaque=names is None)]
        return [self._table_ref(item, outer)]

    def _join_conditions(self, item, scope) -> None:
        if isinstance(item, ast.Join):
            self._join_conditions(item.left, scope)
            self.expr(item.on, scope)

    def _table_ref(self, ref: ast.TableRef, outer) -> _Src:
        key = fold(ref.name)
        qual = fold(ref.alias or ref.name)
        if ref.args is not None:
            for a in ref.args:
                self.expr(a, outer)
            return _Src(qual, [], opaque=True)
        if ref.schema is None:
            for ctes in reversed(self.ctes):
                if key in ctes:
                    cols = ctes[key]
                    return _Src(qual, cols or [], opaque=cols is None)
        tab = self.cat.tables.get(key)
        if tab is not None:
            self._table_hit(ref, ref.name)
            return _Src(qual, tab.columns, tab, aliased=ref.alias is not None)
        if key in self.cat.views:
            cols = self.view_columns(key)
            return _Src(qual, cols or [], opaque=cols is None)
        if key in _MASTER_NAMES:
            return _Src(qual, _MASTER_COLUMNS)
        if key.startswith("pragma_") or key in ("json_each", "json_tree", "generate_series"):
            return _Src(qual, [], opaque=True)
        raise SQLError(f"no such table: {ref.schema or self.schema}.{ref.name}")

    def view_columns(self, key: str):
        if key in self._view_cols:
            cols = self._view_cols[key]
            if cols is _BUSY:
                raise SQLError(f"view {self.cat.views[key][0]} is circularly defined")
            return cols
        name, sql = self.cat.views[key]
        self._view_cols[key] = _BUSY
        saved = self.spans, self.ctes, self.hits, self.dqs
        stmt, spans = parse_with_spans(sql)
        self.spans, self.ctes, self.hits, self.dqs = spans, [], [], []
        columns = stmt.columns
        try:
            names = self.select(stmt.select, None)
        finally:
            self.spans, self.ctes, self.hits, self.dqs = saved
            self._view_cols.pop(key, None)
        cols = list(columns) if columns else names
        self._view_cols[key] = cols
        return cols

    # -- expressions ---------------------------------------------------------

    def expr(self, e, scope):
        """Resolve the names in ``e``; for a column reference, the
        (source, index) it names (None otherwise)."""
        if e is None:
            return None
        t = type(e)
        if t is ast.Column:
            return self._column(e, scope)
        if t is ast.Select:
            self.select(e, scope)
        elif t is tuple:
            for x in e:
                self.expr(x, scope)
        elif hasattr(t, "__dataclass_fields__"):
            for f in fields(e):
                v = getattr(e, f.name)
                if v is not None and not isinstance(v, (str, int, float, bytes, bool)):
                    self.expr(v, scope)
        return None

    def _column(self, e: ast.Column, scope):
        name = fold(e.name)
        tbl = fold(e.table) if e.table is not None else None
        toks = self._toks(e)
        s = scope
        while s is not None:
            found = []
            opaque = None
            for src in s.sources:
                if tbl is not None and src.name != tbl:
                    continue
                if src.opaque:
                    opaque = opaque or (src, None)      # columns unknown: it may have any name
                    continue
                i = src.find(name)
                if i is None or (tbl is None and name in src.hidden):
                    continue
                found.append((src, i))
            if not found and tbl in ("new", "old") and s.trigger is not None and e.schema is None:
                tab, event = s.trigger
                if event != ("DELETE" if tbl == "new" else "INSERT"):
                    src = _Src(tbl, tab.columns, tab)
                    i = src.find(name)
                    if i is not None:
                        found.append((src, i))
            if len(found) > 1:
                raise SQLError(f"ambiguous column name: {_written(e)}")
            if not found and opaque is not None:
                return opaque
            if found:
                src, i = found[0]
                origin = src.origin
                if i is not None and origin is not None and toks and origin.key == self.target:
                    if self.col is None:
                        if tbl is not None and not src.aliased and len(toks) > 1:
                            self.hits.append(toks[1])
                    elif i == self.col or (i == -1 and origin.ipk == self.col):
                        self.hits.append(toks[0])
                return found[0]
            if tbl is None and s.aliases and name in s.aliases:
                return None
            s = s.parent
        if tbl is None and e.quoted:
            self.dqs.extend(toks[:1])
            return None
        if tbl is None and name in ("true", "false"):
            return None
        raise SQLError(f"no such column: {_written(e)}")


_BUSY = object()


def _written(e: ast.Column) -> str:
    parts = [p for p in (e.schema, e.table, e.name) if p is not None]
    return ".".join(parts)


def _unique(names):
    """sqlite3ColumnsFromExprList: a repeated name gets ":N" appended."""
    if names is None:
        return None
    seen: set = set()
    out = []
    for n in names:
        cand = n
        k = 0
        while fold(cand) in seen:
            k += 1
            cand = f"{n}:{k}"
        seen.add(fold(cand))
        out.append(cand)
    return out


def edit(sql: str, hits, dqs, new: str | None, quoted: bool) -> str:
    """``sql`` with each hit token replaced by the new name and each
    double-quoted string token by a single-quoted one (renameEditSql)."""
    edits = {}
    if new is not None:
        plain = new
        quoted_new = '"' + new.replace('"', '""') + '"'
        for tok in hits:
            if not quoted and _is_id_char(sql[tok.start]):
                edits[tok.start] = (tok.end, plain)
            else:
                after = sql[tok.end:tok.end + 1]
                edits[tok.start] = (tok.end, quoted_new + (" " if after == '"' else ""))
    for tok in dqs:
        if tok.start in edits:
            continue
        text = tok.text[1:-1].replace('""', '"')
        after = sql[tok.end:tok.end + 1]
        edits[tok.start] = (tok.end, "'" + text.replace("'", "''") + "'" + (" " if after == "'" else ""))
    out = []
    pos = 0
    for start in sorted(edits):
        end, text = edits[start]
        out.append(sql[pos:start])
        out.append(text)
        pos = end
    out.append(sql[pos:])
    return "".join(out)


def _is_id_char(c: str) -> bool:
    return c.isalnum() or c == "_" or c == "$" or ord(c) > 0x7F
