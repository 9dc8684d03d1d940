"""Markdown, HTML and JUnit reports: contents, counts, escaping and
well-formedness (parsed back with xml.etree and html.parser)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html.parser import HTMLParser

from conftest import conformance_result, failure
from reports.cli import main
from reports.results import load_result
from reports.render import render

VOID = {"meta", "br", "hr", "img", "input", "link"}


class _TagChecker(HTMLParser):
    """Checks tags nest and close properly and collects text and details."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.details = 0
        self.scripts = 0
        self.external = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts += 1
        if tag == "details":
            self.details += 1
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.external.append(value)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


def test_markdown_has_totals_files_failures_known_and_malformed(sample_result):
    text = render(load_result(sample_result), "markdown")
    assert "| 15 | 1 | 2 | 1 | 1 | 93.75% |" in text
    assert "| slt/select1.test | 10 | 1 | 2 | 1 | 1 | 90.91% |" in text
    assert "| slt/evidence/in1.test | 5 | 0 | 0 | 0 | 0 | 100.00% |" in text
    assert "## Failures (1)" in text and "### `slt/select1.test:120`" in text
    assert "```sql\nSELECT '<script>alert(1)</script>' & x\nFROM t1\n```" in text
    assert "Expected:\n\n```\na\n<b>\n```" in text
    assert "Got:\n\n```\na\nc\n```" in text
    assert "## Known differences (1)" in text
    assert "reason: sqlite3 3.40 prints 0.1 as 0.1" in text
    assert "## Malformed records (1)" in text
    assert "`slt/select1.test:7`: unknown record type" in text


def test_markdown_fences_survive_backticks_and_cells_escape_pipes(write_json):
    record = failure("a|b.test", 4, sql="SELECT '```'", message="rows | differ")
    text = render(load_result(write_json("r.json", conformance_result(
        [{"file": "a|b.test", "failures": [record]}]))), "markdown")
    assert "````sql\nSELECT '```'\n````" in text
    assert "| a\\|b.test |" in text
    assert "message: rows \\| differ" in text


def test_markdown_max_failures(write_json):
    records = [failure("a.test", line) for line in range(1, 6)]
    result = load_result(write_json("r.json", conformance_result(
        [{"file": "a.test", "failures": records}])))
    text = render(result, "markdown", max_failures=2)
    assert "a.test:2" in text and "a.test:3" not in text
    assert "... and 3 more failures" in text


def test_html_is_well_formed_escaped_and_self_contained(sample_result):
    html_text = render(load_result(sample_result), "html")
    checker = _TagChecker()
    checker.feed(html_text)
    checker.close()
    assert checker.stack == []
    assert checker.scripts == 0 and checker.external == []
    assert checker.details == 2  # one per failure, one per known difference
    # The SQL's <script> arrives as text, never as markup.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#x27; &amp; x" in html_text
    assert "<script>" not in html_text
    text = "".join(checker.text)
    assert "SELECT '<script>alert(1)</script>' & x\nFROM t1" in text
    assert "slt/select1.test:120: values differ" in text
    assert "sqlite3 3.40 prints 0.1 as 0.1" in text
    assert "unknown record type" in text
    # Also well-formed XML, so strict tooling can read it.
    root = ET.fromstring(html_text.split("\n", 1)[1])
    failure_details = [d for d in root.iter("details") if d.get("class") == "failure"]
    assert len(failure_details) == 1
    assert failure_details[0].find("summary").text == "slt/select1.test:120: values differ"


def test_html_and_junit_survive_control_characters(write_json):
    record = failure("a.test", 2, got="x\x00y\x1b", sql="SELECT '\x07'")
    result = load_result(write_json("r.json", conformance_result(
        [{"file": "a.test", "failures": [record]}])))
    html_text = render(result, "html")
    ET.fromstring(html_text.split("\n", 1)[1])
    assert "x\\x00y\\x1b" in html_text
    root = ET.fromstring(render(result, "junit"))
    assert "x\\x00y\\x1b" in root.find(".//failure").text


def test_junit_suites_failures_skipped_and_counts(sample_result):
    root = ET.fromstring(render(load_result(sample_result), "junit"))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("skipped"), root.get("errors")) \
        == ("20", "1", "3", "1")
    suites = {suite.get("name"): suite for suite in root.findall("testsuite")}
    assert set(suites) == {"slt/select1.test", "slt/evidence/in1.test"}

    select1 = suites["slt/select1.test"]
    assert (select1.get("tests"), select1.get("failures"), select1.get("skipped"),
            select1.get("errors")) == ("15", "1", "3", "1")
    cases = {case.get("name"): case for case in select1.findall("testcase")}
    failed = cases["slt/select1.test:120"].find("failure")
    assert failed.get("message") == "values differ" and failed.get("type") == "query"
    assert "SELECT '<script>alert(1)</script>' & x" in failed.text
    assert "expected:\na\n<b>" in failed.text and "got:\na\nc" in failed.text
    skipped = cases["slt/select1.test:300"].find("skipped")
    assert skipped.get("message") == "known difference: sqlite3 3.40 prints 0.1 as 0.1"
    assert cases["slt/select1.test:7"].find("error").get("type") == "malformed"
    passed = cases["slt/select1.test: 10 records passed"]
    assert list(passed) == []

    evidence = suites["slt/evidence/in1.test"]
    assert (evidence.get("tests"), evidence.get("failures")) == ("5", "0")


def test_junit_unreadable_file_is_an_error(write_json):
    result = load_result(write_json("r.json", conformance_result(
        [{"file": "gone.test", "error": "cannot read gone.test: no such file"}])))
    root = ET.fromstring(render(result, "junit"))
    error = root.find("testsuite/testcase/error")
    assert error.get("message") == "cannot read gone.test: no such file"
    assert root.find("testsuite").get("errors") == "1"


def test_cli_writes_requested_reports(sample_result, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["report", str(sample_result), "--markdown", str(out / "r.md"),
                 "--html", str(out / "r.html"), "--junit", str(out / "junit.xml")])
    assert code == 0
    assert capsys.readouterr().out == ""
    assert "## Failures (1)" in (out / "r.md").read_text()
    assert "<details" in (out / "r.html").read_text()
    assert ET.parse(out / "junit.xml").getroot().get("failures") == "1"


def test_cli_markdown_to_stdout_by_default(sample_result, capsys):
    assert main(["report", str(sample_result)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# litmus conformance: engine")
    assert "slt/select1.test:120" in out


def test_cli_unwritable_output_is_one_line(sample_result, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["report", str(sample_result), "--html", str(blocker / "r.html")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("litmus: ") and "cannot write" in err and err.count("\n") == 1
