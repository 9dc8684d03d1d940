"""Source texts the parser keeps for the executor: result-column texts (the
column names sqlite3 shows), the ``sql`` of CREATE statements (what sqlite3
stores in sqlite_schema), DEFAULT texts (PRAGMA table_info) and ADD COLUMN
texts, each compared with what sqlite3 itself produces."""

from __future__ import annotations

import subprocess

import pytest

from engine.sql.ast import AlterTable, CreateTable
from engine.sql.parser import parse, parse_statements

from sql_oracle import SCRATCH, SQLITE3, needs_sqlite3

pytestmark = needs_sqlite3

SEP = "@@@"


def sqlite3_header(sql: str) -> list[str]:
    out = subprocess.run([SQLITE3, "-header", "-separator", SEP, ":memory:", sql],
                         capture_output=True, cwd=SCRATCH, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.split("\n")[0].split(SEP)


COLUMN_TEXT_CASES = [
    "select  1 +  2, a from (select 1 a)",
    "select 'a'||'b' /* c */ , (1), -1 as [x], count(*) over () from (select 1 a)",
    "select 1 /* x */",
    "select 1 -- trailing comment",
    "select\n  a  *  2\n  ,\tabs(-a)\nfrom (select 1 a)",
    "select CASE WHEN 1 THEN 'x' END, CAST(1 AS  big   int), x'00', ?1 is null, 1 'alias'",
    "select (select 1), exists(select 1) , +1, 1 isnull, a between 1 and 2 from (select 1 a)",
    "select 1 x, 2 \"y\", 3 as [z], 4 as `w`, 5 as 'v'",
    "select 1.5e3,.5, 0x10, 'it''s'",
    "select 1 between 0 and 2 and 0, t.a from (select 1 a) t",
]


@pytest.mark.parametrize("sql", COLUMN_TEXT_CASES)
def test_result_column_text_is_the_name_sqlite3_shows(sql):
    stmt = parse(sql)[0]
    names = [col.alias or col.text for col in stmt.body.columns]
    expected = sqlite3_header(sql)
    for col, name, shown in zip(stmt.body.columns, names, expected):
        if col.alias is None and type(col.expr).__name__ == "Column":
            continue  # sqlite3 names a column reference after the column
        assert name == shown


def stored_sql(script: str, schema: str = "sqlite_schema") -> list[str]:
    out = subprocess.run([SQLITE3, "-newline", SEP, ":memory:", script,
                          f"select sql from {schema} where sql is not null"],
                         capture_output=True, cwd=SCRATCH, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.split(SEP)[:-1]


SCHEMA_CASES = [
    "create table t(a)",
    "create  table  if not exists t ( a int , b )   ",
    "create table t(a int primary key) without rowid   ",
    "create table t(a int) strict  /* trailing */ ",
    "create table t(a int primary key) without rowid, strict",
    "create table t(a int), strict",
    "create table \"main\" . [t] (a)",
    "create table t(a); create  unique index  if not exists main.i on t(a) where a>1  ",
    "create table t(a); create index i on t(a desc, a collate nocase)",
    "create view main.v(x) as select 1   /* c */   ",
    "create view v as select 1\n\n",
    "create table t(a); create trigger main.tr after insert on t begin select 1; end  ",
    "create table t(a); create trigger tr insert on t for each row when new.a begin\n"
    "  insert into t values(1);\n  delete from t;\nEND",
]


@pytest.mark.parametrize("script", SCHEMA_CASES)
def test_create_sql_is_what_sqlite3_stores(script):
    mine = [stmt.sql for stmt, _ in parse_statements(script)]
    assert mine == stored_sql(script)


def test_create_temp_sql_is_what_sqlite3_stores():
    script = "create  temp  table if not exists t(a); create temp view v as select 1 ;"
    assert [s.sql for s in parse(script)] == stored_sql(script, "sqlite_temp_schema")


def test_create_table_as_select_keeps_the_source_text():
    # sqlite3 stores a CREATE TABLE it builds from the result columns; the
    # parser only keeps the source, the executor writes the stored form.
    stmt = parse("create table t as select 1 as a")[0]
    assert isinstance(stmt, CreateTable) and stmt.sql == "CREATE TABLE t as select 1 as a"


def table_info_defaults(script: str) -> list[str]:
    out = subprocess.run([SQLITE3, "-separator", SEP, ":memory:", script, "pragma table_info(t)"],
                         capture_output=True, cwd=SCRATCH, text=True)
    assert out.returncode == 0, out.stderr
    return [line.split(SEP)[4] for line in out.stdout.rstrip("\n").split("\n")]


def test_default_text_is_what_table_info_shows():
    script = ("create table t(a default (1+2), b default -  5 /*c*/ not null, c default 'x' , "
              "d default +1, e default current_time, f default abc, g default true, "
              "h default - 5.5, i default ( ( 1 ) ), j default \"q\", k default x'00', "
              "l default null, m default 0x10, n default (  'a' || 'b'  ))")
    table = parse(script)[0]
    mine = [con.text for col in table.columns for con in col.constraints if hasattr(con, "text")]
    assert mine == table_info_defaults(script)


def test_add_column_text_is_what_sqlite3_appends():
    script = "create table t(a); alter table t add column b int default 5 /*x*/  ; alter table t add c"
    statements = parse(script)
    texts = [s.action.text for s in statements if isinstance(s, AlterTable)]
    assert stored_sql(script) == [f"CREATE TABLE t(a, {texts[0]}, {texts[1]})"]


def test_statement_texts():
    pairs = list(parse_statements("  select 1 ;; /* c */ select 2\n;select 3  "))
    assert [text for _, text in pairs] == ["select 1", "select 2", "select 3"]
