"""Helpers shared by the storage tests: the sqlite3 binary as oracle."""

from __future__ import annotations

import shutil
import subprocess

import pytest

SQLITE3 = shutil.which("sqlite3")


def sqlite(path, sql: str, *, check: bool = True) -> subprocess.CompletedProcess:
    """Run the sqlite3 binary (the oracle) on ``path``."""
    res = subprocess.run([SQLITE3, "-batch", str(path)], input=sql, capture_output=True,
                         text=True, timeout=120)
    if check and res.returncode != 0:
        raise AssertionError(f"sqlite3 failed: {res.stderr}")
    return res


def sqlite_out(path, sql: str) -> str:
    return sqlite(path, sql).stdout.strip()


requires_sqlite3 = pytest.mark.skipif(SQLITE3 is None, reason="sqlite3 binary not installed")


def new_db(path, *, page_size: int = 4096, vfs=None):
    """A pager on a new file, inside a write transaction."""
    from engine.storage.pager import Pager
    from engine.storage.vfs import OSVFS
    pager = Pager.open(vfs or OSVFS(), str(path), page_size=page_size)
    pager.begin_write()
    return pager


def add_schema_row(pager, kind: str, name: str, tbl_name: str, root: int, sql: str) -> None:
    """Append a row to sqlite_schema (page 1's tree) and bump the schema cookie."""
    from engine.storage.btree import TableCursor
    from engine.storage.record import encode_record
    schema = TableCursor(pager, 1)
    rowid = (schema.max_rowid() or 0) + 1
    schema.insert(rowid, encode_record((kind, name, tbl_name, root, sql)))
    pager.schema_cookie = pager.schema_cookie + 1


def schema_rows(pager):
    from engine.storage.btree import TableCursor
    from engine.storage.record import decode_record
    return [decode_record(p) for _, p in TableCursor(pager, 1).scan()]


def integrity_ok(path) -> None:
    out = sqlite_out(path, "PRAGMA integrity_check;")
    assert out == "ok", out[:2000]
