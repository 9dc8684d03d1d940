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
:class:`TokenStream` scans on demand, so the parser stops at the first error
of a long text without scanning the rest; :func:`tokenize` scans it all.
"""

from __future__ import annotations

import re
from itertools import islice

__all__ = [
    "Token", "TokenStream", "tokenize", "complete_statement", "KEYWORDS",
    "FALLBACK_KEYWORDS", "dequote",
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
_NUMBER = r"(?>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)"

# Each match is (skipped whitespace and comments, one token).  Where
# tokenize.c gives a malformed token a particular extent, the pattern
# reproduces it: a bad number swallows the identifier characters after it, a
# bad blob runs to its closing quote, an unterminated quote to the end of the
# input.  The token is classified afterwards by its first character.
_TOKEN_RE = re.compile(
    r"((?:[ \t\n\f\r][ \t\n\v\f\r]*+|--[^\n]*|/\*(?:[\s\S]*?\*/|[\s\S]+)|\ufeff)*+)"
    r"([A-WYZa-wyz_\x80-\U0010FFFF][" + _IDCHAR + r"]*+"
    r"|[(),;*+]|==|=|->>|->|-|\|\||\||<=|<>|<<|<|>=|>>|>|!=|\.(?!\d)|[/%&~]"
    r"|0[xX][0-9a-fA-F]++"
    r"|" + _NUMBER + r"[" + _IDCHAR + r"]*+"
    r"|'(?>(?:[^']|'')*)'"
    r"|\"(?>(?:[^\"]|\"\")*)\"|`(?>(?:[^`]|``)*)`|\[[^\]]*\]"
    r"|[xX]'[^']*'?"
    r"|[xX][" + _IDCHAR + r"]*+"
    r"|\?\d*|[$@:#](?:::)*[" + _IDCHAR + r"](?:[" + _IDCHAR + r"]|::)*(?:\([^\s)]*\)?)?"
    r"|['\"`\[][\s\S]*"
    r"|[$@:#](?:::)*|[\s\S]|)"  # empty only at the end of the input
)
_GOOD_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`(?:[^`]|``)*`|\[[^\]]*\]")
_GOOD_HEX = re.compile(r"0[xX][0-9a-fA-F]+")
_GOOD_NUMBER = re.compile(_NUMBER)
_GOOD_BLOB = re.compile(r"[xX]'(?:[0-9a-fA-F][0-9a-fA-F])*'")

# What a token is, by its first character.
_WORD, _OP, _NUM, _QUOTE, _VAR, _OTHER = range(6)
_FIRST = {c: _WORD for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_"}
_FIRST.update({c: _OP for c in "(),;*+=-|<>!/%&~"})
_FIRST.update({c: _NUM for c in "0123456789."})
_FIRST.update({c: _QUOTE for c in "'\"`["})
_FIRST.update({c: _VAR for c in "?$@:#"})


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


_WINDOW_WORDS = frozenset({"WINDOW", "OVER", "FILTER"})


def _scan(sql: str):
    """Yield the tokens of ``sql`` (WINDOW, OVER and FILTER not yet
    classified), then an EOF token."""
    keywords = KEYWORDS
    operators = _OPERATORS
    first_class = _FIRST
    for m in _TOKEN_RE.finditer(sql):
        text = m.group(2)
        if not text:
            break
        end = m.end(2)
        cls = first_class.get(text[0], _OTHER)
        if cls == _WORD or (cls == _OTHER and text[0] >= "\x80"):
            if text[0] in "xX" and len(text) > 1 and text[1] == "'":
                kind = BLOB if _GOOD_BLOB.fullmatch(text) else ILLEGAL
            else:
                kind = text.upper() if text.isascii() else ID
                if kind not in keywords:
                    kind = ID
        elif cls == _OP:
            kind = operators.get(text, ILLEGAL)
        elif cls == _NUM:
            if text == ".":
                kind = "DOT"
            elif len(text) > 1 and text[1] in "xX" and text[0] == "0":
                kind = INTEGER if _GOOD_HEX.fullmatch(text) else ILLEGAL
            elif _GOOD_NUMBER.fullmatch(text):
                kind = FLOAT if ("." in text or "e" in text or "E" in text) else INTEGER
            else:
                kind = ILLEGAL
        elif cls == _QUOTE:
            if _GOOD_QUOTED.fullmatch(text):
                kind = STRING if text[0] == "'" else ID
            else:
                kind = ILLEGAL
        elif cls == _VAR:
            if text[0] == "?":
                kind = VARIABLE
            elif text[1:].strip(":") == "":
                kind = ILLEGAL  # no name after the prefix
            elif "(" in text and text[-1] != ")":
                kind = ILLEGAL  # "$name(..." without its closing parenthesis
            else:
                kind = VARIABLE
        else:
            kind = ILLEGAL
        yield Token(kind, text, end - len(text), end)
    n = len(sql)
    yield Token(EOF, "", n, n)


class TokenStream:
    """Tokens produced on demand, as SQLite's parser pulls them one at a
    time: an error early in a long text is found without scanning the rest.
    ``tokens`` grows as ``fill()`` is called; ``available`` tokens of it are
    final (WINDOW, OVER and FILTER need two tokens of context)."""

    BATCH = 128

    def __init__(self, sql: str):
        nul = sql.find("\0")
        if nul >= 0:
            sql = sql[:nul]  # a NUL ends the input, as it ends a C string
        self.sql = sql
        self.tokens: list[Token] = []
        self.available = 0
        self._scanner = _scan(sql)
        self._done = False

    def fill(self, index: int) -> None:
        """Make ``tokens[index]`` final if the input has that many tokens."""
        tokens = self.tokens
        while not self._done and len(tokens) <= index + 2:
            before = len(tokens)
            tokens.extend(islice(self._scanner, self.BATCH))
            if len(tokens) - before < self.BATCH or tokens[-1].kind == EOF:
                self._done = True
        end = len(tokens) if self._done else len(tokens) - 2
        for i in range(self.available, end):
            if tokens[i].kind in _WINDOW_WORDS:
                _classify_window_keyword(tokens, i)
        if end > self.available:
            self.available = end


def tokenize(sql: str) -> list[Token]:
    """All tokens of ``sql``, ending with an ``EOF`` token.  A NUL character
    ends the input, as it ends a C string for SQLite."""
    stream = TokenStream(sql)
    stream.fill(1 << 62)
    return stream.tokens


_ID_LIKE = frozenset({ID, STRING, "CROSS", "FULL", "INNER", "LEFT", "NATURAL",
                      "OUTER", "RIGHT", "WINDOW", "OVER"}) | FALLBACK_KEYWORDS


def _classify_window_keyword(tokens: list[Token], i: int) -> None:
    """WINDOW, OVER and FILTER are keywords only in context (tokenize.c,
    analyzeWindowKeyword and friends); elsewhere they are identifiers.
    ``tokens[i + 1]`` and ``tokens[i + 2]`` are still as scanned."""
    tok = tokens[i]
    kind = tok.kind
    after = tokens[i + 1].kind if i + 1 < len(tokens) else EOF
    if kind == "WINDOW":
        if not (after in _ID_LIKE and i + 2 < len(tokens) and tokens[i + 2].kind == "AS"):
            tok.kind = ID
    elif kind == "OVER":
        if not ((tokens[i - 1].kind if i else None) == "RP" and (after == "LP" or after in _ID_LIKE)):
            tok.kind = ID
    elif not ((tokens[i - 1].kind if i else None) == "RP" and after == "LP"):  # FILTER
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
