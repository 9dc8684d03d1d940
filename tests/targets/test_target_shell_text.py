"""targets.shell_text: input lines for the sqlite3 shell, and its output read back."""

import pytest

from targets.shell_text import (
    EOF_MARKER, INCOMPLETE, OutputError, is_terminator_line, message_for, parse_error,
    parse_quote_output, plan_statement, quickscan,
)

# ------------------------------------------------------------ input


def test_simple_statement_gets_a_semicolon():
    plan = plan_statement("SELECT 1")
    assert plan.lines == "SELECT 1;\n" and plan.appended_semicolon
    plan = plan_statement("SELECT 1;")
    assert plan.lines == "SELECT 1;\n" and not plan.appended_semicolon


@pytest.mark.parametrize("stmt", [".tables", "#x", ".print hi;"])
def test_leading_dot_or_hash_is_indented(stmt):
    assert plan_statement(stmt).lines.startswith(" " + stmt[0])


def test_dot_line_after_a_comment_line_is_indented():
    plan = plan_statement("-- note\n.tables")
    assert plan.lines == "-- note\n .tables;\n"


def test_dot_line_inside_a_string_is_left_alone():
    plan = plan_statement("SELECT 'a\n.tables\n'")
    assert plan.lines == "SELECT 'a\n.tables\n';\n"


def test_crlf_is_doubled():
    assert plan_statement("SELECT 'a\r\nb'").lines == "SELECT 'a\r\r\nb';\n"


def test_terminator_lines_get_an_empty_comment():
    plan = plan_statement("SELECT 4\n/\n2")
    assert plan.lines == "SELECT 4\n/**//\n2;\n" and plan.altered
    plan = plan_statement("SELECT 5 AS\n GO \n, 6")
    assert plan.lines == "SELECT 5 AS\n/**/ GO \n, 6;\n"
    # On the last line the appended ";" keeps it from being a terminator.
    plan = plan_statement("SELECT 5 AS\n GO")
    assert plan.lines == "SELECT 5 AS\n GO;\n" and not plan.altered


def test_line_comment_at_the_end():
    plan = plan_statement("SELECT 1 -- c")
    assert plan.lines == "SELECT 1 -- c\n;\n" and plan.appended_semicolon


def test_unterminated_block_comment_is_closed():
    assert plan_statement("SELECT 1 /* c").lines == "SELECT 1 /* c*/;\n"


@pytest.mark.parametrize("stmt, token", [
    ("SELECT 'abc", "'abc"),
    ("SELECT 1, \"a\nb", "\"a\nb"),
    ("SELECT [x", "[x"),
    ("SELECT x'0a", "x'0a"),
    ("SELECT ax'0a", "'0a"),
])
def test_unterminated_quote_becomes_a_marker(stmt, token):
    plan = plan_statement(stmt)
    assert EOF_MARKER in plan.lines
    assert plan.eof_error == f'unrecognized token: "{token}"'


def test_unfinished_trigger():
    plan = plan_statement("CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1;")
    assert plan.eof_error == INCOMPLETE
    assert plan.lines.endswith(EOF_MARKER + "\n;END;\n")


def test_quickscan_states():
    assert quickscan("select 1;", 0) == 0x300
    assert quickscan("select 'a", 0) & 0xFF == ord("'")
    assert quickscan("b' x", ord("'") | 0x100) == 0x100
    assert quickscan("/* a", 0) & 0xFF == ord("*")
    assert quickscan("-- ;", 0) == 0
    assert quickscan("[a", 0) & 0xFF == ord("]")


@pytest.mark.parametrize("line, expected", [
    ("/", True), ("go", True), (" GO  ", True), ("go -- x", True), ("/ /* c */", True),
    ("go;", False), ("good", False), ("/**/go", False), ("x", False), ("", False),
])
def test_terminator_lines(line, expected):
    assert is_terminator_line(line) is expected


# ------------------------------------------------------------ output

def test_parse_values():
    text = ("'a','b','c','d','e','f'\n"
            "1,-2,1.0,0.10000000000000000555,Inf,-Inf\n"
            "'it''s','a\nb','',NULL,X'00ff',X''\n")
    header, rows = parse_quote_output(text)
    assert header == ("a", "b", "c", "d", "e", "f")
    assert rows == [(1, -2, 1.0, 0.1, float("inf"), float("-inf")),
                    ("it's", "a\nb", "", None, b"\x00\xff", b"")]
    assert [type(v) for v in rows[0]] == [int, int, float, float, float, float]


def test_parse_empty_output():
    assert parse_quote_output("") == (None, [])


def test_header_only_when_quoted():
    with pytest.raises(OutputError):
        parse_quote_output("1\n2\n")


def test_garbage_is_refused():
    with pytest.raises(OutputError):
        parse_quote_output("'a'\nhello world\n'x")


@pytest.mark.parametrize("text, message, at_end", [
    ("Parse error near line 1: no such table: nosuch\n", "no such table: nosuch", None),
    ("Runtime error near line 3: UNIQUE constraint failed: t.a (19)\n",
     "UNIQUE constraint failed: t.a", None),
    ('Parse error near line 2: near "selec": syntax error\n  selec 1;\n  ^--- error here\n',
     'near "selec": syntax error', False),
    ('Parse error near line 1: near ";": syntax error\n  select 1 +;\n            ^--- error here\n',
     'near ";": syntax error', True),
    ("Parse error near line 15: no such column: x\n"
     "  select count(*) from (select 1) group by 1 having x;\n"
     "                                      error here ---^\n", "no such column: x", False),
    ("Runtime error near line 13: integer overflow\n", "integer overflow", None),
    ("Parse error near line 4: no such table: a\nb\n", "no such table: a\nb", None),
    ("Error: in prepare, no such column: x\n", "no such column: x", None),
    ("Error: stepping, boom (3) (19)\n", "boom (3)", None),
    ("Runtime error near line 1: database is locked (5)\n", "database is locked", None),
    ("Parse error near line 1: no such table: x (1)\n", "no such table: x (1)", None),
])
def test_parse_error(text, message, at_end):
    error = parse_error(text)
    assert error.message == message
    assert error.at_end is at_end


def test_message_for_maps_our_own_additions_back():
    plan = plan_statement("SELECT 1 +")
    assert message_for(plan, parse_error(
        'Parse error near line 1: near ";": syntax error\n  SELECT 1 +;\n            ^--- error here\n'
    )) == INCOMPLETE
    plan = plan_statement("SELECT 1 +;")
    assert message_for(plan, parse_error(
        'Parse error near line 1: near ";": syntax error\n  SELECT 1 +;\n            ^--- error here\n'
    )) == 'near ";": syntax error'
