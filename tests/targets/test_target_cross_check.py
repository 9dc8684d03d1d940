"""The same random scripts through ``sqlite3`` (the shell) and
``dbapi:sqlite3`` (the library in process).  Both are SQLite underneath, so
every difference under ``compare()`` is a bug in one of the two targets."""

import random
import sqlite3

import pytest

from targets import open_target
from targets.compare import compare

TYPES = ["", "INTEGER", "REAL", "TEXT", "BLOB", "NUMERIC", "INTEGER PRIMARY KEY", "ANY"]
TEXTS = ["", "a", "it's", "''", "a;b", "x\ny", "\n.tables\n", "\ngo\n", "\n/\n", "a\r\nb", "é€😀",
         "NULL", "1", "1.5", " 2 ", "--", "/*", "*/", ",", "'", "\"", "\\", "\t", "-- x\n;"]


def literal(rng):
    kind = rng.randrange(9)
    if kind == 0:
        return "NULL"
    if kind == 1:
        return str(rng.choice([0, 1, -1, 2**63 - 1, -2**63, 2**31, rng.randint(-10**6, 10**6)]))
    if kind == 2:
        x = rng.choice([0.0, 0.5, -2.5, 1e300, 5e-324, 1e16, 0.1, rng.uniform(-1e6, 1e6),
                        rng.uniform(-1, 1) * 10.0 ** rng.randint(-300, 300)])
        return repr(x)
    if kind == 3:
        return "x'" + bytes(rng.randrange(256) for _ in range(rng.randrange(5))).hex() + "'"
    if kind == 4:
        return "(" + literal(rng) + rng.choice([" + ", " - ", " * ", " / ", " % ", " || ", " < "]) \
            + literal(rng) + ")"
    if kind == 5:
        return rng.choice(["9e999", "-9e999", "9223372036854775807 + 1", "-0.0", "1.0", "2e0"])
    text = rng.choice(TEXTS) + rng.choice(TEXTS)
    return "'" + text.replace("'", "''") + "'"


def expression(rng, columns):
    if columns and rng.random() < 0.5:
        base = rng.choice(columns)
    else:
        base = literal(rng)
    wrap = rng.randrange(12)
    if wrap == 0:
        return f"typeof({base})"
    if wrap == 1:
        return f"quote({base})"
    if wrap == 2:
        return f"CAST({base} AS {rng.choice(['INTEGER', 'REAL', 'TEXT', 'BLOB', 'NUMERIC'])})"
    if wrap == 3:
        return f"hex({base})"
    if wrap == 4:
        return f"abs({base})"
    if wrap == 5:
        return f"length({base})"
    if wrap == 6:
        return f"({base} {rng.choice(['=', '<', 'IS', '+', '*', '/', '||'])} {literal(rng)})"
    return base


class Script:
    def __init__(self, rng):
        self.rng = rng
        self.tables: dict[str, list[str]] = {}

    def statement(self):
        rng = self.rng
        kind = rng.randrange(14)
        if kind == 0 or not self.tables:
            name = f"t{rng.randrange(4)}"
            cols = [f"c{i}" for i in range(rng.randint(1, 3))]
            defs = []
            for col in cols:
                d = f"{col} {rng.choice(TYPES)}"
                d += rng.choice(["", "", " UNIQUE", " NOT NULL", " CHECK(length(" + col + ") < 8)",
                                 " DEFAULT 'd'"])
                defs.append(d)
            if any("PRIMARY KEY" in d for d in defs[1:]) or sum("PRIMARY" in d for d in defs) > 1:
                defs = [d.replace(" PRIMARY KEY", "") for d in defs]
            self.tables[name] = cols
            return f"CREATE TABLE {rng.choice(['', 'IF NOT EXISTS '])}{name}({', '.join(defs)})"
        name = rng.choice(list(self.tables))
        cols = self.tables[name]
        if kind <= 4:
            values = ", ".join(literal(rng) for _ in cols)
            return f"INSERT {rng.choice(['', 'OR IGNORE ', 'OR REPLACE '])}INTO {name} VALUES({values})"
        if kind <= 7:
            exprs = ", ".join(expression(rng, cols) for _ in range(rng.randint(1, 3)))
            where = rng.choice(["", f" WHERE {expression(rng, cols)}", f" WHERE {cols[0]} IS NOT NULL"])
            return f"SELECT {exprs} FROM {name}{where} ORDER BY rowid"
        if kind == 8:
            exprs = ", ".join(expression(rng, []) for _ in range(rng.randint(1, 4)))
            return f"SELECT {exprs}"
        if kind == 9:
            return f"UPDATE {name} SET {rng.choice(cols)} = {literal(rng)} WHERE rowid % 2 = {rng.randrange(2)}"
        if kind == 10:
            return f"DELETE FROM {name} WHERE rowid = {rng.randint(1, 5)}"
        if kind == 11:
            return rng.choice([
                "SELECT * FROM nosuch", "SELEC 1", "SELECT 1 +", "SELECT (1", "INSERT INTO nosuch VALUES(1)",
                f"SELECT nosuchcol FROM {name}", "SELECT abs(-9223372036854775808)",
                "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT s", "RELEASE s", "SELECT 'x' AS \"a\nb\"",
                f"SELECT count(*), sum({cols[0]}), total({cols[0]}), max({cols[0]}) FROM {name}",
                f"SELECT group_concat(quote({cols[0]}), '|') FROM {name}",
                "-- only a comment", "/* block */ SELECT 1 /* trailing */",
                "SELECT 1 -- comment at the end", "SELECT '\n.print injected\n'",
                f"CREATE INDEX IF NOT EXISTS i_{name} ON {name}({cols[0]})",
                f"CREATE TRIGGER IF NOT EXISTS tr_{name} AFTER INSERT ON {name} BEGIN "
                f"SELECT CASE WHEN new.{cols[0]} IS NULL THEN 1 END; END",
            ])
        if kind == 12:
            return f"SELECT {cols[0]}, count(*) FROM {name} GROUP BY 1 ORDER BY 1"
        return f"DROP TABLE IF EXISTS {name}"

    def text(self):
        rng = self.rng
        stmts = [self.statement() for _ in range(rng.randint(1, 6))]
        seps = [rng.choice([";", ";", ";\n", " ;\n\n", ";\r\n", "\n;", "; -- c\n", ";/* c */"])
                for _ in stmts]
        text = "".join(s + sep for s, sep in zip(stmts, seps))
        if rng.random() < 0.3:
            text = text.rstrip("; \n\r")      # a last statement without its semicolon
        if rng.random() < 0.05:
            text += rng.choice([" 'unterminated", " x'0", " \"open", " [open"])
        return text


def dump(target):
    result = target.execute("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name")
    rows = [result.rows]
    for _type, name, *_ in result.rows:
        if _type == "table":
            rows.append(target.execute(f"SELECT * FROM \"{name}\" ORDER BY rowid").rows)
    return rows


@pytest.fixture(scope="module")
def pair():
    shell = open_target("sqlite3")
    library = open_target("dbapi:sqlite3")
    yield shell, library
    shell.close()
    library.close()


@pytest.mark.parametrize("seed", range(8))
def test_random_scripts_agree(pair, seed):
    if sqlite3.sqlite_version != pair[0].version:
        pytest.skip("the sqlite3 module and the sqlite3 binary are different SQLite versions")
    shell, library = pair
    rng = random.Random(seed)
    for _ in range(12):
        shell.reset()
        library.reset()
        script = Script(rng)
        for _ in range(rng.randint(1, 6)):
            sql = script.text()
            a = shell.execute(sql)
            b = library.execute(sql)
            assert compare(a, b, ordered=True) is None, (sql, a, b, compare(a, b, ordered=True))
            assert a.rows == b.rows or all(
                x == y for x, y in zip(a.rows, b.rows)), (sql, a.rows, b.rows)
            if a.columns is not None and a.ok:
                assert a.columns == b.columns, (sql, a.columns, b.columns)
        assert dump(shell) == dump(library)
