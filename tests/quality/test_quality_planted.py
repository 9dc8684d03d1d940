"""Each planted bug (planted.py) is found by a short campaign and reduced to
at most five statements (issue 5, point 6).

A campaign runs in this process against the engine with one bug planted,
under all three oracles, with a fixed seed.  A failure counts only if it
disappears when the bug is switched off again: the engine's own
differences, which the campaign meets as well, are passed over, and the
reducer keeps only steps that still depend on the planted bug.  The time
to find each bug is printed (``pytest -s`` or ``-rP`` shows it).
"""

from __future__ import annotations

import time

import pytest

from fuzz.campaign import CampaignConfig, run
from fuzz.execute import run_case
from fuzz.worker import failure_from_json
from targets import open_target

from planted import BUGS, Patcher

SEED = 1
SECONDS = 90          # the most a campaign may take to find its bug
MAX_STATEMENTS = 5


class FromPlantedBug:
    """The campaign's failure filter: True when the failure goes away with
    the bug switched off."""

    def __init__(self, patcher: Patcher):
        self.patcher = patcher
        self.engine = open_target("engine", timeout=5)
        self.sqlite3 = open_target("sqlite3", timeout=5)

    def __call__(self, failure) -> bool:
        return not self.reproduces_without_bug(failure)

    def reproduces_without_bug(self, failure) -> bool:
        self.patcher.off()
        try:
            again = run_case(failure.statements, self.engine, self.sqlite3, (failure.oracle,), count=False)
        finally:
            self.patcher.on()
        return again is not None and again.index == failure.index and again.kind_key() == failure.kind_key()

    def close(self) -> None:
        self.engine.close()
        self.sqlite3.close()


@pytest.mark.parametrize("bug", BUGS, ids=[b.name for b in BUGS])
def test_planted_bug_is_found_and_reduced(bug, tmp_path):
    patcher = Patcher()
    bug.plant(patcher)
    check = FromPlantedBug(patcher)
    started = time.monotonic()
    try:
        cfg = CampaignConfig(out=str(tmp_path / "campaign"), seconds=SECONDS, workers=1, seed=SEED,
                             target="engine", inline=True, corpus=None, quiet=True, progress=False,
                             batch_size=20, shrink_seconds=1.0, reduce_seconds=20.0,
                             failure_filter=check, stop_after=1)
        result = run(cfg)
        assert result["distinct_failures"], f"{bug.name} ({bug.what}) not found in {SECONDS} s"
        found = result["distinct_failures"][0]
        failure = failure_from_json(_reduced_failure(tmp_path / "campaign", found["ids"][0]))
        assert not check.reproduces_without_bug(failure), "the reduced case does not depend on the bug"
    finally:
        patcher.off()
        check.close()
    first = min(f["found_after_seconds"] for f in result["failures"])
    print(f"\n{bug.name}: found after {first:.1f} s ({result['totals']['statements']} statements), "
          f"reduced to {len(found['statements'])} statements in {found['reduce_seconds']} s; "
          f"total {time.monotonic() - started:.1f} s")
    for sql in found["statements"]:
        print("    " + sql + ";")
    assert len(found["statements"]) <= MAX_STATEMENTS, found["statements"]


def _reduced_failure(out, raw_id: str) -> dict:
    import json
    data = json.loads((out / "failures" / f"{raw_id}.reduced.json").read_text())
    return data["failure"]
