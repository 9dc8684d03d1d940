"""The syntax tree the parser produces: SQLite's grammar (lang.html) as data.

Every node is a frozen, slotted dataclass; lists are tuples, so trees are
hashable and can be shared and compared.  Names of tables, columns, indexes
and functions keep the spelling the user wrote (quotes removed); code that
compares names does so case-insensitively, as SQLite does.

The parser is the only producer; the planner and executor are the consumers.
Nodes carry no behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

# ---------------------------------------------------------------------------
# Expressions (lang_expr.html)
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Literal:
    """A constant: None (NULL), int, float, str or bytes (a blob literal x'..')."""

    value: object


@dataclass(frozen=True, slots=True)
class CurrentTime:
    """CURRENT_TIME, CURRENT_DATE or CURRENT_TIMESTAMP (``kind`` is one of those words)."""

    kind: str


@dataclass(frozen=True, slots=True)
class Column:
    """A column reference: ``name``, ``table.name`` or ``schema.table.name``.

    Also the parse of a bare identifier, which name resolution may turn into a
    string literal (SQLite's double-quoted-string fallback) or a rowid alias.
    ``quoted`` is True when the name was written in double quotes, the only case
    where the string fallback applies.
    """

    name: str
    table: str | None = None
    schema: str | None = None
    quoted: bool = False


@dataclass(frozen=True, slots=True)
class Param:
    """A bound parameter.  ``number`` is the 1-based slot SQLite assigns
    (``?`` takes the next number, ``?NNN`` its own, a named parameter the
    number of its first appearance); ``name`` is the text as written
    (``?``, ``?3``, ``:a``, ``@a``, ``$a``)."""

    number: int
    name: str


@dataclass(frozen=True, slots=True)
class Unary:
    """``op`` is one of ``-``, ``+``, ``~``, ``NOT``."""

    op: str
    operand: Expr


@dataclass(frozen=True, slots=True)
class Binary:
    """A binary operator.  ``op`` is normalized: ``==`` becomes ``=``, ``<>``
    becomes ``!=``, ``IS NOT DISTINCT FROM`` becomes ``IS`` and
    ``IS DISTINCT FROM`` becomes ``IS NOT``; ``x ISNULL``/``x NOTNULL``/
    ``x NOT NULL`` become ``IS``/``IS NOT`` against a NULL literal.

    Operators: ``||  ->  ->>  *  /  %  +  -  <<  >>  &  |  <  <=  >  >=  =  !=
    IS  IS NOT  AND  OR``.
    """

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True)
class Like:
    """``expr [NOT] LIKE|GLOB|REGEXP|MATCH pattern [ESCAPE escape]``."""

    op: str
    expr: Expr
    pattern: Expr
    escape: Expr | None = None
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Between:
    expr: Expr
    low: Expr
    high: Expr
    negated: bool = False


@dataclass(frozen=True, slots=True)
class InList:
    """``expr [NOT] IN (item, ...)``; an empty tuple is ``IN ()``."""

    expr: Expr
    items: tuple[Expr, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class InSelect:
    """``expr [NOT] IN (SELECT ...)``; ``expr [NOT] IN table`` parses as
    ``IN (SELECT * FROM table)``."""

    expr: Expr
    select: Select
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Exists:
    """``EXISTS (SELECT ...)``; ``NOT EXISTS`` is ``Unary('NOT', Exists(...))``."""

    select: Select


@dataclass(frozen=True, slots=True)
class Subquery:
    """A scalar subquery ``(SELECT ...)``."""

    select: Select


@dataclass(frozen=True, slots=True)
class Case:
    """``CASE [operand] WHEN w THEN t ... [ELSE e] END``."""

    operand: Expr | None
    whens: tuple[tuple[Expr, Expr], ...]
    else_: Expr | None = None


@dataclass(frozen=True, slots=True)
class Cast:
    """``CAST(expr AS type_name)``; ``type_name`` as written, words joined by
    single spaces, with any ``(n[, m])`` suffix kept (e.g. ``VARCHAR(10)``)."""

    expr: Expr
    type_name: str


@dataclass(frozen=True, slots=True)
class Collate:
    expr: Expr
    collation: str


@dataclass(frozen=True, slots=True)
class RowValue:
    """A parenthesized list of two or more expressions: ``(a, b)``."""

    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class FrameBound:
    """``kind`` is ``UNBOUNDED PRECEDING``, ``PRECEDING``, ``CURRENT ROW``,
    ``FOLLOWING`` or ``UNBOUNDED FOLLOWING``; ``offset`` is set for the two
    that take an expression."""

    kind: str
    offset: Expr | None = None


@dataclass(frozen=True, slots=True)
class Frame:
    """``units`` is ``ROWS``, ``RANGE`` or ``GROUPS``; ``exclude`` is None or one
    of ``NO OTHERS``, ``CURRENT ROW``, ``GROUP``, ``TIES``.  A frame written
    with a single bound has ``end`` = CURRENT ROW, as SQLite defines it."""

    units: str
    start: FrameBound
    end: FrameBound
    exclude: str | None = None


@dataclass(frozen=True, slots=True)
class WindowSpec:
    """A window definition; ``base`` names a window it extends."""

    base: str | None = None
    partition_by: tuple[Expr, ...] = ()
    order_by: tuple[OrderingTerm, ...] = ()
    frame: Frame | None = None


@dataclass(frozen=True, slots=True)
class FunctionCall:
    """``name(args)``; ``name`` as written.  ``star`` is ``count(*)``.
    ``over`` is a WindowSpec, the name of a window (str), or None.
    ``order_by`` holds an ORDER BY written inside the argument list."""

    name: str
    args: tuple[Expr, ...] = ()
    distinct: bool = False
    star: bool = False
    filter: Expr | None = None
    over: WindowSpec | str | None = None
    order_by: tuple[OrderingTerm, ...] = ()


@dataclass(frozen=True, slots=True)
class Raise:
    """``RAISE(IGNORE)`` or ``RAISE(ROLLBACK|ABORT|FAIL, message)`` in a trigger."""

    action: str
    message: Expr | None = None


Expr = Union[
    Literal, CurrentTime, Column, Param, Unary, Binary, Like, Between, InList,
    InSelect, Exists, Subquery, Case, Cast, Collate, RowValue, FunctionCall, Raise,
]

# ---------------------------------------------------------------------------
# SELECT (lang_select.html)
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrderingTerm:
    """``expr [COLLATE c] [ASC|DESC] [NULLS FIRST|LAST]``; the COLLATE stays in
    ``expr`` as a Collate node.  ``nulls`` is None, ``FIRST`` or ``LAST``."""

    expr: Expr
    desc: bool = False
    nulls: str | None = None


@dataclass(frozen=True, slots=True)
class Star:
    """``*`` or ``table.*`` in a result column list."""

    table: str | None = None


@dataclass(frozen=True, slots=True)
class ResultColumn:
    """An expression in a result column list.  ``text`` is the expression's
    source text exactly as written, which SQLite uses as the column name when
    there is no alias."""

    expr: Expr
    alias: str | None = None
    text: str = ""


@dataclass(frozen=True, slots=True)
class TableRef:
    """A table, view or CTE named in FROM (or a table-valued function when
    ``args`` is not None)."""

    name: str
    schema: str | None = None
    alias: str | None = None
    indexed_by: str | None = None
    not_indexed: bool = False
    args: tuple[Expr, ...] | None = None


@dataclass(frozen=True, slots=True)
class SubqueryRef:
    """``(SELECT ...) [AS alias]`` in FROM."""

    select: Select
    alias: str | None = None


@dataclass(frozen=True, slots=True)
class Join:
    """``left <kind> JOIN right [ON on | USING (using)]``.  ``kind`` is one of
    ``INNER``, ``LEFT``, ``RIGHT``, ``FULL``, ``CROSS`` or ``,`` (comma).
    ``LEFT OUTER`` is ``LEFT``; a bare ``JOIN`` is ``INNER``."""

    left: FromItem
    right: FromItem
    kind: str = "INNER"
    natural: bool = False
    on: Expr | None = None
    using: tuple[str, ...] | None = None


FromItem = Union[TableRef, SubqueryRef, Join]


@dataclass(frozen=True, slots=True)
class NamedWindow:
    name: str
    spec: WindowSpec


@dataclass(frozen=True, slots=True)
class SelectCore:
    """One ``SELECT ... FROM ... WHERE ... GROUP BY ... HAVING ... WINDOW ...``."""

    columns: tuple[Star | ResultColumn, ...]
    from_: FromItem | None = None
    where: Expr | None = None
    group_by: tuple[Expr, ...] = ()
    having: Expr | None = None
    windows: tuple[NamedWindow, ...] = ()
    distinct: bool = False


@dataclass(frozen=True, slots=True)
class Values:
    """``VALUES (...), (...)``; every row has the same length."""

    rows: tuple[tuple[Expr, ...], ...]


@dataclass(frozen=True, slots=True)
class Compound:
    """``left op right``; ``op`` is ``UNION``, ``UNION ALL``, ``INTERSECT`` or
    ``EXCEPT``.  Chains are left-associative: ``a UNION b EXCEPT c`` is
    ``Compound(Compound(a, b), c)``."""

    op: str
    left: SelectBody
    right: SelectBody


SelectBody = Union[SelectCore, Values, Compound]


@dataclass(frozen=True, slots=True)
class CommonTableExpr:
    name: str
    select: Select
    columns: tuple[str, ...] | None = None
    materialized: bool | None = None


@dataclass(frozen=True, slots=True)
class With:
    ctes: tuple[CommonTableExpr, ...]
    recursive: bool = False


@dataclass(frozen=True, slots=True)
class Select:
    """A whole SELECT statement (also used for subqueries and VALUES)."""

    body: SelectBody
    with_: With | None = None
    order_by: tuple[OrderingTerm, ...] = ()
    limit: Expr | None = None
    offset: Expr | None = None


# ---------------------------------------------------------------------------
# Data changes (lang_insert.html, lang_update.html, lang_delete.html,
# lang_upsert.html, lang_returning.html)
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndexedColumn:
    """A column (or expression) in an index, a PRIMARY KEY/UNIQUE constraint or
    an upsert target: ``expr [COLLATE c] [ASC|DESC]``."""

    expr: Expr
    collation: str | None = None
    desc: bool = False


@dataclass(frozen=True, slots=True)
class Assignment:
    """``col = expr`` or ``(c1, c2) = expr`` in UPDATE and DO UPDATE SET."""

    columns: tuple[str, ...]
    expr: Expr


@dataclass(frozen=True, slots=True)
class Upsert:
    """``ON CONFLICT [(target) [WHERE w]] DO NOTHING | DO UPDATE SET ... [WHERE]``."""

    action: str  # "NOTHING" or "UPDATE"
    target: tuple[IndexedColumn, ...] | None = None
    target_where: Expr | None = None
    assignments: tuple[Assignment, ...] = ()
    where: Expr | None = None


@dataclass(frozen=True, slots=True)
class Insert:
    """``[WITH] INSERT|REPLACE [OR conflict] INTO table [(columns)] source``.
    ``source`` is a Select (a Values body for ``VALUES``) or None for
    ``DEFAULT VALUES``.  ``REPLACE INTO`` has ``conflict`` = ``REPLACE``."""

    table: str
    source: Select | None
    schema: str | None = None
    alias: str | None = None
    columns: tuple[str, ...] | None = None
    conflict: str | None = None
    upserts: tuple[Upsert, ...] = ()
    returning: tuple[Star | ResultColumn, ...] = ()
    with_: With | None = None


@dataclass(frozen=True, slots=True)
class Update:
    table: TableRef
    assignments: tuple[Assignment, ...]
    from_: FromItem | None = None
    where: Expr | None = None
    conflict: str | None = None
    returning: tuple[Star | ResultColumn, ...] = ()
    order_by: tuple[OrderingTerm, ...] = ()
    limit: Expr | None = None
    offset: Expr | None = None
    with_: With | None = None


@dataclass(frozen=True, slots=True)
class Delete:
    table: TableRef
    where: Expr | None = None
    returning: tuple[Star | ResultColumn, ...] = ()
    order_by: tuple[OrderingTerm, ...] = ()
    limit: Expr | None = None
    offset: Expr | None = None
    with_: With | None = None


# ---------------------------------------------------------------------------
# Schema (lang_createtable.html, lang_createindex.html, lang_createview.html,
# lang_createtrigger.html, lang_droptable.html ..., lang_altertable.html)
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ForeignKeyClause:
    """``REFERENCES table [(columns)] [ON DELETE|UPDATE action]... [MATCH m]
    [[NOT] DEFERRABLE [INITIALLY DEFERRED|IMMEDIATE]]``.  ``actions`` pairs an
    event (``DELETE``/``UPDATE``) with ``SET NULL``, ``SET DEFAULT``,
    ``CASCADE``, ``RESTRICT`` or ``NO ACTION``."""

    table: str
    columns: tuple[str, ...] = ()
    actions: tuple[tuple[str, str], ...] = ()
    deferred: bool = False


@dataclass(frozen=True, slots=True)
class PrimaryKeyConstraint:
    """Column form: ``columns`` empty; table form: the listed columns."""

    name: str | None = None
    columns: tuple[IndexedColumn, ...] = ()
    desc: bool = False
    conflict: str | None = None
    autoincrement: bool = False


@dataclass(frozen=True, slots=True)
class NotNullConstraint:
    name: str | None = None
    conflict: str | None = None


@dataclass(frozen=True, slots=True)
class UniqueConstraint:
    name: str | None = None
    columns: tuple[IndexedColumn, ...] = ()
    conflict: str | None = None


@dataclass(frozen=True, slots=True)
class CheckConstraint:
    """``CHECK (expr)``; ``text`` is the expression's source text, which
    sqlite3 quotes in "CHECK constraint failed: ..."."""

    expr: Expr
    name: str | None = None
    text: str = ""


@dataclass(frozen=True, slots=True)
class DefaultConstraint:
    """``DEFAULT value``; ``text`` is the value's source text (sqlite3 shows it
    in ``PRAGMA table_info``)."""

    expr: Expr
    name: str | None = None
    text: str = ""


@dataclass(frozen=True, slots=True)
class CollateConstraint:
    collation: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class ForeignKeyConstraint:
    """Column form (``REFERENCES ...`` after a column): ``columns`` empty."""

    clause: ForeignKeyClause
    name: str | None = None
    columns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GeneratedConstraint:
    """``[GENERATED ALWAYS] AS (expr) [STORED|VIRTUAL]``."""

    expr: Expr
    stored: bool = False
    name: str | None = None


ColumnConstraint = Union[
    PrimaryKeyConstraint, NotNullConstraint, UniqueConstraint, CheckConstraint,
    DefaultConstraint, CollateConstraint, ForeignKeyConstraint, GeneratedConstraint,
]
TableConstraint = Union[
    PrimaryKeyConstraint, UniqueConstraint, CheckConstraint, ForeignKeyConstraint,
]


@dataclass(frozen=True, slots=True)
class ColumnDef:
    """A column: name, declared type as written (words joined by single
    spaces, ``(n[, m])`` kept; None when absent), constraints in order."""

    name: str
    type_name: str | None = None
    constraints: tuple[ColumnConstraint, ...] = ()


@dataclass(frozen=True, slots=True)
class CreateTable:
    """``sql`` is the text sqlite3 stores in sqlite_schema for this statement:
    ``CREATE TABLE `` followed by the source text from the table name to the
    end of the statement (so ``IF NOT EXISTS`` and ``TEMP`` are dropped)."""

    name: str
    columns: tuple[ColumnDef, ...] = ()
    constraints: tuple[TableConstraint, ...] = ()
    schema: str | None = None
    temporary: bool = False
    if_not_exists: bool = False
    without_rowid: bool = False
    strict: bool = False
    as_select: Select | None = None
    sql: str = ""


@dataclass(frozen=True, slots=True)
class CreateIndex:
    """``sql``: ``CREATE [UNIQUE] INDEX `` + source text from the index name on."""

    name: str
    table: str
    columns: tuple[IndexedColumn, ...]
    schema: str | None = None
    unique: bool = False
    if_not_exists: bool = False
    where: Expr | None = None
    sql: str = ""


@dataclass(frozen=True, slots=True)
class CreateView:
    """``sql``: ``CREATE VIEW `` + source text from the view name on."""

    name: str
    select: Select
    schema: str | None = None
    columns: tuple[str, ...] | None = None
    temporary: bool = False
    if_not_exists: bool = False
    sql: str = ""


@dataclass(frozen=True, slots=True)
class CreateTrigger:
    """``timing``: ``BEFORE``, ``AFTER`` or ``INSTEAD OF`` (``BEFORE`` when
    omitted, as SQLite); ``event``: ``DELETE``, ``INSERT`` or ``UPDATE``;
    ``update_columns`` for ``UPDATE OF c1, c2``; ``body`` holds Insert, Update,
    Delete and Select statements.  ``sql``: ``CREATE TRIGGER `` + source text
    from the trigger name on."""

    name: str
    table: str
    timing: str
    event: str
    body: tuple[Statement, ...]
    update_columns: tuple[str, ...] = ()
    schema: str | None = None
    temporary: bool = False
    if_not_exists: bool = False
    for_each_row: bool = False
    when: Expr | None = None
    sql: str = ""


@dataclass(frozen=True, slots=True)
class Drop:
    """``DROP TABLE|INDEX|VIEW|TRIGGER [IF EXISTS] [schema.]name``."""

    kind: str
    name: str
    schema: str | None = None
    if_exists: bool = False


@dataclass(frozen=True, slots=True)
class RenameTable:
    new_name: str


@dataclass(frozen=True, slots=True)
class RenameColumn:
    old_name: str
    new_name: str
    new_quoted: bool = False     # the new name was written quoted (sqlite3 then quotes it everywhere)


@dataclass(frozen=True, slots=True)
class AddColumn:
    """``text`` is the column definition's source text, which SQLite appends to
    the stored CREATE TABLE statement."""

    column: ColumnDef
    text: str = ""


@dataclass(frozen=True, slots=True)
class DropColumn:
    name: str


@dataclass(frozen=True, slots=True)
class AlterTable:
    table: str
    action: RenameTable | RenameColumn | AddColumn | DropColumn
    schema: str | None = None


# ---------------------------------------------------------------------------
# Transactions and everything else
# ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Begin:
    """``mode`` is ``DEFERRED`` (the default), ``IMMEDIATE`` or ``EXCLUSIVE``."""

    mode: str = "DEFERRED"


@dataclass(frozen=True, slots=True)
class Commit:
    """``COMMIT`` or ``END`` [TRANSACTION]."""


@dataclass(frozen=True, slots=True)
class Rollback:
    """``ROLLBACK [TRANSACTION] [TO [SAVEPOINT] name]``."""

    savepoint: str | None = None


@dataclass(frozen=True, slots=True)
class Savepoint:
    name: str


@dataclass(frozen=True, slots=True)
class Release:
    name: str


@dataclass(frozen=True, slots=True)
class Pragma:
    """``PRAGMA [schema.]name [= value | (value)]``.  ``value`` is a Literal,
    a negated numeric Literal, or a Column for a bare word such as ``WAL``
    or ``ON``."""

    name: str
    schema: str | None = None
    value: Expr | None = None


@dataclass(frozen=True, slots=True)
class Vacuum:
    schema: str | None = None
    into: Expr | None = None


@dataclass(frozen=True, slots=True)
class Reindex:
    name: str | None = None
    schema: str | None = None


@dataclass(frozen=True, slots=True)
class Analyze:
    name: str | None = None
    schema: str | None = None


@dataclass(frozen=True, slots=True)
class Attach:
    path: Expr
    schema: Expr


@dataclass(frozen=True, slots=True)
class Detach:
    schema: str


@dataclass(frozen=True, slots=True)
class Explain:
    statement: Statement
    query_plan: bool = False


Statement = Union[
    Select, Insert, Update, Delete, CreateTable, CreateIndex, CreateView,
    CreateTrigger, Drop, AlterTable, Begin, Commit, Rollback, Savepoint,
    Release, Pragma, Vacuum, Reindex, Analyze, Attach, Detach, Explain,
]


def subtree(node, descend=None):
    """Every AST node under ``node`` (itself included), in every clause and
    every nested SELECT, depth first.  ``descend(n)`` returning False skips
    the nodes under ``n``."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        if not hasattr(n, "__dataclass_fields__") or (descend is not None and not descend(n)):
            continue
        for f in n.__dataclass_fields__:
            v = getattr(n, f)
            for x in (v if isinstance(v, tuple) else (v,)):
                if hasattr(x, "__dataclass_fields__"):
                    stack.append(x)
                elif isinstance(x, tuple):
                    stack.extend(y for y in x if hasattr(y, "__dataclass_fields__"))
