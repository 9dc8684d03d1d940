"""SELECT (lang_select.html, lang_with.html): parse.y's ``select``,
``selectnowith``, ``oneselect``, ``values``, ``selcollist``, ``seltablist``,
``joinop``, ``wqlist`` and ``window_clause`` rules.

As in SQLite's grammar, ORDER BY and LIMIT belong to each simple SELECT; on
any but the last member of a compound they are an error ("ORDER BY clause
should come after UNION not before").
"""

from __future__ import annotations

from engine.sql.ast import (
    CommonTableExpr, Compound, Join, NamedWindow, ResultColumn, Select,
    SelectCore, Star, SubqueryRef, TableRef, Values, With,
)
from engine.sql.parser_base import (
    ALIAS_KINDS, IDS_KINDS, JOIN_KEYWORDS, MAX_COMPOUND_SELECT, NM_KINDS,
)
from engine.sql.parser_expr import _PRIMARY_KEYWORDS, P_OR, ExprParser
from engine.sql.tokenizer import dequote

_COMPOUND_OPS = frozenset({"UNION", "INTERSECT", "EXCEPT"})
_SELECT_START = frozenset({"SELECT", "VALUES", "WITH"})

# sqlite3JoinType(): each join keyword's bits.
_NATURAL, _LEFT, _OUTER, _RIGHT, _INNER, _CROSS, _ERROR = 1, 2, 4, 8, 16, 32, 64
_JOIN_BITS = {
    "natural": _NATURAL, "left": _LEFT | _OUTER, "outer": _OUTER,
    "right": _RIGHT | _OUTER, "full": _LEFT | _RIGHT | _OUTER,
    "inner": _INNER, "cross": _INNER | _CROSS,
}


class _OneSelect:
    """A simple SELECT or VALUES with the ORDER BY/LIMIT written on it."""

    __slots__ = ("body", "order_by", "limit", "offset", "rows")

    def __init__(self, body, order_by=(), limit=None, offset=None, rows=1):
        self.body = body
        self.order_by = order_by
        self.limit = limit
        self.offset = offset
        self.rows = rows


class SelectParser(ExprParser):
    """Mixin: SELECT statements and their clauses."""

    last_select_height: int

    def _expr_at(self, extra: int):
        """An expression parsed ``extra`` stack symbols deeper; (node, height)."""
        self._enter(extra)
        result = self._expr(P_OR)
        self.depth -= extra
        return result

    # -- select ----------------------------------------------------------

    def _parse_select(self) -> Select:
        """``select``: ``[WITH ...] selectnowith``.  Leaves the height
        heightOfSelect() would give it in ``self.last_select_height``."""
        with_ = None
        base = 0
        if self.tok.kind == "WITH":
            with_ = self._parse_with()
            base = 3 if with_.recursive else 2
        self._enter(base)
        select = self._parse_selectnowith(with_)
        self.depth -= base
        return select

    def _parse_with(self) -> With:
        """``WITH [RECURSIVE] name [(columns)] AS [[NOT] MATERIALIZED] (select), ...``"""
        self._next()
        recursive = self._accept("RECURSIVE") is not None
        extra = 2 if recursive else 1
        ctes = []
        seen = set()
        first = True
        while True:
            name = self._nm()
            columns = None
            if self.tok.kind == "LP":
                columns = self._parse_eidlist()
            self._expect("AS")
            materialized = None
            if self._accept("NOT"):
                self._expect("MATERIALIZED")
                materialized = False
            elif self._accept("MATERIALIZED"):
                materialized = True
            self._expect("LP")
            inner = extra + (4 if first else 6)
            self._enter(inner)
            select = self._parse_select()
            self.depth -= inner
            self._expect("RP")
            key = name.lower()
            if key in seen:
                self._defer(f"duplicate WITH table name: {name}")
            seen.add(key)
            ctes.append(CommonTableExpr(name, select, columns, materialized))
            if self.tok.kind != "COMMA":
                break
            self._next()
            first = False
        return With(tuple(ctes), recursive)

    def _parse_eidlist(self) -> tuple[str, ...]:
        """``(name, ...)`` where SQLite's grammar also admits, and then
        rejects, a COLLATE or ASC/DESC after a name."""
        self._expect("LP")
        names = []
        toks = []
        while True:
            tok = self.tok
            toks.append(tok)
            name = self._nm()
            bad = False
            if self.tok.kind == "COLLATE":
                self._next()
                self._ids()
                bad = True
            if self.tok.kind in ("ASC", "DESC"):
                self._next()
                bad = True
            if bad and not self.schema_mode:
                self._defer(f'syntax error after column name "{tok.text}"')
            names.append(name)
            if not self._accept("COMMA"):
                break
        self._expect("RP")
        return self._mark(tuple(names), *toks)

    def _parse_selectnowith(self, with_) -> Select:
        parts = [self._parse_oneselect()]
        ops = []
        height = self.last_select_height
        while self.tok.kind in _COMPOUND_OPS:
            op = self._next().kind
            if op == "UNION" and self._accept("ALL"):
                op = "UNION ALL"
            ops.append(op)
            self._enter(2)
            parts.append(self._parse_oneselect())
            self.depth -= 2
            if self.last_select_height > height:
                height = self.last_select_height
        self.last_select_height = height
        for i, part in enumerate(parts):
            if part.rows > 1:
                if ops and i == 0:
                    self._check_values_widths(part.body, parts[1].body, ops[0])
                else:
                    self._check_values_widths(part.body)
        if ops:
            self._check_compound(parts, ops)
        body = parts[0].body
        for op, part in zip(ops, parts[1:]):
            body = Compound(op, body, part.body)
        last = parts[-1]
        return Select(body, with_, last.order_by, last.limit, last.offset)

    def _check_compound(self, parts, ops) -> None:
        """parserDoubleLinkSelect(): ORDER BY/LIMIT only on the last member,
        at most 500 members (a leading multi-row VALUES counts each row)."""
        count = 1
        for i in range(len(parts) - 2, -1, -1):
            count += parts[i].rows if i == 0 else 1
            part = parts[i]
            if part.order_by or part.limit is not None:
                clause = "ORDER BY" if part.order_by else "LIMIT"
                self._defer(f"{clause} clause should come after {ops[i]} not before")
                break
        if count > MAX_COMPOUND_SELECT:
            self._defer("too many terms in compound SELECT")

    def _parse_oneselect(self) -> _OneSelect:
        if self.tok.kind == "VALUES":
            return self._parse_values()
        self._expect("SELECT")
        distinct = False
        if self.tok.kind == "DISTINCT":
            self._next()
            distinct = True
        elif self.tok.kind == "ALL":
            self._next()
        columns, height = self._parse_selcollist(2)
        from_ = where = having = limit = offset = None
        group_by: tuple = ()
        windows: tuple = ()
        order_by: tuple = ()
        if self.tok.kind == "FROM":
            self._next()
            self._enter(4)
            from_ = self._parse_seltablist()
            self.depth -= 4
        if self.tok.kind == "WHERE":
            self._next()
            where, h = self._expr_at(5)
            height = max(height, h)
        if self.tok.kind == "GROUP":
            self._next()
            self._expect("BY")
            items = []
            extra = 7
            while True:
                node, h = self._expr_at(extra)
                items.append(node)
                height = max(height, h)
                if not self._accept("COMMA"):
                    break
                extra = 9
            group_by = tuple(items)
        if self.tok.kind == "HAVING":
            self._next()
            having, h = self._expr_at(7)
            height = max(height, h)
        window_extra = 0
        if self.tok.kind == "WINDOW":
            windows = self._parse_window_clause()
            window_extra = 1
        if self.tok.kind == "ORDER":
            self._next()
            self._expect("BY")
            order_by, h = self._parse_sortlist_h(9 + window_extra, 11 + window_extra)
            height = max(height, h)
        if self.tok.kind == "LIMIT":
            limit, offset, h = self._parse_limit(9 + window_extra)
            height = max(height, h)
        core = SelectCore(columns, from_, where, group_by, having, windows, distinct)
        self.last_select_height = height
        return _OneSelect(core, order_by, limit, offset)

    def _parse_sortlist_h(self, first_extra: int, later_extra: int):
        """``sortlist`` and the greatest height among its expressions."""
        terms = self._parse_sortlist(first_extra, later_extra)
        return terms, self.last_list_height

    def _parse_limit(self, extra: int):
        """``LIMIT expr [OFFSET expr | , expr]``: (limit, offset, height)."""
        self._next()
        first, h1 = self._expr_at(extra)
        if self.tok.kind == "OFFSET":
            self._next()
            second, h2 = self._expr_at(extra + 2)
            return first, second, max(h1, h2) + 1
        if self.tok.kind == "COMMA":
            self._next()
            second, h2 = self._expr_at(extra + 2)
            return second, first, max(h1, h2) + 1  # LIMIT offset, count
        return first, None, h1 + 1

    def _parse_values(self) -> _OneSelect:
        """``VALUES (expr, ...), ...``; every row must have the same length."""
        self._next()
        rows = []
        height = 0
        width = None
        first_extra, later_extra = 2, 4
        while True:
            self._expect("LP")
            items = []
            extra = first_extra
            while True:
                node, h = self._expr_at(extra)
                items.append(node)
                if h > height:
                    height = h
                if not self._accept("COMMA"):
                    break
                extra = later_extra
            self._expect("RP")
            rows.append(tuple(items))
            if self.tok.kind != "COMMA":
                break
            self._next()
            first_extra, later_extra = 3, 5
        self.last_select_height = height
        return _OneSelect(Values(tuple(rows)), rows=len(rows))

    def _check_values_widths(self, values: Values, next_member=None, op=None) -> None:
        """Rows of one VALUES must have one width.  SQLite finds a mismatch
        only when it compiles the statement (multiSelect()), so the message
        waits in ``compile_errors``.  As the first member of a compound, its
        last row is first compared with the next member."""
        widths = [len(row) for row in values.rows]
        if len(set(widths)) == 1:
            return
        next_width = None
        if isinstance(next_member, Values):
            next_width = len(next_member.rows[-1])
        elif isinstance(next_member, SelectCore) and not any(
                isinstance(c, Star) for c in next_member.columns):
            next_width = len(next_member.columns)
        if next_width is not None and next_width != widths[-1]:
            message = (f"SELECTs to the left and right of {op} do not have the same "
                       "number of result columns")
        else:
            message = "all VALUES must have the same number of terms"
        self.compile_errors.append(message)

    # -- result columns ------------------------------------------------------

    def _parse_selcollist(self, extra: int):
        """``selcollist``: ``*``, ``table.*`` or ``expr [[AS] alias]``, ...;
        ``extra`` is the number of symbols before the list on the stack."""
        columns = []
        height = 0
        while True:
            tok = self.tok
            if tok.kind == "STAR":
                self._next()
                self._touch(extra + 3)
                columns.append(Star())
                height = max(height, 1)
            elif (tok.kind in NM_KINDS and tok.kind not in _PRIMARY_KEYWORDS
                  and self._peek().kind == "DOT" and self._peek(2).kind == "STAR"):
                table = self._nm()
                self._next()
                self._next()
                self._touch(extra + 5)
                columns.append(self._mark(Star(table), tok))
                height = max(height, 2)
            else:
                start = tok.start
                self._enter(extra + 2)
                expr, h = self._expr(P_OR)
                self.depth -= extra + 2
                if h > height:
                    height = h
                text = self._text_before_current(start)
                self._touch(extra + 5)
                alias = None
                kind = self.tok.kind
                if kind == "AS":
                    self._next()
                    alias = self._nm()
                elif kind in ALIAS_KINDS:
                    alias = dequote(self._next().text)
                columns.append(ResultColumn(expr, alias, text))
            if self.tok.kind != "COMMA":
                return tuple(columns), height
            self._next()

    # -- FROM ------------------------------------------------------------------

    def _parse_seltablist(self):
        """``seltablist``: table references joined by commas and JOINs."""
        left = None
        join_kind, natural = "INNER", False
        while True:
            item, on, using = self._parse_table_item(left is None)
            if left is None:
                if on is not None or using is not None:
                    self._defer(f"a JOIN clause is required before {'ON' if on is not None else 'USING'}")
                left = item
            else:
                left = Join(left, item, join_kind, natural, on, using)
            kind = self.tok.kind
            if kind == "COMMA":
                self._next()
                join_kind, natural = ",", False
            elif kind == "JOIN":
                self._next()
                join_kind, natural = "INNER", False
            elif kind in JOIN_KEYWORDS:
                join_kind, natural = self._parse_joinop()
            else:
                return left

    def _parse_joinop(self) -> tuple[str, bool]:
        """``JOIN_KW [nm [nm]] JOIN`` checked as sqlite3JoinType() does."""
        words = [self._next()]
        while self.tok.kind != "JOIN" and len(words) < 3:
            if self.tok.kind not in NM_KINDS:
                self._error()
            words.append(self._next())
        self._expect("JOIN")
        bits = 0
        for word in words:
            code = _JOIN_BITS.get(word.text.lower()) if word.text.isascii() else None
            if code is None:
                bits |= _ERROR
                break
            bits |= code
        if ((bits & (_INNER | _OUTER)) == (_INNER | _OUTER) or bits & _ERROR
                or (bits & (_OUTER | _LEFT | _RIGHT)) == _OUTER):
            self._defer("unknown join type: " + " ".join(w.text for w in words))
            return "INNER", False
        natural = bool(bits & _NATURAL)
        if bits & _LEFT and bits & _RIGHT:
            return "FULL", natural
        if bits & _LEFT:
            return "LEFT", natural
        if bits & _RIGHT:
            return "RIGHT", natural
        if bits & _CROSS:
            return "CROSS", natural
        return "INNER", natural

    def _table_alias(self) -> str | None:
        """``as``: ``AS nm``, or an identifier or string written bare."""
        kind = self.tok.kind
        if kind == "AS":
            self._next()
            return self._nm()
        if kind in IDS_KINDS:
            return dequote(self._next().text)
        return None

    def _parse_table_item(self, first: bool):
        """One FROM term with its ON/USING: (item, on, using)."""
        if self.tok.kind == "LP":
            self._next()
            if self.tok.kind in _SELECT_START:
                self._enter(2)
                select = self._parse_select()
                self.depth -= 2
                self._expect("RP")
                self._touch(3)
                item = SubqueryRef(select, self._table_alias())
            else:
                self._enter(2)
                inner = self._parse_seltablist()
                self.depth -= 2
                self._expect("RP")
                alias = self._table_alias()
                if isinstance(inner, Join):
                    nested = self._mark(Select(SelectCore((Star(),), from_=inner)))
                    item = SubqueryRef(nested, alias)
                elif first and alias is None and self.tok.kind not in ("ON", "USING"):
                    item = inner
                elif isinstance(inner, TableRef):
                    # SQLite moves the table into a new term: its old alias is lost.
                    item = self._remark(TableRef(inner.name, inner.schema, alias, args=inner.args), inner)
                else:
                    item = SubqueryRef(inner.select, alias)
        else:
            schema, name = self._qualified_name()
            name_tok = self.toks[self.pos - 1]
            if self.tok.kind == "LP":
                self._next()
                args: tuple = ()
                if self.tok.kind != "RP":
                    args = self._parse_nexprlist(4, 6)
                self._expect("RP")
                item = self._mark(TableRef(name, schema, self._table_alias(), args=args), name_tok)
            else:
                alias = self._table_alias()
                indexed_by = None
                not_indexed = False
                if self.tok.kind == "INDEXED":
                    self._next()
                    self._expect("BY")
                    indexed_by = self._nm()
                elif self.tok.kind == "NOT":
                    self._next()
                    self._expect("INDEXED")
                    not_indexed = True
                item = self._mark(TableRef(name, schema, alias, indexed_by, not_indexed), name_tok)
            self._touch(5)
        on = using = None
        if self.tok.kind == "ON":
            self._next()
            on = self._expr_at(5)[0]
        elif self.tok.kind == "USING":
            self._next()
            using = self._parse_idlist()
        return item, on, using

    def _parse_idlist(self) -> tuple[str, ...]:
        """``(nm, ...)``"""
        self._expect("LP")
        toks = [self.tok]
        names = [self._nm()]
        while self._accept("COMMA"):
            toks.append(self.tok)
            names.append(self._nm())
        self._expect("RP")
        return self._mark(tuple(names), *toks)

    # -- WINDOW clause ---------------------------------------------------------

    def _parse_window_clause(self) -> tuple[NamedWindow, ...]:
        self._next()
        windows = []
        while True:
            name = self._nm()
            self._expect("AS")
            self._expect("LP")
            self._enter(11)
            spec = self._window_spec()
            self.depth -= 11
            self._expect("RP")
            windows.append(NamedWindow(name, spec))
            if not self._accept("COMMA"):
                return tuple(windows)

