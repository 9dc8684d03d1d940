"""SELECT statements: the trees the parser builds."""

from __future__ import annotations

import pytest

from engine.errors import SQLError
from engine.sql.ast import (
    Binary, Collate, Column, CommonTableExpr, Compound, FunctionCall, Join, Literal, NamedWindow,
    OrderingTerm, ResultColumn, Select, SelectCore, Star, SubqueryRef, TableRef, Values,
    WindowSpec, With,
)
from engine.sql.parser import parse

from sql_oracle import needs_sqlite3, sqlite3_error

a, b, c = Column("a"), Column("b"), Column("c")


def one(sql):
    stmts = parse(sql)
    assert len(stmts) == 1
    return stmts[0]


def rc(expr, text, alias=None):
    return ResultColumn(expr, alias, text)


def test_simple_select_with_every_clause():
    stmt = one("SELECT DISTINCT a, b AS x, c y FROM t WHERE a > 1 GROUP BY a, b HAVING count(*) > 2 "
               "WINDOW w AS (PARTITION BY a) ORDER BY a COLLATE nocase DESC NULLS LAST, b LIMIT 10 OFFSET 5")
    assert stmt == Select(
        SelectCore(
            (rc(a, "a"), rc(b, "b", "x"), rc(c, "c", "y")),
            TableRef("t"),
            Binary(">", a, Literal(1)),
            (a, b),
            Binary(">", FunctionCall("count", star=True), Literal(2)),
            (NamedWindow("w", WindowSpec(partition_by=(a,))),),
            distinct=True),
        order_by=(OrderingTerm(Collate(a, "nocase"), True, "LAST"), OrderingTerm(b)),
        limit=Literal(10), offset=Literal(5))


def test_limit_with_comma_swaps_offset_and_count():
    stmt = one("select 1 limit 5, 10")
    assert (stmt.limit, stmt.offset) == (Literal(10), Literal(5))
    stmt = one("select 1 limit 3")
    assert (stmt.limit, stmt.offset) == (Literal(3), None)


def test_select_all_star_and_table_star():
    stmt = one("SELECT ALL *, t.*, 'x'.* FROM t")
    assert stmt.body.columns == (Star(), Star("t"), Star("x"))
    assert stmt.body.distinct is False


def test_aliases_may_be_strings_and_keywords_that_fall_back():
    cols = one("select 1 'a', 2 \"b\", 3 [c], 4 key, 5 as end, 6 as left, 7 replace").body.columns
    assert [col.alias for col in cols] == ["a", "b", "c", "key", "end", "left", "replace"]


def test_values_and_compounds():
    assert one("VALUES (1, 2), (3, 4)") == Select(Values(((Literal(1), Literal(2)),
                                                          (Literal(3), Literal(4)))))
    stmt = one("SELECT 1 UNION SELECT 2 UNION ALL SELECT 3 EXCEPT VALUES(4) INTERSECT SELECT 5 "
               "ORDER BY 1 LIMIT 2")
    s = lambda v: SelectCore((rc(Literal(v), str(v)),))  # noqa: E731
    assert stmt == Select(
        Compound("INTERSECT",
                 Compound("EXCEPT",
                          Compound("UNION ALL", Compound("UNION", s(1), s(2)), s(3)),
                          Values(((Literal(4),),))),
                 s(5)),
        order_by=(OrderingTerm(Literal(1)),), limit=Literal(2))


def test_with_clauses():
    stmt = one("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<5), "
               "d AS MATERIALIZED (SELECT 2), e AS NOT MATERIALIZED (SELECT 3) SELECT x FROM c")
    assert stmt.with_.recursive is True
    names = [(cte.name, cte.columns, cte.materialized) for cte in stmt.with_.ctes]
    assert names == [("c", ("x",), None), ("d", None, True), ("e", None, False)]
    assert isinstance(stmt.with_.ctes[0].select.body, Compound)
    assert stmt.body == SelectCore((rc(Column("x"), "x"),), TableRef("c"))
    assert one("with a as (select 1) select 2").with_ == With(
        (CommonTableExpr("a", one("select 1")),))


def test_joins():
    stmt = one("SELECT * FROM a AS x JOIN b ON x.i = b.i LEFT OUTER JOIN c USING (i, j) "
               "NATURAL RIGHT JOIN d, e CROSS JOIN f FULL JOIN g INNER JOIN h NATURAL JOIN i")
    j = stmt.body.from_
    seen = []
    while isinstance(j, Join):
        seen.append((j.kind, j.natural, j.right.name, j.on is not None, j.using))
        j = j.left
    assert j == TableRef("a", alias="x")
    assert seen[::-1] == [
        ("INNER", False, "b", True, None), ("LEFT", False, "c", False, ("i", "j")),
        ("RIGHT", True, "d", False, None), (",", False, "e", False, None),
        ("CROSS", False, "f", False, None), ("FULL", False, "g", False, None),
        ("INNER", False, "h", False, None), ("INNER", True, "i", False, None)]


def test_join_keyword_combinations_follow_sqlite3():
    kinds = {
        "left join": ("LEFT", False), "left outer join": ("LEFT", False),
        "natural left outer join": ("LEFT", True), "right outer join": ("RIGHT", False),
        "full outer join": ("FULL", False), "natural natural join": ("INNER", True),
        "left outer full join": ("FULL", False), "natural cross join": ("CROSS", True),
    }
    for words, expected in kinds.items():
        j = one(f"select * from a {words} b").body.from_
        assert (j.kind, j.natural) == expected, words


def test_from_terms():
    stmt = one("SELECT * FROM main.t AS x INDEXED BY i, u NOT INDEXED, json_each('[1]') j, "
               "(SELECT 1) AS s, (t2), (t3 AS y) z")
    items = []
    j = stmt.body.from_
    while isinstance(j, Join):
        items.append(j.right)
        j = j.left
    items.append(j)
    items.reverse()
    assert items[0] == TableRef("t", "main", "x", "i")
    assert items[1] == TableRef("u", not_indexed=True)
    assert items[2] == TableRef("json_each", alias="j", args=(Literal("[1]"),))
    assert items[3] == SubqueryRef(one("SELECT 1"), "s")
    assert items[4] == TableRef("t2")
    assert items[5] == TableRef("t3", alias="z")  # sqlite3 drops the inner alias


def test_parenthesized_join_is_a_nested_from():
    stmt = one("select * from ((select 1) a join (select 2) b) as c")
    item = stmt.body.from_
    assert isinstance(item, SubqueryRef) and item.alias == "c"
    assert isinstance(item.select.body.from_, Join)
    first = one("select * from (t as x)").body.from_
    assert first == TableRef("t", alias="x")


def test_table_aliases_may_be_keywords_that_fall_back():
    assert one("select * from t like").body.from_ == TableRef("t", alias="like")
    assert one("select * from t 'q'").body.from_ == TableRef("t", alias="q")


@needs_sqlite3
@pytest.mark.parametrize("sql, message", [
    ("select 1 order by 1 union select 2", "ORDER BY clause should come after UNION not before"),
    ("select 1 limit 1 union all select 2", "LIMIT clause should come after UNION ALL not before"),
    ("select * from a left foo join b", "unknown join type: left foo"),
    ("select * from a outer join b", "unknown join type: outer"),
    ("select * from a on 1", "a JOIN clause is required before ON"),
    ("select * from a using (x)", "a JOIN clause is required before USING"),
    ("with a as (select 1), A as (select 2) select 1", "duplicate WITH table name: A"),
    ("values (1), (2, 3)", "all VALUES must have the same number of terms"),
])
def test_grammar_action_errors(sql, message):
    """``message`` documents the case; the expectation is sqlite3's output."""
    with pytest.raises(SQLError) as err:
        parse(sql)
    assert str(err.value) == sqlite3_error(sql)
    assert message == sqlite3_error(sql)


@needs_sqlite3
def test_many_compound_terms():
    parse(" union ".join(["select 1"] * 500))
    assert sqlite3_error(" union ".join(["select 1"] * 500)) is None
    sql = " union ".join(["select 1"] * 501)
    with pytest.raises(SQLError) as err:
        parse(sql)
    assert str(err.value) == sqlite3_error(sql)
    parse("values " + ", ".join(["(1)"] * 2000))
