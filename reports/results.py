"""Loading and validating run result files (docs/results.md).

Reports and the gate read only these files.  A result file that is missing,
not JSON, or not shaped as docs/results.md describes becomes a one-line
:class:`ReportError`, never a traceback.  Loading dispatches on the file's
``"format"`` so fuzz and crash results can be added beside conformance.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

CONFORMANCE_FORMAT = "litmus-conformance/1"

# Counts every conformance file entry and the totals carry, in report order.
COUNT_FIELDS = ("passed", "failed", "skipped", "known", "malformed")


class ReportError(Exception):
    """Unusable input or output for a report or the gate; the message is one
    line and the command line prints it as ``litmus: <message>``."""


@dataclass(frozen=True, slots=True)
class Counts:
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    known: int = 0
    malformed: int = 0

    @property
    def records(self) -> int:
        """Records that were read (malformed ones were not)."""
        return self.passed + self.failed + self.skipped + self.known

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(*(getattr(self, f) + getattr(other, f) for f in COUNT_FIELDS))


@dataclass(frozen=True, slots=True)
class FileSummary:
    file: str
    counts: Counts
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Record:
    """A failed record, or a known difference when ``reason`` is set."""

    id: str
    file: str
    line: int
    kind: str
    sql: str
    expected: str | None
    got: str | None
    message: str
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class MalformedRecord:
    file: str
    line: int
    message: str


@dataclass(frozen=True, slots=True)
class ConformanceResult:
    source: str
    target: str | None
    mode: str | None
    sqlite_version: str | None
    started: str | None
    seconds: float | None
    totals: Counts
    files: tuple[FileSummary, ...]
    failures: tuple[Record, ...]
    known: tuple[Record, ...]
    malformed: tuple[MalformedRecord, ...]

    kind = "conformance"
    format = CONFORMANCE_FORMAT


def pass_rate(counts: Counts) -> float | None:
    """passed / (passed + failed); None when no record counts toward it."""
    counted = counts.passed + counts.failed
    return counts.passed / counted if counted else None


def format_rate(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate * 100:.2f}%"


def read_json(path: str | Path, what: str = "result file") -> Any:
    """The JSON document at ``path``; every way of failing is a ReportError."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise ReportError(f"{path}: no such {what}") from None
    except IsADirectoryError:
        raise ReportError(f"{path}: is a directory, not a {what}") from None
    except PermissionError:
        raise ReportError(f"{path}: permission denied") from None
    except UnicodeDecodeError:
        raise ReportError(f"{path}: not a {what} (not UTF-8 text)") from None
    except json.JSONDecodeError as exc:
        raise ReportError(
            f"{path}: not JSON (line {exc.lineno} column {exc.colno}: {exc.msg})"
        ) from None
    except RecursionError:
        raise ReportError(f"{path}: not a {what} (nested too deeply)") from None
    except OSError as exc:
        raise ReportError(f"{path}: cannot read: {exc.strerror or exc}") from None


def load_result(path: str | Path) -> ConformanceResult:
    """Load and validate one result file, whatever its kind."""
    document = read_json(path)
    if not isinstance(document, dict):
        raise ReportError(f"{path}: not a litmus result (top level is not an object)")
    fmt = document.get("format")
    loader = _LOADERS.get(fmt) if isinstance(fmt, str) else None
    if loader is None:
        known = ", ".join(sorted(_LOADERS))
        shown = "missing" if fmt is None else json.dumps(fmt)[:60]
        raise ReportError(f"{path}: unknown result format {shown} (this litmus reads {known})")
    return loader(str(path), document)


class _Shape:
    """Reads fields out of a JSON document, naming the exact place of any
    mismatch in the error: ``r.json: failures[3].line: expected ...``."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, message: str) -> ReportError:
        return ReportError(f"{self.source}: {where}: {message}")

    def field(self, obj: dict, key: str, where: str, optional: bool = False) -> Any:
        if key not in obj:
            if optional:
                return None
            raise self.fail(f"{where}{key}", "missing")
        return obj[key]

    def obj(self, value: Any, where: str) -> dict:
        if not isinstance(value, dict):
            raise self.fail(where, f"expected an object, got {_kind_of(value)}")
        return value

    def list(self, value: Any, where: str) -> list:
        if not isinstance(value, list):
            raise self.fail(where, f"expected a list, got {_kind_of(value)}")
        return value

    def count(self, value: Any, where: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(where, f"expected a count (integer >= 0), got {_shown(value)}")
        return value

    def text(self, value: Any, where: str, nullable: bool = False) -> str | None:
        if value is None and nullable:
            return None
        if not isinstance(value, str):
            raise self.fail(where, f"expected a string, got {_shown(value)}")
        return value

    def number(self, value: Any, where: str) -> float | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(where, f"expected a number, got {_shown(value)}")
        return float(value)

    def counts(self, obj: dict, where: str) -> Counts:
        return Counts(*(self.count(self.field(obj, f, where + "."), f"{where}.{f}")
                        for f in COUNT_FIELDS))


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "a number", float: "a number", str: "a string",
            list: "a list", dict: "an object"}.get(type(value), type(value).__name__)


def _shown(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return _kind_of(value)
    shown = json.dumps(value)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _load_conformance(source: str, doc: dict) -> ConformanceResult:
    shape = _Shape(source)
    top = ""

    def meta_text(key: str) -> str | None:
        return shape.text(shape.field(doc, key, top, optional=True), key, nullable=True)

    totals = shape.counts(shape.obj(shape.field(doc, "totals", top), "totals"), "totals")

    files: list[FileSummary] = []
    seen: set[str] = set()
    for i, entry in enumerate(shape.list(shape.field(doc, "files", top), "files")):
        where = f"files[{i}]"
        entry = shape.obj(entry, where)
        file_id = shape.text(shape.field(entry, "file", where + "."), where + ".file")
        if file_id in seen:
            raise shape.fail(where + ".file", f"file {file_id!r} is listed twice")
        seen.add(file_id)
        error = shape.text(shape.field(entry, "error", where + ".", optional=True),
                           where + ".error", nullable=True)
        files.append(FileSummary(file_id, shape.counts(entry, where), error))

    failures = _records(shape, doc, "failures", with_reason=False)
    known = _records(shape, doc, "known", with_reason=True)

    malformed: list[MalformedRecord] = []
    for i, entry in enumerate(shape.list(shape.field(doc, "malformed", top), "malformed")):
        where = f"malformed[{i}]"
        entry = shape.obj(entry, where)
        malformed.append(MalformedRecord(
            file=shape.text(shape.field(entry, "file", where + "."), where + ".file"),
            line=shape.count(shape.field(entry, "line", where + "."), where + ".line"),
            message=shape.text(shape.field(entry, "message", where + "."), where + ".message"),
        ))

    result = ConformanceResult(
        source=source,
        target=meta_text("target"),
        mode=meta_text("mode"),
        sqlite_version=meta_text("sqlite_version"),
        started=meta_text("started"),
        seconds=shape.number(doc.get("seconds"), "seconds"),
        totals=totals,
        files=tuple(files),
        failures=tuple(failures),
        known=tuple(known),
        malformed=tuple(malformed),
    )
    _check_consistent(shape, result)
    return result


def _records(shape: _Shape, doc: dict, key: str, with_reason: bool) -> list[Record]:
    records = []
    for i, entry in enumerate(shape.list(shape.field(doc, key, ""), key)):
        where = f"{key}[{i}]"
        entry = shape.obj(entry, where)

        def get(name: str, nullable: bool = False) -> str | None:
            return shape.text(shape.field(entry, name, where + "."), f"{where}.{name}", nullable)

        record = Record(
            id=get("id"),
            file=get("file"),
            line=shape.count(shape.field(entry, "line", where + "."), where + ".line"),
            kind=get("kind"),
            sql=get("sql"),
            expected=get("expected", nullable=True),
            got=get("got", nullable=True),
            message=get("message"),
            reason=get("reason") if with_reason else None,
        )
        if record.id != f"{record.file}:{record.line}":
            raise shape.fail(where + ".id", f"{record.id!r} is not FILE:LINE "
                             f"({record.file}:{record.line})")
        records.append(record)
    return records


def _check_consistent(shape: _Shape, result: ConformanceResult) -> None:
    """Totals, per-file counts and the record lists must agree: the gate trusts
    the failure list to be complete when it looks for regressions."""
    summed = Counts()
    for entry in result.files:
        summed = summed + entry.counts
    for name in COUNT_FIELDS:
        total, added = getattr(result.totals, name), getattr(summed, name)
        if total != added:
            raise shape.fail(f"totals.{name}", f"is {total} but the files add up to {added}")

    by_file = {entry.file: entry for entry in result.files}
    for name, records in (("failures", result.failures), ("known", result.known),
                          ("malformed", result.malformed)):
        listed: dict[str, int] = {}
        for i, record in enumerate(records):
            if record.file not in by_file:
                raise shape.fail(f"{name}[{i}].file", f"{record.file!r} is not in files")
            listed[record.file] = listed.get(record.file, 0) + 1
        count_name = "failed" if name == "failures" else name
        for entry in result.files:
            counted = getattr(entry.counts, count_name)
            if listed.get(entry.file, 0) != counted:
                raise shape.fail(
                    name, f"lists {listed.get(entry.file, 0)} records of {entry.file} "
                    f"but files says {count_name} {counted}")


_LOADERS: dict[str, Callable[[str, dict], ConformanceResult]] = {
    CONFORMANCE_FORMAT: _load_conformance,
}
