"""conformance.slt_parser: every construct of the sqllogictest format."""

from __future__ import annotations

import dataclasses
import textwrap

import pytest

from conformance.slt_parser import (Condition, Halt, HashThreshold, ParseError, Query,
                                    Statement, parse_slt)


def parse(text: str):
    return parse_slt(textwrap.dedent(text).lstrip("\n"), "t.test")


def test_statements_ok_and_error_with_their_lines():
    parsed = parse("""
        statement ok
        CREATE TABLE t1(a INTEGER, b TEXT)

        statement error
        INSERT INTO nosuch VALUES(1)
        """)
    assert parsed.errors == ()
    first, second = parsed.records
    assert first == Statement("t.test", 1, (), "CREATE TABLE t1(a INTEGER, b TEXT)", False)
    assert second.line == 4 and second.expect_error and second.sql == "INSERT INTO nosuch VALUES(1)"


def test_statement_error_keeps_the_text_after_it():
    (rec,) = parse("statement error no such table\nSELECT * FROM x\n").records
    assert rec.expect_error and rec.error_text == "no such table"


def test_sql_over_several_lines_and_several_statements_in_one_record():
    (rec,) = parse("""
        statement ok
        CREATE TABLE t(x);
        INSERT INTO t VALUES(1);
        INSERT INTO t
          VALUES(2)
        """).records
    assert rec.sql == "CREATE TABLE t(x);\nINSERT INTO t VALUES(1);\nINSERT INTO t\n  VALUES(2)"


def test_query_header_sql_and_values():
    (rec,) = parse("""
        query ITR rowsort label-7
        SELECT a, b,
               c FROM t1
        ----
        1
        x y
        2.500
        """).records
    assert isinstance(rec, Query)
    assert (rec.types, rec.sort, rec.label) == ("ITR", "rowsort", "label-7")
    assert rec.sql == "SELECT a, b,\n       c FROM t1"
    assert rec.expected == ("1", "x y", "2.500")   # a value line is kept whole
    assert rec.expected_hash is None


def test_query_defaults_to_nosort_without_label_and_may_expect_nothing():
    (rec,) = parse("query I\nSELECT 1 WHERE 0\n----\n").records
    assert (rec.sort, rec.label, rec.expected) == ("nosort", None, ())
    (rec,) = parse("query T valuesort\nSELECT 'a'\n").records
    assert rec.sort == "valuesort" and rec.expected == ()


def test_hash_form_of_the_expected_values():
    (rec,) = parse("""
        query I rowsort
        SELECT x FROM t
        ----
        30 values hashing to 3C1D7A0E3C8A1E0DF28E15B2E5DC5D4B
        """).records
    assert rec.expected == ()
    assert rec.expected_hash == (30, "3c1d7a0e3c8a1e0df28e15b2e5dc5d4b")


def test_a_value_that_only_looks_like_a_hash_line_is_a_value_among_others():
    (rec,) = parse("query T nosort\nSELECT x\n----\n1 values hashing to abc\nz\n").records
    assert rec.expected_hash is None and rec.expected == ("1 values hashing to abc", "z")


def test_crlf_gives_the_same_records_as_lf():
    text = ("# comment\nhash-threshold 8\n\nstatement ok\nCREATE TABLE t(x)\n\n"
            "skipif mysql # not compatible\nquery I rowsort\nSELECT x\n  FROM t\n----\n1\n2\n")
    lf = parse_slt(text, "t.test")
    crlf = parse_slt(text.replace("\n", "\r\n"), "t.test")
    assert crlf == lf
    assert [r.line for r in crlf.records] == [2, 4, 7]
    assert crlf.records[2].sql == "SELECT x\n  FROM t"
    assert crlf.records[2].expected == ("1", "2")


def test_comment_lines_anywhere_and_trailing_comments_on_control_lines():
    parsed = parse("""
        # a comment before the record
        onlyif sqlite # empty RHS
        # a comment inside the record is dropped
        query I nosort # why
        SELECT 1 IN ()
        # and in the results
        ----
        0

        statement ok
        SELECT '# not a comment' -- nor this
        """)
    query, statement = parsed.records
    assert query.line == 2
    assert query.conditions == (Condition("onlyif", "sqlite"),)
    assert (query.sort, query.label) == ("nosort", None)
    assert query.sql == "SELECT 1 IN ()" and query.expected == ("0",)
    assert statement.sql == "SELECT '# not a comment' -- nor this"


def test_several_conditions_on_one_record():
    (rec,) = parse("""
        skipif mysql
        skipif postgresql # PostgreSQL requires AS
        onlyif sqlite
        statement ok
        SELECT 1
        """).records
    assert rec.conditions == (Condition("skipif", "mysql"), Condition("skipif", "postgresql"),
                              Condition("onlyif", "sqlite"))
    assert rec.line == 1


def test_hash_threshold_and_halt_with_and_without_conditions():
    parsed = parse("""
        hash-threshold 8

        onlyif mssql
        halt

        halt
        """)
    assert parsed.records == (
        HashThreshold("t.test", 1, (), 8),
        Halt("t.test", 3, (Condition("onlyif", "mssql"),)),
        Halt("t.test", 6, ()),
    )


def test_a_line_of_spaces_separates_records():
    parsed = parse_slt("statement ok\nSELECT 1\n   \t\nstatement ok\nSELECT 2\n", "t.test")
    assert [r.sql for r in parsed.records] == ["SELECT 1", "SELECT 2"]


@pytest.mark.parametrize("text, message", [
    ("frobnicate now\nSELECT 1\n", "unknown record type 'frobnicate'"),
    ("query IX rowsort\nSELECT 1\n----\n1\n", "unknown type letter 'X'"),
    ("query I\n----\n1\n", "query without SQL"),
    ("query\nSELECT 1\n", "without a type string"),
    ("query I upsidedown\nSELECT 1\n", "unknown sort mode 'upsidedown'"),
    ("query I rowsort label extra\nSELECT 1\n", "unexpected text after the label"),
    ("statement ok\n", "statement without SQL"),
    ("statement maybe\nSELECT 1\n", "statement must be followed by ok or error"),
    ("statement\nSELECT 1\n", "statement must be followed by ok or error"),
    ("statement ok\nSELECT 1\n----\n1\n", "no result section"),
    ("skipif mysql\n", "condition without a record"),
    ("onlyif\nstatement ok\nSELECT 1\n", "needs exactly one database name"),
    ("hash-threshold lots\n", "hash-threshold needs one non-negative integer"),
    ("halt now\n", "unexpected text after halt"),
])
def test_malformed_records_are_reported_and_parsing_continues(text, message):
    before = "statement ok\nSELECT 0\n\n# a comment\n"
    after = "\nquery I nosort\nSELECT 1\n----\n1\n"
    parsed = parse_slt(before + text + after, "bad.test")
    (error,) = parsed.errors
    assert isinstance(error, ParseError)
    assert error.file == "bad.test" and error.line == 5
    assert message in error.message
    assert str(error).startswith("bad.test:5: ")
    assert [r.sql for r in parsed.records] == ["SELECT 0", "SELECT 1"]
    assert parsed.records[1].line == 5 + text.count("\n") + 1


def test_unknown_keyword_after_a_condition_names_its_line():
    parsed = parse("skipif mysql\nselect 1\n\nstatement ok\nSELECT 2\n")
    (error,) = parsed.errors
    assert error.line == 1 and "line 2" in error.message
    assert len(parsed.records) == 1


def test_in_order_merges_records_and_errors_by_line():
    parsed = parse("statement ok\nSELECT 1\n\nbogus\n\nstatement ok\nSELECT 2\n")
    assert [type(x).__name__ for x in parsed.in_order()] == ["Statement", "ParseError", "Statement"]


def test_records_are_frozen():
    (rec,) = parse("statement ok\nSELECT 1\n").records
    with pytest.raises(dataclasses.FrozenInstanceError):
        rec.sql = "DROP TABLE t"
    assert hash(rec) == hash(Statement("t.test", 1, (), "SELECT 1", False))


def test_empty_and_comment_only_texts():
    assert parse_slt("", "e.test").records == ()
    assert parse_slt("# nothing\n\n   \n", "e.test").records == ()
