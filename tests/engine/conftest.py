"""Fixtures shared by the engine's tests."""

import pytest

from targets import open_target


@pytest.fixture(scope="module")
def pair():
    """The engine and the sqlite3 binary as targets, for the tests that
    compare them statement by statement."""
    engine = open_target("engine")
    oracle = open_target("sqlite3")
    yield engine, oracle
    engine.close()
    oracle.close()
