"""The regression corpus: every case in corpus/ is replayed against the
engine (a ``fixed`` case must pass; an ``open`` one is an expected failure
that fails the suite once it passes, so its status gets updated); the
recorded expectations are sqlite3's; cases round-trip through YAML, are
deduplicated by signature and export as sqllogictest records that sqlite3
passes."""

from __future__ import annotations

import shutil

import pytest

from conformance.slt_parser import parse_slt
from conformance.slt_runner import FileSession, run_parsed
from fuzz import corpus
from fuzz.execute import Failure
from fuzz.generator import Statement
from targets import Result, open_target

CASES = corpus.load_all()


def _param(case):
    marks = ()
    if case.status != "fixed":
        marks = pytest.mark.xfail(strict=True, reason=f"open case: {case.what}")
    return pytest.param(case, id=case.path.stem, marks=marks)


@pytest.fixture(scope="module")
def engine():
    target = open_target("engine", timeout=10)
    yield target
    target.close()


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_corpus_case_replays_on_the_engine(case, engine):
    passes, what = corpus.replay(case, engine)
    assert passes, f"{case.path.name}: {what}"


@pytest.fixture(scope="module")
def sqlite3_target():
    if shutil.which("sqlite3") is None:
        pytest.skip("the sqlite3 binary is not installed")
    target = open_target("sqlite3", timeout=10)
    yield target
    target.close()


@pytest.mark.parametrize("case", [pytest.param(c, id=c.path.stem) for c in CASES
                                  if c.oracle == "differential"])
def test_corpus_expectations_are_sqlite3s(case, sqlite3_target):
    if case.sqlite_version != sqlite3_target.version:
        pytest.skip(f"recorded with sqlite3 {case.sqlite_version}")
    passes, what = corpus.replay(case, sqlite3_target)
    assert passes, f"{case.path.name}: sqlite3 now says {what}"


def test_every_case_has_the_fields_of_the_design():
    for case in CASES:
        text = case.path.read_text()
        for key in ("what:", "status:", "oracle:", "setup:", "statements:", "expected:", "got:",
                    "sqlite_version:", "signature:", "count:"):
            assert key in text, (case.path.name, key)
        assert case.status in ("open", "fixed")


def _failure(sql: str, expected: Result, got: Result) -> Failure:
    stmts = [Statement("CREATE TABLE t(a)"), Statement(sql)]
    return Failure("differential", "rows", "1 rows vs 0", 1, stmts, expected, got)


def test_cases_round_trip_and_deduplicate(tmp_path):
    f = _failure("SELECT a FROM t", Result(rows=[(1,)], columns=("a",)), Result(rows=[], columns=("a",)))
    case = corpus.case_from_failure(f, "3.40.1")
    path, new = corpus.add(tmp_path, case)
    assert new
    again, new = corpus.add(tmp_path, corpus.case_from_failure(f, "3.40.1"), hits=3)
    assert again == path and not new
    loaded = corpus.load(path)
    assert loaded.count == 4
    assert loaded.setup == [Statement("CREATE TABLE t(a)")]
    assert loaded.statements == [Statement("SELECT a FROM t")]
    assert corpus.expected_result(loaded).rows == [(1,)]
    assert loaded.status == "open" and loaded.oracle == "differential"


def test_export_as_sqllogictest_passes_on_sqlite3(tmp_path, sqlite3_target):
    f = _failure("SELECT a, typeof(a) FROM t ORDER BY a", Result(rows=[], columns=None), Result(rows=[]))
    f.statements = [Statement("CREATE TABLE t(a TEXT, b)"), Statement("INSERT INTO t VALUES (1, 2.5), ('x', NULL)"),
                    Statement("INSERT INTO nowhere VALUES (1)"),
                    Statement("SELECT a, b, typeof(a) FROM t ORDER BY a", ordered=True)]
    f.index = 3
    case = corpus.case_from_failure(f, sqlite3_target.version)
    path, _ = corpus.add(tmp_path, case)
    text = corpus.export_slt(corpus.load(path), sqlite3_target)
    assert "statement error" in text and "query TTT nosort" in text
    parsed = parse_slt(text, "case.test")
    assert not parsed.errors
    sqlite3_target.reset()
    result = run_parsed(parsed, FileSession("case.test", sqlite3_target))
    assert result.failed == 0 and result.passed == 4
