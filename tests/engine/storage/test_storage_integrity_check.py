"""PRAGMA integrity_check and quick_check beyond the pages
(engine/exec/integrity.py): index entries missing, extra or duplicated,
NOT NULL, STRICT types and CHECK constraints broken behind the engine's
back, in rowid and WITHOUT ROWID tables.  sqlite3 writes the database, the
damage is done below the SQL layer, and the engine must print exactly what
sqlite3 prints for the same file."""

from __future__ import annotations

import pytest

import engine
from engine import api
from engine.storage.btree import IndexCursor, TableCursor
from engine.storage.pager import Pager
from engine.storage.record import decode_record, encode_record
from engine.storage.vfs import OSVFS

from storage_helpers import requires_sqlite3, sqlite

pytestmark = requires_sqlite3

SCHEMA = """
CREATE TABLE t(a, b NOT NULL, c CHECK(c > 0));
CREATE INDEX ta ON t(a);
CREATE UNIQUE INDEX tu ON t(b);
CREATE INDEX tp ON t(a) WHERE a > 2;
INSERT INTO t VALUES(1,'x',1),(2,'y',2),(3,'z',3),(4,'w',4);
CREATE TABLE w(k PRIMARY KEY, v) WITHOUT ROWID;
CREATE INDEX wv ON w(v);
INSERT INTO w VALUES(1,'a'),(2,'b'),(3,'c');
CREATE TABLE s(a INT, b TEXT, c ANY, d REAL NOT NULL, CONSTRAINT ck CHECK(a < 100)) STRICT;
INSERT INTO s VALUES(1,'x',1,2.0);
CREATE TABLE g(a, b AS (a + 1) NOT NULL);
INSERT INTO g VALUES(1);
"""

PRAGMAS = ["integrity_check", "quick_check", "integrity_check(2)", "quick_check(1)", "integrity_check(0)",
           "integrity_check(t)", "integrity_check(w)", "integrity_check(s)", "integrity_check(g)"]


def _damage(path) -> None:
    """Change entries directly in the b-trees, as a bug or a bad disk might."""
    pager = Pager.open(OSVFS(), str(path))
    pager.begin_write()
    roots = {}
    for _rowid, payload in TableCursor(pager, 1).scan():
        rec = decode_record(payload)
        roots[rec[1]] = rec[3]
    ta = IndexCursor(pager, roots["ta"])
    assert ta.delete((2, 2))
    ta.insert((9, 9))                                           # an entry for no row
    IndexCursor(pager, roots["tu"]).insert(("x", 7))            # a duplicate in a UNIQUE index
    IndexCursor(pager, roots["tp"]).insert((1, 1))              # outside the partial index
    TableCursor(pager, roots["t"]).insert(7, encode_record((None, None, -5)))  # NOT NULL, CHECK
    wv = IndexCursor(pager, roots["wv"])
    assert wv.delete(("b", 2))
    wv.insert(("q", 9))
    IndexCursor(pager, roots["w"]).insert((5, "zz"))            # a row no index knows
    s = TableCursor(pager, roots["s"])
    s.insert(2, encode_record(("abc", 5, b"x", 3)))              # STRICT types, CHECK
    s.insert(3, encode_record((500, "ok", None, None)))
    TableCursor(pager, roots["g"]).insert(2, encode_record((None,)))  # a generated NOT NULL
    pager.commit()
    pager.close()


def _engine(path, pragma: str) -> list[str]:
    conn = api.connect(str(path))
    try:
        return [r[0] for r in conn.execute(f"PRAGMA {pragma}").fetchall()]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def damaged(tmp_path_factory):
    path = tmp_path_factory.mktemp("integrity") / "d.db"
    sqlite(path, SCHEMA)
    _damage(path)
    return path


@pytest.mark.parametrize("pragma", PRAGMAS)
def test_messages_equal_sqlite3s(damaged, pragma):
    want = sqlite(damaged, f"PRAGMA {pragma};").stdout.splitlines()
    assert want != ["ok"]
    assert _engine(damaged, pragma) == want


def test_intact_database_is_ok(tmp_path):
    path = tmp_path / "ok.db"
    sqlite(path, SCHEMA)
    for pragma in PRAGMAS:
        assert _engine(path, pragma) == ["ok"], pragma


def test_unknown_table(damaged):
    res = sqlite(damaged, "PRAGMA integrity_check(nosuch);", check=False)
    assert "no such table: nosuch" in res.stderr
    with pytest.raises(engine.OperationalError, match="^no such table: nosuch$"):
        _engine(damaged, "integrity_check(nosuch)")
