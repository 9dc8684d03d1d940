"""The regression corpus: one YAML file per distinct failure (DESIGN.md,
"Results and cases"), replayed by the tests and exportable as
sqllogictest records.

A case holds what it exercises (``what``), the ``setup`` statements, the
``statements`` that differ, sqlite3's result for them with the sqlite3
version that produced it (``expected``), the engine's result when the case
was found (``got``), the ``oracle`` and the ``status`` (``open`` or
``fixed``).  Cases are deduplicated by ``signature``
(:meth:`fuzz.execute.Failure.signature`); the file name is the oracle, the
kind and a hash of the signature, and ``count`` says how often the failure
was hit.  Expected results always come from running sqlite3.

Replaying (:func:`replay`): a ``differential`` case runs its statements on
the target and compares the last one with the recorded sqlite3 result
(:func:`fuzz.compare.compare_statement`, so order, ties and noise are judged
as during the campaign); a ``tlp`` or ``norec`` case runs the oracle on the
target again.  The case passes when no difference shows.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from targets import OK, Result
from targets.base import value_from_json, value_to_json

from . import probes
from .compare import compare_statement
from .constructs import detect
from .generator import Statement

DEFAULT_CORPUS = Path(__file__).resolve().parent.parent / "corpus"


@dataclass
class Case:
    what: str
    oracle: str
    kind: str
    signature: str
    setup: list[Statement]
    statements: list[Statement]
    expected: dict                     # Result.to_json() of sqlite3's result
    got: dict | None
    sqlite_version: str
    status: str = "open"
    count: int = 1
    detail: str = ""
    queries: list[str] = field(default_factory=list)
    found: str = ""
    last_seen: str = ""
    path: Path | None = None

    @property
    def file_name(self) -> str:
        return f"{self.oracle}-{self.kind}-{signature_hash(self.signature)}.yaml"

    def to_yaml(self) -> str:
        data = {
            "what": self.what,
            "status": self.status,
            "oracle": self.oracle,
            "kind": self.kind,
            "count": self.count,
            "found": self.found,
            "last_seen": self.last_seen,
            "sqlite_version": self.sqlite_version,
            "setup": [_stmt_to_yaml(s) for s in self.setup],
            "statements": [_stmt_to_yaml(s) for s in self.statements],
            "expected": self.expected,
            "got": self.got,
            "detail": self.detail,
            "signature": self.signature,
        }
        if self.queries:
            data["queries"] = self.queries
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def signature_hash(signature: str) -> str:
    return hashlib.sha1(signature.encode()).hexdigest()[:10]


def _stmt_to_yaml(s: Statement):
    flags = {k: True for k in ("ordered", "limited", "probe") if getattr(s, k)}
    if not flags:
        return s.sql
    return {"sql": s.sql, **flags}


def _stmt_from_yaml(obj) -> Statement:
    if isinstance(obj, str):
        return Statement(obj)
    return Statement(obj["sql"], ordered=bool(obj.get("ordered")), limited=bool(obj.get("limited")),
                     probe=bool(obj.get("probe")))


def load(path: Path) -> Case:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return Case(
        what=data.get("what", ""), oracle=data["oracle"], kind=data.get("kind", ""),
        signature=data.get("signature", ""), setup=[_stmt_from_yaml(s) for s in data.get("setup") or []],
        statements=[_stmt_from_yaml(s) for s in data.get("statements") or []],
        expected=data.get("expected") or {}, got=data.get("got"),
        sqlite_version=str(data.get("sqlite_version", "")), status=data.get("status", "open"),
        count=int(data.get("count", 1)), detail=data.get("detail", ""), queries=data.get("queries") or [],
        found=data.get("found", ""), last_seen=data.get("last_seen", ""), path=Path(path))


def load_all(directory: Path = DEFAULT_CORPUS) -> list[Case]:
    directory = Path(directory)
    if not directory.is_dir():
        return []
    return [load(p) for p in sorted(directory.glob("*.yaml"))]


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def describe(failure) -> str:
    """One line: what the case exercises."""
    stmt = failure.statement.sql
    constructs = sorted(detect(stmt))
    verb = re.match(r"\s*(\w+)", stmt)
    verb = verb.group(1).upper() if verb else "statement"
    what = {"differential": "results differ from sqlite3", "tlp": "partitions disagree (TLP)",
            "norec": "optimized and unoptimized counts differ (NoREC)"}.get(failure.oracle, failure.oracle)
    tail = f" ({', '.join(constructs)})" if constructs else ""
    return f"{verb}: {what}, {failure.kind}{tail}"


def case_from_failure(failure, sqlite_version: str, expected: Result | None = None) -> Case:
    """A corpus case from a reduced failure; ``expected`` is sqlite3's
    result for the last statement when the failure itself does not hold it
    (TLP and NoREC)."""
    stmts = failure.statements
    exp = failure.expected if failure.oracle == "differential" else (expected or Result())
    stamp = now()
    return Case(what=describe(failure), oracle=failure.oracle, kind=failure.kind,
                signature=failure.signature(), setup=list(stmts[:-1]), statements=[stmts[-1]],
                expected=exp.to_json(), got=failure.got.to_json(), sqlite_version=sqlite_version,
                detail=failure.detail, queries=list(failure.queries), found=stamp, last_seen=stamp)


def write_atomic(path: Path, text: str) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def add(directory: Path, case: Case, hits: int = 1) -> tuple[Path, bool]:
    """Adds ``case`` to ``directory``: a new file, or one more count on the
    case with the same signature.  Returns the path and whether it is new."""
    path = Path(directory) / case.file_name
    if path.exists():
        old = load(path)
        old.count += hits
        old.last_seen = case.last_seen or now()
        write_atomic(path, old.to_yaml())
        return path, False
    case.count = hits
    write_atomic(path, case.to_yaml())
    return path, True


# ---------------------------------------------------------------- replay

def expected_result(case: Case) -> Result:
    data = case.expected or {}
    rows = [tuple(value_from_json(v) for v in row) for row in data.get("rows", [])]
    columns = tuple(data["columns"]) if data.get("columns") is not None else None
    return Result(status=data.get("status", OK), rows=rows, columns=columns, error=data.get("error"))


def replay(case: Case, target, *, messages: bool = True) -> tuple[bool, str]:
    """(passes, what happened) for ``case`` on ``target``."""
    target.reset()
    for s in case.setup:
        target.execute(s.sql)
    if case.oracle == "differential":
        last = None
        for s in case.statements:
            last = (s, target.execute(s.sql))
        stmt, got = last
        diff, _noise = compare_statement(stmt.sql, expected_result(case), got, ordered=stmt.ordered,
                                         limited=stmt.limited, messages=messages)
        if diff is None:
            return True, "same result as sqlite3"
        return False, str(diff)
    check = probes.ORACLES[case.oracle]
    for s in case.statements:
        got = target.execute(s.sql)
        if got.status != OK:
            return False, f"the probe failed: {got.error}"
        finding = check(target, s.sql, got)
        if finding is not None:
            return False, f"{finding.kind}: {finding.detail}"
    return True, "the oracle finds no difference"


# ---------------------------------------------------------------- sqllogictest export

def export_slt(case: Case, reference) -> str:
    """The case as sqllogictest records, every expectation taken from
    running ``reference`` (sqlite3) now."""
    from conformance.slt_format import render_rows
    reference.reset()
    name = case.path.name if case.path else case.file_name
    lines = [f"# {name}: {case.what}", f"# oracle {case.oracle}, status {case.status}, "
             f"recorded from sqlite3 {case.sqlite_version}", "", "hash-threshold 0", ""]
    for s in case.setup + case.statements:
        r = reference.execute(s.sql)
        one_line = " ".join(s.sql.split("\n"))
        if r.status != OK:
            lines += [f"# sqlite3: {r.error}", "statement error", one_line, ""]
        elif r.columns is None and not r.rows:
            lines += ["statement ok", one_line, ""]
        else:
            width = len(r.columns) if r.columns else (len(r.rows[0]) if r.rows else 1)
            types = "".join(_type_letter([row[i] for row in r.rows]) for i in range(width))
            mode = "nosort" if s.ordered and not s.limited else "rowsort"
            lines += [f"query {types} {mode}", one_line, "----"]
            lines += render_rows(r.rows, types)
            lines.append("")
    return "\n".join(lines)


def _type_letter(values) -> str:
    if all(v is None or type(v) is int for v in values):
        return "I"
    return "T"
