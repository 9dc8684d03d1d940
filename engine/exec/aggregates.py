"""Aggregate functions (lang_aggfunc.html): count, sum, total, avg, min, max,
group_concat/string_agg.

Each aggregate is a class with ``step(*args)`` and ``final()``; a fresh
instance is made per group.  DISTINCT and FILTER are applied by the
aggregation operator before ``step`` is called.
"""

from __future__ import annotations

from ..errors import SQLError
from .json1 import JSON_AGGREGATES
from .values import INT64_MAX, INT64_MIN, compare, text_to_numeric, to_real, to_text


class Count:
    __slots__ = ("n",)

    def __init__(self):
        self.n = 0

    def step(self, x=0):
        if x is not None:
            self.n += 1

    def final(self):
        return self.n


class CountStar(Count):
    __slots__ = ()

    def step(self):
        self.n += 1


def _numeric_value(x):
    """sqlite3_value_numeric_type: a text that is a whole number becomes one;
    otherwise the value is read as a real (prefix rule)."""
    if isinstance(x, (int, float)):
        return x
    if isinstance(x, str):
        n = text_to_numeric(x)
        if n is not None:
            return n
    return to_real(x)


class Sum:
    __slots__ = ("isum", "rsum", "approx", "seen", "overflow")

    def __init__(self):
        self.isum = 0
        self.rsum = 0.0
        self.approx = False
        self.seen = False
        self.overflow = False

    def step(self, x):
        if x is None:
            return
        self.seen = True
        v = _numeric_value(x)
        if isinstance(v, int) and not isinstance(x, (bytes, bytearray)):
            if not self.approx and not self.overflow:
                s = self.isum + v
                if s > INT64_MAX or s < INT64_MIN:
                    self.overflow = True
                self.isum = s
            self.rsum += v
        else:
            self.approx = True
            self.rsum += float(v)

    def final(self):
        if not self.seen:
            return None
        if self.overflow:
            raise SQLError("integer overflow")
        if self.approx:
            return self.rsum
        return self.isum


class Total(Sum):
    __slots__ = ()

    def final(self):
        if not self.seen:
            return 0.0
        return self.rsum


class Avg(Sum):
    __slots__ = ("count",)

    def __init__(self):
        super().__init__()
        self.count = 0

    def step(self, x):
        if x is not None:
            self.count += 1
        super().step(x)

    def final(self):
        if not self.count:
            return None
        return self.rsum / self.count


class Min:
    __slots__ = ("best", "coll")

    def __init__(self, coll=None):
        self.best = None
        self.coll = coll

    def step(self, x):
        if x is not None and (self.best is None or compare(x, self.best, self.coll) < 0):
            self.best = x

    def final(self):
        return self.best


class Max(Min):
    __slots__ = ()

    def step(self, x):
        if x is not None and (self.best is None or compare(x, self.best, self.coll) > 0):
            self.best = x


class GroupConcat:
    __slots__ = ("parts", "seps")

    def __init__(self):
        self.parts = []
        self.seps = []

    def step(self, x, sep=","):
        if x is None:
            return
        if self.parts:
            self.seps.append("" if sep is None else to_text(sep))
        self.parts.append(x)

    def final(self):
        if not self.parts:
            return None
        out = [to_text(self.parts[0])]
        for sep, part in zip(self.seps, self.parts[1:]):
            out.append(sep)
            out.append(to_text(part))
        return "".join(out)


# name -> (min_args, max_args, factory, takes_collation)
AGGREGATES = {
    "count": (0, 1, Count, False),
    "sum": (1, 1, Sum, False),
    "total": (1, 1, Total, False),
    "avg": (1, 1, Avg, False),
    "min": (1, 1, Min, True),
    "max": (1, 1, Max, True),
    "group_concat": (1, 2, GroupConcat, False),
    "string_agg": (2, 2, GroupConcat, False),
}


AGGREGATES.update(JSON_AGGREGATES)


def is_aggregate_call(name: str, nargs: int, star: bool) -> bool:
    """Whether ``name(args)`` is an aggregate (min/max with 2+ arguments are scalar)."""
    lname = name.lower()
    spec = AGGREGATES.get(lname)
    if spec is None:
        return False
    if lname in ("min", "max") and nargs != 1:
        return False
    return True
