"""The ``litmus`` command line: one entry point, one verb per job
(DESIGN.md, "Command line").

    litmus run      the main job: conformance on what is available, a report, the gate
    litmus conform  run sqllogictest files against a target
    litmus report   turn a result file into Markdown, HTML or JUnit
    litmus gate     judge result files against ci/gate.yaml and the baseline
    litmus fuzz     a differential fuzzing campaign (litmus reduce, litmus corpus too)
    litmus shell    an interactive SQL shell on the engine

Every verb reports a problem with its input on one line and exit status 2;
no Python traceback reaches the user.
"""

from __future__ import annotations

import argparse
import sys


def build_parser() -> argparse.ArgumentParser:
    from conformance import cli as conform_cli
    from engine import shell
    from fuzz import cli as fuzz_cli
    from reports import cli as reports_cli

    from . import job

    parser = argparse.ArgumentParser(
        prog="litmus",
        description="A SQLite-compatible engine and the tooling that proves it behaves like "
                    "SQLite: every result is compared with the sqlite3 binary.")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    job.add_parser(sub)
    conform_cli.add_parser(sub)
    reports_cli.add_parser(sub)
    fuzz_cli.add_parsers(sub)
    shell.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "verb", None):
        args = parser.parse_args(["run"] + list(argv if argv is not None else sys.argv[1:]))
    func = getattr(args, "func", None)
    if func is None:
        from reports import cli as reports_cli
        func = reports_cli.run_command
    try:
        return func(args)
    except KeyboardInterrupt:
        print("litmus: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
