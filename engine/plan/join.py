"""Planning joins (lang_select.html "The FROM clause", optoverview.html in
spirit): NATURAL/USING conditions, the join order of inner joins, WHERE
terms pushed to the earliest level that binds their columns, and access
paths (rowid seeks, hash lookups on equality, sources filtered once)."""

from __future__ import annotations

from ..errors import SQLError
from ..exec import operators as op
from ..exec.expr import ExprCompiler, Slot, walk
from ..exec.ops import comparison_affinity, converter_for
from ..exec.values import TEXT, collation_key_function, equality_key, is_numeric_affinity, numeric_affinity_for_compare
from ..sql import ast
from .common import _Level, _ReaderPlan, _VOLATILE, _has_subquery, split_conjuncts
from .scope import Scope


class JoinPlanning:
    """Planner methods (mixed into :class:`engine.plan.select.Planner`)."""

    def _using_condition(self, scope, src, natural, using, on, coalesce: bool = False):
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
            if coalesce:
                scope.coalesce[name.lower()] = src.offset + src.find(name)
        return cond

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

    def _is_constant_term(self, c, scope: Scope, n_levels: int) -> bool:
        """A term decided once per execution of the join: it reads no column
        of this query's sources (outer columns are fine), holds no subquery
        and calls no non-deterministic function (sqlite3's prereqAll==0 and
        exprIsDeterministic())."""
        if _has_subquery(c):
            return False
        if any(isinstance(node, ast.FunctionCall) and node.name.lower() in _VOLATILE for node in walk(c)):
            return False
        return self._conjunct_level(c, scope, n_levels) < 0

    def _on_references_right(self, levels: list[_Level], scope: Scope) -> bool:
        """Whether an ON clause reads a source to the right of its join: an
        error for LEFT/RIGHT/FULL joins, and for inner joins in a query that
        has a RIGHT or FULL join (sqlite3 allows it otherwise)."""
        has_right = any(lv.kind in ("RIGHT", "FULL") for lv in levels)
        for k, lv in enumerate(levels):
            if lv.on is None or (lv.kind == "INNER" and not has_right):
                continue
            for node in walk(lv.on):
                if not isinstance(node, ast.Column):
                    continue
                try:
                    r = scope.lookup_local(node.name, node.table)
                except SQLError:
                    continue
                if r is not None and r.slot >= lv.source.offset + lv.source.width:
                    return True
        return False

    def _join(self, levels: list[_Level], scope: Scope, conjuncts, comp: ExprCompiler):
        n = len(levels)
        placed: list[list] = [[] for _ in range(n)]
        initial = []
        right_of = self._on_references_right(levels, scope)
        # Rows of a RIGHT/FULL join's right side may arrive with the whole left
        # side NULL: no WHERE term may be decided before that level.
        floor = max((k for k, lv in enumerate(levels) if lv.kind in ("RIGHT", "FULL")), default=-1)
        # ON terms of inner joins behave like WHERE terms, except that a RIGHT
        # or FULL join to their right sees them as part of its left operand:
        # they filter at their own level, and the right side's unmatched rows
        # never meet them (sqlite3 defers only WHERE terms past such a join).
        for k, lv in enumerate(levels):
            if lv.kind == "INNER" and lv.on is not None:
                for c in split_conjuncts(lv.on):
                    if self._is_constant_term(c, scope, n):
                        initial.append(c)
                    elif k < floor:
                        placed[max(k, min(self._conjunct_level(c, scope, n), floor - 1))].append(c)
                    else:
                        placed[max(k, floor, self._conjunct_level(c, scope, n))].append(c)
                lv.on = None
        # A term reading no column of this query (nor a subquery, nor a
        # non-deterministic function) is decided once before any row is read,
        # as sqlite3WhereBegin does: when false the whole join is empty, even
        # the unmatched rows of RIGHT/FULL joins.  The ON terms of inner joins
        # count (``a JOIN b ON 0 RIGHT JOIN c ON 1`` yields nothing); those of
        # LEFT/RIGHT/FULL joins do not.
        for c in conjuncts:
            if not n or self._is_constant_term(c, scope, n):
                initial.append(c)
            else:
                placed[max(self._conjunct_level(c, scope, n), floor, 0)].append(c)
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
            if lv.kind in ("RIGHT", "FULL"):
                # One stable list of the right side's rows, to know which matched.
                access = _StableRows(access) if lv.base_table is None else op.Materialized(
                    _ReaderPlan(lv.reader), self.rt, False)
                if lv.kind == "RIGHT" and k >= floor and isinstance(lv.access, op.TableFunction) \
                        and lv.access.args:
                    # sqlite3 3.40 cannot use a table-valued function's
                    # arguments on the right of a RIGHT JOIN (with no RIGHT or
                    # FULL join after it): the function yields no rows inside
                    # the join, so none of its rows matches, and each comes out
                    # once with every column to its left NULL.
                    on_fn = _never
            elif lv.base_table is not None or k > 0:
                access = self._access_path(k, lv, levels, scope, comp, terms, local)
            join_levels.append(op.JoinLevel(access, lv.source.width, lv.kind, on_fn, filters))
        initial_fns = [comp.compile_predicate(c) for c in initial]
        if right_of:
            raise SQLError("ON clause references tables to its right")
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
        if lv.base_table is not None:
            access = self._index_path(k, lv, levels, scope, comp, terms)
            if access is not None:
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
        if isinstance(lv.access, op.Materialized) and lv.access.correlated:
            return lv.access      # changes between uses: nothing may be cached
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

    def _index_column_terms(self, k, lv, levels, scope, comp, terms):
        """Terms usable on an index of this level's table: column index ->
        {"eq": [(probe, conv, coll)], "in": [...], "range": [(op, probe, conv, coll)]}."""
        src = lv.source
        lo, hi = src.offset, src.offset + src.width
        table = lv.base_table
        found: dict = {}

        def column_of(e):
            if not isinstance(e, ast.Column):
                return None
            r = scope.lookup_local(e.name, e.table)
            if r is None or not (lo < r.slot < hi):
                return None
            i = r.slot - lo - 1
            return None if i == table.rowid_alias else i

        def usable_probe(e):
            if _has_subquery(e) or self._conjunct_level(e, scope, len(levels)) >= k:
                return False
            return not any(isinstance(n, ast.FunctionCall) and n.name.lower() in _VOLATILE for n in walk(e))

        def entry(col_expr, other, t_left, t_right):
            """(probe, converter, collation), or None when the comparison's
            affinity does not suit the column's (sqlite3IndexAffinityOk: a
            numeric comparison cannot use a TEXT column's index, nor a TEXT
            comparison a numeric one's)."""
            col_aff = comp.affinity(col_expr)
            aff = comparison_affinity(col_aff, comp.affinity(other))
            if aff == TEXT and col_aff != TEXT or is_numeric_affinity(aff) and not is_numeric_affinity(col_aff):
                return None
            conv = converter_for(aff)
            coll = comp.binary_collation(t_left, t_right)
            return comp.compile(other), conv, coll

        flip = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
        for t in terms:
            if isinstance(t, ast.Binary) and t.op in ("=", "<", "<=", ">", ">="):
                for a, b, swapped in ((t.left, t.right, False), (t.right, t.left, True)):
                    i = column_of(a)
                    if i is None or not usable_probe(b):
                        continue
                    probe = entry(a, b, t.left, t.right)
                    if probe is None:
                        break
                    slot = found.setdefault(i, {"eq": [], "in": [], "range": []})
                    if t.op == "=":
                        slot["eq"].append(probe)
                    else:
                        slot["range"].append(((flip[t.op] if swapped else t.op),) + probe)
                    break
            elif isinstance(t, ast.InList) and not t.negated and t.items:
                i = column_of(t.expr)
                if i is not None and all(usable_probe(x) for x in t.items):
                    probes = [entry(t.expr, x, t.expr, x) for x in t.items]
                    if None in probes:
                        continue
                    found.setdefault(i, {"eq": [], "in": [], "range": []})["in"].append(probes)
            elif isinstance(t, ast.Between) and not t.negated:
                i = column_of(t.expr)
                if i is not None and usable_probe(t.low) and usable_probe(t.high):
                    lo_probe = entry(t.expr, t.low, t.expr, t.low)
                    hi_probe = entry(t.expr, t.high, t.expr, t.high)
                    if lo_probe is None or hi_probe is None:
                        continue
                    slot = found.setdefault(i, {"eq": [], "in": [], "range": []})
                    slot["range"].append((">=",) + lo_probe)
                    slot["range"].append(("<=",) + hi_probe)
        return found

    def _index_path(self, k, lv, levels, scope, comp, terms):
        """An index lookup for this level (equality on a prefix of an index's
        columns, an IN list, or a range on its first column), or None."""
        from ..exec import index as index_ops
        table = lv.base_table
        pk = index_ops.primary_key_index(table)[0]
        if not (table.indexes or pk is not None) or not terms:
            return None
        found = self._index_column_terms(k, lv, levels, scope, comp, terms)
        if not found:
            return None
        best = None
        # A WITHOUT ROWID table's PRIMARY KEY is searched in the table's own b-tree.
        for idx in table.indexes + ([pk] if pk is not None else []):
            if idx.where is not None:
                continue
            cols = []
            for ic in idx.columns:
                e = ic.expr
                while isinstance(e, ast.Collate):
                    e = e.expr
                cols.append(table.column_index(e.name) if isinstance(e, ast.Column) else None)
            colls = [(c or "BINARY").upper() for c in index_ops.key_collations(table, idx)]

            def fits(probe, n):
                return (probe[2] or "BINARY").upper() == colls[n]
            eq = []
            for n, c in enumerate(cols):
                cands = [p for p in found.get(c, {}).get("eq", []) if fits(p, n)] if c is not None else []
                if not cands:
                    break
                eq.append(cands[0])
            score = None
            if eq:
                score = (3 if len(eq) == len(cols) and idx.unique else 2, len(eq))
                plan = ("eq", eq)
            elif cols[0] is not None and found.get(cols[0], {}).get("in"):
                probes = [p for p in found[cols[0]]["in"][0]]
                if all(fits(p, 0) for p in probes):
                    score, plan = (1, 1), ("in", probes)
            elif cols[0] is not None and found.get(cols[0], {}).get("range") and not idx.columns[0].desc:
                rng = [r for r in found[cols[0]]["range"] if fits(r[1:], 0)]
                if rng:
                    score, plan = (0, len(rng)), ("range", rng)
            if score is not None and (best is None or score > best[0]):
                best = (score, idx, plan)
        if best is None:
            return None
        _score, idx, (kind, probes) = best
        keys = index_ops.IndexKeys(self.db, table, idx)
        if idx is pk:
            fmt = self.db.row_format(table)
            return op.IndexLookup(self.db.pager_for(table), table.root, keys.compare, keys.handle,
                                  fmt.entry_row(), kind, probes)
        lookup = self.db.row_lookup(table)
        handle = keys.handle
        return op.IndexLookup(self.db.pager_for(idx), idx.root, keys.compare, handle,
                              lambda entry: lookup(handle(entry)), kind, probes)

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


def _never(row) -> bool:
    return False


class _StableRows:
    """The rows of a source that is not a base table, returned as the same
    objects while their values do not change, so that a RIGHT/FULL join can
    tell by identity which of them matched."""

    def __init__(self, inner):
        self.inner = inner
        self.last = None
        self.last_key = None

    def rows_for(self, prefix):
        rows = list(self.inner.rows_for(prefix))
        key = [tuple((type(v), v) for v in r) for r in rows]
        if key == self.last_key:
            return self.last
        self.last, self.last_key = rows, key
        return rows
