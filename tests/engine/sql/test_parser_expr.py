"""Expressions: trees, operator precedence (checked by evaluating against
sqlite3), parameters, literals."""

from __future__ import annotations

import random
import subprocess

import pytest

from engine.errors import SQLError
from engine.sql.ast import (
    Between, Binary, Case, Cast, Collate, Column, CurrentTime, Exists, Frame, FrameBound,
    FunctionCall, InList, InSelect, Like, Literal, OrderingTerm, Param, Raise, RowValue,
    Select, SelectCore, Star, Subquery, TableRef, Unary, WindowSpec,
)
from engine.sql.parser import parse, parse_expression

from sql_oracle import SCRATCH, SQLITE3, needs_sqlite3, sqlite3_error

a, b, c = Column("a"), Column("b"), Column("c")


def lit(v):
    return Literal(v)


def expr(text):
    return parse_expression(text)


# -- literals ------------------------------------------------------------------


@pytest.mark.parametrize("text, value", [
    ("1", 1), ("0x10", 16), ("0xFFFFFFFFFFFFFFFF", -1), ("0x8000000000000000", -(1 << 63)),
    ("9223372036854775807", (1 << 63) - 1), ("9223372036854775808", 9.223372036854775808e18),
    ("1.5", 1.5), (".5", 0.5), ("1.", 1.0), ("1e3", 1000.0), ("'it''s'", "it's"),
    ("x'00ff'", b"\x00\xff"), ("NULL", None), ("''", ""),
])
def test_literals(text, value):
    node = expr(text)
    assert node == Literal(value) and type(node.value) is type(value)


def test_smallest_integer_is_an_integer_only_when_negated():
    assert expr("-9223372036854775808") == Literal(-(1 << 63))
    assert expr("-(9223372036854775808)") == Literal(-(1 << 63))
    assert expr("- 9223372036854775809") == Unary("-", Literal(9.223372036854775809e18))
    assert expr("-1") == Unary("-", Literal(1))
    # Only that literal is folded, not a later one (a regression).
    assert expr("-9223372036854775808 / -1") == Binary("/", Literal(-(1 << 63)),
                                                      Unary("-", Literal(1)))


def test_current_time_keywords():
    assert expr("current_timestamp") == CurrentTime("CURRENT_TIMESTAMP")
    assert expr("Current_Date") == CurrentTime("CURRENT_DATE")


# -- names -----------------------------------------------------------------------


def test_column_references():
    assert expr("x") == Column("x")
    assert expr("t.x") == Column("x", "t")
    assert expr("main.t.x") == Column("x", "t", "main")
    assert expr('"x y"') == Column("x y", quoted=True)
    assert expr("[x y]") == Column("x y")
    assert expr('"t".x') == Column("x", "t")
    assert expr("'t'.x") == Column("x", "t")  # a string is a name before a dot
    # Keywords that fall back to identifiers.
    assert expr("key + replace + rowid") == Binary("+", Binary("+", Column("key"), Column("replace")),
                                                  Column("rowid"))
    assert expr("left") == Column("left")


def test_function_calls():
    assert expr("f()") == FunctionCall("f")
    assert expr("count(*)") == FunctionCall("count", star=True)
    assert expr("count(DISTINCT a)") == FunctionCall("count", (a,), distinct=True)
    assert expr("max(all a, b)") == FunctionCall("max", (a, b))
    assert expr("replace(a, 'x', 'y')") == FunctionCall("replace", (a, lit("x"), lit("y")))
    assert expr("like(a, b)") == FunctionCall("like", (a, b))
    assert expr("sum(a) FILTER (WHERE b > 1)") == FunctionCall(
        "sum", (a,), filter=Binary(">", b, lit(1)))


def test_window_functions():
    assert expr("row_number() OVER w") == FunctionCall("row_number", over="w")
    assert expr("sum(a) OVER ()") == FunctionCall("sum", (a,), over=WindowSpec())
    node = expr("sum(a) FILTER (WHERE a) OVER (base PARTITION BY b, c ORDER BY a DESC NULLS FIRST "
                "ROWS BETWEEN 2 PRECEDING AND UNBOUNDED FOLLOWING EXCLUDE CURRENT ROW)")
    assert node == FunctionCall("sum", (a,), filter=a, over=WindowSpec(
        "base", (b, c), (OrderingTerm(a, True, "FIRST"),),
        Frame("ROWS", FrameBound("PRECEDING", lit(2)), FrameBound("UNBOUNDED FOLLOWING"),
              "CURRENT ROW")))
    assert expr("count(*) OVER (RANGE UNBOUNDED PRECEDING)").over.frame == Frame(
        "RANGE", FrameBound("UNBOUNDED PRECEDING"), FrameBound("CURRENT ROW"))
    assert expr("count(*) OVER (GROUPS CURRENT ROW EXCLUDE NO OTHERS)").over.frame == Frame(
        "GROUPS", FrameBound("CURRENT ROW"), FrameBound("CURRENT ROW"), "NO OTHERS")
    assert expr("count(*) over (rows between current row and 1 following exclude ties)").over.frame \
        == Frame("ROWS", FrameBound("CURRENT ROW"), FrameBound("FOLLOWING", lit(1)), "TIES")
    assert expr("count(*) over (order by a groups 1 preceding exclude group)").over == WindowSpec(
        order_by=(OrderingTerm(a),), frame=Frame("GROUPS", FrameBound("PRECEDING", lit(1)),
                                                  FrameBound("CURRENT ROW"), "GROUP"))


def test_parameters_are_numbered_as_sqlite_numbers_them():
    node = parse("select ?5, ?, :a, :a, @a, ?2, $a, ?, $x::y(z)")[0]
    params = [col.expr for col in node.body.columns]
    assert params == [Param(5, "?5"), Param(6, "?"), Param(7, ":a"), Param(7, ":a"), Param(8, "@a"),
                      Param(2, "?2"), Param(9, "$a"), Param(10, "?"), Param(11, "$x::y(z)")]
    # Numbering restarts with each statement.
    first, second = parse("select ?; select ?")
    assert first.body.columns[0].expr == second.body.columns[0].expr == Param(1, "?")


@needs_sqlite3
def test_parameter_numbers_match_sqlite3():
    """The sqlite3 shell binds an unnamed "?" by its number, "?N"; a named
    parameter takes a number that later "?"s reveal."""
    sql = "select ?3, ?, :a, ?, :b, :a, ?, ?1, ?, @c, ?"
    sets = "".join(f".param set ?{i} {100 + i}\n" for i in range(1, 12))
    sets += ".param set :a 1\n.param set :b 2\n.param set @c 3\n"
    out = subprocess.run([SQLITE3, ":memory:"], input=sets + sql + ";\n", capture_output=True, cwd=SCRATCH,
                         text=True).stdout.strip().split("|")
    params = [col.expr for col in parse(sql)[0].body.columns]
    for param, shown in zip(params, out):
        if param.name.startswith("?"):
            assert int(shown) == 100 + param.number, param


# -- operators -----------------------------------------------------------------------


def test_operator_trees():
    assert expr("a + b * c") == Binary("+", a, Binary("*", b, c))
    assert expr("a - b - c") == Binary("-", Binary("-", a, b), c)
    assert expr("a == b <> c") == Binary("!=", Binary("=", a, b), c)
    assert expr("a || b -> c ->> 'd'") == Binary("->>", Binary("->", Binary("||", a, b), c), lit("d"))
    assert expr("a IS NOT DISTINCT FROM b") == Binary("IS", a, b)
    assert expr("a IS DISTINCT FROM b") == Binary("IS NOT", a, b)
    assert expr("a IS NOT b") == Binary("IS NOT", a, b)
    assert expr("a ISNULL") == Binary("IS", a, lit(None))
    assert expr("a NOTNULL") == Binary("IS NOT", a, lit(None))
    assert expr("a NOT NULL") == Binary("IS NOT", a, lit(None))
    assert expr("a IS NULL") == Binary("IS", a, lit(None))
    assert expr("NOT a = b") == Unary("NOT", Binary("=", a, b))
    assert expr("- a * b") == Binary("*", Unary("-", a), b)
    assert expr("~a + +b") == Binary("+", Unary("~", a), Unary("+", b))
    assert expr("a COLLATE nocase || b") == Binary("||", Collate(a, "nocase"), b)
    assert expr("- a COLLATE x") == Collate(Unary("-", a), "x")
    assert expr("a & b | c << 1 >> 2") == Binary(">>", Binary("<<", Binary("|", Binary("&", a, b), c),
                                                             lit(1)), lit(2))


def test_like_family():
    assert expr("a LIKE b") == Like("LIKE", a, b)
    assert expr("a NOT GLOB b") == Like("GLOB", a, b, negated=True)
    assert expr("a regexp b") == Like("REGEXP", a, b)
    assert expr("a NOT MATCH b") == Like("MATCH", a, b, negated=True)
    assert expr("a LIKE b ESCAPE c") == Like("LIKE", a, b, c)
    assert expr("a LIKE b || c ESCAPE '!' = 1") == Binary(
        "=", Like("LIKE", a, Binary("||", b, c), lit("!")), lit(1))


def test_between_and_in():
    assert expr("a BETWEEN b AND c") == Between(a, b, c)
    assert expr("a NOT BETWEEN b AND c AND 1") == Binary("AND", Between(a, b, c, True), lit(1))
    assert expr("a BETWEEN b = c AND 2") == Between(a, Binary("=", b, c), lit(2))
    assert expr("a IN (1, 2)") == InList(a, (lit(1), lit(2)))
    assert expr("a NOT IN ()") == InList(a, (), True)
    assert expr("a IN (SELECT b)") == InSelect(a, Select(SelectCore((
        _rc(b, "b"),))))
    assert expr("a NOT IN main.t") == InSelect(
        a, Select(SelectCore((Star(),), from_=TableRef("t", "main"))), True)
    assert expr("a IN json_each('[1]')") == InSelect(
        a, Select(SelectCore((Star(),), from_=TableRef("json_each", args=(lit("[1]"),)))))
    assert expr("(a, b) IN ((1, 2))") == InList(RowValue((a, b)), (RowValue((lit(1), lit(2))),))


def _rc(e, text, alias=None):
    from engine.sql.ast import ResultColumn
    return ResultColumn(e, alias, text)


def test_case_cast_exists_subquery_raise_rowvalue():
    assert expr("CASE a WHEN 1 THEN 'x' WHEN 2 THEN 'y' ELSE 'z' END") == Case(
        a, ((lit(1), lit("x")), (lit(2), lit("y"))), lit("z"))
    assert expr("CASE WHEN a THEN b END") == Case(None, ((a, b),))
    assert expr("CAST(a AS VARCHAR(10))") == Cast(a, "VARCHAR(10)")
    assert expr("CAST(a AS unsigned big int)") == Cast(a, "unsigned big int")
    assert expr("cast(a as)") == Cast(a, "")
    assert expr("NOT EXISTS (SELECT 1)") == Unary("NOT", Exists(Select(SelectCore((_rc(lit(1), "1"),)))))
    assert expr("(SELECT 1)") == Subquery(Select(SelectCore((_rc(lit(1), "1"),))))
    assert expr("RAISE(IGNORE)") == Raise("IGNORE")
    assert expr("raise(abort, 'no')") == Raise("ABORT", lit("no"))
    assert expr("(1, 2, 3)") == RowValue((lit(1), lit(2), lit(3)))
    assert expr("((a))") == a


# Operator precedence, checked by evaluating random constant expressions with
# a small evaluator over our tree and with sqlite3.

NULL = None


def _truth(v):
    return None if v is None else v != 0


def _bool(v):
    return None if v is None else int(v)


def _shift(x, n, left):
    if n < 0:
        n, left = -n, not left
    if n >= 64:
        return 0 if left or x >= 0 else -1
    r = x << n if left else x >> n
    r &= (1 << 64) - 1
    return r - (1 << 64) if r >= 1 << 63 else r


def _cmp(op, x, y):
    if x is None or y is None:
        return None
    return int({"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y, "=": x == y, "!=": x != y}[op])


def evaluate(node):
    t = type(node)
    if t is Literal:
        return node.value
    if t is Unary:
        v = evaluate(node.operand)
        if node.op == "NOT":
            return None if v is None else int(not v)
        if v is None:
            return None
        return {"-": -v, "+": v, "~": ~v}[node.op]
    if t is Binary:
        op = node.op
        if op in ("AND", "OR"):
            x, y = _truth(evaluate(node.left)), _truth(evaluate(node.right))
            if op == "AND":
                if x is False or y is False:
                    return 0
                return None if x is None or y is None else 1
            if x is True or y is True:
                return 1
            return None if x is None or y is None else 0
        x, y = evaluate(node.left), evaluate(node.right)
        if op == "IS":
            return int(x == y)
        if op == "IS NOT":
            return int(x != y)
        if x is None or y is None:
            return None
        if op in ("<", "<=", ">", ">=", "=", "!="):
            return _cmp(op, x, y)
        if op == "+":
            return x + y
        if op == "-":
            return x - y
        if op == "*":
            return x * y
        if op in ("/", "%"):
            if y == 0:
                return None
            q = abs(x) // abs(y) * (1 if (x >= 0) == (y >= 0) else -1)
            return q if op == "/" else x - q * y
        if op in ("<<", ">>"):
            return _shift(x, y, op == "<<")
        return {"&": x & y, "|": x | y}[op]
    if t is Between:
        x, lo, hi = evaluate(node.expr), evaluate(node.low), evaluate(node.high)
        ge, le = _cmp(">=", x, lo), _cmp("<=", x, hi)
        r = 0 if ge == 0 or le == 0 else (None if ge is None or le is None else 1)
        return (None if r is None else int(not r)) if node.negated else r
    if t is InList:
        x = evaluate(node.expr)
        items = [evaluate(i) for i in node.items]
        if x is None:
            r = None
        elif x in items:
            r = 1
        else:
            r = None if None in items else 0
        return (None if r is None else int(not r)) if node.negated else r
    if t is Case:
        for cond, result in node.whens:
            if _truth(evaluate(cond)):
                return evaluate(result)
        return evaluate(node.else_) if node.else_ is not None else None
    raise AssertionError(node)


BINARY_OPS = ["+", "-", "*", "/", "%", "<<", ">>", "&", "|", "<", "<=", ">", ">=", "=", "==",
              "!=", "<>", "IS", "IS NOT", "AND", "OR", "IS NOT DISTINCT FROM", "IS DISTINCT FROM"]


def _random_expr(rng, depth):
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(["0", "1", "2", "3", "NULL", "-1", "(2)"])
    kind = rng.random()
    sub = lambda: _random_expr(rng, depth - 1)  # noqa: E731
    if kind < 0.55:
        return f"{sub()} {rng.choice(BINARY_OPS)} {sub()}"
    if kind < 0.65:
        return f"{rng.choice(['NOT', '-', '+', '~'])} {sub()}"
    if kind < 0.72:
        return f"{sub()} {rng.choice(['', 'NOT '])}BETWEEN {sub()} AND {sub()}"
    if kind < 0.79:
        return f"{sub()} {rng.choice(['', 'NOT '])}IN ({sub()}, {sub()})"
    if kind < 0.85:
        return f"{sub()} {rng.choice(['ISNULL', 'NOTNULL', 'NOT NULL', 'IS NULL', 'IS NOT NULL'])}"
    if kind < 0.90:
        return f"CASE WHEN {sub()} THEN {sub()} ELSE {sub()} END"
    return f"({sub()})"


def _sqlite3_values(expressions):
    script = "".join(f"SELECT {e};\n" for e in expressions)
    out = subprocess.run([SQLITE3, ":memory:"], input=script, capture_output=True, cwd=SCRATCH, text=True)
    assert out.stderr == "", out.stderr
    return out.stdout.split("\n")[:len(expressions)]


TRICKY = [
    "1 = 1 IS 1", "NOT 0 = 1", "1 BETWEEN 0 AND 2 AND 0", "2 BETWEEN 1 AND 3 = 1", "1 < 2 = 1 < 2",
    "3 & 2 = 2", "1 + 2 * 3 << 1", "~1 + 2", "- 2 * 3", "NOT 1 IS NULL", "1 IS NOT NULL = 1",
    "5 % 3 * 2", "1 IN (1) = 1", "1 - - 1", "NULL IS NULL = 1", "1 OR 0 AND 0", "NOT 1 OR 1",
    "0 AND NULL OR 1", "1 = 2 NOT NULL", "NOT 0 NOT NULL", "1 AND 0 NOT IN (1)",
    "2 NOT BETWEEN 1 AND 3 = 0", "1 BETWEEN 0 = 0 AND 2", "0 IS NOT DISTINCT FROM NULL IS NULL",
    "CASE 1 WHEN 1 THEN 2 END + 1", "1 < 2 BETWEEN 0 AND 1", "1 | 2 < 4", "4 >> 1 + 1",
    "1 ISNULL IS 0", "- 1 ISNULL", "NOT NULL ISNULL",
]


@needs_sqlite3
def test_precedence_of_tricky_expressions_matches_sqlite3():
    values = _sqlite3_values(TRICKY)
    for text, shown in zip(TRICKY, values):
        result = evaluate(expr(text))
        assert ("" if result is None else str(result)) == shown, text


@needs_sqlite3
def test_precedence_of_random_expressions_matches_sqlite3():
    rng = random.Random(2024)
    texts = []
    while len(texts) < 400:
        text = _random_expr(rng, 4)
        value = evaluate(expr(text))
        if value is None or abs(value) < 1 << 62:
            texts.append(text)
    values = _sqlite3_values(texts)
    for text, shown in zip(texts, values):
        result = evaluate(expr(text))
        assert ("" if result is None else str(result)) == shown, text


def test_concatenation_binds_tighter_than_unary_minus_result():
    # "- 1 || 2" is (-1) || 2 = '-12' in sqlite3.
    assert expr("- 1 || 2") == Binary("||", Unary("-", lit(1)), lit(2))


@needs_sqlite3
@pytest.mark.parametrize("text", ["a +", "(a", "a = = b", "x'1'", "a not 1", "a in", "case"])
def test_parse_expression_errors_match_sqlite3(text):
    with pytest.raises(SQLError) as err:
        parse_expression(text)
    assert str(err.value) == sqlite3_error(f"select {text}")
