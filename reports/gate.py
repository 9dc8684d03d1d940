"""The CI gate (docs/results.md, "The gate"): per-suite minimum pass rates,
and regressions against a stored baseline.

Several result files can be gated together; their files are merged (a file
id may appear in only one of them).  For each suite of ci/gate.yaml the gate
sums the counts of the files its patterns match and compares
passed / (passed + failed) with the suite's minimum.  A suite no record of
which was run is "not run", which fails the gate only for a required suite.
Against the baseline of the results' kind, a record failing now whose file
was in the baseline run and which did not fail there is a regression, and
so is a baseline file that can no longer be read.  Records that failed in
the baseline and no longer fail are improvements: reported, never a
failure.  Exit status: 0 all holds, 1 a suite below its minimum or a
regression, 2 unreadable input (raised as ReportError).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
import sys
from typing import Iterable, TextIO

from reports.baseline import Baseline, load_baseline, record_sort_key, save_baseline
from reports.gate_config import GateConfig, Suite, load_gate_config
from reports.results import (ConformanceResult, Counts, FileSummary, Record, ReportError,
                             format_rate, load_result, pass_rate)
from reports.text import one_line

# Longest list of improvements or baseline changes printed before "... and N more".
LIST_LIMIT = 50


@dataclass
class Run:
    """The merged results of one kind."""

    kind: str
    sources: list[str] = field(default_factory=list)
    files: dict[str, FileSummary] = field(default_factory=dict)
    failures: dict[str, Record] = field(default_factory=dict)

    def ran(self, file_id: str) -> bool:
        entry = self.files.get(file_id)
        return entry is not None and entry.error is None


@dataclass(frozen=True, slots=True)
class SuiteOutcome:
    suite: Suite
    counts: Counts
    files: int
    unreadable: int

    @property
    def rate(self) -> float | None:
        return pass_rate(self.counts)

    @property
    def status(self) -> str:
        if self.counts.records == 0:
            return "MISSING" if self.suite.required else "NOT RUN"
        counted = self.counts.passed + self.counts.failed
        if counted == 0:
            return "OK"
        # Exact arithmetic: 95 of 100 must meet a minimum of 0.95.
        floor = Fraction(repr(self.suite.min_pass_rate))
        return "OK" if Fraction(self.counts.passed, counted) >= floor else "BELOW"

    @property
    def holds(self) -> bool:
        return self.status in ("OK", "NOT RUN")


@dataclass(frozen=True, slots=True)
class Regression:
    id: str
    sql: str
    message: str


@dataclass
class BaselineCheck:
    kind: str
    path: Path | None
    baseline: Baseline | None
    regressions: list[Regression] = field(default_factory=list)
    improvements: list[str] = field(default_factory=list)
    unbaselined_failures: int = 0  # failures in files the baseline did not run
    problem: str | None = None  # why an existing baseline could not be used


@dataclass
class GateOutcome:
    suites: list[SuiteOutcome]
    checks: list[BaselineCheck]
    unassigned: dict[str, tuple[int, Counts]]  # kind -> (files, counts) in no suite

    @property
    def below(self) -> list[SuiteOutcome]:
        return [outcome for outcome in self.suites if not outcome.holds]

    @property
    def regressions(self) -> list[Regression]:
        return [r for check in self.checks for r in check.regressions]

    @property
    def passed(self) -> bool:
        return not self.below and not self.regressions


def merge_results(results: Iterable[ConformanceResult]) -> dict[str, Run]:
    runs: dict[str, Run] = {}
    owner: dict[str, str] = {}
    for result in results:
        run = runs.setdefault(result.kind, Run(result.kind))
        run.sources.append(result.source)
        for entry in result.files:
            if entry.file in run.files:
                raise ReportError(f"file {entry.file} is in both {owner[entry.file]} and "
                                  f"{result.source}; gate results that do not overlap")
            owner[entry.file] = result.source
            run.files[entry.file] = entry
        for record in result.failures:
            run.failures[record.id] = record
    return runs


def evaluate_gate(config: GateConfig, runs: dict[str, Run],
                  baseline_override: Path | None = None,
                  replacing_baseline: bool = False) -> GateOutcome:
    """``replacing_baseline``: an unreadable baseline (say, one left with merge
    conflict markers) is noted instead of stopping the gate, as it is about
    to be rewritten."""
    suites = []
    assigned: dict[str, set[str]] = {}
    for suite in config.suites:
        run = runs.get(suite.kind, Run(suite.kind))
        matched = [entry for file_id, entry in run.files.items() if suite.matches(file_id)]
        assigned.setdefault(suite.kind, set()).update(entry.file for entry in matched)
        counts = sum((entry.counts for entry in matched), Counts())
        unreadable = sum(1 for entry in matched if entry.error is not None)
        suites.append(SuiteOutcome(suite, counts, len(matched), unreadable))

    unassigned = {}
    for kind, run in runs.items():
        loose = [entry for file_id, entry in run.files.items()
                 if file_id not in assigned.get(kind, set())]
        if loose:
            unassigned[kind] = (len(loose), sum((e.counts for e in loose), Counts()))

    checks = [check_baseline(run, baseline_path(config, kind, baseline_override, runs),
                             replacing_baseline)
              for kind, run in sorted(runs.items())]
    return GateOutcome(suites, checks, unassigned)


def baseline_path(config: GateConfig, kind: str, override: Path | None,
                  runs: dict[str, Run]) -> Path | None:
    if override is not None:
        if len(runs) > 1:
            raise ReportError("--baseline names one baseline but the results are of several "
                              "kinds; set the paths in the gate configuration instead")
        return override
    return config.baselines.get(kind)


def check_baseline(run: Run, path: Path | None, replacing: bool = False) -> BaselineCheck:
    if path is None or not path.exists():
        return BaselineCheck(run.kind, path, None)
    try:
        baseline = load_baseline(path, run.kind)
    except ReportError as exc:
        if not replacing:
            raise
        return BaselineCheck(run.kind, path, None, problem=str(exc))
    check = BaselineCheck(run.kind, path, baseline)
    for file_id, entry in sorted(run.files.items()):
        if entry.error is not None and file_id in baseline.files:
            check.regressions.append(Regression(file_id, "", f"file could not be run: {entry.error}"))
    for record_id in sorted(run.failures, key=record_sort_key):
        record = run.failures[record_id]
        if record.file not in baseline.files:
            check.unbaselined_failures += 1
        elif record_id not in baseline.failed:
            check.regressions.append(Regression(record_id, record.sql, record.message))
    check.improvements = sorted(
        (record_id for record_id in baseline.failed
         if run.ran(_file_of(record_id)) and record_id not in run.failures),
        key=record_sort_key)
    return check


def baseline_from_run(run: Run) -> Baseline:
    return Baseline(kind=run.kind,
                    files=frozenset(f for f, entry in run.files.items() if entry.error is None),
                    failed=frozenset(run.failures))


def format_outcome(outcome: GateOutcome, updating: bool = False) -> list[str]:
    lines = []
    width = max((len(o.suite.name) for o in outcome.suites), default=0)
    for o in outcome.suites:
        name = o.suite.name.ljust(width)
        if o.counts.records == 0:
            extra = f" ({_n(o.unreadable, 'file')} unreadable)" if o.unreadable else ""
            note = "required, " if o.suite.required else ""
            lines.append(f"suite {name}  not run ({note}no records){extra}  {o.status}")
            continue
        extra = f", {o.unreadable} unreadable" if o.unreadable else ""
        lines.append(
            f"suite {name}  passed {o.counts.passed} failed {o.counts.failed}"
            f" ({_n(o.files, 'file')}{extra})  rate {format_rate(o.rate)}"
            f" min {format_rate(o.suite.min_pass_rate)}  {o.status}")
    for kind, (files, counts) in sorted(outcome.unassigned.items()):
        lines.append(f"unassigned: {_n(files, kind + ' file')} in no suite "
                     f"(passed {counts.passed} failed {counts.failed})")

    for check in outcome.checks:
        if check.path is None:
            lines.append(f"baseline {check.kind}: none configured, no regression check")
            continue
        if check.problem is not None:
            lines.append(f"baseline {check.kind}: unreadable, replacing it: {check.problem}")
            continue
        if check.baseline is None:
            lines.append(f"baseline {check.kind}: {check.path} not found, no regression check"
                         + ("" if updating else " (create it with --update-baseline)"))
            continue
        lines.append(f"baseline {check.kind}: {check.path} ({_n(len(check.baseline.files), 'file')}, "
                     f"{_n(len(check.baseline.failed), 'failing record')})")
        word = "accepted" if updating else "REGRESSION"
        for r in check.regressions:
            sql = f"  {one_line(r.sql, 100)}" if r.sql else ""
            lines.append(f"{word} {r.id}{sql}  ({one_line(r.message, 160)})")
        if check.unbaselined_failures:
            lines.append(f"note: {_n(check.unbaselined_failures, 'failure')} in files the baseline "
                         "did not run (not regressions)")
        if not updating:
            lines.extend(_capped([f"improvement {record_id} no longer fails"
                                  for record_id in check.improvements]))
            if check.improvements:
                lines.append(f"{_n(len(check.improvements), 'improvement')}: update the baseline "
                             "with --update-baseline")
    return lines


def verdict(outcome: GateOutcome, updating: bool = False) -> str:
    statuses = [o.status for o in outcome.suites]
    problems = []
    if statuses.count("BELOW"):
        problems.append(f"{_n(statuses.count('BELOW'), 'suite')} below minimum")
    if statuses.count("MISSING"):
        problems.append(f"{_n(statuses.count('MISSING'), 'required suite')} not run")
    if outcome.regressions and not updating:
        problems.append(_n(len(outcome.regressions), "regression"))
    if problems:
        return "gate: FAIL (" + ", ".join(problems) + ")"
    summary = f"{_n(statuses.count('OK'), 'suite')} OK"
    if statuses.count("NOT RUN"):
        summary += f", {statuses.count('NOT RUN')} not run"
    return f"gate: PASS ({summary})"


def describe_update(old: Baseline | None, new: Baseline, path: Path) -> list[str]:
    lines = [f"baseline {new.kind}: wrote {path} ({_n(len(new.files), 'file')}, "
             f"{_n(len(new.failed), 'failing record')})"]
    if old is None:
        return lines
    improved = sorted((r for r in old.failed - new.failed if _file_of(r) in new.files),
                      key=record_sort_key)
    untracked = len(old.failed - new.failed) - len(improved)
    worse = sorted(new.failed - old.failed, key=record_sort_key)
    lines.extend(_capped([f"improvement {r} now passes" for r in improved]))
    lines.extend(_capped([f"new failure {r}" for r in worse]))
    added, dropped = len(new.files - old.files), len(old.files - new.files)
    lines.append(f"changes: {len(improved)} newly passing, {len(worse)} newly failing, "
                 f"{_n(added, 'file')} added, {_n(dropped, 'file')} dropped"
                 + (f" ({untracked} failures of dropped files forgotten)" if untracked else ""))
    return lines


def run_gate(result_paths: list[str], gate_path: str, baseline_override: str | None = None,
             update_baseline: bool = False, out: TextIO | None = None) -> int:
    """The ``litmus gate`` verb; raises ReportError on unreadable input."""
    out = out or sys.stdout
    config = load_gate_config(gate_path)
    runs = merge_results(load_result(path) for path in result_paths)
    override = Path(baseline_override) if baseline_override else None
    if override is not None and not update_baseline and not override.exists():
        raise ReportError(f"{override}: no such baseline")
    if update_baseline:
        for kind in runs:
            if baseline_path(config, kind, override, runs) is None:
                raise ReportError(f"no baseline path for {kind} results: give --baseline or "
                                  f"set baselines.{kind} in {gate_path}")
    outcome = evaluate_gate(config, runs, override, replacing_baseline=update_baseline)

    for line in format_outcome(outcome, updating=update_baseline):
        print(line, file=out)
    if update_baseline:
        for check in outcome.checks:
            new = baseline_from_run(runs[check.kind])
            save_baseline(check.path, new)
            for line in describe_update(check.baseline, new, check.path):
                print(line, file=out)
    print(verdict(outcome, updating=update_baseline), file=out)
    return 0 if outcome.passed or (update_baseline and not outcome.below) else 1


def _n(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _file_of(record_id: str) -> str:
    return record_id.rpartition(":")[0]


def _capped(lines: list[str]) -> list[str]:
    if len(lines) <= LIST_LIMIT:
        return lines
    return lines[:LIST_LIMIT] + [f"... and {len(lines) - LIST_LIMIT} more"]
