"""Shared fixtures for the storage tests.

The storage layers import nothing above ``engine.storage``; if the package's
``__init__`` cannot be imported while the upper layers are being built, the
storage tests still run against a bare ``engine`` package.
"""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys
import types

import pytest

try:
    import engine  # noqa: F401
except Exception:  # pragma: no cover - only while engine/__init__ is broken
    for name in [m for m in sys.modules if m == "engine" or m.startswith("engine.")]:
        if not name.startswith("engine.errors"):
            sys.modules.pop(name, None)
    _pkg = types.ModuleType("engine")
    _pkg.__path__ = [str(pathlib.Path(__file__).resolve().parents[3] / "engine")]
    sys.modules["engine"] = _pkg

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


@pytest.fixture
def dbpath(tmp_path):
    return str(tmp_path / "test.db")


requires_sqlite3 = pytest.mark.skipif(SQLITE3 is None, reason="sqlite3 binary not installed")
