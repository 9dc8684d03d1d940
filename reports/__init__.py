"""Reports and the CI gate: read run result files (docs/results.md) and turn
them into Markdown, HTML and JUnit XML, or a gate verdict.  Imports nothing
from the rest of litmus; result files are its only input."""
