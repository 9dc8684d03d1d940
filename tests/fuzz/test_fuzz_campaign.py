"""Campaigns: a short calibration against sqlite3 itself finds nothing; a
campaign writes result.json, the reports and its cases; a campaign killed
with SIGKILL resumes, and every failure it had printed is still there."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from fuzz import cli
from fuzz.campaign import CampaignConfig, run

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent


def test_a_short_calibration_against_sqlite3_finds_nothing(tmp_path, sqlite3_binary):
    result = run(CampaignConfig(out=str(tmp_path / "cal"), seconds=4, workers=1, seed=3, target="dbapi:sqlite3",
                                inline=True, corpus=None, quiet=True, progress=False, batch_size=20))
    t = result["totals"]
    assert t["failures"] == 0, result["distinct_failures"]
    assert t["statements"] > 200
    assert t["acceptance"] >= 0.9
    assert set(t["probes_checked"]) == {"tlp", "norec"}
    for name in ("result.json", "report.md", "report.html", "campaign.json"):
        assert (tmp_path / "cal" / name).exists(), name
    assert json.loads((tmp_path / "cal" / "result.json").read_text())["format"] == "litmus-fuzz/1"


def test_a_campaign_records_reduced_cases(tmp_path, sqlite3_binary):
    corpus_dir = tmp_path / "corpus"
    status = cli.main(["fuzz", "--seconds", "6", "--target", "dbapi:planted_dbapi", "--out", str(tmp_path / "c"),
                       "--corpus", str(corpus_dir), "--quiet", "--oracle", "differential", "--seed", "2",
                       "--reduce-seconds", "10", "--shrink-seconds", "0"])
    assert status == 1
    result = json.loads((tmp_path / "c" / "result.json").read_text())
    assert result["totals"]["distinct"] >= 1
    for f in result["distinct_failures"]:
        assert Path(f["case"]).exists() and Path(f["corpus"]).exists()
        assert len(f["statements"]) <= 5, f["statements"]
    report = (tmp_path / "c" / "report.md").read_text()
    assert "## Distinct failures" in report and "LIKE" in report.upper()
    # Running into the same directory again needs --resume.
    assert cli.main(["fuzz", "--seconds", "1", "--out", str(tmp_path / "c"), "--quiet"]) == 2


def test_resume_after_kill_9_keeps_every_printed_failure(tmp_path, sqlite3_binary):
    out = tmp_path / "killed"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE), str(ROOT)]))
    args = [sys.executable, "-m", "fuzz", "fuzz", "--seconds", "15", "--target", "dbapi:planted_dbapi",
            "--oracle", "differential", "--out", str(out), "--no-corpus", "--seed", "5",
            "--reduce-seconds", "5", "--shrink-seconds", "0", "--batch-size", "10"]
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            text=True, start_new_session=True)
    printed = []
    deadline = time.monotonic() + 60
    try:
        for line in proc.stderr:
            m = re.match(r"litmus fuzz: failure (\S+):", line)
            if m:
                printed.append(m.group(1))
            if len(printed) >= 2 or time.monotonic() > deadline:
                break
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert printed, "no failure was printed before the deadline"
    for raw_id in printed:
        assert (out / "failures" / f"{raw_id}.json").exists()
    assert not (out / "result.json").exists()
    resumed = subprocess.run(args[:args.index("--seconds")] + ["--out", str(out), "--resume", "--quiet"],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert resumed.returncode in (0, 1), resumed.stderr
    result = json.loads((out / "result.json").read_text())
    ids = {f["id"] for f in result["failures"]}
    assert set(printed) <= ids
    for raw_id in printed:
        assert (out / "failures" / f"{raw_id}.reduced.json").exists()
    assert result["elapsed"] >= 15 * 0.9
