"""Expressions compiled once into Python closures (DESIGN.md house style 5).

``ExprCompiler.compile(node)`` turns a syntax-tree expression into a function
of the working row.  Names are resolved against a :class:`~engine.plan.scope.Scope`
at compile time, so a column reference becomes a plain index into the row.
Affinity and collation of each operand (datatype3.html section 4) are also
decided at compile time; only the values are looked at per row.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from operator import itemgetter
from typing import Callable

from ..errors import SQLError
from ..sql import ast
from . import ops
from .aggregates import is_aggregate_call
from .functions import NEEDS_COLLATION, NEEDS_RUNTIME, SCALARS
from .json1 import JSON_OPERATORS, JSON_PRODUCERS, JSON_SCALARS, SUBTYPED_COLUMNS, plain, subtyped
from .values import (
    NONE, affinity_of_type, cast, collation_key_function, truth,
)

Fn = Callable[[tuple], object]


def _keeps_jump(e) -> bool:
    """Whether the operands of ``e`` stay in a condition's jump context."""
    t = type(e)
    return (t is ast.Binary and e.op in ("AND", "OR")) or (t is ast.Unary and e.op == "NOT") \
        or t is ast.Between


def _exists_without_columns(sel):
    """The EXISTS subquery ``sel`` with its result columns replaced by 1 and
    its ORDER BY dropped, when that cannot change whether it has rows: one
    SELECT without aggregates, GROUP BY, DISTINCT or window functions.  None
    otherwise."""
    body = sel.body
    if not isinstance(body, ast.SelectCore) or body.group_by or body.having is not None \
            or body.distinct or body.windows:
        return None
    for rc in body.columns:
        if not isinstance(rc, ast.ResultColumn):
            continue
        for node in walk(rc.expr):
            if isinstance(node, ast.FunctionCall) and (node.over is not None or node.filter is not None
                                                     or is_aggregate_call(node.name, len(node.args), node.star)):
                return None
            if isinstance(node, (ast.Subquery, ast.Exists, ast.InSelect)):
                return None      # an aggregate inside may belong to this query
    one = ast.ResultColumn(ast.Literal(1), None, "1")
    return replace(sel, body=replace(body, columns=(one,)), order_by=())


def _constant_element(node) -> bool:
    while isinstance(node, (ast.Unary, ast.Collate)):
        node = node.operand if isinstance(node, ast.Unary) else node.expr
    return isinstance(node, (ast.Literal, ast.Param))

MAX_EXPR_DEPTH = 1000


class Runtime:
    """Per-execution state shared by the closures of one compiled statement:
    bound parameters, the database (for changes() and friends), caches of
    uncorrelated subqueries, and the interrupt flag."""

    __slots__ = ("params", "db", "cache", "now")

    def __init__(self, db=None):
        self.params: list = []
        self.db = db
        self.cache: dict = {}
        self.now = None

    def start(self, params) -> None:
        self.params = params
        self.cache.clear()
        self.now = None


@dataclass(frozen=True, slots=True)
class Slot:
    """A reference to a slot of the working row made by the planner (e.g. the
    expansion of ``*``), with the affinity and collation of what it holds."""

    slot: int
    affinity: str = NONE
    collation: str | None = None
    alt: int | None = None      # coalesce with this slot (USING in RIGHT/FULL joins)


def _coalesced(a: int, b: int) -> Fn:
    def value(row):
        v = row[a]
        return v if v is not None else row[b]
    return value


def _const(v) -> Fn:
    return lambda row: v


class ExprCompiler:
    """Compiles expressions of one query level.

    ``aggregates`` maps aggregate call nodes to slots of the row after
    grouping (then ``scope`` is that row's scope); ``aliases`` maps result
    column aliases (lower case) to their expressions, for names that match no
    column; ``plan_subquery(select, scope)`` plans a nested SELECT.
    """

    def __init__(self, scope, runtime: Runtime, plan_subquery, *, aggregates=None,
                 aliases=None, context: str = ""):
        self.scope = scope
        self.rt = runtime
        self.plan_subquery = plan_subquery
        self.aggregates = aggregates
        self.aliases = aliases or {}
        self.context = context  # e.g. "WHERE": where aggregates are a misuse
        self._alias_stack: list[str] = []
        # Compiling a condition sqlite3 codes as jumps (WHERE, ON, HAVING,
        # FILTER, CASE WHEN): AND, OR and BETWEEN stop at the first deciding
        # operand there; as values (a result column, an operand) sqlite3
        # computes every operand, so an error in any of them is raised.
        self._jump = False

    # -- metadata ---------------------------------------------------------

    def affinity(self, e) -> str:
        """The affinity of an expression (sqlite3ExprAffinity)."""
        while isinstance(e, ast.Collate):
            e = e.expr
        if isinstance(e, ast.Column):
            r = self._resolve(e)
            if r is None:
                alias = self._alias_for(e)
                return self.affinity(alias) if alias is not None else NONE
            return r.info.affinity
        if isinstance(e, ast.Cast):
            return affinity_of_type(e.type_name)
        if isinstance(e, Slot):
            return e.affinity
        if isinstance(e, ast.Subquery):
            sub = self.plan_subquery(e.select, self.scope)
            return sub.columns[0].affinity if sub.columns else NONE
        if isinstance(e, ast.RowValue):
            return self.affinity(e.items[0])
        if self.aggregates is not None and e in self.aggregates and isinstance(e, ast.FunctionCall):
            return NONE
        return NONE

    def collation(self, e) -> tuple[str | None, bool]:
        """(collation name or None, whether it was given explicitly)."""
        while True:
            if isinstance(e, ast.Collate):
                return e.collation, True
            if isinstance(e, ast.Column):
                r = self._resolve(e)
                if r is None:
                    alias = self._alias_for(e)
                    if alias is not None:
                        return self.collation(alias)
                    return None, False
                if r.info.collation is None and not r.info.is_rowid:
                    return "BINARY", False
                return r.info.collation, False
            if isinstance(e, ast.Cast) or (isinstance(e, ast.Unary) and e.op == "+"):
                e = e.expr if isinstance(e, ast.Cast) else e.operand
                continue
            if isinstance(e, ast.Subquery):
                return None, False
            if isinstance(e, Slot):
                return e.collation, False
            # Any other operator carries an explicit COLLATE of an operand.
            for child in _children(e):
                name, explicit = self.collation(child)
                if explicit:
                    return name, True
            return None, False

    def binary_collation(self, left, right):
        ln, le = self.collation(left)
        if le:
            return ln
        rn, re_ = self.collation(right)
        if re_:
            return rn
        return ln if ln is not None else rn

    # -- compilation ------------------------------------------------------

    def compile(self, e, depth: int = 0) -> Fn:
        if depth > MAX_EXPR_DEPTH:
            raise SQLError(f"Expression tree is too large (maximum depth {MAX_EXPR_DEPTH})")
        method = getattr(self, "_c_" + type(e).__name__, None)
        if method is None:
            raise SQLError(f"unsupported expression: {type(e).__name__}")
        if self._jump and not _keeps_jump(e):
            self._jump = False
            try:
                return method(e, depth + 1)
            finally:
                self._jump = True
        return method(e, depth + 1)

    def compile_condition(self, e, depth: int = 0) -> Fn:
        """``e`` compiled as a condition (jump context, see ``_jump``)."""
        saved = self._jump
        self._jump = True
        try:
            return self.compile(e, depth)
        finally:
            self._jump = saved

    def compile_predicate(self, e) -> Callable[[tuple], bool]:
        """A function that is True only where ``e`` is true (NULL is not)."""
        f = self.compile_condition(e)
        return lambda row: truth(f(row)) is True

    def _fold(self, fn: Fn, *parts_const: bool) -> Fn:
        return fn

    def _c_Slot(self, e, d):
        shift = getattr(self.scope, "n_aggs", 0)
        if e.alt is not None:
            return _coalesced(e.slot + shift, e.alt + shift)
        return itemgetter(e.slot + shift)

    def _c_Literal(self, e, d):
        return _const(e.value)

    def _c_CurrentTime(self, e, d):
        from datetime import datetime, timezone
        rt = self.rt
        kind = e.kind.upper()

        def now(row):
            if rt.now is None:
                rt.now = datetime.now(timezone.utc)
            t = rt.now
            if kind == "CURRENT_DATE":
                return t.strftime("%Y-%m-%d")
            if kind == "CURRENT_TIME":
                return t.strftime("%H:%M:%S")
            return t.strftime("%Y-%m-%d %H:%M:%S")
        return now

    def _c_Param(self, e, d):
        rt = self.rt
        i = e.number - 1

        def param(row):
            p = rt.params
            return p[i] if i < len(p) else None
        return param

    def _resolve(self, e: ast.Column):
        if e.schema is not None and (e.table is None or e.schema.lower() not in ("main", "temp")):
            return None
        return self.scope.resolve(e.name, e.table)

    def _alias_for(self, e: ast.Column):
        if e.table is not None:
            return None
        key = e.name.lower()
        if key in self.aliases and key not in self._alias_stack:
            return self.aliases[key]
        return None

    def _c_Column(self, e, d):
        r = self._resolve(e)
        if r is None:
            alias = self._alias_for(e)
            if alias is not None:
                self._alias_stack.append(e.name.lower())
                try:
                    return self.compile(alias, d)
                finally:
                    self._alias_stack.pop()
            if e.table is None and e.quoted:
                return _const(e.name)  # SQLite's double-quoted string fallback
            if e.table is None and not e.quoted and e.name.lower() in ("true", "false"):
                return _const(1 if e.name.lower() == "true" else 0)
            shown = ".".join(p for p in (e.schema, e.table, e.name) if p)
            raise SQLError(f"no such column: {shown}")
        if r.alt is not None and r.scope is self.scope:
            return _coalesced(r.slot, r.alt)
        if r.scope is self.scope:
            return itemgetter(r.slot)
        cell = r.scope.cell
        slot = r.slot
        return lambda row: cell.row[slot]

    def _c_Unary(self, e, d):
        f = self.compile(e.operand, d)
        if e.op == "-":
            if isinstance(e.operand, ast.Literal):
                return _const(ops.negate(e.operand.value))
            return lambda row: ops.negate(f(row))
        if e.op == "+":
            return f
        if e.op == "~":
            return lambda row: ops.bit_not(f(row))
        if e.op == "NOT":
            return lambda row: ops.logical_not(f(row))
        raise SQLError(f"unknown operator {e.op}")

    def comparison(self, op: str, left, right):
        """The (a, b) -> 1/0/None function for ``left op right``."""
        aff = ops.comparison_affinity(self.affinity(left), self.affinity(right))
        conv = ops.converter_for(aff)
        coll = collation_key_function(self.binary_collation(left, right))
        return ops.make_comparison(op, conv, coll)

    def _c_Binary(self, e, d):
        op = e.op
        if op in ("AND", "OR"):
            return self._c_logical(e, d)
        if isinstance(e.left, ast.RowValue) or isinstance(e.right, ast.RowValue) \
                or (op in _COMPARISONS and (self._is_row_subquery(e.left) or self._is_row_subquery(e.right))):
            return self._c_row_compare(e, d)
        if op in ("->", "->>"):
            return self._c_json_operator(e, d)
        fl = self.compile(e.left, d)
        fr = self.compile(e.right, d)
        if op in ("IS", "IS NOT") and self._truth_keyword(e.right) is not None:
            # x IS [NOT] TRUE|FALSE tests the truth of x (NULL is neither).
            want = self._truth_keyword(e.right)
            if op == "IS":
                return lambda row: 1 if truth(fl(row)) is want else 0
            return lambda row: 0 if truth(fl(row)) is want else 1
        if op in ("=", "!=", "<", "<=", ">", ">=", "IS", "IS NOT"):
            cmp = self.comparison(op, e.left, e.right)
            return lambda row: cmp(fl(row), fr(row))
        fn = ops.BINARY_ARITH.get(op)
        if fn is None:
            raise SQLError(f"unsupported operator: {op}")
        return lambda row: fn(fl(row), fr(row))

    def _always_false(self, e) -> bool:
        # The keyword FALSE does not count: sqlite3 folds only a literal 0
        # (engine/sql/parser_expr.py does it while parsing).
        return isinstance(e, ast.Literal) and type(e.value) is int and e.value == 0

    def _truth_keyword(self, e) -> bool | None:
        """True/False when ``e`` is the keyword TRUE/FALSE (not a column), or
        ``x [NOT] IN ()``, which sqlite3's parser turns into FALSE/TRUE."""
        if isinstance(e, ast.InList) and not e.items:
            return e.negated
        if isinstance(e, ast.Column) and e.table is None and not e.quoted \
                and e.name.lower() in ("true", "false") and self._resolve(e) is None:
            return e.name.lower() == "true"
        return None

    def _c_json_operator(self, e, d):
        raw = self._take_raw()
        fn = JSON_OPERATORS.get(e.op)
        if fn is None:
            raise SQLError(f"unsupported operator: {e.op}")
        fl = self.compile_json_arg(e.left, d)
        fr = self.compile(e.right, d)
        if e.op == "->" and not raw:
            return lambda row: plain(fn(fl(row), fr(row)))
        return lambda row: fn(fl(row), fr(row))

    # -- the JSON subtype: passed only from a JSON function straight into another

    _raw = False

    def _take_raw(self) -> bool:
        raw, self._raw = self._raw, False
        return raw

    def compile_json_arg(self, e, d: int = 0):
        """Compile an argument of a JSON function: a JSON-producing call hands
        over its result with the JSON subtype (JsonText) instead of plain text."""
        if (isinstance(e, ast.FunctionCall) and e.name.lower() in JSON_PRODUCERS and e.over is None) \
                or (isinstance(e, ast.Binary) and e.op == "->"):
            self._raw = True
            try:
                return self.compile(e, d)
            finally:
                self._raw = False
        if isinstance(e, ast.Column):
            typed = self._json_table_value(e, d)
            if typed is not None:
                return typed
        return self.compile(e, d)

    def _json_table_value(self, e, d):
        """json_each/json_tree's ``value`` read directly by a JSON function
        keeps its JSON subtype in sqlite3 (json_array(value) nests an array):
        the value paired with the row's ``type`` column, or None when ``e``
        is not such a column."""
        r = self._resolve(e)
        if r is None or r.source is None or r.alt is not None:
            return None
        cols = r.source.columns
        if len(cols) < 2 or not (cols[-1].hidden and cols[-2].hidden
                                 and cols[-2].name == "json" and cols[-1].name == "root"):
            return None          # not a json_each/json_tree source
        other = SUBTYPED_COLUMNS.get(r.info.name.lower())
        if other is None:
            return None
        names = [c.name for c in cols]
        if other not in names:
            return None
        type_slot = r.source.offset + names.index(other)
        value = self.compile(e, d)
        if r.scope is self.scope:
            return lambda row: subtyped(value(row), row[type_slot])
        cell = r.scope.cell
        return lambda row: subtyped(value(row), cell.row[type_slot])

    def _is_row_subquery(self, e) -> bool:
        return isinstance(e, ast.Subquery) and len(self.plan_subquery(e.select, self.scope).columns) > 1

    def _row_side(self, e, d) -> list:
        """One side of a row-value comparison: [(fn, affinity, collation, explicit)]."""
        if isinstance(e, ast.RowValue):
            return [(self.compile(x, d), self.affinity(x)) + self.collation(x) for x in e.items]
        if isinstance(e, ast.Subquery):
            sub = self.plan_subquery(e.select, self.scope)
            cell = self.scope.cell
            n = len(sub.columns)

            def first_row(row):
                cell.row = row
                for r in sub.rows():
                    return r
                return (None,) * n
            return [((lambda row, i=i: first_row(row)[i]), c.affinity, c.collation, False)
                    for i, c in enumerate(sub.columns)]
        return [(self.compile(e, d), self.affinity(e)) + self.collation(e)]

    @staticmethod
    def _pair(op: str, left, right):
        """The comparison function of one pair of row-value members."""
        _fa, aff_a, coll_a, exp_a = left
        _fb, aff_b, coll_b, exp_b = right
        coll = coll_a if exp_a else coll_b if exp_b else (coll_a if coll_a is not None else coll_b)
        conv = ops.converter_for(ops.comparison_affinity(aff_a, aff_b))
        return ops.make_comparison(op, conv, collation_key_function(coll))

    def _c_row_compare(self, e, d):
        left = self._row_side(e.left, d)
        right = self._row_side(e.right, d)
        if len(left) != len(right):
            raise SQLError("row value misused")
        op = e.op
        pairs = [(a[0], b[0], self._pair("=", a, b), self._pair("<", a, b), self._pair("IS", a, b))
                 for a, b in zip(left, right)]
        if op in ("IS", "IS NOT"):
            want = op == "IS"

            def is_(row):
                eq = all(isf(fa(row), fb(row)) for fa, fb, _, _, isf in pairs)
                return 1 if eq == want else 0
            return is_

        def rowcmp(row):
            # Lexicographic comparison with SQL NULL semantics.
            values = [(fa(row), fb(row), eqf, ltf) for fa, fb, eqf, ltf, _ in pairs]
            for k, (a, b, eqf, ltf) in enumerate(values):
                eq = eqf(a, b)
                if eq is None:
                    if op in ("=", "!=") and any(q(x, y) == 0 for x, y, q, _ in values[k + 1:]):
                        return 0 if op == "=" else 1   # a later pair already differs
                    return None
                if not eq:
                    if op == "=":
                        return 0
                    if op == "!=":
                        return 1
                    lt = ltf(a, b)
                    return lt if op in ("<", "<=") else 1 - lt
            return 1 if op in ("=", "<=", ">=") else 0
        return rowcmp

    def _c_logical(self, e, d):
        # Flatten long AND/OR chains so deep trees do not recurse per row.
        terms = []
        stack = [e]
        while stack:
            n = stack.pop()
            if isinstance(n, ast.Binary) and n.op == e.op:
                stack.append(n.right)
                stack.append(n.left)
            else:
                terms.append(n)
        if e.op == "AND" and any(self._always_false(t) for t in terms):
            # SQLite folds "x AND 0" to 0 while parsing, before names are
            # checked (sqlite3ExprAnd), so x is never compiled.
            return _const(0)
        fns = [self.compile(t, d) for t in terms]
        if not self._jump:
            # As a value: every operand is computed, then combined.
            want = False if e.op == "AND" else True

            def all_terms(row):
                values = [truth(f(row)) for f in fns]
                if want in values:
                    return 0 if want is False else 1
                if None in values:
                    return None
                return 1 if e.op == "AND" else 0
            return all_terms
        if e.op == "AND":
            def and_(row):
                unknown = False
                for f in fns:
                    t = truth(f(row))
                    if t is False:
                        return 0
                    if t is None:
                        unknown = True
                return None if unknown else 1
            return and_

        def or_(row):
            unknown = False
            for f in fns:
                t = truth(f(row))
                if t is True:
                    return 1
                if t is None:
                    unknown = True
            return None if unknown else 0
        return or_

    def _like(self, fv, fp, fe, neg):
        """LIKE, case-sensitive for ASCII while PRAGMA case_sensitive_like is on
        (read when the row is evaluated: the pragma may change in between)."""
        db = self.rt.db if self.rt is not None else None

        def like(row):
            settings = getattr(db, "settings", None)
            cs = bool(settings.get("case_sensitive_like")) if settings else False
            r = ops.like(fv(row), fp(row), fe(row) if fe is not None else None, cs)
            return r if r is None or not neg else 1 - r
        return like

    def _c_Like(self, e, d):
        fv = self.compile(e.expr, d)
        fp = self.compile(e.pattern, d)
        fe = self.compile(e.escape, d) if e.escape is not None else None
        neg = e.negated
        if e.op == "LIKE":
            return self._like(fv, fp, fe, neg)
        if e.op == "GLOB":
            if fe is not None:
                raise SQLError("wrong number of arguments to function GLOB()")

            def glob(row):
                r = ops.glob(fv(row), fp(row))
                return r if r is None or not neg else 1 - r
            return glob
        if e.op == "MATCH":
            raise SQLError("unable to use function MATCH in the requested context")
        raise SQLError(f"no such function: {e.op}")

    def _c_Between(self, e, d):
        if any(isinstance(x, ast.RowValue) for x in (e.expr, e.low, e.high)):
            both = ast.Binary("AND", ast.Binary(">=", e.expr, e.low), ast.Binary("<=", e.expr, e.high))
            return self.compile(ast.Unary("NOT", both) if e.negated else both, d)
        fx = self.compile(e.expr, d)
        fl = self.compile(e.low, d)
        fh = self.compile(e.high, d)
        ge = self.comparison(">=", e.expr, e.low)
        le = self.comparison("<=", e.expr, e.high)
        neg = e.negated
        if not self._jump:
            def between_value(row):
                x = fx(row)
                lo = fl(row)
                hi = fh(row)
                a = ge(x, lo)
                b = le(x, hi)
                if a == 0 or b == 0:
                    return 1 if neg else 0
                if a is None or b is None:
                    return None
                return 0 if neg else 1
            return between_value

        def between(row):
            x = fx(row)
            a = ge(x, fl(row))
            if a == 0:
                return 1 if neg else 0
            b = le(x, fh(row))
            if b == 0:
                return 1 if neg else 0
            if a is None or b is None:
                return None
            return 0 if neg else 1
        return between

    def _c_InList(self, e, d):
        if not e.items:
            return _const(1 if e.negated else 0)
        fx = self.compile(e.expr, d)
        # Every element is compared under the left operand's affinity and
        # collation (exprINAffinity); a lone constant element is compared as
        # "x = +c" (so a COLLATE on it still counts).
        conv = ops.converter_for(self.affinity(e.expr))
        if len(e.items) == 1 and _constant_element(e.items[0]):
            coll = self.binary_collation(e.expr, e.items[0])
        else:
            coll = self.collation(e.expr)[0]
        eq = ops.make_comparison("=", conv, collation_key_function(coll))
        items = [(self.compile(i, d), eq) for i in e.items]
        neg = e.negated

        def in_list(row):
            x = fx(row)
            if x is None:
                return None
            unknown = False
            for f, eq in items:
                r = eq(x, f(row))
                if r == 1:
                    return 0 if neg else 1
                if r is None:
                    unknown = True
            if unknown:
                return None
            return 1 if neg else 0
        return in_list

    def _c_InSelect(self, e, d):
        sub = self.plan_subquery(e.select, self.scope)
        lhs = e.expr.items if isinstance(e.expr, ast.RowValue) else (e.expr,)
        if len(sub.columns) != len(lhs):
            raise SQLError(f"sub-select returns {len(sub.columns)} columns - expected {len(lhs)}")
        fx = [self.compile(x, d) for x in lhs]
        eqs = []
        for x, col in zip(lhs, sub.columns):
            aff = ops.comparison_affinity(self.affinity(x), col.affinity)
            lname, lexp = self.collation(x)
            coll = lname if lexp or lname else col.collation
            eqs.append(ops.make_comparison("=", ops.converter_for(aff), collation_key_function(coll)))
        neg = e.negated
        rt = self.rt
        key = id(sub)

        def values():
            if sub.correlated:
                return list(sub.rows())
            cached = rt.cache.get(key)
            if cached is None:
                cached = rt.cache[key] = list(sub.rows())
            return cached

        cell = self.scope.cell

        def in_select(row):
            xs = [f(row) for f in fx]
            cell.row = row
            rows = values()
            if not rows:
                return 1 if neg else 0
            if len(xs) == 1 and xs[0] is None:
                return None
            unknown = False
            for r in rows:
                res = 1
                for x, v, eq in zip(xs, r, eqs):
                    c = eq(x, v)
                    if c == 0:
                        res = 0
                        break
                    if c is None:
                        res = None
                if res == 1:
                    return 0 if neg else 1
                if res is None:
                    unknown = True
            if unknown:
                return None
            return 1 if neg else 0
        return in_select

    def _c_Exists(self, e, d):
        sub = self.plan_subquery(e.select, self.scope)
        bare = _exists_without_columns(e.select)
        if bare is not None:
            # sqlite3 never computes the result columns (or the ORDER BY) of
            # an EXISTS subquery: plan it again without them, once the
            # original has been checked for names.
            sub = self.plan_subquery(bare, self.scope)
        rt = self.rt
        key = id(sub)

        cell = self.scope.cell

        def exists(row):
            if not sub.correlated and key in rt.cache:
                return rt.cache[key]
            cell.row = row
            r = 0
            for _ in sub.rows():
                r = 1
                break
            if not sub.correlated:
                rt.cache[key] = r
            return r
        return exists

    def _c_Subquery(self, e, d):
        sub = self.plan_subquery(e.select, self.scope)
        if len(sub.columns) != 1:
            raise SQLError(f"sub-select returns {len(sub.columns)} columns - expected 1")
        rt = self.rt
        key = id(sub)
        sentinel = rt.cache

        cell = self.scope.cell

        def scalar(row):
            if not sub.correlated:
                v = rt.cache.get(key, sentinel)
                if v is not sentinel:
                    return v
            cell.row = row
            v = None
            for r in sub.rows():
                v = r[0]
                break
            if not sub.correlated:
                rt.cache[key] = v
            return v
        return scalar

    def _c_Case(self, e, d):
        whens = []
        if e.operand is not None:
            fo = self.compile(e.operand, d)
            for w, t in e.whens:
                eq = self.comparison("=", e.operand, w)
                whens.append((self.compile(w, d), self.compile(t, d), eq))
            fe = self.compile(e.else_, d) if e.else_ is not None else _const(None)

            def case_operand(row):
                x = fo(row)
                for fw, ft, eq in whens:
                    if eq(x, fw(row)) == 1:
                        return ft(row)
                return fe(row)
            return case_operand
        for w, t in e.whens:
            whens.append((self.compile_condition(w, d), self.compile(t, d)))
        fe = self.compile(e.else_, d) if e.else_ is not None else _const(None)

        def case(row):
            for fw, ft in whens:
                if truth(fw(row)):
                    return ft(row)
            return fe(row)
        return case

    def _c_Cast(self, e, d):
        f = self.compile(e.expr, d)
        t = e.type_name
        return lambda row: cast(f(row), t)

    def _c_Collate(self, e, d):
        collation_key_function(e.collation)  # unknown collations fail here
        return self.compile(e.expr, d)

    def _c_RowValue(self, e, d):
        raise SQLError("row value misused")

    def _c_Raise(self, e, d):
        scope = self.scope
        while scope is not None and not getattr(scope, "is_trigger", False):
            scope = scope.parent
        if scope is None:
            raise SQLError("RAISE() may only be used within a trigger-program")
        from .triggers import RaiseSignal
        action = e.action.upper()
        message = self.compile(e.message, d) if e.message is not None else _const(None)

        def raise_(row):
            raise RaiseSignal(action, message(row))
        return raise_

    def _c_FunctionCall(self, e, d):
        name = e.name.lower()
        if self.aggregates is not None and e in self.aggregates:
            get = itemgetter(self.aggregates[e])
            if name in JSON_PRODUCERS and not self._take_raw():
                return lambda row: plain(get(row))
            return get
        if e.over is not None or name in _WINDOW_ONLY:
            raise SQLError(f"misuse of window function {name}()")
        outer = self._outer_aggregate(e)
        if outer is not None:
            return outer
        if is_aggregate_call(name, len(e.args), e.star):
            # sqlite3 words it "misuse of aggregate: f()" in an ORDER BY of a
            # query that does not aggregate, "misuse of aggregate function f()" elsewhere.
            raise SQLError(f"misuse of aggregate: {name}()" if self.context == "ORDER BY"
                           else f"misuse of aggregate function {name}()")
        raw = self._take_raw()
        spec = SCALARS.get(name)
        if spec is None:
            raise SQLError(f"no such function: {e.name}")
        lo, hi, fn = spec
        if e.star or e.distinct or not (lo <= len(e.args) and (hi < 0 or len(e.args) <= hi)):
            if e.distinct and lo <= len(e.args) and (hi < 0 or len(e.args) <= hi):
                raise SQLError("DISTINCT aggregates must have exactly one argument")
            raise SQLError(f"wrong number of arguments to function {e.name}()")
        if e.filter is not None:
            raise SQLError("FILTER may not be used with non-aggregate " + name + "()")
        if name in JSON_SCALARS:
            args = [self.compile_json_arg(a, d) for a in e.args]
            f = self._call(fn, args)
            if name in JSON_PRODUCERS and not raw:
                return lambda row: plain(f(row))
            return f
        args = [self.compile(a, d) for a in e.args]
        if name == "like":      # like(pattern, value[, escape]) follows case_sensitive_like too
            return self._like(args[1], args[0], args[2] if len(args) > 2 else None, False)
        if name in NEEDS_RUNTIME:
            rt = self.rt
            return lambda row: fn(rt)
        if name in ("coalesce", "ifnull", "iif"):
            return self._lazy(name, args)
        if name in NEEDS_COLLATION:
            coll_name = None
            for a in e.args:
                coll_name = self.collation(a)[0]
                if coll_name is not None:
                    break
            coll = collation_key_function(coll_name)
            return lambda row: fn(coll, *[a(row) for a in args])
        if name == "likelihood":
            p = e.args[1]
            p = p.value if isinstance(p, ast.Literal) else None
            if not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
                raise SQLError("second argument to likelihood() must be a constant between 0.0 and 1.0")
        return self._call(fn, args)

    @staticmethod
    def _call(fn, args):
        if len(args) == 1:
            a0 = args[0]
            return lambda row: fn(a0(row))
        if len(args) == 2:
            a0, a1 = args
            return lambda row: fn(a0(row), a1(row))
        return lambda row: fn(*[a(row) for a in args])

    def _outer_aggregate(self, e):
        """An aggregate computed by an enclosing aggregate query, read from its row."""
        scope = self.scope.parent if self.scope is not None else None
        while scope is not None:
            agg_map = getattr(scope, "agg_map", None)
            if agg_map and e in agg_map:
                s = self.scope
                while s is not scope:
                    s.correlated = True
                    s = s.parent
                cell = scope.cell
                slot = agg_map[e]
                return lambda row: cell.row[slot]
            scope = scope.parent
        return None

    def _lazy(self, name, args):
        if name == "iif":
            c, a, b = args
            return lambda row: a(row) if truth(c(row)) else b(row)

        def coalesce(row):
            for a in args:
                v = a(row)
                if v is not None:
                    return v
            return None
        return coalesce


_COMPARISONS = frozenset(("=", "!=", "<", "<=", ">", ">=", "IS", "IS NOT"))

_WINDOW_ONLY = frozenset(("row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile",
                          "lag", "lead", "first_value", "last_value", "nth_value"))


def _children(e):
    if isinstance(e, ast.Unary):
        return (e.operand,)
    if isinstance(e, ast.Binary):
        return (e.left, e.right)
    if isinstance(e, ast.Like):
        # sqlite3 calls like(pattern, x[, escape]): the pattern comes first.
        return tuple(x for x in (e.pattern, e.expr, e.escape) if x is not None)
    if isinstance(e, ast.Between):
        return (e.expr, e.low, e.high)
    if isinstance(e, ast.InList):
        return (e.expr,) + e.items
    if isinstance(e, ast.InSelect):
        return (e.expr,)
    if isinstance(e, ast.Case):
        out = [] if e.operand is None else [e.operand]
        for w, t in e.whens:
            out += [w, t]
        if e.else_ is not None:
            out.append(e.else_)
        return tuple(out)
    if isinstance(e, ast.FunctionCall):
        return e.args
    if isinstance(e, ast.RowValue):
        return e.items
    return ()


def walk(e):
    """Every expression node under ``e`` (not entering subqueries), in the
    order sqlite3 resolves names: a node, then its operands left to right."""
    stack = [e]
    while stack:
        n = stack.pop()
        yield n
        if isinstance(n, ast.Collate):
            stack.append(n.expr)
        elif isinstance(n, ast.Cast):
            stack.append(n.expr)
        elif isinstance(n, ast.FunctionCall):
            if n.filter is not None:
                stack.append(n.filter)
            stack.extend(reversed(n.args))
        else:
            stack.extend(reversed(_children(n)))
