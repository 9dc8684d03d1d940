"""engine/sql/tokenizer.py: token kinds and extents, complete_statement()."""

from __future__ import annotations

import random
import sqlite3

import pytest

from engine.sql.tokenizer import (
    FALLBACK_KEYWORDS, KEYWORDS, TokenStream, complete_statement, dequote, tokenize,
)

from sql_oracle import needs_sqlite3, sqlite3_error


def kinds(sql):
    return [(t.kind, t.text) for t in tokenize(sql)[:-1]]


def test_keywords_are_the_147_of_lang_keywords_and_case_insensitive():
    assert len(KEYWORDS) == 147
    assert kinds("select SeLeCt SELECT") == [("SELECT", "select"), ("SELECT", "SeLeCt"),
                                              ("SELECT", "SELECT")]
    assert FALLBACK_KEYWORDS < KEYWORDS
    # Not keywords: plain identifiers.
    assert kinds("rowid true false strict") == [("ID", "rowid"), ("ID", "true"),
                                                 ("ID", "false"), ("ID", "strict")]


def test_identifier_characters_include_dollar_digits_and_non_ascii():
    assert kinds("a$b _x1 été select$") == [("ID", "a$b"), ("ID", "_x1"), ("ID", "été"),
                                            ("ID", "select$")]


def test_quoted_identifiers_in_all_styles():
    assert kinds('"a b" [c d] `e f` "x""y" `p``q`') == [
        ("ID", '"a b"'), ("ID", "[c d]"), ("ID", "`e f`"), ("ID", '"x""y"'), ("ID", "`p``q`")]
    assert [dequote(t.text) for t in tokenize('"x""y" [a""b] `p``q` \'it\'\'s\'')[:-1]] == [
        'x"y', 'a""b', "p`q", "it's"]


def test_strings_and_blobs():
    assert kinds("'abc' 'it''s' '' x'0aFF' X''") == [
        ("STRING", "'abc'"), ("STRING", "'it''s'"), ("STRING", "''"), ("BLOB", "x'0aFF'"),
        ("BLOB", "X''")]


@pytest.mark.parametrize("text, expected", [
    ("1", "INTEGER"), ("0x1F", "INTEGER"), ("9223372036854775808", "INTEGER"),
    ("1.5", "FLOAT"), (".5", "FLOAT"), ("1.", "FLOAT"), ("1e5", "FLOAT"), ("1E+5", "FLOAT"),
    ("1.5e-3", "FLOAT"),
])
def test_numbers(text, expected):
    assert kinds(text) == [(expected, text)]


def test_number_followed_by_identifier_characters_is_one_illegal_token():
    assert kinds("1e 0x 1_0 12abc .5x") == [
        ("ILLEGAL", "1e"), ("ILLEGAL", "0x"), ("ILLEGAL", "1_0"), ("ILLEGAL", "12abc"),
        ("ILLEGAL", ".5x")]
    # A hex literal stops at the last hex digit, as tokenize.c does.
    assert kinds("0x1g") == [("INTEGER", "0x1"), ("ID", "g")]


def test_parameters():
    assert kinds("? ?12 :name @x $y $a::b(c) #z") == [
        ("VARIABLE", "?"), ("VARIABLE", "?12"), ("VARIABLE", ":name"), ("VARIABLE", "@x"),
        ("VARIABLE", "$y"), ("VARIABLE", "$a::b(c)"), ("VARIABLE", "#z")]
    assert kinds("@ : $::") == [("ILLEGAL", "@"), ("ILLEGAL", ":"), ("ILLEGAL", "$::")]
    assert kinds("$a(b c)") == [("ILLEGAL", "$a(b"), ("ID", "c"), ("RP", ")")]


def test_operators():
    assert [t.kind for t in tokenize("|| -> ->> == = <> != << >> <= >= < > & | ~ + - * / % ( ) , ; .")[:-1]] == [
        "CONCAT", "PTR", "PTR", "EQ", "EQ", "NE", "NE", "LSHIFT", "RSHIFT", "LE", "GE", "LT",
        "GT", "BITAND", "BITOR", "BITNOT", "PLUS", "MINUS", "STAR", "SLASH", "REM", "LP", "RP",
        "COMMA", "SEMI", "DOT"]
    assert kinds("! ^ {") == [("ILLEGAL", "!"), ("ILLEGAL", "^"), ("ILLEGAL", "{")]


def test_comments_and_whitespace_make_no_tokens():
    toks = tokenize("a -- to the end\n b /* block */ c /* unterminated")
    assert [(t.text, t.start, t.end) for t in toks] == [
        ("a", 0, 1), ("b", 17, 18), ("c", 31, 32), ("", 48, 48)]
    assert toks[-1].kind == "EOF"
    # "/*" with nothing after it is a slash and a star.
    assert kinds("1 /*") == [("INTEGER", "1"), ("SLASH", "/"), ("STAR", "*")]


def test_unterminated_quotes_run_to_the_end():
    assert kinds("'abc") == [("ILLEGAL", "'abc")]
    assert kinds("'abc'' d") == [("ILLEGAL", "'abc'' d")]
    assert kinds('x "a b') == [("ID", "x"), ("ILLEGAL", '"a b')]
    assert kinds("[a b") == [("ILLEGAL", "[a b")]
    assert kinds("x'ab x'abc'") == [("ILLEGAL", "x'ab x'"), ("ID", "abc"), ("ILLEGAL", "'")]


def test_nul_ends_the_input():
    assert kinds("select 1\0 garbage '") == [("SELECT", "select"), ("INTEGER", "1")]


def test_window_over_filter_are_keywords_only_in_context():
    assert [t.kind for t in tokenize("window w as over filter")[:-1]] == [
        "WINDOW", "ID", "AS", "ID", "ID"]
    assert [t.kind for t in tokenize("f() over (x) f() over w f() filter (where 1)")[:-1]][3:5] == [
        "OVER", "LP"]
    toks = tokenize("f() filter (where 1) over w")
    assert [t.kind for t in toks if t.text in ("filter", "over")] == ["FILTER", "OVER"]
    assert [t.kind for t in tokenize("select window, over, filter from t")[:-1]][1:6:2] == [
        "ID", "ID", "ID"]


def test_token_stream_scans_on_demand():
    stream = TokenStream("select " + "1, " * 100000 + "1")
    stream.fill(3)
    assert stream.available >= 4
    assert len(stream.tokens) < 1000
    stream.fill(1 << 40)
    assert stream.tokens[-1].kind == "EOF"
    assert len(stream.tokens) == 200003


@needs_sqlite3
@pytest.mark.parametrize("text", [
    "x'1'", "x'abc'", "x'0g'", "x'ab", "1e", "0x", "1_000", "12abc", "'abc", '"abc', "[abc",
    "@", "$", "!", "^", "$a(b c)", "1.5e+", "#", "'it''s", ".5x",
])
def test_unrecognized_token_messages_match_sqlite3(text):
    from engine.errors import SQLError
    from engine.sql.parser import parse

    sql = f"select {text}"
    with pytest.raises(SQLError) as err:
        parse(sql)
    assert str(err.value) == sqlite3_error(sql)


# sqlite3_complete() is reached through Python's sqlite3 module, which links
# the same libsqlite3 as the sqlite3 binary.
COMPLETE_CASES = [
    "", ";", "select 1", "select 1;", "select 1 ;  ", "select ';'", "select ';';",
    "select 1; -- x", "select 1 -- x;", "select 1; /* x", "select 1 /* ; */", "select 1 /* ; */;",
    "select [a;b]", "select [a;b];", "select \"a;\"", "select `a;`;",
    "create trigger t after insert on x begin select 1; end;",
    "create trigger t after insert on x begin select 1;",
    "create trigger t after insert on x begin select 1; end",
    "create temp trigger t begin; end;", "create temporary trigger t begin select 1; end ;",
    "CREATE TRIGGER t BEGIN SELECT 'end;'; END;", "explain create trigger t begin; end;",
    "explain select 1;", "create table t(a); create trigger x begin", "end;", "create table trigger(x);",
    "select 1;\n", "select 1; select 2", "\n\n;\n",
]


@pytest.mark.parametrize("sql", COMPLETE_CASES)
def test_complete_statement_matches_sqlite3_complete(sql):
    assert complete_statement(sql) == sqlite3.complete_statement(sql)


def test_complete_statement_random_texts_match_sqlite3_complete():
    pieces = ["select", " ", ";", "'", '"', "[", "]", "`", "--", "\n", "/*", "*/", "create",
              "trigger", "temp", "end", "explain", "begin", "x", "1"]
    rng = random.Random(7)
    for _ in range(3000):
        sql = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 10)))
        assert complete_statement(sql) == sqlite3.complete_statement(sql), sql
