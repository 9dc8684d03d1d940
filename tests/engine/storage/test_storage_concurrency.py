"""Two processes writing one rollback-mode database (issue 4 acceptance):
engine and engine, engine and sqlite3, each inserting rows (single
statements and small explicit transactions) and reading, with a busy
timeout, for a while.  No committed row may be lost, no failed one may
appear, and the database must pass sqlite3's integrity_check.

The duration is ``LITMUS_CONCURRENCY_SECONDS`` (10 by default); the slow
run runs each pair for 60 seconds:
``LITMUS_SLOW=1 .venv/bin/python -m pytest -q -m slow tests/engine/storage``."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from storage_helpers import SQLITE3, requires_sqlite3, sqlite, sqlite_out

SECONDS = float(os.environ.get("LITMUS_CONCURRENCY_SECONDS", "10"))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

_WRITER = r"""
import json, os, random, subprocess, sys, time
db, kind, tag, seconds = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
rng = random.Random(tag)
committed, failed = [], 0
deadline = time.monotonic() + seconds
i = 0
if kind == "engine":
    sys.path.insert(0, sys.argv[5])
    import engine
    conn = engine.connect(db, timeout=10.0, isolation_level=None)
    while time.monotonic() < deadline:
        i += 1
        try:
            if i % 10 == 0:
                ids = list(range(i, i + 5))
                conn.execute("BEGIN IMMEDIATE")
                try:
                    for k in ids:
                        conn.execute("INSERT INTO t VALUES (?, ?, ?)", (tag, k, os.urandom(rng.randint(0, 3000))))
                    conn.execute("COMMIT")
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                committed += ids
                i += 5
            else:
                conn.execute("INSERT INTO t VALUES (?, ?, ?)", (tag, i, os.urandom(rng.randint(0, 3000))))
                committed.append(i)
            if i % 7 == 0:
                conn.execute("SELECT count(*), sum(length(c)) FROM t").fetchall()
        except engine.OperationalError as exc:
            failed += 1
    conn.close()
else:
    sq = subprocess.Popen([sys.argv[5], "-batch", db], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, bufsize=1)
    sq.stdin.write(".timeout 10000\n")
    while time.monotonic() < deadline:
        i += 1
        n = rng.randint(0, 3000)
        if i % 10 == 0:
            ids = list(range(i, i + 5))
            body = "".join(f"INSERT INTO t VALUES ('{tag}', {k}, randomblob({n}));" for k in ids)
            sql = f"BEGIN IMMEDIATE; {body} COMMIT;"
            i += 5
        else:
            ids = [i]
            sql = f"INSERT INTO t VALUES ('{tag}', {i}, randomblob({n}));"
        sq.stdin.write(sql + f"\nSELECT 'DONE', count(*) FROM t WHERE tag = '{tag}' AND i IN ({','.join(map(str, ids))});\n")
        sq.stdin.flush()
        while True:
            line = sq.stdout.readline()
            if not line:
                raise SystemExit("sqlite3 died")
            if line.startswith("DONE|"):
                break
        if int(line.split("|")[1]) == len(ids):
            committed += ids
        else:
            failed += 1
            sq.stdin.write("ROLLBACK;\n")
    sq.stdin.close()
    sq.wait()
print(json.dumps({"committed": committed, "failed": failed}))
"""


def _run_pair(tmp_path, kinds, seconds):
    db = str(tmp_path / "shared.db")
    sqlite(db, "CREATE TABLE t(tag TEXT, i INTEGER, c BLOB, PRIMARY KEY (tag, i));"
               "CREATE INDEX tc ON t(length(c));")
    procs = []
    for n, kind in enumerate(kinds):
        extra = ROOT if kind == "engine" else SQLITE3
        procs.append(subprocess.Popen([sys.executable, "-c", _WRITER, db, kind, f"{kind}{n}",
                                       str(seconds), extra],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    results = {}
    for n, p in enumerate(procs):
        out, err = p.communicate(timeout=seconds + 120)
        assert p.returncode == 0, err[-3000:]
        results[f"{kinds[n]}{n}"] = json.loads(out.strip().splitlines()[-1])
    assert sqlite_out(db, "PRAGMA integrity_check;") == "ok"
    for tag, res in results.items():
        rows = sqlite_out(db, f"SELECT i FROM t WHERE tag = '{tag}' ORDER BY i;").split()
        assert sorted(map(int, rows)) == sorted(res["committed"]), tag
        assert len(res["committed"]) > 20, (tag, res["failed"])
    return results


@requires_sqlite3
@pytest.mark.parametrize("kinds", [["engine", "engine"], ["engine", "sqlite3"]])
def test_two_processes_share_a_rollback_database(tmp_path, kinds):
    _run_pair(tmp_path, kinds, SECONDS)


@pytest.mark.slow
@requires_sqlite3
@pytest.mark.parametrize("kinds", [["engine", "engine"], ["engine", "sqlite3"]])
def test_two_processes_for_a_minute(tmp_path, kinds):
    _run_pair(tmp_path, kinds, 60.0)
