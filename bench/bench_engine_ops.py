"""Engine against SQLite on the same operations, in the same run.

Each operation runs once on litmus's engine (``import engine``) and once on
the standard library's ``sqlite3`` module (SQLite itself, in process), both
on a fresh database file, and the ratio engine/sqlite3 of their times is
printed.  Ratios, not seconds, are the figures to quote: the machines are
shared and noisy.

    .venv/bin/python bench/bench_engine_ops.py            # 100,000 rows
    .venv/bin/python bench/bench_engine_ops.py --rows 20000

Operations: insert N rows in one transaction (with an index on b), 10,000
rowid lookups, 10,000 indexed lookups, a full scan with an aggregate; then
the same N rows in a WITHOUT ROWID table keyed by text (inserted in random
key order) and 10,000 lookups by that key.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import engine  # noqa: E402


def run(module, path: str, rows: int, lookups: int, seed: int) -> dict[str, float]:
    rng = random.Random(seed)
    times = {}
    conn = module.connect(path)
    conn.execute("CREATE TABLE t(a INTEGER PRIMARY KEY, b INTEGER, c TEXT)")
    conn.execute("CREATE INDEX tb ON t(b)")
    conn.commit()

    started = time.perf_counter()
    conn.executemany("INSERT INTO t VALUES (?, ?, ?)",
                     ((i, (i * 7919) % rows, f"row {i}") for i in range(1, rows + 1)))
    conn.commit()
    times["insert"] = time.perf_counter() - started

    keys = [rng.randint(1, rows) for _ in range(lookups)]
    started = time.perf_counter()
    cur = conn.cursor()
    for k in keys:
        cur.execute("SELECT c FROM t WHERE a = ?", (k,))
        cur.fetchall()
    times["rowid lookups"] = time.perf_counter() - started

    started = time.perf_counter()
    for k in keys:
        cur.execute("SELECT a FROM t WHERE b = ?", (k % rows,))
        cur.fetchall()
    times["indexed lookups"] = time.perf_counter() - started

    started = time.perf_counter()
    total = conn.execute("SELECT count(*), sum(b), max(length(c)) FROM t").fetchall()
    times["full scan"] = time.perf_counter() - started

    conn.execute("CREATE TABLE w(k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID")
    order = list(range(1, rows + 1))
    rng.shuffle(order)
    started = time.perf_counter()
    conn.executemany("INSERT INTO w VALUES (?, ?)", ((f"key{i:08d}", i) for i in order))
    conn.commit()
    times["insert w/o rowid"] = time.perf_counter() - started

    started = time.perf_counter()
    found = 0
    for k in keys:
        cur.execute("SELECT v FROM w WHERE k = ?", (f"key{k:08d}",))
        found += len(cur.fetchall())
    times["key lookups"] = time.perf_counter() - started
    conn.close()
    times["_check"] = total + [(found,)]
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--lookups", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ours = run(engine, os.path.join(tmp, "engine.db"), args.rows, args.lookups, args.seed)
        theirs = run(sqlite3, os.path.join(tmp, "sqlite.db"), args.rows, args.lookups, args.seed)
    if ours.pop("_check") != [tuple(r) for r in theirs.pop("_check")]:
        print("results differ between the engine and sqlite3", file=sys.stderr)
        return 1
    print(f"{'operation':18} {'engine s':>10} {'sqlite3 s':>10} {'ratio':>8}")
    for name in ours:
        print(f"{name:18} {ours[name]:10.3f} {theirs[name]:10.3f} {ours[name] / theirs[name]:8.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
