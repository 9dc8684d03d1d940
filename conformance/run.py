"""Running many sqllogictest files in parallel (``litmus conform``).

Files are the unit of work: each runs in order on one worker's target(s)
from a fresh database (``target.reset()``).  Workers are processes started
with the ``spawn`` method; each opens its own target (and oracle in
differential mode) once and keeps it for every file it is given, so the
sqlite3 target is one persistent process per worker.  With one job
everything runs in the calling process.

On a terminal a single line shows progress; elsewhere nothing is printed
until the end.
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timezone
from multiprocessing import get_context
from pathlib import Path
from typing import TextIO

from targets import OK, open_target

from .known import KnownDifferences
from .results import RunResult
from .slt_parser import parse_slt
from .slt_runner import FileResult, FileSession, run_parsed


class PathProblem(Exception):
    """A path given on the command line that cannot be used."""


@dataclass(frozen=True)
class RunConfig:
    target: str = "engine"
    oracle: str | None = None           # set: differential mode against this target
    timeout: float = 10.0
    known_path: str | None = None       # None: the packaged known_differences.yaml

    @property
    def mode(self) -> str:
        return "differential" if self.oracle else "expected"


@dataclass(frozen=True)
class SltFile:
    path: str        # as opened
    file_id: str     # relative to the parent of the path given (docs/results.md)
    size: int = 0


# ---------------------------------------------------------------- paths

def collect_files(paths: list[str]) -> list[SltFile]:
    """The files named by ``paths`` (a directory stands for every ``*.test``
    under it, sorted), each with its file id; duplicates dropped.  Raises
    :class:`PathProblem` with a one-line message for the first path that is
    missing or unreadable."""
    files: list[SltFile] = []
    seen: set[str] = set()
    for given in paths:
        absolute = os.path.abspath(given)
        base = os.path.dirname(absolute)
        if not os.path.exists(absolute):
            raise PathProblem(f"cannot read {given}: No such file or directory")
        if os.path.isdir(absolute):
            try:
                found = sorted(str(p) for p in Path(absolute).rglob("*.test") if p.is_file())
            except OSError as exc:
                raise PathProblem(f"cannot read {given}: {exc.strerror or exc}") from None
            if not os.access(absolute, os.R_OK | os.X_OK):
                raise PathProblem(f"cannot read {given}: Permission denied")
            if not found:
                raise PathProblem(f"no .test files under {given}")
        else:
            found = [absolute]
        for path in found:
            if path in seen:
                continue
            seen.add(path)
            try:
                with open(path, "rb") as handle:
                    handle.read(1)
                size = os.path.getsize(path)
            except OSError as exc:
                shown = given if path == absolute else path
                raise PathProblem(f"cannot read {shown}: {exc.strerror or exc}") from None
            file_id = os.path.relpath(path, base).replace(os.sep, "/")
            files.append(SltFile(path, file_id, size))
    return files


# -------------------------------------------------------------- workers

_worker: dict = {}


def _init_worker(config: RunConfig, queue=None) -> None:
    _close_worker()
    _worker.update(config=config, queue=queue, target=None, oracle=None,
                   known=KnownDifferences.load(config.known_path) if config.oracle is None
                   else KnownDifferences())


def _close_worker() -> None:
    for name in ("target", "oracle"):
        target = _worker.get(name)
        if target is not None:
            try:
                target.close()
            except Exception:
                pass
        _worker[name] = None


def _targets():
    config: RunConfig = _worker["config"]
    if _worker["target"] is None:
        _worker["target"] = open_target(config.target, timeout=config.timeout)
    if config.oracle and _worker["oracle"] is None:
        _worker["oracle"] = open_target(config.oracle, timeout=config.timeout)
    return _worker["target"], _worker["oracle"]


def run_file(path: str, file_id: str) -> FileResult:
    """Run one file on this worker's target(s), from a fresh database."""
    try:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8", errors="replace")
    except OSError as exc:
        return FileResult(file_id, error=f"cannot read {path}: {exc.strerror or exc}")
    started = time.perf_counter()
    try:
        parsed = parse_slt(text, file_id)
        target, oracle = _targets()
        target.reset()
        if oracle is not None:
            oracle.reset()
        session = FileSession(file_id, target, oracle=oracle, known=_worker["known"],
                              path=os.path.abspath(path))
        result = run_parsed(parsed, session, progress=_progress_sender())
    except Exception as exc:  # a broken target or a runner bug: report it, go on
        _close_worker()
        message = " ".join(f"{type(exc).__name__}: {exc}".split())
        return FileResult(file_id, error=f"could not run: {message}",
                          seconds=time.perf_counter() - started)
    return result


def _progress_sender():
    queue = _worker.get("queue")
    if queue is None:
        return None
    last = [0.0]

    def send(result: FileResult) -> None:
        now = time.monotonic()
        if now - last[0] >= 0.25:
            last[0] = now
            queue.put((result.file, result.passed, result.failed, result.skipped, result.known))
    return send


# ------------------------------------------------------------ the run

def sqlite_version(config: RunConfig) -> str | None:
    """The version of the sqlite3 in use (the oracle, or an SQLite target)."""
    spec = config.oracle or config.target
    if not (spec.startswith("sqlite3") or spec == "dbapi:sqlite3"):
        return None
    target = open_target(spec, timeout=config.timeout)
    try:
        result = target.execute("SELECT sqlite_version()")
        return str(result.rows[0][0]) if result.status == OK and result.rows else None
    finally:
        target.close()


def check_targets(config: RunConfig) -> None:
    """Open and close each target once, so a bad spec fails before the run."""
    for spec in filter(None, (config.target, config.oracle)):
        open_target(spec, timeout=config.timeout).close()


def run_conformance(files: list[SltFile], config: RunConfig, *, jobs: int | None = None,
                    progress: bool | None = None, stream: TextIO | None = None) -> RunResult:
    """Run ``files`` and gather their results, in the order of ``files``."""
    stream = stream or sys.stdout
    if progress is None:
        progress = stream.isatty()
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(files) or 1))
    started_wall = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    started = time.perf_counter()
    display = _Progress(stream, len(files)) if progress else None
    results: dict[str, FileResult] = {}
    if jobs == 1:
        queue = _InlineQueue(display) if display else None
        _init_worker(config, queue)
        try:
            for f in files:
                results[f.file_id] = run_file(f.path, f.file_id)
                if display:
                    display.finished(results[f.file_id])
        finally:
            _close_worker()
    else:
        _run_pool(files, config, jobs, display, results)
    if display:
        display.clear()
    run = RunResult(target=config.target, mode=config.mode,
                    sqlite_version=sqlite_version(config), started=started_wall)
    run.files = [results[f.file_id] for f in files]
    run.seconds = time.perf_counter() - started
    return run


def _run_pool(files, config, jobs, display, results) -> None:
    context = get_context("spawn")
    queue = context.Queue() if display else None
    # Largest files first, so one big file does not run alone at the end.
    order = sorted(files, key=lambda f: -f.size)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=context,
                             initializer=_init_worker, initargs=(config, queue)) as pool:
        futures = {pool.submit(run_file, f.path, f.file_id): f for f in order}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            for future in done:
                f = futures[future]
                try:
                    results[f.file_id] = future.result()
                except Exception as exc:  # the worker process died
                    results[f.file_id] = FileResult(
                        f.file_id, error=f"worker failed: {type(exc).__name__}: {exc}")
                if display:
                    display.finished(results[f.file_id])
            if display:
                _drain(queue, display)
                display.draw()


def _drain(queue, display) -> None:
    while True:
        try:
            item = queue.get_nowait()
        except Exception:
            return
        display.update(*item)


class _InlineQueue:
    """The progress queue of a single-process run: straight to the display."""

    def __init__(self, display):
        self.display = display

    def put(self, item) -> None:
        self.display.update(*item)
        self.display.draw()


class _Progress:
    """One updating terminal line: files done, records passed/failed, rate."""

    def __init__(self, stream: TextIO, total_files: int):
        self.stream = stream
        self.total_files = total_files
        self.done: dict[str, tuple] = {}
        self.running: dict[str, tuple] = {}
        self.started = time.monotonic()
        self.last_draw = 0.0

    def update(self, file_id, passed, failed, skipped, known) -> None:
        if file_id not in self.done:
            self.running[file_id] = (passed, failed, skipped, known)

    def finished(self, result: FileResult) -> None:
        self.running.pop(result.file, None)
        self.done[result.file] = (result.passed, result.failed, result.skipped, result.known)
        self.draw(force=True)

    def draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last_draw < 0.2:
            return
        self.last_draw = now
        counts = [sum(c[i] for c in (*self.done.values(), *self.running.values()))
                  for i in range(4)]
        records = sum(counts)
        rate = records / max(now - self.started, 1e-6)
        line = (f"files {len(self.done)}/{self.total_files}  "
                f"{counts[0]} passed, {counts[1]} failed, {counts[2]} skipped"
                f"{f', {counts[3]} known' if counts[3] else ''}  {rate:,.0f} records/s")
        self.stream.write("\r\033[K" + line)
        self.stream.flush()

    def clear(self) -> None:
        self.stream.write("\r\033[K")
        self.stream.flush()
