"""The real corpus slice against real SQLite (dbapi:sqlite3): select1.test
and evidence/ must pass entirely; the records SQLite itself contradicts are
the known differences listed in conformance/known_differences.yaml."""

from __future__ import annotations

from conformance.known import KnownDifferences
from conformance.run import RunConfig, collect_files, run_conformance


def test_select1_and_evidence_pass_on_sqlite(slt_dir):
    files = collect_files([str(slt_dir / "select1.test"), str(slt_dir / "evidence")])
    assert [f.file_id for f in files][:2] == ["select1.test", "evidence/in1.test"]
    run = run_conformance(files, RunConfig(target="dbapi:sqlite3"), jobs=1, progress=False)
    totals = run.totals
    failures = [(f.id, f.message, f.expected[:80], f.got[:80]) for f in run.failures()]
    assert totals["failed"] == 0, failures
    assert totals["malformed"] == 0 and not any(f.error for f in run.files)
    assert totals["passed"] > 1500 and totals["skipped"] > 0
    # Every known difference in these files was met and is not stale.
    listed = {(k.file, k.line) for k in KnownDifferences.load().entries
              if k.file.startswith(("evidence/", "select1"))}
    assert {(k.file, k.line) for k in run.known_records()} == listed
    assert totals["known"] == len(listed)
    assert run.stale() == []


def test_the_packaged_known_differences_file_is_valid():
    known = KnownDifferences.load()
    assert len(known) == len({(k.file, k.line) for k in known.entries})
    for entry in known.entries:
        assert entry.reason and entry.sqlite3 is not None and entry.sqlite_version
