"""``litmus conform --record``: expectations written from the oracle's answers."""

from conformance.record import RecordProblem, record_text
from conformance.slt_parser import parse_slt
from targets import open_target

import pytest

SOURCE = """\
statement ok
CREATE TABLE t(a INTEGER, b TEXT)

statement ok
INSERT INTO t VALUES(1, NULL), (2, 'x')

statement ok
SELECT nosuch

# kept as written
skipif sqlite
query I nosort
SELECT 'not run'
----
42

query IT rowsort
SELECT a, b FROM t

hash-threshold 3

query I nosort
SELECT a FROM t UNION ALL SELECT a FROM t
----
0
"""


@pytest.fixture
def oracle():
    t = open_target("dbapi:sqlite3")
    yield t
    t.close()


def test_record_fills_in_what_the_oracle_answers(oracle):
    text, summary = record_text(SOURCE, "a.test", oracle)
    assert (summary.statements, summary.queries, summary.changed) == (3, 2, 3)
    assert summary.problems == []
    message = oracle.execute("SELECT nosuch").error
    assert f"statement error {message}\nSELECT nosuch\n" in text
    assert "query IT rowsort\nSELECT a, b FROM t\n----\n1\nNULL\n2\nx\n" in text
    assert "skipif sqlite\nquery I nosort\nSELECT 'not run'\n----\n42\n" in text
    assert "# kept as written\n" in text
    assert "4 values hashing to " in text
    # Recording again changes nothing.
    again, summary2 = record_text(text, "a.test", oracle)
    assert again == text and summary2.changed == 0
    assert not parse_slt(text, "a.test").errors


def test_recorded_error_messages_are_checked(oracle):
    from conformance.slt_runner import FileSession, run_parsed
    text, _ = record_text("statement error\nSELECT nosuch\n", "m.test", oracle)
    good = run_parsed(parse_slt(text, "m.test"), FileSession("m.test", oracle))
    assert (good.passed, good.failed) == (1, 0)
    bad = run_parsed(parse_slt("statement error not the message\nSELECT nosuch\n", "m.test"),
                     FileSession("m.test", oracle))
    assert (bad.passed, bad.failed) == (0, 1)
    assert bad.failures[0].message == "error message differs"


def test_a_query_the_oracle_rejects_is_a_problem_and_left_alone(oracle):
    text, summary = record_text("query I nosort\nSELECT * FROM nosuch\n----\n1\n", "b.test", oracle)
    assert text == "query I nosort\nSELECT * FROM nosuch\n----\n1\n"
    assert summary.problems and "b.test:1" in summary.problems[0]


def test_a_malformed_file_is_refused(oracle):
    with pytest.raises(RecordProblem, match="c.test:1"):
        record_text("query X nosort\nSELECT 1\n", "c.test", oracle)
