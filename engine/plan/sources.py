"""Planning the FROM clause's sources (lang_select.html "FROM"; lang_with.html):
base tables, views, subqueries, common table expressions including recursive
ones."""

from __future__ import annotations

from collections import deque

from ..errors import SQLError
from ..exec import operators as op
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
            if obj is None:
                shown = f"{item.schema}.{item.name}" if item.schema else item.name
                raise SQLError(f"no such table: {shown}")
            if hasattr(obj, "select"):  # a view
                plan = self.db.view_plan(obj, self)
                src = Source(item.alias or obj.name, _dedupe(plan.columns))
                return src, op.Materialized(plan, self.rt, False), None, plan.rows
            table = obj
            src = table_source(table, item.alias)
            reader = self.db.table_reader(table)
            return src, op.TableScan(reader), table, reader
        raise SQLError("unsupported FROM item")

    def _table_function(self, item: ast.TableRef, scope: Scope):
        spec = TABLE_FUNCTIONS.get(item.name.lower())
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
