"""conformance.slt_runner: one file's records against a target."""

from __future__ import annotations

import pytest

from slt_samples import SAMPLE_COUNTS, line_of, sample_text
from conformance.known import KnownDifferences
from conformance.slt_parser import parse_slt
from conformance.slt_runner import FAILED, PASSED, FileSession, run_parsed, skip_reason
from targets import CRASH, ERROR, OK, TIMEOUT, Result, open_target


@pytest.fixture
def target():
    t = open_target("dbapi:sqlite3")
    yield t
    t.close()


def run_text(text, target, **kwargs):
    target.reset()
    parsed = parse_slt(text, "x/sample.test")
    return run_parsed(parsed, FileSession("x/sample.test", target, **kwargs))


def test_sample_counts_and_failures(target):
    text = sample_text()
    result = run_text(text, target)
    assert {k: getattr(result, k) for k in SAMPLE_COUNTS} == SAMPLE_COUNTS
    failures = {f.line: f for f in result.failures}
    count_line = line_of(text, "SELECT count(*)")
    stmt_line = line_of(text, "INSERT INTO nosuch")
    label_line = line_of(text, "SELECT 3")
    assert sorted(failures) == [count_line, stmt_line, label_line]

    wrong = failures[count_line]
    assert (wrong.kind, wrong.expected, wrong.got, wrong.message) == (
        "query", "4", "3", "values differ")
    assert wrong.id == f"x/sample.test:{count_line}"
    bad_stmt = failures[stmt_line]
    assert bad_stmt.kind == "statement" and bad_stmt.expected == "ok"
    assert bad_stmt.got.startswith("error: ") and "nosuch" in bad_stmt.got
    label = failures[label_line]
    assert "labelled result 'label-x' differs from line" in label.message
    assert result.malformed_records == [{"file": "x/sample.test", "line": line_of(text, "bogus"),
                                         "message": "unknown record type 'bogus'"}]


def test_skip_reasons_follow_the_sqlite_like_rules():
    from conformance.slt_parser import Condition
    assert skip_reason(()) is None
    assert skip_reason((Condition("onlyif", "sqlite"),)) is None
    assert skip_reason((Condition("onlyif", "SQLite"),)) is None
    assert skip_reason((Condition("skipif", "mysql"),)) is None
    assert skip_reason((Condition("onlyif", "mysql"),)) == "onlyif mysql"
    assert skip_reason((Condition("skipif", "sqlite"),)) == "skipif sqlite"
    assert skip_reason((Condition("skipif", "mysql"), Condition("onlyif", "mssql"))) == "onlyif mssql"


def test_halt_stops_the_file_but_not_when_it_is_for_another_engine(target):
    text = ("statement ok\nCREATE TABLE t(x)\n\nonlyif oracle\nhalt\n\n"
            "statement ok\nINSERT INTO t VALUES(1)\n\nhalt\n\nstatement ok\nBROKEN\n")
    result = run_text(text, target)
    assert (result.passed, result.failed, result.skipped) == (2, 0, 0)


def test_a_query_error_fails_with_the_message_as_got(target):
    result = run_text("query I nosort\nSELECT * FROM nosuch\n----\n1\n", target)
    (failure,) = result.failures
    assert failure.message.startswith("query failed: ") and "no such table" in failure.got


def test_wrong_number_of_columns_fails(target):
    result = run_text("query II nosort\nSELECT 1\n----\n1\n1\n", target)
    assert result.failures[0].message == "wrong number of columns: expected 2, got 1"


def test_hash_threshold_mismatch_shows_the_hash_of_the_values(target):
    result = run_text("query I nosort\nSELECT 1 UNION ALL SELECT 2\n----\n"
                      "2 values hashing to 00000000000000000000000000000000\n", target)
    (failure,) = result.failures
    assert failure.got.startswith("2 values hashing to ") and failure.message == "values differ"


class FakeTarget:
    """Answers every statement with the same Result."""

    name = "fake"

    def __init__(self, result: Result):
        self.result = result

    def execute(self, sql):
        return self.result

    def reset(self):
        pass

    def close(self):
        pass


@pytest.mark.parametrize("status", [TIMEOUT, CRASH])
def test_timeouts_and_crashes_are_failures_that_say_so(status):
    session = FileSession("f.test", FakeTarget(Result.failure("took too long", status)))
    parsed = parse_slt("statement ok\nSELECT 1\n\nstatement error\nSELECT x\n\n"
                       "query I nosort\nSELECT 1\n----\n1\n", "f.test")
    result = run_parsed(parsed, session)
    assert result.failed == 3
    assert all(f.message == f"target {status}: took too long" for f in result.failures)


class LosesStateOnce:
    """A real SQLite underneath that starts over (losing its tables) the first
    time it sees a chosen statement, as a killed sqlite3 process does."""

    name = "loses-state"

    def __init__(self, trigger: str):
        self.inner = open_target("dbapi:sqlite3")
        self.trigger = trigger
        self.fired = False

    def execute(self, sql):
        if sql == self.trigger and not self.fired:
            self.fired = True
            self.inner.reset()
            return Result(status=TIMEOUT, error="took too long", state_lost=True)
        return self.inner.execute(sql)

    def reset(self):
        self.inner.reset()

    def close(self):
        self.inner.close()


def test_a_target_that_lost_its_database_gets_the_earlier_statements_again():
    target = LosesStateOnce("SELECT count(*) FROM t AS slow")
    parsed = parse_slt("statement ok\nCREATE TABLE t(a)\n\nstatement ok\nINSERT INTO t VALUES(7)\n\n"
                       "query I nosort\nSELECT count(*) FROM t AS slow\n----\n1\n\n"
                       "query I nosort\nSELECT a FROM t\n----\n7\n", "f.test")
    result = run_parsed(parsed, FileSession("f.test", target))
    target.close()
    assert (result.passed, result.failed) == (3, 1)
    assert result.failures[0].message == "target timeout: took too long"


def test_known_differences_count_as_known_only_with_sqlite3s_answer(target, tmp_path):
    text = sample_text()
    count_line = line_of(text, "SELECT count(*)")
    stmt_line = line_of(text, "INSERT INTO nosuch")
    pass_line = line_of(text, "SELECT 10")
    known = KnownDifferences.parse(f"""
differences:
- file: sample.test
  line: {count_line}
  sqlite3: "3"
  reason: the corpus miscounts
- file: "*/sample.test"
  line: {stmt_line}
  sqlite3: ok
  reason: sqlite3 would succeed (it does not; this entry is wrong)
- file: sample.test
  line: {pass_line}
  reason: passes by now
""")
    result = run_text(text, target, known=known)
    assert (result.passed, result.failed, result.known) == (8, 2, 1)
    (entry,) = result.known_records
    assert entry.line == count_line and entry.reason == "the corpus miscounts"
    assert entry.message.startswith("known difference: ")
    still_failing = {f.line: f for f in result.failures}[stmt_line]
    assert "differs from sqlite3's answer" in still_failing.message
    assert result.stale == [f"x/sample.test:{pass_line}"]


def test_differential_mode_agrees_with_itself_and_reports_differences(target):
    oracle = open_target("dbapi:sqlite3")
    try:
        text = sample_text()
        result = run_text(text, target, oracle=oracle)
        # statement records compare error-or-not with the oracle, so the
        # INSERT INTO nosuch "failure" agrees; expectations are ignored.
        assert (result.passed, result.failed, result.skipped) == (11, 0, 2)
    finally:
        oracle.close()

    class Reversed(FakeTarget):
        def execute(self, sql):
            return Result(rows=[(2,), (1,)], columns=("x",))

    ordered = FakeTarget(Result(rows=[(1,), (2,)], columns=("x",)))
    floats = FakeTarget(Result(rows=[(1.0,), (2,)], columns=("x",)))
    failing = FakeTarget(Result.failure("no such table: t", ERROR))
    parsed = parse_slt("query I nosort\nSELECT x FROM t\n\nquery I rowsort\nSELECT x FROM t\n\n"
                       "query I valuesort\nSELECT x FROM t\n", "d.test")
    outcomes = [FileSession("d.test", Reversed(None), oracle=ordered).run(r) for r in parsed.records]
    assert [o.status for o in outcomes] == [FAILED, PASSED, PASSED]
    assert "differs from the oracle: rows" in outcomes[0].failure.message
    storage = FileSession("d.test", floats, oracle=ordered).run(parsed.records[1])
    assert storage.status == FAILED          # 1.0 and 1 are different values
    both_fail = FileSession("d.test", failing, oracle=failing).run(parsed.records[0])
    assert both_fail.status == PASSED
    one_fails = FileSession("d.test", failing, oracle=ordered).run(parsed.records[0])
    assert one_fails.failure.message.startswith("failed but the oracle succeeded")
    assert one_fails.failure.expected == "1\n2" and one_fails.failure.got.startswith("error: ")


def test_results_carry_every_count_in_json_form(target):
    result = run_text(sample_text(), target)
    assert result.counts_json() == {"file": "x/sample.test", **SAMPLE_COUNTS, "error": None}
    assert result.failures[0].to_json().keys() == {
        "id", "file", "line", "kind", "sql", "expected", "got", "message"}
    assert OK == "ok"
