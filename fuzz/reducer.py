"""Reducing a failing script to the few statements that show the
difference (issue 5, point 3).

1. Statements after the one that shows the difference are dropped; then
   every read-only statement before it at once (they cannot matter).
2. Delta debugging over the statement list (Zeller and Hildebrandt,
   "Simplifying and Isolating Failure-Inducing Input", 2002), removing
   complements of ever smaller chunks.
3. Inside statements, last first: the simplifications of
   :mod:`fuzz.simplify` (sqlglot's trees, and text for CREATE TABLE),
   greedily, restarting from the simplified statement after each success.
4. Delta debugging once more when step 3 changed anything.
5. Substitution: a change statement is replaced by a copy of an earlier
   one, and kept when delta debugging then gets the script shorter.  This
   is how ``INSERT; SAVEPOINT; DELETE; ROLLBACK TO`` becomes
   ``SAVEPOINT; INSERT; ROLLBACK TO``: deletion alone cannot move a
   statement.

A step is kept only when the same oracle still reports the same kind of
difference (:meth:`Failure.kind_key`).  When the statement under
simplification is the last one and only reads, the statements before it
are run once and each candidate alone afterwards, which is what makes
expression-level reduction affordable against a slow engine.
"""

from __future__ import annotations

import re
import time
from dataclasses import replace

from targets import OK, TIMEOUT

from . import probes, simplify
from .compare import compare_statement
from .execute import Failure, run_case
from .generator import Statement

_READ_ONLY = re.compile(r"^\s*(?:SELECT|VALUES|WITH)\b", re.I)
_WRITES = re.compile(r"\b(?:INSERT|UPDATE|DELETE|REPLACE)\b", re.I)


def read_only(sql: str) -> bool:
    return bool(_READ_ONLY.match(sql)) and not _WRITES.search(sql)


class Reducer:
    def __init__(self, target, reference, *, messages: bool = True, probe_all: bool = False,
                 seconds: float = 60.0, accept=None):
        self.target = target
        self.accept = accept          # an extra condition on every kept step, or None
        self.reference = reference
        self.messages = messages
        self.probe_all = probe_all
        self.seconds = seconds
        self.tests = 0
        self.deadline = 0.0

    # ------------------------------------------------------------ the test

    def _matches(self, f: Failure | None, key) -> bool:
        return f is not None and f.kind_key() == key and (self.accept is None or self.accept(f))

    def check(self, stmts: list[Statement], key) -> Failure | None:
        self.tests += 1
        f = run_case(stmts, self.target, self.reference, (self.oracle,), count=False,
                     messages=self.messages, probe_all=self.probe_all)
        return f if self._matches(f, key) else None

    def _out_of_time(self) -> bool:
        return time.monotonic() > self.deadline

    # ------------------------------------------------------------ driver

    def reduce(self, failure: Failure) -> Failure:
        self.oracle = failure.oracle
        self.deadline = time.monotonic() + self.seconds
        key = failure.kind_key()
        best = failure
        stmts = list(failure.statements[:failure.index + 1])
        if len(stmts) < len(failure.statements):
            f = self.check(stmts, key)
            if f is None:
                return failure          # not reproducible from a fresh start
            best = f
        # 1. every read-only statement but the last, at once
        stmts = best.statements
        kept = [s for s in stmts[:-1] if not read_only(s.sql)] + [stmts[-1]]
        if len(kept) < len(stmts):
            f = self.check(kept, key)
            if f is not None:
                best = f
        best = self._ddmin(best, key)
        before = _size(best.statements)
        best = self._simplify(best, key)
        if _size(best.statements) != before and not self._out_of_time():
            best = self._ddmin(best, key)
        return self._substitute(best, key)

    def _substitute(self, best: Failure, key) -> Failure:
        improved = True
        while improved and len(best.statements) > 2 and not self._out_of_time():
            improved = False
            stmts = best.statements
            for j in range(1, len(stmts) - 1):
                for i in range(j):
                    if stmts[i].sql == stmts[j].sql or read_only(stmts[i].sql) or self._out_of_time():
                        continue
                    f = self.check(stmts[:j] + [stmts[i]] + stmts[j + 1:], key)
                    if f is None:
                        continue
                    shorter = self._ddmin(f, key)
                    if len(shorter.statements) < len(stmts):
                        best, improved = shorter, True
                        break
                if improved:
                    break
        return best

    def _ddmin(self, best: Failure, key) -> Failure:
        n = 2
        while len(best.statements) >= 2 and not self._out_of_time():
            items = best.statements
            chunks = _split(len(items), n)
            reduced = False
            for start, end in chunks:
                candidate = items[:start] + items[end:]
                if not candidate:
                    continue
                f = self.check(candidate, key)
                if f is not None:
                    best = f
                    n = max(n - 1, 2)
                    reduced = True
                    break
                if self._out_of_time():
                    return best
            if not reduced:
                if n >= len(items):
                    break
                n = min(2 * n, len(items))
        return best

    # ------------------------------------------------------------ inside statements

    def _simplify(self, best: Failure, key) -> Failure:
        i = len(best.statements) - 1
        while i >= 0 and not self._out_of_time():
            best = self._simplify_one(best, key, i)
            i = min(i, len(best.statements)) - 1
        return best

    def _simplify_one(self, best: Failure, key, i: int) -> Failure:
        stmt = best.statements[i]
        fast = i == len(best.statements) - 1 and read_only(stmt.sql)
        bench = _Bench(self, best.statements[:-1]) if fast else None
        tried: set[str] = {stmt.sql}
        # sqlglot only where its printed text still shows the difference.
        use_tree = False
        tree = simplify.parse(stmt.sql)
        if tree is not None:
            printed = simplify.render(tree)
            if printed == stmt.sql:
                use_tree = True
            elif printed is not None:
                tried.add(printed)
                f = self._try(best, key, i, printed, bench)
                if f is not None:
                    best, use_tree = f, True
        progress = True
        while progress and not self._out_of_time():
            progress = False
            sql = best.statements[i].sql
            candidates = simplify.text_candidates(sql)
            if use_tree:
                tree = simplify.parse(sql)
                if tree is not None:
                    candidates = _chain(candidates, simplify.tree_candidates(tree))
            for text in candidates:
                if text in tried or len(text) > len(sql):
                    continue
                tried.add(text)
                f = self._try(best, key, i, text, bench)
                if f is not None:
                    best = f
                    progress = True
                    break
                if self._out_of_time():
                    break
        return best

    def _try(self, best: Failure, key, i: int, text: str, bench) -> Failure | None:
        old = best.statements[i]
        new = _with_flags(old, text)
        stmts = best.statements[:i] + [new] + best.statements[i + 1:]
        if bench is not None:
            f = bench.check(new, key, stmts)
            if f is not None:
                return f
            return None
        f = self.check(stmts, key)
        if f is not None and f.index == len(f.statements) - 1:
            return f
        return None


class _Bench:
    """The statements before the last one, run once on both sides; then
    each candidate for the last (read-only) statement runs alone."""

    def __init__(self, reducer: Reducer, prefix: list[Statement]):
        self.r = reducer
        self.prefix = prefix
        self.ready = False

    def _setup(self) -> bool:
        r = self.r
        r.target.reset()
        if r.oracle == "differential":
            r.reference.reset()
        for s in self.prefix:
            a = r.target.execute(s.sql)
            if a.status == TIMEOUT or a.state_lost:
                return False
            if r.oracle == "differential":
                b = r.reference.execute(s.sql)
                if b.status == TIMEOUT or b.state_lost:
                    return False
        self.ready = True
        return True

    def check(self, stmt: Statement, key, stmts: list[Statement]) -> Failure | None:
        r = self.r
        if not self.ready and not self._setup():
            return None
        r.tests += 1
        i = len(stmts) - 1
        got = r.target.execute(stmt.sql)
        if got.status == TIMEOUT or got.state_lost:
            self.ready = False
            return None
        if r.oracle == "differential":
            expected = r.reference.execute(stmt.sql)
            if expected.status == TIMEOUT or expected.state_lost:
                self.ready = False
                return None
            diff, _ = compare_statement(stmt.sql, expected, got, ordered=stmt.ordered,
                                        limited=stmt.limited, messages=r.messages)
            if diff is None:
                return None
            kind = "crash" if got.status == "crash" else diff.kind
            f = Failure("differential", kind, diff.detail, i, stmts, expected, got)
        else:
            if got.status != OK or not (stmt.probe or r.probe_all):
                return None
            finding = probes.ORACLES[r.oracle](r.target, stmt.sql, got)
            if finding is None:
                return None
            f = Failure(r.oracle, finding.kind, finding.detail, i, stmts, finding.expected,
                        finding.got, finding.queries)
        return f if r._matches(f, key) else None

    def close(self) -> None:
        pass


def _with_flags(old: Statement, text: str) -> Statement:
    ordered = old.ordered and simplify.has_top_level(text, "ORDER")
    limited = old.limited and ordered and (simplify.has_top_level(text, "LIMIT"))
    return replace(old, sql=text, ordered=ordered, limited=limited)


def _chain(*iterables):
    for it in iterables:
        yield from it


def _split(length: int, n: int) -> list[tuple[int, int]]:
    n = min(n, length)
    size, extra = divmod(length, n)
    out, start = [], 0
    for k in range(n):
        end = start + size + (1 if k < extra else 0)
        out.append((start, end))
        start = end
    return out


def _size(stmts) -> tuple[int, int]:
    return (len(stmts), sum(len(s.sql) for s in stmts))
