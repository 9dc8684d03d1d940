"""A fuzz campaign (issue 5, point 5): workers in parallel, each with its own
target and sqlite3 process (:mod:`fuzz.worker`), a progress line on a
terminal, then the failures merged into distinct cases (``DIR/cases`` and
the regression corpus), ``DIR/result.json`` and a report in Markdown and
HTML (:mod:`fuzz.report`).

``--resume`` continues a campaign in the same directory after it was
stopped, even by ``kill -9``: each worker restarts at the batch after its
last checkpoint with the seconds it had left, reduces first any failure
that was written but not reduced, and the merge reads every failure file,
so nothing that was printed is lost.
"""

from __future__ import annotations

import json
import multiprocessing
import sys
import time
from dataclasses import dataclass, fields
from pathlib import Path

from targets import OK, open_target

from . import corpus
from .context import GeneratorConfig
from .corpus import write_atomic
from .execute import Stats
from .worker import WorkerConfig, failure_from_json, worker_main

RESULT_FORMAT = "litmus-fuzz/1"


@dataclass
class CampaignConfig:
    out: str
    seconds: float = 60.0
    workers: int = 1
    seed: int = 0
    target: str = "engine"
    oracles: tuple[str, ...] = ("differential", "tlp", "norec")
    without: tuple[str, ...] = ()
    batch_size: int = 50
    timeout: float = 5.0
    messages: bool = True
    shrink_seconds: float = 5.0
    reduce_seconds: float = 60.0
    corpus: str | None = str(corpus.DEFAULT_CORPUS)
    inline: bool = False            # run a single worker in this process
    progress: bool | None = None    # None: when stderr is a terminal
    quiet: bool = False
    failure_filter: object = None   # inline runs only, see fuzz.worker.WorkerConfig
    stop_after: int | None = None

    def to_json(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "failure_filter"}
        d["oracles"] = list(self.oracles)
        d["without"] = list(self.without)
        return d



class CampaignError(Exception):
    pass


def run(cfg: CampaignConfig, resume: bool = False) -> dict:
    out = Path(cfg.out)
    meta_path = out / "campaign.json"
    if resume:
        if not meta_path.exists():
            raise CampaignError(f"nothing to resume in {out} (no campaign.json)")
        saved = json.loads(meta_path.read_text())
        # The campaign goes on as it was started: same target, oracles,
        # seed, and the same corpus (or none) for its cases.
        for key in ("seed", "target", "oracles", "without", "workers", "seconds", "batch_size",
                    "corpus", "timeout", "messages"):
            if key in saved:
                setattr(cfg, key, tuple(saved[key]) if key in ("oracles", "without") else saved[key])
    elif meta_path.exists():
        raise CampaignError(f"{out} already holds a campaign; use --resume or another --out")
    out.mkdir(parents=True, exist_ok=True)
    sqlite_version = _sqlite_version()
    meta = {"format": RESULT_FORMAT, **cfg.to_json(), "sqlite_version": sqlite_version,
            "started": json.loads(meta_path.read_text())["started"] if resume else corpus.now()}
    write_atomic(meta_path, json.dumps(meta, indent=1))
    gen = GeneratorConfig(without=frozenset(cfg.without))
    configs = [WorkerConfig(index=i, out=str(out), seed=cfg.seed, seconds=cfg.seconds, target=cfg.target,
                            oracles=tuple(cfg.oracles), generator=gen, batch_size=cfg.batch_size,
                            timeout=cfg.timeout, messages=cfg.messages, shrink_seconds=cfg.shrink_seconds,
                            reduce_seconds=cfg.reduce_seconds, quiet=cfg.quiet,
                            failure_filter=cfg.failure_filter, stop_after=cfg.stop_after)
               for i in range(cfg.workers)]
    show = cfg.progress if cfg.progress is not None else sys.stderr.isatty()
    wall = time.monotonic()
    if cfg.inline and cfg.workers == 1:
        worker_main(configs[0])
    else:
        _run_processes(configs, cfg, show, wall)
    if show:
        sys.stderr.write("\n")
    return finish(cfg, sqlite_version, time.monotonic() - wall)


def _run_processes(configs, cfg: CampaignConfig, show: bool, wall: float) -> None:
    ctx = multiprocessing.get_context("fork")
    counters = ctx.Array("q", 4 * len(configs), lock=False)
    procs = [ctx.Process(target=worker_main, args=(c, counters), name=f"litmus-fuzz-w{c.index}", daemon=False)
             for c in configs]
    for p in procs:
        p.start()
    try:
        while any(p.is_alive() for p in procs):
            for p in procs:
                p.join(timeout=1.0 / len(procs))
            if show:
                _progress_line(counters, len(procs), time.monotonic() - wall, cfg.seconds)
    except KeyboardInterrupt:
        for p in procs:
            p.terminate()
        for p in procs:
            p.join()
        raise


def _progress_line(counters, n: int, elapsed: float, seconds: float) -> None:
    stmts = sum(counters[4 * i] for i in range(n))
    accepted = sum(counters[4 * i + 1] for i in range(n))
    failures = sum(counters[4 * i + 2] for i in range(n))
    rate = stmts / elapsed if elapsed > 0 else 0.0
    acc = 100.0 * accepted / stmts if stmts else 0.0
    line = (f"\r[{elapsed:5.0f}s/{seconds:.0f}s] {n} worker{'s' if n > 1 else ''}  {stmts:,} statements  "
            f"{rate:,.0f}/s  accepted {acc:.1f}%  failures {failures}")
    sys.stderr.write(line + " " * 4)
    sys.stderr.flush()


def _sqlite_version() -> str:
    try:
        t = open_target("sqlite3")
        try:
            return t.version
        finally:
            t.close()
    except Exception:
        return "unknown"


# ---------------------------------------------------------------- merging

def finish(cfg: CampaignConfig, sqlite_version: str, wall_seconds: float) -> dict:
    """Merges the workers' files into cases, result.json and the reports."""
    from . import report
    out = Path(cfg.out)
    stats = Stats()
    constructs: dict[str, int] = {}
    throughput: list[list[float]] = []
    elapsed = 0.0
    for path in sorted((out / "workers").glob("w*.json")):
        state = json.loads(path.read_text())
        s = state["stats"]
        part = Stats(cases=s["cases"], statements=s["statements"], accepted=s["accepted"])
        part.noise.update(s.get("noise", {}))
        part.inconclusive.update(s.get("inconclusive", {}))
        part.probes_checked.update(s.get("probes_checked", {}))
        stats.merge(part)
        for k, v in state.get("constructs", {}).items():
            constructs[k] = constructs.get(k, 0) + v
        elapsed = max(elapsed, state.get("elapsed", 0.0))
        throughput.append(state.get("throughput", []))
    cases_dir = out / "cases"
    failures = []
    groups: dict[str, dict] = {}
    reference = None
    for raw in sorted((out / "failures").glob("*.json")):
        if raw.name.endswith(".reduced.json"):
            continue
        raw_data = json.loads(raw.read_text())
        reduced_path = raw.with_name(raw.stem + ".reduced.json")
        reduced = json.loads(reduced_path.read_text()) if reduced_path.exists() else None
        sig = reduced["signature"] if reduced else None
        entry = {"id": raw_data["id"], "signature": sig, "reduced": bool(reduced and reduced.get("reduced")),
                 "original_statements": len(raw_data["failure"]["statements"]),
                 "found_after_seconds": raw_data.get("elapsed")}
        failures.append(entry)
        if sig is None:
            groups.setdefault(f"unreduced:{raw_data['id']}", {"hits": 1, "failure": raw_data["failure"],
                                                               "ids": [raw_data["id"]], "reduced": False})
            continue
        g = groups.setdefault(sig, {"hits": 0, "failure": None, "ids": [], "reduced": True})
        g["hits"] += 1
        g["ids"].append(raw_data["id"])
        if reduced.get("failure") is not None and (
                g["failure"] is None or len(reduced["failure"]["statements"]) < len(g["failure"]["statements"])):
            g["failure"] = reduced["failure"]
            g["reduce_seconds"] = reduced.get("seconds")
            g["tests"] = reduced.get("tests")
    distinct, false_alarms = [], []
    merged_path = out / "merged.json"
    merged = set(json.loads(merged_path.read_text())) if merged_path.exists() else set()
    if cases_dir.exists():
        for old in cases_dir.glob("*.yaml"):
            old.unlink()
    for sig, g in groups.items():
        if g["failure"] is None:
            continue
        failure = failure_from_json(g["failure"])
        expected = None
        if failure.oracle != "differential":
            if reference is None:
                reference = open_target("sqlite3", timeout=cfg.timeout)
            expected = _sqlite_result(reference, failure)
            if cfg.target != "sqlite3" and _oracle_fails_on(reference, failure):
                # The rewrite disagrees on sqlite3 too: the oracle, not the
                # target, is wrong here.
                false_alarms.append({"signature": sig, "ids": g["ids"],
                                     "statements": [s.sql for s in failure.statements]})
                continue
        case = corpus.case_from_failure(failure, sqlite_version, expected)
        case_path, _ = corpus.add(cases_dir, _fresh_copy(case), hits=g["hits"])
        corpus_path = None
        new_ids = [i for i in g["ids"] if i not in merged]
        if cfg.corpus:
            corpus_path = Path(cfg.corpus) / case.file_name
            if new_ids:
                corpus.add(Path(cfg.corpus), _fresh_copy(case), hits=len(new_ids))
        merged.update(g["ids"])
        distinct.append({
            "signature": case.signature, "case": str(case_path), "corpus": str(corpus_path) if corpus_path else None,
            "what": case.what, "oracle": case.oracle, "kind": case.kind, "hits": g["hits"], "ids": g["ids"],
            "reduced": g["reduced"], "reduce_seconds": g.get("reduce_seconds"), "reduce_tests": g.get("tests"),
            "statements": [s.sql for s in failure.statements], "detail": failure.detail,
            "expected": case.expected, "got": case.got, "queries": failure.queries,
        })
    write_atomic(merged_path, json.dumps(sorted(merged)))
    if reference is not None:
        reference.close()
    result = {
        "format": RESULT_FORMAT, "target": cfg.target, "reference": "sqlite3" if "differential" in cfg.oracles else None,
        "sqlite_version": sqlite_version, "oracles": list(cfg.oracles), "seed": cfg.seed, "workers": cfg.workers,
        "seconds": cfg.seconds, "elapsed": round(elapsed, 1), "without": list(cfg.without),
        "started": json.loads((out / "campaign.json").read_text()).get("started"), "finished": corpus.now(),
        "totals": {
            "cases": stats.cases, "statements": stats.statements, "accepted": stats.accepted,
            "acceptance": round(stats.accepted / stats.statements, 4) if stats.statements else None,
            "statements_per_second": round(stats.statements / elapsed, 1) if elapsed else None,
            "statements_per_second_per_worker": round(stats.statements / elapsed / max(cfg.workers, 1), 1)
            if elapsed else None,
            "failures": len(failures), "distinct": len(distinct), "oracle_false_alarms": len(false_alarms),
            "noise": dict(stats.noise), "inconclusive": dict(stats.inconclusive),
            "probes_checked": dict(stats.probes_checked),
        },
        "constructs": dict(sorted(constructs.items(), key=lambda kv: -kv[1])),
        "throughput": throughput,
        "distinct_failures": distinct,
        "oracle_false_alarms": false_alarms,
        "failures": failures,
    }
    write_atomic(out / "result.json", json.dumps(result, indent=1, ensure_ascii=False))
    write_atomic(out / "report.md", report.markdown(result))
    write_atomic(out / "report.html", report.html(result))
    return result


def _has(directory: Path, case) -> bool:
    return (directory / case.file_name).exists()


def _fresh_copy(case):
    from copy import copy
    return copy(case)


def _oracle_fails_on(reference, failure) -> bool:
    from . import probes
    reference.reset()
    for s in failure.statements[:-1]:
        reference.execute(s.sql)
    stmt = failure.statements[-1]
    got = reference.execute(stmt.sql)
    return got.status == OK and probes.ORACLES[failure.oracle](reference, stmt.sql, got) is not None


def _sqlite_result(reference, failure):
    reference.reset()
    last = None
    for s in failure.statements:
        last = reference.execute(s.sql)
    return last
