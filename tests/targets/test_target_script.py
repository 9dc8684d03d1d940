"""targets.script: statements split where sqlite3_complete() says they end."""

import random
import sqlite3

import pytest

from targets.script import is_blank, split_statements


@pytest.mark.parametrize("sql, expected", [
    ("SELECT 1", ["SELECT 1"]),
    ("SELECT 1;", ["SELECT 1"]),
    ("SELECT 1; SELECT 2", ["SELECT 1", "SELECT 2"]),
    ("  SELECT 1 ;\n\n SELECT 2;  \n", ["SELECT 1", "SELECT 2"]),
    ("SELECT 'a;b'; SELECT \"c;d\"", ["SELECT 'a;b'", 'SELECT "c;d"']),
    ("SELECT 'it''s;'; SELECT 2", ["SELECT 'it''s;'", "SELECT 2"]),
    ("SELECT [x;y], `z;w`", ["SELECT [x;y], `z;w`"]),
    ("SELECT 1 -- c;omment\n; SELECT 2", ["SELECT 1 -- c;omment", "SELECT 2"]),
    ("SELECT 1 /* a;b */; SELECT 2", ["SELECT 1 /* a;b */", "SELECT 2"]),
    (";;  ; -- only\n/* comments */;", []),
    ("", []),
    ("SELECT 1; -- trailing", ["SELECT 1"]),
    ("SELECT 'unterminated; SELECT 2", ["SELECT 'unterminated; SELECT 2"]),
    ("SELECT 1 /* open; comment", ["SELECT 1 /* open; comment"]),
    ("SELECT 1\v;", ["SELECT 1\v"]),                  # \v is not SQL whitespace
    ("SELECT 1\xa0", ["SELECT 1\xa0"]),               # nor is U+00A0
])
def test_split(sql, expected):
    assert split_statements(sql) == expected


TRIGGER = ("CREATE TRIGGER tr AFTER INSERT ON t BEGIN "
           "INSERT INTO u VALUES(CASE WHEN new.a THEN 1 END); "
           "UPDATE u SET x = 1; END")


@pytest.mark.parametrize("sql, expected", [
    (TRIGGER + "; SELECT 1", [TRIGGER, "SELECT 1"]),
    ("create temp trigger x before delete on t begin select 1; end;select 2",
     ["create temp trigger x before delete on t begin select 1; end", "select 2"]),
    ("EXPLAIN CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; END; SELECT 2",
     ["EXPLAIN CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; END", "SELECT 2"]),
    # A trigger that never ends takes the rest of the text.
    ("CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; SELECT 2;",
     ["CREATE TRIGGER x AFTER INSERT ON t BEGIN SELECT 1; SELECT 2;"]),
    # Not triggers.
    ("CREATE TABLE trigger(a); SELECT 1", ["CREATE TABLE trigger(a)", "SELECT 1"]),
    ("SELECT 'create trigger'; SELECT 2", ["SELECT 'create trigger'", "SELECT 2"]),
    ("CREATE VIEW v AS SELECT CASE WHEN 1 THEN 2 END; SELECT 3",
     ["CREATE VIEW v AS SELECT CASE WHEN 1 THEN 2 END", "SELECT 3"]),
])
def test_split_triggers(sql, expected):
    assert split_statements(sql) == expected


def test_keep_semicolon():
    assert split_statements("SELECT 1 +; SELECT 2 ;SELECT 3", keep_semicolon=True) == \
        ["SELECT 1 +;", "SELECT 2 ;", "SELECT 3"]
    assert split_statements(TRIGGER + ";x", keep_semicolon=True) == [TRIGGER + ";", "x"]
    assert split_statements("SELECT 1 -- c\n;", keep_semicolon=True) == ["SELECT 1 -- c\n;"]
    assert split_statements(";;", keep_semicolon=True) == []


def test_is_blank():
    assert is_blank("  -- x\n /* y */ ")
    assert is_blank("")
    assert is_blank("/* open")
    assert not is_blank("-- x\n1")


FRAGMENTS = [
    "SELECT", " ", "1", ";", "'a;b'", "'", '"x;"', "[y;]", "`z`", "--c;\n", "/*;*/", "/*",
    "CREATE", "TRIGGER", "TEMP", "END", "EXPLAIN", "BEGIN", "CASE", "\n", "x", "(", ")",
    "create", "trigger", "end", ";", ";", "TEMPORARY", "$a", "é", "\t", "-", "/", "*",
]


def reference_split(sql):
    """Statements cut where sqlite3_complete() first accepts the text: at a
    ";" that makes the text since the last cut complete when the text
    before that ";" was not."""
    out = []
    start = 0
    for i, c in enumerate(sql):
        if c == ";" and sqlite3.complete_statement(sql[start:i + 1]) \
                and not sqlite3.complete_statement(sql[start:i]):
            if not is_blank(sql[start:i]):
                out.append(sql[start:i + 1].strip(" \t\n\f\r"))
            start = i + 1
    if not is_blank(sql[start:]):
        out.append(sql[start:].strip(" \t\n\f\r"))
    return out


def test_split_points_agree_with_sqlite3_complete():
    rng = random.Random(1234)
    for _ in range(4000):
        sql = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(1, 25)))
        assert split_statements(sql, keep_semicolon=True) == reference_split(sql), sql
