"""``litmus run``: the main job.

Runs the conformance suites that are available against a target (the
engine by default): litmus's own cases under conformance/cases, and the
sqllogictest slice when it is present (../shared/slt beside the checkout, or
``--slt DIR``).  Writes a result file and its reports into ``--out`` and
judges the result with the CI gate.  Without the slice it says so in one
line and runs the project's own cases.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SLT = ROOT.parent / "shared" / "slt"
OWN_CASES = ROOT / "conformance" / "cases"
GATE = ROOT / "ci" / "gate.yaml"

# The fast slice: quick enough for every CI run.
FAST_SLICE = ("select1.test", "evidence")


def add_parser(subparsers) -> None:
    p = subparsers.add_parser(
        "run", help="the main job: conformance on what is available, a report and the gate",
        description="Run litmus's own conformance cases and the sqllogictest slice (when "
                    "present) against a target, write a result file and reports, and check "
                    "the CI gate.")
    p.add_argument("--target", default="engine", help="engine (default), sqlite3 or dbapi:MODULE")
    p.add_argument("--slt", metavar="DIR", default=None,
                   help=f"the sqllogictest slice (default: {DEFAULT_SLT} if present)")
    p.add_argument("--full", action="store_true",
                   help="run every file of the slice, not only the fast part "
                        f"({', '.join(FAST_SLICE)})")
    p.add_argument("--out", metavar="DIR", default="out",
                   help="where the result file and reports go (default: out)")
    p.add_argument("--jobs", type=int, default=None, metavar="N")
    p.add_argument("--no-gate", action="store_true", help="do not judge the result with the gate")
    p.set_defaults(func=run_job)


def available_paths(slt: str | None, full: bool) -> tuple[list[str], str | None]:
    """The paths to run and a one-line note when the slice is missing."""
    paths: list[str] = []
    if OWN_CASES.is_dir() and any(OWN_CASES.rglob("*.test")):
        paths.append(str(OWN_CASES))
    root = Path(slt) if slt else DEFAULT_SLT
    if not root.is_dir():
        return paths, f"sqllogictest slice not found at {root}: running litmus's own cases only"
    if full:
        paths.append(str(root))
    else:
        paths.extend(str(root / p) for p in FAST_SLICE if (root / p).exists())
    return paths, None


def run_job(args: argparse.Namespace) -> int:
    from conformance import cli as conform_cli
    from reports import cli as reports_cli

    if shutil.which("sqlite3") is None:
        print("litmus: note: the sqlite3 binary is missing (install it: apt-get install -y sqlite3); "
              "differential checks need it", file=sys.stderr)
    paths, note = available_paths(args.slt, args.full)
    if note:
        print(f"litmus: {note}")
    if not paths:
        print("litmus: nothing to run", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    result = out / "result.json"
    conform_args = argparse.Namespace(
        paths=paths, target=args.target, differential=False, oracle="sqlite3", jobs=args.jobs,
        json=str(result), junit=str(out / "junit.xml"), timeout=10.0, show_all=False, known=None)
    status = conform_cli.run_command(conform_args)
    if status == 2 or not result.exists():
        return 2
    report_args = argparse.Namespace(reports_verb="report", result=str(result),
                                     markdown=str(out / "report.md"), html=str(out / "report.html"),
                                     junit=None, max_failures=200)
    if reports_cli.run_command(report_args) == 2:
        return 2
    print(f"reports: {out / 'report.md'}, {out / 'report.html'}, {out / 'junit.xml'}")
    if args.no_gate:
        return 0
    gate_args = argparse.Namespace(reports_verb="gate", results=[str(result)], gate=str(GATE),
                                   baseline=None, update_baseline=False)
    return reports_cli.run_command(gate_args)
