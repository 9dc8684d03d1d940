"""End-to-end throughput of one fuzz worker: generate cases with Hypothesis,
run every statement on the target and on the sqlite3 binary, compare
(the differential oracle), in statements per second.

    python bench/bench_fuzz.py                      # 20 s against the engine
    python bench/bench_fuzz.py --seconds 60
    python bench/bench_fuzz.py --target dbapi:sqlite3
    python bench/bench_fuzz.py --oracle differential,tlp,norec

This is the loop a campaign worker runs (fuzz.generator.run_batch feeding
fuzz.execute.run_case), without what happens after a failure (shrinking,
reducing, writing cases): a case that shows a difference stops at that
statement, as in a campaign, and the next case follows.  The time is split
into generation (Hypothesis drawing the cases), the target, sqlite3 and the
rest (comparison and bookkeeping), so a slow figure says where it comes from.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from fuzz.context import GeneratorConfig  # noqa: E402
from fuzz.execute import Stats, parse_oracles, run_case  # noqa: E402
from fuzz.generator import batch_seed, run_batch  # noqa: E402
from targets import open_target  # noqa: E402


class _Timed:
    """A target wrapper that adds up the time spent in ``execute``."""

    def __init__(self, target):
        self.target = target
        self.name = target.name
        self.seconds = 0.0

    def execute(self, sql):
        started = time.perf_counter()
        try:
            return self.target.execute(sql)
        finally:
            self.seconds += time.perf_counter() - started

    def reset(self):
        started = time.perf_counter()
        try:
            self.target.reset()
        finally:
            self.seconds += time.perf_counter() - started

    def close(self):
        self.target.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--target", default="engine")
    parser.add_argument("--oracle", default="differential")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=50)
    args = parser.parse_args(argv)
    oracles = parse_oracles(args.oracle)
    target = _Timed(open_target(args.target, timeout=5))
    reference = _Timed(open_target("sqlite3", timeout=5)) if "differential" in oracles else None
    stats = Stats()
    failures = [0]
    in_cases = [0.0]

    def one_case(case, shrinking):
        started = time.perf_counter()
        if run_case(case.statements, target, reference, oracles, stats) is not None:
            failures[0] += 1
        in_cases[0] += time.perf_counter() - started
        return None

    started = time.perf_counter()
    deadline = started + args.seconds
    batch = 0
    while time.perf_counter() < deadline:
        run_batch(GeneratorConfig(), batch_seed(args.seed, 0, batch), args.batch_size, one_case,
                  lambda a, b: True, stop=lambda: time.perf_counter() >= deadline)
        batch += 1
    wall = time.perf_counter() - started
    target.close()
    if reference is not None:
        reference.close()
    rate = stats.statements / wall
    generation = wall - in_cases[0]
    other = in_cases[0] - target.seconds - (reference.seconds if reference else 0.0)
    print(f"target {args.target}, oracles {','.join(oracles)}: {stats.statements:,} statements in "
          f"{stats.cases:,} cases, {wall:.1f} s")
    print(f"  {rate:,.0f} statements/s for one worker (sqlite3 accepted {100 * stats.accepted / max(stats.statements, 1):.1f}%,"
          f" {failures[0]} cases stopped at a difference)")
    print(f"  time: generation {100 * generation / wall:.0f}%, {args.target} {100 * target.seconds / wall:.0f}%, "
          f"sqlite3 {100 * (reference.seconds if reference else 0) / wall:.0f}%, comparison and the rest "
          f"{100 * other / wall:.0f}%")
    if rate < 300:
        print("  below the 300 statements/s per worker the fuzzer aims at")
    return 0


if __name__ == "__main__":
    sys.exit(main())
