"""What goes into the sqlite3 shell and what comes out of it, as text.

The shell (shell.c of SQLite 3.40) reads its input line by line and decides
on its own when a statement is complete; it writes rows in ``.mode quote``
and errors as ``Parse error near line N: <message>``.  This module turns one
statement into input lines that make the shell prepare exactly that
statement, and turns the shell's output back into typed rows and SQLite's
bare error message.  :mod:`targets.sqlite3_shell` does the process work.

Input: the shell gathers lines until one ends in a ``;`` (outside quotes and
comments) and sqlite3_complete() accepts the text, then runs it.  Around
that, it

- takes a line starting with ``.`` or ``#`` as a dot-command or a comment
  when no statement has started yet;
- takes a line that is only ``/`` or ``go`` as a ``;`` when the text so far
  would be complete with one (Oracle and SQL Server habits);
- drops one ``\\r`` before each ``\\n``;
- never runs a statement that is not complete: an unterminated string or an
  unfinished CREATE TRIGGER body waits for more input.

:func:`plan_statement` works around each: a leading space (stripped by the
shell) defuses ``.``/``#``; ``\\r\\n`` is sent as ``\\r\\r\\n``; a missing
final ``;`` is appended.  None of these changes the outcome.  Two
rare cases do change the statement's text, though not its meaning (see
:class:`Plan`): a terminator line is prefixed with an empty comment
``/**/``, and a comment left open at the end is closed with ``*/``.  Where
sqlite3 would fail at the end of the text (an unterminated quote runs to
the end, a trigger without ``END``), the unfinishable tail is replaced by an
illegal token, so the shell fails at that point, and the message is mapped
back to the one SQLite gives for the original text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from sqlite3 import complete_statement

# The quick-scan state of shell.c: the low byte is the character that closes
# the quote or comment being scanned (0 outside one); two flags above it.
_HAS_DARK = 0x100
_ENDING_SEMI = 0x200
_FLAGS = _HAS_DARK | _ENDING_SEMI
_C_SPACE = " \t\n\v\f\r"           # C isspace(), which the shell uses

# An illegal token to SQLite's tokenizer (a blob literal with non-hex digits)
# that the shell sees as a balanced quote.  Placed where the original text
# ends, it makes the parse stop there.
EOF_MARKER = "x'LITMUS_END_OF_INPUT'"
EOF_MARKER_ERROR = f'unrecognized token: "{EOF_MARKER}"'
INCOMPLETE = "incomplete input"
_SEMI_SYNTAX_ERROR = 'near ";": syntax error'
_UNRECOGNIZED = 'unrecognized token: "'

# Possessive: a doubled quote never ends a string, not even on backtracking.
# A blob literal ends at its second quote (no doubling there), unless the x
# ends an identifier, a number or a variable (#x, @x, :x, $x).
# A TCL-style variable ($a(...), also with @ # :) ends at a ")" or a space,
# whatever quotes it holds.
_QUOTES_AND_COMMENTS = re.compile(
    r"""(?P<variable>(?:(?<![0-9A-Za-z_$\x80-\U0010ffff])\$|[@#:])"""
    r"""(?:[0-9A-Za-z_$\x80-\U0010ffff]|::)+\([^ \t\n\v\f\r)]*(?P<closed>\))?)"""
    r"""|(?<![0-9A-Za-z_$\x80-\U0010ffff#@:])[xX]'[^']*'"""
    r"""|'(?:[^']|'')*+'|"(?:[^"]|"")*+"|`(?:[^`]|``)*+`|\[[^\]]*\]"""
    r"""|--[^\n]*|/\*.*?\*/|(?P<comment>/\*.*)|(?P<quote>['"`\[])""", re.S)


@dataclass(frozen=True)
class Plan:
    """How one statement is sent.

    ``lines`` is the input for the shell (UTF-8 text, ending in a newline).
    ``appended_semicolon``: the final ``;`` is ours, so a syntax error at it
    is SQLite's "incomplete input".  ``eof_error`` replaces
    :data:`EOF_MARKER_ERROR`.  ``altered``: a ``/**/`` had to be inserted
    before a line that the shell would otherwise take as a terminator; the
    statement means the same but its text (as stored in sqlite_schema, or as
    a result column name) differs.  The same holds when a comment left open
    at the end of the statement had to be closed with ``*/`` (or, for a bare
    ``/*`` at the very end, which SQLite reads as ``/`` and ``*``, spaced as
    ``/ *``).
    """

    lines: str
    appended_semicolon: bool = False
    eof_error: str | None = None
    altered: bool = False


class PlanError(Exception):
    """The shell cannot be made to prepare this statement as it is."""


def plan_statement(stmt: str) -> Plan:
    """Input lines that make the shell run ``stmt`` (one statement as
    :func:`targets.script.split_statements` gives it, with or without its
    final ``;``) and nothing else."""
    if "\n" not in stmt:
        # The common case: one line; it cannot be a terminator line once it
        # ends in ";".
        if stmt[-1] == ";" and complete_statement(stmt):
            body, appended = stmt, False
        elif complete_statement(stmt + ";"):
            body, appended = stmt + ";", True
        else:
            return _plan_general(stmt)
        if body[0] in ".#":
            body = " " + body
        return Plan(body + "\n", appended)
    return _plan_general(stmt)


def _plan_general(stmt: str) -> Plan:
    body = stmt
    eof_error = None
    closed_comment = False
    qss = 0
    for line in body.split("\n"):
        qss = quickscan(line, qss)
    if qss & 0xFF:
        start, token, kind = _unterminated_token(body)
        if kind != "comment":
            eof_error = f'unrecognized token: "{token}"'
            body = body[:start] + " " + EOF_MARKER
        elif start == len(body) - 2:
            body = body[:-1] + " *"     # SQLite reads a final "/*" as "/" and "*"
            closed_comment = True
        else:
            body += "*/"
            closed_comment = True
    appended = False
    if complete_statement(body):
        pass
    elif complete_statement(body + ";"):
        body, appended = body + ";", True
    elif complete_statement(body + "\n;"):
        body, appended = body + "\n;", True
    else:
        # An unfinished CREATE TRIGGER body: the shell waits for ";END;".
        # Give it that, behind an illegal token that stops the parse where
        # the original text ends.
        if eof_error is None:
            eof_error = INCOMPLETE
            body += "\n" + EOF_MARKER
        body += "\n;END;"
        if not complete_statement(body):
            raise PlanError("the statement cannot be completed for the shell")
    lines, altered = _shell_lines(body)
    return Plan(lines, appended, eof_error, altered or closed_comment)


def _shell_lines(body: str) -> tuple[str, bool]:
    """Replays the shell's line loop (process_input in shell.c) over
    ``body`` and adjusts lines so that the shell gathers all of them into
    one statement and runs it after the last."""
    out = []
    altered = False
    qss = 0
    gathered: str | None = None       # the statement text gathered so far
    lines = body.split("\n")
    last = len(lines) - 1
    for number, line in enumerate(lines):
        if (qss & 0xFF) == 0 and is_terminator_line(line) and \
                (gathered is None or complete_statement(gathered + ";")):
            line = "/**/" + line
            altered = True
        qss = quickscan(line, qss)
        if gathered is None and (qss & ~_ENDING_SEMI) == 0:
            out.append(line)          # only whitespace and comments: the shell skips it
            qss = 0
            if number == last:
                raise PlanError("the statement ends in a skipped line")
            continue
        if gathered is None:
            if line[:1] in (".", "#"):
                line = " " + line
            gathered = line.lstrip(_C_SPACE)
        else:
            gathered += "\n" + line
        out.append(line)
        runs = (qss & ~_HAS_DARK) == _ENDING_SEMI and complete_statement(gathered)
        if runs != (number == last):
            raise PlanError("the shell would split this statement")
        if (qss & ~_ENDING_SEMI) == 0:
            gathered = None           # only comments so far: the shell drops them
            qss = 0
    text = "\n".join(line + "\r" if line.endswith("\r") else line for line in out)
    return text + "\n", altered


def quickscan(line: str, qss: int) -> int:
    """shell.c's quickscan(): the state after ``line`` given the state
    before it (0 at the start of a statement)."""
    i = 0
    n = len(line)
    wait = chr(qss & 0xFF) if qss & 0xFF else ""
    while i < n:
        if not wait:
            c = line[i]
            i += 1
            if c in _C_SPACE:
                continue
            if c == "-" and line.startswith("-", i):
                return qss
            if c == ";":
                qss |= _ENDING_SEMI
                continue
            if c == "/" and line.startswith("*", i):
                i += 1
                wait = "*"
                qss = (qss & _FLAGS) | ord("*")
                continue
            if c in "'\"`[":
                wait = "]" if c == "[" else c
                qss = _HAS_DARK | ord(wait)
                continue
            qss = (qss & ~_ENDING_SEMI) | _HAS_DARK
        else:
            j = line.find(wait, i)
            if j < 0:
                return qss
            i = j + 1
            if wait == "*":
                if line.startswith("/", i):
                    i += 1
                    wait = ""
                    qss &= _FLAGS
                continue
            if wait != "]" and line.startswith(wait, i):
                i += 1
                continue
            wait = ""
            qss &= _FLAGS
    return qss


def is_terminator_line(line: str) -> bool:
    """shell.c's line_is_command_terminator(): ``/`` or ``go`` alone."""
    s = line.lstrip(_C_SPACE)
    if s.startswith("/"):
        s = s[1:]
    elif s[:2].lower() == "go":
        s = s[2:]
    else:
        return False
    return quickscan(s, 0) == 0


def _unterminated_token(text: str) -> tuple[int, str, str]:
    """Where the shell sees a quote or comment running to the end of
    ``text``: its start, the token SQLite reads there and its kind.  A quote
    runs from its opening quote (or the X of an X'...' blob literal) to the
    end; a TCL-style variable that lacks its ")" but holds a quote or
    comment start is one illegal token to SQLite; a comment starts at its
    ``/*``."""
    for m in _QUOTES_AND_COMMENTS.finditer(text):
        if m.group("variable"):
            if m.group("closed") is None and _SHELL_OPENERS.search(m.group()):
                return m.start(), m.group(), "variable"
        elif m.group("comment"):
            return m.start(), text[m.start():], "comment"
        elif m.group("quote"):
            start = m.start()
            if text[start] == "'" and start > 0 and text[start - 1] in "xX" and \
                    (start == 1 or not (_is_id_char(text[start - 2]) or text[start - 2] in "#@:")):
                start -= 1
            return start, text[start:], "quote"
    raise PlanError("the shell reads a quote here that SQLite does not")


def _is_id_char(c: str) -> bool:
    return c.isascii() and (c.isalnum() or c in "_$") or not c.isascii()


# ---------------------------------------------------------------- output

_SHELL_OPENERS = re.compile(r"""['"`\[]|/\*""")
_VALUE = re.compile(r"""(?:'((?:[^']+|'')*)'|(NULL)|X'([0-9a-fA-F]*)'|(-?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|Inf)))([,\n])""")
_REAL_CHARS = frozenset(".eEIn")


class OutputError(Exception):
    """The shell printed something that is not ``.mode quote`` output."""


def parse_quote_output(text: str) -> tuple[tuple[str, ...] | None, list[tuple]]:
    """The header and rows of one statement's ``.mode quote`` output with
    ``.headers on``; ``(None, [])`` when it printed nothing."""
    if not text:
        return None, []
    records: list[tuple] = []
    row: list = []
    pos = 0
    n = len(text)
    match = _VALUE.match
    while pos < n:
        m = match(text, pos)
        if m is None:
            raise OutputError(f"unexpected shell output at {text[pos:pos + 60]!r}")
        string, null, blob, number, sep = m.groups()
        if string is not None:
            row.append(string.replace("''", "'") if "'" in string else string)
        elif number is not None:
            if _REAL_CHARS.isdisjoint(number):
                row.append(int(number))
            else:
                row.append(float(number))
        elif null is not None:
            row.append(None)
        else:
            row.append(bytes.fromhex(blob))
        if sep == "\n":
            records.append(tuple(row))
            row = []
        pos = m.end()
    if row:
        raise OutputError("shell output ends inside a row")
    header = records[0]
    if not all(isinstance(name, str) for name in header):
        raise OutputError(f"not a header line: {header!r}")
    return header, records[1:]


_ERROR_PREFIX = re.compile(
    r"\A(?:(?:Parse error|Runtime error|Error) near line \d+: |Error: )(?:in prepare, |stepping, )?")
_CONTEXT = re.compile(r"\n(  [^\n]*)\n( *)(\^--- error here|error here ---\^)\Z")
_RESULT_CODE = re.compile(r" \((\d+)\)\Z")


@dataclass(frozen=True)
class ShellError:
    message: str
    at_end: bool | None     # the error points at the last character of the statement


def parse_error(text: str) -> ShellError:
    """SQLite's message out of what the shell printed on stderr for one
    statement, e.g. ``Runtime error near line 3: UNIQUE constraint failed:
    t.a (19)`` gives ``UNIQUE constraint failed: t.a``.

    The shell appends `` (N)`` when the result code N is not SQLITE_ERROR,
    and a two-line excerpt with a caret when SQLite knows the error's
    offset.  Both are removed.  (A message that itself ends in `` (2)`` ..
    `` (28)`` under SQLITE_ERROR, e.g. ``no such table: x (5)``, loses that
    ending too: the text alone cannot tell the two apart.)
    """
    text = text.rstrip("\n")
    at_end = None
    m = _CONTEXT.search(text)
    if m:
        code, spaces, caret = m.groups()
        # The shell places the caret by byte offset.
        column = len(spaces) + (0 if caret[0] == "^" else len("error here ---"))
        at_end = code.encode("utf-8", "surrogateescape")[column:].rstrip() == b";"
        text = text[:m.start()]
    m = _ERROR_PREFIX.match(text)
    if m:
        text = text[m.end():]
    m = _RESULT_CODE.search(text)
    if m and 2 <= int(m.group(1)) <= 28:
        text = text[:m.start()]
    return ShellError(text, at_end)


def message_for(plan: Plan, error: ShellError) -> str:
    """The message SQLite gives for the original statement."""
    message = error.message
    if plan.eof_error is not None and message == EOF_MARKER_ERROR:
        return plan.eof_error
    if plan.appended_semicolon:
        if message == _SEMI_SYNTAX_ERROR and error.at_end is not False:
            return INCOMPLETE
        # An illegal token that runs to the end of the text (a TCL-style
        # variable such as $a(b) took our ";" in.
        if message.startswith(_UNRECOGNIZED) and message.endswith(';"') and \
                plan.lines.endswith(message[len(_UNRECOGNIZED):-1] + "\n"):
            return message[:-2] + '"'
    return message
