"""The state one test case is drawn with: which constructs are on, the schema
model built so far, fresh alias names, the CTEs in scope and how deep
subqueries may still nest.  Also the scopes that expressions draw column
references from.

Drawing goes through plain functions that take an :class:`Entropy` (the
decisions of one ``@st.composite`` test case) and a :class:`Gen`, rather
than a composite strategy per expression node: measured on this machine, a
strategy object per node made generation 3.6 times slower than plain
functions, and one Hypothesis draw per decision was slower still than
running the statements (see :class:`Entropy`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

from .model import Schema


@dataclass(frozen=True)
class GeneratorConfig:
    without: frozenset = frozenset()
    max_tables: int = 3
    max_body: int = 20         # statements after the setup
    min_body: int = 4

    def on(self, name: str) -> bool:
        return name not in self.without


@dataclass
class Scope:
    """What an expression may refer to.

    ``refs``: column references (qualified) usable as leaves.  In the
    output of an aggregate query these are the GROUP BY columns only, so no
    bare column (whose row is arbitrary) is ever read; ``agg_refs`` then
    holds every column, for aggregate arguments.  ``identity`` lists
    references whose order is total over the rows (rowids, primary keys),
    None when some source has none.  ``outer`` is the enclosing query's
    scope, for correlated subqueries.
    """

    refs: tuple[str, ...] = ()
    agg_refs: tuple[str, ...] | None = None     # set: aggregates allowed
    window: bool = False                         # window functions allowed
    identity: tuple[str, ...] | None = None
    outer: "Scope | None" = None
    group_terms: tuple[str, ...] = ()            # GROUP BY expressions usable verbatim

    def visible(self) -> tuple[str, ...]:
        """Own references, then the outer scopes' (correlation)."""
        if self.outer is None:
            return self.refs
        return self.refs + self.outer.visible()

    def plain(self) -> "Scope":
        """The same columns for a context without aggregates or windows
        (a WHERE clause, an aggregate's argument)."""
        refs = self.agg_refs if self.agg_refs is not None else self.refs
        return Scope(refs=refs, identity=self.identity, outer=self.outer)


EMPTY = Scope()


@dataclass
class Gen:
    config: GeneratorConfig
    schema: Schema = field(default_factory=Schema)
    aliases: int = 0
    subquery_budget: int = 2         # nesting levels still allowed
    ctes: list = field(default_factory=list)     # (name, columns) in scope
    in_trigger: bool = False
    # Inside schema text (CHECK, generated columns, index expressions,
    # DEFAULT): no subqueries, no functions whose value changes.
    in_schema: bool = False
    # While drawing a probe for TLP/NoREC: no RIGHT or FULL JOIN, whose
    # rewrites meet bugs of sqlite3 3.40 itself (a calibration campaign
    # against sqlite3 found them); the differential oracle still has them.
    no_right_joins: bool = False

    def on(self, name: str) -> bool:
        return name not in self.config.without

    def alias(self) -> str:
        self.aliases += 1
        return f"a{self.aliases}"


class Entropy:
    """The source of every decision in a test case: bytes drawn from
    Hypothesis in chunks (``st.binary``), one byte (two for ranges over 256)
    per decision, a zero byte meaning the first, simplest option.

    Measured on the development machine, a Hypothesis draw costs about
    24 us whatever it draws; a test case makes 500-800 decisions, so one
    draw per decision spent more time generating than both targets spent
    running the statements.  A whole case is one draw of 2 KiB (another one
    in the rare case that runs out).  One draw per case matters for
    diversity too: with a draw per statement, Hypothesis's generation phase
    copies draws between cases (its mutator), and two thirds of the
    statements of a campaign were repeats.  Shrinking still works:
    Hypothesis shrinks the bytes toward zero, which turns choices into their
    first options.
    """

    __slots__ = ("draw", "buf", "pos")

    def __init__(self, draw):
        self.draw = draw
        self.buf = b""
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.buf):
            self.buf = self.draw(_CHUNK)
            self.pos = 0
        b = self.buf[self.pos]
        self.pos += 1
        return b

    def below(self, n: int) -> int:
        """0 .. n-1."""
        if n <= 1:
            return 0
        if n <= 256:
            return self.byte() % n
        return ((self.byte() << 8) | self.byte()) % n

    def boundary(self) -> None:
        """Where a statement ends (kept for callers; decisions run on)."""


_CHUNK = st.binary(min_size=2048, max_size=2048)


def pick(draw: Entropy, options):
    """One of ``options`` (a sequence), shrinking toward the first."""
    return options[draw.below(len(options))]


def integer(draw: Entropy, lo: int, hi: int) -> int:
    return lo + draw.below(hi - lo + 1)


def coin(draw: Entropy) -> bool:
    return draw.byte() & 1 == 1


def chance(draw: Entropy, percent: int) -> bool:
    """True about ``percent`` percent of the time; shrinks to False."""
    return draw.below(100) >= 100 - percent
