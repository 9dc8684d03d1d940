"""The CI gate: suite pattern matching, minimum pass rates, regressions and
improvements against a baseline, baseline updates, merged results and
unreadable input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import conformance_result, failure
from reports.cli import main
from reports.gate_config import load_gate_config, pattern_matches

REPO = Path(__file__).resolve().parents[2]

GATE = """\
baselines:
  conformance: baselines/conformance.json
suites:
  - name: select1
    patterns: ["select1.test"]
    min_pass_rate: {select1_min}
  - name: evidence
    patterns: ["evidence/*"]
    min_pass_rate: 0.5
    required: {evidence_required}
"""


@pytest.fixture
def gate_file(tmp_path):
    def write(select1_min=0.95, evidence_required="false", text=None) -> Path:
        path = tmp_path / "ci" / "gate.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(text if text is not None else GATE.format(
            select1_min=select1_min, evidence_required=evidence_required))
        return path
    return write


def _gate(capsys, *argv) -> tuple[int, str, str]:
    code = main(["gate", *map(str, argv)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _result(write_json, name="r.json", files=None, failing=(), file_id="slt/select1.test",
            passed=95):
    """One select1 file with ``passed`` passing records and failures at the
    given lines, plus any extra ``files`` specs."""
    records = [failure(file_id, line, sql=f"SELECT {line}\nFROM t", message=f"bad {line}")
               for line in failing]
    specs = [{"file": file_id, "passed": passed, "failures": records}] + list(files or [])
    return write_json(name, conformance_result(specs))


def _baseline(gate_path: Path, files, failed) -> Path:
    path = gate_path.parent / "baselines" / "conformance.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"format": "litmus-baseline/1", "kind": "conformance",
                                "files": files, "failed": failed}))
    return path


@pytest.mark.parametrize("pattern, file_id, expected", [
    ("select1.test", "select1.test", True),
    ("select1.test", "slt/select1.test", True),
    ("select1.test", "a/b/slt/select1.test", True),
    ("select1.test", "xselect1.test", False),
    ("select1.test", "slt/select1.testx", False),
    ("evidence/*", "evidence/in1.test", True),
    ("evidence/*", "slt/evidence/in1.test", True),
    ("evidence/*", "slt/evidence_x/in1.test", False),
    ("index/*", "slt/index/between/1/slt_good_0.test", True),
    ("index/*", "index/between/1/slt_good_0.test", True),
    ("select[2-5].test", "slt/select3.test", True),
    ("select[2-5].test", "slt/select1.test", False),
    ("cases/*", "cases/null/compare.test", True),
    ("cases/*", "slt/select1.test", False),
    ("/evidence/*", "evidence/in1.test", True),
    ("/evidence/*", "slt/evidence/in1.test", False),
    ("slt/*.test", "slt/index/in/10/slt_good_0.test", True),
])
def test_pattern_matching_with_and_without_leading_folders(pattern, file_id, expected):
    assert pattern_matches(pattern, file_id) is expected


def test_project_gate_yaml_loads_and_assigns_the_corpus():
    config = load_gate_config(REPO / "ci" / "gate.yaml")
    names = [suite.name for suite in config.suites]
    assert names == ["slt-select1", "slt-evidence", "slt-other", "cases"]
    assert all(0.0 <= suite.min_pass_rate <= 1.0 for suite in config.suites)
    assert config.baselines["conformance"] == REPO / "ci" / "baselines" / "conformance.json"

    def suites_of(file_id):
        return [s.name for s in config.suites if s.matches(file_id)]

    assert suites_of("slt/select1.test") == ["slt-select1"]
    assert suites_of("select1.test") == ["slt-select1"]
    assert suites_of("evidence/in1.test") == ["slt-evidence"]
    assert suites_of("slt/evidence/slt_lang_update.test") == ["slt-evidence"]
    assert suites_of("slt/index/between/1/slt_good_0.test") == ["slt-other"]
    assert suites_of("random/aggregates/slt_good_1.test") == ["slt-other"]
    assert suites_of("slt/select5.test") == ["slt-other"]
    assert suites_of("cases/types/affinity.test") == ["cases"]


def test_at_the_minimum_passes(gate_file, write_json, capsys):
    gate = gate_file(select1_min=0.95)
    result = _result(write_json, failing=[1, 2, 3, 4, 5], passed=95)  # 95 / 100
    code, out, err = _gate(capsys, result, "--gate", gate)
    assert code == 0, out + err
    assert "suite select1   passed 95 failed 5 (1 file)  rate 95.00% min 95.00%  OK" in out
    assert "suite evidence  not run (no records)  NOT RUN" in out
    assert out.rstrip().endswith("gate: PASS (1 suite OK, 1 not run)")


def test_above_the_minimum_passes(gate_file, write_json, capsys):
    code, out, _ = _gate(capsys, _result(write_json, failing=[1], passed=99),
                         "--gate", gate_file(select1_min=0.95))
    assert code == 0 and "rate 99.00% min 95.00%  OK" in out


def test_below_the_minimum_fails(gate_file, write_json, capsys):
    result = _result(write_json, failing=[1, 2, 3, 4, 5, 6], passed=94)
    code, out, _ = _gate(capsys, result, "--gate", gate_file(select1_min=0.95))
    assert code == 1
    assert "rate 94.00% min 95.00%  BELOW" in out
    assert out.splitlines()[-1] == "gate: FAIL (1 suite below minimum)"


def test_skipped_and_known_records_do_not_count(gate_file, write_json, capsys):
    document = conformance_result([{"file": "evidence/in1.test", "skipped": 4}])
    code, out, _ = _gate(capsys, write_json("r.json", document), "--gate", gate_file())
    assert code == 0
    assert "suite evidence  passed 0 failed 0 (1 file)  rate n/a min 50.00%  OK" in out


def test_required_suite_not_run_fails(gate_file, write_json, capsys):
    code, out, _ = _gate(capsys, _result(write_json), "--gate",
                         gate_file(evidence_required="true"))
    assert code == 1
    assert "suite evidence  not run (required, no records)  MISSING" in out
    assert "1 required suite not run" in out.splitlines()[-1]


def test_regressions_against_the_baseline(gate_file, write_json, capsys):
    gate = gate_file(select1_min=0.0)
    _baseline(gate, files=["slt/select1.test", "slt/evidence/in1.test"],
              failed=["slt/select1.test:5"])
    result = _result(write_json, failing=[5, 9], files=[
        {"file": "slt/evidence/in1.test", "error": "cannot read: permission denied"},
        {"file": "slt/evidence/in2.test", "passed": 1,
         "failures": [failure("slt/evidence/in2.test", 3)]},
    ])
    code, out, _ = _gate(capsys, result, "--gate", gate)
    assert code == 1
    lines = out.splitlines()
    assert "REGRESSION slt/select1.test:9  SELECT 9 ...  (bad 9)" in lines
    assert ("REGRESSION slt/evidence/in1.test  (file could not be run: "
            "cannot read: permission denied)") in lines
    # Already failing in the baseline, or in a file the baseline did not run.
    assert not any("slt/select1.test:5" in line for line in lines)
    assert not any("in2.test:3" in line for line in lines)
    assert "note: 1 failure in files the baseline did not run (not regressions)" in lines
    assert lines[-1] == "gate: FAIL (2 regressions)"


def test_improvements_are_reported_not_failed(gate_file, write_json, capsys):
    gate = gate_file(select1_min=0.0)
    _baseline(gate, files=["slt/select1.test", "slt/gone.test"],
              failed=["slt/select1.test:5", "slt/select1.test:7", "slt/gone.test:1"])
    code, out, _ = _gate(capsys, _result(write_json, failing=[5]), "--gate", gate)
    assert code == 0
    lines = out.splitlines()
    assert "improvement slt/select1.test:7 no longer fails" in lines
    # A file not run now says nothing about its records.
    assert not any("gone.test" in line for line in lines)
    assert "1 improvement: update the baseline with --update-baseline" in lines
    assert lines[-1].startswith("gate: PASS")


def test_update_baseline_round_trip(gate_file, write_json, capsys, tmp_path):
    gate = gate_file(select1_min=0.0)
    baseline = gate.parent / "baselines" / "conformance.json"
    first = _result(write_json, "first.json", failing=[10, 9, 100], files=[
        {"file": "slt/evidence/in1.test", "passed": 3},
        {"file": "slt/evidence/bad.test", "error": "unreadable"}])

    code, out, _ = _gate(capsys, first, "--gate", gate)
    assert code == 0 and "not found, no regression check" in out

    code, out, _ = _gate(capsys, first, "--gate", gate, "--update-baseline")
    assert code == 0
    assert f"baseline conformance: wrote {baseline} (2 files, 3 failing records)" in out
    stored = json.loads(baseline.read_text())
    assert stored == {
        "format": "litmus-baseline/1", "kind": "conformance",
        "files": ["slt/evidence/in1.test", "slt/select1.test"],
        "failed": ["slt/select1.test:9", "slt/select1.test:10", "slt/select1.test:100"],
    }

    code, out, _ = _gate(capsys, first, "--gate", gate)
    assert code == 0 and "REGRESSION" not in out and "improvement" not in out

    second = _result(write_json, "second.json", failing=[9, 11],
                     files=[{"file": "slt/evidence/in1.test", "passed": 3}])
    code, out, _ = _gate(capsys, second, "--gate", gate)
    assert code == 1 and "REGRESSION slt/select1.test:11" in out

    code, out, _ = _gate(capsys, second, "--gate", gate, "--update-baseline")
    assert code == 0
    lines = out.splitlines()
    assert "accepted slt/select1.test:11  SELECT 11 ...  (bad 11)" in lines
    assert "improvement slt/select1.test:10 now passes" in lines
    assert "improvement slt/select1.test:100 now passes" in lines
    assert "new failure slt/select1.test:11" in lines
    assert ("changes: 2 newly passing, 1 newly failing, 0 files added, 0 files dropped"
            in lines)
    assert json.loads(baseline.read_text())["failed"] == ["slt/select1.test:9",
                                                          "slt/select1.test:11"]
    code, out, _ = _gate(capsys, second, "--gate", gate)
    assert code == 0 and "REGRESSION" not in out


def test_update_baseline_still_fails_below_minimum(gate_file, write_json, capsys):
    gate = gate_file(select1_min=0.99)
    code, out, _ = _gate(capsys, _result(write_json, failing=[1, 2], passed=50),
                         "--gate", gate, "--update-baseline")
    assert code == 1 and "BELOW" in out
    assert (gate.parent / "baselines" / "conformance.json").exists()


def test_baseline_option_overrides_the_configured_path(gate_file, write_json, capsys, tmp_path):
    gate = gate_file(select1_min=0.0)
    other = tmp_path / "elsewhere.json"
    other.write_text(json.dumps({"format": "litmus-baseline/1", "kind": "conformance",
                                 "files": ["slt/select1.test"], "failed": []}))
    code, out, _ = _gate(capsys, _result(write_json, failing=[4]), "--gate", gate,
                         "--baseline", other)
    assert code == 1 and f"baseline conformance: {other}" in out
    assert "REGRESSION slt/select1.test:4" in out


def test_missing_explicit_baseline_exits_2(gate_file, write_json, capsys, tmp_path):
    code, out, err = _gate(capsys, _result(write_json), "--gate", gate_file(),
                           "--baseline", tmp_path / "absent.json")
    assert code == 2 and out == "" and "absent.json: no such baseline" in err


def test_several_result_files_are_merged(gate_file, write_json, capsys):
    gate = gate_file(select1_min=0.9)
    a = _result(write_json, "a.json", passed=9, failing=[1])
    b = write_json("b.json", conformance_result(
        [{"file": "evidence/in1.test", "passed": 1, "failures": [failure("evidence/in1.test", 2)]}]))
    code, out, _ = _gate(capsys, a, b, "--gate", gate)
    assert code == 0
    assert "suite select1   passed 9 failed 1 (1 file)  rate 90.00% min 90.00%  OK" in out
    assert "suite evidence  passed 1 failed 1 (1 file)  rate 50.00% min 50.00%  OK" in out


def test_overlapping_result_files_are_refused(gate_file, write_json, capsys):
    a = _result(write_json, "a.json")
    b = _result(write_json, "b.json")
    code, out, err = _gate(capsys, a, b, "--gate", gate_file())
    assert code == 2 and out == ""
    assert err.startswith("litmus: file slt/select1.test is in both") and err.count("\n") == 1


def test_unassigned_files_are_counted(gate_file, write_json, capsys):
    result = _result(write_json, files=[{"file": "misc/other.test", "passed": 2}])
    code, out, _ = _gate(capsys, result, "--gate", gate_file())
    assert code == 0
    assert "unassigned: 1 conformance file in no suite (passed 2 failed 0)" in out


@pytest.mark.parametrize("text, words", [
    ("suites: [", "not valid YAML (line"),
    ("- 1\n- 2\n", "expected a mapping at the top"),
    ("suites: {}\n", "suites: expected a list"),
    ("suits: []\n", "suits: unknown key"),
    ("suites:\n  - {name: a, patterns: ['*'], min_pass_rate: 2}\n",
     "suites[0].min_pass_rate: expected a number from 0 to 1"),
    ("suites:\n  - {name: a, patterns: [], min_pass_rate: 0.5}\n",
     "suites[0].patterns: expected a non-empty list"),
    ("suites:\n  - {name: a, patterns: ['*'], min_pass_rate: 0.5, minimum: 1}\n",
     "suites[0].minimum: unknown key"),
    ("suites:\n  - {name: a, patterns: ['*'], min_pass_rate: 0}\n"
     "  - {name: a, patterns: ['*'], min_pass_rate: 0}\n", "defined twice"),
    ("baselines: {fuzz: x.json}\nsuites: []\n", "baselines.fuzz: unknown result kind"),
])
def test_broken_gate_configuration_exits_2(gate_file, write_json, capsys, text, words):
    code, out, err = _gate(capsys, _result(write_json), "--gate", gate_file(text=text))
    assert code == 2 and out == ""
    assert err.startswith("litmus: ") and words in err and err.count("\n") == 1


def test_missing_gate_configuration_exits_2(write_json, capsys, tmp_path):
    code, _, err = _gate(capsys, _result(write_json), "--gate", tmp_path / "nope.yaml")
    assert code == 2 and "no such gate configuration" in err


def test_broken_baseline_exits_2_unless_it_is_being_replaced(gate_file, write_json, capsys):
    gate = gate_file(select1_min=0.0)
    baseline = gate.parent / "baselines" / "conformance.json"
    baseline.parent.mkdir()
    baseline.write_text("<<<<<<< HEAD\n")
    result = _result(write_json, failing=[3])
    code, out, err = _gate(capsys, result, "--gate", gate)
    assert code == 2 and err.startswith(f"litmus: {baseline}: not JSON")

    code, out, err = _gate(capsys, result, "--gate", gate, "--update-baseline")
    assert code == 0, err
    assert "unreadable, replacing it" in out
    assert json.loads(baseline.read_text())["failed"] == ["slt/select1.test:3"]


def test_baseline_of_the_wrong_shape_exits_2(gate_file, write_json, capsys):
    gate = gate_file()
    _baseline(gate, files="slt/select1.test", failed=[])
    code, _, err = _gate(capsys, _result(write_json), "--gate", gate)
    assert code == 2 and "files: expected a list of strings" in err
