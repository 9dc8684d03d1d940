"""``litmus shell``: an interactive SQL shell on the engine, in the manner of
the sqlite3 command-line shell (cli.html): statements end with ``;``,
results print in list mode (``|`` between columns), errors print as
``Parse error near line N: MESSAGE`` / ``Runtime error near line N: MESSAGE``
and never as a traceback.  Dot-commands: .help .quit .exit .tables .schema
.headers on|off .mode list|quote|line|csv.
"""

from __future__ import annotations

import argparse
import math
import sys

from .errors import Error, SQLiteError
from .exec.printf import sql_printf
from .exec.values import real_to_text
from .sql.tokenizer import complete_statement


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("shell", help="an interactive SQL shell on the engine",
                              description="An interactive SQL shell on litmus's engine.")
    p.add_argument("database", nargs="?", default=":memory:", help="database file (default: :memory:)")
    p.add_argument("sql", nargs="*", help="SQL to run instead of reading standard input")
    p.set_defaults(func=run_shell)


def _quote_real(r: float) -> str:
    """A real as sqlite3's .mode quote prints it: whole numbers that fit in
    64 bits as N.0, others with 20 significant digits, infinities as Inf."""
    if math.isinf(r):
        return "Inf" if r > 0 else "-Inf"
    if r == r and -2.0 ** 63 <= r < 2.0 ** 63 and r == int(r):
        return f"{int(r)}.0"
    return sql_printf("%!.20g", [r])


def _fmt(value, mode: str) -> str:
    if mode == "quote":
        if value is None:
            return "NULL"
        if isinstance(value, str):
            return "'" + value.replace("'", "''") + "'"
        if isinstance(value, bytes):
            return "X'" + value.hex() + "'"
        if isinstance(value, float):
            return _quote_real(value)
        return str(value)
    if value is None:
        return ""
    if isinstance(value, float):
        return real_to_text(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


class Shell:
    def __init__(self, database: str, out=sys.stdout, err=sys.stderr):
        from .api import connect
        self.conn = connect(database, isolation_level=None)
        self.out = out
        self.err = err
        self.headers = False
        self.mode = "list"
        self.failed = False

    def run_sql(self, sql: str, line: int = 1) -> None:
        from .sql.parser import parse_statements
        db = self.conn.database
        try:
            for stmt, _text in parse_statements(sql):
                try:
                    outcome = db.run(stmt, [])
                    rows = outcome.rows
                    first = True
                    for row in rows:
                        if first and self.headers and outcome.columns:
                            self._print_row(outcome.columns)
                        first = False
                        self._print_row(row)
                except SQLiteError as exc:
                    self._error("Runtime error", line, exc)
                    return
        except SQLiteError as exc:
            self._error("Parse error", line, exc)
        except RecursionError:
            self._error("Parse error", line, "parser stack overflow")
        except Error as exc:
            self._error("Error", line, exc)
        except Exception as exc:  # a bug in the engine: report it on one line
            self._error("Internal error", line, f"{type(exc).__name__}: {exc}")

    def _error(self, kind: str, line: int, exc) -> None:
        self.failed = True
        print(f"{kind} near line {line}: {exc}", file=self.err)

    def _print_row(self, row) -> None:
        if self.mode == "line":
            print("\n".join(f"{i} = {_fmt(v, 'list')}" for i, v in enumerate(row)), file=self.out)
            return
        sep = "," if self.mode in ("quote", "csv") else "|"
        print(sep.join(_fmt(v, self.mode) for v in row), file=self.out)

    def dot_command(self, line: str) -> bool:
        """Handle a dot-command; False means quit."""
        parts = line.split()
        cmd = parts[0].lower()
        if cmd in (".quit", ".exit"):
            return False
        if cmd == ".help":
            print(__doc__, file=self.out)
        elif cmd == ".headers" and len(parts) > 1:
            self.headers = parts[1].lower() in ("on", "1", "yes")
        elif cmd == ".mode" and len(parts) > 1:
            self.mode = parts[1].lower()
        elif cmd == ".tables":
            self.run_sql("SELECT name FROM sqlite_schema WHERE type IN ('table','view') "
                         "AND name NOT LIKE 'sqlite_%' ORDER BY 1;")
        elif cmd == ".schema":
            self.run_sql("SELECT sql || ';' FROM sqlite_schema WHERE sql IS NOT NULL;")
        else:
            print(f"Error: unknown command or invalid arguments: \"{cmd[1:]}\". Enter \".help\" for help",
                  file=self.err)
        return True

    def loop(self, stream) -> None:
        interactive = stream.isatty()
        buf = ""
        start_line = 1
        lineno = 0
        while True:
            if interactive:
                prompt = "litmus> " if not buf else "   ...> "
                try:
                    text = input(prompt)
                except EOFError:
                    break
                text += "\n"
            else:
                text = stream.readline()
                if not text:
                    break
            lineno += 1
            if not buf and text.lstrip().startswith("."):
                if not self.dot_command(text.strip()):
                    return
                continue
            if not buf:
                start_line = lineno
            buf += text
            if complete_statement(buf):
                self.run_sql(buf, start_line)
                buf = ""
        if buf.strip():
            self.run_sql(buf, start_line)

    def close(self) -> None:
        self.conn.close()


def run_shell(args: argparse.Namespace) -> int:
    try:
        shell = Shell(args.database)
    except Error as exc:
        print(f"Error: unable to open database \"{args.database}\": {exc}", file=sys.stderr)
        return 1
    try:
        if args.sql:
            for sql in args.sql:
                if sql.startswith("."):
                    shell.dot_command(sql)
                else:
                    shell.run_sql(sql)
        else:
            shell.loop(sys.stdin)
    except KeyboardInterrupt:
        pass
    finally:
        shell.close()
    return 1 if shell.failed else 0
