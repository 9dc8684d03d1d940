"""The conform verb end to end (conformance.cli): exit codes, the text
report, the JSON result file and JUnit XML, against dbapi:sqlite3."""

from __future__ import annotations

import argparse
import json
import os
import xml.etree.ElementTree as ET

import pytest

from slt_samples import SAMPLE_COUNTS, line_of
from conformance import cli

TARGET = ["--target", "dbapi:sqlite3", "--jobs", "1"]


def conform(*args) -> int:
    return cli.main([*TARGET, *map(str, args)])


def test_sample_file_report_json_and_junit(sample, tmp_path, capsys):
    path, text = sample
    json_path, junit_path = tmp_path / "r.json", tmp_path / "r.xml"
    status = conform(path, "--json", json_path, "--junit", junit_path)
    out, err = capsys.readouterr()
    assert status == 1 and err == ""
    lines = out.rstrip("\n").split("\n")
    assert lines[-1] == "8 passed, 3 failed, 2 skipped"
    assert lines[-2].startswith("0 known, 1 malformed")
    file_id = "sample.test"           # a file given alone is named by its name
    assert lines[0] == f"{file_id}: 8 passed, 3 failed, 2 skipped, 0 known, 1 malformed"
    count_line = line_of(text, "SELECT count(*)")
    assert f"FAIL {file_id}:{count_line}: values differ" in out
    assert f"MALFORMED {file_id}:{line_of(text, 'bogus')}: unknown record type 'bogus'" in out

    doc = json.loads(json_path.read_text())
    assert doc["format"] == "litmus-conformance/1"
    assert (doc["target"], doc["mode"]) == ("dbapi:sqlite3", "expected")
    assert doc["sqlite_version"].count(".") == 2
    assert doc["started"].endswith("Z") and doc["seconds"] >= 0
    assert doc["totals"] == SAMPLE_COUNTS
    assert doc["files"] == [{"file": file_id, **SAMPLE_COUNTS, "error": None}]
    assert len(doc["failures"]) == 3 and doc["known"] == []
    failure = next(f for f in doc["failures"] if f["line"] == count_line)
    assert failure == {"id": f"{file_id}:{count_line}", "file": file_id, "line": count_line,
                       "kind": "query", "sql": "SELECT count(*) FROM t1", "expected": "4",
                       "got": "3", "message": "values differ"}
    assert doc["malformed"] == [{"file": file_id, "line": line_of(text, "bogus"),
                                 "message": "unknown record type 'bogus'"}]

    root = ET.parse(junit_path).getroot()
    assert root.tag == "testsuites" and root.get("failures") == "3"
    (suite,) = root.findall("testsuite")
    assert suite.get("name") == file_id
    assert (suite.get("failures"), suite.get("errors"), suite.get("skipped")) == ("3", "1", "2")
    assert len(suite.findall("testcase/failure")) == 3
    assert suite.find("testcase[@name='8 records passed']") is not None


def test_the_json_result_loads_in_the_reports_reader(sample, tmp_path, capsys):
    results = pytest.importorskip("reports.results")
    path, _ = sample
    conform(path, "--json", tmp_path / "r.json")
    loaded = results.load_result(tmp_path / "r.json")
    assert loaded.target == "dbapi:sqlite3"


def test_all_passing_exits_0(write_test, capsys):
    path = write_test("ok.test", "statement ok\nCREATE TABLE t(x)\n\n"
                                 "query I nosort\nSELECT count(*) FROM t\n----\n0\n")
    assert conform(path) == 0
    assert capsys.readouterr().out.rstrip("\n").split("\n")[-1] == "2 passed, 0 failed, 0 skipped"


def test_a_missing_path_is_one_line_and_exit_2_before_anything_runs(sample, capsys):
    path, _ = sample
    assert conform(path, "/no/such/path") == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "litmus: cannot read /no/such/path: No such file or directory\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything")
def test_an_unreadable_file_is_exit_2(write_test, capsys):
    path = write_test("secret.test", "statement ok\nSELECT 1\n")
    path.chmod(0)
    assert conform(path) == 2
    assert capsys.readouterr().err == f"litmus: cannot read {path}: Permission denied\n"


def test_a_directory_means_every_test_file_under_it_sorted(write_test, tmp_path, capsys):
    write_test("suite/b.test", "statement ok\nSELECT 1\n")
    write_test("suite/a/z.test", "statement ok\nSELECT 2\n")
    write_test("suite/notes.txt", "not a test")
    status = conform(tmp_path / "suite", "--json", tmp_path / "r.json")
    assert status == 0
    ids = [f["file"] for f in json.loads((tmp_path / "r.json").read_text())["files"]]
    assert ids == ["suite/a/z.test", "suite/b.test"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert conform(empty) == 2
    assert capsys.readouterr().err == f"litmus: no .test files under {empty}\n"


def test_a_target_that_cannot_be_opened_is_exit_2(sample, capsys):
    path, _ = sample
    assert cli.main(["--target", "dbapi:no_such_module_here", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("litmus: cannot open target: ") and err.count("\n") == 1


def test_show_all_and_the_failure_limit(write_test, capsys):
    records = "\n".join(f"query I nosort\nSELECT {i}\n----\n{i + 1}\n" for i in range(25))
    path = write_test("many.test", records)
    assert conform(path) == 1
    out = capsys.readouterr().out
    assert out.count("\nFAIL ") == 20 and "... and 5 more failures" in out
    assert conform(path, "--show-all") == 1
    out = capsys.readouterr().out
    assert out.count("\nFAIL ") == 25 and "more failures" not in out


def test_parallel_run_matches_the_serial_one(sample, write_test, tmp_path, capsys):
    path, _ = sample
    other = write_test("other.test", "statement ok\nCREATE TABLE t(x)\n\n"
                                     "query I nosort\nSELECT count(*) FROM t\n----\n0\n")
    status = cli.main(["--target", "dbapi:sqlite3", "--jobs", "2", str(path), str(other),
                       "--json", str(tmp_path / "p.json")])
    assert status == 1
    doc = json.loads((tmp_path / "p.json").read_text())
    assert [f["file"] for f in doc["files"]] == ["sample.test", "other.test"]
    assert doc["totals"] == {**SAMPLE_COUNTS, "passed": SAMPLE_COUNTS["passed"] + 2}


def test_differential_mode_in_the_json(sample, tmp_path, capsys):
    path, _ = sample
    status = conform(path, "--differential", "--oracle", "dbapi:sqlite3",
                     "--json", tmp_path / "d.json")
    doc = json.loads((tmp_path / "d.json").read_text())
    assert doc["mode"] == "differential" and doc["totals"]["failed"] == 0
    assert status == 1          # the malformed record still counts against the run


def test_known_file_option_and_a_bad_known_file(sample, tmp_path, capsys):
    path, text = sample
    known = tmp_path / "known.yaml"
    known.write_text("differences:\n- file: sample.test\n"
                     f"  line: {line_of(text, 'SELECT count(*)')}\n  sqlite3: '3'\n"
                     "  reason: counted differently\n")
    conform(path, "--known", known)
    out = capsys.readouterr().out
    assert "KNOWN " in out and "counted differently" in out
    assert out.rstrip("\n").split("\n")[-2].startswith("1 known, 1 malformed")
    known.write_text("differences: [ {file: x} ]\n")
    assert conform(path, "--known", known) == 2
    assert "has no 'line'" in capsys.readouterr().err


def test_add_parser_registers_the_conform_verb():
    parser = argparse.ArgumentParser(prog="litmus")
    sub = parser.add_subparsers(dest="verb")
    cli.add_parser(sub)
    args = parser.parse_args(["conform", "a.test", "b", "--differential", "--jobs", "3"])
    assert (args.verb, args.paths, args.differential, args.jobs) == ("conform", ["a.test", "b"],
                                                                     True, 3)
    assert (args.target, args.oracle, args.timeout, args.known) == ("engine", "sqlite3", 10.0, None)
    assert args.func is cli.run_command
