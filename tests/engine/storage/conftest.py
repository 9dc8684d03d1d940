"""Shared fixtures for the storage tests.

Tests marked ``slow`` (10,000 damaged images, two processes for a minute)
are skipped unless ``LITMUS_SLOW=1``; run them with
``LITMUS_SLOW=1 .venv/bin/python -m pytest -q -m slow tests/engine/storage``.

The storage layers import nothing above ``engine.storage``; if the package's
``__init__`` cannot be imported while the upper layers are being built, the
storage tests still run against a bare ``engine`` package.
"""

from __future__ import annotations

import os
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


def pytest_collection_modifyitems(config, items):
    if os.environ.get("LITMUS_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow: set LITMUS_SLOW=1 to run")
    for item in items:
        if "slow" in item.keywords and str(item.fspath).startswith(os.path.dirname(__file__)):
            item.add_marker(skip)
