"""Syntax errors and parser limits, each message compared with sqlite3's."""

from __future__ import annotations

import random
import time

import pytest

from engine.errors import SQLError
from engine.sql.parser import parse, parse_statements
from engine.sql.tokenizer import KEYWORDS, tokenize

from engine.sql.tokenizer import complete_statement

from sql_oracle import is_parse_error, needs_sqlite3, sqlite3_error, sqlite3_errors

pytestmark = needs_sqlite3


def my_error(sql: str) -> str | None:
    """The message our parser raises for the first statement that fails."""
    try:
        for _ in parse_statements(sql):
            pass
    except SQLError as exc:
        return str(exc)
    return None


SETUP = "create table t(a, b); create table u(a, b); create view v as select 1 a"


def sqlite3_parse_error(sql: str) -> str | None:
    message = sqlite3_error(sql, SETUP)
    return message if is_parse_error(message) else None


def sqlite3_parse_errors(statements: list[str]) -> list[str | None]:
    """sqlite3's parse errors for many statements, each run as ``EXPLAIN
    <statement>;`` so that nothing is executed, in one process for all the
    ones the semicolon completes.  Compare with ``my_error(sql + ";")``."""
    batch = [sql for sql in statements if complete_statement(sql + ";")]
    found = dict(zip(batch, sqlite3_errors([f"EXPLAIN {sql}" for sql in batch], SETUP)))
    messages = [found[sql] if sql in found else sqlite3_error(f"EXPLAIN {sql};", SETUP)
                for sql in statements]
    return [m if is_parse_error(m) else None for m in messages]


SYNTAX_ERRORS = [
    "select", "select 1 from", "select 1 from;", "select * from t where", "select (1", "select 1)",
    "select 1 +", "select 1 1", "selec 1", "select 1 2 3", "select a.b.c.d", "select * from t t2 t3",
    "select * from t join", "select * from t left", "select * from t natural", "select 1 order 1",
    "select 1 limit", "select 1 limit 1 offset", "select 1 group by", "select count(*) filter",
    "select count(*) over", "select count(*) over (rows)", "select count(*) over (partition)",
    "select sum(1) over (rows unbounded following)", "select case", "select case end",
    "select case when 1 end", "select cast(1)", "select cast(1 as int(5,))", "select exists 1",
    "select 1 between 2", "select 1 between 0 or 1 and 2", "select 1 in", "select 1 not 2",
    "select 1 is distinct 2", "select 1 escape 2", "select 1 like 2 escape", "select x'1'",
    "select 'abc", 'select "abc', "select [abc", "select @", "select #1", "select 1e", "select 1 !",
    "select current_time(1)", "select left(1)", "select cast.* from t", "select t.* as x from t",
    "select 1 as", "select * from (select 1", "select * from ((t)", "values", "values (1",
    "values (1),", "values (1) order by 1", "select 1 union values(2) order by 1",
    "select 1 having 1 group by 1", "with recursive as (select 1) select 1",
    "with recursive(x) as (select 1) select 1", "with a as select 1 select 1", "with a as (select 1)",
    "select group_concat(1 order by 1)", "select raise(abort, 'x' || 'y')",
    "insert into t", "insert into t values", "insert t values(1)", "insert into t(a values(1)",
    "insert into t select * from u on conflict do nothing",
    "insert into t values(1) on conflict do nothing on conflict do nothing",
    "insert into t values(1) on conflict (a) do", "insert or into t values(1)",
    "replace t values(1)", "update t", "update t set", "update t set a", "update t set a =",
    "update t set (a, b) = ", "delete t", "delete from", "delete from t where",
    "create", "create table", "create table x", "create table x(", "create table x()",
    "create table x(a,)", "create table x(a b c d(1) e)", "create table x(a int(1,2,3))",
    "create table x(a primary)", "create table x(a int unique asc)", "create table x(a default)",
    "create table x(a default ?)", "create table x(a default -x)", "create table x(a check a)",
    "create table x(a references)", "create table x(a, primary key)", "create table x(a, foreign key(a))",
    "create table x(a) without", "create table x as", "create table x(a int),, strict",
    "create table x(a int),", "create temp index i on t(a)",
    "create unique table t(a)", "create index i on t", "create index i on t()",
    "create view v", "create view v as", "create trigger tr", "create trigger tr on t",
    "create trigger tr after insert on t", "create trigger tr after insert on t begin end",
    "create trigger tr after insert on t begin select 1 end",
    "create trigger tr after insert on t begin select 1;", "drop", "drop table", "drop table if t",
    "drop column t", "alter table t", "alter table t add", "alter table t rename",
    "alter table t rename column to x", "alter table t drop", "begin foo", "commit work",
    "rollback to", "savepoint", "release", "release savepoint", "pragma", "pragma x =",
    "pragma x = -y", "pragma x(", "vacuum into", "attach", "attach 'x'", "attach database as x",
    "detach", "explain", "explain query", "explain query plan", "create virtual table",
    "create virtual table v using", "select 1; select 2 from; select 3", "select * from t indexed",
    "select * from t not", "select * from json_each('[1]') as j indexed by x", "select ?1 ?2",
    "select 1 from t as x join u on 1 using (a)", "select 1 filter (where 1)",
]


@pytest.mark.parametrize("sql", SYNTAX_ERRORS)
def test_syntax_error_messages_match_sqlite3(sql):
    assert my_error(sql) == sqlite3_parse_error(sql)


# Keywords used as names: sqlite3's fallback rule decides where each of the
# 147 keywords can stand for an identifier.
NAME_POSITIONS = [
    "select K from t", "select 1 K", "select 1 as K", "select * from K", "select * from t K",
    "select * from t as K", "create table K(a)", "create table x(K)", "create table x(a K)",
    "select K(1)", "select t.K from t", "select K.a from t", "select * from t where K = 1",
    "select * from t order by K", "insert into t(K) values(1)", "update t set K = 1", "pragma K",
    "create index K on t(a)", "with K as (select 1) select 1", "create view K as select 1",
    "select * from t where a in K", "select cast(1 as K)", "select 1 collate K", "select K + 1",
    "select -K", "select * from t join u using (K)", "select K.* from t", "savepoint K",
    "create table x(a default K)", "alter table t add K", "select count(*) over K from t",
    "select 1 from t window K as ()", "create table x(a) K", "select * from t natural K join u",
    "select count(*) over (K) from t", "create trigger K after insert on t begin select 1; end",
    "create table x(a references K)", "select raise(abort, K)",
]


@pytest.mark.parametrize("template", NAME_POSITIONS)
def test_keywords_as_names_match_sqlite3(template):
    statements = [template.replace("K", keyword.lower()) for keyword in sorted(KEYWORDS)]
    mismatches = []
    for sql, expected in zip(statements, sqlite3_parse_errors(statements)):
        mine = my_error(sql + ";")
        if not is_parse_error(mine):
            mine = None  # a message the executor would give, not ours
        if expected != mine:
            mismatches.append((sql, expected, mine))
    assert mismatches == []


def _mutations(rng, seeds, count):
    keywords = sorted(KEYWORDS)
    extra = ["(", ")", ",", ".", "*", "=", "1", "'s'", "a", "-", "+", "?", "not", "as", "on"]
    for _ in range(count):
        toks = [t.text for t in tokenize(rng.choice(seeds))[:-1]]
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(toks) + 1)
            r = rng.random()
            if r < 0.3 and toks:
                del toks[min(i, len(toks) - 1)]
            elif r < 0.6:
                toks.insert(i, rng.choice(extra))
            else:
                toks.insert(i, rng.choice(keywords).lower())
        yield " ".join(toks)


MUTATION_SEEDS = [
    "select a, b as c, t.* from t as x join u using (a) where a between 1 and 2 group by a "
    "having count(*) > 1 order by 1 desc nulls last limit 1 offset 2",
    "select count(distinct a) filter (where a > 0) over (partition by b order by a rows between "
    "unbounded preceding and current row) from t",
    "with recursive c(x) as (select 1 union all select x+1 from c where x < 5) select x from c",
    "select case when a then b else 1 end, cast(a as text), a not like b escape 'x', a in (1, 2) from t",
    "insert or replace into t (a, b) values (1, 2) on conflict (a) do update set b = excluded.b "
    "where b > 0 returning *",
    "update t set a = 1, (b, a) = (2, 3) from u where t.a = u.a",
    "create table x(a integer primary key, b text not null default 'x' check (b <> ''), "
    "c references u(a) on delete cascade, unique (b, c))",
    "create trigger tr after update of a on t for each row when new.a > 0 begin "
    "update u set a = new.a; insert into u values (1, 2); end",
    "create index i on t (a collate nocase desc, b) where a > 0",
]


def test_mutated_statements_match_sqlite3():
    """Valid statements with tokens deleted, inserted or replaced.  A
    statement that sqlite3 rejects for a reason found while parsing but not
    ours (e.g. "no such table" inside CREATE TRIGGER) is left out."""
    statements = [sql for sql in _mutations(random.Random(99), MUTATION_SEEDS, 600)
                  if not sql.startswith("explain")]
    expected_all = sqlite3_parse_errors(statements)
    mismatches = []
    for sql, expected in zip(statements, expected_all):
        mine = my_error(sql + ";")
        if not is_parse_error(mine):
            mine = None
        if expected != mine and not (expected is None and mine is not None
                                     and sqlite3_error(f"EXPLAIN {sql};", SETUP) is not None):
            mismatches.append((sql, expected, mine))
    assert mismatches == []


# -- limits ---------------------------------------------------------------------------

NESTINGS = {
    "parentheses": lambda n: "select " + "(" * n + "1" + ")" * n,
    "parentheses in WHERE": lambda n: "select 1 where " + "(" * n + "1" + ")" * n,
    "function calls": lambda n: "select " + "coalesce(" * n + "1" + ")" * n,
    "unary minus": lambda n: "select " + "- " * n + "1",
    "NOT": lambda n: "select " + "not " * n + "1",
    "right operands": lambda n: "select " + "1+(" * n + "1" + ")" * n,
    "subqueries": lambda n: "select " + "(select " * n + "1" + ")" * n,
    "CASE": lambda n: "select " + "case when 1 then " * n + "1" + " end" * n,
    "INSERT VALUES": lambda n: "insert into t values(" + "(" * n + "1" + ")" * n + ")",
    "CAST": lambda n: "select " + "cast(" * n + "1" + " as int)" * n,
    "FROM subqueries": lambda n: "select * from " + "(select * from " * n + "t" + ")" * n,
    "IN lists": lambda n: "select " + "1 in (" * n + "1" + ")" * n,
    "COLLATE": lambda n: "select " + "(" * n + "1" + " collate x)" * n,
    "UPDATE": lambda n: "update t set a = " + "(" * n + "1" + ")" * n,
    "EXISTS": lambda n: "select " + "exists (select " * n + "1" + ")" * n,
}


def _first_overflow(make, error):
    lo, hi = 1, 200
    while lo < hi:
        mid = (lo + hi) // 2
        if error(make(mid)) == "parser stack overflow":
            hi = mid
        else:
            lo = mid + 1
    return lo


@pytest.mark.parametrize("name", list(NESTINGS))
def test_parser_stack_overflows_at_sqlite3s_depth(name):
    make = NESTINGS[name]
    expected = _first_overflow(make, sqlite3_parse_error)
    assert expected < 200
    assert _first_overflow(make, my_error) == expected


@pytest.mark.parametrize("joiner", [" + ", " AND ", " || ", " * ", " OR ", " = "])
def test_expression_depth_limit_matches_sqlite3(joiner):
    for terms in (1000, 1001):
        sql = "select " + joiner.join(["1"] * terms)
        assert my_error(sql) == sqlite3_parse_error(sql)
    assert my_error("select " + joiner.join(["1"] * 1001)) is not None


def test_deep_and_long_inputs_fail_fast_without_recursion_errors():
    cases = [
        "select " + "(" * 10000 + "1" + ")" * 10000,
        "select " + "- " * 10000 + "1",
        "select " + "coalesce(" * 10000 + "1" + ")" * 10000,
        "select " + "(select " * 10000 + "1" + ")" * 10000,
        "select " + "case when 1 then " * 10000 + "1" + " end" * 10000,
        "select * from " + "(" * 10000 + "t" + ")" * 10000,
        "select " + " + ".join(["1"] * 100000),
        "select 1 where " + " and ".join(["a"] * 100000),
    ]
    for sql in cases:
        start = time.perf_counter()
        with pytest.raises(SQLError) as err:
            parse(sql)
        assert time.perf_counter() - start < 0.5
        assert str(err.value) in ("parser stack overflow",
                                  "Expression tree is too large (maximum depth 1000)")
    assert my_error(cases[0]) == sqlite3_parse_error(cases[0])
    assert my_error(cases[6]) == sqlite3_parse_error(cases[6])
