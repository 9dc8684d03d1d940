"""The parser's token cursor, error reporting and limits (shared by the
parser_*.py mixins; the grammar itself is in those modules).

Errors are worded as sqlite3 3.40 words them (parse.y ``%syntax_error``,
tokenize.c, expr.c ``sqlite3ExprCheckHeight``).  Two limits are emulated:

* SQLite's LALR parser has a fixed stack of 100 entries; a statement that
  needs more fails with ``parser stack overflow``.  ``self.depth`` mirrors the
  height that stack would have: each grammar construct that nests adds the
  number of symbols SQLite's parser holds at that point (e.g. three for a
  function call, ``id LP distinct``; one for a parenthesis).
* Expression trees deeper than 1000 fail with ``Expression tree is too
  large (maximum depth 1000)``; heights are counted the way expr.c counts
  them, which is not always one per node of our tree.
"""

from __future__ import annotations

from engine.errors import SQLError
from engine.sql.tokenizer import EOF, FALLBACK_KEYWORDS, ILLEGAL, Token, TokenStream, dequote

MAX_PARSER_STACK = 99          # entries above the initial state (YYSTACKDEPTH 100)
MAX_EXPR_DEPTH = 1000          # SQLITE_MAX_EXPR_DEPTH
MAX_VARIABLE_NUMBER = 250000   # SQLITE_MAX_VARIABLE_NUMBER of Debian's build
MAX_FUNCTION_ARG = 127         # SQLITE_MAX_FUNCTION_ARG
MAX_COMPOUND_SELECT = 500      # SQLITE_MAX_COMPOUND_SELECT

JOIN_KEYWORDS = frozenset({"CROSS", "FULL", "INNER", "LEFT", "NATURAL", "OUTER", "RIGHT"})
LIKE_KEYWORDS = frozenset({"LIKE", "GLOB", "REGEXP"})
CTIME_KEYWORDS = frozenset({"CURRENT_TIME", "CURRENT_DATE", "CURRENT_TIMESTAMP"})

# parse.y's token classes: ``id`` is ID, INDEXED or a fallback keyword; ``nm``
# adds STRING and the join keywords; ``ids`` is ID, STRING or a fallback.
ID_KINDS = FALLBACK_KEYWORDS | {"ID", "INDEXED"}
NM_KINDS = ID_KINDS | JOIN_KEYWORDS | {"STRING"}
IDS_KINDS = FALLBACK_KEYWORDS | {"ID", "STRING"}

# A result-column or table alias written without AS: ``ids``, less the
# fallback keywords that mean something right after an expression.
ALIAS_KINDS = IDS_KINDS - {"LIKE", "GLOB", "REGEXP", "MATCH"}


class ParserBase:
    """Token cursor over a token list, with SQLite's error messages."""

    sql: str
    toks: list[Token]
    pos: int
    tok: Token
    # When a dict (ALTER TABLE's renames ask for it), the tokens that spelled
    # each name: ``{id(node): (node, tokens)}`` for Column nodes (name, then
    # table and schema qualifiers), ColumnDefs, tuples of names, the table
    # name of TableRefs, Inserts, Stars, CreateTables, CreateIndexes,
    # CreateTriggers and ForeignKeyClauses; the
    # SELECT * a parenthesized join is wrapped in is marked with no tokens.
    spans: dict | None = None

    def _init_cursor(self, stream: TokenStream) -> None:
        self.stream = stream
        self.sql = stream.sql
        stream.fill(0)
        self.toks = stream.tokens
        self.pos = 0
        self.tok = self.toks[0]
        self.depth = 0
        self.pending = None

    # An error that SQLite raises while reducing a rule is reported only if
    # the lookahead token that triggered the reduction is then accepted: when
    # that same token is a syntax error, the syntax error's message replaces
    # it (sqlite3ErrorMsg overwrites).  So such errors wait in
    # ``self.pending`` until the next token is consumed.

    def _defer(self, message: str) -> None:
        self.pending = message

    # -- cursor -----------------------------------------------------------

    def _next(self) -> Token:
        """Consume the current token and return it."""
        tok = self.tok
        if self.pending is not None:
            raise SQLError(self.pending)
        if tok.kind == EOF:
            return tok
        pos = self.pos = self.pos + 1
        if pos >= self.stream.available:
            self.stream.fill(pos)
        self.tok = self.toks[pos]
        return tok

    def _peek(self, ahead: int = 1) -> Token:
        i = self.pos + ahead
        if i >= self.stream.available:
            self.stream.fill(i)
        toks = self.toks
        return toks[i] if i < len(toks) else toks[-1]

    def _accept(self, kind: str) -> Token | None:
        if self.tok.kind == kind:
            return self._next()
        return None

    def _expect(self, kind: str) -> Token:
        if self.tok.kind != kind:
            self._error()
        return self._next()

    # -- errors -----------------------------------------------------------

    def _error(self, tok: Token | None = None):
        """Raise the syntax error sqlite3 reports at ``tok`` (default: the
        current token)."""
        tok = tok or self.tok
        if tok.kind == ILLEGAL:
            raise SQLError(f'unrecognized token: "{tok.text}"')
        if tok.kind == EOF:
            raise SQLError("incomplete input")
        raise SQLError(f'near "{tok.text}": syntax error')

    def _enter(self, n: int) -> None:
        """The emulated LALR stack grows by ``n`` symbols."""
        self.depth += n
        if self.depth > MAX_PARSER_STACK:
            raise SQLError("parser stack overflow")

    def _touch(self, n: int) -> None:
        """The emulated stack briefly reaches ``depth + n`` symbols."""
        if self.depth + n > MAX_PARSER_STACK:
            raise SQLError("parser stack overflow")

    def _height(self, h: int) -> int:
        if h > MAX_EXPR_DEPTH:
            self.pending = f"Expression tree is too large (maximum depth {MAX_EXPR_DEPTH})"
        return h

    # -- names ------------------------------------------------------------

    def _mark(self, node, *toks):
        """Record the tokens of ``node``'s names when ``spans`` is asked for."""
        if self.spans is not None:
            self.spans[id(node)] = (node, toks)
        return node

    def _remark(self, node, old):
        """``node`` (a copy of ``old``) with ``old``'s recorded tokens."""
        if self.spans is not None and id(old) in self.spans:
            self.spans[id(node)] = (node, self.spans[id(old)][1])
        return node

    def _nm(self) -> str:
        """``nm``: an identifier, a string or a join keyword, dequoted."""
        tok = self.tok
        if tok.kind not in NM_KINDS:
            self._error()
        self._next()
        return dequote(tok.text)

    def _id(self) -> str:
        """``id``: an identifier or a keyword that falls back to one."""
        tok = self.tok
        if tok.kind not in ID_KINDS:
            self._error()
        self._next()
        return dequote(tok.text)

    def _ids(self) -> str:
        """``ids``: an identifier or a string, dequoted."""
        tok = self.tok
        if tok.kind not in IDS_KINDS:
            self._error()
        self._next()
        return dequote(tok.text)

    def _qualified_name(self) -> tuple[str | None, str]:
        """``nm [DOT nm]`` as (schema, name)."""
        first = self._nm()
        if self.tok.kind == "DOT":
            self._next()
            return first, self._nm()
        return None, first

    def _span(self, start: int, end: int) -> str:
        return self.sql[start:end]

    def _text_before_current(self, start: int) -> str:
        """Source from ``start`` up to the current token, trimmed of
        whitespace (sqlite3DbSpanDup): what SQLite records for a span that
        ends where the next token begins, comments included."""
        return self.sql[start:self.tok.start].strip(" \t\n\v\f\r")
