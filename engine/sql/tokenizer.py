"""The SQL tokenizer: source text to tokens, as SQLite's tokenize.c splits it.

Implements lang_keywords.html (the keyword list), the token rules of
lang_expr.html sections 3-4 (literals and parameters) and lang_comment.html,
and ``sqlite3_complete()`` (c3ref/complete.html) as :func:`complete_statement`.

Token boundaries follow sqlite3 3.40 exactly, including its quirks, because
they decide the text of error messages: an unterminated string runs to the end
of the input, ``1e`` is the single unrecognized token ``"1e"``, ``0x1g`` is the
integer ``0x1`` followed by the identifier ``g``, a ``/*`` with nothing after
it is a slash and a star, and so on.  Whitespace and comments produce no
tokens; malformed text produces an ``ILLEGAL`` token that the parser reports
as ``unrecognized token: "..."`` only when it reaches it, as SQLite does.
"""

from __future__ import annotations

import re

__all__ = [
    "Token", "tokenize", "complete_statement", "KEYWORDS", "FALLBACK_KEYWORDS",
    "dequote",
]

# lang_keywords.html for SQLite 3.40: every one of these is a keyword token.
KEYWORDS = frozenset("""
ABORT ACTION ADD AFTER ALL ALTER ALWAYS ANALYZE AND AS ASC ATTACH AUTOINCREMENT
BEFORE BEGIN BETWEEN BY CASCADE CASE CAST CHECK COLLATE COLUMN COMMIT CONFLICT
CONSTRAINT CREATE CROSS CURRENT CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP
DATABASE DEFAULT DEFERRABLE DEFERRED DELETE DESC DETACH DISTINCT DO DROP EACH
ELSE END ESCAPE EXCEPT EXCLUDE EXCLUSIVE EXISTS EXPLAIN FAIL FILTER FIRST
FOLLOWING FOR FOREIGN FROM FULL GENERATED GLOB GROUP GROUPS HAVING IF IGNORE
IMMEDIATE IN INDEX INDEXED INITIALLY INNER INSERT INSTEAD INTERSECT INTO IS
ISNULL JOIN KEY LAST LEFT LIKE LIMIT MATCH MATERIALIZED NATURAL NO NOT NOTHING
NOTNULL NULL NULLS OF OFFSET ON OR ORDER OTHERS OUTER OVER PARTITION PLAN PRAGMA
PRECEDING PRIMARY QUERY RAISE RANGE RECURSIVE REFERENCES REGEXP REINDEX RELEASE
RENAME REPLACE RESTRICT RETURNING RIGHT ROLLBACK ROW ROWS SAVEPOINT SELECT SET
TABLE TEMP TEMPORARY THEN TIES TO TRANSACTION TRIGGER UNBOUNDED UNION UNIQUE
UPDATE USING VACUUM VALUES VIEW VIRTUAL WHEN WHERE WINDOW WITH WITHOUT
""".split())

# parse.y's %fallback ID list: keywords that become an identifier wherever
# they have no meaning of their own.
FALLBACK_KEYWORDS = frozenset("""
ABORT ACTION AFTER ANALYZE ASC ATTACH BEFORE BEGIN BY CASCADE CAST COLUMN
CONFLICT DATABASE DEFERRED DESC DETACH DO EACH END EXCLUSIVE EXPLAIN FAIL FOR
IGNORE IMMEDIATE INITIALLY INSTEAD LIKE GLOB REGEXP MATCH NO PLAN QUERY KEY OF
OFFSET PRAGMA RAISE RECURSIVE RELEASE REPLACE RESTRICT ROW ROWS ROLLBACK
SAVEPOINT TEMP TEMPORARY TRIGGER VACUUM VIEW VIRTUAL WITH WITHOUT NULLS FIRST
LAST CURRENT FOLLOWING PARTITION PRECEDING RANGE UNBOUNDED EXCLUDE GROUPS OTHERS
TIES GENERATED ALWAYS MATERIALIZED REINDEX RENAME CURRENT_TIME CURRENT_DATE
CURRENT_TIMESTAMP IF
""".split())

# Token kinds that are not keywords.
ID = "ID"
STRING = "STRING"
INTEGER = "INTEGER"
FLOAT = "FLOAT"
BLOB = "BLOB"
VARIABLE = "VARIABLE"
ILLEGAL = "ILLEGAL"
EOF = "EOF"

_OPERATORS = {
    "(": "LP", ")": "RP", ";": "SEMI", ",": "COMMA", ".": "DOT", "+": "PLUS",
    "-": "MINUS", "*": "STAR", "/": "SLASH", "%": "REM", "&": "BITAND",
    "~": "BITNOT", "|": "BITOR", "||": "CONCAT", "->": "PTR", "->>": "PTR",
    "=": "EQ", "==": "EQ", "<>": "NE", "!=": "NE", "<": "LT", "<=": "LE",
    ">": "GT", ">=": "GE", "<<": "LSHIFT", ">>": "RSHIFT",
}

# SQLite's IdChar(): letters, digits, '_', '$' and every non-ASCII character.
_IDCHAR = r"A-Za-z0-9_$\x80-\U0010FFFF"

_TOKEN_RE = re.compile(
    r"(?P<space>[ \t\n\f\r][ \t\n\v\f\r]*|\ufeff|--[^\n]*|/\*(?:[\s\S]*?\*/|[\s\S]+))"
    r"|(?P<word>[A-WYZa-wyz_\x80-\U0010FFFF][" + _IDCHAR + r"]*+)"
    r"|(?P<blob>[xX]'[^']*+'?)"
    r"|(?P<xword>[xX][" + _IDCHAR + r"]*+)"
    r"|(?P<hex>0[xX][0-9a-fA-F]++)"
    r"|(?P<number>(?>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)(?![" + _IDCHAR + r"]))"
    r"|(?P<badnumber>(?>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)[" + _IDCHAR + r"]+)"
    r"|(?P<op>->>|->|\|\||==|<=|<>|<<|>=|>>|!=|[-();,.+*/%&~|=<>])"
    r"|(?P<string>'(?>(?:[^']|'')*)')"
    r"|(?P<quoted>\"(?>(?:[^\"]|\"\")*)\"|`(?>(?:[^`]|``)*)`|\[[^\]]*\])"
    r"|(?P<qvar>\?\d*)"
    r"|(?P<var>[$@:#])"
    r"|(?P<unterminated>['\"`\[][\s\S]*)"
)

_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_IDCHAR_RE = re.compile("[" + _IDCHAR + "]")


class Token:
    """One token: ``kind`` (a keyword in upper case such as ``SELECT``, an
    operator name such as ``LP`` or ``CONCAT``, or one of ``ID``, ``STRING``,
    ``INTEGER``, ``FLOAT``, ``BLOB``, ``VARIABLE``, ``ILLEGAL``, ``EOF``),
    ``text`` (the exact source slice) and its ``start``/``end`` offsets."""

    __slots__ = ("kind", "text", "start", "end")

    def __init__(self, kind: str, text: str, start: int, end: int):
        self.kind = kind
        self.text = text
        self.start = start
        self.end = end

    def __repr__(self) -> str:
        return f"Token({self.kind!r}, {self.text!r}, {self.start}, {self.end})"

    def __eq__(self, other) -> bool:
        return (isinstance(other, Token) and self.kind == other.kind
                and self.text == other.text and self.start == other.start)

    def __hash__(self) -> int:
        return hash((self.kind, self.start))


def _variable_length(sql: str, start: int) -> tuple[int, bool]:
    """Length of a ``$name``/``@name``/``:name``/``#name`` parameter starting at
    ``start`` and whether it is well formed (tokenize.c, CC_VARALPHA)."""
    n = len(sql)
    i = start + 1
    named = 0
    ok = True
    while i < n:
        c = sql[i]
        if _IDCHAR_RE.match(c):
            named += 1
            i += 1
        elif c == "(" and named:
            i += 1
            while i < n and not sql[i].isspace() and sql[i] != ")":
                i += 1
            if i < n and sql[i] == ")":
                i += 1
            else:
                ok = False
            break
        elif c == ":" and i + 1 < n and sql[i + 1] == ":":
            i += 2
        else:
            break
    return i - start, ok and named > 0


def tokenize(sql: str) -> list[Token]:
    """Split ``sql`` into tokens, ending with an ``EOF`` token.

    A NUL character ends the input, as it ends a C string for SQLite."""
    nul = sql.find("\0")
    if nul >= 0:
        sql = sql[:nul]
    tokens: list[Token] = []
    append = tokens.append
    match = _TOKEN_RE.match
    keywords = KEYWORDS
    operators = _OPERATORS
    pos = 0
    n = len(sql)
    while pos < n:
        m = match(sql, pos)
        if m is None:
            append(Token(ILLEGAL, sql[pos], pos, pos + 1))
            pos += 1
            continue
        group = m.lastgroup
        end = m.end()
        text = m.group()
        if group == "space":
            pass
        elif group == "word" or group == "xword":
            upper = text.upper() if text.isascii() else None
            append(Token(upper if upper in keywords else ID, text, pos, end))
        elif group == "op":
            append(Token(operators[text], text, pos, end))
        elif group == "number":
            kind = FLOAT if ("." in text or "e" in text or "E" in text) else INTEGER
            append(Token(kind, text, pos, end))
        elif group == "string":
            append(Token(STRING, text, pos, end))
        elif group == "quoted":
            append(Token(ID, text, pos, end))
        elif group == "hex":
            append(Token(INTEGER, text, pos, end))
        elif group == "blob":
            digits = text[2:-1] if text.endswith("'") and len(text) > 2 else None
            if (digits is not None and len(digits) % 2 == 0
                    and all(c in _HEX_DIGITS for c in digits)):
                append(Token(BLOB, text, pos, end))
            else:
                # tokenize.c: the bad blob runs to the next quote, inclusive.
                i = pos + 2
                while i < n and sql[i] in _HEX_DIGITS:
                    i += 1
                if i < n and sql[i] == "'" and (i - pos) % 2 == 0:
                    i += 1
                else:
                    while i < n and sql[i] != "'":
                        i += 1
                    if i < n:
                        i += 1
                end = i
                append(Token(ILLEGAL, sql[pos:end], pos, end))
        elif group == "qvar":
            append(Token(VARIABLE, text, pos, end))
        elif group == "var":
            length, ok = _variable_length(sql, pos)
            end = pos + length
            append(Token(VARIABLE if ok else ILLEGAL, sql[pos:end], pos, end))
        elif group == "badnumber":
            append(Token(ILLEGAL, text, pos, end))
        else:  # unterminated quote or bracket: the rest of the input
            append(Token(ILLEGAL, text, pos, end))
        pos = end
    append(Token(EOF, "", n, n))
    _classify_window_keywords(tokens)
    return tokens


_ID_LIKE = frozenset({ID, STRING, "CROSS", "FULL", "INNER", "LEFT", "NATURAL",
                      "OUTER", "RIGHT", "WINDOW", "OVER"}) | FALLBACK_KEYWORDS


def _classify_window_keywords(tokens: list[Token]) -> None:
    """WINDOW, OVER and FILTER are keywords only in context (tokenize.c,
    analyzeWindowKeyword and friends); elsewhere they are identifiers."""
    for i, tok in enumerate(tokens):
        kind = tok.kind
        if kind == "WINDOW":
            if not (tokens[i + 1].kind in _ID_LIKE and i + 2 < len(tokens)
                    and tokens[i + 2].kind == "AS"):
                tok.kind = ID
        elif kind == "OVER":
            prev = tokens[i - 1].kind if i else None
            if not (prev == "RP" and (tokens[i + 1].kind == "LP"
                                      or tokens[i + 1].kind in _ID_LIKE)):
                tok.kind = ID
        elif kind == "FILTER":
            prev = tokens[i - 1].kind if i else None
            if not (prev == "RP" and tokens[i + 1].kind == "LP"):
                tok.kind = ID


def dequote(text: str) -> str:
    """SQLite's sqlite3Dequote(): if ``text`` starts with a quote character,
    the quoted part up to its closing quote, doubled quotes undoubled;
    otherwise ``text`` unchanged."""
    if not text or text[0] not in "'\"`[":
        return text
    quote = "]" if text[0] == "[" else text[0]
    if text[-1] == quote and text.find(quote, 1) == len(text) - 1:
        return text[1:-1]  # the usual case: one quoted word, no escapes
    out = []
    i = 1
    n = len(text)
    while i < n:
        c = text[i]
        if c == quote:
            if i + 1 < n and text[i + 1] == quote:
                out.append(quote)
                i += 2
                continue
            break
        out.append(c)
        i += 1
    return "".join(out)


# ---------------------------------------------------------------------------
# sqlite3_complete()
# ---------------------------------------------------------------------------

_SEMI, _WS, _OTHER, _EXPLAIN, _CREATE, _TEMP, _TRIGGER, _END = range(8)

# complete.c's state machine: rows are states, columns the token classes above.
_TRANSITIONS = (
    (1, 0, 2, 3, 4, 2, 2, 2),  # 0 INVALID
    (1, 1, 2, 3, 4, 2, 2, 2),  # 1 START
    (1, 2, 2, 2, 2, 2, 2, 2),  # 2 NORMAL
    (1, 3, 3, 2, 4, 2, 2, 2),  # 3 EXPLAIN
    (1, 4, 2, 2, 2, 4, 5, 2),  # 4 CREATE
    (6, 5, 5, 5, 5, 5, 5, 5),  # 5 TRIGGER
    (6, 6, 5, 5, 5, 5, 5, 7),  # 6 SEMI
    (1, 7, 5, 5, 5, 5, 5, 5),  # 7 END
)

_COMPLETE_WORDS = {"CREATE": _CREATE, "TRIGGER": _TRIGGER, "TEMP": _TEMP,
                   "TEMPORARY": _TEMP, "END": _END, "EXPLAIN": _EXPLAIN}
_IDRUN_RE = re.compile("[" + _IDCHAR + "]+")


def complete_statement(sql: str) -> bool:
    """True when ``sql`` ends with a complete statement, with the answers of
    ``sqlite3_complete()``: a semicolon that is not inside a string, comment,
    quoted name or the body of a CREATE TRIGGER ends a statement."""
    state = 0
    i = 0
    n = len(sql)
    while i < n:
        c = sql[i]
        if c == "\0":
            break
        if c == ";":
            token = _SEMI
        elif c in " \t\n\f\r":
            token = _WS
        elif c == "/":
            if i + 1 < n and sql[i + 1] == "*":
                close = sql.find("*/", i + 2)
                if close < 0:
                    return False
                i = close + 1
                token = _WS
            else:
                token = _OTHER
        elif c == "-":
            if i + 1 < n and sql[i + 1] == "-":
                nl = sql.find("\n", i)
                if nl < 0:
                    return state == 1
                i = nl
                token = _WS
            else:
                token = _OTHER
        elif c == "[":
            close = sql.find("]", i + 1)
            if close < 0:
                return False
            i = close
            token = _OTHER
        elif c in "`\"'":
            close = sql.find(c, i + 1)
            if close < 0:
                return False
            i = close
            token = _OTHER
        else:
            m = _IDRUN_RE.match(sql, i)
            if m:
                word = m.group()
                token = _COMPLETE_WORDS.get(word.upper(), _OTHER) if word.isascii() else _OTHER
                i = m.end() - 1
            else:
                token = _OTHER
        state = _TRANSITIONS[state][token]
        i += 1
    return state == 1
