"""The ``sqlite3`` target: the system sqlite3 shell as one persistent process
(DESIGN.md, "Targets").

The shell runs with ``-batch -init /dev/null`` (no ~/.sqliterc), ``-safe``
unless asked otherwise, ``.mode quote``, ``.headers on`` and
``.explain off``.  Quote mode keeps the storage classes apart: integers
bare, reals with 20 significant digits (enough for ``float()`` to recover
the exact double; ``Inf``/``-Inf`` for infinities), text as ``'...'``,
blobs as ``X'..'``, NULL as ``NULL``.  The statements of a script go one at
a time, each followed by a ``.print`` of a marker line unique to the
process, so the end of each statement's output is known without waiting;
errors come on stderr and are read after the marker.

Differences from running the statement through the C API that remain:

- ``-0.0`` comes back as ``0.0`` (SQLite's printf drops the sign of a
  zero); ``compare()`` treats the two as equal anyway.
- Text is printed as a C string: a value containing U+0000 is cut there.
  Text that is not valid UTF-8 is decoded with ``surrogateescape``.
- SQL text stops at its first U+0000, as it does for sqlite3_exec().
- With ``safe=True`` (the default), ATTACH (even of ``:memory:``),
  VACUUM INTO, readfile(), writefile(), edit(), load_extension(),
  fts3_tokenizer() and zipfile() make the shell exit: such a statement is
  reported as a crash carrying the shell's message (``cannot run ATTACH in
  safe mode``).  Pass ``safe=False`` where a run needs them; the shell then
  runs in a private temporary directory, where relative file names land.
- A statement that the shell would read as two (a line that is only ``/``
  or ``go``) gets ``/**/`` before that line, and a comment left open at
  the end of a statement is closed; both can change a result column name
  (see :mod:`targets.shell_text`).
- ``columns`` is None whenever the last statement printed no rows: the
  shell prints no header for an empty result.
- A message under SQLITE_ERROR that itself ends in `` (2)`` .. `` (28)``
  loses that ending (see :func:`targets.shell_text.parse_error`).
- A statement with a TCL-style variable whose parentheses hold an
  unbalanced quote (``$a(')``) cannot be passed to the shell at all; it is
  reported as an error saying so.

A statement that runs longer than ``timeout`` seconds has its process killed
and replaced (status ``timeout``).  If the process dies, during a statement
or between two calls, the statement is reported as ``crash`` (not run, if it
died before) and a new process is started.  Either way the state of an
in-memory database is gone, and the error says so.
"""

from __future__ import annotations

import os
import secrets
import select
import shutil
import signal
import subprocess
import tempfile
import time

from .base import CRASH, ERROR, OK, TIMEOUT, Result, TargetError
from .script import split_statements
from .shell_text import OutputError, PlanError, message_for, parse_error, parse_quote_output, plan_statement

_SETTINGS = b".mode quote\n.headers on\n.explain off\n"
_READ_SIZE = 1 << 16
_versions: dict[str, str] = {}


class _Timeout(Exception):
    pass


class _Died(Exception):
    def __init__(self, before: bool):
        super().__init__()
        self.before = before


class SQLite3Target:
    """Runs SQL in one persistent ``sqlite3`` process."""

    name = "sqlite3"

    def __init__(self, binary: str = "sqlite3", timeout: float = 10.0,
                 database: str = ":memory:", safe: bool = True):
        path = shutil.which(binary)
        if path is None:
            raise TargetError(f"sqlite3 binary not found: {binary!r}")
        self.binary = path
        self.timeout = float(timeout)
        self.in_memory = database in (":memory:", "")
        self.database = database if self.in_memory else os.path.abspath(database)
        self.safe = safe
        self.restarts = 0                 # processes replaced after a timeout or crash
        self._proc: subprocess.Popen | None = None
        self._workdir: str | None = None
        self._start()

    # ------------------------------------------------------------ protocol

    @property
    def version(self) -> str:
        """The shell's SQLite version, e.g. ``3.40.1``."""
        if self.binary not in _versions:
            out = subprocess.run([self.binary, "-version"], capture_output=True, text=True,
                                 timeout=30, check=True).stdout
            _versions[self.binary] = out.split()[0]
        return _versions[self.binary]

    def execute(self, sql: str) -> Result:
        started = time.perf_counter()
        if self._proc is None:
            self._start()                 # closed earlier: start again
        if "\x00" in sql:
            sql = sql[:sql.index("\x00")]
        rows: list[tuple] = []
        columns = None
        for stmt in split_statements(sql, keep_semicolon=True):
            try:
                plan = plan_statement(stmt)
                payload = plan.lines.encode("utf-8", "surrogateescape") + self._marker_command
            except (PlanError, UnicodeEncodeError) as exc:
                return Result(status=ERROR, rows=rows, columns=columns,
                              error=f"litmus: cannot pass this statement to the sqlite3 shell: {exc}",
                              seconds=time.perf_counter() - started)
            try:
                out, err = self._exchange(payload)
                header, stmt_rows = parse_quote_output(out.decode("utf-8", "surrogateescape"))
            except _Timeout:
                self._restart()
                return Result(status=TIMEOUT, rows=rows, columns=columns,
                              error=f"timeout after {self.timeout:g}s{self._lost()}",
                              state_lost=True,
                              seconds=time.perf_counter() - started)
            except _Died as died:
                detail = self._reap()
                when = "before this statement was sent; it did not run" if died.before else \
                    "while running this statement"
                self._restart()
                return Result(status=CRASH, rows=rows, columns=columns,
                              error=f"sqlite3 exited {when}: {detail}{self._lost()}",
                              state_lost=True,
                              seconds=time.perf_counter() - started)
            except OutputError as exc:
                self._restart()
                return Result(status=CRASH, rows=rows, columns=columns,
                              error=f"unreadable sqlite3 output: {exc}{self._lost()}",
                              state_lost=True,
                              seconds=time.perf_counter() - started)
            if err:
                message = message_for(plan, parse_error(err.decode("utf-8", "surrogateescape")))
                return Result(status=ERROR, rows=rows, columns=columns, error=message,
                              seconds=time.perf_counter() - started)
            if header is not None:
                rows.extend(stmt_rows)
            columns = header
        return Result(status=OK, rows=rows, columns=columns, seconds=time.perf_counter() - started)

    def reset(self) -> None:
        """A fresh, empty database: ``.open :memory:`` in the running
        process; for a database file, a new process after the file (and its
        journal and WAL) is removed; for ``""`` (a private temporary
        database), a new process."""
        if self.database == ":memory:" and self._proc is not None:
            try:
                out, err = self._exchange(b".open :memory:\n" + self._marker_command)
                if not out and not err:
                    return
            except (_Timeout, _Died):
                pass
        self._stop()
        if not self.in_memory:
            for suffix in ("", "-journal", "-wal", "-shm"):
                try:
                    os.unlink(self.database + suffix)
                except FileNotFoundError:
                    pass
        self._start()

    def close(self) -> None:
        self._stop()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def __enter__(self) -> "SQLite3Target":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    @property
    def pid(self) -> int | None:
        """The process id of the running shell (tests use it)."""
        return self._proc.pid if self._proc is not None else None

    # ------------------------------------------------------------ process

    def _start(self) -> None:
        args = [self.binary, "-batch", "-init", os.devnull]
        if self.safe:
            args.append("-safe")
        args.append(self.database)
        if not self.safe and self._workdir is None:
            self._workdir = tempfile.mkdtemp(prefix="litmus-sqlite3-")
        try:
            proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, bufsize=0, cwd=self._workdir,
                                    start_new_session=True)
        except OSError as exc:
            raise TargetError(f"cannot start {self.binary}: {exc}") from None
        self._proc = proc
        self._in_fd = proc.stdin.fileno()
        self._out_fd = proc.stdout.fileno()
        self._err_fd = proc.stderr.fileno()
        os.set_blocking(self._in_fd, False)
        os.set_blocking(self._err_fd, False)
        self._poller = select.poll()
        self._poller.register(self._out_fd, select.POLLIN)
        self._poller.register(self._err_fd, select.POLLIN)
        self._buffer = bytearray()
        self._errors = bytearray()
        marker = b"@@litmus:" + secrets.token_hex(12).encode() + b"\n"
        self._marker_line = marker
        self._marker_after_newline = b"\n" + marker
        self._marker_command = b".print " + marker
        try:
            out, err = self._exchange(_SETTINGS + self._marker_command, max(self.timeout, 10.0))
        except (_Timeout, _Died):
            detail = self._reap()
            raise TargetError(f"{self.binary} did not start: {detail}") from None
        if out or err:
            self._stop()
            raise TargetError(f"{self.binary} did not accept its settings: {(out + err)[:200]!r}")

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.poll() is None:
            try:
                proc.stdin.close()
                proc.wait(timeout=1.0)
            except (OSError, subprocess.TimeoutExpired):
                proc.kill()
                proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            try:
                stream.close()
            except OSError:
                pass

    def _restart(self) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.kill()
        self._stop()
        self.restarts += 1
        self._start()

    def _reap(self) -> str:
        """How the process ended and what it said on stderr last."""
        proc = self._proc
        if proc is None:
            return "no process"
        try:
            while True:
                chunk = os.read(self._err_fd, _READ_SIZE)
                if not chunk:
                    break
                self._errors += chunk
        except OSError:
            pass
        try:
            code = proc.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            code = proc.wait()
        if code < 0:
            try:
                how = f"killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"killed by signal {-code}"
        else:
            how = f"exit status {code}"
        said = bytes(self._errors).decode("utf-8", "replace").strip()
        self._errors.clear()
        return f"{how}: {said}" if said else how

    def _lost(self) -> str:
        if self.in_memory:
            return " (a new sqlite3 process was started: the database is empty again)"
        return " (a new sqlite3 process was started on the same database file)"

    # ------------------------------------------------------------ I/O

    def _exchange(self, payload: bytes, timeout: float | None = None) -> tuple[bytes, bytes]:
        """Sends ``payload`` (ending in the marker command) and returns what
        the shell printed on stdout before the marker, and on stderr."""
        try:
            written = os.write(self._in_fd, payload)
        except BrokenPipeError:
            raise _Died(before=True) from None
        except BlockingIOError:
            written = 0
        pending = payload[written:]
        if pending:
            self._poller.register(self._in_fd, select.POLLOUT)
        buffer = self._buffer
        marker = self._marker_line
        marker_nl = self._marker_after_newline
        deadline = None
        searched = 0
        try:
            while True:
                if buffer.startswith(marker):
                    end, after = 0, len(marker)
                    break
                found = buffer.find(marker_nl, searched)
                if found >= 0:
                    end, after = found + 1, found + len(marker_nl)
                    break
                searched = max(0, len(buffer) - len(marker_nl))
                now = time.monotonic()
                if deadline is None:
                    deadline = now + (self.timeout if timeout is None else timeout)
                elif now >= deadline:
                    raise _Timeout()
                events = self._poller.poll((deadline - now) * 1000.0)
                if not events:
                    raise _Timeout()
                for fd, _event in events:
                    if fd == self._out_fd:
                        chunk = os.read(fd, _READ_SIZE)
                        if not chunk:
                            raise _Died(before=False)
                        buffer += chunk
                    elif fd == self._err_fd:
                        self._read_errors()
                    elif pending:
                        try:
                            pending = pending[os.write(fd, pending):]
                        except BrokenPipeError:
                            raise _Died(before=False) from None
                        except BlockingIOError:
                            pass
                        if not pending:
                            self._poller.unregister(fd)
        finally:
            if pending and self._proc is not None:
                try:
                    self._poller.unregister(self._in_fd)
                except KeyError:
                    pass
        out = bytes(buffer[:end])
        del buffer[:after]
        # The shell wrote any error before it read the .print line: it is
        # in the pipe already.
        self._read_errors()
        if self._errors:
            err = bytes(self._errors)
            self._errors.clear()
        else:
            err = b""
        return out, err

    def _read_errors(self) -> None:
        try:
            while True:
                chunk = os.read(self._err_fd, _READ_SIZE)
                if not chunk:
                    # stderr closed: the process is going away; stop polling it.
                    try:
                        self._poller.unregister(self._err_fd)
                    except KeyError:
                        pass
                    return
                self._errors += chunk
        except BlockingIOError:
            return
