"""The gate's configuration file (ci/gate.yaml; its layout is documented in
a comment at the top of that file) and how suite patterns match file ids.

A pattern is an fnmatch glob in which ``*`` also matches ``/``.  File ids
depend on the folder the runner was pointed at (``slt/select1.test`` or
``select1.test``), so an unanchored pattern matches the whole id or any tail
of it that starts after a ``/``: ``evidence/*`` matches ``evidence/in1.test``
and ``slt/evidence/in1.test``.  A pattern starting with ``/`` is anchored and
matches the whole id only.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

from reports.results import ReportError

RESULT_KINDS = ("conformance",)

_SUITE_KEYS = {"name", "kind", "patterns", "min_pass_rate", "required", "description"}
_TOP_KEYS = {"version", "baselines", "suites"}


@dataclass(frozen=True, slots=True)
class Suite:
    name: str
    patterns: tuple[str, ...]
    min_pass_rate: float
    kind: str = "conformance"
    required: bool = False
    description: str | None = None

    def matches(self, file_id: str) -> bool:
        return any(pattern_matches(pattern, file_id) for pattern in self.patterns)


@dataclass(frozen=True, slots=True)
class GateConfig:
    source: str
    suites: tuple[Suite, ...]
    baselines: dict[str, Path]  # result kind -> baseline path


def pattern_matches(pattern: str, file_id: str) -> bool:
    if pattern.startswith("/"):
        return fnmatchcase(file_id, pattern[1:])
    if fnmatchcase(file_id, pattern):
        return True
    tail = file_id
    while "/" in tail:
        tail = tail.split("/", 1)[1]
        if fnmatchcase(tail, pattern):
            return True
    return False


def load_gate_config(path: str | Path) -> GateConfig:
    source = str(path)
    try:
        with open(path, encoding="utf-8") as handle:
            document = yaml.safe_load(handle)
    except FileNotFoundError:
        raise ReportError(f"{source}: no such gate configuration") from None
    except IsADirectoryError:
        raise ReportError(f"{source}: is a directory, not a gate configuration") from None
    except UnicodeDecodeError:
        raise ReportError(f"{source}: not a gate configuration (not UTF-8 text)") from None
    except yaml.YAMLError as exc:
        raise ReportError(f"{source}: not valid YAML{_yaml_where(exc)}") from None
    except OSError as exc:
        raise ReportError(f"{source}: cannot read: {exc.strerror or exc}") from None

    def fail(where: str, message: str) -> ReportError:
        return ReportError(f"{source}: {where}: {message}")

    if not isinstance(document, dict):
        raise ReportError(f"{source}: not a gate configuration (expected a mapping at the top)")
    unknown = sorted(set(map(str, document)) - _TOP_KEYS)
    if unknown:
        raise fail(unknown[0], f"unknown key (expected {', '.join(sorted(_TOP_KEYS))})")
    if document.get("version", 1) != 1:
        raise fail("version", f"this litmus reads version 1, got {document['version']!r}")

    here = Path(path).parent
    baselines: dict[str, Path] = {}
    raw_baselines = document.get("baselines") or {}
    if not isinstance(raw_baselines, dict):
        raise fail("baselines", "expected a mapping of result kind to baseline path")
    for kind, where_to in raw_baselines.items():
        if kind not in RESULT_KINDS:
            raise fail(f"baselines.{kind}", f"unknown result kind (known: {', '.join(RESULT_KINDS)})")
        if not isinstance(where_to, str) or not where_to:
            raise fail(f"baselines.{kind}", "expected a path")
        baselines[kind] = here / where_to

    raw_suites = document.get("suites")
    if not isinstance(raw_suites, list):
        raise fail("suites", "expected a list of suites")
    suites = []
    names: set[str] = set()
    for i, raw in enumerate(raw_suites):
        suite = _suite(raw, f"suites[{i}]", fail)
        if suite.name in names:
            raise fail(f"suites[{i}].name", f"suite {suite.name!r} is defined twice")
        names.add(suite.name)
        suites.append(suite)
    return GateConfig(source=source, suites=tuple(suites), baselines=baselines)


def _suite(raw: Any, where: str, fail) -> Suite:
    if not isinstance(raw, dict):
        raise fail(where, "expected a mapping with name, patterns and min_pass_rate")
    unknown = sorted(set(map(str, raw)) - _SUITE_KEYS)
    if unknown:
        raise fail(f"{where}.{unknown[0]}", f"unknown key (expected {', '.join(sorted(_SUITE_KEYS))})")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise fail(f"{where}.name", "expected a non-empty string")
    patterns = raw.get("patterns")
    if isinstance(patterns, str):
        patterns = [patterns]
    if (not isinstance(patterns, list) or not patterns
            or not all(isinstance(p, str) and p for p in patterns)):
        raise fail(f"{where}.patterns", "expected a non-empty list of glob patterns")
    rate = raw.get("min_pass_rate")
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        raise fail(f"{where}.min_pass_rate", f"expected a number from 0 to 1, got {rate!r}")
    kind = raw.get("kind", "conformance")
    if kind not in RESULT_KINDS:
        raise fail(f"{where}.kind", f"unknown result kind {kind!r} (known: {', '.join(RESULT_KINDS)})")
    required = raw.get("required", False)
    if not isinstance(required, bool):
        raise fail(f"{where}.required", f"expected true or false, got {required!r}")
    description = raw.get("description")
    if description is not None and not isinstance(description, str):
        raise fail(f"{where}.description", "expected a string")
    return Suite(name=name.strip(), patterns=tuple(patterns), min_pass_rate=float(rate),
                 kind=kind, required=required, description=description)


def _yaml_where(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    if mark is None:
        return ""
    return f" (line {mark.line + 1} column {mark.column + 1}: {problem or 'parse error'})"
