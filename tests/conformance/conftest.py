"""Shared fixtures of the conformance tests: where the sqlite3 binary and
the sqllogictest corpus slice are, and a helper that writes a .test file."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SLT_DIR = Path(os.environ.get("LITMUS_SLT", REPO.parent / "shared" / "slt"))


@pytest.fixture(scope="session")
def sqlite3_binary() -> str:
    path = shutil.which("sqlite3")
    if path is None:
        pytest.skip("the sqlite3 binary is not installed")
    return path


@pytest.fixture(scope="session")
def slt_dir() -> Path:
    if not (SLT_DIR / "select1.test").is_file():
        pytest.skip(f"the sqllogictest slice is not at {SLT_DIR} (set LITMUS_SLT)")
    return SLT_DIR


@pytest.fixture
def write_test(tmp_path):
    """write_test("name.test", text) -> path; the text is written as is."""
    def write(name: str, text: str, *, crlf: bool = False) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = text.replace("\n", "\r\n") if crlf else text
        path.write_bytes(data.encode("utf-8"))
        return path
    return write


@pytest.fixture
def sample(write_test):
    from slt_samples import sample_text
    text = sample_text()
    return write_test("sample.test", text), text
