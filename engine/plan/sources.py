"""Planning the FROM clause's sources (lang_select.html "FROM"; lang_with.html):
base tables, views, subqueries, common table expressions including recursive
ones."""

from __future__ import annotations

import heapq
from collections import deque

from ..errors import SQLError
from ..exec import operators as op
from ..exec.aggregates import is_aggregate_call
from ..exec.expr import walk
from ..exec.values import collation_key_function, equality_key
from ..sql import ast
from ..exec.json1 import TABLE_FUNCTIONS
from .common import QueryPlan, _dedupe, _references
from .scope import ColumnInfo, Scope, Source, table_source


class SourcePlanning:
    """Planner methods (mixed into :class:`engine.plan.select.Planner`)."""

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

    def _source_for(self, item, outer: Scope | None, scope: Scope | None = None) -> tuple[Source, object, object, object]:
        """(Source, access, base table or None, reader) for one FROM item;
        ``scope`` holds the sources to its left (a table-valued function's
        arguments may read them)."""
        if isinstance(item, ast.SubqueryRef):
            plan = self.plan_select(item.select, outer)
            name = item.alias or self._next_name()
            src = Source(name, _dedupe(plan.columns))
            return src, op.Materialized(plan, self.rt, plan.correlated), None, plan.rows
        if isinstance(item, ast.TableRef):
            if item.args is not None:
                return self._table_function(item, scope or Scope(parent=outer))
            lname = item.name.lower()
            if item.schema is None:
                for frame in reversed(self._ctes):
                    if lname in frame:
                        cte, recursive = frame[lname]
                        return self._cte_source(cte, item, recursive)
            obj = self.db.lookup_table_or_view(item.name, item.schema)
            if obj is None and lname.startswith("pragma_"):
                return self._table_function(ast.TableRef(item.name, item.schema, item.alias, args=()),
                                            scope or Scope(parent=outer))
            if obj is None:
                # Inside a view or a trigger sqlite3 names the schema the
                # view or trigger lives in.
                schema = item.schema or ("main" if self.views_open else self.db.__dict__.get("_trigger_schema"))
                shown = f"{schema}.{item.name}" if schema else item.name
                raise SQLError(f"no such table: {shown}")
            if hasattr(obj, "select"):  # a view
                plan = self.db.view_plan(obj, self)
                src = Source(item.alias or obj.name, _dedupe(plan.columns))
                return src, op.Materialized(plan, self.rt, False), None, plan.rows
            table = obj
            if item.indexed_by is not None:
                idx = self.db.indexes.get(item.indexed_by.lower())
                if idx is None or idx.table.lower() != table.name.lower():
                    raise SQLError(f"no such index: {item.indexed_by}")
                if idx.where is not None:
                    raise SQLError("no query solution")
            src = table_source(table, item.alias)
            reader = self.db.table_reader(table)
            return src, op.TableScan(reader), table, reader
        raise SQLError("unsupported FROM item")

    def _table_function(self, item: ast.TableRef, scope: Scope):
        spec = TABLE_FUNCTIONS.get(item.name.lower())
        if spec is None and item.name.lower().startswith("pragma_"):
            from ..exec.pragmas import table_function
            found = table_function(self.db, item.name[7:])
            if found is not None:
                visible, hidden, fn = found
                spec = (0, 2, fn, visible, hidden)
        if spec is None:
            raise SQLError(f"no such table-valued function: {item.name}")
        lo, hi, fn, visible, hidden = spec
        if not lo <= len(item.args) <= hi:
            raise SQLError(f"too many arguments on {item.name}() - max {hi}" if len(item.args) > hi
                           else f"wrong number of arguments to function {item.name}()")
        comp = self.compiler(scope)
        args = [comp.compile_json_arg(a) for a in item.args]
        cols = [ColumnInfo(n) for n in visible] + [ColumnInfo(n, hidden=True) for n in hidden]
        src = Source(item.alias or item.name, cols)
        access = op.TableFunction(fn, args)
        return src, access, None, None

    def _cte_source(self, cte: ast.CommonTableExpr, item: ast.TableRef, recursive: bool):
        key = ("cte", id(cte))
        plan = self._memo.get(key)
        if plan is None:
            if _references(cte.select, cte.name):
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
        """A recursive CTE (lang_with.html 3.1): the leading SELECTs that do not
        name the CTE seed a queue; each row taken from the queue is the table
        the recursive SELECTs read to produce more rows.  ORDER BY makes the
        queue a priority queue; LIMIT/OFFSET apply to the rows produced."""
        parts = _compound_parts(cte.select.body)
        first_rec = next((i for i, (_, body) in enumerate(parts) if _references(body, cte.name)), None)
        if first_rec == 0:
            raise SQLError(f"circular reference: {cte.name}")
        if first_rec is None or parts[first_rec][0] not in ("UNION", "UNION ALL"):
            raise SQLError(f"recursive reference in a subquery: {cte.name}")
        anchor_body = parts[0][1]
        for op_name, body in parts[1:first_rec]:
            anchor_body = ast.Compound(op_name, anchor_body, body)
        anchor = self._plan_body(anchor_body, None)
        names = list(cte.columns) if cte.columns is not None else [c.name for c in anchor.columns]
        if len(names) != len(anchor.columns):
            raise SQLError(f"table {cte.name} has {len(anchor.columns)} values for {len(names)} columns")
        cols = [ColumnInfo(n, c.affinity, c.collation) for n, c in zip(names, anchor.columns)]
        current: list = []
        table_plan = QueryPlan(cols, op.Rows(lambda: current), True)
        self._ctes.append({cte.name.lower(): (ast.CommonTableExpr(cte.name, cte.select, cte.columns), False)})
        self._memo[("cte", id(self._ctes[-1][cte.name.lower()][0]))] = table_plan
        try:
            steps = []
            for op_name, body in parts[first_rec:]:
                if isinstance(body, ast.SelectCore) and (body.group_by or any(
                        isinstance(n, ast.FunctionCall) and n.over is None
                        and is_aggregate_call(n.name, len(n.args), n.star)
                        for rc in body.columns if isinstance(rc, ast.ResultColumn) for n in walk(rc.expr))):
                    raise SQLError("recursive aggregate queries not supported")
                step = self._plan_body(body, None)
                if len(step.columns) != len(cols):
                    raise SQLError(f"SELECTs to the left and right of {op_name} do not have the same "
                                   f"number of result columns")
                steps.append(step)
        finally:
            self._ctes.pop()
        distinct = parts[first_rec][0] == "UNION"
        colls = [collation_key_function(c.collation) for c in cols]
        limit_fn = self._limit_value(cte.select.limit, None) if cte.select.limit is not None else None
        offset_fn = self._limit_value(cte.select.offset, None) if cte.select.offset is not None else None
        order_key = None
        if cte.select.order_by:
            order_key = self._cte_order_key(cte, names, cols)

        def produce():
            seen = set()
            out_n = 0
            limit = limit_fn() if limit_fn else -1
            skip = offset_fn() if offset_fn else 0
            queue = _Queue(order_key)

            def offer(r):
                if distinct:
                    k = tuple(equality_key(v, c) for v, c in zip(r, colls))
                    if k in seen:
                        return
                    seen.add(k)
                queue.push(r)
            for r in anchor.rows():
                offer(r)
            check = self.db.check_interrupt
            while queue:
                check()
                r = queue.pop()
                if skip > 0:
                    skip -= 1
                else:
                    yield r
                    out_n += 1
                    if 0 <= limit <= out_n:
                        return
                current[:] = [r]
                for step in steps:
                    for nr in list(step.rows()):
                        offer(nr)
        return QueryPlan(cols, op.Rows(produce), False)

    def _cte_order_key(self, cte, names, cols):
        """The sort key of a recursive CTE's ORDER BY, over its own columns."""
        lower = [n.lower() for n in names]
        terms = []
        for term in cte.select.order_by:
            e = term.expr
            coll_name = None
            while isinstance(e, ast.Collate):
                coll_name = e.collation
                e = e.expr
            if isinstance(e, ast.Literal) and isinstance(e.value, int) and 1 <= e.value <= len(names):
                i = e.value - 1
            elif isinstance(e, ast.Column) and e.name.lower() in lower:
                i = lower.index(e.name.lower())
            else:
                raise SQLError("ORDER BY term of a recursive query must name a result column")
            coll = collation_key_function(coll_name or cols[i].collation)
            terms.append((lambda r, i=i: r[i], term.desc, None if term.nulls is None else term.nulls == "FIRST", coll))
        return op.make_sort_key(terms)


def _compound_parts(body) -> list[tuple[str | None, object]]:
    """A left-deep compound as [(None, first), (op, next), ...]."""
    if isinstance(body, ast.Compound):
        return _compound_parts(body.left) + [(body.op, body.right)]
    return [(None, body)]


class _Queue:
    """The queue of a recursive CTE: first in, first out, or by ORDER BY
    (ties keep their arrival order)."""

    def __init__(self, key=None):
        self.key = key
        self.fifo = deque()
        self.heap: list = []
        self.n = 0

    def __bool__(self):
        return bool(self.fifo or self.heap)

    def push(self, row) -> None:
        if self.key is None:
            self.fifo.append(row)
        else:
            self.n += 1
            heapq.heappush(self.heap, (self.key(row), self.n, row))

    def pop(self):
        if self.key is None:
            return self.fifo.popleft()
        return heapq.heappop(self.heap)[2]
