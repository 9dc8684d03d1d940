"""Bugs planted in litmus's engine, one at a time, inside the test process
(issue 5, point 6), to prove that a short campaign finds each one and
reduces it to a few statements.

Each bug is a function that, given a :class:`Patcher`, replaces engine
functions or methods with subtly wrong versions.  The patcher can switch
the bug off and on again, which is how a failure is told to come from the
planted bug: it must disappear when the bug is switched off (the engine
has real differences of its own, which the campaigns also meet).

They reach into the engine's internals, which only tests may do; when an
internal moves, the bug's setup fails loudly (an AttributeError), never
silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


class Patcher:
    """setattr with memory: ``off()`` restores the originals, ``on()``
    puts the replacements back."""

    def __init__(self):
        self._patches: list[tuple[object, str, object, object]] = []
        self.active = False

    def set(self, owner, name: str, value) -> None:
        original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
        if not isinstance(owner, type) and not hasattr(owner, name):
            raise AttributeError(f"{owner!r} has no {name}")
        self._patches.append((owner, name, original, value))
        setattr(owner, name, value)
        self.active = True

    def set_item(self, mapping: dict, key, value) -> None:
        self._patches.append((mapping, key, mapping[key], value))
        mapping[key] = value
        self.active = True

    def _apply(self, use_new: bool) -> None:
        for owner, name, original, new in self._patches:
            value = new if use_new else original
            if isinstance(owner, dict):
                owner[name] = value
            else:
                setattr(owner, name, value)
        self.active = use_new

    def off(self) -> None:
        self._apply(False)

    def on(self) -> None:
        self._apply(True)


@dataclass(frozen=True)
class Bug:
    name: str
    what: str
    plant: Callable[[Patcher], None]


BUGS: list[Bug] = []


def bug(name: str, what: str):
    def register(fn):
        BUGS.append(Bug(name, what, fn))
        return fn
    return register


# ---------------------------------------------------------------- expressions

@bug("null_equals_null", "NULL = NULL is true")
def _null_equal(p: Patcher) -> None:
    from engine.exec import ops
    original = ops.make_comparison

    def make_comparison(op, conv, coll):
        f = original(op, conv, coll)
        if op not in ("=", "=="):
            return f

        def eq(a, b):
            if a is None and b is None:
                return 1
            return f(a, b)
        return eq
    p.set(ops, "make_comparison", make_comparison)


@bug("like_case_sensitive", "LIKE compares ASCII letters case-sensitively")
def _like_case(p: Patcher) -> None:
    from engine.exec import ops
    original = ops.like

    def like(value, pattern, escape=None):
        r = original(value, pattern, escape)
        if r == 1 and isinstance(value, str) and isinstance(pattern, str) and escape is None:
            rx = ops._like_regex(pattern, None)
            return 1 if rx is not None and rx.fullmatch(value) else 0
        return r
    p.set(ops, "like", like)


@bug("overflow_wraps", "integer + - * wrap around at 64 bits instead of becoming real")
def _overflow(p: Patcher) -> None:
    from engine.exec import ops
    exact = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}
    for symbol in ("+", "-", "*"):
        def apply(a, b, fn=ops.BINARY_ARITH[symbol], exact=exact[symbol]):
            r = fn(a, b)
            if type(a) is int and type(b) is int and isinstance(r, float):
                return ops._wrap64(exact(a, b))
            return r
        p.set_item(ops.BINARY_ARITH, symbol, apply)


@bug("division_floors", "integer division rounds toward minus infinity")
def _division(p: Patcher) -> None:
    from engine.exec import ops
    original = ops.BINARY_ARITH["/"]

    def div(a, b):
        r = original(a, b)
        if type(a) is int and type(b) is int and b not in (0, -1) and r is not None:
            return a // b
        return r
    p.set_item(ops.BINARY_ARITH, "/", div)


@bug("between_excludes_upper", "x BETWEEN a AND b is false when x = b")
def _between(p: Patcher) -> None:
    from engine.exec.expr import ExprCompiler
    from engine.sql import ast

    def _c_Between(self, e, d):
        both = ast.Binary("AND", ast.Binary(">=", e.expr, e.low), ast.Binary("<", e.expr, e.high))
        return self.compile(ast.Unary("NOT", both) if e.negated else both, d)
    p.set(ExprCompiler, "_c_Between", _c_Between)


@bug("round_half_even", "round() rounds halves to even (Python's rule), not away from zero")
def _round(p: Patcher) -> None:
    from engine.exec import functions
    lo, hi, original = functions.SCALARS["round"]

    def round_(x, digits=0):
        r = original(x, digits)
        if isinstance(r, float) and isinstance(x, (int, float)) and isinstance(digits, int) and 0 <= digits < 10:
            return float(round(float(x), digits))
        return r
    p.set_item(functions.SCALARS, "round", (lo, hi, round_))


@bug("upper_unicode", "upper() and lower() fold non-ASCII letters (SQLite folds ASCII only)")
def _upper(p: Patcher) -> None:
    from engine.exec import functions
    for name, method in (("upper", str.upper), ("lower", str.lower)):
        lo, hi, original = functions.SCALARS[name]

        def fn(x, original=original, method=method):
            r = original(x)
            return method(r) if isinstance(r, str) else r
        p.set_item(functions.SCALARS, name, (lo, hi, fn))


@bug("numeric_affinity_keeps_text", "a NUMERIC column stores numeric text as text")
def _numeric_affinity(p: Patcher) -> None:
    from engine.exec import rowwriter
    from engine.exec.values import NUMERIC
    original = rowwriter.apply_affinity

    def apply_affinity(value, aff):
        if aff == NUMERIC and isinstance(value, str):
            return value
        return original(value, aff)
    p.set(rowwriter, "apply_affinity", apply_affinity)


# ---------------------------------------------------------------- queries

@bug("offset_off_by_one", "OFFSET n skips n + 1 rows")
def _offset(p: Patcher) -> None:
    from engine.exec import operators

    def rows(self):
        limit = self.limit_fn() if self.limit_fn is not None else -1
        offset = self.offset_fn() if self.offset_fn is not None else 0
        if offset > 0:
            offset += 1
        if limit == 0:
            return
        it = self.child.rows()
        for _ in range(max(offset, 0)):
            if next(it, None) is None:
                return
        for r in it:
            yield r
            limit -= 1
            if limit == 0:
                return
    p.set(operators.Limit, "rows", rows)


@bug("left_join_drops_unmatched", "LEFT JOIN drops the rows that match nothing")
def _left_join(p: Patcher) -> None:
    from engine.exec import operators
    original = operators.JoinLevel.__init__

    def __init__(self, source, width, kind="INNER", on=None, filters=()):
        original(self, source, width, "INNER" if kind == "LEFT" else kind, on, filters)
    p.set(operators.JoinLevel, "__init__", __init__)


@bug("distinct_ignores_collation", "DISTINCT (and compounds) compare text as BINARY")
def _distinct(p: Patcher) -> None:
    from engine.plan import select
    original = select.equality_key

    def equality_key(value, coll=None):
        return original(value, None)
    p.set(select, "equality_key", equality_key)


@bug("order_by_ignores_desc", "ORDER BY ... DESC sorts ascending")
def _desc(p: Patcher) -> None:
    from engine.exec import operators
    original = operators.make_sort_key

    def make_sort_key(terms):
        return original([(fn, False, nulls, coll) for fn, desc, nulls, coll in terms])
    p.set(operators, "make_sort_key", make_sort_key)


@bug("group_by_splits_nulls", "GROUP BY puts every NULL in a group of its own")
def _group_nulls(p: Patcher) -> None:
    from engine.plan import grouping
    original = grouping.equality_key

    def equality_key(value, coll=None):
        if value is None:
            return object()
        return original(value, coll)
    p.set(grouping, "equality_key", equality_key)


@bug("count_counts_nulls", "count(x) counts NULLs")
def _count(p: Patcher) -> None:
    from engine.exec import aggregates

    def step(self, x=0):
        self.n += 1
    p.set(aggregates.Count, "step", step)


@bug("rank_is_row_number", "rank() numbers peers 1, 2, 3 like row_number()")
def _rank(p: Patcher) -> None:
    from engine.exec import window
    cls = next(c for c in vars(window).values() if isinstance(c, type) and "_ranking" in c.__dict__)
    original = cls.__dict__["_ranking"].__func__

    def _ranking(call, part, group, group_start, group_end):
        if call.kind == "rank":
            return list(range(1, len(part) + 1))
        return original(call, part, group, group_start, group_end)
    p.set(cls, "_ranking", staticmethod(_ranking))


# ---------------------------------------------------------------- changes

@bug("index_not_updated_on_update", "UPDATE leaves the indexes' old entries in place")
def _index_update(p: Patcher) -> None:
    from engine.exec import rowwriter
    original = rowwriter.RowWriter.write

    def write(self, row, old_rowid=None, upsert=None):
        if old_rowid is None:
            return original(self, row, old_rowid, upsert)
        saved = self.keys
        self.keys = []
        try:
            return original(self, row, old_rowid, upsert)
        finally:
            self.keys = saved
    p.set(rowwriter.RowWriter, "write", write)


@bug("unique_not_enforced", "a UNIQUE index lets duplicates in")
def _unique(p: Patcher) -> None:
    from engine.exec import index
    p.set(index, "find_conflict", lambda db, keys, key: None)


@bug("trigger_fires_twice", "every AFTER trigger runs twice")
def _trigger(p: Patcher) -> None:
    from engine.exec import dml
    original = dml.fire

    def fire(db, rt, target, timing, event, old=None, new=None, columns=None):
        ok = original(db, rt, target, timing, event, old=old, new=new, columns=columns)
        if ok and timing == "AFTER":
            original(db, rt, target, timing, event, old=old, new=new, columns=columns)
        return ok
    p.set(dml, "fire", fire)


@bug("rollback_to_keeps_changes", "ROLLBACK TO a savepoint undoes nothing")
def _savepoint(p: Patcher) -> None:
    from engine.storage import pager
    original = pager.Pager.rollback_to

    def rollback_to(self, depth, *, keep=False):
        if keep:
            return None
        return original(self, depth, keep=keep)
    p.set(pager.Pager, "rollback_to", rollback_to)
