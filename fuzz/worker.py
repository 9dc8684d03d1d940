"""One campaign worker: its own target and its own persistent sqlite3
process, seeded batches of generated cases (:func:`fuzz.generator.run_batch`),
each failure written to disk the moment it is seen, then shrunk by
Hypothesis and reduced (:mod:`fuzz.reducer`), and a checkpoint after every
batch so that a killed campaign resumes where it was.

Files under the campaign directory (all written atomically):

- ``workers/wN.json``: the checkpoint: next batch, seconds spent, counters,
  constructs seen, throughput samples, the kinds already reduced;
- ``failures/ID.json``: a failure as found (before any shrinking);
- ``failures/ID.reduced.json``: the same failure after reduction, with its
  signature (or, for a frequent kind, the note that it was not reduced
  again).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from targets import open_target

from .constructs import detect
from .corpus import write_atomic
from .execute import Failure, Stats, run_case
from .generator import Statement, batch_seed, run_batch
from .reducer import Reducer

# After this many reductions of one kind of failure that all ended in the
# same signature, further hits of that kind are counted, not reduced.
REDUCE_SAME_KIND = 3


@dataclass
class WorkerConfig:
    index: int
    out: str
    seed: int
    seconds: float
    target: str
    oracles: tuple[str, ...]
    generator: object               # GeneratorConfig
    batch_size: int = 50
    timeout: float = 5.0
    messages: bool = True
    shrink_seconds: float = 5.0
    reduce_seconds: float = 60.0
    quiet: bool = False
    # For the quality tests (inline runs only): a failure that does not
    # satisfy failure_filter is neither recorded nor reduced (and reduction
    # keeps only steps that satisfy it); the worker stops once stop_after
    # failures were recorded.
    failure_filter: object = None
    stop_after: int | None = None


def failure_to_json(f: Failure) -> dict:
    return {
        "oracle": f.oracle, "kind": f.kind, "detail": f.detail, "index": f.index,
        "statements": [{"sql": s.sql, "ordered": s.ordered, "limited": s.limited, "probe": s.probe}
                       for s in f.statements],
        "expected": f.expected.to_json(), "got": f.got.to_json(), "queries": f.queries,
    }


def failure_from_json(d: dict) -> Failure:
    from .corpus import Case, expected_result
    stmts = [Statement(s["sql"], s.get("ordered", False), s.get("limited", False), s.get("probe", False))
             for s in d["statements"]]
    exp = expected_result(Case("", "", "", "", [], [], d["expected"], None, ""))
    got = expected_result(Case("", "", "", "", [], [], d["got"], None, ""))
    return Failure(d["oracle"], d["kind"], d["detail"], d["index"], stmts, exp, got, d.get("queries") or [])


class Worker:
    def __init__(self, cfg: WorkerConfig, counters=None):
        self.cfg = cfg
        self.out = Path(cfg.out)
        self.counters = counters               # shared array: statements, accepted, failures, cases
        self.checkpoint_path = self.out / "workers" / f"w{cfg.index}.json"
        self.state = self._load()
        self.target = open_target(cfg.target, timeout=cfg.timeout)
        # sqlite3 beside the target: the differential oracle's reference, and
        # for TLP/NoREC the check that a finding is not sqlite3's own (not
        # when the target is the sqlite3 binary itself).
        self.reference = open_target("sqlite3", timeout=cfg.timeout) \
            if "differential" in cfg.oracles or cfg.target != "sqlite3" else None
        self.stats = Stats()
        self.stats.cases = self.state["stats"]["cases"]
        self.stats.statements = self.state["stats"]["statements"]
        self.stats.accepted = self.state["stats"]["accepted"]
        self.stats.noise.update(self.state["stats"].get("noise", {}))
        self.stats.inconclusive.update(self.state["stats"].get("inconclusive", {}))
        self.stats.probes_checked.update(self.state["stats"].get("probes_checked", {}))
        self.constructs = Counter(self.state.get("constructs", {}))
        self.failure_count = len(self.state.get("failures", []))
        self._publish()

    # ------------------------------------------------------------ state

    def _load(self) -> dict:
        if self.checkpoint_path.exists():
            return json.loads(self.checkpoint_path.read_text())
        return {"worker": self.cfg.index, "next_batch": 0, "elapsed": 0.0,
                "stats": Stats().to_json(), "constructs": {}, "throughput": [], "failures": [],
                "reduced_kinds": {}}

    def _save(self) -> None:
        self.state["stats"] = self.stats.to_json()
        self.state["constructs"] = dict(self.constructs)
        write_atomic(self.checkpoint_path, json.dumps(self.state, indent=1))

    def _publish(self) -> None:
        if self.counters is not None:
            base = 4 * self.cfg.index
            self.counters[base] = self.stats.statements
            self.counters[base + 1] = self.stats.accepted
            self.counters[base + 2] = self.failure_count
            self.counters[base + 3] = self.stats.cases

    # ------------------------------------------------------------ the loop

    def _elapsed(self) -> float:
        return self._spent_before + (time.monotonic() - self._started)

    def _stop_requested(self) -> bool:
        return self.cfg.stop_after is not None and self.failure_count >= self.cfg.stop_after

    def run(self) -> None:
        cfg = self.cfg
        started = self._started = time.monotonic()
        spent_before = self._spent_before = self.state["elapsed"]
        deadline = started + max(0.0, cfg.seconds - spent_before)
        self._finish_pending()
        last_sample = time.monotonic()
        while time.monotonic() < deadline:
            batch = self.state["next_batch"]
            self._batch = batch
            self._found_in_batch = 0
            outcome = run_batch(cfg.generator, batch_seed(cfg.seed, cfg.index, batch), cfg.batch_size,
                                self._run_case, _same_failure, shrink_seconds=cfg.shrink_seconds,
                                stop=lambda: time.monotonic() >= deadline or self._stop_requested())
            if time.monotonic() >= deadline and outcome.failure is None:
                # Cut short by the deadline: the batch is not done and will be
                # run again (from its start) by a resumed campaign.
                self.state["elapsed"] = spent_before + (time.monotonic() - started)
                self._save()
                break
            self.state["next_batch"] = batch + 1
            if outcome.failure is not None:
                raw_id = outcome.failure[0]
                shrunk = outcome.shrunk
                failure = outcome.failure[1]
                if shrunk is not None and len(shrunk.statements) < len(failure.statements):
                    f = run_case(shrunk.statements, self.target, self.reference, (failure.oracle,),
                                 count=False, messages=cfg.messages)
                    if f is not None and f.kind_key() == failure.kind_key():
                        failure = f
                self._reduce_and_record(raw_id, failure)
            now = time.monotonic()
            self.state["elapsed"] = spent_before + (now - started)
            if now - last_sample >= 5.0 or not self.state["throughput"]:
                self.state["throughput"].append([round(self.state["elapsed"], 1), self.stats.statements])
                last_sample = now
            self._save()
            self._publish()
            if self._stop_requested():
                break
        self.state["elapsed"] = spent_before + (time.monotonic() - started)
        self.state["throughput"].append([round(self.state["elapsed"], 1), self.stats.statements])
        self._save()
        self._publish()

    def _run_case(self, case, shrinking: bool):
        if shrinking:
            f = run_case(case.statements, self.target, self.reference, self.cfg.oracles,
                         messages=self.cfg.messages, count=False)
            return None if f is None else ("shrink", f)
        for s in case.statements:
            self.constructs.update(detect(s.sql))
        f = run_case(case.statements, self.target, self.reference, self.cfg.oracles, self.stats,
                     messages=self.cfg.messages)
        if self.counters is not None:
            self._publish()
        if f is None:
            return None
        if self.cfg.failure_filter is not None and not self.cfg.failure_filter(f):
            self.stats.inconclusive["filtered"] += 1
            return None
        # Written before anything else happens to it (shrinking, reducing).
        self._found_in_batch += 1
        raw_id = f"w{self.cfg.index}-b{self._batch}-{self._found_in_batch}"
        write_atomic(self.out / "failures" / f"{raw_id}.json",
                     json.dumps({"id": raw_id, "worker": self.cfg.index, "batch": self._batch,
                                 "seed": self.cfg.seed, "elapsed": round(self._elapsed(), 2),
                                 "failure": failure_to_json(f)}, indent=1))
        self.state.setdefault("failures", []).append(raw_id)
        self.failure_count += 1
        known = self._saturated(f)
        if known is not None:
            # A kind whose last reductions all gave one case: count this hit
            # under it and go on with the batch instead of reducing again.
            write_atomic(self.out / "failures" / f"{raw_id}.reduced.json",
                         json.dumps({"id": raw_id, "reduced": False, "signature": known,
                                     "note": "not reduced: earlier failures of this kind reduced to one case"}))
            self._save()
            self._publish()
            return None
        self._save()
        self._publish()
        if not self.cfg.quiet:
            print(f"litmus fuzz: failure {raw_id}: {f.oracle} {f.kind} at "
                  f"{f.statement.sql[:70]!r} (written to {self.out / 'failures' / (raw_id + '.json')})",
                  file=sys.stderr, flush=True)
        return (raw_id, f)

    def _finish_pending(self) -> None:
        """Reduces failures that a killed run wrote but did not reduce."""
        folder = self.out / "failures"
        for raw_id in list(self.state.get("failures", [])):
            if (folder / f"{raw_id}.reduced.json").exists():
                continue
            path = folder / f"{raw_id}.json"
            if not path.exists():
                continue
            failure = failure_from_json(json.loads(path.read_text())["failure"])
            self._reduce_and_record(raw_id, failure)

    def _saturated(self, failure: Failure) -> str | None:
        """The signature that every reduction of this kind of failure gave,
        once there were REDUCE_SAME_KIND of them; else None."""
        seen = self.state.setdefault("reduced_kinds", {}).get(json.dumps(failure.kind_key()), [])
        if len(seen) >= REDUCE_SAME_KIND and len(set(seen[-REDUCE_SAME_KIND:])) == 1:
            return seen[-1]
        return None

    def _reduce_and_record(self, raw_id: str, failure: Failure) -> None:
        cfg = self.cfg
        kinds = self.state.setdefault("reduced_kinds", {})
        key = json.dumps(failure.kind_key())
        seen = kinds.get(key, [])
        record = {"id": raw_id}
        known = self._saturated(failure)
        if known is not None:
            record.update({"reduced": False, "signature": known,
                           "note": "not reduced: earlier failures of this kind reduced to one case"})
        else:
            reducer = Reducer(self.target, self.reference, messages=cfg.messages, seconds=cfg.reduce_seconds,
                              accept=cfg.failure_filter)
            started = time.monotonic()
            reduced = reducer.reduce(failure)
            sig = reduced.signature()
            kinds[key] = seen + [sig]
            record.update({"reduced": True, "signature": sig, "tests": reducer.tests,
                           "seconds": round(time.monotonic() - started, 2),
                           "original_statements": len(failure.statements),
                           "failure": failure_to_json(reduced)})
        write_atomic(self.out / "failures" / f"{raw_id}.reduced.json", json.dumps(record, indent=1))
        self._save()

    def close(self) -> None:
        for t in (self.target, self.reference):
            if t is not None:
                try:
                    t.close()
                except Exception:
                    pass


def _same_failure(first, new) -> bool:
    return first[1].kind_key() == new[1].kind_key()


def worker_main(cfg: WorkerConfig, counters=None) -> None:
    """Entry point of a worker process."""
    try:
        os.nice(0)
    except OSError:
        pass
    worker = Worker(cfg, counters)
    try:
        worker.run()
    finally:
        worker.close()
