"""Window functions (windowfunctions.html): the built-in window functions,
aggregates used as window functions, partitions, ORDER BY peers, and frames
of ROWS, RANGE and GROUPS with every bound and EXCLUDE option.

The :class:`Window` operator reads all its input rows, and for each window
definition sorts them by partition and order, computes every function of
that window over each partition, and appends the values to the rows: an
output row is the input row followed by one value per window call, so the
expressions above it find those values at fixed slots.
"""

from __future__ import annotations

from ..errors import SQLError
from .operators import Operator, make_sort_key
from .values import equality_key, text_to_numeric, to_int, to_numeric, truth


class WindowCall:
    """One window function call: ``kind`` is a built-in name or "agg";
    ``args`` are compiled argument functions; ``factory`` makes an aggregate
    accumulator (for "agg")."""

    def __init__(self, kind: str, args, factory=None, filter_fn=None, slot: int = 0):
        self.kind = kind
        self.args = args
        self.factory = factory
        self.filter = filter_fn
        self.slot = slot


class WindowDef:
    """A resolved window: partition key functions, order terms (fn, desc,
    nulls_first, collation), and the frame (units, start, end, exclude) whose
    bounds are (kind, offset function or None)."""

    def __init__(self, partition, order, units, start, end, exclude, calls):
        self.partition = partition
        self.order = order
        self.units = units
        self.start = start
        self.end = end
        self.exclude = exclude
        self.calls = calls


BUILTIN_WINDOW_FUNCTIONS = {
    # name: (min args, max args)
    "row_number": (0, 0), "rank": (0, 0), "dense_rank": (0, 0), "percent_rank": (0, 0),
    "cume_dist": (0, 0), "ntile": (1, 1), "lag": (1, 3), "lead": (1, 3),
    "first_value": (1, 1), "last_value": (1, 1), "nth_value": (2, 2),
}


class Window(Operator):
    def __init__(self, child, defs: list[WindowDef], ncalls: int):
        self.child = child
        self.defs = defs
        self.ncalls = ncalls

    def rows(self):
        rows = list(self.child.rows())
        extra = [[None] * self.ncalls for _ in rows]
        order = list(range(len(rows)))
        for wi, wd in enumerate(self.defs):
            idx = self._sorted(rows, wd)
            if wi == 0:
                order = idx
            self._compute(rows, idx, wd, extra)
        for i in order:
            yield rows[i] + tuple(extra[i])

    @staticmethod
    def _sorted(rows, wd: WindowDef) -> list[int]:
        terms = [((lambda i, f=f: f(rows[i])), False, None, coll) for f, coll in wd.partition]
        terms += [((lambda i, f=f: f(rows[i])), desc, nulls, coll) for f, desc, nulls, coll in wd.order]
        idx = list(range(len(rows)))
        if terms:
            idx.sort(key=make_sort_key(terms))
        return idx

    def _compute(self, rows, idx, wd: WindowDef, extra) -> None:
        pkeys = [tuple(equality_key(f(rows[i]), c) for f, c in wd.partition) for i in idx]
        start = 0
        n = len(idx)
        while start < n:
            end = start
            while end < n and pkeys[end] == pkeys[start]:
                end += 1
            part = [rows[i] for i in idx[start:end]]
            results = self._partition(part, wd)
            for j, i in enumerate(idx[start:end]):
                for call, values in zip(wd.calls, results):
                    extra[i][call.slot] = values[j]
            start = end

    # -- one partition --------------------------------------------------------

    def _partition(self, part, wd: WindowDef) -> list[list]:
        n = len(part)
        okeys = [tuple(equality_key(f(r), c) for f, _d, _n, c in wd.order) for r in part]
        # Peer groups: runs of rows with equal ORDER BY values.
        group = [0] * n
        for i in range(1, n):
            group[i] = group[i - 1] + (okeys[i] != okeys[i - 1])
        group_start, group_end = {}, {}
        for i, g in enumerate(group):
            group_start.setdefault(g, i)
            group_end[g] = i
        frames = None
        out = []
        for call in wd.calls:
            kind = call.kind
            if kind in ("row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile",
                        "lag", "lead"):
                out.append(self._ranking(call, part, group, group_start, group_end))
                continue
            if frames is None:
                frames = [self._frame(i, part, wd, group, group_start, group_end) for i in range(n)]
            out.append(self._over_frames(call, part, frames))
        return out

    @staticmethod
    def _ranking(call: WindowCall, part, group, group_start, group_end) -> list:
        n = len(part)
        kind = call.kind
        if kind == "row_number":
            return list(range(1, n + 1))
        if kind == "rank":
            return [group_start[g] + 1 for g in group]
        if kind == "dense_rank":
            return [g + 1 for g in group]
        if kind == "percent_rank":
            return [(group_start[g] / (n - 1)) if n > 1 else 0.0 for g in group]
        if kind == "cume_dist":
            return [(group_end[g] + 1) / n for g in group]
        if kind == "ntile":
            out = []
            for i, r in enumerate(part):
                k = to_int(call.args[0](r))
                if k is None or k <= 0:
                    raise SQLError("argument of ntile must be a positive integer")
                size, large = divmod(n, k)
                if size == 0:
                    out.append(i + 1)
                elif i < large * (size + 1):
                    out.append(i // (size + 1) + 1)
                else:
                    out.append((i - large * (size + 1)) // size + large + 1)
            return out
        # lag / lead
        out = []
        sign = -1 if kind == "lag" else 1
        for i, r in enumerate(part):
            off = 1
            if len(call.args) > 1:
                ov = call.args[1](r)
                if ov is None:
                    out.append(None)
                    continue
                off = to_int(ov)
            j = i + sign * off
            if 0 <= j < n:
                out.append(call.args[0](part[j]))
            else:
                out.append(call.args[2](r) if len(call.args) > 2 else None)
        return out

    @staticmethod
    def _offset(fn, row, units: str, which: str):
        v = fn(row)
        if units == "RANGE":
            if isinstance(v, str):
                v = text_to_numeric(v)
            if v is None or not isinstance(v, (int, float)) or v < 0:
                raise SQLError(f"frame {which} offset must be a non-negative number")
            return v
        if isinstance(v, float) and v.is_integer():
            v = int(v)
        if not isinstance(v, int) or v < 0:
            raise SQLError(f"frame {which} offset must be a non-negative integer")
        return v

    def _frame(self, i, part, wd: WindowDef, group, group_start, group_end) -> list[int]:
        n = len(part)
        units = wd.units
        lo = self._bound(i, part, wd, wd.start, True, group, group_start, group_end)
        hi = self._bound(i, part, wd, wd.end, False, group, group_start, group_end)
        lo = max(lo, 0)
        hi = min(hi, n - 1)
        members = list(range(lo, hi + 1)) if lo <= hi else []
        ex = wd.exclude
        if ex == "CURRENT ROW":
            members = [j for j in members if j != i]
        elif ex == "GROUP":
            members = [j for j in members if group[j] != group[i]]
        elif ex == "TIES":
            members = [j for j in members if j == i or group[j] != group[i]]
        del units
        return members

    def _bound(self, i, part, wd: WindowDef, bound, is_start: bool, group, group_start, group_end) -> int:
        kind, fn = bound
        n = len(part)
        units = wd.units
        if kind == "UNBOUNDED PRECEDING":
            return 0
        if kind == "UNBOUNDED FOLLOWING":
            return n - 1
        if kind == "CURRENT ROW":
            if units == "ROWS":
                return i
            g = group[i]
            return group_start[g] if is_start else group_end[g]
        which = "starting" if is_start else "ending"
        off = self._offset(fn, part[i], units, which)
        sign = -1 if kind == "PRECEDING" else 1
        if units == "ROWS":
            return i + sign * off
        if units == "GROUPS":
            g = group[i] + sign * off
            last = group[-1]
            if is_start:
                if g < 0:
                    return 0
                return n if g > last else group_start[g]
            if g > last:
                return n - 1
            return -1 if g < 0 else group_end[g]
        # RANGE with an offset: by value of the single ORDER BY term.
        f, desc, _nulls, _coll = wd.order[0]
        v = f(part[i])
        if v is None:
            g = group[i]
            return group_start[g] if is_start else group_end[g]
        v = to_numeric(v) if isinstance(v, (str, bytes)) else v
        target = v + sign * off * (-1 if desc else 1)
        vals = [f(r) for r in part]
        if is_start:
            for j in range(n):
                x = vals[j]
                if x is None or isinstance(x, (str, bytes)):
                    continue
                if (x >= target) if not desc else (x <= target):
                    return j
            return n
        for j in range(n - 1, -1, -1):
            x = vals[j]
            if x is None or isinstance(x, (str, bytes)):
                continue
            if (x <= target) if not desc else (x >= target):
                return j
        return -1

    @staticmethod
    def _over_frames(call: WindowCall, part, frames) -> list:
        out = []
        kind = call.kind
        for members in frames:
            if kind == "first_value":
                out.append(call.args[0](part[members[0]]) if members else None)
            elif kind == "last_value":
                out.append(call.args[0](part[members[-1]]) if members else None)
            elif kind == "nth_value":
                k = to_int(call.args[1](part[members[0]] if members else part[0]))
                if k is None or k <= 0:
                    raise SQLError("second argument to nth_value must be a positive integer")
                out.append(call.args[0](part[members[k - 1]]) if k <= len(members) else None)
            else:
                acc = call.factory()
                for j in members:
                    r = part[j]
                    if call.filter is not None and truth(call.filter(r)) is not True:
                        continue
                    if call.args:
                        acc.step(*[a(r) for a in call.args])
                    else:
                        acc.step()
                out.append(acc.final())
        return out
