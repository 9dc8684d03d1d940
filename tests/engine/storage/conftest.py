"""Shared fixtures for the storage tests.

The storage layers import nothing above ``engine.storage``; if the package's
``__init__`` cannot be imported while the upper layers are being built, the
storage tests still run against a bare ``engine`` package.
"""

from __future__ import annotations

import pathlib
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



@pytest.fixture
def dbpath(tmp_path):
    return str(tmp_path / "test.db")
