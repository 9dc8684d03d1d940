"""The SQL parser: tokens to the syntax tree of ast.py (lang.html and the
lang_*.html pages it links; parse.y is the reference for every decision).

Recursive descent, one ``_parse_<rule>`` method per grammar rule of SQLite's
parse.y, spread over mixins by topic:

    parser_base.py    token cursor, error messages, parser limits
    parser_expr.py    expressions, window definitions, ORDER BY lists
    parser_select.py  SELECT, VALUES, WITH, FROM and joins
    parser_dml.py     INSERT, UPDATE, DELETE, upsert, RETURNING
    parser_ddl.py     CREATE, DROP, ALTER TABLE
    parser.py         statements, transactions, PRAGMA & co.; the public API

Public API::

    parse(sql) -> list[Statement]
    parse_statements(sql) -> Iterator[tuple[Statement, str]]   # lazily
    parse_expression(text) -> Expr

Errors are :class:`engine.errors.SQLError` with sqlite3's own message:
``near "X": syntax error``, ``incomplete input``, ``unrecognized token: "X"``,
``parser stack overflow``, ``Expression tree is too large (maximum depth
1000)`` and the checks SQLite's grammar actions make (join types, table
options, compound ORDER BY placement, ...).
"""

from __future__ import annotations

from collections.abc import Iterator

from engine.errors import SQLError
from engine.sql.ast import (
    AlterTable, Analyze, Attach, Begin, Column, Commit, CreateTable,
    CreateTrigger, CreateView, Detach, Explain, Literal, Pragma, Reindex,
    Release, Rollback, Savepoint, Vacuum,
)
from engine.sql.parser_base import NM_KINDS
from engine.sql.parser_ddl import DDLParser
from engine.sql.tokenizer import EOF, Token, TokenStream, dequote

__all__ = ["parse", "parse_statements", "parse_expression", "Parser"]

# Statements whose expressions SQLite does not compile when it runs them, so
# that a too-big hex literal inside them is not (yet) an error.
_NOT_COMPILED = (CreateTable, CreateView, CreateTrigger, AlterTable)


class Parser(DDLParser):
    """Parses the statements of one SQL text, one at a time."""

    def __init__(self, sql: str, schema: bool = False):
        self._init_cursor(TokenStream(sql))
        # Reading sqlite_schema, SQLite (db->init.busy) tolerates what older
        # versions wrote: COLLATE/ASC/DESC in name lists, trigger variables.
        self.schema_mode = schema

    def _reset_statement_state(self) -> None:
        self.depth = 0
        self.pending = None
        self.nvar = 0
        self.var_numbers = {}
        self.hex_errors = {}
        self.hex_nodes = []
        self.hex_min_literals = {}
        self.compile_errors = []
        self.param_seen = False
        self.int64_min_literal = None
        self.in_trigger = False
        self.last_select_height = 0
        self.last_list_height = 0
        self._fk_owner = None
        self._column_name = ""

    # -- statements ----------------------------------------------------------

    def statements(self) -> Iterator[tuple[object, str]]:
        """Yield (statement, source text) for each statement in turn; a
        statement is parsed only when the previous one has been yielded."""
        while True:
            while self.tok.kind == "SEMI":
                self._next()
            if self.tok.kind == EOF:
                return
            first = self.tok
            stmt = self.parse_one()
            last = self.toks[self.pos - 1]
            text = self.sql[first.start:last.end]
            if self.tok.kind == "SEMI":
                self._next()
            yield stmt, text

    def parse_one(self):
        """Parse the statement at the cursor, up to (not including) its
        terminating semicolon or the end of the input."""
        self._reset_statement_state()
        stmt = self._parse_ecmd()
        if self.tok.kind != "SEMI" and self.tok.kind != EOF:
            self._error()
        if self.pending is not None:
            raise SQLError(self.pending)
        self._raise_compile_errors(stmt)
        return stmt

    def _raise_compile_errors(self, stmt) -> None:
        """Errors SQLite finds only when it compiles the parsed statement."""
        if self.compile_errors:
            raise SQLError(self.compile_errors[0])
        if not self.hex_errors:
            return
        inner = stmt.statement if isinstance(stmt, Explain) else stmt
        if not isinstance(inner, _NOT_COMPILED):
            raise SQLError("hex literal too big: " + next(iter(self.hex_errors.values())))

    def _parse_ecmd(self):
        """``[EXPLAIN [QUERY PLAN]] cmd``"""
        if self.tok.kind == "EXPLAIN":
            self._next()
            query_plan = False
            if self.tok.kind == "QUERY":
                self._next()
                self._expect("PLAN")
                query_plan = True
            self._enter(1)
            stmt = self._parse_cmd()
            return Explain(stmt, query_plan)
        return self._parse_cmd()

    def _parse_cmd(self):
        kind = self.tok.kind
        if kind == "SELECT" or kind == "VALUES":
            return self._parse_select()
        if kind == "WITH":
            with_ = self._parse_with()
            kind = self.tok.kind
            if kind == "SELECT" or kind == "VALUES":
                base = 3 if with_.recursive else 2
                self._enter(base)
                select = self._parse_selectnowith(with_)
                self.depth -= base
                return select
            self._enter(1)
            if kind == "INSERT" or kind == "REPLACE":
                return self._parse_insert(with_)
            if kind == "UPDATE":
                return self._parse_update(with_)
            if kind == "DELETE":
                return self._parse_delete(with_)
            self._error()
        handler = _COMMANDS.get(kind)
        if handler is None:
            self._error()
        if kind in ("INSERT", "REPLACE", "UPDATE", "DELETE"):
            self._enter(1)  # the empty "with" SQLite reduces first
        return handler(self)

    def _parse_dml(self):
        kind = self.tok.kind
        if kind == "UPDATE":
            return self._parse_update(None)
        if kind == "DELETE":
            return self._parse_delete(None)
        return self._parse_insert(None)

    # -- transactions ----------------------------------------------------------

    def _parse_trans_opt(self) -> None:
        """``[TRANSACTION [name]]``"""
        if self.tok.kind == "TRANSACTION":
            self._next()
            if self.tok.kind in NM_KINDS:
                self._next()

    def _parse_begin(self) -> Begin:
        self._next()
        mode = "DEFERRED"
        if self.tok.kind in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE"):
            mode = self._next().kind
        self._parse_trans_opt()
        return Begin(mode)

    def _parse_commit(self) -> Commit:
        self._next()
        self._parse_trans_opt()
        return Commit()

    def _parse_rollback(self) -> Rollback:
        self._next()
        self._parse_trans_opt()
        savepoint = None
        if self.tok.kind == "TO":
            self._next()
            self._accept("SAVEPOINT")
            savepoint = self._nm()
        return Rollback(savepoint)

    def _parse_savepoint(self) -> Savepoint:
        self._next()
        return Savepoint(self._nm())

    def _parse_release(self) -> Release:
        self._next()
        self._accept("SAVEPOINT")
        return Release(self._nm())

    # -- everything else -------------------------------------------------------

    def _parse_pragma(self) -> Pragma:
        self._next()
        schema, name = self._qualified_name()
        value = None
        if self.tok.kind == "EQ":
            self._next()
            value = self._parse_pragma_value()
        elif self.tok.kind == "LP":
            self._next()
            value = self._parse_pragma_value()
            self._expect("RP")
        return Pragma(name, schema, value)

    def _parse_pragma_value(self):
        """``nmnum`` or ``minus_num``: a number, a name, ON, DELETE or DEFAULT."""
        tok = self.tok
        kind = tok.kind
        if kind == "PLUS" or kind == "MINUS":
            self._next()
            number = self.tok
            if number.kind not in ("INTEGER", "FLOAT"):
                self._error()
            self._next()
            literal = self._number(number)
            if kind == "PLUS":
                return literal
            if literal is self.int64_min_literal:
                return Literal(-(1 << 63))
            return Literal(-literal.value)
        if kind in ("INTEGER", "FLOAT"):
            self._next()
            return self._number(tok)
        if kind == "STRING":
            self._next()
            return Literal(dequote(tok.text))
        if kind in NM_KINDS or kind in ("ON", "DELETE", "DEFAULT"):
            self._next()
            return Column(dequote(tok.text), quoted=tok.text[0] == '"')
        self._error()

    def _number(self, tok: Token) -> Literal:
        if tok.kind == "INTEGER":
            return self._integer(tok)
        return Literal(float(tok.text))

    def _parse_vacuum(self) -> Vacuum:
        self._next()
        schema = None
        if self.tok.kind in NM_KINDS:
            schema = self._nm()
        into = None
        if self.tok.kind == "INTO":
            self._next()
            into = self._expr_at(2)[0]
        return Vacuum(schema, into)

    def _parse_reindex_or_analyze(self):
        node = Reindex if self._next().kind == "REINDEX" else Analyze
        if self.tok.kind not in NM_KINDS:
            return node()
        first = self._nm()
        if self.tok.kind == "DOT":
            self._next()
            return node(self._nm(), first)
        return node(first)

    def _parse_attach(self) -> Attach:
        self._next()
        self._accept("DATABASE")
        path = self._expr_at(2)[0]
        self._expect("AS")
        schema = self._expr_at(4)[0]
        if self.tok.kind == "KEY":
            self._next()
            self._expr_at(6)
        return Attach(path, schema)

    def _parse_detach(self) -> Detach:
        self._next()
        self._accept("DATABASE")
        expr = self._expr_at(2)[0]
        if isinstance(expr, Column):
            name = expr.name
        elif isinstance(expr, Literal):
            name = "" if expr.value is None else str(expr.value)
        else:
            name = ""
        return Detach(name)


_COMMANDS = {
    "INSERT": Parser._parse_dml, "REPLACE": Parser._parse_dml,
    "UPDATE": Parser._parse_dml, "DELETE": Parser._parse_dml,
    "CREATE": Parser._parse_create, "DROP": Parser._parse_drop,
    "ALTER": Parser._parse_alter,
    "BEGIN": Parser._parse_begin, "COMMIT": Parser._parse_commit,
    "END": Parser._parse_commit, "ROLLBACK": Parser._parse_rollback,
    "SAVEPOINT": Parser._parse_savepoint, "RELEASE": Parser._parse_release,
    "PRAGMA": Parser._parse_pragma, "VACUUM": Parser._parse_vacuum,
    "REINDEX": Parser._parse_reindex_or_analyze, "ANALYZE": Parser._parse_reindex_or_analyze,
    "ATTACH": Parser._parse_attach, "DETACH": Parser._parse_detach,
}


def parse_statements(sql: str, *, schema: bool = False) -> Iterator[tuple[object, str]]:
    """Each statement of ``sql`` with its own source text (from its first
    token to its last, without the semicolon), parsed lazily: an error in a
    later statement is raised only once the earlier ones have been yielded.
    Empty statements (stray semicolons) are skipped.  ``schema=True`` parses
    text read from sqlite_schema with SQLite's leniency for it."""
    return Parser(sql, schema).statements()


def parse(sql: str, *, schema: bool = False) -> list:
    """All statements of ``sql``."""
    return [stmt for stmt, _ in parse_statements(sql, schema=schema)]


def parse_expression(text: str):
    """A single expression, e.g. a column's default value."""
    parser = Parser(text)
    parser._reset_statement_state()
    expr = parser._parse_expr()
    if parser.tok.kind != EOF:
        parser._error()
    if parser.pending is not None:
        raise SQLError(parser.pending)
    if parser.compile_errors:
        raise SQLError(parser.compile_errors[0])
    if parser.hex_errors:
        raise SQLError("hex literal too big: " + next(iter(parser.hex_errors.values())))
    return expr
