"""The ``report`` and ``gate`` verbs of the litmus command line.

The main CLI calls :func:`add_parser` with its subparsers object, then
:func:`run_command` with the parsed arguments when one of these verbs was
chosen.  Unusable input ends as one line, ``litmus: <message>``, and exit
status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import sys

from reports.gate import run_gate
from reports.render import FORMATS, render, write_text
from reports.results import ReportError, load_result

DEFAULT_GATE = "ci/gate.yaml"

# The attribute add_parser sets so run_command knows which verb it runs.
_VERB = "reports_verb"


def add_parser(subparsers) -> None:
    """Register ``report`` and ``gate`` on an argparse subparsers object."""
    report = subparsers.add_parser(
        "report", help="render a result file as Markdown, HTML or JUnit XML",
        description="Render a litmus result file. With no output option, "
                    "Markdown goes to stdout. FILE may be - for stdout.")
    report.add_argument("result", metavar="RESULT.json")
    report.add_argument("--markdown", metavar="FILE", help="write a Markdown summary")
    report.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")
    report.add_argument("--junit", metavar="FILE", help="write JUnit XML")
    report.add_argument("--max-failures", metavar="N", type=_count, default=None,
                        help="show at most N failures in Markdown and HTML (default: all)")
    report.set_defaults(**{_VERB: "report"})

    gate = subparsers.add_parser(
        "gate", help="check results against the CI gate (pass rates and regressions)",
        description="Check result files against the suites of the gate configuration "
                    "and the stored baseline. Exit 0 when all holds, 1 when a suite is "
                    "below its minimum or a record regressed, 2 on unreadable input.")
    gate.add_argument("results", metavar="RESULT.json", nargs="+",
                      help="result files; several are merged (their files must not overlap)")
    gate.add_argument("--gate", metavar="FILE", default=DEFAULT_GATE,
                      help=f"gate configuration (default: {DEFAULT_GATE})")
    gate.add_argument("--baseline", metavar="FILE", default=None,
                      help="baseline to compare with (default: the one gate.yaml names)")
    gate.add_argument("--update-baseline", action="store_true",
                      help="write the baseline from these results and show what changed")
    gate.set_defaults(**{_VERB: "gate"})


def run_command(args: argparse.Namespace) -> int:
    try:
        if getattr(args, _VERB, None) == "gate":
            return run_gate(args.results, args.gate, args.baseline, args.update_baseline)
        return _report(args)
    except ReportError as exc:
        print(f"litmus: {exc}", file=sys.stderr)
        return 2


def _report(args: argparse.Namespace) -> int:
    result = load_result(args.result)
    wanted = {fmt: getattr(args, fmt) for fmt in FORMATS if getattr(args, fmt)}
    if not wanted:
        wanted = {"markdown": "-"}
    for output_format, destination in wanted.items():
        write_text(render(result, output_format, max_failures=args.max_failures), destination)
    return 0


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (``python -m reports``) until the main CLI wires these in."""
    parser = argparse.ArgumentParser(prog="litmus")
    add_parser(parser.add_subparsers(dest="verb", required=True))
    return run_command(parser.parse_args(argv))
