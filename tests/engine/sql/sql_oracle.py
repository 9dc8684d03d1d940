"""The sqlite3 binary as the oracle for the parser tests.

Every expected error message in these tests comes from running the system
``sqlite3`` on the same text; none is typed by hand.  sqlite3 also reports
name-resolution errors ("no such table") while preparing, so a test only
compares messages the parser is responsible for (:func:`is_parse_error`).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import tempfile

import pytest

SQLITE3 = shutil.which("sqlite3")
# sqlite3 runs in a scratch folder: statements such as ATTACH 'x' create
# files in the working directory, which must not be the checkout.
SCRATCH = tempfile.mkdtemp(prefix="litmus-sql-oracle-")

needs_sqlite3 = pytest.mark.skipif(SQLITE3 is None, reason="the sqlite3 binary is not installed")

# Messages produced by SQLite's tokenizer, its parser, or its grammar actions:
# the ones engine.sql must reproduce.
PARSE_ERROR_PREFIXES = (
    'near "', "incomplete input", "unrecognized token:", "parser stack overflow",
    "Expression tree is too large", "unknown join type", "unknown table option",
    "a JOIN clause is required", "ORDER BY clause should come after",
    "LIMIT clause should come after", "too many terms in compound SELECT",
    "all VALUES must have", "duplicate WITH table name", "syntax error after column name",
    "unsupported frame specification", "too many arguments on function",
    "variable number must be", "hex literal too big", "qualified table names are not allowed",
    "the INDEXED BY clause", "the NOT INDEXED clause", "cannot use RETURNING in a trigger",
    "trigger cannot use variables", "parameters are not allowed in views",
    "unsupported use of NULLS", "error in generated column", "too many SQL variables",
    "DISTINCT is not supported for window functions", "IN(...) element has",
)


def is_parse_error(message: str | None) -> bool:
    if message is None:
        return False
    if " columns assigned " in message:
        return True
    return message.startswith(PARSE_ERROR_PREFIXES)


@functools.lru_cache(maxsize=None)
def sqlite3_error(sql: str, setup: str = "") -> str | None:
    """The message sqlite3 prints when it fails to prepare ``sql`` (after
    running ``setup``), or None when it prepares and runs it."""
    if len(sql) > 50000:  # too long for a command-line argument
        return sqlite3_errors([sql.replace("\n", " ")], setup)[0]
    args = [SQLITE3, ":memory:"]
    if setup:
        args.append(setup)
    args.append(sql)
    proc = subprocess.run(args, capture_output=True, cwd=SCRATCH, text=True, timeout=60)
    for line in proc.stderr.splitlines():
        for prefix in ("Error: in prepare, ", "Parse error near line 1: "):
            if line.startswith(prefix):
                message = line[len(prefix):]
                # The shell appends " (N)" with the error code to some messages.
                return message
        if line.startswith("Error: "):
            return line[len("Error: "):]
    return None


def sqlite3_errors(statements: list[str], setup: str = "") -> list[str | None]:
    """Like :func:`sqlite3_error` for many one-line statements at once, run
    in order by one sqlite3 process (so they share one database).  Each
    statement must be complete once a semicolon is added."""
    from engine.sql.tokenizer import complete_statement

    lines = [setup.replace("\n", " ") + ";"]
    for sql in statements:
        assert "\n" not in sql and complete_statement(sql + ";"), sql
        lines.append(sql + ";")
    proc = subprocess.run([SQLITE3, ":memory:"], input="\n".join(lines) + "\n",
                          capture_output=True, cwd=SCRATCH, text=True, timeout=600)
    found: dict[int, str] = {}
    for line in proc.stderr.splitlines():
        for prefix in ("Parse error near line ", "Runtime error near line "):
            if line.startswith(prefix):
                number, _, message = line[len(prefix):].partition(": ")
                found.setdefault(int(number), message)
    return [found.get(i + 2) for i in range(len(statements))]


def sqlite3_query(sql: str, setup: str = "") -> list[str]:
    """The output lines of sqlite3 running ``sql`` (list mode, with a header)."""
    args = [SQLITE3, "-header", ":memory:"]
    if setup:
        args.append(setup)
    args.append(sql)
    proc = subprocess.run(args, capture_output=True, cwd=SCRATCH, text=True, timeout=60)
    if proc.returncode != 0:
        raise AssertionError(f"sqlite3 failed on {sql!r}: {proc.stderr}")
    return proc.stdout.splitlines()


def sqlite3_script_errors(script_lines: list[str]) -> dict[int, str]:
    """Run a script through sqlite3 (errors do not stop it) and return the
    parse errors by 1-based line number of the failing statement's start."""
    proc = subprocess.run([SQLITE3, ":memory:"], input="\n".join(script_lines) + "\n",
                          capture_output=True, cwd=SCRATCH, text=True, timeout=300)
    errors = {}
    for line in proc.stderr.splitlines():
        if line.startswith("Parse error near line "):
            number, _, message = line[len("Parse error near line "):].partition(": ")
            errors[int(number)] = message
    return errors
