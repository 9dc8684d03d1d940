"""Stored gate baselines: for one result kind, the file ids that were run and
the record ids that failed in the run the baseline was taken from.

On disk (JSON, lists sorted so that diffs of the file stay small and
readable in review):

    {"format": "litmus-baseline/1", "kind": "conformance",
     "files": ["slt/select1.test", ...],
     "failed": ["slt/select1.test:120", ...]}

``files`` holds only files that were actually run: a file the runner could
not read is left out, so that it failing again later is not news.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from reports.results import ReportError, read_json

BASELINE_FORMAT = "litmus-baseline/1"


@dataclass(frozen=True, slots=True)
class Baseline:
    kind: str
    files: frozenset[str]
    failed: frozenset[str]


def record_sort_key(record_id: str) -> tuple[str, int, str]:
    """FILE:LINE ids sort by file, then by line as a number."""
    file_id, _, line = record_id.rpartition(":")
    return (file_id, int(line), "") if line.isdigit() else (record_id, -1, record_id)


def load_baseline(path: str | Path, kind: str) -> Baseline:
    document = read_json(path, "baseline")
    source = str(path)
    if not isinstance(document, dict) or document.get("format") != BASELINE_FORMAT:
        raise ReportError(f"{source}: not a litmus baseline (expected \"format\": "
                          f"\"{BASELINE_FORMAT}\")")
    if document.get("kind") != kind:
        raise ReportError(f"{source}: a baseline for {document.get('kind')!r} results, "
                          f"not {kind!r}")
    lists = {}
    for key in ("files", "failed"):
        value = document.get(key)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ReportError(f"{source}: {key}: expected a list of strings")
        lists[key] = frozenset(value)
    return Baseline(kind=kind, files=lists["files"], failed=lists["failed"])


def save_baseline(path: str | Path, baseline: Baseline) -> None:
    document = {
        "format": BASELINE_FORMAT,
        "kind": baseline.kind,
        "files": sorted(baseline.files),
        "failed": sorted(baseline.failed, key=record_sort_key),
    }
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"{target}: cannot write baseline: {exc.strerror or exc}") from None
