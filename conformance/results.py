"""What a conformance run produced, and its three forms: the JSON result
file (docs/results.md, "Conformance result"), JUnit XML for CI, and the text
report printed at the end of ``litmus conform``.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import TextIO

from .slt_runner import FileResult

FORMAT = "litmus-conformance/1"
COUNTS = ("passed", "failed", "skipped", "known", "malformed")


@dataclass
class RunResult:
    target: str
    mode: str                      # "expected" or "differential"
    sqlite_version: str | None
    started: str                   # ISO 8601, UTC, e.g. 2026-11-24T02:00:00Z
    seconds: float = 0.0
    files: list[FileResult] = field(default_factory=list)

    @property
    def totals(self) -> dict[str, int]:
        return {name: sum(getattr(f, name) for f in self.files) for name in COUNTS}

    @property
    def ok(self) -> bool:
        """True when nothing failed, nothing was malformed and every file ran."""
        totals = self.totals
        return not totals["failed"] and not totals["malformed"] and not any(
            f.error for f in self.files)

    def failures(self):
        return [failure for f in self.files for failure in f.failures]

    def known_records(self):
        return [k for f in self.files for k in f.known_records]

    def malformed_records(self):
        return [m for f in self.files for m in f.malformed_records]

    def stale(self):
        return [s for f in self.files for s in f.stale]

    # ------------------------------------------------------------- JSON
    def to_json(self) -> dict:
        return {
            "format": FORMAT,
            "target": self.target,
            "mode": self.mode,
            "sqlite_version": self.sqlite_version,
            "started": self.started,
            "seconds": round(self.seconds, 3),
            "totals": self.totals,
            "files": [f.counts_json() for f in self.files],
            "failures": [x.to_json() for x in self.failures()],
            "known": [x.to_json() for x in self.known_records()],
            "malformed": self.malformed_records(),
        }

    def write_json(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as out:
            json.dump(self.to_json(), out, indent=1, ensure_ascii=False)
            out.write("\n")

    # ------------------------------------------------------------ JUnit
    def to_junit(self) -> ET.Element:
        """One testsuite per file: a testcase per failed, known or malformed
        record and one summary testcase standing for the passed records."""
        totals = self.totals
        errors = totals["malformed"] + sum(1 for f in self.files if f.error)
        root = ET.Element("testsuites", {
            "name": f"litmus conform ({self.target}, {self.mode})",
            "tests": str(sum(totals.values())),
            "failures": str(totals["failed"]),
            "errors": str(errors),
            "skipped": str(totals["skipped"] + totals["known"]),
            "time": f"{self.seconds:.3f}",
        })
        for f in self.files:
            suite = ET.SubElement(root, "testsuite", {
                "name": f.file,
                "tests": str(f.passed + f.failed + f.skipped + f.known + f.malformed),
                "failures": str(f.failed),
                "errors": str(f.malformed + (1 if f.error else 0)),
                "skipped": str(f.skipped + f.known),
                "time": f"{f.seconds:.3f}",
            })
            props = ET.SubElement(suite, "properties")
            for name in COUNTS:
                ET.SubElement(props, "property", {"name": name, "value": str(getattr(f, name))})
            if f.error:
                case = ET.SubElement(suite, "testcase", {"classname": f.file, "name": "file"})
                ET.SubElement(case, "error", {"message": f.error})
            summary = ET.SubElement(suite, "testcase", {
                "classname": f.file, "name": f"{f.passed} records passed"})
            ET.SubElement(summary, "system-out").text = (
                f"{f.passed} passed, {f.failed} failed, {f.skipped} skipped, "
                f"{f.known} known, {f.malformed} malformed")
            for failure in f.failures:
                case = ET.SubElement(suite, "testcase", {
                    "classname": f.file, "name": f"line {failure.line}"})
                node = ET.SubElement(case, "failure", {"message": failure.message})
                node.text = _failure_text(failure)
            for known in f.known_records:
                case = ET.SubElement(suite, "testcase", {
                    "classname": f.file, "name": f"line {known.line}"})
                ET.SubElement(case, "skipped", {"message": f"known difference: {known.reason}"})
            for bad in f.malformed_records:
                case = ET.SubElement(suite, "testcase", {
                    "classname": f.file, "name": f"line {bad['line']}"})
                ET.SubElement(case, "error", {"message": f"malformed record: {bad['message']}"})
        return root

    def write_junit(self, path: str) -> None:
        tree = ET.ElementTree(self.to_junit())
        ET.indent(tree, space=" ")
        tree.write(path, encoding="utf-8", xml_declaration=True)

    # ------------------------------------------------------------- text
    def write_text(self, out: TextIO, *, show_all: bool = False, limit: int = 20) -> None:
        for f in self.files:
            line = f"{f.file}: {f.passed} passed, {f.failed} failed, {f.skipped} skipped"
            if f.known or f.malformed:
                line += f", {f.known} known, {f.malformed} malformed"
            if f.error:
                line += f"; ERROR: {f.error}"
            print(line, file=out)
        failures = self.failures()
        shown = failures if show_all else failures[:limit]
        for failure in shown:
            print(file=out)
            print(f"FAIL {failure.id}: {failure.message}", file=out)
            print(_indent("sql", failure.sql, 0 if show_all else 12), file=out)
            print(_indent("expected", failure.expected, 0 if show_all else 12), file=out)
            print(_indent("got", failure.got, 0 if show_all else 12), file=out)
        if len(failures) > len(shown):
            print(f"\n... and {len(failures) - len(shown)} more failures "
                  f"(--show-all lists them all)", file=out)
        extra = [f"MALFORMED {m['file']}:{m['line']}: {m['message']}"
                 for m in self.malformed_records()]
        extra += [f"KNOWN {k.id}: {k.reason}" for k in self.known_records()]
        extra += [f"note: {record_id} is listed in the known differences but passes; "
                  f"the entry is stale" for record_id in self.stale()]
        if extra:
            print(file=out)
            for line in extra:
                print(line, file=out)
        totals = self.totals
        print(file=out)
        print(f"{totals['known']} known, {totals['malformed']} malformed "
              f"({len(self.files)} files, {self.seconds:.1f} s)", file=out)
        print(f"{totals['passed']} passed, {totals['failed']} failed, "
              f"{totals['skipped']} skipped", file=out)


def _failure_text(failure) -> str:
    return (f"{failure.id}\n--- sql\n{failure.sql}\n--- expected\n{failure.expected}"
            f"\n--- got\n{failure.got}\n")


def _indent(title: str, text: str, max_lines: int) -> str:
    lines = text.split("\n") if text else ["(nothing)"]
    if max_lines and len(lines) > max_lines:
        lines = lines[:max_lines] + [f"... ({len(lines) - max_lines} more lines)"]
    head = f"  {title + ':':<10}"
    return "\n".join((head if i == 0 else " " * len(head)) + line for i, line in enumerate(lines))
