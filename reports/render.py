"""Turning a loaded result into report text, and writing it out.

The renderers live one per output format (markdown.py, html.py, junit.py);
this module picks the one for a result's kind and format, so fuzz and crash
results can bring their own renderers later.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

from reports.html import render_html
from reports.junit import render_junit
from reports.markdown import render_markdown
from reports.results import ConformanceResult, ReportError

FORMATS = ("markdown", "html", "junit")

_RENDERERS: dict[tuple[str, str], Callable[..., str]] = {
    ("conformance", "markdown"): render_markdown,
    ("conformance", "html"): render_html,
    ("conformance", "junit"): render_junit,
}


def render(result: ConformanceResult, output_format: str,
           max_failures: int | None = None) -> str:
    renderer = _RENDERERS.get((result.kind, output_format))
    if renderer is None:
        raise ReportError(f"{result.source}: no {output_format} report for "
                          f"{result.kind} results")
    if output_format == "junit":
        return renderer(result)
    return renderer(result, max_failures=max_failures)


def write_text(text: str, destination: str) -> None:
    """Write ``text`` to a file (creating its folder) or to stdout for "-"."""
    if destination == "-":
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    path = Path(destination)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise ReportError(f"{destination}: cannot write: {exc.strerror or exc}") from None
