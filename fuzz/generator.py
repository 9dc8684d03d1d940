"""Test cases: a schema, data, then a body of queries, changes, transactions
and schema changes, drawn by one Hypothesis strategy, :func:`test_cases`.

How campaigns draw from it (:func:`run_batches`): a ``@given`` test built
per batch with ``@seed`` and ``database=None``, so batch *b* of worker *w* in
a campaign with seed *s* draws the same cases whenever it is run again
(given the same answers from the targets: a case's outcome is the only input
Hypothesis sees).  Each batch is ``max_examples`` cases of the generate
phase only; the shrink phase is turned on only to shrink a failure, within
a time budget.  Measured on the development machine, ``@given`` costs about
24 us per draw plus ~1 ms per case; ``strategy.example()`` would cost far
more per case and ignores seeds, and ``st.data()`` draws interactively,
which makes a case depend on the order of its draws at run time.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis import strategies as st

from . import queries, statements
from .context import Entropy, Gen, GeneratorConfig, chance, integer, pick


@dataclass(frozen=True)
class Statement:
    """One statement of a test case and how its result is compared.

    ``ordered``: rows are compared in order (the query has a total ORDER BY
    up to rows SQLite cannot tell apart); ``limited``: with a LIMIT or
    OFFSET that may cut through such ties; ``probe``: a query in the form
    the TLP and NoREC oracles take apart."""

    sql: str
    ordered: bool = False
    limited: bool = False
    probe: bool = False

    def flags(self) -> str:
        return " ".join(name for name in ("ordered", "limited", "probe") if getattr(self, name))


@dataclass(frozen=True)
class TestCase:
    statements: tuple[Statement, ...]

    def script(self) -> str:
        return render_script(self.statements)


def render_script(stmts) -> str:
    """SQL text, one statement a line; a statement with flags is preceded by
    a ``-- litmus: FLAGS`` comment line, which :func:`parse_script` reads
    back (and sqlite3 ignores)."""
    lines = []
    for s in stmts:
        flags = s.flags()
        if flags:
            lines.append(f"-- litmus: {flags}")
        lines.append(s.sql.rstrip().rstrip(";") + ";")
    return "\n".join(lines) + "\n"


def parse_script(text: str) -> list[Statement]:
    """The statements of an SQL script, with the flags of
    :func:`render_script` where present."""
    from targets.script import split_statements
    out = []
    for raw in split_statements(text, keep_semicolon=False):
        flags: set[str] = set()
        body = raw
        while body.startswith("--"):
            line, _, rest = body.partition("\n")
            if line.startswith("-- litmus:"):
                flags.update(line[len("-- litmus:"):].split())
            body = rest.lstrip(" \t\r\n")
        if not body:
            continue
        out.append(Statement(body, ordered="ordered" in flags, limited="limited" in flags,
                             probe="probe" in flags))
    return out


# ---------------------------------------------------------------- the strategy

_BODY_KINDS = ("query", "scalar", "change", "probe", "query", "change", "txn", "query",
               "ddl", "probe", "change", "query", "block", "scalar", "query", "scalar", "scalar")


@st.composite
def test_cases(draw, config: GeneratorConfig = GeneratorConfig()) -> TestCase:
    g = Gen(config)
    out: list[Statement] = []
    draw = Entropy(draw)

    def emit(sql, **flags):
        draw.boundary()
        if sql:
            out.append(Statement(sql, **flags))

    # Settings.
    if g.on("pragmas") and chance(draw, 15):
        emit(pick(draw, ("PRAGMA case_sensitive_like = ON", "PRAGMA recursive_triggers = ON",
                         "PRAGMA case_sensitive_like = OFF")))
    if g.on("foreign_keys") and chance(draw, 20):
        emit("PRAGMA foreign_keys = ON")
        g.schema.foreign_keys_on = True
    # Schema.
    for _ in range(integer(draw, 1, config.max_tables)):
        emit(statements.create_table(draw, g))
    if g.on("indexes"):
        for _ in range(integer(draw, 0, 2)):
            emit(statements.create_index(draw, g))
    if g.on("views") and chance(draw, 35):
        emit(statements.create_view(draw, g))
    if g.on("triggers") and chance(draw, 45):
        if len(g.schema.tables) == 1:
            emit(statements.create_log_table(draw, g))
        for _ in range(integer(draw, 1, 2)):
            emit(statements.create_trigger(draw, g))
    # Data.
    for table in list(g.schema.tables):
        for _ in range(integer(draw, 1, 2)):
            emit(statements.insert(draw, g, False, table))
    # Body.
    savepoints: list[str] = []
    in_txn = False
    for _ in range(integer(draw, config.min_body, config.max_body)):
        kind = pick(draw, _BODY_KINDS)
        if kind == "query":
            q = queries.top_query(draw, g)
            emit(q.sql, ordered=q.ordered, limited=q.limited)
        elif kind == "scalar":
            emit(queries.scalar_select(draw, g).sql)
        elif kind == "probe" and g.schema.tables:
            emit(queries.probe(draw, g).sql, probe=True)
        elif kind == "change" and g.schema.tables:
            emit(_change(draw, g, in_txn))
        elif kind == "txn" and (g.on("transactions") or g.on("savepoints")):
            sql, in_txn = _transaction(draw, g, in_txn, savepoints)
            emit(sql)
        elif kind == "ddl" and not in_txn and g.schema.tables:
            emit(_ddl(draw, g))
        elif kind == "block" and not in_txn and g.schema.tables and \
                (g.on("transactions") or g.on("savepoints")):
            for sql in _block(draw, g, savepoints):
                emit(sql)
    if in_txn and chance(draw, 50):
        emit(pick(draw, ("COMMIT", "ROLLBACK", "END")))
    return TestCase(tuple(out))


def _change(draw, g: Gen, in_txn: bool) -> str | None:
    kind = pick(draw, ("insert", "update", "delete", "insert", "view"))
    if kind == "update" and g.on("update"):
        return statements.update(draw, g, in_txn)
    if kind == "delete" and g.on("delete"):
        return statements.delete(draw, g)
    if kind == "view" and g.on("triggers"):
        return statements.view_change(draw, g)
    return statements.insert(draw, g, in_txn)


def _transaction(draw, g: Gen, in_txn: bool, savepoints: list[str]) -> tuple[str | None, bool]:
    if not in_txn:
        if g.on("savepoints") and (chance(draw, 25) or not g.on("transactions")):
            name = f"s{len(savepoints)}"
            savepoints.append(name)
            return f"SAVEPOINT {name}", True
        return pick(draw, ("BEGIN", "BEGIN IMMEDIATE", "BEGIN DEFERRED", "BEGIN TRANSACTION",
                           "BEGIN EXCLUSIVE")), True
    options = ["COMMIT", "ROLLBACK"]
    if g.on("savepoints"):
        options += ["SAVEPOINT", "SAVEPOINT"] + (["RELEASE", "ROLLBACK TO"] if savepoints else [])
    kind = pick(draw, tuple(options))
    if kind == "SAVEPOINT":
        name = f"s{len(savepoints)}"
        savepoints.append(name)
        return f"SAVEPOINT {name}", True
    if kind == "RELEASE":
        i = integer(draw, 0, len(savepoints) - 1)
        name = savepoints[i]
        del savepoints[i:]
        # Releasing the outermost savepoint of a transaction that SAVEPOINT
        # started ends it; we do not track which began it, so treat the
        # transaction as still open (a later COMMIT may then fail).
        return f"RELEASE {name}", True
    if kind == "ROLLBACK TO":
        i = integer(draw, 0, len(savepoints) - 1)
        name = savepoints[i]
        del savepoints[i + 1:]
        return f"ROLLBACK TO {name}", True
    savepoints.clear()
    return pick(draw, (kind, "END") if kind == "COMMIT" else (kind,)), False


def _block(draw, g: Gen, savepoints: list[str]) -> list[str]:
    """A transaction or savepoint that is undone or kept, around changes,
    then a look at the table changed: the shape that shows whether
    ROLLBACK, ROLLBACK TO and RELEASE do what they say."""
    out = []
    use_savepoint = g.on("savepoints") and (chance(draw, 60) or not g.on("transactions"))
    name = f"s{len(savepoints)}"
    out.append(f"SAVEPOINT {name}" if use_savepoint else pick(draw, ("BEGIN", "BEGIN IMMEDIATE")))
    inner = None
    if use_savepoint and chance(draw, 50):
        inner = f"{name}_in"
        out.append(f"SAVEPOINT {inner}")
    for _ in range(integer(draw, 1, 2)):
        out.append(_change(draw, g, True))
    table = pick(draw, tuple(g.schema.tables))
    look = f"SELECT * FROM {table.name}"
    out.append(look)
    if use_savepoint:
        target = inner if inner and chance(draw, 50) else name
        out.append(pick(draw, (f"ROLLBACK TO {target}", f"RELEASE {target}", f"ROLLBACK TO {target}")))
        if target == inner or out[-1].startswith("ROLLBACK TO"):
            out.append(f"RELEASE {name}")
    else:
        out.append(pick(draw, ("ROLLBACK", "COMMIT", "ROLLBACK")))
    out.append(look)
    return out


def _ddl(draw, g: Gen) -> str | None:
    kind = pick(draw, ("index", "alter", "view", "drop", "table", "trigger", "ctas"))
    if kind == "index" and g.on("indexes"):
        return statements.create_index(draw, g)
    if kind == "alter" and g.on("alter"):
        return statements.alter(draw, g)
    if kind == "view" and g.on("views"):
        return statements.create_view(draw, g)
    if kind == "drop" and g.on("drop"):
        return statements.drop(draw, g)
    if kind == "table" and len(g.schema.tables) < 4:
        return statements.create_table(draw, g)
    if kind == "trigger" and g.on("triggers"):
        return statements.create_trigger(draw, g)
    if kind == "ctas" and g.on("create_table_as") and len(g.schema.tables) < 4:
        return statements.create_table_as(draw, g)
    return None


# ---------------------------------------------------------------- seeded batches

def batch_seed(campaign_seed: int, worker: int, batch: int) -> int:
    """A 64-bit seed for one batch, stable across runs and Python versions."""
    digest = hashlib.sha256(f"litmus-fuzz:{campaign_seed}:{worker}:{batch}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


class Found(Exception):
    """Raised inside the ``@given`` body to make Hypothesis shrink a case."""


class StopShrinking(BaseException):
    """Raised to end shrinking early (Hypothesis lets BaseException through)."""


@dataclass
class BatchOutcome:
    cases: int = 0
    failure: object = None          # what run_case returned for the first failing case
    shrunk: TestCase | None = None  # the smallest case that still failed the same way
    shrink_seconds: float = 0.0
    shrink_calls: int = 0


def run_batch(config: GeneratorConfig, batch_seed_value: int, max_examples: int, run_case,
              same_failure, *, shrink_seconds: float = 0.0, stop=None) -> BatchOutcome:
    """Draws up to ``max_examples`` cases and calls ``run_case(case,
    shrinking)`` on each; it returns None or a failure.  On the first failure, Hypothesis
    shrinks the case for up to ``shrink_seconds`` (0: no shrinking), keeping
    only candidates for which ``same_failure(first, new)`` holds.  ``stop()``
    returning True ends the batch early."""
    outcome = BatchOutcome()
    state = {"shrinking": False, "deadline": 0.0, "best": None, "best_size": None}

    def body(case: TestCase) -> None:
        if not state["shrinking"]:
            if stop is not None and stop():
                raise StopShrinking()
            outcome.cases += 1
            failure = run_case(case, False)
            if failure is None:
                return
            outcome.failure = failure
            state["best"], state["best_size"] = case, _size(case)
            if shrink_seconds <= 0:
                raise StopShrinking()
            state["shrinking"] = True
            state["deadline"] = time.monotonic() + shrink_seconds
            raise Found()
        if time.monotonic() > state["deadline"]:
            raise StopShrinking()
        outcome.shrink_calls += 1
        failure = run_case(case, True)
        if failure is None or not same_failure(outcome.failure, failure):
            return
        size = _size(case)
        if size < state["best_size"]:
            state["best"], state["best_size"] = case, size
        raise Found()

    phases = [Phase.generate] + ([Phase.shrink] if shrink_seconds > 0 else [])
    test = settings(max_examples=max_examples, database=None, phases=phases, deadline=None,
                    suppress_health_check=list(HealthCheck), verbosity=Verbosity.quiet,
                    report_multiple_bugs=False, derandomize=False)(
        seed(batch_seed_value)(given(test_cases(config))(body)))
    started = time.monotonic()
    try:
        test()
    except (Found, StopShrinking):
        pass
    except Exception:
        # Hypothesis may report a failure it could not replay (Flaky), or
        # a failure raised while replaying; the case we kept stands.
        if outcome.failure is None:
            raise
    if outcome.failure is not None:
        outcome.shrunk = state["best"]
        outcome.shrink_seconds = time.monotonic() - started
    return outcome


def _size(case: TestCase) -> tuple[int, int]:
    return (len(case.statements), sum(len(s.sql) for s in case.statements))
