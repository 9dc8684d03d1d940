import shutil

import pytest


@pytest.fixture
def sqlite3_binary():
    if shutil.which("sqlite3") is None:
        pytest.skip("the sqlite3 binary is not installed (sudo apt-get install -y sqlite3)")
    return "sqlite3"
