"""Running one test case (or any script) under the oracles, and what a
failure is.

The ``differential`` oracle runs every statement on the target and on the
reference (sqlite3) and compares the two results (:mod:`fuzz.compare`):
status, error message, rows with storage classes, in order where the
statement has a total ORDER BY.  Error messages count: a statement that
fails on both sides with different texts is a difference of kind
``error`` (they are SQLite's documented words and litmus's engine promises
them); ``--ignore-messages`` turns that off for other engines.

``tlp`` and ``norec`` run on the target alone, at each probe statement
(:mod:`fuzz.probes`).  A statement that times out on either side, or a
reference that crashed, makes the rest of the case inconclusive.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from targets import CRASH, OK, TIMEOUT, Result

from . import probes
from .compare import compare_statement
from .generator import Statement

ORACLE_NAMES = ("differential", "tlp", "norec")


@dataclass
class Stats:
    cases: int = 0
    statements: int = 0          # generated statements run
    accepted: int = 0            # of which the reference (or the target) accepted
    probes_checked: Counter = field(default_factory=Counter)
    noise: Counter = field(default_factory=Counter)
    inconclusive: Counter = field(default_factory=Counter)

    def merge(self, other: "Stats") -> None:
        self.cases += other.cases
        self.statements += other.statements
        self.accepted += other.accepted
        self.probes_checked.update(other.probes_checked)
        self.noise.update(other.noise)
        self.inconclusive.update(other.inconclusive)

    def to_json(self) -> dict:
        return {"cases": self.cases, "statements": self.statements, "accepted": self.accepted,
                "probes_checked": dict(self.probes_checked), "noise": dict(self.noise),
                "inconclusive": dict(self.inconclusive)}


@dataclass
class Failure:
    oracle: str
    kind: str                    # status, error, rows, order, columns, crash, tlp-where, norec, ...
    detail: str
    index: int                   # the statement that showed it
    statements: list[Statement]  # the case up to and including that statement
    expected: Result             # sqlite3's result, or the oracle's reference query's
    got: Result                  # the target's
    queries: list[str] = field(default_factory=list)   # TLP/NoREC rewrites

    @property
    def statement(self) -> Statement:
        return self.statements[self.index]

    def kind_key(self) -> tuple:
        """What "the same kind of difference" means while reducing: the same
        oracle and kind, the same statement verb, and for errors and crashes
        the same messages with names and numbers blanked out."""
        verb = _verb(self.statement.sql)
        if self.kind in ("status", "error", "crash"):
            return (self.oracle, self.kind, verb, _shape(self.expected), _shape(self.got))
        return (self.oracle, self.kind, verb)

    def signature(self) -> str:
        """Deduplication key of a (reduced) failure: its kind key, which for
        errors and crashes holds the messages (a crash's exception type and
        place); for other kinds also the keywords, operators and function
        names of the statement that shows it (names and literals left out),
        which after reduction are the few that matter."""
        parts = [str(p) for p in self.kind_key()]
        if self.kind not in ("status", "error", "crash"):
            parts.append(" ".join(sorted(set(_features(self.statement.sql)))))
        return " | ".join(parts)


_WORDS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|x'[0-9a-fA-F]*'|[A-Za-z_][A-Za-z0-9_]*|[0-9.]+(?:e[-+]?\d+)?|\|\||<<|>>|<=|>=|!=|<>|==|->>|->|[-+*/%<>=&|~]")
_NAME = re.compile(r"^(?:[atcivrwsx]\d+|column\d+|excluded|new|old)$", re.I)
_KEYWORDISH = frozenset("""SELECT DISTINCT ALL FROM WHERE GROUP BY HAVING ORDER LIMIT OFFSET UNION INTERSECT EXCEPT
JOIN LEFT RIGHT FULL OUTER INNER CROSS NATURAL USING ON AND OR NOT IS NULL IN BETWEEN LIKE GLOB ESCAPE CASE WHEN
THEN ELSE END CAST AS COLLATE NOCASE RTRIM BINARY EXISTS INSERT INTO VALUES UPDATE SET DELETE REPLACE IGNORE ABORT
FAIL ROLLBACK RETURNING CONFLICT DO NOTHING WITH RECURSIVE OVER PARTITION ROWS RANGE GROUPS PRECEDING FOLLOWING
UNBOUNDED CURRENT ROW EXCLUDE TIES OTHERS FILTER DESC ASC NULLS FIRST LAST CREATE TABLE INDEX VIEW TRIGGER UNIQUE
PRIMARY KEY DEFAULT CHECK GENERATED ALWAYS STORED VIRTUAL WITHOUT ROWID STRICT ALTER RENAME TO ADD COLUMN DROP
BEGIN COMMIT SAVEPOINT RELEASE PRAGMA ISNULL NOTNULL TRUE FALSE INTEGER TEXT REAL BLOB NUMERIC""".split())


def _features(sql: str) -> list[str]:
    out = []
    for token in _WORDS.findall(sql):
        if token[0] in "'\"" or token[:2].lower() == "x'" or token[0].isdigit() or token[0] == ".":
            continue
        upper = token.upper()
        if upper in _KEYWORDISH or not token[0].isalpha() and token[0] != "_":
            out.append(upper)
        elif not _NAME.match(token):
            out.append(token.lower())        # a function name
    return out


def _verb(sql: str) -> str:
    m = re.match(r"\s*(?:--[^\n]*\n\s*)*([A-Za-z]+)", sql)
    return m.group(1).upper() if m else "?"


_NUMBERS = re.compile(r"\d+")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|\b[atcivrwsx]\d+\b")


def _shape(r: Result) -> str:
    if r.status == OK:
        return "ok"
    text = r.error or ""
    if r.status == CRASH:
        # TypeName: message (file:line): keep the type and the place.
        m = re.match(r"([A-Za-z_.]+):.*\(([^()]*)\)\s*$", text, re.S)
        if m:
            return f"crash {m.group(1)} at {m.group(2)}"
    return f"{r.status} " + _NUMBERS.sub("N", _QUOTED.sub("Q", text))[:120]


def parse_oracles(text: str) -> tuple[str, ...]:
    names = tuple(n.strip().lower() for n in text.split(",") if n.strip())
    for n in names:
        if n not in ORACLE_NAMES:
            raise ValueError(f"unknown oracle {n!r}; known: {', '.join(ORACLE_NAMES)}")
    if not names:
        raise ValueError("no oracle given")
    return names


def run_case(statements, target, reference, oracles, stats: Stats | None = None, *,
             messages: bool = True, count: bool = True, probe_all: bool = False) -> Failure | None:
    """Runs ``statements`` from a fresh database under ``oracles``; the first
    failure, or None.  ``reference`` may be None when ``differential`` is
    not among the oracles.  TLP and NoREC look at the statements marked as
    probes, or with ``probe_all`` at every statement of a probe's form."""
    stats = stats if stats is not None else Stats()
    differential = "differential" in oracles and reference is not None
    single = [o for o in oracles if o in probes.ORACLES]
    target.reset()
    if differential:
        reference.reset()
    if count:
        stats.cases += 1
    for i, stmt in enumerate(statements):
        got = target.execute(stmt.sql)
        expected = reference.execute(stmt.sql) if differential else None
        if count:
            stats.statements += 1
            if (expected if expected is not None else got).status == OK:
                stats.accepted += 1
        if got.status == TIMEOUT or got.state_lost or (
                expected is not None and (expected.status in (TIMEOUT, CRASH) or expected.state_lost)):
            stats.inconclusive["timeout" if TIMEOUT in (got.status, getattr(expected, "status", None))
                               else "restarted"] += 1
            return None
        if differential:
            diff, noise = compare_statement(stmt.sql, expected, got, ordered=stmt.ordered,
                                            limited=stmt.limited, messages=messages)
            if noise:
                stats.noise[noise] += 1
            if diff is not None:
                kind = "crash" if got.status == CRASH else diff.kind
                return Failure("differential", kind, diff.detail, i, list(statements[:i + 1]),
                               expected, got)
        elif got.status == CRASH:
            return Failure(single[0] if single else "differential", "crash", got.error or "", i,
                           list(statements[:i + 1]), Result(), got)
        if (stmt.probe or probe_all) and single and got.status == OK:
            for name in single:
                stats.probes_checked[name] += 1
                finding = probes.ORACLES[name](target, stmt.sql, got)
                if finding is not None and reference is not None and \
                        _reference_shows_it(name, statements[:i + 1], reference, expected):
                    # sqlite3 breaks the same rule on the same statements: a
                    # bug of SQLite's own (calibration campaigns against
                    # sqlite3 met some), not a difference of the target.
                    stats.noise["reference-too"] += 1
                    continue
                if finding is not None:
                    return Failure(name, finding.kind, finding.detail, i, list(statements[:i + 1]),
                                   finding.expected, finding.got, finding.queries)
    return None


def _reference_shows_it(name: str, statements, reference, expected: Result | None) -> bool:
    """Whether the single-target oracle ``name`` also fails on the reference
    at the last of ``statements``.  ``expected`` is the reference's result
    of that statement when it ran in step (the differential oracle is on);
    otherwise the statements are replayed on it first."""
    if expected is None:
        reference.reset()
        for stmt in statements[:-1]:
            reference.execute(stmt.sql)
        expected = reference.execute(statements[-1].sql)
    if expected.status != OK:
        return False
    return probes.ORACLES[name](reference, statements[-1].sql, expected) is not None
