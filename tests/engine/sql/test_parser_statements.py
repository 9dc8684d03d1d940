"""INSERT/UPDATE/DELETE, CREATE/DROP/ALTER and the other statements: trees."""

from __future__ import annotations

import pytest

from engine.errors import SQLError
from engine.sql.ast import (
    AddColumn, AlterTable, Analyze, Assignment, Attach, Begin, Binary, CheckConstraint,
    CollateConstraint, Column, ColumnDef, Commit, CreateIndex, CurrentTime, DefaultConstraint,
    Delete, Detach, Drop, DropColumn, Explain,
    ForeignKeyClause, ForeignKeyConstraint, GeneratedConstraint, IndexedColumn,
    Insert, Literal, NotNullConstraint, OrderingTerm, Param, Pragma, PrimaryKeyConstraint,
    Raise, Reindex, Release, RenameColumn, RenameTable, ResultColumn, Rollback, RowValue,
    Savepoint, Select, SelectCore, Star, TableRef, Unary, UniqueConstraint, Upsert,
    Vacuum, Values,
)
from engine.sql.parser import parse, parse_statements

from sql_oracle import needs_sqlite3, sqlite3_error

a, b, c = Column("a"), Column("b"), Column("c")


def one(sql):
    stmts = parse(sql)
    assert len(stmts) == 1
    return stmts[0]


def values(*rows):
    return Select(Values(tuple(tuple(Literal(v) for v in row) for row in rows)))


# -- INSERT ------------------------------------------------------------------------


def test_insert_forms():
    assert one("INSERT INTO t VALUES (1, 2)") == Insert("t", values((1, 2)))
    assert one("insert or ignore into main.t as x (a, b) select 1, 2") == Insert(
        "t", Select(SelectCore((ResultColumn(Literal(1), None, "1"), ResultColumn(Literal(2), None, "2")))),
        "main", "x", ("a", "b"), "IGNORE")
    assert one("REPLACE INTO t DEFAULT VALUES") == Insert("t", None, conflict="REPLACE")
    assert one("insert into t default values returning *") == Insert("t", None, returning=(Star(),))
    stmt = one("WITH w AS (SELECT 1) INSERT INTO t SELECT * FROM w")
    assert stmt.with_.ctes[0].name == "w" and stmt.source.body.from_ == TableRef("w")


def test_upserts_and_returning():
    stmt = one("INSERT INTO t(a) VALUES (1) ON CONFLICT (a COLLATE nocase DESC) WHERE a > 0 "
               "DO UPDATE SET b = excluded.b, (c, d) = (1, 2) WHERE b IS NOT NULL "
               "ON CONFLICT (b) DO NOTHING ON CONFLICT DO NOTHING RETURNING a AS x, *")
    assert stmt.upserts == (
        Upsert("UPDATE", (IndexedColumn(a, "nocase", True),), Binary(">", a, Literal(0)),
               (Assignment(("b",), Column("b", "excluded")),
                Assignment(("c", "d"), RowValue((Literal(1), Literal(2))))),
               Binary("IS NOT", b, Literal(None))),
        Upsert("NOTHING", (IndexedColumn(b),)),
        Upsert("NOTHING"),
    )
    assert stmt.returning == (ResultColumn(a, "x", "a"), Star())
    # The SELECT of an INSERT needs a WHERE before ON CONFLICT, as in sqlite3.
    stmt = one("insert into t select * from u where 1 on conflict do update set a = 1")
    assert stmt.upserts == (Upsert("UPDATE", assignments=(Assignment(("a",), Literal(1)),)),)


# -- UPDATE and DELETE ---------------------------------------------------------


def test_update():
    stmt = one("UPDATE OR REPLACE main.t AS x INDEXED BY i SET a = 1, (b, c) = (SELECT 2, 3) "
               "FROM u WHERE x.a = u.a RETURNING * ORDER BY a LIMIT 1 OFFSET 2")
    assert stmt.table == TableRef("t", "main", "x", "i")
    assert stmt.conflict == "REPLACE"
    assert stmt.assignments[0] == Assignment(("a",), Literal(1))
    assert stmt.assignments[1].columns == ("b", "c")
    assert stmt.from_ == TableRef("u")
    assert stmt.returning == (Star(),)
    assert stmt.order_by == (OrderingTerm(a),)
    assert (stmt.limit, stmt.offset) == (Literal(1), Literal(2))
    assert one("update t not indexed set a = a + 1").table == TableRef("t", not_indexed=True)


def test_delete():
    assert one("DELETE FROM t") == Delete(TableRef("t"))
    stmt = one("WITH w AS (SELECT 1) DELETE FROM main.t AS x WHERE a = 1 RETURNING a LIMIT 2, 3")
    assert stmt.table == TableRef("t", "main", "x")
    assert stmt.where == Binary("=", a, Literal(1))
    assert stmt.returning == (ResultColumn(a, None, "a"),)
    assert (stmt.limit, stmt.offset) == (Literal(3), Literal(2))
    assert stmt.with_ is not None


# -- CREATE TABLE --------------------------------------------------------------------


def test_create_table_columns_and_constraints():
    stmt = one(
        "CREATE TEMP TABLE IF NOT EXISTS t ("
        "a INTEGER CONSTRAINT pk PRIMARY KEY DESC ON CONFLICT REPLACE AUTOINCREMENT, "
        "b VARCHAR(10) NOT NULL ON CONFLICT FAIL UNIQUE COLLATE nocase DEFAULT 'x', "
        "c CHECK (c > 0) REFERENCES u(x) ON DELETE CASCADE ON UPDATE SET NULL MATCH full "
        "DEFERRABLE INITIALLY DEFERRED, "
        "d AS (a + 1) STORED, e INT GENERATED ALWAYS AS (2) VIRTUAL, f, "
        "CONSTRAINT k PRIMARY KEY (a, b DESC), UNIQUE (b COLLATE binary) ON CONFLICT IGNORE "
        "CHECK (d < 5), FOREIGN KEY (f) REFERENCES u ON DELETE NO ACTION NOT DEFERRABLE"
        ") WITHOUT ROWID, STRICT")
    assert stmt.temporary and stmt.if_not_exists and stmt.without_rowid and stmt.strict
    assert stmt.columns == (
        ColumnDef("a", "INTEGER", (PrimaryKeyConstraint("pk", (), True, "REPLACE", True),)),
        ColumnDef("b", "VARCHAR(10)", (NotNullConstraint(None, "FAIL"), UniqueConstraint(),
                                      CollateConstraint("nocase"),
                                      DefaultConstraint(Literal("x"), None, "'x'"))),
        ColumnDef("c", None, (CheckConstraint(Binary(">", c, Literal(0)), None, "c > 0"),
                              ForeignKeyConstraint(ForeignKeyClause(
                                  "u", ("x",), (("DELETE", "CASCADE"), ("UPDATE", "SET NULL")),
                                  True)))),
        ColumnDef("d", None, (GeneratedConstraint(Binary("+", a, Literal(1)), True),)),
        ColumnDef("e", "INT", (GeneratedConstraint(Literal(2), False),)),
        ColumnDef("f"),
    )
    assert stmt.constraints == (
        PrimaryKeyConstraint("k", (IndexedColumn(a), IndexedColumn(b, None, True))),
        UniqueConstraint(None, (IndexedColumn(b, "binary"),), "IGNORE"),
        CheckConstraint(Binary("<", Column("d"), Literal(5)), None, "d < 5"),
        ForeignKeyConstraint(ForeignKeyClause("u", (), (("DELETE", "NO ACTION"),)), None, ("f",)),
    )


def test_constraint_names_carry_over_like_sqlite3():
    col = one("create table t(a constraint c1 not null check(a > 0))").columns[0]
    assert [con.name for con in col.constraints] == ["c1", "c1"]
    table = one("create table t(a, constraint k primary key(a) check(a > 0), check(a < 9))")
    assert [con.name for con in table.constraints] == ["k", "k", None]


@needs_sqlite3
def test_virtual_tables_parse_but_have_no_module():
    sql = "create virtual table v using fts9(a, b, tokenize = 'x y')"
    with pytest.raises(SQLError) as err:
        parse(sql)
    # sqlite3 finds the missing module when it runs the statement.
    assert "stepping, " + str(err.value) == sqlite3_error(sql)


def test_column_types_keep_sqlite3s_spelling():
    cols = one("create table t(a  unsigned   big  int, b varchar ( 10 , 2 ), c \"my type\", "
               "d int generated always as (1), e generated always as (1), f int key, g)").columns
    assert [col.type_name for col in cols] == ["unsigned   big  int", "varchar ( 10 , 2 )",
                                               "my type", "int", None, "int key", None]


def test_defaults():
    cols = one("create table t(a default -1, b default +2.5, c default current_date, "
               "d default (1 + 2), e default true, f default abc, g default -9223372036854775808, "
               "h default null)").columns
    defaults = [col.constraints[0].expr for col in cols]
    assert defaults == [Unary("-", Literal(1)), Literal(2.5), CurrentTime("CURRENT_DATE"),
                        Binary("+", Literal(1), Literal(2)), Literal(1), Literal("abc"),
                        Literal(-(1 << 63)), Literal(None)]


def test_create_table_as_select():
    stmt = one("create table t as select 1 as a")
    assert stmt.as_select == one("select 1 as a") and stmt.columns == ()


# -- other CREATEs ---------------------------------------------------------------


def test_create_index():
    stmt = one("CREATE UNIQUE INDEX IF NOT EXISTS main.i ON t (a COLLATE nocase, b DESC, a + b) "
               "WHERE a > 0")
    assert stmt == CreateIndex(
        "i", "t", (IndexedColumn(a, "nocase"), IndexedColumn(b, None, True),
                   IndexedColumn(Binary("+", a, b))),
        "main", True, True, Binary(">", a, Literal(0)),
        "CREATE UNIQUE INDEX i ON t (a COLLATE nocase, b DESC, a + b) WHERE a > 0")


def test_create_view():
    stmt = one("CREATE TEMP VIEW IF NOT EXISTS v (x, y) AS SELECT 1, 2")
    assert (stmt.name, stmt.columns, stmt.temporary, stmt.if_not_exists) == ("v", ("x", "y"), True, True)
    assert stmt.sql == "CREATE VIEW v (x, y) AS SELECT 1, 2"


def test_create_trigger():
    stmt = one("CREATE TEMP TRIGGER IF NOT EXISTS tr BEFORE UPDATE OF a, b ON t FOR EACH ROW "
               "WHEN new.a > 0 BEGIN "
               "UPDATE t SET a = 1 WHERE a = old.a; "
               "INSERT OR IGNORE INTO u VALUES (new.a) ON CONFLICT DO NOTHING; "
               "DELETE FROM v WHERE a = 1; "
               "SELECT RAISE(ABORT, 'no'); END")
    assert (stmt.name, stmt.table, stmt.timing, stmt.event) == ("tr", "t", "BEFORE", "UPDATE")
    assert stmt.update_columns == ("a", "b") and stmt.for_each_row and stmt.temporary
    assert stmt.when == Binary(">", Column("a", "new"), Literal(0))
    assert [type(s).__name__ for s in stmt.body] == ["Update", "Insert", "Delete", "Select"]
    assert stmt.body[3].body.columns[0].expr == Raise("ABORT", Literal("no"))
    assert one("create trigger tr delete on t begin select 1; end").timing == "BEFORE"
    assert one("create trigger tr instead of insert on v begin select 1; end").timing == "INSTEAD OF"


# -- DROP, ALTER, transactions, the rest ----------------------------------------------


def test_drop_and_alter():
    assert one("DROP TABLE IF EXISTS main.t") == Drop("TABLE", "t", "main", True)
    assert one("drop index i") == Drop("INDEX", "i")
    assert one("drop view v") == Drop("VIEW", "v")
    assert one("drop trigger main.tr") == Drop("TRIGGER", "tr", "main")
    assert one("ALTER TABLE main.t RENAME TO u") == AlterTable("t", RenameTable("u"), "main")
    assert one("alter table t rename column a to b") == AlterTable("t", RenameColumn("a", "b"))
    assert one("alter table t rename a to b") == AlterTable("t", RenameColumn("a", "b"))
    assert one("alter table t drop column a") == AlterTable("t", DropColumn("a"))
    assert one("alter table t add column b int default 5") == AlterTable("t", AddColumn(
        ColumnDef("b", "int", (DefaultConstraint(Literal(5), None, "5"),)), "b int default 5"))


def test_transactions():
    assert one("BEGIN") == Begin()
    assert one("begin exclusive transaction") == Begin("EXCLUSIVE")
    assert one("BEGIN IMMEDIATE") == Begin("IMMEDIATE")
    assert parse("commit; end transaction; end") == [Commit(), Commit(), Commit()]
    assert one("ROLLBACK") == Rollback()
    assert one("rollback transaction to savepoint s") == Rollback("s")
    assert one("rollback to s") == Rollback("s")
    assert one("SAVEPOINT s") == Savepoint("s")
    assert one("release savepoint s") == Release("s")
    assert one("release s") == Release("s")


def test_pragmas():
    assert one("PRAGMA cache_size") == Pragma("cache_size")
    assert one("pragma main.cache_size = -2000") == Pragma("cache_size", "main", Literal(-2000))
    assert one("pragma journal_mode(wal)") == Pragma("journal_mode", None, Column("wal"))
    assert one("pragma foreign_keys = on") == Pragma("foreign_keys", None, Column("on"))
    assert one("pragma table_info('t')") == Pragma("table_info", None, Literal("t"))
    assert one("pragma x = +1.5") == Pragma("x", None, Literal(1.5))
    assert one("pragma x = delete").value == Column("delete")


def test_other_statements():
    assert one("VACUUM") == Vacuum()
    assert one("vacuum main into 'f.db'") == Vacuum("main", Literal("f.db"))
    assert one("REINDEX") == Reindex()
    assert one("reindex main.t") == Reindex("t", "main")
    assert one("reindex nocase") == Reindex("nocase")
    assert one("ANALYZE main") == Analyze("main")
    assert one("analyze main.t") == Analyze("t", "main")
    assert one("ATTACH DATABASE 'f.db' AS aux") == Attach(Literal("f.db"), Column("aux"))
    assert one("attach ? as 'x'") == Attach(Param(1, "?"), Literal("x"))
    assert one("DETACH DATABASE aux") == Detach("aux")
    assert one("detach 'aux'") == Detach("aux")
    assert one("EXPLAIN QUERY PLAN SELECT 1") == Explain(one("SELECT 1"), True)
    assert one("explain delete from t") == Explain(Delete(TableRef("t")))


def test_statements_are_parsed_lazily():
    stream = parse_statements("select 1; select 2; select 3 from; select 4")
    first, _ = next(stream)
    second, _ = next(stream)
    assert first == one("select 1") and second == one("select 2")
    with pytest.raises(SQLError):
        next(stream)


def test_empty_input_and_empty_statements():
    assert parse("") == []
    assert parse(" ;; -- nothing\n ; /* */") == []


@needs_sqlite3
@pytest.mark.parametrize("sql", [
    "create table t(a) without row",
    "create table t(a int) strict, foo",
    "create table t(a as (1) foo)",
    "create table t(a, b); create index i on t(a nulls first)",
    "create table t(a, b); insert into t values(1, 2) on conflict(a nulls last) do nothing",
    "create table t(a, b, c); update t set (a, b) = (1, 2, 3)",
    "create table t(a, b, c); update t set (a, b) = 1",
    "create view v as select ?",
    "create table t(a); create trigger tr after insert on t begin select :x; end",
    "create table t(a); create trigger tr after insert on t begin delete from main.t; end",
    "create table t(a); create trigger tr after insert on t begin update t indexed by i set a = 1; end",
    "create table t(a); create trigger tr after insert on t begin delete from t not indexed; end",
    "create table t(a); create trigger tr after insert on t begin insert into t values(1) returning a; end",
    "create table t(a); create trigger tr after insert on t begin update t set a = 1 returning a; end",
    "create table t(a); create trigger tr after insert on t begin insert into t default values; end",
    "create table t(a); create trigger tr after insert on t begin insert into t as x values(1); end",
    "with t(a collate nocase) as (select 1) select 1",
    "create view v(a desc) as select 1",
    "select 0x10000000000000000",
    "select -0x10000000000000000",
    "select ?0",
    "select ?250001",
    "select count(distinct a) over () from (select 1 a)",
    "select count(*) over (rows 1 following)",
    "select count(*) over (rows between current row and 1 preceding)",
    "select raise(abort, 1)",
    "select (1, 2) in ((1, 2), (3, 4, 5))",
    "select (1, 2) in (1)",
    "select (1, 2) in ((select 1, 2))",
])
def test_grammar_action_errors_match_sqlite3(sql):
    with pytest.raises(SQLError) as err:
        for _ in parse_statements(sql):
            pass
    assert str(err.value) == sqlite3_error(sql)


@needs_sqlite3
def test_too_many_function_arguments_matches_sqlite3():
    ok = "select coalesce(" + ", ".join(["1"] * 127) + ")"
    parse(ok)
    assert sqlite3_error(ok) is None
    bad = "select coalesce(" + ", ".join(["1"] * 128) + ")"
    with pytest.raises(SQLError) as err:
        parse(bad)
    assert str(err.value) == sqlite3_error(bad)


def test_hex_literals_too_big_are_only_an_error_where_sqlite3_compiles_them():
    parse("create table t(a default 0x10000000000000000)")
    parse("create view v as select 0x10000000000000000")


def test_schema_mode_accepts_what_sqlite3_accepts_in_sqlite_schema():
    with pytest.raises(SQLError):
        parse("create view v(a desc) as select 1")
    assert parse("create view v(a desc) as select 1", schema=True)[0].columns == ("a",)
    sql = "create trigger tr after insert on t begin select ?; end"
    assert parse(sql, schema=True)[0].body[0].body.columns[0].expr == Param(1, "?")
