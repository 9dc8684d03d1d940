"""JUnit XML for CI systems, from a conformance result (docs/results.md).

One ``<testsuite>`` per file id.  A failed record is a testcase with a
``<failure>`` (its SQL, expected and actual output in the body); a known
difference is a testcase ``<skipped>`` with its reason; a malformed record,
or a file that could not be read, is a testcase with an ``<error>``.  The
result file does not list passed or runner-skipped records one by one, so
each file gets one summary testcase for its passed records and one for its
skipped records, while the suite's ``tests``/``skipped`` attributes count
every record.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from reports.results import ConformanceResult, Record
from reports.text import printable


def render_junit(result: ConformanceResult) -> str:
    totals = result.totals
    file_errors = sum(1 for entry in result.files if entry.error is not None)
    root = ET.Element("testsuites", _attrs(
        name=f"litmus conformance: {result.target or 'unknown target'}",
        tests=totals.records + totals.malformed + file_errors,
        failures=totals.failed,
        errors=totals.malformed + file_errors,
        skipped=totals.skipped + totals.known,
        time=result.seconds,
        timestamp=result.started,
    ))

    failures = _by_file(result.failures)
    known = _by_file(result.known)
    malformed: dict[str, list] = {}
    for bad in result.malformed:
        malformed.setdefault(bad.file, []).append(bad)

    for entry in result.files:
        c = entry.counts
        error = 1 if entry.error is not None else 0
        suite = ET.SubElement(root, "testsuite", _attrs(
            name=entry.file,
            tests=c.records + c.malformed + error,
            failures=c.failed,
            errors=c.malformed + error,
            skipped=c.skipped + c.known,
        ))
        if entry.error is not None:
            case = _case(suite, entry.file, f"{entry.file} (file)")
            ET.SubElement(case, "error", _attrs(message=entry.error, type="file"))
        if c.passed:
            _case(suite, entry.file, f"{entry.file}: {c.passed} records passed")
        if c.skipped:
            case = _case(suite, entry.file, f"{entry.file}: {c.skipped} records skipped")
            ET.SubElement(case, "skipped", _attrs(message="skipped by the runner"))
        for record in failures.get(entry.file, ()):
            case = _case(suite, entry.file, record.id)
            failure = ET.SubElement(case, "failure", _attrs(message=record.message,
                                                            type=record.kind))
            failure.text = printable(_details(record))
        for record in known.get(entry.file, ()):
            case = _case(suite, entry.file, record.id)
            ET.SubElement(case, "skipped", _attrs(message=f"known difference: {record.reason}"))
            ET.SubElement(case, "system-out").text = printable(_details(record))
        for bad in malformed.get(entry.file, ()):
            case = _case(suite, entry.file, f"{bad.file}:{bad.line}")
            ET.SubElement(case, "error", _attrs(message=bad.message, type="malformed"))

    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _by_file(records: tuple[Record, ...]) -> dict[str, list[Record]]:
    grouped: dict[str, list[Record]] = {}
    for record in records:
        grouped.setdefault(record.file, []).append(record)
    return grouped


def _case(suite: ET.Element, file_id: str, name: str) -> ET.Element:
    return ET.SubElement(suite, "testcase", _attrs(classname=file_id, name=name))


def _attrs(**values) -> dict[str, str]:
    """Attributes as XML-safe strings; None values are left out."""
    return {key: printable(str(value)) for key, value in values.items() if value is not None}


def _details(record: Record) -> str:
    parts = [f"{record.id} ({record.kind}): {record.message}"]
    if record.reason is not None:
        parts.append(f"reason: {record.reason}")
    parts.append(f"SQL:\n{record.sql}")
    if record.expected is not None:
        parts.append(f"expected:\n{record.expected}")
    if record.got is not None:
        parts.append(f"got:\n{record.got}")
    return "\n\n".join(parts) + "\n"
