"""auto_vacuum and incremental_vacuum against the sqlite3 binary
(engine/storage/autovacuum.py, ptrmap.py; pragma.html, fileformat2.html 1.8).

* The same statements run on the engine and on sqlite3: after every one the
  page count and the free-page count agree, where the data makes the number
  of content pages the same on both sides (every row fills a leaf page of
  its own and a whole number of overflow pages, and the leaves fit under
  one root, so that the two b-tree implementations cannot lay them out
  differently), across pointer-map page boundaries (512-byte pages: a map
  page every 103 pages); and sqlite3's integrity_check passes on the
  engine's file.
* The engine writes auto_vacuum files sqlite3 wrote (FULL and INCREMENTAL,
  with free pages, overflow chains and multi-level indexes): the result
  equals what sqlite3 makes of the same statements, and sqlite3 checks ok.
* PRAGMA auto_vacuum answers and takes effect as sqlite3's does (new file,
  empty file, non-empty file, FULL<->INCREMENTAL, VACUUM converting), and
  PRAGMA incremental_vacuum reads its argument as sqlite3 does.
* VACUUM lays out roots as sqlite3's does.
* Damaged pointer maps give sqlite3's integrity_check messages.
"""

from __future__ import annotations

import random
import shutil
import struct
import subprocess

import pytest

import engine
from engine.storage.autovacuum import final_size
from engine.storage.ptrmap import map_page

from storage_helpers import SQLITE3, requires_sqlite3, sqlite, sqlite_out

pytestmark = requires_sqlite3

SERIES = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {}) "


def _header(path) -> dict:
    data = open(path, "rb").read(100)
    u32 = lambda off: struct.unpack_from(">I", data, off)[0]  # noqa: E731
    return {"largest_root": u32(52), "incremental": u32(64), "freelist": u32(36)}


class _Shell:
    """One persistent sqlite3 process: statements in, one result line out."""

    def __init__(self, path):
        self.proc = subprocess.Popen([SQLITE3, "-batch", str(path)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True, bufsize=1)

    def run(self, sql: str, query: str) -> str:
        self.proc.stdin.write(f"{sql};\nSELECT '@@', ({query});\n")
        self.proc.stdin.flush()
        lines = []
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError("sqlite3 exited: " + "".join(lines))
            if line.startswith("@@|"):
                return line[3:].strip()
            lines.append(line)

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


def _blob(page_size: int, pages: int) -> str:
    """A one-column row whose cell fills a leaf page (the largest local part)
    and ``pages`` overflow pages exactly."""
    usable = page_size
    payload = (usable - 35) + pages * (usable - 4)
    for length in range(payload - 4, payload):
        n = 2 * length + 12
        header = 1 + (1 if n < 0x80 else 2 if n < 0x4000 else 3)
        if header + length == payload:
            return f"randomblob({length})"
    raise AssertionError("no blob length fits")


COUNTS = "SELECT page_count || ',' || freelist_count FROM pragma_page_count, pragma_freelist_count"


def _compare_counts(tmp_path, statements, page_size, check=True):
    """Run ``statements`` on both; page and free counts agree after each
    (when ``check``)."""
    edb, sdb = tmp_path / "e.db", tmp_path / "s.db"
    conn = engine.connect(str(edb), isolation_level=None)
    conn.execute(f"PRAGMA page_size={page_size}")
    shell = _Shell(sdb)
    shell.run(f"PRAGMA page_size={page_size}", "1")
    try:
        for sql in statements:
            conn.execute(sql).fetchall()
            ours = conn.execute("SELECT * FROM pragma_page_count").fetchone()[0], \
                conn.execute("SELECT * FROM pragma_freelist_count").fetchone()[0]
            theirs = tuple(int(v) for v in shell.run(sql, COUNTS).split(","))
            if check:
                assert ours == theirs, (sql, ours, theirs)
    finally:
        shell.close()
        conn.close()
    assert sqlite_out(edb, "PRAGMA integrity_check;") == "ok"
    assert sqlite_out(sdb, "PRAGMA integrity_check;") == "ok"
    c = engine.connect(str(edb))
    assert c.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    c.close()
    return edb, sdb


def _full_workload(page_size):
    rows = 50 if page_size == 512 else 100
    return [
        "PRAGMA auto_vacuum=FULL",
        "CREATE TABLE t(a)",
        "CREATE TABLE u(x)",
        SERIES.format(rows) + f"INSERT INTO t SELECT {_blob(page_size, 2)} FROM n",
        "DELETE FROM t WHERE rowid % 3 = 0",
        SERIES.format(30) + f"INSERT INTO u SELECT {_blob(page_size, 1)} FROM n",
        "DELETE FROM t WHERE rowid % 2 = 0",
        f"UPDATE t SET a = {_blob(page_size, 0)} WHERE rowid % 5 = 1",
        f"UPDATE t SET a = {_blob(page_size, 4)} WHERE rowid % 5 = 2",
        "BEGIN",
        "DELETE FROM u WHERE rowid < 20",
        f"INSERT INTO t SELECT {_blob(page_size, 1)} FROM u",
        "COMMIT",
        "BEGIN",
        "DELETE FROM t",
        "ROLLBACK",
        "CREATE TABLE v(y)",
        "DROP TABLE t",
        "CREATE TABLE w(z)",
        "INSERT INTO w SELECT x FROM u",
        "DELETE FROM u",
        "DROP TABLE u",
    ]


@pytest.mark.parametrize("page_size", [512, 1024, 4096])
def test_full_page_counts_match_sqlite3(tmp_path, page_size):
    edb, sdb = _compare_counts(tmp_path, _full_workload(page_size), page_size)
    assert _header(edb) == _header(sdb)
    assert sqlite_out(edb, "SELECT name, rootpage FROM sqlite_schema ORDER BY 1;") == \
        sqlite_out(sdb, "SELECT name, rootpage FROM sqlite_schema ORDER BY 1;")


@pytest.mark.parametrize("page_size", [512, 4096])
def test_incremental_page_counts_match_sqlite3(tmp_path, page_size):
    rows = 60 if page_size == 512 else 150
    statements = [
        "PRAGMA auto_vacuum=INCREMENTAL",
        "CREATE TABLE t(a)",
        "CREATE TABLE u(x)",
        SERIES.format(rows) + f"INSERT INTO t SELECT {_blob(page_size, 2)} FROM n",
        "DELETE FROM t WHERE rowid % 3 = 0",
        "PRAGMA incremental_vacuum(7)",
        SERIES.format(50) + f"INSERT INTO u SELECT {_blob(page_size, 1)} FROM n",
        "DELETE FROM t WHERE rowid % 2 = 0",
        "PRAGMA incremental_vacuum(100)",
        "PRAGMA incremental_vacuum(1)",
        "DROP TABLE t",
        "PRAGMA incremental_vacuum(150)",
        "CREATE TABLE v(y)",
        "INSERT INTO v SELECT x FROM u",
        "DELETE FROM u",
        "PRAGMA incremental_vacuum",
        "BEGIN",
        f"INSERT INTO u SELECT {_blob(page_size, 3)} FROM v",
        "DELETE FROM u WHERE rowid % 2 = 0",
        "PRAGMA incremental_vacuum(3)",
        "COMMIT",
        "BEGIN",
        "DELETE FROM u",
        "PRAGMA incremental_vacuum(5)",
        "ROLLBACK",
        "PRAGMA incremental_vacuum(-1)",
        "PRAGMA auto_vacuum=FULL",
        "DELETE FROM v WHERE rowid % 4 = 0",
        "PRAGMA auto_vacuum=INCREMENTAL",
        "DELETE FROM v WHERE rowid % 4 = 1",
        "PRAGMA incremental_vacuum(2)",
    ]
    edb, sdb = _compare_counts(tmp_path, statements, page_size)
    assert _header(edb) == _header(sdb)


def test_full_commit_inside_transaction_and_incremental_in_full_mode(tmp_path):
    """incremental_vacuum also works in FULL mode inside a transaction."""
    statements = [
        "PRAGMA auto_vacuum=1",
        "CREATE TABLE t(a)",
        SERIES.format(50) + f"INSERT INTO t SELECT {_blob(4096, 1)} FROM n",
        "BEGIN",
        "DELETE FROM t WHERE rowid < 20",
        "PRAGMA incremental_vacuum(3)",
        "COMMIT",
    ]
    _compare_counts(tmp_path, statements, 4096)


def test_roots_stay_at_the_front(tmp_path):
    """New roots go after the largest root, moving data out of the way; a
    DROP moves the last root into the freed slot (several at once when a
    table and its indexes go), and the schema follows."""
    statements = [
        "PRAGMA auto_vacuum=FULL",
        "CREATE TABLE a(x)",
        "CREATE TABLE b(x, y UNIQUE)",
        "CREATE INDEX ax ON a(x)",
        "CREATE TABLE c(z)",
        "CREATE INDEX bx ON b(x)",
        SERIES.format(100) + "INSERT INTO b SELECT randomblob(600), i FROM n",
        SERIES.format(100) + "INSERT INTO a SELECT randomblob(300) FROM n",
        "INSERT INTO c VALUES (1)",
        "CREATE TABLE d(q)",
        "CREATE INDEX dq ON d(q)",
        "DROP TABLE a",
        "CREATE INDEX cz ON c(z)",
        "DROP TABLE b",
        "BEGIN",
        "CREATE TABLE e(w PRIMARY KEY)",
        "DROP TABLE c",
        "INSERT INTO d VALUES (5)",
        "DROP TABLE d",
        "INSERT INTO e VALUES (3)",
        "COMMIT",
    ]
    # (Index b-trees fill differently on the two sides: only the layout of
    # the roots is compared.)
    edb, sdb = _compare_counts(tmp_path, statements, 1024, check=False)
    query = "SELECT name, rootpage FROM sqlite_schema ORDER BY 1; SELECT * FROM e;"
    assert sqlite_out(edb, query) == sqlite_out(sdb, query)
    assert _header(edb)["largest_root"] == _header(sdb)["largest_root"] == 4


def test_drop_rolled_back_to_a_savepoint(tmp_path):
    path = str(tmp_path / "d.db")
    conn = engine.connect(path, isolation_level=None)
    conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
    for name in "abc":
        conn.execute(f"CREATE TABLE {name}(v)")
        conn.execute(f"CREATE INDEX {name}i ON {name}(v)")
        conn.execute(f"INSERT INTO {name} VALUES ('{name}'), (randomblob(9000))")
    conn.execute("BEGIN")
    conn.execute("SAVEPOINT s")
    conn.execute("DROP TABLE a")
    conn.execute("ROLLBACK TO s")
    conn.execute("DROP TABLE b")
    conn.execute("INSERT INTO a VALUES ('a2')")
    conn.execute("COMMIT")
    conn.execute("PRAGMA incremental_vacuum")
    assert conn.execute("SELECT v FROM a WHERE typeof(v) = 'text' ORDER BY v").fetchall() == \
        [("a",), ("a2",)]
    assert conn.execute("SELECT v FROM c WHERE typeof(v) = 'text'").fetchall() == [("c",)]
    conn.close()
    assert sqlite_out(path, "PRAGMA integrity_check;") == "ok"
    assert sqlite_out(path, "SELECT count(*) FROM a; SELECT count(*) FROM c;") == "3\n2"


@pytest.mark.parametrize("mode", ["FULL", "INCREMENTAL"])
def test_engine_writes_sqlite3_auto_vacuum_files(tmp_path, mode):
    base = tmp_path / "base.db"
    sqlite(base, f"""
        PRAGMA page_size = 1024; PRAGMA auto_vacuum = {mode};
        CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c BLOB);
        CREATE INDEX tb ON t(b);
        CREATE TABLE u(x);
        {SERIES.format(600)} INSERT INTO t SELECT i, printf('%.*c', i % 200, 'k'),
               CASE WHEN i % 20 = 0 THEN randomblob(5000) END FROM n;
        INSERT INTO u SELECT randomblob(3000) FROM t WHERE a < 30;
        DELETE FROM t WHERE a % 3 = 0;
    """)
    changes = [
        "INSERT INTO t SELECT a + 1000, b || 'x', c FROM t WHERE a % 5 = 1",
        "DELETE FROM t WHERE a % 7 = 0",
        "UPDATE t SET c = zeroblob(7000) || c WHERE a % 11 = 0",
        "CREATE TABLE v(y)",
        "CREATE INDEX ux ON u(x)",
        "INSERT INTO v SELECT b FROM t ORDER BY a",
        "DROP TABLE u",
        "PRAGMA incremental_vacuum(10)",
        "DELETE FROM v WHERE rowid % 2 = 0",
        "PRAGMA incremental_vacuum",
    ]
    ours, theirs = tmp_path / "ours.db", tmp_path / "theirs.db"
    shutil.copyfile(base, ours)
    shutil.copyfile(base, theirs)
    conn = engine.connect(str(ours), isolation_level=None)
    for sql in changes:
        conn.execute(sql).fetchall()
    conn.close()
    sqlite(theirs, ";\n".join(changes) + ";")
    dump = ("SELECT a, b, hex(c) FROM t ORDER BY a; SELECT rowid, y FROM v ORDER BY rowid;"
            "SELECT name, rootpage FROM sqlite_schema ORDER BY name;")
    assert sqlite_out(ours, dump) == sqlite_out(theirs, dump)
    assert sqlite_out(ours, "PRAGMA integrity_check;") == "ok"
    assert sqlite_out(ours, "PRAGMA auto_vacuum;") == str(["NONE", "FULL", "INCREMENTAL"].index(mode))
    if mode == "FULL":
        assert sqlite_out(ours, "PRAGMA freelist_count;") == "0"


# ---------------------------------------------------------------------------
# PRAGMA auto_vacuum and incremental_vacuum as sqlite3 reads them


def _engine_script(path, script: str) -> list[str]:
    conn = engine.connect(str(path), isolation_level=None)
    out = []
    try:
        for sql in [s.strip() for s in script.split(";") if s.strip()]:
            for row in conn.execute(sql).fetchall():
                out.append("|".join(str(v) for v in row))
    finally:
        conn.close()
    return out


SCRIPTS = [
    "PRAGMA auto_vacuum=1; PRAGMA user_version",
    "PRAGMA auto_vacuum=full; PRAGMA auto_vacuum",
    "PRAGMA auto_vacuum=2; PRAGMA auto_vacuum=0; PRAGMA auto_vacuum",
    "PRAGMA auto_vacuum=1; CREATE TABLE t(a); PRAGMA auto_vacuum=0; PRAGMA auto_vacuum; VACUUM; "
    "PRAGMA auto_vacuum",
    "BEGIN; PRAGMA auto_vacuum=1; CREATE TABLE t(a); COMMIT; PRAGMA auto_vacuum",
    "CREATE TABLE t(a); PRAGMA auto_vacuum=1; PRAGMA auto_vacuum; VACUUM; PRAGMA auto_vacuum",
    "PRAGMA auto_vacuum=1; CREATE TABLE t(a); PRAGMA auto_vacuum=2; PRAGMA auto_vacuum",
    "PRAGMA auto_vacuum=INCREMENTAL; CREATE TABLE t(a); PRAGMA auto_vacuum=FULL; PRAGMA auto_vacuum",
    "PRAGMA auto_vacuum=7; PRAGMA auto_vacuum; PRAGMA auto_vacuum=-1; PRAGMA auto_vacuum; "
    "PRAGMA auto_vacuum='2'; PRAGMA auto_vacuum; PRAGMA auto_vacuum=bogus; PRAGMA auto_vacuum; "
    "PRAGMA auto_vacuum=1.5; PRAGMA auto_vacuum; PRAGMA auto_vacuum=yes; PRAGMA auto_vacuum",
    "PRAGMA auto_vacuum=incremental; PRAGMA page_count; CREATE TABLE t(a); PRAGMA page_count",
    "PRAGMA auto_vacuum=0; PRAGMA page_count; CREATE TABLE t(a); PRAGMA page_count",
    "PRAGMA auto_vacuum=2; CREATE TABLE t(a, b); CREATE INDEX tb ON t(b); CREATE TABLE u(c); "
    "INSERT INTO t VALUES (randomblob(9000), 1); PRAGMA auto_vacuum=NONE; VACUUM; "
    "PRAGMA auto_vacuum; PRAGMA page_count; SELECT name, rootpage FROM sqlite_schema",
]


@pytest.mark.parametrize("script", SCRIPTS)
def test_auto_vacuum_pragma_as_sqlite3(tmp_path, script):
    ours = _engine_script(tmp_path / "e.db", script)
    theirs = sqlite(tmp_path / "s.db", script + ";").stdout.splitlines()
    assert ours == theirs
    e, s = tmp_path / "e.db", tmp_path / "s.db"
    assert e.exists() == s.exists()
    if s.exists():
        assert _header(e) == _header(s)
        assert e.stat().st_size == s.stat().st_size
        assert sqlite_out(e, "PRAGMA integrity_check;") == "ok"


@pytest.mark.parametrize("arg", ["", "(3)", "(0)", "(-3)", "('3x')", "('+2')", "(2.9)", "('0x10')",
                                 "(4000000000)", "(' 3')", "('  ')", "=2", "(abc)"])
def test_incremental_vacuum_argument_as_sqlite3(tmp_path, arg):
    setup = ("PRAGMA auto_vacuum=2; CREATE TABLE t(a); " + SERIES.format(50)
             + "INSERT INTO t SELECT randomblob(3000) FROM n; DELETE FROM t;")
    script = setup + f"PRAGMA incremental_vacuum{arg}; PRAGMA freelist_count; PRAGMA page_count"
    ours = _engine_script(tmp_path / "e.db", script)
    theirs = sqlite(tmp_path / "s.db", script + ";").stdout.splitlines()
    assert ours == theirs


def test_incremental_vacuum_is_a_no_op_without_auto_vacuum(tmp_path):
    script = ("CREATE TABLE t(a); INSERT INTO t VALUES (randomblob(9000)); DELETE FROM t;"
              "PRAGMA incremental_vacuum; PRAGMA freelist_count; PRAGMA auto_vacuum")
    assert _engine_script(tmp_path / "e.db", script) == \
        sqlite(tmp_path / "s.db", script + ";").stdout.splitlines()


def test_in_memory_auto_vacuum():
    conn = engine.connect(":memory:", isolation_level=None)
    conn.execute("PRAGMA auto_vacuum=FULL")
    conn.execute("CREATE TABLE t(a)")
    conn.execute("INSERT INTO t VALUES (randomblob(50000))")
    before = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute("DELETE FROM t")
    assert conn.execute("PRAGMA page_count").fetchone()[0] == 3 < before
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


# ---------------------------------------------------------------------------
# VACUUM


@pytest.mark.parametrize("target", ["NONE", "FULL", "INCREMENTAL"])
@pytest.mark.parametrize("source", [0, 1, 2])
def test_vacuum_converts(tmp_path, source, target):
    path = tmp_path / "v.db"
    sqlite(path, f"""
        PRAGMA page_size = 512; PRAGMA auto_vacuum = {source};
        CREATE TABLE a(x UNIQUE, y); CREATE INDEX ay ON a(y);
        CREATE TABLE b(p INTEGER PRIMARY KEY AUTOINCREMENT, q);
        CREATE TABLE c(z PRIMARY KEY);
        {SERIES.format(300)} INSERT INTO a SELECT i, randomblob(i * 3) FROM n;
        INSERT INTO b(q) SELECT y FROM a;
        DROP TABLE c; CREATE TABLE d(k);
        DELETE FROM a WHERE x % 4 = 0;
    """)
    reference = tmp_path / "r.db"
    shutil.copyfile(path, reference)
    sqlite(reference, f"PRAGMA auto_vacuum={target}; VACUUM;")
    conn = engine.connect(str(path), isolation_level=None)
    conn.execute(f"PRAGMA auto_vacuum={target}")
    conn.execute("VACUUM")
    conn.close()
    query = ("PRAGMA auto_vacuum; PRAGMA freelist_count; SELECT name, rootpage FROM sqlite_schema;"
             "SELECT x, hex(y) FROM a ORDER BY x; SELECT p, hex(q) FROM b ORDER BY p;"
             "SELECT * FROM sqlite_sequence;")
    assert sqlite_out(path, query) == sqlite_out(reference, query)
    assert sqlite_out(path, "PRAGMA integrity_check;") == "ok"
    ours, theirs = _header(path), _header(reference)
    assert ours == theirs


def test_vacuum_renumbers_rowids_as_sqlite3_when_asked(tmp_path):
    """sqlite3's VACUUM gives fresh rowids to tables with neither an INTEGER
    PRIMARY KEY nor an index; the caller names them to storage's vacuum."""
    from engine.storage.vacuum import vacuum
    path = tmp_path / "r.db"
    sqlite(path, """
        PRAGMA auto_vacuum = FULL;
        CREATE TABLE plain(a); CREATE TABLE indexed(a, b); CREATE INDEX ib ON indexed(b);
        INSERT INTO plain SELECT value FROM generate_series(1, 50);
        INSERT INTO indexed SELECT value, value FROM generate_series(1, 50);
        DELETE FROM plain WHERE a % 3 = 0; DELETE FROM indexed WHERE a % 3 = 0;
    """)
    reference = tmp_path / "ref.db"
    shutil.copyfile(path, reference)
    sqlite(reference, "VACUUM;")
    conn = engine.connect(str(path), isolation_level=None)
    pager = conn._db.pager
    pager.begin_write()
    plain_root = int(sqlite_out(path, "SELECT rootpage FROM sqlite_schema WHERE name = 'plain';"))
    vacuum(pager, renumber=[plain_root])
    pager.commit()
    conn.close()
    query = "SELECT rowid, a FROM plain; SELECT rowid, a FROM indexed;"
    assert sqlite_out(path, query) == sqlite_out(reference, query)
    assert sqlite_out(path, "PRAGMA integrity_check;") == "ok"


# ---------------------------------------------------------------------------
# Pointer maps: layout, final size, damage


def test_map_layout_and_final_size_agree_with_sqlite3(tmp_path):
    """Pointer-map pages where sqlite3 puts them: sqlite3 and the engine
    agree on which pages are maps (an engine-written file checks ok in
    sqlite3 across several maps) and final_size gives sqlite3's counts."""
    path = tmp_path / "m.db"
    sqlite(path, "PRAGMA page_size=512; PRAGMA auto_vacuum=2; CREATE TABLE t(a);"
           + SERIES.format(400) + "INSERT INTO t SELECT randomblob(600) FROM n;")
    conn = engine.connect(str(path), isolation_level=None)
    pager = conn._db.pager
    pager.begin_read()
    assert pager.page_count > 414
    assert [p for p in range(2, pager.page_count + 1) if map_page(pager, p) == p] == \
        list(range(2, pager.page_count + 1, 103))
    rng = random.Random(3)
    n = pager.page_count
    for _ in range(40):
        free = rng.randint(1, n - 20)
        fin = final_size(pager, n, free)
        assert map_page(pager, fin) != fin
        maps = sum(1 for p in range(2, fin + 1) if map_page(pager, p) == p)
        maps_before = sum(1 for p in range(2, n + 1) if map_page(pager, p) == p)
        assert fin - maps == n - maps_before - free
    pager.end_read()
    conn.close()


def _check_both(path) -> tuple[list, list]:
    conn = engine.connect(str(path))
    try:
        ours = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    finally:
        conn.close()
    out = subprocess.run([SQLITE3, str(path), "PRAGMA integrity_check;"], capture_output=True,
                         text=True).stdout.splitlines()
    theirs = [line for line in out if line.strip() and line != "*** in database main ***"]
    return ours, theirs


@pytest.mark.parametrize("mode", [1, 2])
def test_damaged_pointer_maps_reported_as_sqlite3_does(tmp_path, mode):
    base = tmp_path / "base.db"
    sqlite(base, f"""
        PRAGMA page_size = 1024; PRAGMA auto_vacuum = {mode};
        CREATE TABLE t(a); CREATE INDEX i ON t(a);
        {SERIES.format(20)} INSERT INTO t SELECT randomblob(1500) FROM n;
        CREATE TABLE u(b); INSERT INTO u VALUES (1);
        DELETE FROM t WHERE rowid % 3 = 0;
    """)
    data = base.read_bytes()
    pages = len(data) // 1024
    rng = random.Random(mode)
    work = tmp_path / "x.db"
    cases = [(p, t, parent) for p in range(3, pages + 1)
             for t, parent in [(rng.randint(0, 6), rng.randint(0, pages + 2))]]
    cases += [(3, 5, 7), (4, 2, 0), (5, 9, 0)]
    for pgno, etype, parent in cases:
        damaged = bytearray(data)
        off = 1024 + 5 * (pgno - 3)
        damaged[off] = etype
        damaged[off + 1:off + 5] = struct.pack(">I", parent)
        work.write_bytes(damaged)
        ours, theirs = _check_both(work)
        assert ours == theirs, (pgno, etype, parent)
    for largest in (0, 4, 9):
        damaged = bytearray(data)
        damaged[52:56] = struct.pack(">I", largest)
        work.write_bytes(damaged)
        ours, theirs = _check_both(work)
        assert ours == theirs, largest


def test_engine_checker_flags_a_ptrmap_page_in_a_tree(tmp_path):
    path = tmp_path / "p.db"
    sqlite(path, "PRAGMA page_size = 1024; PRAGMA auto_vacuum = 1; CREATE TABLE t(a);"
           + SERIES.format(20) + "INSERT INTO t SELECT randomblob(1500) FROM n;")
    data = bytearray(path.read_bytes())
    root = 3 * 1024 - 1024
    assert data[root] == 5
    data[root + 8:root + 12] = struct.pack(">I", 2)      # right child -> the map page
    path.write_bytes(data)
    ours, theirs = _check_both(path)
    assert "Pointer map page 2 is referenced" in ours
    assert ours[0] == theirs[0] == "On page 3 at right child: Failed to read ptrmap key=2"


def test_header_pragmas_write_as_sqlite3(tmp_path):
    """user_version and application_id are header fields: setting one opens
    a write of its own when needed (it used to fail outside a transaction)."""
    script = ("PRAGMA user_version=5; PRAGMA user_version; CREATE TABLE t(a); PRAGMA user_version=-3;"
              "PRAGMA user_version; PRAGMA application_id='12x'; PRAGMA application_id;"
              "PRAGMA user_version=2.7; PRAGMA user_version; PRAGMA user_version=4294967297;"
              "PRAGMA user_version; BEGIN; PRAGMA user_version=9; ROLLBACK; PRAGMA user_version;"
              "PRAGMA user_version='0x10'; PRAGMA user_version")
    assert _engine_script(tmp_path / "e.db", script) == \
        sqlite(tmp_path / "s.db", script + ";").stdout.splitlines()
    assert sqlite_out(tmp_path / "e.db", "PRAGMA user_version; PRAGMA application_id;") == "16\n12"
