"""Splitting SQL text into statements the way sqlite3 runs a script.

A semicolon ends a statement unless it is inside a string, a quoted name or a
comment, or inside the body of CREATE TRIGGER (which ends at ``END;``), as
sqlite3_complete() decides.  Targets whose engine takes one statement at a
time use this to run a multi-statement record.
"""

from __future__ import annotations

import re

_WORD = re.compile(r"[A-Za-z_\x80-\U0010ffff][A-Za-z0-9_$\x80-\U0010ffff]*")


def split_statements(sql: str) -> list[str]:
    """The statements of ``sql`` in order, each without its final semicolon,
    blank ones dropped.  Text after the last semicolon is a statement too."""
    out: list[str] = []
    start = 0
    i = 0
    n = len(sql)
    words: list[str] = []     # the first words of the current statement (upper case)
    last_word = ""
    while i < n:
        c = sql[i]
        if c in "'\"`":
            j = sql.find(c, i + 1)
            while j != -1 and j + 1 < n and sql[j + 1] == c:
                j = sql.find(c, j + 2)
            i = n if j == -1 else j + 1
            last_word = ""
        elif c == "[":
            j = sql.find("]", i + 1)
            i = n if j == -1 else j + 1
            last_word = ""
        elif c == "-" and sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j == -1 else j + 1
        elif c == "/" and sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            i = n if j == -1 else j + 2
        elif c == ";":
            if _in_trigger(words) and last_word != "END":
                i += 1
                last_word = ""
                continue
            piece = sql[start:i].strip()
            if piece and _has_content(piece):
                out.append(piece)
            i += 1
            start = i
            words = []
            last_word = ""
        else:
            m = _WORD.match(sql, i)
            if m:
                word = m.group().upper()
                if len(words) < 4:
                    words.append(word)
                last_word = word
                i = m.end()
            else:
                if not c.isspace():
                    last_word = ""
                    if len(words) < 4:
                        words.append(c)
                i += 1
    piece = sql[start:].strip()
    if piece and _has_content(piece):
        out.append(piece)
    return out


def _in_trigger(words: list[str]) -> bool:
    w = words[1:] if words[:1] == ["EXPLAIN"] else words
    if w[:1] != ["CREATE"]:
        return False
    rest = w[1:]
    if rest[:1] in (["TEMP"], ["TEMPORARY"]):
        rest = rest[1:]
    return rest[:1] == ["TRIGGER"]


def _has_content(piece: str) -> bool:
    """False for text that is only comments."""
    i, n = 0, len(piece)
    while i < n:
        if piece[i].isspace():
            i += 1
        elif piece.startswith("--", i):
            j = piece.find("\n", i)
            i = n if j == -1 else j + 1
        elif piece.startswith("/*", i):
            j = piece.find("*/", i + 2)
            i = n if j == -1 else j + 2
        else:
            return True
    return False
