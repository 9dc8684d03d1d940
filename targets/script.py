"""Splitting SQL text into statements the way sqlite3 runs a script.

A statement ends at a semicolon that sqlite3_complete() would accept as the
end of a statement (complete.c): not inside a string, a quoted name or a
comment, and, inside the body of CREATE TRIGGER, only the ``;`` that follows
``END`` when that ``END`` itself follows a ``;`` (so ``CASE ... END;`` inside
a trigger does not end it).  The sqlite3 shell splits its input with the same
function, so every target sees the same statements.

Targets whose engine takes one statement at a time use this to run a
multi-statement script.
"""

from __future__ import annotations

import re

# Whitespace as sqlite3_complete() and SQLite's tokenizer see it.  Python's
# str.strip() would also remove characters such as "\v" (an illegal token to
# SQLite) and "\xa0" (an identifier character to SQLite).
SQL_SPACE = " \t\n\f\r"

# Quoted tokens and comments (terminated or running to the end) and
# semicolons: everything that decides where a statement ends, when no
# CREATE TRIGGER is involved.
_SKIP = re.compile(
    r"""'[^']*(?:'|\Z)|"[^"]*(?:"|\Z)|`[^`]*(?:`|\Z)|\[[^\]]*(?:\]|\Z)"""
    r"""|--[^\n]*|/\*.*?(?:\*/|\Z)|;""",
    re.S,
)

# Tokens for the full sqlite3_complete() state machine.
_TOKEN = re.compile(
    r"""(?P<ws>[ \t\n\f\r]+|--[^\n]*|/\*.*?\*/)"""
    r"""|(?P<quoted>'[^']*'|"[^"]*"|`[^`]*`|\[[^\]]*\])"""
    r"""|(?P<open>/\*|['"`\[])"""
    r"""|(?P<semi>;)"""
    r"""|(?P<word>[0-9A-Za-z_$\x80-\U0010ffff]+)"""
    r"""|(?P<other>.)""",
    re.S,
)

_ONLY_SPACE = re.compile(r"(?:[ \t\n\f\r]+|--[^\n]*|/\*.*?(?:\*/|\Z))*\Z", re.S)
_TRIGGER = re.compile("trigger", re.I)

# Token classes and states of complete.c.
_SEMI, _WS, _OTHER, _EXPLAIN, _CREATE, _TEMP, _TRIGGER_TK, _END = range(8)
_KEYWORDS = {"EXPLAIN": _EXPLAIN, "CREATE": _CREATE, "TEMP": _TEMP,
             "TEMPORARY": _TEMP, "TRIGGER": _TRIGGER_TK, "END": _END}
_TRANSITIONS = (
    # SEMI WS OTHER EXPLAIN CREATE TEMP TRIGGER END
    (1, 0, 2, 3, 4, 2, 2, 2),   # 0 INVALID (start of text)
    (1, 1, 2, 3, 4, 2, 2, 2),   # 1 START
    (1, 2, 2, 2, 2, 2, 2, 2),   # 2 NORMAL
    (1, 3, 3, 2, 4, 2, 2, 2),   # 3 EXPLAIN
    (1, 4, 2, 2, 2, 4, 5, 2),   # 4 CREATE
    (6, 5, 5, 5, 5, 5, 5, 5),   # 5 TRIGGER
    (6, 6, 5, 5, 5, 5, 5, 7),   # 6 SEMI
    (1, 7, 5, 5, 5, 5, 5, 5),   # 7 END
)
_START = 1


def split_statements(sql: str, keep_semicolon: bool = False) -> list[str]:
    """The statements of ``sql`` in order, blank and comment-only ones
    dropped, each stripped of surrounding whitespace.  Text after the last
    semicolon is a statement too.

    With ``keep_semicolon`` each statement keeps the semicolon that ended it
    (the last one has none when the text did not end with one).  That is the
    text sqlite3 itself prepares: ``SELECT 1 +;`` fails with
    ``near ";": syntax error`` while ``SELECT 1 +`` fails with
    ``incomplete input``.
    """
    if _TRIGGER.search(sql):
        return _split_with_triggers(sql, keep_semicolon)
    out: list[str] = []
    start = 0
    for m in _SKIP.finditer(sql):
        if m.group() == ";":
            _add(out, sql, start, m.start(), keep_semicolon)
            start = m.end()
    _add(out, sql, start, len(sql), False)
    return out


def is_blank(sql: str) -> bool:
    """True when ``sql`` holds only whitespace and comments."""
    return _ONLY_SPACE.match(sql) is not None


def _add(out: list[str], sql: str, start: int, end: int, keep_semicolon: bool) -> None:
    body = sql[start:end]
    if "-" in body or "/" in body:
        if is_blank(body):
            return
    elif not body.strip(SQL_SPACE):
        return
    if keep_semicolon:
        out.append(sql[start:end + 1].strip(SQL_SPACE))
    else:
        out.append(body.strip(SQL_SPACE))


def _split_with_triggers(sql: str, keep_semicolon: bool) -> list[str]:
    out: list[str] = []
    start = 0
    state = 0
    pos = 0
    n = len(sql)
    table = _TRANSITIONS
    while pos < n:
        m = _TOKEN.match(sql, pos)
        kind = m.lastgroup
        if kind == "open":
            break                       # an unterminated quote or comment runs to the end
        pos = m.end()
        if kind == "ws":
            token = _WS
        elif kind == "semi":
            token = _SEMI
        elif kind == "word":
            token = _KEYWORDS.get(m.group().upper(), _OTHER)
        else:
            token = _OTHER
        state = table[state][token]
        if token == _SEMI and state == _START:
            _add(out, sql, start, m.start(), keep_semicolon)
            start = pos
    _add(out, sql, start, n, False)
    return out
