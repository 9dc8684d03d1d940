"""Planning SELECT (lang_select.html): FROM sources and join order, WHERE
terms pushed to the earliest join level that binds their columns, access
paths (rowid seeks, hash lookups for equality joins), aggregation, result
columns, DISTINCT, compound operators, ORDER BY and LIMIT.

The planner turns a syntax tree into a tree of executor operators
(engine/exec/operators.py) with compiled expressions.  A :class:`QueryPlan`
is what the layers above run.
"""

from __future__ import annotations

from operator import itemgetter

from ..errors import SQLError
from ..exec import operators as op
from ..exec.aggregates import is_aggregate_call
from ..exec.expr import ExprCompiler, Slot, walk
from ..exec.index import _plain_column
from ..exec.values import NONE, REAL, collation_key_function, equality_key, numeric_affinity_for_compare
from ..names import fold
from ..sql import ast
from .common import QueryPlan, _Level, _nulls, _ordinal, _same_columns, split_conjuncts, term_position  # noqa: F401 (re-exported)
from .grouping import GroupPlanning, _computed_outside
from .join import JoinPlanning
from .scope import ColumnInfo, ROWID_NAMES, Scope
from .sources import SourcePlanning


class Planner(SourcePlanning, JoinPlanning, GroupPlanning):
    """Plans the SELECTs of one statement; ``db`` gives the catalog and table
    access, ``runtime`` is shared by every compiled closure of the statement."""

    def __init__(self, db, runtime):
        self.db = db
        self.rt = runtime
        self._memo: dict = {}
        self._ctes: list[dict] = []
        self._names = 0
        self.views_open: list[str] = []   # views being expanded, innermost last

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
            if sel.order_by and _converted_to_subquery(body, sel.order_by):
                return self._plan_converted_compound(sel, outer)
            plan = self._plan_body(body, outer, merge=bool(sel.order_by))
            return self._finish_compound(plan, body, outer, sel.order_by, sel.limit, sel.offset)
        finally:
            if pushed:
                self._ctes.pop()

    # -- bodies -------------------------------------------------------------

    def _plan_body(self, body, outer: Scope | None, merge: bool = False) -> QueryPlan:
        if isinstance(body, ast.SelectCore):
            return self._plan_core(body, outer, (), None, None)
        if isinstance(body, ast.Values):
            return self._plan_values(body, outer)
        if isinstance(body, ast.Compound):
            return self._plan_compound(body, outer, merge)
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

    def _plan_compound(self, body: ast.Compound, outer: Scope | None, merge: bool = False) -> QueryPlan:
        """A compound operator over its two operands.  The left operand is read
        first.  ``merge``: the compound has an ORDER BY, which sqlite3 runs by
        merging both sides in order (multiSelectOrderBy); then EXCEPT and
        INTERSECT never read the right side when the left one is empty (its
        errors do not happen)."""
        # sqlite3 resolves a compound's SELECTs from the last to the first,
        # so the right operand's errors come first.
        right = self._plan_body(body.right, outer)
        left = self._plan_body(body.left, outer, merge)
        if len(left.columns) != len(right.columns):
            raise SQLError(f"SELECTs to the left and right of {body.op} do not have the same number of result columns")
        # Each column compares under the left operand's collation, else the right's.
        merged = [lc.collation or rc.collation for lc, rc in zip(left.columns, right.columns)]
        colls = [collation_key_function(c) for c in merged]

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
            left_rows = list(left.rows())
            if merge and not left_rows:
                return
            right_keys = {key(r) for r in right.rows()}
            out = {}
            for r in left_rows:
                k = key(r)
                if (k in right_keys) == (kind == "INTERSECT"):
                    out.setdefault(k, r)
            yield from sorted(out.values(), key=sort_key)
        cols = [ColumnInfo(c.name, c.affinity, m) for c, m in zip(left.columns, merged)]
        return QueryPlan(cols, op.Rows(produce), left.correlated or right.correlated)

    def _plan_converted_compound(self, sel: ast.Select, outer: Scope | None) -> QueryPlan:
        """A compound whose ORDER BY uses COLLATE (and that is not all UNION
        ALL), planned as sqlite3 rewrites it (convertCompoundSelectToSubquery):
        ``SELECT * FROM (compound) GROUP BY g HAVING h ORDER BY ...``, where
        g and h are the GROUP BY and HAVING of the compound's last SELECT,
        which loses them.  So they name the compound's result columns, not
        that SELECT's tables.  ORDER BY terms still match the compound's
        result columns as a compound's do; LIMIT and OFFSET apply outside."""
        body = sel.body
        last = body.right
        group_by, having = (), None
        if isinstance(last, ast.SelectCore):
            group_by, having = last.group_by, last.having
            last = ast.SelectCore(last.columns, last.from_, last.where, (), None, last.windows, last.distinct)
        inner = ast.Compound(body.op, body.left, last)
        core = ast.SelectCore((ast.Star(),), ast.SubqueryRef(ast.Select(inner)), None, group_by, having)
        plan = self._plan_core(core, outer, (), None, None)
        return self._finish_compound(plan, inner, outer, sel.order_by, sel.limit, sel.offset)

    def _finish_compound(self, plan: QueryPlan, body, outer, order_by, limit, offset) -> QueryPlan:
        operator = plan.operator
        if order_by:
            terms = []
            names = self._compound_names(body)
            for n, term in enumerate(order_by, 1):
                idx = self._compound_order_index(term.expr, names, len(plan.columns))
                if idx is None:
                    if term_position(term.expr) is not None:
                        raise SQLError(f"{_ordinal(n)} ORDER BY term out of range - should be between 1 "
                                       f"and {len(plan.columns)}")
                    raise SQLError(f"{_ordinal(n)} ORDER BY term does not match any column in the result set")
                coll_name, _ = self.compiler(Scope()).collation(term.expr)
                coll = collation_key_function(coll_name or plan.columns[idx].collation)
                terms.append((itemgetter(idx), term.desc, _nulls(term), coll))
            operator = op.Sort(operator, op.make_sort_key(terms))
        operator = self._limit(operator, limit, offset, outer)
        return QueryPlan(plan.columns, operator, plan.correlated)

    def _compound_names(self, body) -> list[tuple[list, set]]:
        """For each component SELECT, its result columns as (name, expr), and
        the names its FROM items answer to."""
        if isinstance(body, ast.Compound):
            return self._compound_names(body.left) + self._compound_names(body.right)
        if isinstance(body, ast.SelectCore):
            out = []
            for rc in body.columns:
                if isinstance(rc, ast.ResultColumn):
                    out.append((rc.alias, rc.expr))
                else:
                    out.append((None, None))
            return [(out, _from_names(body.from_))]
        return [([], set())]

    def _compound_order_index(self, e, names, width) -> int | None:
        """The result column an ORDER BY term of a compound names: its number,
        an alias or column name of any component, or an expression equal to
        one of a component's (columns compared as that component resolves
        them, so ``t1.c0`` matches ``c0`` when t1 is in its FROM)."""
        k = term_position(e)
        if k is not None:
            return k - 1 if 1 <= k <= width else None
        base = e
        while isinstance(base, ast.Collate):
            base = base.expr
        for comp, from_names in names:
            target = _same_columns(base, from_names)
            for i, (alias, expr) in enumerate(comp):
                if isinstance(base, ast.Column) and base.table is None:
                    if alias is not None and alias.lower() == base.name.lower():
                        return i
                    if isinstance(expr, ast.Column) and expr.name.lower() == base.name.lower():
                        return i
                elif expr is not None and (expr == base or _same_columns(expr, from_names) == target):
                    return i
        return None

    # -- one SELECT core ----------------------------------------------------

    def _plan_core(self, core: ast.SelectCore, outer: Scope | None, order_by, limit, offset) -> QueryPlan:
        scope = Scope(parent=outer)
        levels: list[_Level] = []
        conjuncts = split_conjuncts(core.where) if core.where is not None else []
        plain = True       # only inner joins without NATURAL/USING: the order is free
        if core.from_ is not None:
            for item, kind, natural, on, using in self._flatten_from(core.from_):
                src, access, table, reader = self._source_for(item, outer, scope)
                if isinstance(item, ast.TableRef) and item.args is not None:
                    plain = False      # its arguments read the sources to its left
                src.from_index = len(levels)
                scope.add(src)
                on_expr = on
                if natural or using:
                    on_expr = self._using_condition(scope, src, natural, using, on,
                                                    coalesce=kind in ("RIGHT", "FULL"))
                    plain = False
                if kind in ("LEFT", "RIGHT", "FULL"):
                    plain = False
                levels.append(_Level(src, access, kind if kind in ("LEFT", "RIGHT", "FULL") else "INNER",
                                     on_expr, table, reader))
        # sqlite3 ANDs every ON clause onto the WHERE clause before resolving
        # names (sqlite3ProcessJoin), and a literal 0 on either side of an AND
        # makes the whole the constant 0 (the ON clauses of outer joins are
        # never such a side, but are dropped with the rest): the query is
        # empty and the other terms are never resolved.
        if _is_false(conjuncts) or any(lv.kind == "INNER" and lv.on is not None and _is_false(split_conjuncts(lv.on))
                                       for lv in levels):
            conjuncts = [ast.Literal(0)]
            for lv in levels:
                lv.on = None
        # For "*": the last RIGHT/FULL join, and the USING names to the right of each source.
        last_right = max((k for k, lv in enumerate(levels) if lv.kind in ("RIGHT", "FULL")), default=-1)
        using_after = [set() for _ in levels]
        for k, lv in enumerate(levels):
            for j in range(k):
                using_after[j] |= lv.source.using_hidden
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

        self._check_qualifiers(core, conjuncts, levels, order_by, scope)

        # Result columns, with * expanded.
        results: list[tuple] = []   # (expr, name, ColumnInfo-hint)
        alias_index: dict[str, int] = {}   # alias -> its index in results (the first one wins)
        for rc in core.columns:
            if isinstance(rc, ast.ResultColumn) and rc.alias is not None:
                alias_index.setdefault(rc.alias.lower(), len(results))
            if isinstance(rc, ast.Star):
                if not levels:
                    raise SQLError("no tables specified")
                for slot, info, src in scope.star_columns(rc.table):
                    if src.from_index < last_right and fold(info.name) in using_after[src.from_index]:
                        # sqlite3 expands a column of a source left of a RIGHT
                        # or FULL join that a later USING names as the bare
                        # name: it resolves (coalesced) as such, or is ambiguous.
                        results.append((ast.Column(info.name), info.name))
                        continue
                    alt = scope.star_alt(slot, info.name) if rc.table is None else None
                    results.append((Slot(slot, info.affinity, info.collation, alt), info.name))
            else:
                results.append((rc.expr, self._column_name(rc, scope)))
        aliases = {}
        for rc in core.columns:
            if isinstance(rc, ast.ResultColumn) and rc.alias is not None:
                aliases.setdefault(rc.alias.lower(), rc.expr)

        # ORDER BY terms resolved to result columns or expressions.
        order_terms = []
        for n, term in enumerate(order_by, 1):
            order_terms.append((self._resolve_order_term(term.expr, results, alias_index, n), term))

        moved, having = self._having_to_where(core, core.having, scope, results, aliases)
        conjuncts.extend(moved)

        # Only GROUP BY or an aggregate among the result columns makes an
        # aggregate query; one in HAVING or ORDER BY alone is a misuse.
        is_agg = bool(core.group_by) or bool(self._collect_aggregates([e for e, _ in results], core, scope))
        if having is not None and not is_agg:
            raise SQLError("HAVING clause on a non-aggregate query")
        agg_calls = self._collect_aggregates([e for e, _ in results] + [having] +
                                             [e for e, _ in order_terms], core, scope) if is_agg else []
        if is_agg:
            # An aggregate inside a subquery that reads only this query's
            # columns belongs to this query (lang_aggfunc.html).
            agg_calls += self._outer_aggregates([e for e, _ in results] + [having], scope, agg_calls)

        where_comp = self.compiler(scope, aliases=aliases)
        for c in conjuncts:
            for node in walk(c):
                if isinstance(node, ast.FunctionCall) and is_aggregate_call(node.name, len(node.args), node.star) \
                        and node.over is None and not _computed_outside(node, scope):
                    raise SQLError(f"misuse of aggregate: {node.name}()" if is_agg
                                   else f"misuse of aggregate function {node.name}()")
        operator = self._join(levels, scope, conjuncts, where_comp)

        if is_agg:
            operator, post_scope, agg_map = self._aggregate(operator, scope, core, agg_calls, aliases, results)
            post_scope.agg_map = agg_map
            comp = self.compiler(post_scope, aggregates=agg_map, aliases=aliases)
            if having is not None:
                operator = op.Filter(operator, comp.compile_predicate(having))
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
                ocomp = self.compiler(post_scope, aggregates=comp.aggregates, aliases=aliases,
                                      context="" if is_agg else "ORDER BY")
                fn = ocomp.compile(target)
                coll_name, _ = ocomp.collation(target)
                key_fns.append(("src", fn, term, coll_name))

        correlated = scope.correlated or post_scope.correlated
        if core.distinct:
            colls = [collation_key_function(c.collation) for c in columns]

        if core.from_ is None and not window_calls:
            # One row at most: sqlite3 counts the ORDER BY as satisfied and
            # never evaluates its terms (they are still resolved above).
            key_fns = []
        limited = False
        if not key_fns:
            if not core.distinct and not is_agg and not window_calls:
                # OFFSET skips rows before their result columns are computed
                # (sqlite3's codeOffset() comes first in the inner loop).
                operator = self._limit(operator, limit, offset, outer)
                limited = True
            operator = op.Project(operator, out_fns)
            if core.distinct:
                operator = op.Distinct(operator, lambda r, colls=colls: tuple(equality_key(v, c) for v, c in zip(r, colls)))
        else:
            if not is_agg and not window_calls:
                for i in self._sorted_as_integers(results, scope, order_terms):
                    out_fns[i] = _integral_real_as_int(out_fns[i])
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
        if not limited:
            operator = self._limit(operator, limit, offset, outer)
        return QueryPlan(columns, operator, correlated)

    def _sorted_as_integers(self, results, scope: Scope, order_terms) -> list[int]:
        """Result columns that come back from sqlite3's sorter as integers:
        a VIRTUAL generated column of REAL affinity holds an integral value
        as an integer flagged real, which the sorter's record keeps as an
        integer.  None when the ORDER BY is met by the scan itself (a
        single table ordered by its rowid, or perhaps by an index)."""
        def column_of(e):
            while isinstance(e, ast.Collate) or (isinstance(e, ast.Unary) and e.op == "+"):
                e = e.expr if isinstance(e, ast.Collate) else e.operand
            if isinstance(e, Slot):
                slot = e.slot
            elif isinstance(e, ast.Column):
                try:
                    r = scope.lookup_local(e.name, e.table)
                except SQLError:
                    return None, None
                if r is None:
                    return None, None
                slot = r.slot
            else:
                return None, None
            for src in scope.sources:
                if src.table is not None and src.offset < slot < src.offset + len(src.columns):
                    return src.table, slot - src.offset - 1
            return None, None

        first, _term = order_terms[0]
        table, i = column_of(results[first][0] if isinstance(first, int) else first)
        if table is not None and len(scope.sources) == 1:
            led = {_plain_column(table, idx.columns[0]) for idx in table.indexes}
            if (i is not None and i == table.rowid_alias) or i in led:
                return []
        if isinstance(first, ast.Column) and first.name.lower() in ("rowid", "oid", "_rowid_") \
                and len(scope.sources) == 1:
            return []
        out = []
        for n, (e, _name) in enumerate(results):
            table, i = column_of(e)
            if table is not None and i is not None and 0 <= i < len(table.columns):
                col = table.columns[i]
                if col.generated is not None and not col.generated_stored and col.affinity == REAL:
                    out.append(n)
        return out

    def _check_qualifiers(self, core, conjuncts, levels, order_by, scope: Scope) -> None:
        """'no such column: T.C' for a qualified column that no FROM item of
        this query or an enclosing one has, reported for the first clause in
        sqlite3's order of resolution: result columns, HAVING,
        WHERE (with the ON clauses after it), ORDER BY, GROUP BY."""
        clauses = [rc.expr for rc in core.columns if isinstance(rc, ast.ResultColumn)]
        clauses += [core.having] + list(conjuncts) + [lv.on for lv in sorted(levels, key=lambda lv: lv.source.from_index)]
        clauses += [t.expr for t in order_by] + list(core.group_by)
        for e in clauses:
            if e is None:
                continue
            for node in walk(e):
                if isinstance(node, ast.Column) and node.table is not None and node.schema is None:
                    s = scope
                    try:
                        while s is not None and s.lookup_local(node.name, node.table) is None:
                            s = s.parent
                    except SQLError:
                        continue    # ambiguous: compiling reports it
                    if s is None:
                        raise SQLError(f"no such column: {node.table}.{node.name}")

    def _outer_aggregates(self, exprs, scope: Scope, known) -> list:
        """Aggregate calls inside subqueries of ``exprs`` whose every column is
        qualified with a name of this query's FROM (and not of the subquery's)."""
        names = {s.name.lower() for s in scope.sources if s.name}
        found = []
        seen = set(known)

        def visit_select(sel, shadow):
            inner = set(shadow)
            inner_columns: set = set()      # column names the subquery's own tables have
            inner_unknown = False           # a source whose columns are not known here
            for n in ast.subtree(sel):
                if isinstance(n, ast.TableRef):
                    inner.add((n.alias or n.name).lower())
                    table = self.db.lookup_table(n.name, n.schema) if n.args is None else None
                    if table is None:
                        inner_unknown = True
                    else:
                        inner_columns.update(c.name.lower() for c in table.columns)
                elif isinstance(n, ast.SubqueryRef):
                    inner_unknown = True
                    if n.alias:
                        inner.add(n.alias.lower())

            def take(n) -> bool:
                """Record ``n`` if it is an outer aggregate; whether to search
                under it (an outer aggregate's arguments are not)."""
                if isinstance(n, ast.FunctionCall) and n.over is None and n not in seen \
                        and is_aggregate_call(n.name, len(n.args), n.star) and n.args:
                    cols = [c for a in n.args for c in walk(a) if isinstance(c, ast.Column)]
                    if cols and all(outer_column(c, inner, inner_columns, inner_unknown) for c in cols):
                        seen.add(n)
                        found.append(n)
                        return False
                return True

            for _ in ast.subtree(sel, descend=take):
                pass

        def outer_column(c, inner, inner_columns, inner_unknown) -> bool:
            """Whether column ``c`` inside the subquery names this query's FROM."""
            if c.table is not None:
                return c.table.lower() in names and c.table.lower() not in inner
            if inner_unknown or c.name.lower() in inner_columns:
                return False
            try:
                return scope.lookup_local(c.name, None) is not None
            except SQLError:
                return False

        for e in exprs:
            if e is None or isinstance(e, Slot):
                continue
            for node in walk(e):
                if isinstance(node, (ast.Subquery, ast.Exists, ast.InSelect)):
                    visit_select(node.select, set())
        return found

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

    def _resolve_order_term(self, e, results, alias_index, n):
        """An ORDER BY term: an int (a result column index) or an expression."""
        k = term_position(e)
        if k is not None:
            if not 1 <= k <= len(results):
                raise SQLError(f"{_ordinal(n)} ORDER BY term out of range - should be between 1 and {len(results)}")
            return k - 1
        base = e
        while isinstance(base, ast.Collate):
            base = base.expr
        if isinstance(base, ast.Column) and base.table is None and base.name.lower() in alias_index:
            return alias_index[base.name.lower()]
        return e

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


def _is_false(conjuncts) -> bool:
    """Whether an AND chain split by split_conjuncts() is the literal 0."""
    return len(conjuncts) == 1 and isinstance(conjuncts[0], ast.Literal) and type(conjuncts[0].value) is int \
        and conjuncts[0].value == 0


def _converted_to_subquery(body, order_by) -> bool:
    """Whether sqlite3 turns this compound into a subquery of a plain SELECT:
    an ORDER BY term holds a COLLATE and some operator is not UNION ALL."""
    if not any(isinstance(n, ast.Collate) for t in order_by for n in walk(t.expr)):
        return False
    while isinstance(body, ast.Compound):
        if body.op != "UNION ALL":
            return True
        body = body.left
    return False


def _from_names(item) -> set:
    """The folded names the items of a FROM clause answer to."""
    if item is None:
        return set()
    if isinstance(item, ast.Join):
        return _from_names(item.left) | _from_names(item.right)
    if isinstance(item, ast.TableRef):
        return {fold(item.alias or item.name)}
    if isinstance(item, ast.SubqueryRef) and item.alias:
        return {fold(item.alias)}
    return set()


def _integral_real_as_int(fn):
    def value(row):
        v = fn(row)
        if type(v) is float and v.is_integer() and -2**47 <= v < 2**47:
            return int(v)
        return v
    return value

