"""Expressions (lang_expr.html): parse.y's ``expr`` and ``term`` rules, window
definitions (lang_windowfunc.html) and ``sortlist``.

Operator precedence is parse.y's, lowest first (lang_expr.html, "Operators"):

    OR
    AND
    NOT                      (prefix; also NOT NULL / NOT LIKE / NOT IN ...)
    = == != <> IS IS NOT IS [NOT] DISTINCT FROM IN LIKE GLOB MATCH REGEXP
        BETWEEN ISNULL NOTNULL
    < <= > >=
    ESCAPE
    & | << >>
    + -
    * / %
    || -> ->>
    COLLATE
    ~ + -                    (prefix)

Binary operators are left-associative and parsed by precedence climbing,
iteratively, so a 100,000-term chain costs no Python recursion.  Every
internal method returns ``(node, height)``: ``height`` is the depth SQLite's
expr.c would give the node, checked against SQLITE_MAX_EXPR_DEPTH.
"""

from __future__ import annotations

from engine.sql.ast import (
    Between, Binary, Case, Cast, Collate, Column, CurrentTime, Exists, Frame,
    FrameBound, FunctionCall, InList, InSelect, Like, Literal, OrderingTerm,
    Param, Raise, RowValue, Select, SelectCore, Star, Subquery, TableRef, Unary,
    WindowSpec,
)
from engine.sql.parser_base import (
    CTIME_KEYWORDS, ID_KINDS, IDS_KINDS, JOIN_KEYWORDS, LIKE_KEYWORDS,
    MAX_FUNCTION_ARG, MAX_VARIABLE_NUMBER, NM_KINDS, ParserBase,
)
from engine.sql.tokenizer import Token, dequote

P_OR, P_AND, P_NOT, P_EQ, P_CMP, P_ESCAPE, P_BIT, P_ADD, P_MUL, P_CONCAT, P_COLLATE, P_UNARY = range(1, 13)

# kind -> (precedence, operator as stored in Binary.op)
BINARY_OPERATORS = {
    "OR": (P_OR, "OR"), "AND": (P_AND, "AND"),
    "EQ": (P_EQ, "="), "NE": (P_EQ, "!="),
    "LT": (P_CMP, "<"), "LE": (P_CMP, "<="), "GT": (P_CMP, ">"), "GE": (P_CMP, ">="),
    "BITAND": (P_BIT, "&"), "BITOR": (P_BIT, "|"), "LSHIFT": (P_BIT, "<<"), "RSHIFT": (P_BIT, ">>"),
    "PLUS": (P_ADD, "+"), "MINUS": (P_ADD, "-"),
    "STAR": (P_MUL, "*"), "SLASH": (P_MUL, "/"), "REM": (P_MUL, "%"),
    "CONCAT": (P_CONCAT, "||"), "PTR": (P_CONCAT, "->"),
}
# Operators at the level of "=" that are not plain binary operators.
_EQ_LEVEL = frozenset({"IS", "LIKE", "GLOB", "REGEXP", "MATCH", "BETWEEN", "IN", "ISNULL", "NOTNULL"})
_LIKE_OPS = LIKE_KEYWORDS | {"MATCH"}
_SELECT_START = frozenset({"SELECT", "VALUES", "WITH"})
_NULL = Literal(None)
_INT64_MIN_MAGNITUDE = 1 << 63

# Names that are not column names at the start of an expression: they start
# their own rule there (CAST(...), RAISE(...), CURRENT_TIME...).
_PRIMARY_KEYWORDS = frozenset({"CAST", "RAISE"}) | CTIME_KEYWORDS
_COLUMN_KINDS = (ID_KINDS | JOIN_KEYWORDS) - _PRIMARY_KEYWORDS
_FUNCTION_KINDS = ID_KINDS - _PRIMARY_KEYWORDS


def _parse_false(e) -> bool:
    return (type(e) is Literal and type(e.value) is int and e.value == 0) or \
        (type(e) is InList and not e.items and not e.negated)


class ExprParser(ParserBase):
    """Mixin: expression grammar.  Needs ``_parse_select`` from the select
    mixin for subqueries."""

    # state set up by the statement parser
    nvar: int
    var_numbers: dict
    hex_errors: dict
    hex_min_literals: dict
    param_seen: bool

    # -- public-ish entry points -------------------------------------------

    def _parse_expr(self) -> object:
        """``expr``, any precedence."""
        return self._expr(P_OR)[0]

    def _parse_nexprlist(self, first_extra: int, later_extra: int) -> tuple:
        """``nexprlist``: comma-separated expressions; the first is parsed with
        ``first_extra`` symbols above the current stack, later ones with
        ``later_extra``."""
        items = []
        self._enter(first_extra)
        items.append(self._expr(P_OR)[0])
        self.depth -= first_extra
        while self.tok.kind == "COMMA":
            self._next()
            self._enter(later_extra)
            items.append(self._expr(P_OR)[0])
            self.depth -= later_extra
        return tuple(items)

    # -- precedence climbing ------------------------------------------------

    def _expr(self, min_prec: int, no_and: bool = False):
        """An expression whose operators all bind at least as tightly as
        ``min_prec``.  ``no_and`` stops at a top-level AND (the low bound of
        BETWEEN)."""
        left, h = self._unary()
        binary = BINARY_OPERATORS
        while True:
            tok = self.tok
            kind = tok.kind
            entry = binary.get(kind)
            if entry is not None:
                prec, op = entry
                if prec < min_prec or (no_and and prec == P_AND):
                    break
                self._next()
                if prec == P_CONCAT and kind == "PTR":
                    op = tok.text
                self.depth += 2
                right, rh = self._expr(prec + 1)
                self.depth -= 2
                if op == "AND" and (_parse_false(left) or _parse_false(right)):
                    # sqlite3ExprAnd(): an AND with a literal 0 or "x IN ()"
                    # side is the integer 0 from here on (its other side is
                    # never resolved; ORDER BY then reads it as column 0).
                    left = Literal(0)
                else:
                    left = Binary(op, left, right)
                h = self._height((h if h > rh else rh) + 1)
            elif kind in _EQ_LEVEL:
                if P_EQ < min_prec:
                    break
                left, h = self._eq_level_operator(left, h, False)
            elif kind == "NOT":
                if P_NOT < min_prec:
                    break
                self._next()
                left, h = self._eq_level_operator(left, h, True)
            elif kind == "COLLATE":
                if P_COLLATE < min_prec:
                    break
                self._next()
                self._touch(3)
                left = Collate(left, self._ids())
                h = 1  # expr.c gives a COLLATE node height 1 whatever it wraps
            else:
                break
        return left, h

    def _eq_level_operator(self, left, h: int, negated: bool):
        """IS, LIKE & co., BETWEEN, IN, ISNULL, NOTNULL, and after a NOT:
        NULL, LIKE & co., BETWEEN, IN."""
        kind = self.tok.kind
        extra = 1 if negated else 0
        if negated:
            if kind == "NULL":
                self._next()
                self._touch(3)
                return Binary("IS NOT", left, _NULL), self._height(h + 1)
            if kind not in _LIKE_OPS and kind != "BETWEEN" and kind != "IN":
                self._error()
        if kind == "ISNULL" or kind == "NOTNULL":
            self._next()
            self._touch(2)
            op = "IS" if kind == "ISNULL" else "IS NOT"
            return Binary(op, left, _NULL), self._height(h + 1)
        if kind == "IS":
            self._next()
            stack = 2
            op = "IS"
            if self._accept("NOT"):
                stack = 3
                op = "IS NOT"
                if self._accept("DISTINCT"):
                    self._expect("FROM")
                    stack = 5
                    op = "IS"
            elif self._accept("DISTINCT"):
                self._expect("FROM")
                stack = 4
                op = "IS NOT"
            self._enter(stack)
            right, rh = self._expr(P_CMP)
            self.depth -= stack
            return Binary(op, left, right), self._height(max(h, rh) + 1)
        if kind in _LIKE_OPS:
            self._next()
            self._enter(2)
            pattern, ph = self._expr(P_CMP)
            escape = None
            eh = 0
            if self.tok.kind == "ESCAPE":
                self._next()
                self.depth += 2
                escape, eh = self._expr(P_CMP)
                self.depth -= 2
            self.depth -= 2
            node = Like(kind, left, pattern, escape, negated)
            return node, self._height(max(h, ph, eh) + 1 + extra)
        if kind == "BETWEEN":
            self._next()
            self._enter(2)
            low, _ = self._expr(P_OR, no_and=True)
            self._expect("AND")
            self._enter(2)
            high, _ = self._expr(P_CMP)
            self.depth -= 4
            # expr.c attaches the bounds without counting their height.
            return Between(left, low, high, negated), self._height(self._height(h + 1) + extra)
        # IN
        self._next()
        node, ih = self._in_rhs(left, negated)
        return node, self._height(self._height(max(h, ih) + 1) + extra)

    def _in_rhs(self, left, negated: bool):
        """After IN: ``(select)``, ``(expr, ...)`` or ``[schema.]table[(args)]``."""
        if self.tok.kind == "LP":
            self._next()
            if self.tok.kind in _SELECT_START:
                self._enter(3)
                select = self._parse_select()
                sh = self.last_select_height
                self.depth -= 3
                self._expect("RP")
                self._touch(5)
                return InSelect(left, select, negated), sh
            items = []
            ih = 0
            if self.tok.kind != "RP":
                self._enter(3)
                node, ih = self._expr(P_OR)
                items.append(node)
                self.depth -= 3
                while self.tok.kind == "COMMA":
                    self._next()
                    self._enter(5)
                    node, nh = self._expr(P_OR)
                    self.depth -= 5
                    items.append(node)
                    if nh > ih:
                        ih = nh
            self._expect("RP")
            self._touch(5)
            if type(left) is RowValue:
                # sqlite3ExprListToValues(): each item must be a row of the same width.
                for item in items:
                    width = len(item.items) if type(item) is RowValue else 1
                    if width != len(left.items):
                        self._defer(f"IN(...) element has {width} term{'s' if width > 1 else ''}"
                                    f" - expected {len(left.items)}")
                        break
            if len(items) == 1 and not isinstance(left, RowValue) and _is_constant(items[0]):
                ih += 1  # expr.c rewrites "x IN (c)" as "x = +c"
            return InList(left, tuple(items), negated), ih
        if self.tok.kind not in NM_KINDS:
            self._error()
        schema, name = self._qualified_name()
        args = None
        if self.tok.kind == "LP":
            self._next()
            args = ()
            if self.tok.kind != "RP":
                args = self._parse_nexprlist(6, 8)
            self._expect("RP")
        table = TableRef(name, schema, args=args)
        select = Select(SelectCore((Star(),), from_=table))
        return InSelect(left, select, negated), 1

    # -- unary operators and primaries ----------------------------------------

    def _unary(self):
        kind = self.tok.kind
        if kind == "NOT":
            self._next()
            self._enter(1)
            operand, h = self._expr(P_NOT)
            self.depth -= 1
            return Unary("NOT", operand), self._height(h + 1)
        if kind == "MINUS" or kind == "PLUS" or kind == "BITNOT":
            self._next()
            self._enter(1)
            operand, h = self._expr(P_UNARY)
            self.depth -= 1
            op = "-" if kind == "MINUS" else "+" if kind == "PLUS" else "~"
            if kind == "MINUS" and type(operand) is Literal:
                key = id(operand)
                if key in self.hex_errors:
                    text = self.hex_errors.pop(key)
                    self.hex_errors[key] = "-" + text
                elif key in self.hex_min_literals:
                    self.hex_errors[key] = "-" + self.hex_min_literals[key][1]
                    self.hex_nodes.append(operand)
                elif operand is self.int64_min_literal:
                    self.int64_min_literal = None
                    # "-9223372036854775808" is the smallest integer, not a real.
                    return Literal(-_INT64_MIN_MAGNITUDE), self._height(h + 1)
            return Unary(op, operand), self._height(h + 1)
        return self._primary()

    def _primary(self):
        tok = self.tok
        kind = tok.kind
        if kind == "INTEGER":
            self._next()
            self._touch(1)
            return self._integer(tok), 1
        if kind == "STRING":
            if self._peek().kind == "DOT":
                return self._qualified_column()
            self._next()
            self._touch(1)
            return Literal(dequote(tok.text)), 1
        if kind == "FLOAT":
            self._next()
            self._touch(1)
            return Literal(float(tok.text)), 1
        if kind == "NULL":
            self._next()
            self._touch(1)
            return _NULL, 1
        if kind == "LP":
            return self._parenthesized()
        if kind in _COLUMN_KINDS:
            nxt = self._peek().kind
            if nxt == "LP" and kind in _FUNCTION_KINDS:
                return self._function_call()
            if nxt == "DOT":
                return self._qualified_column()
            self._next()
            self._touch(1)
            quoted = tok.text[0] == '"'
            return self._mark(Column(dequote(tok.text), quoted=quoted), tok), 1
        if kind == "VARIABLE":
            self._next()
            self._touch(1)
            return self._variable(tok), 1
        if kind == "BLOB":
            self._next()
            self._touch(1)
            return Literal(bytes.fromhex(tok.text[2:-1])), 1
        if kind in CTIME_KEYWORDS:
            self._next()
            self._touch(1)
            return CurrentTime(kind), 1
        if kind == "CASE":
            return self._case()
        if kind == "CAST":
            return self._cast()
        if kind == "EXISTS":
            self._next()
            self._expect("LP")
            self._enter(2)
            select = self._parse_select()
            sh = self.last_select_height
            self.depth -= 2
            self._expect("RP")
            self._touch(4)
            return Exists(select), self._height(sh + 1)
        if kind == "RAISE":
            return self._raise()
        self._error()

    def _integer(self, tok: Token) -> Literal:
        text = tok.text
        if len(text) > 2 and text[1] in "xX":
            value = int(text, 16)
            if value >= 1 << 64:
                node = Literal(value)
                # Keyed by identity; the value keeps the node alive so that
                # its id is not reused within the statement.
                self.hex_errors[id(node)] = text
                self.hex_nodes.append(node)
                return node
            if value >= 1 << 63:
                value -= 1 << 64
            node = Literal(value)
            if value == -_INT64_MIN_MAGNITUDE:
                # 0x8000000000000000 is the smallest integer; negating it
                # would overflow, which sqlite3 reports as a hex literal error.
                self.hex_min_literals[id(node)] = (node, text)
            return node
        value = int(text)
        if value < _INT64_MIN_MAGNITUDE:
            return Literal(value)
        node = Literal(float(text))
        if value == _INT64_MIN_MAGNITUDE:
            self.int64_min_literal = node
        return node

    def _variable(self, tok: Token) -> Param:
        text = tok.text
        if text[0] == "?":
            if len(text) == 1:
                self.nvar += 1
                number = self.nvar
            else:
                digits = text[1:]
                number = int(digits) if len(digits) < 20 else 0
                if not 1 <= number <= MAX_VARIABLE_NUMBER:
                    self._defer(f"variable number must be between ?1 and ?{MAX_VARIABLE_NUMBER}")
                    number = 0
                elif number > self.nvar:
                    self.nvar = number
        elif text[0] == "#" and len(text) > 1 and text[1].isdigit():
            self._error(tok)  # "#NNN" is only for SQLite's own nested parses
        else:
            number = self.var_numbers.get(text)
            if number is None:
                self.nvar += 1
                number = self.var_numbers[text] = self.nvar
        if self.nvar > MAX_VARIABLE_NUMBER:
            self._defer("too many SQL variables")
        self.param_seen = True
        return Param(number, text)

    def _qualified_column(self):
        """``nm DOT nm [DOT nm]``."""
        t1 = self.tok
        first = self._nm()
        self._expect("DOT")
        t2 = self.tok
        second = self._nm()
        if self.tok.kind == "DOT":
            self._next()
            t3 = self.tok
            third = self._nm()
            self._touch(5)
            return self._mark(Column(third, second, first), t3, t2, t1), self._height(3)
        self._touch(3)
        return self._mark(Column(second, first), t2, t1), 2

    def _parenthesized(self):
        """``(expr)``, ``(select)`` or a row value ``(expr, expr, ...)``."""
        self._next()
        if self.tok.kind in _SELECT_START:
            self._enter(1)
            select = self._parse_select()
            sh = self.last_select_height
            self.depth -= 1
            self._expect("RP")
            self._touch(3)
            return Subquery(select), self._height(sh + 1)
        self._enter(1)
        node, h = self._expr(P_OR)
        self.depth -= 1
        if self.tok.kind != "COMMA":
            self._expect("RP")
            self._touch(3)
            return node, h
        items = [node]
        while self.tok.kind == "COMMA":
            self._next()
            self._enter(3)
            items.append(self._expr(P_OR)[0])
            self.depth -= 3
        self._expect("RP")
        self._touch(5)
        return RowValue(tuple(items)), 1  # expr.c leaves a vector at height 1

    def _function_call(self):
        name_tok = self._next()
        name = dequote(name_tok.text)
        self._next()  # LP
        args: tuple = ()
        distinct = star = False
        h = 0
        if self.tok.kind == "STAR":
            self._next()
            self._expect("RP")
            self._touch(4)
            star = True
        else:
            if self.tok.kind == "DISTINCT":
                self._next()
                distinct = True
            elif self.tok.kind == "ALL":
                self._next()
            if self.tok.kind != "RP":
                items = []
                self._enter(3)
                node, h = self._expr(P_OR)
                self.depth -= 3
                items.append(node)
                while self.tok.kind == "COMMA":
                    self._next()
                    self._enter(5)
                    node, nh = self._expr(P_OR)
                    self.depth -= 5
                    items.append(node)
                    if nh > h:
                        h = nh
                args = tuple(items)
            self._expect("RP")
            self._touch(5)
        filter_ = over = None
        if self.tok.kind == "FILTER":
            self._next()
            self._expect("LP")
            self._expect("WHERE")
            self._enter(8)
            filter_ = self._expr(P_OR)[0]
            self.depth -= 8
            self._expect("RP")
        if self.tok.kind == "OVER":
            self._next()
            if self.tok.kind == "LP":
                self._next()
                self._enter(8)
                over = self._window_spec()
                self.depth -= 8
                self._expect("RP")
            else:
                over = self._nm()
        if distinct and over is not None:
            self._defer("DISTINCT is not supported for window functions")
        if len(args) > MAX_FUNCTION_ARG:
            self._defer(f"too many arguments on function {name_tok.text}")
        node = FunctionCall(name, args, distinct, star, filter_, over)
        return node, self._height(h + 1)

    def _case(self):
        self._next()
        self._enter(1)
        operand = None
        h = 0
        if self.tok.kind != "WHEN":
            operand, h = self._expr(P_OR)
        whens = []
        first = True
        while True:
            self._expect("WHEN")
            extra = 2 if first else 3
            self._enter(extra)
            cond, ch = self._expr(P_OR)
            self._expect("THEN")
            self._enter(2)
            result, rh = self._expr(P_OR)
            self.depth -= extra + 2
            whens.append((cond, result))
            h = max(h, ch, rh)
            first = False
            if self.tok.kind != "WHEN":
                break
        else_ = None
        if self.tok.kind == "ELSE":
            self._next()
            self._enter(3)
            else_, eh = self._expr(P_OR)
            self.depth -= 3
            h = max(h, eh)
        self._expect("END")
        self._touch(4)
        self.depth -= 1
        return Case(operand, tuple(whens), else_), self._height(h + 1)

    def _cast(self):
        self._next()
        self._expect("LP")
        self._enter(2)
        operand, h = self._expr(P_OR)
        self.depth -= 2
        self._expect("AS")
        type_name = self._parse_typetoken() or ""
        self._expect("RP")
        self._touch(6)
        # expr.c attaches the operand without checking the new height.
        return Cast(operand, type_name), h + 1

    def _raise(self):
        self._next()
        self._expect("LP")
        if self.tok.kind == "IGNORE":
            self._next()
            self._expect("RP")
            self._touch(4)
            return Raise("IGNORE"), 1
        kind = self.tok.kind
        if kind not in ("ROLLBACK", "ABORT", "FAIL"):
            self._error()
        self._next()
        self._expect("COMMA")
        # 3.40's grammar takes a name or string here, not an expression.
        message = Literal(self._nm())
        self._expect("RP")
        self._touch(6)
        return Raise(kind, message), 1

    # -- type names --------------------------------------------------------

    def _parse_typetoken(self) -> str | None:
        """``typetoken``: words, then optionally ``(n)`` or ``(n, m)``.  Returns
        the source text as sqlite3 keeps it (dequoted like sqlite3Dequote), or
        None when there is no type."""
        if self.tok.kind not in IDS_KINDS:
            return None
        start = self.tok.start
        end = self._next().end
        while self.tok.kind in IDS_KINDS:
            end = self._next().end
        if self.tok.kind == "LP":
            self._next()
            self._signed()
            if self._accept("COMMA"):
                self._signed()
            end = self._expect("RP").end
        return self.sql[start:end]

    def _signed(self) -> None:
        if self.tok.kind in ("PLUS", "MINUS"):
            self._next()
        if self.tok.kind not in ("INTEGER", "FLOAT"):
            self._error()
        self._next()

    # -- ORDER BY and windows ----------------------------------------------

    def _parse_sortlist(self, first_extra: int, later_extra: int) -> tuple:
        """``sortlist``: ``expr [ASC|DESC] [NULLS FIRST|LAST]``, ..."""
        terms = []
        extra = first_extra
        height = 0
        while True:
            self._enter(extra)
            expr, h = self._expr(P_OR)
            self.depth -= extra
            if h > height:
                height = h
            desc = False
            if self.tok.kind == "ASC":
                self._next()
            elif self.tok.kind == "DESC":
                self._next()
                desc = True
            nulls = None
            if self.tok.kind == "NULLS":
                self._next()
                if self.tok.kind not in ("FIRST", "LAST"):
                    self._error()
                nulls = self._next().kind
            terms.append(OrderingTerm(expr, desc, nulls))
            if self.tok.kind != "COMMA":
                self.last_list_height = height
                return tuple(terms)
            self._next()
            extra = later_extra

    def _window_spec(self) -> WindowSpec:
        """``window``: ``[base] [PARTITION BY ...] [ORDER BY ...] [frame]``,
        the inside of ``OVER (...)`` and of ``AS (...)`` in a WINDOW clause."""
        base = None
        kind = self.tok.kind
        if kind not in ("PARTITION", "ORDER", "RANGE", "ROWS", "GROUPS") and kind in NM_KINDS:
            base = self._nm()
        partition_by: tuple = ()
        order_by: tuple = ()
        if self.tok.kind == "PARTITION":
            self._next()
            self._expect("BY")
            partition_by = self._parse_nexprlist(3, 5)
        if self.tok.kind == "ORDER":
            self._next()
            self._expect("BY")
            order_by = self._parse_sortlist(3, 5)
        frame = None
        if self.tok.kind in ("RANGE", "ROWS", "GROUPS"):
            frame = self._frame()
        return WindowSpec(base, partition_by, order_by, frame)

    def _frame(self) -> Frame:
        units = self._next().kind
        if self._accept("BETWEEN"):
            start = self._frame_bound(True)
            self._expect("AND")
            end = self._frame_bound(False)
        else:
            start = self._frame_bound(True)
            end = FrameBound("CURRENT ROW")
        exclude = None
        if self._accept("EXCLUDE"):
            kind = self.tok.kind
            if kind == "NO":
                self._next()
                self._expect("OTHERS")
                exclude = "NO OTHERS"
            elif kind == "CURRENT":
                self._next()
                self._expect("ROW")
                exclude = "CURRENT ROW"
            elif kind in ("GROUP", "TIES"):
                exclude = self._next().kind
            else:
                self._error()
        s, e = start.kind, end.kind
        if (s == "CURRENT ROW" and e == "PRECEDING") or (
                s == "FOLLOWING" and e in ("PRECEDING", "CURRENT ROW")):
            self._defer("unsupported frame specification")
        return Frame(units, start, end, exclude)

    def _frame_bound(self, is_start: bool) -> FrameBound:
        kind = self.tok.kind
        if kind == "UNBOUNDED":
            self._next()
            if is_start:
                self._expect("PRECEDING")
                return FrameBound("UNBOUNDED PRECEDING")
            self._expect("FOLLOWING")
            return FrameBound("UNBOUNDED FOLLOWING")
        if kind == "CURRENT":
            self._next()
            self._expect("ROW")
            return FrameBound("CURRENT ROW")
        self._enter(4)
        offset = self._expr(P_OR)[0]
        self.depth -= 4
        if self.tok.kind not in ("PRECEDING", "FOLLOWING"):
            self._error()
        return FrameBound(self._next().kind, offset)


def _is_constant(node) -> bool:
    """sqlite3ExprIsConstant() for the shapes it accepts at parse time."""
    while type(node) is Unary:
        node = node.operand
    return type(node) in (Literal, Param)
