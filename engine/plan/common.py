"""Pieces shared by the planner's modules: the QueryPlan the layers above
run, the scope of rows after grouping, and small helpers over syntax trees."""

from __future__ import annotations

from dataclasses import dataclass

from ..exec.expr import walk
from ..names import fold
from ..sql import ast
from .scope import ColumnInfo, Scope, Source


class QueryPlan:
    """A planned query: output columns and an operator to run."""

    def __init__(self, columns: list[ColumnInfo], operator, correlated: bool):
        self.columns = columns
        self.operator = operator
        self.correlated = correlated

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def rows(self):
        return self.operator.rows()


class AggScope(Scope):
    """The scope of expressions evaluated after grouping: the row is the
    aggregate results followed by the group's representative input row."""

    def __init__(self, base: Scope, n_aggs: int):
        super().__init__(parent=base.parent)
        self.base = base
        self.n_aggs = n_aggs
        self.sources = base.sources
        self.width = n_aggs + base.width
        self.depth = base.depth

    def lookup_local(self, name, table):
        r = self.base.lookup_local(name, table)
        if r is None:
            return None
        r.scope = self
        r.slot += self.n_aggs
        return r


@dataclass
class _Level:
    source: Source
    access: object            # has rows_for(prefix)
    kind: str
    on: ast.Expr | None
    base_table: object = None
    reader: object = None     # () -> iterator of rows (base tables and sub-plans)


def split_conjuncts(e) -> list:
    """The terms of an AND chain.  A literal 0 among them makes the whole
    chain the constant 0, as SQLite folds it while parsing (sqlite3ExprAnd),
    so the other terms are never compiled."""
    out = []
    stack = [e]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Binary) and n.op == "AND":
            stack.append(n.right)
            stack.append(n.left)
        else:
            if isinstance(n, ast.Literal) and type(n.value) is int and n.value == 0:
                return [n]
            out.append(n)
    return out


def _has_subquery(e) -> bool:
    return any(isinstance(n, (ast.Subquery, ast.Exists, ast.InSelect)) for n in walk(e))


def term_position(e) -> int | None:
    """The column number an ORDER BY or GROUP BY term names, or None when
    the term is an expression.  As sqlite3 decides it: COLLATE is looked
    through (likely() is not), unary + and - are applied, and only integers
    that fit in 32 bits count (ORDER BY 4294967296 sorts by that constant)."""
    while isinstance(e, ast.Collate):
        e = e.expr
    return _int32(e)


def _int32(e) -> int | None:
    if isinstance(e, ast.Literal):
        v = e.value
        if type(v) is int and -2**31 <= v < 2**31:
            return v
        return None
    if isinstance(e, ast.Unary) and e.op in ("+", "-"):
        v = _int32(e.operand)
        if v is None:
            return None
        return v if e.op == "+" else -v
    return None


def _ordinal(n: int) -> str:
    if 10 <= n % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _SCALAR_NAMES():
    from ..exec.functions import SCALARS
    return SCALARS


_VOLATILE = frozenset(("random", "randomblob", "changes", "total_changes", "last_insert_rowid"))


def _count_star():
    from ..exec.aggregates import CountStar
    return CountStar()


def _nulls(term: ast.OrderingTerm):
    if term.nulls is None:
        return None
    return term.nulls == "FIRST"


def _dedupe(columns: list[ColumnInfo]) -> list[ColumnInfo]:
    """A sub-query's columns as its parent sees them: repeated names get
    SQLite's ":N" suffix."""
    seen: dict[str, int] = {}
    out = []
    for c in columns:
        name = c.name
        lname = name.lower()
        if lname in seen:
            seen[lname] += 1
            k = seen[lname]
            name = f"{c.name}:{k}"
            while name.lower() in seen:
                k += 1
                name = f"{c.name}:{k}"
            seen[lname] = k
        else:
            seen[lname] = 0
        out.append(ColumnInfo(name, c.affinity, c.collation))
    return out


def _references(sel, name: str) -> bool:
    """Whether ``sel`` names table ``name`` (unqualified) anywhere."""
    lname = name.lower()
    return any(isinstance(n, ast.TableRef) and n.name.lower() == lname and n.schema is None
               for n in ast.subtree(sel))


class _ReaderPlan:
    def __init__(self, reader):
        self.reader = reader

    def rows(self):
        return self.reader()


def _same_columns(e, from_names: set):
    """``e`` with each column reference written as its folded bare name when
    its qualifier (if any) is one of ``from_names``: two expressions of one
    SELECT that read the same columns compare equal."""
    if isinstance(e, ast.Column):
        if e.table is None or fold(e.table) in from_names:
            return ast.Column(fold(e.name))
        return e
    if isinstance(e, tuple):
        return tuple(_same_columns(x, from_names) for x in e)
    if isinstance(e, (ast.Select, ast.SelectCore)) or not hasattr(e, "__dataclass_fields__"):
        return e
    return type(e)(**{f: _same_columns(getattr(e, f), from_names) for f in e.__dataclass_fields__})
