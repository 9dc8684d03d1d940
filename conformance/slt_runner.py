"""Running the records of one sqllogictest file against a target.

Two modes:

- *expected* (default): each record is checked against its own expectation,
  as SQLite's reference runner does with its SQLite driver (values rendered
  by :mod:`conformance.slt_format`, sorted by the record's sort mode,
  compared value by value or by md5 hash; labelled queries must agree).
- *differential*: each record runs on the target and on an oracle (normally
  the sqlite3 binary) and the two typed results are compared live with
  :func:`targets.compare.compare`.

litmus engines are SQLite-like: a record runs when it has no condition, or
``onlyif sqlite``, or ``skipif <another db>``; ``onlyif <another db>`` and
``skipif sqlite`` skip it (counted).  An applicable ``halt`` ends the file.

Engines are reached only through ``targets`` (DESIGN.md, "Targets").
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Callable

from targets import CRASH, OK, TIMEOUT, Result, compare

from .known import KnownDifferences
from .slt_format import render_rows, sort_values, values_md5
from .slt_parser import Halt, HashThreshold, ParsedFile, ParseError, Query, Statement

ENGINE_NAME = "sqlite"          # the name conditions are matched against
DEFAULT_HASH_THRESHOLD = 8      # as sqllogictest.c before any hash-threshold record
SHOWN_LINES = 200               # expected/got texts are cut after this many lines

PASSED, FAILED, SKIPPED, KNOWN = "passed", "failed", "skipped", "known"


@dataclass
class Failure:
    """One record that did not pass (or passed only as a known difference)."""

    file: str
    line: int
    kind: str            # "statement" or "query"
    sql: str
    expected: str
    got: str
    message: str
    reason: str | None = None      # set for known differences

    @property
    def id(self) -> str:
        return f"{self.file}:{self.line}"

    def to_json(self) -> dict:
        out = {"id": self.id, **asdict(self)}
        if self.reason is None:
            del out["reason"]
        return out


@dataclass
class Outcome:
    status: str                       # PASSED, FAILED, SKIPPED or KNOWN
    failure: Failure | None = None    # for FAILED and KNOWN
    reason: str | None = None         # why it was skipped, or the known entry's reason
    stale: bool = False               # passed although listed as a known difference


@dataclass
class FileResult:
    """Everything one file's run produced; plain data, picklable."""

    file: str
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    known: int = 0
    malformed: int = 0
    error: str | None = None
    failures: list[Failure] = field(default_factory=list)
    known_records: list[Failure] = field(default_factory=list)
    malformed_records: list[dict] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, outcome: Outcome, record_id: str) -> None:
        setattr(self, outcome.status, getattr(self, outcome.status) + 1)
        if outcome.status == FAILED:
            self.failures.append(outcome.failure)
        elif outcome.status == KNOWN:
            self.known_records.append(outcome.failure)
        if outcome.stale:
            self.stale.append(record_id)

    def counts_json(self) -> dict:
        return {"file": self.file, "passed": self.passed, "failed": self.failed,
                "skipped": self.skipped, "known": self.known,
                "malformed": self.malformed, "error": self.error}


def skip_reason(conditions, engine: str = ENGINE_NAME) -> str | None:
    """Why a record with these conditions does not run on ``engine``, or None."""
    for cond in conditions:
        match = cond.engine.lower() == engine
        if (cond.kind == "skipif") == match:
            return str(cond)
    return None


def one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _cap(lines: list[str]) -> str:
    if len(lines) > SHOWN_LINES:
        return "\n".join(lines[:SHOWN_LINES]) + f"\n... ({len(lines) - SHOWN_LINES} more lines)"
    return "\n".join(lines)


def _status_text(result: Result) -> str:
    if result.status == OK:
        return "ok"
    return f"{result.status}: {one_line(result.error)}"


class FileSession:
    """The state of one file's run: its target(s), the hash threshold, the
    hashes of labelled results, and whether a ``halt`` was reached.

    Records must be given in file order; each statement or query yields an
    :class:`Outcome`, control records (``hash-threshold``, ``halt``) yield
    None.
    """

    def __init__(self, file_id: str, target, *, oracle=None,
                 known: KnownDifferences | None = None, path: str | None = None):
        self.file_id = file_id
        self.path = path
        self.target = target
        self.oracle = oracle
        self.known = known if known is not None and oracle is None else KnownDifferences()
        self.hash_threshold = DEFAULT_HASH_THRESHOLD
        self.labels: dict[str, tuple[str, int, int]] = {}   # label -> (md5, count, line)
        self.halted = False
        self.history: list[str] = []   # the statements run so far, to rebuild a lost database

    def _execute(self, target, rec):
        """Run a record's SQL; if the target had to start over (a timeout or a
        crash killed its process), replay the file's earlier statements on it
        so later records see the database they expect."""
        result = target.execute(rec.sql)
        if result.state_lost:
            for sql in self.history:
                if target.execute(sql).state_lost:
                    break
        if isinstance(rec, Statement):
            self.history.append(rec.sql)
        return result

    # ------------------------------------------------------------ dispatch
    def run(self, record) -> Outcome | None:
        reason = skip_reason(record.conditions)
        if isinstance(record, (Statement, Query)):
            if reason is not None:
                return Outcome(SKIPPED, reason=reason)
            if self.oracle is not None:
                return self._differential(record)
            outcome = (self._statement(record) if isinstance(record, Statement)
                       else self._query(record))
            return self._apply_known(record, outcome)
        if reason is None:
            if isinstance(record, HashThreshold):
                self.hash_threshold = record.threshold
            elif isinstance(record, Halt):
                self.halted = True
        return None

    # ------------------------------------------------------ expected mode
    def _statement(self, rec: Statement) -> Outcome:
        result = self._execute(self.target, rec)
        expected = "error" if rec.expect_error else "ok"
        if rec.expect_error and rec.error_text:
            expected = f"error: {rec.error_text}"
        if result.status in (TIMEOUT, CRASH):
            return self._fail(rec, expected, _status_text(result),
                              f"target {result.status}: {one_line(result.error)}")
        if (result.status == OK) != rec.expect_error:
            if rec.expect_error and rec.error_text and one_line(result.error) != rec.error_text:
                # ``statement error MESSAGE``: the message must be the same text.
                return self._fail(rec, expected, _status_text(result), "error message differs")
            return Outcome(PASSED)
        if rec.expect_error:
            return self._fail(rec, expected, "ok", "statement succeeded but an error was expected")
        return self._fail(rec, expected, _status_text(result),
                          f"statement failed: {one_line(result.error)}")

    def _query(self, rec: Query) -> Outcome:
        result = self._execute(self.target, rec)
        if result.status != OK:
            message = (f"target {result.status}: " if result.status in (TIMEOUT, CRASH)
                       else "query failed: ") + one_line(result.error)
            return self._fail(rec, _expected_text(rec), _status_text(result), message)
        ncols = len(rec.types)
        problem = self._width_problem(result, ncols)
        if problem:
            return self._fail(rec, _expected_text(rec), problem, problem)
        values = sort_values(render_rows(result.rows, rec.types), ncols, rec.sort)

        digest = values_md5(values) if rec.label or rec.expected_hash else None
        if rec.expected_hash is not None:
            ok = rec.expected_hash == (len(values), digest)
        else:
            ok = values == list(rec.expected)
        if rec.label is not None:
            # Records sharing a label must agree; the later one fails otherwise.
            first = self.labels.setdefault(rec.label, (digest, len(values), rec.line))
        if not ok:
            if rec.expected_hash is None:
                return self._fail(rec, _expected_text(rec), _cap(values), "values differ")
            message = ("values differ" if len(values) == rec.expected_hash[0]
                       else f"expected {rec.expected_hash[0]} values, got {len(values)}")
            return self._fail(rec, _expected_text(rec), f"{len(values)} values hashing to {digest}",
                              message)
        if rec.label is not None and first[0] != digest:
            return self._fail(rec, f"{first[1]} values hashing to {first[0]}",
                              f"{len(values)} values hashing to {digest}",
                              f"labelled result {rec.label!r} differs from line {first[2]}")
        return Outcome(PASSED)

    @staticmethod
    def _width_problem(result: Result, ncols: int) -> str | None:
        for row in result.rows:
            if len(row) != ncols:
                return f"wrong number of columns: expected {ncols}, got {len(row)}"
        if not result.rows and result.columns is not None and len(result.columns) != ncols:
            return f"wrong number of columns: expected {ncols}, got {len(result.columns)}"
        return None

    def _fail(self, rec, expected: str, got: str, message: str) -> Outcome:
        failure = Failure(self.file_id, rec.line, rec.kind, rec.sql, expected, got, message)
        return Outcome(FAILED, failure=failure)

    def _apply_known(self, rec, outcome: Outcome) -> Outcome:
        if not self.known.entries:
            return outcome
        entry = self.known.find(self.file_id, rec.line, self.path)
        if entry is None:
            return outcome
        if outcome.status == PASSED:
            outcome.stale = True
            return outcome
        failure = outcome.failure
        if entry.accepts(failure.got):
            failure.reason = entry.reason
            failure.message = f"known difference: {failure.message}"
            return Outcome(KNOWN, failure=failure, reason=entry.reason)
        failure.message += "; it also differs from sqlite3's answer in the known differences"
        return outcome

    # -------------------------------------------------- differential mode
    def _differential(self, rec) -> Outcome:
        got = self._execute(self.target, rec)
        if isinstance(rec, Statement):
            self.history.pop()     # recorded once, after both sides ran it
        want = self._execute(self.oracle, rec)
        types = rec.types if isinstance(rec, Query) else ""
        expected_text, got_text = _describe(want, types), _describe(got, types)
        if got.status in (TIMEOUT, CRASH):
            return self._fail(rec, expected_text, got_text,
                              f"target {got.status}: {one_line(got.error)}")
        if want.status in (TIMEOUT, CRASH):
            return self._fail(rec, expected_text, got_text,
                              f"oracle {want.status}: {one_line(want.error)}")
        if (got.status == OK) != (want.status == OK):
            if got.status == OK:
                message = f"succeeded but the oracle failed: {one_line(want.error)}"
            else:
                message = f"failed but the oracle succeeded: {one_line(got.error)}"
            return self._fail(rec, expected_text, got_text, message)
        if isinstance(rec, Statement) or got.status != OK:
            return Outcome(PASSED)
        if rec.sort == "valuesort":
            got, want = _flatten(got), _flatten(want)
        diff = compare(got, want, ordered=rec.sort == "nosort", messages=False)
        if diff is not None:
            return self._fail(rec, expected_text, got_text, f"differs from the oracle: {diff}")
        return Outcome(PASSED)


def _expected_text(rec: Query) -> str:
    if rec.expected_hash:
        return f"{rec.expected_hash[0]} values hashing to {rec.expected_hash[1]}"
    if len(rec.expected) <= SHOWN_LINES:
        return "\n".join(rec.expected)
    return _cap(list(rec.expected))


def _flatten(result: Result) -> Result:
    return Result(rows=[(v,) for row in result.rows for v in row], columns=None)


def _describe(result: Result, types: str) -> str:
    if result.status != OK:
        return _status_text(result)
    if not types:
        return "ok" if not result.rows else _cap([repr(r) for r in result.rows])
    if any(len(row) != len(types) for row in result.rows):
        return _cap([repr(r) for r in result.rows])
    return _cap(render_rows(result.rows, types))


def run_parsed(parsed: ParsedFile, session: FileSession,
               progress: Callable[[FileResult], None] | None = None,
               every: int = 500) -> FileResult:
    """Run every record of ``parsed`` in order until the end or a ``halt``."""
    started = time.perf_counter()
    result = FileResult(session.file_id)
    records = parsed.in_order() if parsed.errors else parsed.records
    done = 0
    for item in records:
        if isinstance(item, ParseError):
            result.malformed += 1
            result.malformed_records.append(
                {"file": session.file_id, "line": item.line, "message": item.message})
            continue
        outcome = session.run(item)
        if outcome is None:
            if session.halted:
                break
            continue
        result.count(outcome, f"{session.file_id}:{item.line}")
        done += 1
        if progress is not None and done % every == 0:
            progress(result)
    result.seconds = time.perf_counter() - started
    if progress is not None:
        progress(result)
    return result
