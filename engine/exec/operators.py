"""Volcano operators: each produces rows (tuples) on demand through ``rows()``.

Sources of a join produce rows *for a given prefix* (the row built so far
by the levels to their left), through ``rows_for(prefix)``, so a lookup
can use values of the outer levels.  The planner (engine/plan) decides
which operators to stack; nothing here looks at syntax.
"""

from __future__ import annotations

from functools import cmp_to_key
from typing import Callable, Iterable, Iterator

from .values import real_as_numeric, sort_key


class Operator:
    def rows(self) -> Iterator[tuple]:
        raise NotImplementedError


# ---------------------------------------------------------------------------
# Sources of a join level
# ---------------------------------------------------------------------------


class TableScan:
    """Every row of a table, in rowid order."""

    def __init__(self, reader):
        self.reader = reader          # callable () -> iterator of table rows

    def rows_for(self, prefix):
        return self.reader()


class RowidSeek:
    """The row whose rowid is ``key(prefix)`` (at most one)."""

    def __init__(self, lookup, key: Callable):
        self.lookup = lookup          # callable rowid -> row or None
        self.key = key

    def rows_for(self, prefix):
        k = self.key(prefix)
        if k is None:
            return ()
        if not isinstance(k, int):
            if isinstance(k, float):
                k = real_as_numeric(k)      # exact and strictly inside the 64-bit range
            if not isinstance(k, int):
                return ()
        r = self.lookup(k)
        return () if r is None else (r,)


class IndexLookup:
    """Rows found through an index: ``kind`` "eq" (probes give a key prefix),
    "in" (one single-column probe per value) or "range" (bounds on the first
    column).  Each probe is (fn(prefix), converter, collation name);
    ``handle(entry)`` names an entry's row and ``fetch(entry)`` reads it."""

    def __init__(self, pager, root, compare, handle, fetch, kind, probes):
        from ..storage.btree_index import IndexCursor
        self.cursor = lambda: IndexCursor(pager, root, compare)
        self.compare = compare
        self.handle = handle
        self.fetch = fetch
        self.kind = kind
        self.probes = probes

    @staticmethod
    def _value(probe, prefix):
        fn, conv, _coll = probe
        v = fn(prefix)
        if v is not None and conv is not None:
            v = conv(v)
        return v

    def rows_for(self, prefix):
        if self.kind == "range":
            return self._range(prefix)
        if self.kind == "eq":
            keys = [tuple(self._value(p, prefix) for p in self.probes)]
        else:
            keys = [(self._value(p, prefix),) for p in self.probes]
        out = []
        seen = set()
        cmp = self.compare
        fetch = self.fetch
        handle = self.handle
        for key in keys:
            if any(v is None for v in key):
                continue
            n = len(key)
            for entry in self.cursor().seek(key):
                if cmp(entry[:n], key) != 0:
                    break
                rowid = handle(entry)
                if rowid in seen:
                    continue
                seen.add(rowid)
                row = fetch(entry)
                if row is not None:
                    out.append(row)
        return out

    def _range(self, prefix):
        lo = hi = None
        lo_inc = hi_inc = True
        for op_name, fn, conv, coll in self.probes:
            v = self._value((fn, conv, coll), prefix)
            if v is None:
                return []
            if op_name in (">", ">="):
                if lo is None or self.compare((v,), lo) > 0 or (self.compare((v,), lo) == 0 and op_name == ">"):
                    lo, lo_inc = (v,), op_name == ">="
            else:
                if hi is None or self.compare((v,), hi) < 0 or (self.compare((v,), hi) == 0 and op_name == "<"):
                    hi, hi_inc = (v,), op_name == "<="
        if lo is None:
            lo, lo_inc = (None,), False       # NULLs never satisfy a range
        out = []
        for entry in self.cursor().scan_range(lo, hi, lo_inclusive=lo_inc, hi_inclusive=hi_inc):
            row = self.fetch(entry)
            if row is not None:
                out.append(row)
        return out


class Materialized:
    """A sub-plan's rows, computed once per execution (uncorrelated) or per
    prefix (correlated)."""

    def __init__(self, plan, runtime, correlated: bool):
        self.plan = plan
        self.rt = runtime
        self.correlated = correlated

    def rows_for(self, prefix):
        if self.correlated:
            return list(self.plan.rows())
        key = ("mat", id(self))
        cached = self.rt.cache.get(key)
        if cached is not None:
            return cached
        return self._filling(key)

    def _filling(self, key):
        """Stream the rows, keeping them for next time only if all were read
        (a LIMIT above may stop early; an endless recursive CTE then still ends)."""
        rows = []
        for r in self.plan.rows():
            rows.append(r)
            yield r
        self.rt.cache[key] = rows


class TableFunction:
    """Rows of a table-valued function, its arguments evaluated on the prefix."""

    def __init__(self, fn, args):
        self.fn = fn
        self.args = args

    def rows_for(self, prefix):
        return list(self.fn(*[a(prefix) for a in self.args]))


class CachedFilter:
    """An inner source's rows that pass its own terms, computed once per
    execution (the terms read nothing but the source's row)."""

    def __init__(self, inner, predicate, runtime):
        self.inner = inner
        self.predicate = predicate
        self.rt = runtime

    def rows_for(self, prefix):
        key = ("filter", id(self))
        rows = self.rt.cache.get(key)
        if rows is None:
            p = self.predicate
            rows = self.rt.cache[key] = [r for r in self.inner.rows_for(prefix) if p(r)]
        return rows


class FilteredRows:
    """Rows of a source that pass a predicate, checked on every call."""

    def __init__(self, inner, predicate):
        self.inner = inner
        self.predicate = predicate

    def rows_for(self, prefix):
        p = self.predicate
        return [r for r in self.inner.rows_for(prefix) if p(r)]


class HashLookup:
    """Rows of an inner source whose key columns equal values of the prefix.
    The inner rows are read once per execution and hashed by ``inner_key``;
    ``outer_key(prefix)`` gives the probe (None when a NULL is involved)."""

    def __init__(self, inner, inner_key, outer_key, runtime):
        self.inner = inner
        self.inner_key = inner_key
        self.outer_key = outer_key
        self.rt = runtime

    def rows_for(self, prefix):
        key = ("hash", id(self))
        table = self.rt.cache.get(key)
        if table is None:
            table = {}
            for r in self.inner.rows_for(prefix):
                k = self.inner_key(r)
                if k is not None:
                    table.setdefault(k, []).append(r)
            self.rt.cache[key] = table
        probe = self.outer_key(prefix)
        if probe is None:
            return ()
        return table.get(probe, ())


# ---------------------------------------------------------------------------
# Joins and filters
# ---------------------------------------------------------------------------


class JoinLevel:
    """One level of a left-deep nested-loop join."""

    def __init__(self, source, width: int, kind: str = "INNER", on=None, filters=()):
        self.source = source
        self.width = width
        self.kind = kind              # INNER or LEFT
        self.on = on                  # match condition (LEFT joins), or None
        self.filters = list(filters)  # conditions applied after the level


class NestedLoopJoin(Operator):
    """Rows of the FROM clause: levels joined left to right; each level's
    filters run as soon as the level's columns are bound."""

    def __init__(self, levels: list[JoinLevel], initial_filters=(), check=None):
        self.levels = levels
        self.initial_filters = list(initial_filters)
        self.check = check or (lambda: None)

    def rows(self):
        for f in self.initial_filters:
            if not f(()):
                return iter(())
        if not self.levels:
            return iter([()])
        if any(lv.kind in ("RIGHT", "FULL") for lv in self.levels):
            return self._with_right_joins()
        return self._level(0, ())

    def _with_right_joins(self):
        """Left-deep loops, then each RIGHT/FULL level's rows that matched
        nothing, with every column to their left NULL."""
        self.matched = {k: set() for k, lv in enumerate(self.levels) if lv.kind in ("RIGHT", "FULL")}
        yield from self._level(0, ())
        for k in sorted(self.matched):
            level = self.levels[k]
            width = sum(lv.width for lv in self.levels[:k])
            nulls = (None,) * width
            seen = self.matched[k]
            last = k + 1 == len(self.levels)
            for r in level.source.rows_for(nulls):
                if id(r) in seen:
                    continue
                row = nulls + r
                if level.filters and not all(f(row) for f in level.filters):
                    continue
                if last:
                    yield row
                else:
                    yield from self._level(k + 1, row)

    def _level(self, k, prefix):
        level = self.levels[k]
        last = k + 1 == len(self.levels)
        on = level.on
        filters = level.filters
        matched = False
        check = self.check
        for i, r in enumerate(level.source.rows_for(prefix)):
            if not i & 255:
                check()
            row = prefix + r
            if on is not None and not on(row):
                continue
            matched = True
            if level.kind in ("RIGHT", "FULL"):
                self.matched[k].add(id(r))
            if filters and not all(f(row) for f in filters):
                continue
            if last:
                yield row
            else:
                yield from self._level(k + 1, row)
        if level.kind in ("LEFT", "FULL") and not matched:
            row = prefix + (None,) * level.width
            if filters and not all(f(row) for f in filters):
                return
            if last:
                yield row
            else:
                yield from self._level(k + 1, row)


class Filter(Operator):
    def __init__(self, child, predicate):
        self.child = child
        self.predicate = predicate

    def rows(self):
        p = self.predicate
        return (r for r in self.child.rows() if p(r))


class Project(Operator):
    def __init__(self, child, exprs, cell=None):
        self.child = child
        self.exprs = exprs
        self.cell = cell

    def rows(self):
        exprs = self.exprs
        cell = self.cell
        for r in self.child.rows():
            if cell is not None:
                cell.row = r
            yield tuple(f(r) for f in exprs)


# ---------------------------------------------------------------------------
# Aggregation
# ---------------------------------------------------------------------------


class AggregateSpec:
    """One aggregate call: a factory of accumulators, its argument functions,
    DISTINCT (with the equality key of its argument), and FILTER."""

    def __init__(self, factory, args, distinct_key=None, filter_fn=None, star=False):
        self.factory = factory
        self.args = args
        self.distinct_key = distinct_key
        self.filter = filter_fn
        self.star = star


class Aggregate(Operator):
    """Groups rows by key and yields, per group, the aggregate results followed
    by the group's representative row (for bare columns): its first row, or
    the row where the min()/max() at ``minmax_index`` last changed.  With no GROUP BY an
    empty input still yields one row (aggregates of nothing, NULL columns)."""

    def __init__(self, child, width: int, specs: list[AggregateSpec], group_keys, group_sort_keys,
                 has_group_by: bool, minmax_index: int | None = None, minmax_is_max: bool = False):
        self.child = child
        self.width = width
        self.specs = specs
        self.group_keys = group_keys          # row -> hashable key
        self.group_sort_keys = group_sort_keys  # row -> sortable key (group order)
        self.has_group_by = has_group_by
        self.minmax_index = minmax_index
        self.minmax_is_max = minmax_is_max

    def rows(self):
        specs = self.specs
        groups: dict = {}
        order = []
        gk = self.group_keys
        mm = self.minmax_index
        for row in self.child.rows():
            key = gk(row) if gk is not None else ()
            g = groups.get(key)
            if g is None:
                g = [[s.factory() for s in specs], row, [set() if s.distinct_key else None for s in specs]]
                groups[key] = g
                order.append(key)
            accs, _, seen = g
            for i, s in enumerate(specs):
                if s.filter is not None and not s.filter(row):
                    continue
                if s.star:
                    accs[i].step()
                    continue
                args = [f(row) for f in s.args]
                if s.distinct_key is not None:
                    if args[0] is None:
                        continue
                    dk = s.distinct_key(args[0])
                    if dk in seen[i]:
                        continue
                    seen[i].add(dk)
                if i == mm:
                    before = accs[i].best
                    accs[i].step(*args)
                    if accs[i].best is not before:
                        g[1] = row  # bare columns come from the min/max row
                else:
                    accs[i].step(*args)
        if not groups:
            if self.has_group_by:
                return
            yield tuple(s.factory().final() for s in specs) + (None,) * self.width
            return
        keys = order
        if self.has_group_by and self.group_sort_keys is not None:
            first_rows = {k: groups[k][1] for k in order}
            keys = sorted(order, key=lambda k: self.group_sort_keys(first_rows[k]))
        for k in keys:
            accs, rep, _ = groups[k]
            yield tuple(a.final() for a in accs) + tuple(rep)


# ---------------------------------------------------------------------------
# Ordering, distinctness, limits
# ---------------------------------------------------------------------------


def make_sort_key(terms):
    """terms: list of (fn(item) -> value, desc, nulls_first, coll)."""
    def cmp(a, b):
        for (fn, desc, nulls_first, coll) in terms:
            va = fn(a)
            vb = fn(b)
            if va is None or vb is None:
                if va is None and vb is None:
                    continue
                # NULLs sort first in ASC, last in DESC, unless NULLS FIRST/LAST says otherwise.
                a_first = va is None
                if nulls_first is None:
                    c = -1 if a_first else 1
                    return -c if desc else c
                return -1 if a_first == nulls_first else 1
            ka = sort_key(va, coll)
            kb = sort_key(vb, coll)
            if ka != kb:
                c = -1 if ka < kb else 1
                return -c if desc else c
        return 0
    return cmp_to_key(cmp)


class Sort(Operator):
    """Sorts items of the child; ``key`` maps an item to a comparable key."""

    def __init__(self, child, key):
        self.child = child
        self.key = key

    def rows(self):
        items = list(self.child.rows())
        items.sort(key=self.key)
        return iter(items)


class Distinct(Operator):
    def __init__(self, child, key):
        self.child = child
        self.key = key

    def rows(self):
        seen = set()
        key = self.key
        for r in self.child.rows():
            k = key(r)
            if k in seen:
                continue
            seen.add(k)
            yield r


class Limit(Operator):
    def __init__(self, child, limit_fn, offset_fn):
        self.child = child
        self.limit_fn = limit_fn
        self.offset_fn = offset_fn

    def rows(self):
        limit = self.limit_fn() if self.limit_fn is not None else -1
        offset = self.offset_fn() if self.offset_fn is not None else 0
        if limit == 0:
            return
        it = self.child.rows()
        if offset > 0:
            for _ in range(offset):
                if next(it, _END) is _END:
                    return
        if limit < 0:
            yield from it
            return
        for r in it:
            yield r
            limit -= 1
            if limit == 0:
                return


_END = object()


class Strip(Operator):
    """Drops the trailing sort-key part of (output, key) items."""

    def __init__(self, child):
        self.child = child

    def rows(self):
        return (item[0] for item in self.child.rows())


class Rows(Operator):
    """A fixed or generated sequence of rows."""

    def __init__(self, producer: Callable[[], Iterable[tuple]]):
        self.producer = producer

    def rows(self):
        return iter(self.producer())
