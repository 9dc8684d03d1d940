"""Schema statements: CREATE TABLE/INDEX/VIEW/TRIGGER, DROP and ALTER TABLE
(lang_createtable.html, lang_createindex.html, lang_createview.html,
lang_createtrigger.html, lang_droptable.html, lang_altertable.html).

The ``sql`` text of each CREATE is what sqlite3 stores in sqlite_schema,
reproduced with SQLite's own quirks: CREATE TABLE keeps the text from the
table name to the closing parenthesis, or, when table options follow, up to
the statement's end (trailing spaces and comments included); CREATE INDEX
always runs to the statement's end; CREATE VIEW to the end with trailing
whitespace removed; CREATE TRIGGER to its END.
"""

from __future__ import annotations

import dataclasses

from engine.errors import SQLError
from engine.sql.ast import (
    AddColumn, AlterTable, CheckConstraint, CollateConstraint, ColumnDef,
    CreateIndex, CreateTable, CreateTrigger, CreateView, CurrentTime,
    DefaultConstraint, Drop, DropColumn, ForeignKeyClause, ForeignKeyConstraint,
    GeneratedConstraint, Literal, NotNullConstraint, PrimaryKeyConstraint,
    RenameColumn, RenameTable, Unary, UniqueConstraint,
)
from engine.sql.parser_base import CTIME_KEYWORDS, ID_KINDS, NM_KINDS
from engine.sql.parser_dml import DMLParser
from engine.sql.tokenizer import dequote

_WHITESPACE = " \t\n\v\f\r"
_TERM_KINDS = frozenset({"NULL", "FLOAT", "BLOB", "STRING", "INTEGER"}) | CTIME_KEYWORDS
_TABLE_CONSTRAINT_START = frozenset({"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"})


def _strip_generated_always(type_text: str) -> str:
    """sqlite3AddColumn(): "GENERATED ALWAYS" falls back to identifiers and
    so lands at the end of the type name; SQLite cuts it off again."""
    n = len(type_text)
    if n >= 16 and type_text[n - 6:].lower() == "always":
        n -= 6
        while n > 0 and type_text[n - 1] in _WHITESPACE:
            n -= 1
        if n >= 9 and type_text[n - 9:n].lower() == "generated":
            n -= 9
            while n > 0 and type_text[n - 1] in _WHITESPACE:
                n -= 1
    return type_text[:n]


class DDLParser(DMLParser):
    """Mixin: schema statements."""

    def _parse_ifnotexists(self) -> bool:
        if self.tok.kind == "IF":
            self._next()
            self._expect("NOT")
            self._expect("EXISTS")
            return True
        return False

    def _parse_ifexists(self) -> bool:
        if self.tok.kind == "IF":
            self._next()
            self._expect("EXISTS")
            return True
        return False

    def _parse_create(self):
        self._next()  # CREATE
        temporary = False
        if self.tok.kind in ("TEMP", "TEMPORARY"):
            self._next()
            temporary = True
        kind = self.tok.kind
        if kind == "TABLE":
            return self._parse_create_table(temporary)
        if kind == "VIEW":
            return self._parse_create_view(temporary)
        if kind == "TRIGGER":
            return self._parse_create_trigger(temporary)
        if not temporary:
            if kind == "UNIQUE" or kind == "INDEX":
                return self._parse_create_index()
            if kind == "VIRTUAL":
                return self._parse_create_virtual_table()
        self._error()

    # -- CREATE TABLE --------------------------------------------------------

    def _parse_create_table(self, temporary: bool) -> CreateTable:
        self._next()
        if_not_exists = self._parse_ifnotexists()
        schema, name = self._qualified_name()
        name_tok = self.toks[self.pos - 1]
        name_start = name_tok.start
        if self.tok.kind == "AS":
            self._next()
            self._enter(3)
            select = self._parse_select()
            self.depth -= 3
            sql = "CREATE TABLE " + self.sql[name_start:self.toks[self.pos - 1].end]
            return CreateTable(name, schema=schema, temporary=temporary,
                               if_not_exists=if_not_exists, as_select=select, sql=sql)
        self._expect("LP")
        self._fk_owner = None
        columns: list[ColumnDef] = []
        constraints: list = []
        while True:
            columns.append(self._parse_column_def())
            if not self._accept("COMMA"):
                break
            if self.tok.kind in _TABLE_CONSTRAINT_START:
                constraints = self._parse_table_constraints(columns)
                break
        end = self._expect("RP").end
        # table_option_set: options separated by commas; the first may be
        # missing (SQLite's grammar accepts "CREATE TABLE t(a), STRICT").
        options = set()
        if self.tok.kind in NM_KINDS:
            options.add(self._parse_table_option())
        while self._accept("COMMA"):
            options.add(self._parse_table_option())
        without_rowid = "WITHOUT ROWID" in options
        strict = "STRICT" in options
        if without_rowid or strict:
            # With options SQLite keeps everything up to the terminating token.
            end = self.tok.start
        sql = "CREATE TABLE " + self.sql[name_start:end]
        return self._mark(CreateTable(name, tuple(columns), tuple(constraints), schema, temporary,
                                      if_not_exists, without_rowid, strict, None, sql), name_tok)

    def _parse_table_option(self) -> str | None:
        """``WITHOUT ROWID`` or ``STRICT``; anything else is an error."""
        if self.tok.kind == "WITHOUT":
            self._next()
            tok = self.tok
            self._nm()
            if tok.text.lower() == "rowid":
                return "WITHOUT ROWID"
        else:
            tok = self.tok
            self._nm()
            if tok.text.lower() == "strict":
                return "STRICT"
        self._defer(f"unknown table option: {tok.text}")
        return None

    def _parse_column_def(self) -> ColumnDef:
        """``columnname carglist``: name, type, column constraints."""
        name_tok = self.tok
        name = self._nm()
        self._column_name = name
        type_name = self._parse_typetoken()
        if type_name is not None:
            type_name = _strip_generated_always(type_name)
            type_name = dequote(type_name) if type_name else None
        constraints = self._parse_carglist()
        return self._mark(ColumnDef(name, type_name, constraints), name_tok)

    def _parse_onconf(self) -> str | None:
        if self.tok.kind == "ON":
            self._next()
            self._expect("CONFLICT")
            return self._parse_resolvetype()
        return None

    def _parse_carglist(self) -> tuple:
        """Column constraints.  A ``CONSTRAINT name`` names every constraint
        after it in the same column, as SQLite's parser state does."""
        constraints: list = []
        name = None
        while True:
            kind = self.tok.kind
            if kind == "CONSTRAINT":
                self._next()
                name = self._nm()
            elif kind == "DEFAULT":
                constraints.append(self._parse_default(name))
            elif kind == "NULL":
                self._next()
                self._parse_onconf()  # accepted and ignored, as SQLite does
            elif kind == "NOT":
                self._next()
                if self.tok.kind == "NULL":
                    self._next()
                    constraints.append(NotNullConstraint(name, self._parse_onconf()))
                else:
                    self._expect("DEFERRABLE")
                    self._parse_init_deferred()
                    self._set_deferred(constraints, False)
            elif kind == "PRIMARY":
                self._next()
                self._expect("KEY")
                desc = False
                if self.tok.kind == "ASC":
                    self._next()
                elif self.tok.kind == "DESC":
                    self._next()
                    desc = True
                conflict = self._parse_onconf()
                autoincrement = self._accept("AUTOINCREMENT") is not None
                constraints.append(PrimaryKeyConstraint(name, (), desc, conflict, autoincrement))
            elif kind == "UNIQUE":
                self._next()
                constraints.append(UniqueConstraint(name, (), self._parse_onconf()))
            elif kind == "CHECK":
                self._next()
                open_tok = self._expect("LP")
                expr = self._expr_at(6)[0]
                close = self._expect("RP")
                text = self.sql[open_tok.end:close.start].strip(_WHITESPACE)
                constraints.append(CheckConstraint(expr, name, text))
            elif kind == "REFERENCES":
                clause = self._parse_references()
                constraints.append(ForeignKeyConstraint(clause, name))
                self._fk_owner = constraints
            elif kind == "DEFERRABLE":
                self._next()
                self._set_deferred(constraints, self._parse_init_deferred())
            elif kind == "COLLATE":
                self._next()
                constraints.append(CollateConstraint(self._ids(), name))
            elif kind == "GENERATED" or kind == "AS":
                if kind == "GENERATED":
                    self._next()
                    self._expect("ALWAYS")
                self._expect("AS")
                self._expect("LP")
                expr = self._expr_at(7)[0]
                self._expect("RP")
                stored = False
                if self.tok.kind in ID_KINDS and self.tok.kind != "INDEXED":
                    word = self._next().text
                    if word.lower() == "stored":
                        stored = True
                    elif word.lower() != "virtual":
                        self._defer(f'error in generated column "{self._column_name}"')
                constraints.append(GeneratedConstraint(expr, stored, name))
            else:
                return tuple(constraints)

    def _parse_default(self, name):
        """``DEFAULT`` value: a literal, a signed number, ``(expr)``, a
        CURRENT_* keyword or a bare identifier (taken as a string)."""
        self._next()
        tok = self.tok
        kind = tok.kind
        if kind == "LP":
            self._next()
            expr = self._expr_at(4)[0]
            close = self._expect("RP")
            text = self.sql[tok.end:close.start].strip(_WHITESPACE)
            return DefaultConstraint(expr, name, text)
        if kind == "PLUS" or kind == "MINUS":
            self._next()
            term_tok = self.tok
            expr = self._default_term()
            text = self.sql[tok.start:term_tok.end]
            if kind == "MINUS":
                if expr is self.int64_min_literal:
                    expr = Literal(-(1 << 63))
                else:
                    expr = Unary("-", expr)
            return DefaultConstraint(expr, name, text)
        if kind in _TERM_KINDS:
            return DefaultConstraint(self._default_term(), name, tok.text)
        if kind in ID_KINDS:
            self._next()
            word = dequote(tok.text)
            if tok.text[0] not in "\"'`[" and word.lower() in ("true", "false"):
                expr = Literal(1 if word.lower() == "true" else 0)
            else:
                expr = Literal(word)
            return DefaultConstraint(expr, name, tok.text)
        self._error()

    def _default_term(self):
        """``term``: one literal token or CURRENT_TIME/DATE/TIMESTAMP."""
        tok = self.tok
        kind = tok.kind
        if kind not in _TERM_KINDS:
            self._error()
        self._next()
        if kind == "INTEGER":
            return self._integer(tok)
        if kind == "FLOAT":
            return Literal(float(tok.text))
        if kind == "STRING":
            return Literal(dequote(tok.text))
        if kind == "BLOB":
            return Literal(bytes.fromhex(tok.text[2:-1]))
        if kind == "NULL":
            return Literal(None)
        return CurrentTime(kind)

    def _parse_init_deferred(self) -> bool:
        """``[INITIALLY DEFERRED | INITIALLY IMMEDIATE]``: True when deferred."""
        if self.tok.kind == "INITIALLY":
            self._next()
            if self.tok.kind == "DEFERRED":
                self._next()
                return True
            self._expect("IMMEDIATE")
        return False

    def _set_deferred(self, constraints: list, deferred: bool) -> None:
        """sqlite3DeferForeignKey(): applies to the table's latest foreign key."""
        owner = self._fk_owner
        if owner is None:
            return
        for i in range(len(owner) - 1, -1, -1):
            item = owner[i]
            if isinstance(item, ForeignKeyConstraint):
                clause = self._remark(dataclasses.replace(item.clause, deferred=deferred), item.clause)
                owner[i] = dataclasses.replace(item, clause=clause)
                return

    def _parse_references(self) -> ForeignKeyClause:
        """``REFERENCES table [(columns)] refargs``."""
        self._expect("REFERENCES")
        table_tok = self.tok
        table = self._nm()
        columns: tuple = ()
        if self.tok.kind == "LP":
            columns = self._parse_eidlist()
        actions: dict[str, str] = {}
        while True:
            kind = self.tok.kind
            if kind == "MATCH":
                self._next()
                self._nm()
            elif kind == "ON":
                self._next()
                event = self.tok.kind
                if event not in ("INSERT", "DELETE", "UPDATE"):
                    self._error()
                self._next()
                action = self._parse_refact()
                if event != "INSERT":
                    actions[event] = action
            else:
                break
        return self._mark(ForeignKeyClause(table, columns, tuple(actions.items())), table_tok)

    def _parse_refact(self) -> str:
        kind = self.tok.kind
        if kind == "SET":
            self._next()
            if self.tok.kind == "NULL":
                self._next()
                return "SET NULL"
            self._expect("DEFAULT")
            return "SET DEFAULT"
        if kind in ("CASCADE", "RESTRICT"):
            return self._next().kind
        if kind == "NO":
            self._next()
            self._expect("ACTION")
            return "NO ACTION"
        self._error()

    def _parse_table_constraints(self, columns) -> list:
        """``conslist``: table constraints, separated by commas or nothing."""
        constraints: list = []
        self._fk_owner = constraints
        name = None
        while True:
            kind = self.tok.kind
            if kind == "CONSTRAINT":
                self._next()
                name = self._nm()
            elif kind == "PRIMARY":
                self._next()
                self._expect("KEY")
                self._expect("LP")
                terms = self._parse_sortlist(6, 8)
                autoincrement = self._accept("AUTOINCREMENT") is not None
                self._expect("RP")
                indexed = self._indexed_columns(terms)
                constraints.append(PrimaryKeyConstraint(
                    name, indexed, False, self._parse_onconf(), autoincrement))
            elif kind == "UNIQUE":
                self._next()
                self._expect("LP")
                indexed = self._indexed_columns(self._parse_sortlist(6, 8))
                self._expect("RP")
                constraints.append(UniqueConstraint(name, indexed, self._parse_onconf()))
            elif kind == "CHECK":
                self._next()
                open_tok = self._expect("LP")
                expr = self._expr_at(6)[0]
                close = self._expect("RP")
                text = self.sql[open_tok.end:close.start].strip(_WHITESPACE)
                self._parse_onconf()
                constraints.append(CheckConstraint(expr, name, text))
            elif kind == "FOREIGN":
                self._next()
                self._expect("KEY")
                names = self._parse_eidlist()
                clause = self._parse_references()
                if self.tok.kind == "DEFERRABLE":
                    self._next()
                    clause = self._remark(dataclasses.replace(clause, deferred=self._parse_init_deferred()), clause)
                elif self.tok.kind == "NOT" and self._peek().kind == "DEFERRABLE":
                    self._next()
                    self._next()
                    self._parse_init_deferred()
                constraints.append(ForeignKeyConstraint(clause, name, names))
            else:
                self._error()
            if self._accept("COMMA"):
                name = None
                if self.tok.kind not in _TABLE_CONSTRAINT_START:
                    self._error()
            elif self.tok.kind not in _TABLE_CONSTRAINT_START:
                return constraints

    # -- CREATE INDEX / VIEW / TRIGGER / VIRTUAL TABLE ------------------------

    def _parse_create_index(self) -> CreateIndex:
        unique = self._accept("UNIQUE") is not None
        self._expect("INDEX")
        if_not_exists = self._parse_ifnotexists()
        schema, name = self._qualified_name()
        name_start = self.toks[self.pos - 1].start
        self._expect("ON")
        table_tok = self.tok
        table = self._nm()
        self._expect("LP")
        columns = self._indexed_columns(self._parse_sortlist(9, 11))
        self._expect("RP")
        where = None
        if self.tok.kind == "WHERE":
            self._next()
            where = self._expr_at(11)[0]
        prefix = "CREATE UNIQUE INDEX " if unique else "CREATE INDEX "
        sql = prefix + self.sql[name_start:self.tok.start]
        return self._mark(CreateIndex(name, table, columns, schema, unique, if_not_exists, where, sql), table_tok)

    def _parse_create_view(self, temporary: bool) -> CreateView:
        self._next()
        if_not_exists = self._parse_ifnotexists()
        schema, name = self._qualified_name()
        name_start = self.toks[self.pos - 1].start
        columns = None
        if self.tok.kind == "LP":
            columns = self._parse_eidlist()
        self._expect("AS")
        self._enter(8)
        select = self._parse_select()
        self.depth -= 8
        if self.param_seen:
            self._defer("parameters are not allowed in views")
        sql = "CREATE VIEW " + self.sql[name_start:self.tok.start].rstrip(_WHITESPACE)
        return CreateView(name, select, schema, columns, temporary, if_not_exists, sql)

    def _parse_create_trigger(self, temporary: bool) -> CreateTrigger:
        self._next()
        if_not_exists = self._parse_ifnotexists()
        schema, name = self._qualified_name()
        name_start = self.toks[self.pos - 1].start
        kind = self.tok.kind
        timing = "BEFORE"
        if kind in ("BEFORE", "AFTER"):
            timing = self._next().kind
        elif kind == "INSTEAD":
            self._next()
            self._expect("OF")
            timing = "INSTEAD OF"
        event = self.tok.kind
        if event not in ("DELETE", "INSERT", "UPDATE"):
            self._error()
        self._next()
        update_columns: tuple = ()
        if event == "UPDATE" and self.tok.kind == "OF":
            self._next()
            toks = [self.tok]
            names = [self._nm()]
            while self._accept("COMMA"):
                toks.append(self.tok)
                names.append(self._nm())
            update_columns = self._mark(tuple(names), *toks)
        self._expect("ON")
        _table_schema, table = self._qualified_name()
        table_tok = self.toks[self.pos - 1]
        for_each_row = False
        if self.tok.kind == "FOR":
            self._next()
            self._expect("EACH")
            self._expect("ROW")
            for_each_row = True
        when = None
        if self.tok.kind == "WHEN":
            self._next()
            when = self._expr_at(13)[0]
        self._expect("BEGIN")
        body = []
        self.in_trigger = True
        try:
            while True:
                body.append(self._parse_trigger_cmd())
                self._expect("SEMI")
                if self.tok.kind == "END":
                    break
        finally:
            self.in_trigger = False
        end = self._next().end
        if self.param_seen and not self.schema_mode:
            self._defer("trigger cannot use variables")
        sql = "CREATE TRIGGER " + self.sql[name_start:end]
        trigger = CreateTrigger(name, table, timing, event, tuple(body), update_columns, schema,
                                temporary, if_not_exists, for_each_row, when, sql)
        return self._mark(trigger, table_tok)

    def _parse_trigger_cmd(self):
        kind = self.tok.kind
        self._enter(4)
        try:
            if kind == "UPDATE":
                return self._parse_update(None)
            if kind == "INSERT" or kind == "REPLACE":
                return self._parse_insert(None)
            if kind == "DELETE":
                return self._parse_delete(None)
            if kind in ("SELECT", "VALUES", "WITH"):
                return self._parse_select()
            self._error()
        finally:
            self.depth -= 4

    def _parse_create_virtual_table(self):
        """CREATE VIRTUAL TABLE parses, but this engine has no modules."""
        self._next()
        self._expect("TABLE")
        self._parse_ifnotexists()
        self._qualified_name()
        self._expect("USING")
        module = self._nm()
        if self.tok.kind == "LP":
            self._next()
            nesting = 1
            while nesting:
                kind = self.tok.kind
                if kind == "EOF":
                    self._error()
                if kind == "LP":
                    nesting += 1
                elif kind == "RP":
                    nesting -= 1
                if kind == "ILLEGAL":
                    self._error()
                self._next()
        if self.tok.kind not in ("SEMI", "EOF"):
            self._error()
        raise SQLError(f"no such module: {module}")

    # -- DROP and ALTER ------------------------------------------------------

    def _parse_drop(self) -> Drop:
        self._next()
        kind = self.tok.kind
        if kind not in ("TABLE", "VIEW", "INDEX", "TRIGGER"):
            self._error()
        self._next()
        if_exists = self._parse_ifexists()
        schema, name = self._qualified_name()
        return Drop(kind, name, schema, if_exists)

    def _parse_alter(self) -> AlterTable:
        self._next()
        self._expect("TABLE")
        schema, table = self._qualified_name()
        kind = self.tok.kind
        if kind == "RENAME":
            self._next()
            if self.tok.kind == "TO":
                self._next()
                action = RenameTable(self._nm())
            else:
                self._accept("COLUMN")
                old = self._nm()
                self._expect("TO")
                quoted = self.tok.text[:1] in ('"', "'", "[", "`")
                action = RenameColumn(old, self._nm(), quoted)
        elif kind == "ADD":
            self._next()
            self._accept("COLUMN")
            start = self.tok.start
            self._fk_owner = None
            column = self._parse_column_def()
            end = self.tok.start
            text = self.sql[start:end].rstrip(_WHITESPACE + ";")
            action = AddColumn(column, text)
        elif kind == "DROP":
            self._next()
            self._accept("COLUMN")
            action = DropColumn(self._nm())
        else:
            self._error()
        return AlterTable(table, action, schema)
