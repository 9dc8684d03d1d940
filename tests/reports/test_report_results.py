"""Loading and validating result files: reports.results and the CLI's
one-line errors."""

from __future__ import annotations

import json

import pytest

from conftest import conformance_result, failure, known, malformed
from reports.cli import main
from reports.results import Counts, ReportError, load_result, pass_rate


def test_loads_a_conformance_result(sample_result):
    result = load_result(sample_result)
    assert result.kind == "conformance"
    assert result.target == "engine" and result.sqlite_version == "3.40.1"
    assert result.totals == Counts(passed=15, failed=1, skipped=2, known=1, malformed=1)
    assert [entry.file for entry in result.files] == ["slt/select1.test", "slt/evidence/in1.test"]
    assert result.files[0].counts.records == 14
    [record] = result.failures
    assert (record.id, record.line, record.kind) == ("slt/select1.test:120", 120, "query")
    assert record.got == "a\nc" and record.reason is None
    assert result.known[0].reason == "sqlite3 3.40 prints 0.1 as 0.1"
    assert result.malformed[0].line == 7
    assert pass_rate(result.totals) == 15 / 16


def test_optional_metadata_may_be_null_or_absent(write_json):
    document = conformance_result([{"file": "a.test", "passed": 1}], sqlite_version=None)
    del document["target"], document["seconds"]
    result = load_result(write_json("r.json", document))
    assert result.target is None and result.sqlite_version is None and result.seconds is None


def test_expected_and_got_may_be_null(write_json):
    record = failure("a.test", 3, expected=None, got=None, kind="statement")
    result = load_result(write_json("r.json", conformance_result(
        [{"file": "a.test", "failures": [record]}])))
    assert result.failures[0].expected is None and result.failures[0].got is None


def _broken(mutate):
    document = conformance_result([
        {"file": "a.test", "passed": 2, "failures": [failure("a.test", 5)],
         "known": [known("a.test", 9, reason="r")], "malformed": [malformed("a.test", 1)]}])
    mutate(document)
    return document


@pytest.mark.parametrize("mutate, words", [
    (lambda d: d.update(format="litmus-fuzz/9"), "unknown result format"),
    (lambda d: d.pop("format"), "unknown result format missing"),
    (lambda d: d.update(files={}), "files: expected a list"),
    (lambda d: d["failures"][0].update(line="5"), "failures[0].line: expected a count"),
    (lambda d: d["failures"][0].pop("sql"), "failures[0].sql: missing"),
    (lambda d: d["failures"][0].update(id="a.test:6"), "failures[0].id"),
    (lambda d: d["known"][0].pop("reason"), "known[0].reason: missing"),
    (lambda d: d["files"][0].update(passed=True), "files[0].passed: expected a count"),
    (lambda d: d["files"][0].update(passed=-1), "files[0].passed: expected a count"),
    (lambda d: d["totals"].update(passed=3), "totals.passed: is 3 but the files add up to 2"),
    (lambda d: d["failures"].append(failure("a.test", 6)), "lists 2 records of a.test"),
    (lambda d: d["failures"][0].update(file="b.test", id="b.test:5"), "'b.test' is not in files"),
    (lambda d: d["files"].append(dict(d["files"][0], passed=0, failed=0, known=0, malformed=0)),
     "listed twice"),
    (lambda d: d.pop("malformed"), "malformed: missing"),
])
def test_wrong_shape_is_one_line_error(write_json, mutate, words):
    path = write_json("r.json", _broken(mutate))
    with pytest.raises(ReportError) as caught:
        load_result(path)
    message = str(caught.value)
    assert words in message
    assert message.startswith(str(path)) and "\n" not in message


def test_top_level_not_an_object(write_json):
    with pytest.raises(ReportError, match="top level is not an object"):
        load_result(write_json("r.json", [1, 2]))


@pytest.mark.parametrize("content, words", [
    (None, "no such result file"),
    ("", "not JSON"),
    ("{\"format\": ", "not JSON (line 1"),
    (b"\xff\xfe\x00", "not UTF-8"),
    ("{}", "unknown result format missing"),
])
def test_cli_unreadable_result_exits_2_with_one_line(tmp_path, capsys, content, words):
    path = tmp_path / "r.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    for argv in (["report", str(path)], ["gate", str(path)]):
        assert main(argv) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err.startswith("litmus: ") and words in captured.err
        assert captured.err.count("\n") == 1 and "Traceback" not in captured.err


def test_cli_directory_given_as_result(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_json_values_roundtrip_as_text(write_json):
    # Text stays text even when it looks like JSON or a number.
    record = failure("a.test", 2, expected='{"blob": "00"}', got="1.0")
    result = load_result(write_json("r.json", conformance_result(
        [{"file": "a.test", "failures": [record]}])))
    assert json.loads(result.failures[0].expected) == {"blob": "00"}
    assert result.failures[0].got == "1.0"
