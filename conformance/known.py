"""Known corpus differences: sqllogictest records whose expectation sqlite3
itself contradicts (``conformance/known_differences.yaml``).

Each entry names a file id pattern, the record's first line, sqlite3's own
answer (as the runner renders it: ``ok``/``error`` for a statement, the
values one a line or ``N values hashing to MD5`` for a query) and why the
corpus disagrees.  A record matching an entry that fails *with sqlite3's
answer* counts as ``known``; failing with anything else it is an ordinary
failure; passing, it counts as passed and the entry is reported stale.

The file pattern is a glob (``fnmatch``) matched against the file id and
every trailing part of it after a ``/``, so ``evidence/in1.test`` matches the
ids ``slt/evidence/in1.test`` and ``evidence/in1.test`` alike; when the
runner knows the file's path it tries the trailing parts of that too (a file
given alone has the id ``in1.test``).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path

import yaml

DEFAULT_PATH = Path(__file__).with_name("known_differences.yaml")


class KnownFileError(Exception):
    """The known differences file cannot be read or has a bad entry."""


@dataclass(frozen=True, slots=True)
class KnownDifference:
    file: str                 # glob over file ids
    line: int
    reason: str
    sqlite3: str | None = None    # sqlite3's answer; None: any failure is the known one
    sqlite_version: str | None = None

    def matches_file(self, file_id: str, path: str | None = None) -> bool:
        """Whether the pattern matches the file id or a trailing part of it
        (or of the file's path, when known: a file given alone has a short id)."""
        for name in (file_id, path):
            if name:
                parts = name.replace("\\", "/").split("/")
                if any(fnmatchcase("/".join(parts[i:]), self.file) for i in range(len(parts))):
                    return True
        return False

    def accepts(self, answer: str) -> bool:
        """Whether ``answer`` (the target's, rendered) is sqlite3's answer."""
        if self.sqlite3 is None:
            return True
        want = self.sqlite3.strip()
        got = answer.strip()
        if want == "ok" or want.startswith("error"):
            # statuses are compared, not error message texts
            return got.split(":", 1)[0] == want.split(":", 1)[0]
        return want == got


class KnownDifferences:
    def __init__(self, entries: list[KnownDifference] | tuple = ()):
        self.entries = list(entries)
        self._by_line: dict[int, list[KnownDifference]] = {}
        for entry in self.entries:
            self._by_line.setdefault(entry.line, []).append(entry)

    def __len__(self) -> int:
        return len(self.entries)

    def find(self, file_id: str, line: int, path: str | None = None) -> KnownDifference | None:
        for entry in self._by_line.get(line, ()):
            if entry.matches_file(file_id, path):
                return entry
        return None

    @classmethod
    def load(cls, path: str | Path | None = None) -> "KnownDifferences":
        path = Path(path) if path is not None else DEFAULT_PATH
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise KnownFileError(f"cannot read {path}: {exc.strerror or exc}") from None
        return cls.parse(text, str(path))

    @classmethod
    def parse(cls, text: str, source: str = "known_differences.yaml") -> "KnownDifferences":
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise KnownFileError(f"{source}: not valid YAML: {exc}") from None
        if data is None:
            return cls()
        if not isinstance(data, dict) or not isinstance(data.get("differences", []), list):
            raise KnownFileError(f"{source}: expected a mapping with a 'differences' list")
        entries = []
        for i, item in enumerate(data.get("differences") or [], 1):
            if not isinstance(item, dict):
                raise KnownFileError(f"{source}: entry {i} is not a mapping")
            try:
                file = item["file"]
                line = item["line"]
                reason = item["reason"]
            except KeyError as exc:
                raise KnownFileError(f"{source}: entry {i} has no {exc.args[0]!r}") from None
            if not isinstance(file, str) or not isinstance(line, int) or line < 1:
                raise KnownFileError(f"{source}: entry {i} needs a file pattern and a line >= 1")
            answer = item.get("sqlite3")
            version = item.get("sqlite_version")
            entries.append(KnownDifference(file, line, str(reason).strip(),
                                           None if answer is None else str(answer),
                                           None if version is None else str(version)))
        return cls(entries)
