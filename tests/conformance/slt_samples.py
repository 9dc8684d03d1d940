"""A sample sqllogictest script shared by the runner, CLI and plugin tests."""

from __future__ import annotations

import hashlib


# A small script with records that pass, fail, are skipped, are malformed,
# use the hash form and labels, and a halt.  Expected values are plain
# arithmetic on the rows inserted here; the md5 is computed, not typed.
SAMPLE = """\
hash-threshold 3

statement ok
CREATE TABLE t1(a INTEGER, b TEXT)

statement ok
INSERT INTO t1 VALUES(1, 'one'); INSERT INTO t1 VALUES(2, 'two');
INSERT INTO t1 VALUES(3, NULL)

query IT rowsort
SELECT a, b FROM t1 WHERE a < 3
----
1
one
2
two

query I nosort
SELECT count(*) FROM t1
----
4

statement error
SELECT * FROM nosuch

statement ok
INSERT INTO nosuch VALUES(1)

onlyif mysql
query I nosort
SELECT 1 DIV 1
----
1

skipif sqlite
statement ok
SELECT 1

onlyif sqlite # runs here
skipif mysql
query I nosort
SELECT 10
----
10

bogus record

query I valuesort
SELECT a FROM t1
----
3 values hashing to {md5}

query R nosort label-x
SELECT 2.0
----
2.000

query I nosort label-x
SELECT 3
----
3

onlyif mssql
halt

query T nosort
SELECT b FROM t1 WHERE a = 3
----
NULL

halt

statement ok
THIS IS NOT RUN
"""

SAMPLE_COUNTS = {"passed": 8, "failed": 3, "skipped": 2, "known": 0, "malformed": 1}


def sample_text() -> str:
    return SAMPLE.format(md5=hashlib.md5(b"1\n2\n3\n").hexdigest())


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the record whose SQL (or header) holds ``needle``:
    the record's first line, found by walking back to the blank line."""
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if needle in line)
    while at > 0 and lines[at - 1].strip():
        at -= 1
    return at + 1


