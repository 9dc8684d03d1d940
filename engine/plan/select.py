"""Planning SELECT (lang_select.html): FROM sources and join order, WHERE
terms pushed to the earliest join level that binds their columns, access
paths (rowid seeks, hash lookups for equality joins), aggregation, result
columns, DISTINCT, compound operators, ORDER BY and LIMIT.

The planner turns a syntax tree into a tree of executor operators
(engine/exec/operators.py) with compiled expressions.  A :class:`QueryPlan`
is what the layers above run.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from operator import itemgetter

from ..errors import SQLError
from ..exec import operators as op
from ..exec.aggregates import AGGREGATES, is_aggregate_call
from ..exec.expr import ExprCompiler, Slot, walk
from ..exec.ops import comparison_affinity, converter_for
from ..exec.values import (
    BLOB, INTEGER, NONE, collation_key_function, equality_key, numeric_affinity_for_compare,
)
from ..sql import ast
from .scope import ColumnInfo, ROWID_NAMES, Scope, Source


class QueryPlan:
    """A planned query: output columns and an operator to run."""

    def __init__(self, columns: list[ColumnInfo], operator, correlated: bool):
        self.columns = columns
        self.operator = operator
        self.correlated = correlated

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def rows(self):
        return self.operator.rows()


class AggScope(Scope):
    """The scope of expressions evaluated after grouping: the row is the
    aggregate results followed by the group's representative input row."""

    def __init__(self, base: Scope, n_aggs: int):
        super().__init__(parent=base.parent)
        self.base = base
        self.n_aggs = n_aggs
        self.sources = base.sources
        self.width = n_aggs + base.width
        self.depth = base.depth

    def lookup_local(self, name, table):
        r = self.base.lookup_local(name, table)
        if r is None:
            return None
        r.scope = self
        r.slot += self.n_aggs
        return r


@dataclass
class _Level:
    source: Source
    access: object            # has rows_for(prefix)
    kind: str
    on: ast.Expr | None
    base_table: object = None
    reader: object = None     # () -> iterator of rows (base tables and sub-plans)


def split_conjuncts(e) -> list:
    out = []
    stack = [e]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Binary) and n.op == "AND":
            stack.append(n.right)
            stack.append(n.left)
        else:
            out.append(n)
    return out


def _has_subquery(e) -> bool:
    return any(isinstance(n, (ast.Subquery, ast.Exists, ast.InSelect)) for n in walk(e))


def _ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class Planner:
    """Plans the SELECTs of one statement; ``db`` gives the catalog and table
    access, ``runtime`` is shared by every compiled closure of the statement."""

    def __init__(self, db, runtime):
        self.db = db
        self.rt = runtime
        self._memo: dict = {}
        self._ctes: list[dict] = []
        self._names = 0

    # -- entry points -----------------------------------------------------

    def plan_subquery(self, sel: ast.Select, scope: Scope | None) -> QueryPlan:
        key = (id(sel), id(scope))
        plan = self._memo.get(key)
        if plan is None:
            plan = self.plan_select(sel, scope)
            self._memo[key] = plan
            self._memo[(key, "keep")] = (sel, scope)  # keep ids alive
        return plan

    def compiler(self, scope, **kw) -> ExprCompiler:
        return ExprCompiler(scope, self.rt, self.plan_subquery, **kw)

    def plan_select(self, sel: ast.Select, outer: Scope | None) -> QueryPlan:
        pushed = False
        if sel.with_ is not None:
            self._ctes.append({c.name.lower(): (c, sel.with_.recursive) for c in sel.with_.ctes})
            pushed = True
        try:
            body = sel.body
            if isinstance(body, ast.SelectCore):
                return self._plan_core(body, outer, sel.order_by, sel.limit, sel.offset)
            plan = self._plan_body(body, outer)
            return self._finish_compound(plan, body, outer, sel.order_by, sel.limit, sel.offset)
        finally:
            if pushed:
                self._ctes.pop()

    # -- bodies -------------------------------------------------------------

    def _plan_body(self, body, outer: Scope | None) -> QueryPlan:
        if isinstance(body, ast.SelectCore):
            return self._plan_core(body, outer, (), None, None)
        if isinstance(body, ast.Values):
            return self._plan_values(body, outer)
        if isinstance(body, ast.Compound):
            return self._plan_compound(body, outer)
        raise SQLError("unsupported query")

    def _plan_values(self, body: ast.Values, outer: Scope | None) -> QueryPlan:
        scope = Scope(parent=outer)
        comp = self.compiler(scope)
        width = len(body.rows[0])
        for r in body.rows:
            if len(r) != width:
                raise SQLError("all VALUES must have the same number of terms")
        rows = [[comp.compile(e) for e in r] for r in body.rows]
        cols = [ColumnInfo(f"column{i + 1}", affinity=NONE) for i in range(width)]

        def produce():
            for fns in rows:
                yield tuple(f(()) for f in fns)
        return QueryPlan(cols, op.Rows(produce), scope.correlated)

    def _plan_compound(self, body: ast.Compound, outer: Scope | None) -> QueryPlan:
        left = self._plan_body(body.left, outer)
        right = self._plan_body(body.right, outer)
        if len(left.columns) != len(right.columns):
            raise SQLError(f"SELECTs to the left and right of {body.op} do not have the same number of result columns")
        colls = [collation_key_function(c.collation) for c in left.columns]

        def key(row):
            return tuple(equality_key(v, c) for v, c in zip(row, colls))
        sort_terms = [(itemgetter(i), False, None, colls[i]) for i in range(len(colls))]
        sort_key = op.make_sort_key(sort_terms)
        kind = body.op

        def produce():
            if kind == "UNION ALL":
                yield from left.rows()
                yield from right.rows()
                return
            if kind == "UNION":
                seen = {}
                for r in left.rows():
                    seen.setdefault(key(r), r)
                for r in right.rows():
                    seen.setdefault(key(r), r)
                yield from sorted(seen.values(), key=sort_key)
                return
            right_keys = {key(r) for r in right.rows()}
            out = {}
            for r in left.rows():
                k = key(r)
                if (k in right_keys) == (kind == "INTERSECT"):
                    out.setdefault(k, r)
            yield from sorted(out.values(), key=sort_key)
        cols = [ColumnInfo(c.name, c.affinity, c.collation) for c in left.columns]
        return QueryPlan(cols, op.Rows(produce), left.correlated or right.correlated)

    def _finish_compound(self, plan: QueryPlan, body, outer, order_by, limit, offset) -> QueryPlan:
        operator = plan.operator
        if order_by:
            terms = []
            names = self._compound_names(body)
            for n, term in enumerate(order_by, 1):
                idx = self._compound_order_index(term.expr, names, len(plan.columns))
                if idx is None:
                    raise SQLError(f"{_ordinal(n)} ORDER BY term does not match any column in the result set")
                coll_name, _ = self.compiler(Scope()).collation(term.expr)
                coll = collation_key_function(coll_name or plan.columns[idx].collation)
                terms.append((itemgetter(idx), term.desc, _nulls(term), coll))
            operator = op.Sort(operator, op.make_sort_key(terms))
        operator = self._limit(operator, limit, offset, outer)
        return QueryPlan(plan.columns, operator, plan.correlated)

    def _compound_names(self, body) -> list[list]:
        """For each component SELECT, its result columns as (name, expr)."""
        if isinstance(body, ast.Compound):
            return self._compound_names(body.left) + self._compound_names(body.right)
        if isinstance(body, ast.SelectCore):
            out = []
            for rc in body.columns:
                if isinstance(rc, ast.ResultColumn):
                    out.append((rc.alias, rc.expr))
                else:
                    out.append((None, None))
            return [out]
        return [[]]

    def _compound_order_index(self, e, names, width) -> int | None:
        base = e
        while isinstance(base, ast.Collate):
            base = base.expr
        if isinstance(base, ast.Literal) and isinstance(base.value, int):
            k = base.value
            if 1 <= k <= width:
                return k - 1
            return None
        for comp in names:
            for i, (alias, expr) in enumerate(comp):
                if isinstance(base, ast.Column) and base.table is None:
                    if alias is not None and alias.lower() == base.name.lower():
                        return i
                    if isinstance(expr, ast.Column) and expr.name.lower() == base.name.lower():
                        return i
                elif expr is not None and expr == base:
                    return i
        return None

    # -- FROM ---------------------------------------------------------------

    def _flatten_from(self, item) -> list:
        """[(item, kind, natural, on, using)] left to right."""
        if isinstance(item, ast.Join):
            out = self._flatten_from(item.left)
            out.append((item.right, item.kind, item.natural, item.on, item.using))
            return out
        return [(item, "INNER", False, None, None)]

    def _next_name(self) -> str:
        self._names += 1
        return f"(subquery-{self._names})"

    def _source_for(self, item, outer: Scope | None) -> tuple[Source, object, object, object]:
        """(Source, access, base table or None, reader) for one FROM item."""
        if isinstance(item, ast.SubqueryRef):
            plan = self.plan_select(item.select, outer)
            name = item.alias or self._next_name()
            src = Source(name, _dedupe(plan.columns))
            return src, op.Materialized(plan, self.rt, plan.correlated), None, plan.rows
        if isinstance(item, ast.TableRef):
            if item.args is not None:
                raise SQLError(f"no such table-valued function: {item.name}")
            lname = item.name.lower()
            if item.schema is None:
                for frame in reversed(self._ctes):
                    if lname in frame:
                        cte, recursive = frame[lname]
                        return self._cte_source(cte, item, recursive)
            obj = self.db.lookup_table_or_view(item.name, item.schema)
            if obj is None:
                shown = f"{item.schema}.{item.name}" if item.schema else item.name
                raise SQLError(f"no such table: {shown}")
            if hasattr(obj, "select"):  # a view
                plan = self.db.view_plan(obj, self)
                src = Source(item.alias or obj.name, _dedupe(plan.columns))
                return src, op.Materialized(plan, self.rt, False), None, plan.rows
            table = obj
            cols = [ColumnInfo("rowid", affinity=INTEGER, hidden=True)]
            for c in table.columns:
                cols.append(ColumnInfo(c.name, c.affinity, c.collation, hidden=c.hidden, declared_type=c.declared_type))
            src = Source(item.alias or table.name, cols, rowid_slot=0, table=table)
            reader = self.db.table_reader(table)
            return src, op.TableScan(reader), table, reader
        raise SQLError("unsupported FROM item")

    def _cte_source(self, cte: ast.CommonTableExpr, item: ast.TableRef, recursive: bool):
        key = ("cte", id(cte))
        plan = self._memo.get(key)
        if plan is None:
            if recursive and _references(cte.select, cte.name):
                plan = self._plan_recursive_cte(cte)
            else:
                # A CTE sees the CTEs defined before it, not itself.
                plan = self.plan_select(cte.select, None)
            if cte.columns is not None:
                if len(cte.columns) != len(plan.columns):
                    raise SQLError(f"table {cte.name} has {len(plan.columns)} values for {len(cte.columns)} columns")
                plan = QueryPlan([ColumnInfo(n, c.affinity, c.collation) for n, c in zip(cte.columns, plan.columns)],
                                 plan.operator, plan.correlated)
            self._memo[key] = plan
        src = Source(item.alias or cte.name, _dedupe(plan.columns))
        # The working table of a recursive CTE changes every step: never cache it.
        return src, op.Materialized(plan, self.rt, plan.correlated), None, plan.rows

    def _plan_recursive_cte(self, cte: ast.CommonTableExpr) -> QueryPlan:
        body = cte.select.body
        if not isinstance(body, ast.Compound) or body.op not in ("UNION", "UNION ALL"):
            raise SQLError(f"recursive reference in a subquery: {cte.name}")
        anchor = self._plan_body(body.left, None)
        names = list(cte.columns) if cte.columns is not None else [c.name for c in anchor.columns]
        cols = [ColumnInfo(n, c.affinity, c.collation) for n, c in zip(names, anchor.columns)]
        queue_holder: dict = {}
        table_plan = QueryPlan(cols, op.Rows(lambda: queue_holder["current"]), True)
        self._ctes.append({cte.name.lower(): (ast.CommonTableExpr(cte.name, cte.select, cte.columns), False)})
        self._memo[("cte", id(self._ctes[-1][cte.name.lower()][0]))] = table_plan
        try:
            step = self._plan_body(body.right, None)
        finally:
            self._ctes.pop()
        distinct = body.op == "UNION"
        colls = [collation_key_function(c.collation) for c in cols]
        limit_fn = self._limit_value(cte.select.limit, None) if cte.select.limit is not None else None
        offset_fn = self._limit_value(cte.select.offset, None) if cte.select.offset is not None else None

        def produce():
            seen = set()
            out_n = 0
            limit = limit_fn() if limit_fn else -1
            skip = offset_fn() if offset_fn else 0
            pending = deque()
            for r in anchor.rows():
                k = tuple(equality_key(v, c) for v, c in zip(r, colls))
                if distinct:
                    if k in seen:
                        continue
                    seen.add(k)
                pending.append(r)
            check = self.db.check_interrupt
            while pending:
                check()
                r = pending.popleft()
                if skip > 0:
                    skip -= 1
                else:
                    yield r
                    out_n += 1
                    if 0 <= limit <= out_n:
                        return
                queue_holder["current"] = [r]
                for nr in step.rows():
                    if distinct:
                        k = tuple(equality_key(v, c) for v, c in zip(nr, colls))
                        if k in seen:
                            continue
                        seen.add(k)
                    pending.append(nr)
        return QueryPlan(cols, op.Rows(produce), False)

    # -- one SELECT core ----------------------------------------------------

    def _plan_core(self, core: ast.SelectCore, outer: Scope | None, order_by, limit, offset) -> QueryPlan:
        scope = Scope(parent=outer)
        levels: list[_Level] = []
        conjuncts = split_conjuncts(core.where) if core.where is not None else []
        plain = True       # only inner joins without NATURAL/USING: the order is free
        if core.from_ is not None:
            for item, kind, natural, on, using in self._flatten_from(core.from_):
                src, access, table, reader = self._source_for(item, outer)
                if kind in ("RIGHT", "FULL"):
                    raise SQLError(f"{kind} JOIN is not supported yet")
                src.from_index = len(levels)
                scope.add(src)
                on_expr = on
                if natural or using:
                    on_expr = self._using_condition(scope, src, natural, using, on)
                    plain = False
                if kind == "LEFT":
                    plain = False
                levels.append(_Level(src, access, "LEFT" if kind == "LEFT" else "INNER", on_expr, table, reader))
        if plain and levels:
            # ON terms of inner joins are WHERE terms; then choose the join order.
            for lv in levels:
                if lv.on is not None:
                    conjuncts.extend(split_conjuncts(lv.on))
                    lv.on = None
            if len(levels) > 1:
                order = self._join_order(levels, scope, conjuncts)
                if order != list(range(len(levels))):
                    levels = [levels[i] for i in order]
                    scope = Scope(parent=outer)
                    for lv in levels:
                        scope.add(lv.source)

        # Result columns, with * expanded.
        results: list[tuple] = []   # (expr, name, ColumnInfo-hint)
        for rc in core.columns:
            if isinstance(rc, ast.Star):
                if not levels:
                    raise SQLError("no tables specified")
                for slot, info, src in scope.star_columns(rc.table):
                    results.append((Slot(slot, info.affinity, info.collation), info.name))
            else:
                results.append((rc.expr, self._column_name(rc, scope)))
        aliases = {}
        for rc in core.columns:
            if isinstance(rc, ast.ResultColumn) and rc.alias is not None:
                aliases.setdefault(rc.alias.lower(), rc.expr)

        # ORDER BY terms resolved to result columns or expressions.
        order_terms = []
        for n, term in enumerate(order_by, 1):
            order_terms.append((self._resolve_order_term(term.expr, results, core, n), term))

        agg_calls = self._collect_aggregates([e for e, _ in results] + [core.having] +
                                             [e for e, _ in order_terms], core)
        is_agg = bool(core.group_by) or bool(agg_calls)
        if core.having is not None and not is_agg:
            raise SQLError("a GROUP BY clause is required before HAVING")

        where_comp = self.compiler(scope, aliases=aliases)
        for c in conjuncts:
            for node in walk(c):
                if isinstance(node, ast.FunctionCall) and is_aggregate_call(node.name, len(node.args), node.star) \
                        and node.over is None:
                    raise SQLError(f"misuse of aggregate: {node.name}()")
        operator = self._join(levels, scope, conjuncts, where_comp)

        if is_agg:
            operator, post_scope, agg_map = self._aggregate(operator, scope, core, agg_calls, aliases, results)
            comp = self.compiler(post_scope, aggregates=agg_map, aliases=aliases)
            if core.having is not None:
                operator = op.Filter(operator, comp.compile_predicate(core.having))
        else:
            post_scope = scope
            agg_map = None
            comp = self.compiler(scope, aliases={})

        window_calls = self._collect_windows([e for e, _ in results] +
                                             [t for t, _ in order_terms if not isinstance(t, int)])
        if window_calls:
            arg_comp = self.compiler(post_scope, aggregates=agg_map, aliases=aliases)
            operator, win_map = self._windows(operator, core, window_calls, arg_comp, post_scope.width)
            comp = self.compiler(post_scope, aggregates={**(agg_map or {}), **win_map},
                                 aliases=aliases if is_agg else {})

        out_fns = [comp.compile(e) for e, _ in results]
        columns = []
        for (e, name), f in zip(results, out_fns):
            coll_name, _ = comp.collation(e)
            columns.append(ColumnInfo(name, comp.affinity(e), coll_name))

        key_fns = []
        for target, term in order_terms:
            if isinstance(target, int):
                fn = itemgetter(target)
                coll_name, explicit = comp.collation(term.expr)
                if not explicit:
                    coll_name = columns[target].collation
                key_fns.append(("out", fn, term, coll_name))
            else:
                ocomp = self.compiler(post_scope, aggregates=comp.aggregates, aliases=aliases)
                fn = ocomp.compile(target)
                coll_name, _ = ocomp.collation(target)
                key_fns.append(("src", fn, term, coll_name))

        correlated = scope.correlated or post_scope.correlated
        if core.distinct:
            colls = [collation_key_function(c.collation) for c in columns]

        if not key_fns:
            operator = op.Project(operator, out_fns)
            if core.distinct:
                operator = op.Distinct(operator, lambda r, colls=colls: tuple(equality_key(v, c) for v, c in zip(r, colls)))
        else:
            src_fns = [f for kind, f, _, _ in key_fns if kind == "src"]

            class _ProjectWithKeys(op.Operator):
                def __init__(self, child):
                    self.child = child

                def rows(self):
                    for r in self.child.rows():
                        yield (tuple(f(r) for f in out_fns), tuple(f(r) for f in src_fns))
            operator = _ProjectWithKeys(operator)
            if core.distinct:
                operator = op.Distinct(operator, lambda item, colls=colls: tuple(equality_key(v, c) for v, c in zip(item[0], colls)))
            terms = []
            si = 0
            for kind, f, term, coll_name in key_fns:
                coll = collation_key_function(coll_name)
                if kind == "out":
                    idx = f
                    terms.append((lambda item, idx=idx: idx(item[0]), term.desc, _nulls(term), coll))
                else:
                    terms.append((lambda item, si=si: item[1][si], term.desc, _nulls(term), coll))
                    si += 1
            operator = op.Strip(op.Sort(operator, op.make_sort_key(terms)))
        operator = self._limit(operator, limit, offset, outer)
        return QueryPlan(columns, operator, correlated)

    # -- window functions -------------------------------------------------

    def _collect_windows(self, exprs) -> list:
        found = []
        seen = set()
        for e in exprs:
            if e is None or isinstance(e, Slot):
                continue
            for node in walk(e):
                if isinstance(node, ast.FunctionCall) and node.over is not None and node not in seen:
                    seen.add(node)
                    found.append(node)
        return found

    def _resolve_window(self, spec, core) -> ast.WindowSpec:
        named = {w.name.lower(): w.spec for w in core.windows}
        if isinstance(spec, str):
            base = named.get(spec.lower())
            if base is None:
                raise SQLError(f"no such window: {spec}")
            return self._resolve_window(base, core)
        if spec.base is None:
            return spec
        base = named.get(spec.base.lower())
        if base is None:
            raise SQLError(f"no such window: {spec.base}")
        base = self._resolve_window(base, core)
        if spec.partition_by:
            raise SQLError(f"cannot override PARTITION BY clause of window \"{spec.base}\"")
        if spec.order_by and base.order_by:
            raise SQLError(f"cannot override ORDER BY clause of window \"{spec.base}\"")
        if base.frame is not None:
            raise SQLError(f"cannot override frame specification of window \"{spec.base}\"")
        return ast.WindowSpec(None, base.partition_by, spec.order_by or base.order_by, spec.frame)

    def _windows(self, child, core, calls, comp: ExprCompiler, width: int):
        from ..exec.window import BUILTIN_WINDOW_FUNCTIONS, Window, WindowCall, WindowDef
        defs: dict = {}
        win_map = {}
        for j, call in enumerate(calls):
            name = call.name.lower()
            spec = self._resolve_window(call.over, core)
            nargs = len(call.args)
            if name in BUILTIN_WINDOW_FUNCTIONS:
                lo, hi = BUILTIN_WINDOW_FUNCTIONS[name]
                if not lo <= nargs <= hi:
                    raise SQLError(f"wrong number of arguments to function {call.name}()")
                wc = WindowCall(name, [comp.compile(a) for a in call.args])
            elif name in AGGREGATES:
                lo, hi, factory, takes_coll = AGGREGATES[name]
                if call.distinct:
                    raise SQLError("DISTINCT is not supported for window functions")
                if call.star or (name == "count" and nargs == 0):
                    fac = _count_star
                    args = []
                else:
                    if not lo <= nargs <= hi:
                        raise SQLError(f"wrong number of arguments to function {call.name}()")
                    args = [comp.compile(a) for a in call.args]
                    if takes_coll:
                        coll = collation_key_function(comp.collation(call.args[0])[0])
                        fac = (lambda f=factory, c=coll: f(c))
                    else:
                        fac = factory
                filt = comp.compile(call.filter) if call.filter is not None else None
                wc = WindowCall("agg", args, fac, filt)
            elif name in _SCALAR_NAMES():
                raise SQLError(f"{call.name}() may not be used as a window function")
            else:
                raise SQLError(f"no such function: {call.name}")
            wc.slot = j
            win_map[call] = width + j
            key = repr(spec)
            if key not in defs:
                defs[key] = self._window_def(spec, comp, [])
            defs[key].calls.append(wc)
        return Window(child, list(defs.values()), len(calls)), win_map

    def _window_def(self, spec: ast.WindowSpec, comp: ExprCompiler, calls):
        from ..exec.window import WindowDef
        partition = [(comp.compile(e), collation_key_function(comp.collation(e)[0])) for e in spec.partition_by]
        order = [(comp.compile(t.expr), t.desc, _nulls(t), collation_key_function(comp.collation(t.expr)[0]))
                 for t in spec.order_by]
        frame = spec.frame
        if frame is None:
            units, start, end, exclude = "RANGE", ("UNBOUNDED PRECEDING", None), ("CURRENT ROW", None), None
        else:
            units = frame.units
            start = (frame.start.kind, comp.compile(frame.start.offset) if frame.start.offset is not None else None)
            end = (frame.end.kind, comp.compile(frame.end.offset) if frame.end.offset is not None else None)
            exclude = None if frame.exclude in (None, "NO OTHERS") else frame.exclude
            if units == "RANGE" and (start[1] is not None or end[1] is not None) and len(order) != 1:
                raise SQLError("RANGE with offset PRECEDING/FOLLOWING requires one ORDER BY expression")
        return WindowDef(partition, order, units, start, end, exclude, calls)

    def _column_name(self, rc: ast.ResultColumn, scope: Scope) -> str:
        if rc.alias is not None:
            return rc.alias
        e = rc.expr
        if isinstance(e, ast.Column):
            try:
                r = scope.lookup_local(e.name, e.table)
            except SQLError:
                r = None
            if r is not None and not (r.info.hidden and e.name.lower() in ROWID_NAMES):
                return r.info.name
            return e.name if r is not None or e.table is None else e.name
        return rc.text

    def _resolve_order_term(self, e, results, core, n):
        """An ORDER BY term: an int (a result column index) or an expression."""
        base = e
        while isinstance(base, ast.Collate):
            base = base.expr
        if isinstance(base, ast.Literal) and isinstance(base.value, int):
            k = base.value
            if not 1 <= k <= len(results):
                raise SQLError(f"{_ordinal(n)} ORDER BY term out of range - should be between 1 and {len(results)}")
            return k - 1
        if isinstance(base, ast.Column) and base.table is None:
            for i, rc in enumerate(core.columns):
                if isinstance(rc, ast.ResultColumn) and rc.alias is not None \
                        and rc.alias.lower() == base.name.lower():
                    return self._index_of_result(core, i)
        return e

    def _index_of_result(self, core, i) -> int:
        # Index in the expanded result list of the i-th result column (no * before it).
        k = 0
        for j, rc in enumerate(core.columns):
            if j == i:
                return k
            if isinstance(rc, ast.Star):
                raise SQLError("ORDER BY alias after * is not supported")
            k += 1
        return k

    def _collect_aggregates(self, exprs, core) -> list:
        found = []
        seen = set()
        for e in exprs:
            if e is None or isinstance(e, int) or isinstance(e, Slot):
                continue
            for node in walk(e):
                if isinstance(node, ast.FunctionCall) and node.over is None \
                        and is_aggregate_call(node.name, len(node.args), node.star):
                    if node not in seen:
                        seen.add(node)
                        found.append(node)
        return found

    def _using_condition(self, scope, src, natural, using, on):
        """The join condition of NATURAL/USING, and the hiding of the right
        side's copies of the shared columns."""
        left_sources = scope.sources[:-1]
        if natural:
            if on is not None or using:
                raise SQLError("a NATURAL join may not have an ON or USING clause")
            names = []
            for c in src.columns:
                if c.hidden:
                    continue
                if any(s.find(c.name) is not None and not s.columns[s.find(c.name)].hidden for s in left_sources):
                    names.append(c.name)
        else:
            if on is not None:
                raise SQLError("cannot join using column {} - column not present in both tables")
            names = list(using)
        cond = None
        for name in names:
            left = None
            for s in left_sources:
                i = s.find(name)
                if i is not None and name.lower() not in s.using_hidden:
                    left = s
                    break
            if left is None or src.find(name) is None:
                raise SQLError(f"cannot join using column {name} - column not present in both tables")
            eq = ast.Binary("=", ast.Column(name, left.name), ast.Column(name, src.name))
            cond = eq if cond is None else ast.Binary("AND", cond, eq)
            src.using_hidden.add(name.lower())
        return cond

    # -- joins and access paths -------------------------------------------

    def _conjunct_level(self, e, scope: Scope, n_levels: int) -> int:
        """The last join level whose columns ``e`` reads (-1: none)."""
        if _has_subquery(e):
            return n_levels - 1
        last = -1
        for node in walk(e):
            if isinstance(node, ast.Column):
                try:
                    r = scope.lookup_local(node.name, node.table)
                except SQLError:
                    return n_levels - 1
                if r is None:
                    if scope.resolve(node.name, node.table) is None:
                        return n_levels - 1  # an alias or an error: keep it last
                    continue
                for i, s in enumerate(scope.sources):
                    if s.offset <= r.slot < s.offset + s.width:
                        last = max(last, i)
                        break
            elif isinstance(node, Slot):
                return n_levels - 1
        return last

    def _refs(self, e, scope: Scope) -> tuple[set, bool]:
        """The local sources ``e`` reads, and whether it depends on anything
        else (outer rows, subqueries, aliases, random values)."""
        found: set = set()
        if _has_subquery(e):
            return found, True
        for node in walk(e):
            if isinstance(node, ast.Column):
                try:
                    r = scope.lookup_local(node.name, node.table)
                except SQLError:
                    return found, True
                if r is None:
                    return found, True
                for i, s in enumerate(scope.sources):
                    if s.offset <= r.slot < s.offset + s.width:
                        found.add(i)
                        break
            elif isinstance(node, Slot):
                return found, True
            elif isinstance(node, ast.FunctionCall) and node.name.lower() in _VOLATILE:
                return found, True
        return found, False

    def _selectivity(self, c, k: int, scope: Scope) -> float:
        """A rough fraction of a source's rows that pass a term on it alone
        (SQLite's defaults in spirit: equality is strong, ranges weaker)."""
        if isinstance(c, ast.Binary):
            if c.op in ("=", "IS"):
                src = scope.sources[k]
                for side in (c.left, c.right):
                    if isinstance(side, ast.Column):
                        r = scope.lookup_local(side.name, side.table)
                        if r is not None and src.table is not None:
                            rel = r.slot - src.offset
                            if rel == 0 or (src.table.rowid_alias is not None and rel == src.table.rowid_alias + 1):
                                return 1e-6
                return 0.1
            if c.op == "OR":
                return min(1.0, self._selectivity(c.left, k, scope) + self._selectivity(c.right, k, scope))
            if c.op in ("<", "<=", ">", ">="):
                return 0.25
            if c.op == "AND":
                return self._selectivity(c.left, k, scope) * self._selectivity(c.right, k, scope)
        if isinstance(c, ast.InList):
            return 1.0 if c.negated else min(1.0, 0.1 * max(1, len(c.items)))
        if isinstance(c, ast.Between):
            return 0.25
        return 0.5

    def _join_order(self, levels: list[_Level], scope: Scope, conjuncts) -> list[int]:
        """A greedy join order: start with the source that keeps the fewest
        rows after its own terms, then prefer sources joined by an equality
        to those already placed (they become hash lookups)."""
        n = len(levels)
        est = [1e6 if lv.base_table is not None else 1e4 for lv in levels]
        links: list[set] = [set() for _ in range(n)]
        for c in conjuncts:
            srcs, other = self._refs(c, scope)
            if other:
                continue
            if len(srcs) == 1:
                (k,) = srcs
                est[k] *= self._selectivity(c, k, scope)
            elif len(srcs) == 2 and isinstance(c, ast.Binary) and c.op in ("=", "IS"):
                a, b = srcs
                links[a].add(b)
                links[b].add(a)
        order: list[int] = []
        placed: set = set()
        remaining = list(range(n))
        while remaining:
            def cost(k):
                joined = bool(links[k] & placed)
                return (est[k] * (0.01 if joined else 1.0), k)
            pick = min(remaining, key=cost)
            order.append(pick)
            placed.add(pick)
            remaining.remove(pick)
        return order

    def _join(self, levels: list[_Level], scope: Scope, conjuncts, comp: ExprCompiler):
        n = len(levels)
        placed: list[list] = [[] for _ in range(n)]
        initial = []
        for c in conjuncts:
            k = self._conjunct_level(c, scope, n)
            if k < 0:
                initial.append(c)
            else:
                placed[k].append(c)
        # ON terms of inner joins behave like WHERE terms.
        for k, lv in enumerate(levels):
            if lv.kind == "INNER" and lv.on is not None:
                for c in split_conjuncts(lv.on):
                    placed[max(k, self._conjunct_level(c, scope, n))].append(c)
                lv.on = None
        join_levels = []
        for k, lv in enumerate(levels):
            terms = placed[k] if lv.kind == "INNER" else (split_conjuncts(lv.on) if lv.on else [])
            # Terms on an inner source alone filter it once per execution.
            local = []
            if k > 0 and lv.kind == "INNER":
                for c in placed[k]:
                    srcs, other = self._refs(c, scope)
                    if not other and srcs == {k}:
                        local.append(c)
            filters = [comp.compile_predicate(c) for c in placed[k] if c not in local]
            on_fn = comp.compile_predicate(lv.on) if lv.on is not None else None
            access = lv.access
            if lv.base_table is not None or k > 0:
                access = self._access_path(k, lv, levels, scope, comp, terms, local)
            join_levels.append(op.JoinLevel(access, lv.source.width, lv.kind, on_fn, filters))
        initial_fns = [comp.compile_predicate(c) for c in initial]
        if not levels:
            return op.NestedLoopJoin([], initial_fns)
        return op.NestedLoopJoin(join_levels, initial_fns, self.db.check_interrupt)

    def _access_path(self, k, lv: _Level, levels, scope: Scope, comp: ExprCompiler, terms, local=()):
        src = lv.source
        lo, hi = src.offset, src.offset + src.width
        # rowid = expr(prefix)
        if lv.base_table is not None:
            for t in terms:
                seek = self._rowid_term(t, src, lo, hi, scope, comp, k, levels)
                if seek is not None:
                    table = lv.base_table
                    lookup = self.db.row_lookup(table)
                    access = op.RowidSeek(lookup, seek)
                    if local:
                        preds = [comp.compile_predicate(c) for c in local]
                        access = op.FilteredRows(access, self._rebase_predicate(preds, lo))
                    return access
        if k == 0:
            return lv.access
        # Equality with earlier levels: hash the inner rows once.
        inner_parts, outer_parts = [], []
        for t in terms:
            if not (isinstance(t, ast.Binary) and t.op == "=") or _has_subquery(t):
                continue
            for a, b in ((t.left, t.right), (t.right, t.left)):
                la = self._conjunct_level(a, scope, len(levels))
                lb = self._conjunct_level(b, scope, len(levels))
                if la == k and lb < k and self._only_source(a, scope, lo, hi):
                    aff = comparison_affinity(comp.affinity(a), comp.affinity(b))
                    conv = converter_for(aff)
                    coll = collation_key_function(comp.binary_collation(t.left, t.right))
                    inner_parts.append((self._rebase(a, comp, lo), conv, coll))
                    outer_parts.append((comp.compile(b), conv, coll))
                    break
        inner = lv.access if lv.base_table is None else op.Materialized(
            _ReaderPlan(lv.reader), self.rt, False)
        if local:
            preds = [comp.compile_predicate(c) for c in local]
            inner = op.CachedFilter(inner, self._rebase_predicate(preds, lo), self.rt)
        if not inner_parts:
            return inner

        def make_key(parts):
            def key(row):
                out = []
                for f, conv, coll in parts:
                    v = f(row)
                    if v is None:
                        return None
                    if conv is not None:
                        v = conv(v)
                    out.append((type(v) is str, type(v) is bytes, equality_key(v, coll)))
                return tuple(out)
            return key
        return op.HashLookup(inner, make_key(inner_parts), make_key(outer_parts), self.rt)

    def _rebase_predicate(self, preds, lo: int):
        """Predicates compiled on the working row, applied to one source's row."""
        pad = (None,) * lo

        def test(r):
            row = pad + r
            for p in preds:
                if not p(row):
                    return False
            return True
        return test

    def _only_source(self, e, scope, lo, hi) -> bool:
        has = False
        for node in walk(e):
            if isinstance(node, ast.Column):
                r = scope.lookup_local(node.name, node.table)
                if r is None or not (lo <= r.slot < hi):
                    return False
                has = True
            elif isinstance(node, (ast.Param, ast.FunctionCall)):
                if isinstance(node, ast.FunctionCall) and node.name.lower() in ("random", "randomblob", "changes"):
                    return False
        return has

    def _rebase(self, e, comp: ExprCompiler, lo: int):
        """Compile ``e`` (reading one source) to run on that source's own row."""
        f = comp.compile(e)
        pad = (None,) * lo
        return lambda r: f(pad + r)

    def _rowid_term(self, t, src, lo, hi, scope, comp, k, levels):
        if not (isinstance(t, ast.Binary) and t.op == "=") or _has_subquery(t):
            return None
        table = src.table
        for a, b in ((t.left, t.right), (t.right, t.left)):
            if not isinstance(a, ast.Column):
                continue
            r = scope.lookup_local(a.name, a.table)
            if r is None or not (lo <= r.slot < hi):
                continue
            rel = r.slot - lo
            is_rowid = rel == 0 or (table.rowid_alias is not None and rel == table.rowid_alias + 1)
            if not is_rowid:
                continue
            if self._conjunct_level(b, scope, len(levels)) >= k:
                continue
            if any(isinstance(node, ast.FunctionCall) and node.name.lower() in ("random", "randomblob")
                   for node in walk(b)):
                continue
            fb = comp.compile(b)
            aff_b = comp.affinity(b)

            def key(prefix, fb=fb, aff_b=aff_b):
                v = fb(prefix)
                if isinstance(v, str) or aff_b:
                    v = numeric_affinity_for_compare(v)
                return v
            return key
        return None

    # -- aggregation ------------------------------------------------------

    def _aggregate(self, child, scope: Scope, core, agg_calls, aliases, results):
        comp = self.compiler(scope, aliases=aliases)
        specs = []
        agg_map = {}
        minmax = [i for i, c in enumerate(agg_calls) if c.name.lower() in ("min", "max") and len(c.args) == 1]
        for i, call in enumerate(agg_calls):
            name = call.name.lower()
            lo, hi, factory, takes_coll = AGGREGATES[name]
            nargs = len(call.args)
            if call.star:
                if name != "count":
                    raise SQLError(f"wrong number of arguments to function {call.name}()")
            elif not lo <= nargs <= hi or (name == "count" and nargs == 0):
                raise SQLError(f"wrong number of arguments to function {call.name}()")
            if call.distinct and nargs != 1:
                raise SQLError("DISTINCT aggregates must have exactly one argument")
            for a in call.args:
                for node in walk(a):
                    if isinstance(node, ast.FunctionCall) and node.over is None \
                            and is_aggregate_call(node.name, len(node.args), node.star):
                        raise SQLError(f"misuse of aggregate function {node.name}()")
            args = [comp.compile(a) for a in call.args]
            coll = None
            if call.args:
                coll_name, _ = comp.collation(call.args[0])
                coll = collation_key_function(coll_name)
            if takes_coll:
                fac = (lambda f=factory, c=coll: f(c))
            else:
                fac = factory
            if call.star or (name == "count" and nargs == 0):
                fac = _count_star
            dkey = None
            if call.distinct:
                dkey = (lambda v, c=coll: equality_key(v, c))
            filt = comp.compile_predicate(call.filter) if call.filter is not None else None
            specs.append(op.AggregateSpec(fac, args, dkey, filt, star=call.star or (name == "count" and nargs == 0)))
            agg_map[call] = i
        gkeys = None
        gsort = None
        if core.group_by:
            gfns = []
            for g in core.group_by:
                base = g
                while isinstance(base, ast.Collate):
                    base = base.expr
                if isinstance(base, ast.Literal) and isinstance(base.value, int):
                    k = base.value
                    if not 1 <= k <= len(results):
                        raise SQLError(f"{_ordinal(core.group_by.index(g) + 1)} GROUP BY term out of range - should be between 1 and {len(results)}")
                    target = results[k - 1][0]
                else:
                    target = g
                for node in walk(target) if not isinstance(target, Slot) else ():
                    if isinstance(node, ast.FunctionCall) and node.over is None \
                            and is_aggregate_call(node.name, len(node.args), node.star):
                        raise SQLError(f"aggregate functions are not allowed in the GROUP BY clause")
                f = comp.compile(target)
                coll_name, _ = comp.collation(target)
                gfns.append((f, collation_key_function(coll_name)))

            def gkeys(row, gfns=gfns):
                return tuple(equality_key(f(row), c) for f, c in gfns)
            sort_terms = [((lambda r, f=f: f(r)), False, None, c) for f, c in gfns]
            gsort = op.make_sort_key(sort_terms)
        mm_index = minmax[0] if len(minmax) == 1 and len(agg_calls) == 1 else (
            minmax[0] if len(minmax) == 1 else None)
        if len(minmax) != 1:
            mm_index = None
        operator = op.Aggregate(child, scope.width, specs, gkeys, gsort, bool(core.group_by), mm_index)
        post = AggScope(scope, len(agg_calls))
        return operator, post, agg_map

    # -- LIMIT --------------------------------------------------------------

    def _limit_value(self, e, outer):
        comp = self.compiler(Scope(parent=outer))
        f = comp.compile(e)

        def value():
            v = f(())
            v = numeric_affinity_for_compare(v)
            if isinstance(v, float) and v.is_integer():
                v = int(v)
            if not isinstance(v, int):
                raise SQLError("datatype mismatch")
            return v
        return value

    def _limit(self, operator, limit, offset, outer):
        if limit is None:
            return operator
        lf = self._limit_value(limit, outer)
        of = self._limit_value(offset, outer) if offset is not None else None

        def offset_value():
            v = of()
            return v if v > 0 else 0
        return op.Limit(operator, lf, offset_value if of is not None else None)


def _SCALAR_NAMES():
    from ..exec.functions import SCALARS
    return SCALARS


_VOLATILE = frozenset(("random", "randomblob", "changes", "total_changes", "last_insert_rowid"))


def _count_star():
    from ..exec.aggregates import CountStar
    return CountStar()


def _nulls(term: ast.OrderingTerm):
    if term.nulls is None:
        return None
    return term.nulls == "FIRST"


def _dedupe(columns: list[ColumnInfo]) -> list[ColumnInfo]:
    """A sub-query's columns as its parent sees them: repeated names get
    SQLite's ":N" suffix."""
    seen: dict[str, int] = {}
    out = []
    for c in columns:
        name = c.name
        lname = name.lower()
        if lname in seen:
            seen[lname] += 1
            k = seen[lname]
            name = f"{c.name}:{k}"
            while name.lower() in seen:
                k += 1
                name = f"{c.name}:{k}"
            seen[lname] = k
        else:
            seen[lname] = 0
        out.append(ColumnInfo(name, c.affinity, c.collation))
    return out


def _references(sel, name: str) -> bool:
    lname = name.lower()
    stack = [sel]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.TableRef) and n.name.lower() == lname and n.schema is None:
            return True
        if hasattr(n, "__dataclass_fields__"):
            for f in n.__dataclass_fields__:
                v = getattr(n, f)
                if isinstance(v, tuple):
                    stack.extend(x for x in v if hasattr(x, "__dataclass_fields__") or isinstance(x, tuple))
                    for x in v:
                        if isinstance(x, tuple):
                            stack.extend(x)
                elif hasattr(v, "__dataclass_fields__"):
                    stack.append(v)
    return False


class _ReaderPlan:
    def __init__(self, reader):
        self.reader = reader

    def rows(self):
        return self.reader()
