"""Statements per second through the sqlite3 target, and through
``dbapi:sqlite3`` on the same statements for a ratio.

    python bench/bench_sqlite3_target.py                 # 3 seconds per target
    python bench/bench_sqlite3_target.py --seconds 10
    python bench/bench_sqlite3_target.py --statements 50000

Each target gets the same fixed mix of simple one-statement calls, one per
``execute``: an INSERT of literal values, a lookup of one row by rowid, and
``SELECT 1``.  Every result is checked, so a broken target cannot look fast.
The figure for the sqlite3 target is what one worker of the conformance
runner or the fuzzer can push through one sqlite3 process.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from targets import open_target  # noqa: E402


def statements():
    """An endless stream of (sql, expected rows) in a fixed mix."""
    inserted = 0
    i = 0
    while True:
        kind = i % 3
        if kind == 0:
            inserted += 1
            yield f"INSERT INTO t VALUES({inserted}, 'value {inserted}', {inserted}.5)", []
        elif kind == 1:
            rowid = (i * 7919) % inserted + 1
            yield f"SELECT a, b FROM t WHERE rowid = {rowid}", [(rowid, f"value {rowid}")]
        else:
            yield "SELECT 1", [(1,)]
        i += 1


def run(spec: str, seconds: float | None, count: int | None) -> tuple[int, float]:
    target = open_target(spec)
    try:
        setup = target.execute("CREATE TABLE t(a INTEGER, b TEXT, c REAL)")
        assert setup.ok, setup.error
        done = 0
        stream = statements()
        started = time.perf_counter()
        deadline = started + seconds if seconds is not None else None
        while True:
            # Check the clock every 100 statements to keep its cost out.
            for _ in range(100):
                sql, expected = next(stream)
                result = target.execute(sql)
                if not result.ok or result.rows != expected:
                    raise SystemExit(f"{spec}: wrong result for {sql!r}: {result}")
                done += 1
            if count is not None and done >= count:
                break
            if deadline is not None and time.perf_counter() >= deadline:
                break
        return done, time.perf_counter() - started
    finally:
        target.close()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--seconds", type=float, help="run each target this long (default 3)")
    group.add_argument("--statements", type=int, help="run this many statements per target")
    parser.add_argument("--targets", default="sqlite3,dbapi:sqlite3",
                        help="comma-separated target specs (default: sqlite3,dbapi:sqlite3)")
    args = parser.parse_args(argv)
    seconds = args.seconds if args.seconds is not None or args.statements is not None else 3.0
    rates = {}
    for spec in args.targets.split(","):
        done, elapsed = run(spec, seconds, args.statements)
        rates[spec] = done / elapsed
        print(f"{spec:>16}: {done:>8} statements in {elapsed:6.2f} s = {rates[spec]:>9,.0f} statements/s")
    if "sqlite3" in rates and "dbapi:sqlite3" in rates:
        print(f"{'ratio':>16}: sqlite3 target runs at {rates['sqlite3'] / rates['dbapi:sqlite3']:.1%} "
              f"of dbapi:sqlite3")


if __name__ == "__main__":
    main()
