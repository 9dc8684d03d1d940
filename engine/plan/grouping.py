"""Planning aggregation and window functions (lang_aggfunc.html,
lang_select.html "GROUP BY", windowfunctions.html): aggregate calls and
group keys, then window definitions resolved and their calls compiled."""

from __future__ import annotations

from ..errors import SQLError
from ..exec import operators as op
from ..exec.aggregates import AGGREGATES, is_aggregate_call
from ..exec.expr import ExprCompiler, Slot, _children, walk
from ..exec.json1 import JSON_AGGREGATES
from ..exec.values import collation_key_function, equality_key
from ..names import fold
from ..sql import ast
from .common import AggScope, _SCALAR_NAMES, _VOLATILE, _count_star, _nulls, _ordinal, _same_columns, \
    split_conjuncts, term_position
from .scope import Scope


class GroupPlanning:
    """Planner methods (mixed into :class:`engine.plan.select.Planner`)."""

    def _collect_aggregates(self, exprs, core, scope=None) -> list:
        found = []
        seen = set()
        for e in exprs:
            if e is None or isinstance(e, int) or isinstance(e, Slot):
                continue
            for node in walk(e):
                if isinstance(node, ast.FunctionCall) and node.over is None \
                        and is_aggregate_call(node.name, len(node.args), node.star):
                    if node not in seen and not _computed_outside(node, scope):
                        seen.add(node)
                        found.append(node)
        return found

    def _having_to_where(self, core, having, scope: Scope, results, aliases) -> tuple[list, object]:
        """The HAVING terms sqlite3 moves to the WHERE clause (havingToWhere):
        with a GROUP BY, an AND term made only of GROUP BY expressions (of
        binary collation), constants and deterministic functions (no column
        outside those expressions, no aggregate, no subquery) filters the rows
        before grouping.  It matters when rows of one group differ (1 and 1.0
        group together; HAVING typeof(a)='integer' keeps only the 1).
        Returns (terms for WHERE, the HAVING that remains)."""
        if not core.group_by or having is None:
            return [], having
        from_names = {fold(s.name) for s in scope.sources if s.name}
        comp = self.compiler(scope, aliases=aliases)
        keys = []
        for g in core.group_by:
            k = term_position(g)
            if k is not None:
                if not 1 <= k <= len(results) or isinstance(results[k - 1][0], Slot):
                    continue
                g = results[k - 1][0]
            g = self._expand_alias(g, scope, aliases)
            try:
                coll_name, _ = comp.collation(g)
            except SQLError:
                continue
            if coll_name is None or coll_name.upper() == "BINARY":
                keys.append(_same_columns(g, from_names))
        moved, kept = [], []
        terms = split_conjuncts(having)
        for t in terms:
            e = self._expand_alias(t, scope, aliases)
            if len(terms) > 1 or not (isinstance(t, ast.Literal) and t.value == 0):
                if _only_group_terms(e, keys, from_names):
                    moved.append(e)
                    continue
            kept.append(t)
        remaining = None
        for t in kept:
            remaining = t if remaining is None else ast.Binary("AND", remaining, t)
        return moved, remaining

    def _expand_alias(self, e, scope: Scope, aliases):
        """``e`` with bare names that are result aliases (and not columns of
        the FROM clause) replaced by the aliased expressions."""
        if isinstance(e, ast.Column) and e.table is None and e.name.lower() in aliases:
            try:
                if scope.lookup_local(e.name, None) is None:
                    return aliases[e.name.lower()]
            except SQLError:
                return e
            return e
        if isinstance(e, tuple):
            return tuple(self._expand_alias(x, scope, aliases) for x in e)
        if isinstance(e, (ast.Select, ast.SelectCore)) or not hasattr(e, "__dataclass_fields__"):
            return e
        return type(e)(**{f: self._expand_alias(getattr(e, f), scope, aliases) for f in e.__dataclass_fields__})

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
            args = [comp.compile_json_arg(a) if name in JSON_AGGREGATES else comp.compile(a)
                    for a in call.args]
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
        group_key = None
        gsort = None
        if core.group_by:
            gfns = []
            for g in core.group_by:
                k = term_position(g)
                if k is not None:
                    if not 1 <= k <= len(results):
                        raise SQLError(f"{_ordinal(core.group_by.index(g) + 1)} GROUP BY term out of range - should be between 1 and {len(results)}")
                    target = results[k - 1][0]
                else:
                    target = g
                for node in walk(target) if not isinstance(target, Slot) else ():
                    if isinstance(node, ast.FunctionCall) and node.over is None \
                            and is_aggregate_call(node.name, len(node.args), node.star):
                        raise SQLError("aggregate functions are not allowed in the GROUP BY clause")
                f = comp.compile(target)
                coll_name, _ = comp.collation(target)
                gfns.append((f, collation_key_function(coll_name)))

            group_key = (lambda row, gfns=gfns: tuple(equality_key(f(row), c) for f, c in gfns))
            sort_terms = [((lambda r, f=f: f(r)), False, None, c) for f, c in gfns]
            gsort = op.make_sort_key(sort_terms)
        # Bare columns come from a group's first row; with min() or max()
        # from the row where the last of them (in the query's order) last
        # changed, as sqlite3 3.40 does (which one is undefined in its docs).
        mm_index = minmax[-1] if minmax else None
        operator = op.Aggregate(child, scope.width, specs, group_key, gsort, bool(core.group_by), mm_index)
        post = AggScope(scope, len(agg_calls))
        return operator, post, agg_map

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
            raise SQLError(f"cannot override PARTITION clause of window: {spec.base}")
        if spec.order_by and base.order_by:
            raise SQLError(f"cannot override ORDER BY clause of window: {spec.base}")
        if base.frame is not None:
            raise SQLError(f"cannot override frame specification of window: {spec.base}")
        return ast.WindowSpec(None, base.partition_by, spec.order_by or base.order_by, spec.frame)

    def _windows(self, child, core, calls, comp: ExprCompiler, width: int):
        from ..exec.window import BUILTIN_WINDOW_FUNCTIONS, Window, WindowCall
        defs: dict = {}
        win_map = {}
        for j, call in enumerate(calls):
            name = call.name.lower()
            spec = self._resolve_window(call.over, core)
            nargs = len(call.args)
            if name in BUILTIN_WINDOW_FUNCTIONS:
                if call.filter is not None:
                    raise SQLError("FILTER clause may only be used with aggregate window functions")
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


def _computed_outside(call, scope) -> bool:
    """Whether an enclosing aggregate query already computes this call."""
    s = scope.parent if scope is not None else None
    while s is not None:
        # The very node, not an equal one: COUNT(*) in a subquery is its own
        # aggregate even when the outer query has a COUNT(*) too.
        if any(k is call for k in (getattr(s, "agg_map", None) or {})):
            return True
        s = s.parent
    return False


# Functions whose value may change between calls: never moved out of HAVING.
_NOT_CONSTANT = _VOLATILE | {"date", "time", "datetime", "julianday", "strftime", "unixepoch",
                             "sqlite_version", "sqlite_source_id"}


def _only_group_terms(e, keys, from_names) -> bool:
    """Whether ``e`` reads only GROUP BY expressions (``keys``, normalized by
    _same_columns), constants and deterministic functions."""
    if _same_columns(e, from_names) in keys:
        return True
    if isinstance(e, (ast.Column, ast.Subquery, ast.Exists, ast.InSelect, ast.CurrentTime, Slot)):
        return False
    if isinstance(e, ast.FunctionCall):
        if e.over is not None or is_aggregate_call(e.name, len(e.args), e.star) \
                or e.name.lower() in _NOT_CONSTANT:
            return False
    if isinstance(e, (ast.Collate, ast.Cast)):
        return _only_group_terms(e.expr, keys, from_names)
    if isinstance(e, ast.Raise):
        return False
    return all(_only_group_terms(c, keys, from_names) for c in _children(e))
