"""INSERT, UPDATE and DELETE (lang_insert.html, lang_update.html,
lang_delete.html, lang_upsert.html, lang_returning.html), both as statements
and in the restricted forms a trigger body allows (lang_createtrigger.html:
no WITH, no alias, no INDEXED BY, no RETURNING, no ORDER BY/LIMIT, no
schema-qualified table).
"""

from __future__ import annotations

from engine.sql.ast import (
    Assignment, Collate, Delete, IndexedColumn, Insert, RowValue, Subquery, TableRef,
    Update, Upsert,
)
from engine.sql.parser_select import SelectParser

_RESOLVE_TYPES = frozenset({"ROLLBACK", "ABORT", "FAIL", "IGNORE", "REPLACE"})


class DMLParser(SelectParser):
    """Mixin: data-changing statements."""

    in_trigger: bool

    def _parse_resolvetype(self) -> str:
        if self.tok.kind not in _RESOLVE_TYPES:
            self._error()
        return self._next().kind

    def _parse_orconf(self) -> str | None:
        if self.tok.kind == "OR":
            self._next()
            return self._parse_resolvetype()
        return None

    def _parse_target_table(self):
        """``xfullname`` (``[schema.]name [AS alias]``), or in a trigger body
        ``trnm`` (a bare name; a qualified one is an error)."""
        schema, name = self._qualified_name()
        self._target_tok = self.toks[self.pos - 1]
        if self.in_trigger:
            if schema is not None:
                self._defer("qualified table names are not allowed on INSERT, UPDATE, "
                            "and DELETE statements within triggers")
            return None, name, None
        alias = None
        if self.tok.kind == "AS":
            self._next()
            alias = self._nm()
        return schema, name, alias

    def _parse_indexed_opt(self) -> tuple[str | None, bool]:
        """``[INDEXED BY name | NOT INDEXED]`` (an error in a trigger body)."""
        if self.tok.kind == "INDEXED":
            self._next()
            self._expect("BY")
            name = self._nm()
            if self.in_trigger:
                self._defer("the INDEXED BY clause is not allowed on UPDATE or DELETE "
                            "statements within triggers")
            return name, False
        if self.tok.kind == "NOT":
            self._next()
            self._expect("INDEXED")
            if self.in_trigger:
                self._defer("the NOT INDEXED clause is not allowed on UPDATE or DELETE "
                            "statements within triggers")
            return None, True
        return None, False

    def _parse_returning(self) -> tuple:
        """``RETURNING selcollist`` (the RETURNING keyword is current)."""
        self._next()
        columns, _ = self._parse_selcollist(4)
        if self.in_trigger:
            self._defer("cannot use RETURNING in a trigger")
        return columns

    # -- INSERT ------------------------------------------------------------

    def _parse_insert(self, with_) -> Insert:
        if self.tok.kind == "REPLACE":
            self._next()
            conflict = "REPLACE"
        else:
            self._expect("INSERT")
            conflict = self._parse_orconf()
        self._expect("INTO")
        schema, name, alias = self._parse_target_table()
        target_tok = self._target_tok
        columns = None
        if self.tok.kind == "LP":
            columns = self._parse_idlist()
        if self.tok.kind == "DEFAULT" and not self.in_trigger:
            self._next()
            self._expect("VALUES")
            returning = ()
            if self.tok.kind == "RETURNING":
                returning = self._parse_returning()
            return self._mark(Insert(name, None, schema, alias, columns, conflict, (), returning, with_), target_tok)
        self._enter(4)
        source = self._parse_select()
        self.depth -= 4
        upserts, returning = self._parse_upserts()
        return self._mark(Insert(name, source, schema, alias, columns, conflict, upserts, returning, with_),
                          target_tok)

    def _parse_upserts(self):
        """``upsert``: ON CONFLICT clauses (only the last may lack a target),
        then an optional RETURNING."""
        upserts = []
        while self.tok.kind == "ON":
            self._next()
            self._expect("CONFLICT")
            target = target_where = None
            if self.tok.kind == "LP":
                self._next()
                target = self._indexed_columns(self._parse_sortlist(8, 10))
                self._expect("RP")
                if self.tok.kind == "WHERE":
                    self._next()
                    target_where = self._expr_at(8)[0]
            self._expect("DO")
            if self.tok.kind == "NOTHING":
                self._next()
                upserts.append(Upsert("NOTHING", target, target_where))
            else:
                self._expect("UPDATE")
                self._expect("SET")
                assignments = self._parse_setlist(10)
                where = None
                if self.tok.kind == "WHERE":
                    self._next()
                    where = self._expr_at(12)[0]
                upserts.append(Upsert("UPDATE", target, target_where, assignments, where))
            if target is None:
                break
        returning = ()
        if self.tok.kind == "RETURNING":
            returning = self._parse_returning()
        return tuple(upserts), returning

    def _indexed_columns(self, terms) -> tuple[IndexedColumn, ...]:
        """Ordering terms as index columns; NULLS FIRST/LAST is not allowed."""
        columns = []
        for term in terms:
            if term.nulls is not None:
                self._defer(f"unsupported use of NULLS {term.nulls}")
            expr = term.expr
            collation = None
            if type(expr) is Collate:
                collation = expr.collation
                expr = expr.expr
            columns.append(IndexedColumn(expr, collation, term.desc))
        return tuple(columns)

    def _parse_setlist(self, extra: int) -> tuple[Assignment, ...]:
        """``setlist``: ``name = expr`` or ``(name, ...) = expr``, ..."""
        assignments = []
        later = extra + 2
        while True:
            vector = self.tok.kind == "LP"
            if vector:
                names = self._parse_idlist()
            else:
                tok = self.tok
                names = self._mark((self._nm(),), tok)
            self._expect("EQ")
            expr = self._expr_at(extra)[0]
            if vector and type(expr) is not Subquery:
                # sqlite3ExprListAppendVector(): a subquery is checked later.
                width = len(expr.items) if type(expr) is RowValue else 1
                if width != len(names):
                    self._defer(f"{len(names)} columns assigned {width} values")
            assignments.append(Assignment(names, expr))
            if not self._accept("COMMA"):
                return tuple(assignments)
            extra = later

    # -- UPDATE and DELETE -------------------------------------------------

    def _parse_update(self, with_) -> Update:
        self._next()
        conflict = self._parse_orconf()
        schema, name, alias = self._parse_target_table()
        target_tok = self._target_tok
        indexed_by, not_indexed = self._parse_indexed_opt()
        table = self._mark(TableRef(name, schema, alias, indexed_by, not_indexed), target_tok)
        self._expect("SET")
        assignments = self._parse_setlist(7)
        from_ = where = limit = offset = None
        if self.tok.kind == "FROM":
            self._next()
            self._enter(7)
            from_ = self._parse_seltablist()
            self.depth -= 7
        if self.tok.kind == "WHERE":
            self._next()
            where = self._expr_at(8)[0]
        returning = order_by = ()
        if not self.in_trigger:
            if self.tok.kind == "RETURNING":
                returning = self._parse_returning()
            order_by, limit, offset = self._parse_dml_tail()
        return Update(table, assignments, from_, where, conflict, returning,
                      order_by, limit, offset, with_)

    def _parse_delete(self, with_) -> Delete:
        self._next()
        self._expect("FROM")
        schema, name, alias = self._parse_target_table()
        target_tok = self._target_tok
        indexed_by, not_indexed = self._parse_indexed_opt()
        table = self._mark(TableRef(name, schema, alias, indexed_by, not_indexed), target_tok)
        where = limit = offset = None
        if self.tok.kind == "WHERE":
            self._next()
            where = self._expr_at(5)[0]
        returning = order_by = ()
        if not self.in_trigger:
            if self.tok.kind == "RETURNING":
                returning = self._parse_returning()
            order_by, limit, offset = self._parse_dml_tail()
        return Delete(table, where, returning, order_by, limit, offset, with_)

    def _parse_dml_tail(self):
        """``[ORDER BY sortlist] [LIMIT ...]`` (SQLITE_ENABLE_UPDATE_DELETE_LIMIT)."""
        order_by = ()
        limit = offset = None
        if self.tok.kind == "ORDER":
            self._next()
            self._expect("BY")
            order_by = self._parse_sortlist(9, 11)
        if self.tok.kind == "LIMIT":
            limit, offset, _ = self._parse_limit(9)
        return order_by, limit, offset
