"""The ``conform`` verb of the ``litmus`` command line: run sqllogictest
files against a target, in expected or differential mode (DESIGN.md,
"Command line"; result format in docs/results.md).

``litmus/cli.py`` registers the verb with :func:`add_parser` and calls
:func:`run_command`.  ``python -m conformance PATH...`` runs it alone.

Exit status: 0 when nothing failed, 1 when a record failed, a record was
malformed or a file could not be run, 2 when the command line is unusable
(a missing or unreadable path, a target that cannot be opened, a bad known
differences file); those are reported on one line on stderr before anything
runs.
"""

from __future__ import annotations

import argparse
import os
import sys

from targets import TargetError

from .known import DEFAULT_PATH, KnownDifferences, KnownFileError
from .run import PathProblem, RunConfig, check_targets, collect_files, run_conformance

PROG = "litmus"


def add_parser(subparsers) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "conform", help="run sqllogictest files against a target",
        description="Run sqllogictest files (a directory means every *.test under it) "
                    "against a target and report passed, failed and skipped records.")
    configure_parser(parser)
    parser.set_defaults(func=run_command)
    return parser


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="a .test file or a directory of them")
    parser.add_argument("--target", default="engine",
                        help="what to test: engine, sqlite3[:BINARY] or dbapi:MODULE "
                             "(default: engine)")
    parser.add_argument("--differential", action="store_true",
                        help="compare every record live with the oracle instead of "
                             "with the file's expectations")
    parser.add_argument("--oracle", default="sqlite3",
                        help="the reference target of --differential (default: sqlite3)")
    parser.add_argument("--jobs", type=int, default=None, metavar="N",
                        help="files run in parallel on N processes (default: CPU count)")
    parser.add_argument("--json", metavar="FILE", help="write the result file (JSON)")
    parser.add_argument("--junit", metavar="FILE", help="write JUnit XML")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                        help="per statement; a target that takes longer is restarted "
                             "and the record fails (default: 10)")
    parser.add_argument("--record", action="store_true",
                        help="rewrite the files' expectations with the oracle's answers "
                             "(statement ok|error and query results) instead of running them")
    parser.add_argument("--show-all", action="store_true",
                        help="print every failure in full (default: the first 20)")
    parser.add_argument("--known", metavar="FILE", default=None,
                        help=f"known corpus differences (default: {DEFAULT_PATH.name} "
                             f"shipped with litmus)")


def _error(message: str) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return 2


def run_command(args: argparse.Namespace) -> int:
    if args.jobs is not None and args.jobs < 1:
        return _error("--jobs must be at least 1")
    if args.timeout <= 0:
        return _error("--timeout must be positive")
    try:
        files = collect_files(args.paths)
    except PathProblem as exc:
        return _error(str(exc))
    for option in ("json", "junit"):
        path = getattr(args, option)
        if path:
            parent = os.path.dirname(os.path.abspath(path))
            if not os.path.isdir(parent):
                return _error(f"cannot write {path}: No such file or directory")
    if getattr(args, "record", False):
        return _record(files, args)
    config = RunConfig(target=args.target,
                       oracle=args.oracle if args.differential else None,
                       timeout=args.timeout, known_path=args.known)
    try:
        KnownDifferences.load(args.known)
        check_targets(config)
    except KnownFileError as exc:
        return _error(str(exc))
    except TargetError as exc:
        return _error(f"cannot open target: {exc}")
    except Exception as exc:  # a target that fails to start for another reason
        return _error(f"cannot open target: {type(exc).__name__}: {exc}")

    run = run_conformance(files, config, jobs=args.jobs)
    try:
        if args.json:
            run.write_json(args.json)
        if args.junit:
            run.write_junit(args.junit)
    except OSError as exc:
        print(f"{PROG}: cannot write results: {exc}", file=sys.stderr)
        run.write_text(sys.stdout, show_all=args.show_all)
        return 1
    run.write_text(sys.stdout, show_all=args.show_all)
    return 0 if run.ok else 1


def _record(files, args) -> int:
    from .record import RecordProblem, record_files
    try:
        summaries = record_files(files, args.oracle, args.timeout)
    except RecordProblem as exc:
        return _error(f"cannot record: {exc}")
    except TargetError as exc:
        return _error(f"cannot open target: {exc}")
    problems = 0
    for s in summaries:
        print(f"{s.file}: {s.statements} statements, {s.queries} queries recorded, {s.changed} changed")
        for p in s.problems:
            print(f"  PROBLEM {p}")
        problems += len(s.problems)
    print(f"recorded {len(summaries)} files with {args.oracle}; {problems} problems")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"{PROG} conform")
    configure_parser(parser)
    return run_command(parser.parse_args(argv))
