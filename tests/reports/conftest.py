"""Builders for result files shaped exactly as docs/results.md describes,
written the way the conformance runner writes them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

COUNTS = ("passed", "failed", "skipped", "known", "malformed")


def failure(file_id: str, line: int, sql: str = "SELECT 1", expected: str | None = "1",
            got: str | None = "2", message: str = "values differ", kind: str = "query") -> dict:
    return {"id": f"{file_id}:{line}", "file": file_id, "line": line, "kind": kind,
            "sql": sql, "expected": expected, "got": got, "message": message}


def known(file_id: str, line: int, reason: str, **fields) -> dict:
    record = failure(file_id, line, **fields)
    record["reason"] = reason
    return record


def malformed(file_id: str, line: int, message: str = "unknown record type") -> dict:
    return {"file": file_id, "line": line, "message": message}


def conformance_result(files: list[dict], **meta) -> dict:
    """``files``: dicts with "file" and optional "passed", "skipped", "error",
    "failures" (records), "known" (records) and "malformed" (records); the
    failed/known/malformed counts and the totals are derived from them."""
    entries, failures, knowns, bad = [], [], [], []
    totals = dict.fromkeys(COUNTS, 0)
    for spec in files:
        entry = {
            "file": spec["file"],
            "passed": spec.get("passed", 0),
            "failed": len(spec.get("failures", [])),
            "skipped": spec.get("skipped", 0),
            "known": len(spec.get("known", [])),
            "malformed": len(spec.get("malformed", [])),
            "error": spec.get("error"),
        }
        entries.append(entry)
        for name in COUNTS:
            totals[name] += entry[name]
        failures.extend(spec.get("failures", []))
        knowns.extend(spec.get("known", []))
        bad.extend(spec.get("malformed", []))
    document = {
        "format": "litmus-conformance/1",
        "target": "engine",
        "mode": "expected",
        "sqlite_version": "3.40.1",
        "started": "2026-11-24T02:00:00Z",
        "seconds": 12.5,
        "totals": totals,
        "files": entries,
        "failures": failures,
        "known": knowns,
        "malformed": bad,
    }
    document.update(meta)
    return document


@pytest.fixture
def write_json(tmp_path):
    def write(name: str, document) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(document, indent=1), encoding="utf-8")
        return path
    return write


@pytest.fixture
def sample_result(write_json):
    """Two files: one with a failure, a known difference and a malformed
    record, one all passing."""
    document = conformance_result([
        {"file": "slt/select1.test", "passed": 10, "skipped": 2,
         "failures": [failure("slt/select1.test", 120,
                              sql="SELECT '<script>alert(1)</script>' & x\nFROM t1",
                              expected="a\n<b>", got="a\nc")],
         "known": [known("slt/select1.test", 300, reason="sqlite3 3.40 prints 0.1 as 0.1")],
         "malformed": [malformed("slt/select1.test", 7)]},
        {"file": "slt/evidence/in1.test", "passed": 5},
    ])
    return write_json("result.json", document)
