"""sqllogictest files as pytest items (the ``litmus_slt`` pytest11 plugin).

    pytest --slt-target engine ../shared/slt/select1.test
    pytest -n auto --slt-target sqlite3 ../shared/slt/evidence

Each statement or query record of a ``.test`` file becomes one item,
``select1.test::LINE``; a skipped record (``onlyif mysql``...) shows as
skipped with its condition, a known corpus difference as xfail, a malformed
record as a failure.

Only ``.test`` files named on the command line, or under a directory named
on the command line, are collected: a plain ``pytest`` run (``testpaths``)
never collects them.

Records of a file are stateful (a query needs the tables earlier statements
made), so a file's items should run in order on one target in one process.  When
pytest-xdist would distribute items one by one (``--dist load``, what ``-n``
implies) and .test files are among the paths, the plugin switches to
``--dist loadfile``, which keeps each file on one worker.  ``loadscope``
works as well, and each item carries an ``xdist_group`` mark naming its file
for ``--dist loadgroup``.  Whatever the distribution, results stay right:
an item that does not follow the previous record of its file on the same
target (a single item ``file.test::120``, items out of order, or a file
split across workers) first replays, unreported and on a fresh database,
the records before it; a split file only costs time.

Options: ``--slt-target`` (default engine), ``--slt-differential`` (compare
live with ``--slt-oracle``, default sqlite3), ``--slt-timeout``,
``--slt-known`` (default: the packaged known_differences.yaml).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from .known import KnownDifferences
from .slt_parser import ParseError, parse_slt
from .slt_runner import FAILED, KNOWN, SKIPPED, FileSession, skip_reason

_roots_key = pytest.StashKey[tuple]()
_targets: dict[tuple, object] = {}   # (role, spec, timeout) -> open target, one per process
_owner: dict[tuple, object] = {}     # (role, spec, timeout) -> the SltFile whose state it holds


def pytest_addoption(parser):
    group = parser.getgroup("litmus-slt", "sqllogictest files (litmus)")
    group.addoption("--slt-target", default="engine", metavar="SPEC",
                    help="target that runs .test files: engine, sqlite3[:BINARY] or "
                         "dbapi:MODULE (default: engine)")
    group.addoption("--slt-differential", action="store_true",
                    help="compare each record live with --slt-oracle instead of with "
                         "the file's expectations")
    group.addoption("--slt-oracle", default="sqlite3", metavar="SPEC",
                    help="reference target of --slt-differential (default: sqlite3)")
    group.addoption("--slt-timeout", type=float, default=10.0, metavar="SECONDS",
                    help="per statement (default: 10)")
    group.addoption("--slt-known", default=None, metavar="FILE",
                    help="known corpus differences (default: the packaged file)")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "xdist_group(name): run all items of the group on one xdist worker")
    roots: list[Path] = []
    if config.args_source == pytest.Config.ArgsSource.ARGS:
        base = Path(config.invocation_params.dir)
        for arg in config.args:
            path = Path(str(arg).split("::", 1)[0])
            roots.append((base / path).resolve() if not path.is_absolute() else path.resolve())
    config.stash[_roots_key] = tuple(roots)
    if getattr(config.option, "dist", "no") == "load" and any(map(_may_hold_slt, roots)):
        # Items of one file must stay together.  loadfile groups by the file
        # part of the node id and needs nothing from the workers (loadgroup
        # would: workers re-parse the command line and never learn of it).
        config.option.dist = "loadfile"


def _may_hold_slt(path: Path) -> bool:
    if path.suffix == ".test":
        return True
    if path.is_dir():
        return next(path.rglob("*.test"), None) is not None
    return False


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix != ".test":
        return None
    roots = parent.config.stash.get(_roots_key, ())
    resolved = file_path.resolve()
    if not any(resolved == root or root in resolved.parents for root in roots):
        return None
    return SltFile.from_parent(parent, path=file_path)


def pytest_unconfigure(config):
    for target in _targets.values():
        try:
            target.close()
        except Exception:
            pass
    _targets.clear()
    _owner.clear()


def _file_id(path: Path, roots) -> str:
    """As the ``conform`` verb names files: relative to the parent of the
    command-line path that holds it."""
    resolved = path.resolve()
    for root in roots:
        if resolved == root or root in resolved.parents:
            return resolved.relative_to(root.parent).as_posix()
    return path.name


def _skip_here(reason: str):
    """Skip, reported at the record's line rather than at this plugin's."""
    try:
        raise pytest.skip.Exception(reason, _use_item_location=True)
    except TypeError:  # a pytest without that keyword
        pytest.skip(reason)


class SltFailure(Exception):
    """A record that failed; carries the runner's Failure (or a message)."""


class SltFile(pytest.File):
    def collect(self):
        text = self.path.read_bytes().decode("utf-8", errors="replace")
        self.file_id = _file_id(self.path, self.config.stash.get(_roots_key, ()))
        self.parsed = parse_slt(text, self.file_id)
        self.ordered = self.parsed.in_order()
        self.session_state: FileSession | None = None
        self.next_position = 0
        group = pytest.mark.xdist_group(name=self.nodeid)
        for position, record in enumerate(self.ordered):
            if isinstance(record, ParseError):
                item = SltItem.from_parent(self, name=str(record.line), record=record,
                                           position=position)
            elif record.kind in ("statement", "query"):
                item = SltItem.from_parent(self, name=str(record.line), record=record,
                                           position=position)
            else:
                if record.kind == "halt" and skip_reason(record.conditions) is None:
                    return
                continue
            item.add_marker(group)
            yield item

    # ------------------------------------------------------------ state
    def _options(self):
        opt = self.config.getoption
        oracle = opt("slt_oracle") if opt("slt_differential") else None
        return opt("slt_target"), oracle, opt("slt_timeout")

    def _target(self, role: str, spec: str, timeout: float):
        from targets import open_target
        key = (role, spec, timeout)
        if key not in _targets:
            _targets[key] = open_target(spec, timeout=timeout)
        return _targets[key]

    def session_for(self, position: int) -> FileSession:
        """The file's session, ready to run the record at ``position``: a
        fresh one (records before ``position`` replayed) when the target was
        used by another file meanwhile or the items run out of order."""
        spec, oracle_spec, timeout = self._options()
        keys = [("target", spec, timeout)]
        if oracle_spec:
            keys.append(("oracle", oracle_spec, timeout))
        fresh = (self.session_state is None or position < self.next_position
                 or any(_owner.get(k) is not self for k in keys))
        if fresh:
            try:
                target = self._target(*keys[0])
                oracle = self._target(*keys[1]) if oracle_spec else None
                target.reset()
                if oracle is not None:
                    oracle.reset()
            except Exception as exc:  # an engine that cannot be opened: say so once per item
                for k in keys:
                    _targets.pop(k, None)
                    _owner.pop(k, None)
                self.session_state = None
                raise SltFailure(f"cannot open target {spec!r}"
                                 f"{f' or oracle {oracle_spec!r}' if oracle_spec else ''}: "
                                 f"{type(exc).__name__}: {exc}") from None
            for k in keys:
                _owner[k] = self
            known = (KnownDifferences.load(self.config.getoption("slt_known"))
                     if oracle is None else None)
            self.session_state = FileSession(self.file_id, target, oracle=oracle, known=known,
                                             path=str(self.path))
            self.next_position = 0
        session = self.session_state
        for record in self.ordered[self.next_position:position]:
            if not isinstance(record, ParseError):
                session.run(record)
        self.next_position = position
        return session


class SltItem(pytest.Item):
    def __init__(self, *, record, position: int, **kwargs):
        super().__init__(**kwargs)
        self.record = record
        self.position = position

    def runtest(self):
        record = self.record
        if isinstance(record, ParseError):
            raise SltFailure(f"malformed record: {record.message}")
        session = self.parent.session_for(self.position)
        outcome = session.run(record)
        self.parent.next_position = self.position + 1
        if outcome.status == SKIPPED:
            _skip_here(outcome.reason)
        if outcome.status == KNOWN:
            pytest.xfail(f"known difference: {outcome.reason}")
        if outcome.status == FAILED:
            raise SltFailure(outcome.failure)
        if outcome.stale:
            warnings.warn(f"{record.file}:{record.line} is listed in the known differences "
                          f"but passes; the entry is stale", stacklevel=1)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, SltFailure):
            detail = excinfo.value.args[0]
            if isinstance(detail, str):
                return f"{self.parent.file_id}:{self.record.line}: {detail}"
            return "\n".join([
                f"{detail.id}: {detail.message}",
                "--- sql", detail.sql,
                "--- expected", detail.expected or "(nothing)",
                "--- got", detail.got or "(nothing)",
            ])
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, self.record.line - 1, f"{self.parent.file_id}:{self.record.line}"

