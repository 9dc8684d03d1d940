"""Randomized workload (issue 4 acceptance): a seeded sequence of
transactions over tables and indexes of many shapes (rowid and INTEGER
PRIMARY KEY tables, unique and multi-column indexes), inserts, updates and
deletes of rows from empty to a megabyte, DROP and ROLLBACK, run on the
engine (through its DB-API) and on sqlite3 with the same statements, in both
journal modes.  After each step the engine's content equals sqlite3's,
sqlite3's integrity_check on the engine's file says ok, and the engine reads
and checks the file sqlite3 wrote.

``LITMUS_WORKLOAD_STEPS`` sets the number of steps (default 45 per mode)."""

from __future__ import annotations

import os
import random

import pytest

import engine

from storage_helpers import requires_sqlite3, sqlite

STEPS = int(os.environ.get("LITMUS_WORKLOAD_STEPS", "45"))


def _value_expr(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.12:
        return "NULL"
    if kind < 0.30:
        return str(rng.choice([0, 1, -1, rng.randint(-1000, 1000), rng.randint(-2**63, 2**63 - 1)]))
    if kind < 0.40:
        return repr(rng.choice([0.5, -2.25, 1e100, rng.uniform(-1e6, 1e6)]))
    if kind < 0.65:
        n = rng.choice([0, 1, 5, 20, 100, 700, 3000])
        return "'" + "".join(rng.choice("abcdefghij xyz'") for _ in range(n)).replace("'", "''") + "'"
    if kind < 0.80:
        n = rng.choice([0, 1, 16, 500, 2000])
        return "X'" + rng.randbytes(n).hex() + "'"
    if kind < 0.95:
        # Larger values built by SQL both sides evaluate the same way.
        n = rng.choice([5000, 30000, 100000, 300000])
        ch = rng.choice("ABCDEFGH")
        return f"substr(replace(hex(zeroblob({n // 2 + 1})), '0', '{ch}'), 1, {n})"
    n = rng.choice([200000, 1000000])
    return f"zeroblob({n})"


class Model:
    """The workload's idea of the schema, to generate valid statements."""

    def __init__(self, rng):
        self.rng = rng
        self.tables: dict[str, dict] = {}
        self.counter = 0

    def create_table(self) -> list[str]:
        rng = self.rng
        self.counter += 1
        name = f"t{self.counter}"
        ncols = rng.randint(1, 6)
        cols = [f"c{i}" for i in range(ncols)]
        types = [rng.choice(["", "INTEGER", "TEXT", "BLOB", "REAL", "NUMERIC"]) for _ in cols]
        ipk = rng.random() < 0.4
        defs = (["id INTEGER PRIMARY KEY"] if ipk else []) + [f"{c} {t}".strip() for c, t in zip(cols, types)]
        stmts = [f"CREATE TABLE {name}({', '.join(defs)})"]
        info = {"cols": cols, "ipk": ipk, "indexes": []}
        self.tables[name] = info
        for _ in range(rng.randint(0, 3)):
            stmts.append(self.create_index(name, unique_ok=True))
        return stmts

    def create_index(self, table, unique_ok=False) -> str:
        rng = self.rng
        info = self.tables[table]
        self.counter += 1
        iname = f"i{self.counter}"
        cols = rng.sample(info["cols"], rng.randint(1, min(3, len(info["cols"]))))
        cols = [c + rng.choice(["", " DESC"]) for c in cols]
        # UNIQUE only on an empty table: existing duplicates would fail it.
        unique = "UNIQUE " if unique_ok and rng.random() < 0.3 else ""
        info["indexes"].append(iname)
        return f"CREATE {unique}INDEX {iname} ON {table}({', '.join(cols)})"

    def insert(self, table, n) -> list[str]:
        rng = self.rng
        info = self.tables[table]
        out = []
        for _ in range(n):
            cols = list(info["cols"])
            vals = [_value_expr(rng) for _ in cols]
            if info["ipk"] and rng.random() < 0.5:
                cols.insert(0, "id")
                vals.insert(0, str(rng.randint(1, 300)))
            out.append(f"INSERT OR REPLACE INTO {table}({', '.join(cols)}) VALUES ({', '.join(vals)})")
        return out

    def update(self, table) -> str:
        rng = self.rng
        info = self.tables[table]
        col = rng.choice(info["cols"])
        m = rng.randint(2, 5)
        return (f"UPDATE OR REPLACE {table} SET {col} = {_value_expr(rng)} "
                f"WHERE rowid % {m} = {rng.randint(0, m - 1)}")

    def delete(self, table) -> str:
        rng = self.rng
        m = rng.randint(2, 6)
        return f"DELETE FROM {table} WHERE rowid % {m} = {rng.randint(0, m - 1)}"

    def step(self) -> list[str]:
        """One transaction's statements (the last may be ROLLBACK)."""
        rng = self.rng
        if not self.tables or rng.random() < 0.08:
            return ["BEGIN"] + self.create_table() + ["COMMIT"]
        table = rng.choice(sorted(self.tables))
        r = rng.random()
        if r < 0.05 and len(self.tables) > 1:
            del self.tables[table]
            return [f"DROP TABLE {table}"]
        if r < 0.10 and self.tables[table]["indexes"]:
            iname = self.tables[table]["indexes"].pop()
            return [f"DROP INDEX {iname}"]
        if r < 0.14:
            return [self.create_index(table)]
        body = []
        for _ in range(rng.randint(1, 4)):
            r = rng.random()
            if r < 0.55:
                body += self.insert(table, rng.choice([1, 3, 10, 40]))
            elif r < 0.8:
                body.append(self.update(table))
            else:
                body.append(self.delete(table))
        if rng.random() < 0.1:
            return ["BEGIN"] + body + ["ROLLBACK"]
        return ["BEGIN"] + body + ["COMMIT"]


_CELL = ("CASE typeof({c}) WHEN 'text' THEN 't' || length({c}) || quote(substr({c}, 1, 24)) "
         "|| quote(substr({c}, length({c}) / 2, 24)) || quote(substr({c}, -24)) "
         "WHEN 'blob' THEN 'b' || length({c}) || hex(substr({c}, 1, 24)) "
         "|| hex(substr({c}, length({c}) / 2, 24)) || hex(substr({c}, -24)) ELSE quote({c}) END")


def _dump_sql(model: Model) -> list[str]:
    out = []
    for name in sorted(model.tables):
        cols = ["rowid"] + model.tables[name]["cols"]
        out.append(f"SELECT '{name}', " + ", ".join(_CELL.format(c=c) for c in cols)
                   + f" FROM {name} ORDER BY rowid")
    return out


def _engine_dump(conn, queries) -> list[str]:
    lines = []
    for q in queries:
        for row in conn.execute(q).fetchall():
            lines.append("|".join(str(v) for v in row))
    return lines


@requires_sqlite3
@pytest.mark.parametrize("mode", ["delete", "wal"])
def test_randomized_workload_matches_sqlite3(tmp_path, mode):
    rng = random.Random(f"workload-{mode}")
    model = Model(rng)
    edb = str(tmp_path / "engine.db")
    sdb = str(tmp_path / "sqlite.db")
    conn = engine.connect(edb, isolation_level=None)
    assert conn.execute(f"PRAGMA journal_mode={mode}").fetchone() == (mode,)
    sqlite(sdb, f"PRAGMA journal_mode={mode};")
    for step in range(STEPS):
        stmts = model.step()
        for sql in stmts:
            conn.execute(sql)
        sqlite(sdb, ";\n".join(stmts) + ";")
        queries = _dump_sql(model)
        ours = _engine_dump(conn, queries)
        theirs = sqlite(sdb, ";\n".join(queries) + ";" if queries else "").stdout.splitlines()
        assert ours == theirs, (step, stmts)
        assert sqlite(edb, "PRAGMA integrity_check;").stdout.strip() == "ok", (step, stmts)
        # The engine reads and checks the file sqlite3 wrote.
        other = engine.connect(sdb, isolation_level=None)
        try:
            assert _engine_dump(other, queries) == theirs, step
            assert other.execute("PRAGMA integrity_check").fetchall() == [("ok",)], step
        finally:
            other.close()
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()
    assert sqlite(edb, "PRAGMA integrity_check;").stdout.strip() == "ok"
