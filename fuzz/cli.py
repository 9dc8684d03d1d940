"""The fuzzer's verbs for the ``litmus`` command (DESIGN.md, "Command line"):

    litmus fuzz      a campaign: generate, run on the target and sqlite3, compare, reduce, report
    litmus reduce    shrink a failing SQL script (or a failure or case file) to what shows it
    litmus corpus    the regression corpus: ``replay`` it, ``export --slt`` it

``add_parsers(subparsers)`` registers them; each sets ``func``, which
returns the exit status.  Problems with the input are one line on stderr
and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .constructs import CONSTRUCTS, UnknownConstruct, parse_without


def add_parsers(subparsers) -> None:
    p = subparsers.add_parser(
        "fuzz", help="run a differential fuzz campaign against a target",
        description="Generate SQL with Hypothesis, run it on the target and on sqlite3, compare "
                    "(differential) or check the target alone (tlp, norec), reduce every failure "
                    "and record it in the corpus.  Exit status 1 when a failure was found.")
    p.add_argument("--seconds", type=float, default=60.0, help="campaign length (default 60)")
    p.add_argument("--workers", type=int, default=1, help="parallel workers (default 1)")
    p.add_argument("--seed", type=int, default=0, help="campaign seed (default 0)")
    p.add_argument("--target", default="engine", help="engine, sqlite3 or dbapi:MODULE (default engine)")
    p.add_argument("--oracle", default="differential,tlp,norec",
                   help="comma-separated: differential, tlp, norec (default all three)")
    p.add_argument("--out", default="out/fuzz", help="campaign directory (default out/fuzz)")
    p.add_argument("--resume", action="store_true", help="continue the campaign in --out")
    p.add_argument("--without", default="", metavar="LIST",
                   help="constructs to leave out, e.g. window,triggers (see --list-constructs)")
    p.add_argument("--list-constructs", action="store_true", help="print the construct names and exit")
    p.add_argument("--batch-size", type=int, default=50, help="cases per seeded batch (default 50)")
    p.add_argument("--timeout", type=float, default=5.0, help="statement timeout in seconds (default 5)")
    p.add_argument("--ignore-messages", action="store_true",
                   help="do not count different error messages as differences")
    p.add_argument("--shrink-seconds", type=float, default=5.0,
                   help="Hypothesis shrinking per failure (default 5)")
    p.add_argument("--reduce-seconds", type=float, default=60.0,
                   help="reduction per failure (default 60)")
    p.add_argument("--corpus", default=None, help="corpus folder to add cases to (default: the repository's corpus/)")
    p.add_argument("--no-corpus", action="store_true", help="keep cases in --out only")
    p.add_argument("--quiet", action="store_true", help="no progress line and no failure lines")
    p.set_defaults(func=fuzz_command)

    r = subparsers.add_parser(
        "reduce", help="reduce a failing SQL script to the statements that show the difference",
        description="FILE is an SQL script, a campaign failure (failures/ID.json) or a corpus case "
                    "(.yaml).  The script runs from an empty database under the oracle; the first "
                    "difference is reduced (delta debugging, then sqlglot simplification) and the "
                    "result printed.  Exit status 1 when the file shows no difference.")
    r.add_argument("file")
    r.add_argument("--target", default="engine")
    r.add_argument("--oracle", default="differential", help="differential, tlp or norec")
    r.add_argument("--seconds", type=float, default=120.0, help="time budget (default 120)")
    r.add_argument("--timeout", type=float, default=5.0)
    r.add_argument("--ignore-messages", action="store_true")
    r.add_argument("--out", help="write the reduced script here")
    r.add_argument("--add-to-corpus", nargs="?", const="", metavar="DIR",
                   help="add the reduced case to the corpus (default folder: the repository's corpus/)")
    r.set_defaults(func=reduce_command)

    c = subparsers.add_parser("corpus", help="replay or export the regression corpus")
    csub = c.add_subparsers(dest="corpus_verb", metavar="ACTION")
    rp = csub.add_parser("replay", help="replay every case against a target")
    rp.add_argument("--target", default="engine")
    rp.add_argument("--corpus", default=None, help="corpus folder (default: the repository's corpus/)")
    rp.set_defaults(func=corpus_replay_command)
    ex = csub.add_parser("export", help="write the cases as sqllogictest files")
    ex.add_argument("--slt", action="store_true", required=True, help="sqllogictest format")
    ex.add_argument("--out", default=None, help="folder for one .test file per case (default: print them)")
    ex.add_argument("--corpus", default=None, help="corpus folder (default: the repository's corpus/)")
    ex.set_defaults(func=corpus_export_command)
    c.set_defaults(func=lambda args: _usage(c))


def _usage(parser) -> int:
    parser.print_usage(sys.stderr)
    return 2


def _fail(message: str) -> int:
    print(f"litmus: {message}", file=sys.stderr)
    return 2


# ---------------------------------------------------------------- fuzz

def fuzz_command(args) -> int:
    from targets import TargetError

    from .campaign import CampaignConfig, CampaignError, run
    from .execute import parse_oracles
    if args.list_constructs:
        for name, what in CONSTRUCTS.items():
            print(f"{name:20} {what}")
        return 0
    try:
        without = tuple(sorted(parse_without(args.without)))
        oracles = parse_oracles(args.oracle)
    except (UnknownConstruct, ValueError) as exc:
        return _fail(str(exc))
    if args.workers < 1 or args.seconds < 0 or args.batch_size < 1:
        return _fail("--workers and --batch-size must be at least 1, --seconds at least 0")
    from .corpus import DEFAULT_CORPUS
    cfg = CampaignConfig(out=args.out, seconds=args.seconds, workers=args.workers, seed=args.seed,
                         target=args.target, oracles=oracles, without=without, batch_size=args.batch_size,
                         timeout=args.timeout, messages=not args.ignore_messages,
                         shrink_seconds=args.shrink_seconds, reduce_seconds=args.reduce_seconds,
                         corpus=None if args.no_corpus else (args.corpus or str(DEFAULT_CORPUS)),
                         progress=False if args.quiet else None, quiet=args.quiet)
    try:
        result = run(cfg, resume=args.resume)
    except (CampaignError, TargetError) as exc:
        return _fail(str(exc))
    t = result["totals"]
    if not args.quiet:
        print(f"litmus fuzz: {t['statements']:,} statements in {result['elapsed']} s "
              f"({t['statements_per_second_per_worker']}/s per worker), accepted {100 * (t['acceptance'] or 0):.1f}%, "
              f"{t['failures']} failure(s), {t['distinct']} distinct; {Path(args.out) / 'report.md'}")
    return 1 if t["distinct"] else 0


# ---------------------------------------------------------------- reduce

def _load_input(path: Path):
    """(statements, from a generated case?) from an SQL script, a failure
    file or a corpus case."""
    from .corpus import load
    from .generator import parse_script
    from .worker import failure_from_json
    if path.suffix == ".json":
        data = json.loads(path.read_text())
        f = failure_from_json(data.get("failure", data))
        return f.statements, True, f.oracle
    if path.suffix in (".yaml", ".yml"):
        case = load(path)
        return case.setup + case.statements, True, case.oracle
    text = path.read_text(encoding="utf-8")
    stmts = parse_script(text)
    return stmts, "-- litmus:" in text, None


def reduce_command(args) -> int:
    from targets import TargetError, open_target

    from .execute import parse_oracles, run_case
    from .generator import render_script
    from .reducer import Reducer
    path = Path(args.file)
    if not path.exists():
        return _fail(f"no such file: {path}")
    try:
        stmts, flagged, file_oracle = _load_input(path)
        oracle = parse_oracles(args.oracle)[0] if args.oracle != "differential" or not file_oracle \
            else file_oracle
    except Exception as exc:
        return _fail(f"cannot read {path}: {exc}")
    if not stmts:
        return _fail(f"{path} holds no statements")
    try:
        target = open_target(args.target, timeout=args.timeout)
        reference = open_target("sqlite3", timeout=args.timeout) if oracle == "differential" else None
    except TargetError as exc:
        return _fail(str(exc))
    messages = not args.ignore_messages
    probe_all = not flagged
    try:
        failure = run_case(stmts, target, reference, (oracle,), count=False, messages=messages,
                           probe_all=probe_all)
        if failure is None:
            print(f"litmus reduce: {path} shows no difference under {oracle} on {args.target}", file=sys.stderr)
            return 1
        reducer = Reducer(target, reference, messages=messages, probe_all=probe_all, seconds=args.seconds)
        reduced = reducer.reduce(failure)
        script = render_script(reduced.statements)
        print(f"-- {len(stmts)} statements reduced to {len(reduced.statements)} "
              f"({reducer.tests} runs); {reduced.oracle} {reduced.kind}: {reduced.detail}")
        print(f"-- expected (sqlite3 or the oracle's reference): {_short(reduced.expected)}")
        print(f"-- got ({args.target}): {_short(reduced.got)}")
        print(script, end="")
        if args.out:
            Path(args.out).write_text(script, encoding="utf-8")
        if args.add_to_corpus is not None:
            from . import corpus
            version = open_target("sqlite3").version
            expected = None
            if reduced.oracle != "differential":
                from .campaign import _sqlite_result
                ref = open_target("sqlite3")
                expected = _sqlite_result(ref, reduced)
                ref.close()
            case = corpus.case_from_failure(reduced, version, expected)
            folder = Path(args.add_to_corpus) if args.add_to_corpus else corpus.DEFAULT_CORPUS
            where, new = corpus.add(folder, case)
            print(f"-- {'added' if new else 'counted again'}: {where}")
        return 0
    finally:
        target.close()
        if reference is not None:
            reference.close()


def _short(result) -> str:
    if result.status != "ok":
        return f"{result.status}: {result.error}"
    rows = result.rows[:5]
    return f"{len(result.rows)} row(s) {rows}{' ...' if len(result.rows) > 5 else ''}"


# ---------------------------------------------------------------- corpus

def corpus_replay_command(args) -> int:
    from targets import TargetError, open_target

    from . import corpus
    folder = Path(args.corpus) if args.corpus else corpus.DEFAULT_CORPUS
    cases = corpus.load_all(folder)
    try:
        target = open_target(args.target)
    except TargetError as exc:
        return _fail(str(exc))
    unexpected = 0
    try:
        for case in cases:
            passes, what = corpus.replay(case, target)
            if case.status == "fixed" and not passes:
                verdict, unexpected = "REGRESSED", unexpected + 1
            elif case.status != "fixed" and passes:
                verdict, unexpected = "NOW PASSES (mark it fixed)", unexpected + 1
            else:
                verdict = "ok" if passes else "open"
            print(f"{case.path.name}: {verdict}: {what}")
    finally:
        target.close()
    print(f"{len(cases)} case(s), {unexpected} unexpected")
    return 1 if unexpected else 0


def corpus_export_command(args) -> int:
    from targets import TargetError, open_target

    from . import corpus
    folder = Path(args.corpus) if args.corpus else corpus.DEFAULT_CORPUS
    cases = corpus.load_all(folder)
    try:
        reference = open_target("sqlite3")
    except TargetError as exc:
        return _fail(str(exc))
    try:
        out = Path(args.out) if args.out else None
        for case in cases:
            text = corpus.export_slt(case, reference)
            if out is None:
                print(text)
            else:
                corpus.write_atomic(out / (case.path.stem + ".test"), text)
        if out is not None:
            print(f"{len(cases)} case(s) written to {out}")
    finally:
        reference.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    add_parsers(sub)
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_usage(sys.stderr)
        return 2
    try:
        return func(args)
    except KeyboardInterrupt:
        print("litmus: interrupted", file=sys.stderr)
        return 130
