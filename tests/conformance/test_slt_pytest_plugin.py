"""conformance.pytest_plugin: .test files as pytest items, run in a child
pytest (the plugin is the litmus_slt pytest11 entry point)."""

from __future__ import annotations

import re
import subprocess
import sys

from slt_samples import line_of


def run_pytest(cwd, *args) -> tuple[int, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly",
         "--slt-target", "dbapi:sqlite3", "-rsx", *map(str, args)],
        cwd=cwd, capture_output=True, text=True, timeout=120)
    return proc.returncode, proc.stdout + proc.stderr


def summary(output: str) -> dict[str, int]:
    last = output.strip().splitlines()[-1]
    return {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", last)}


def test_one_item_per_record_with_skips_and_failures(sample, tmp_path):
    path, text = sample
    status, out = run_pytest(tmp_path, path, "-v")
    assert status == 1
    assert summary(out) == {"failed": 4, "passed": 8, "skipped": 2}   # 3 + 1 malformed
    assert f"sample.test::{line_of(text, 'CREATE TABLE')} PASSED" in out
    count_line = line_of(text, "SELECT count(*)")
    assert f"sample.test::{count_line} FAILED" in out
    assert f"sample.test:{count_line}: values differ" in out
    assert f"sample.test:{line_of(text, 'bogus')}: malformed record: unknown record type" in out
    assert re.search(rf"SKIPPED \[1\] sample.test:{line_of(text, 'SELECT 1 DIV 1')}: "
                     r"onlyif mysql", out)
    assert "THIS IS NOT RUN" not in out


def test_a_single_record_replays_the_records_before_it(sample, tmp_path):
    path, text = sample
    status, out = run_pytest(tmp_path, f"{path}::{line_of(text, 'SELECT count(*)')}",
                             f"{path}::{line_of(text, 'WHERE a = 3')}")
    assert summary(out) == {"failed": 1, "passed": 1}
    assert "--- got\n3" in out       # the three rows the earlier statements inserted


def test_xdist_keeps_each_file_on_one_worker(sample, write_test, tmp_path):
    path, _ = sample
    setup = "statement ok\nCREATE TABLE t(x)\n\n"
    steps = "".join(f"statement ok\nINSERT INTO t VALUES({i})\n\n"
                    f"query I nosort\nSELECT count(*) FROM t\n----\n{i + 1}\n\n" for i in range(30))
    for name in ("a.test", "b.test", "c.test"):
        write_test(f"many/{name}", setup + steps)
    status, out = run_pytest(tmp_path, tmp_path / "many", "-n", "2", "-v")
    assert status == 0, out
    assert summary(out) == {"passed": 3 * 61}
    workers = {}
    for worker, file in re.findall(r"\[(gw\d+)\].*PASSED \S*?(\w+\.test)::", out):
        workers.setdefault(file, set()).add(worker)
    assert sorted(workers) == ["a.test", "b.test", "c.test"]
    assert all(len(w) == 1 for w in workers.values()), workers


def test_only_test_files_named_on_the_command_line_are_collected(write_test, tmp_path):
    write_test("pytest.ini", "[pytest]\ntestpaths = .\n")
    write_test("test_plain.py", "def test_plain():\n    assert True\n")
    write_test("sub/data.test", "statement ok\nTHIS WOULD FAIL\n")
    status, out = run_pytest(tmp_path)
    assert status == 0 and summary(out) == {"passed": 1}
    status, out = run_pytest(tmp_path, "test_plain.py")
    assert summary(out) == {"passed": 1}
    status, out = run_pytest(tmp_path, "sub")
    assert status == 1 and summary(out) == {"failed": 1}


def test_known_differences_are_xfail(sample, write_test, tmp_path):
    path, text = sample
    known = write_test("known.yaml", "differences:\n- file: sample.test\n"
                       f"  line: {line_of(text, 'SELECT count(*)')}\n  sqlite3: '3'\n"
                       "  reason: counted differently\n")
    status, out = run_pytest(tmp_path, path, "--slt-known", known)
    assert summary(out) == {"failed": 3, "passed": 8, "skipped": 2, "xfailed": 1}
    assert "known difference: counted differently" in out


def test_differential_option(sample, tmp_path):
    path, _ = sample
    status, out = run_pytest(tmp_path, path, "--slt-differential", "--slt-oracle", "dbapi:sqlite3")
    assert summary(out) == {"failed": 1, "passed": 11, "skipped": 2}     # the malformed record


def test_options_are_documented_in_help(tmp_path):
    out = subprocess.run([sys.executable, "-m", "pytest", "--help"], cwd=tmp_path,
                         capture_output=True, text=True).stdout
    for option in ("--slt-target", "--slt-differential", "--slt-oracle", "--slt-timeout",
                   "--slt-known"):
        assert option in out
