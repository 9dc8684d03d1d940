"""conformance.slt_format: rendering checked against the sqlite3 binary.

The values are stored exactly (bound through Python's sqlite3 module) in a
database file; the sqlite3 binary then converts each one as the reference
runner's driver does: CAST(x AS INTEGER) is sqlite3_column_int64,
printf('%.3f', x) is sqlite3_column_double printed with "%.3f", and
CAST(x AS TEXT) is sqlite3_column_text.  Nothing is typed by hand.
"""

from __future__ import annotations

import hashlib
import math
import random
import re
import sqlite3
import struct
import subprocess

import pytest

from conformance.slt_format import (hash_line, real_to_3f, real_to_text, render_rows,
                                    render_value, sort_values, values_md5)

EDGE_REALS = [
    0.0, 1.0, -1.0, 1.5, -2.5, 0.1, 1 / 3, 2 / 3, 100.0, 1e15, 1e16, 1e20, 1e-5, 1e-4,
    123.456, 1.0005, 2.0005, 2.675, 9.9995, 99.9995, 0.0005, 0.00049999, -0.0004,
    -0.0006, 12345678901234.5678, 123456789012345678.0, 100000000000000.5,
    1.5e15, 1e100, 1e-100, 1e300, 1e-300, 5e-324, 1.7976931348623157e308,
    9.223372036854775807e18, -9.223372036854775808e18, 1e19, -1e19,
    4.35, 0.045, 1e22, 1e23, 2 ** 53, 2 ** 53 + 2, 0.3, 1.1, 3.14159,
    float("inf"), float("-inf"), -0.0,
]
INTS = [0, 1, -1, 42, -42, 2 ** 31, 2 ** 53 + 1, 1234567890123, 2 ** 63 - 1, -2 ** 63,
        99999999999999999, -1000000000000000001]
TEXTS = ["12abc", " 12", "\t-7x", "+5", "-", "", "abc", "1e5", "0x10", "1.5",
         "99999999999999999999", "-99999999999999999999", "9223372036854775808",
         " 1.5e3xyz", ".5", "-.5e-2", "1e", "1.", "00012", "1e400", "Inf", "NaN",
         "a\tb", "line\nbreak", "caf\u00e9", "\u20ac5", "x\x00y", "\x00", "\x7f", "~ok~",
         "12345678901234567890123", "0.12345678901234567890"]
BLOBS = [b"12", b"", b"\xff\x00a", b" -3.5", b"abc", b"7\x01"]


def _random_reals(count: int) -> list[float]:
    rng = random.Random(20261124)
    out = []
    while len(out) < count:
        kind = rng.random()
        if kind < 0.25:
            v = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        elif kind < 0.5:
            v = rng.uniform(-1e6, 1e6)
        elif kind < 0.8:  # near the rounding boundary of %.3f
            v = round(rng.uniform(-1000, 1000), 3) + rng.choice([5e-4, -5e-4, 4.9999e-4])
        else:
            v = rng.randint(-10 ** 17, 10 ** 17) / 10 ** rng.randint(0, 20)
        if v == v:
            out.append(v)
    return out


def _binary_conversions(binary: str, tmp_path, values) -> list[tuple]:
    db = tmp_path / "values.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE v(x)")          # no affinity: values are stored as given
    con.executemany("INSERT INTO v(rowid, x) VALUES(?, ?)", list(enumerate(values, 1)))
    con.commit()
    con.close()
    sql = ("SELECT rowid, typeof(x), CAST(x AS INTEGER), printf('%.3f', x), "
           "hex(CAST(x AS TEXT)) FROM v ORDER BY rowid;")
    out = subprocess.run([binary, "-batch", "-list", "-separator", "|", str(db), sql],
                         capture_output=True, text=True, check=True).stdout
    rows = [line.split("|") for line in out.splitlines()]
    assert len(rows) == len(values)
    return rows


def _driver_text(raw: bytes) -> str:
    """What the driver does to sqlite3_column_text: C string, (empty), '@'."""
    raw = raw.split(b"\x00", 1)[0]
    if not raw:
        return "(empty)"
    return re.sub(rb"[^\x20-\x7e]", b"@", raw).decode("ascii")


@pytest.fixture(scope="module")
def conversions(sqlite3_binary, tmp_path_factory):
    values = INTS + EDGE_REALS + _random_reals(3000) + TEXTS + BLOBS
    rows = _binary_conversions(sqlite3_binary, tmp_path_factory.mktemp("fmt"), values)
    return list(zip(values, rows))


@pytest.fixture(scope="module")
def binary_version(sqlite3_binary) -> str:
    return subprocess.run([sqlite3_binary, "-version"], capture_output=True,
                          text=True, check=True).stdout.split()[0]


def _correctly_rounded_text(v: float) -> str:
    s = "%.15g" % v
    mantissa, e, exponent = s.partition("e")
    return mantissa + ("" if "." in mantissa else ".0") + e + exponent


def _version_specific(value) -> bool:
    """Reals whose SQLite 3.40 printf digits differ from correct rounding
    (near a tie, or past 16 significant digits): other SQLite versions
    format these differently, so they are checked against 3.40 only."""
    if not isinstance(value, float) or not math.isfinite(value) or value == 0:
        return False
    return (real_to_3f(value) != "%.3f" % value
            or real_to_text(value) != _correctly_rounded_text(value))


def _mismatches(conversions, keep):
    found = []
    for value, (_, storage, as_int, as_3f, text_hex) in conversions:
        if not keep(value):
            continue
        want = {"I": as_int, "R": as_3f, "T": _driver_text(bytes.fromhex(text_hex))}
        for letter, expected in want.items():
            got = render_value(value, letter)
            if got != expected:
                found.append((value, storage, letter, expected, got))
    return found


def test_rendering_of_every_value_matches_the_sqlite3_binary(conversions):
    mismatches = _mismatches(conversions, lambda v: not _version_specific(v))
    assert not mismatches, mismatches[:10]


def test_printf_emulation_matches_sqlite_3_40(conversions, binary_version):
    specific = [v for v, _ in conversions if _version_specific(v)]
    assert len(specific) > 100      # near ties and huge values do take the emulation
    if not binary_version.startswith("3.40."):
        pytest.skip(f"the rendering emulates SQLite 3.40's printf; sqlite3 is {binary_version}")
    mismatches = _mismatches(conversions, _version_specific)
    assert not mismatches, mismatches[:10]


def test_the_checked_values_cover_every_storage_class(conversions):
    classes = {row[1] for _, row in conversions}
    assert classes == {"integer", "real", "text", "blob"}
    assert any(v == 1.0005 for v, _ in conversions)


def test_real_to_text_examples_from_the_binary(sqlite3_binary):
    values = [1.0, 1e20, 1e-5, 0.1, 1.5e15, 123456789012345678.0]
    sql = "SELECT " + ", ".join(f"CAST({v!r} AS TEXT)" for v in values)
    out = subprocess.run([sqlite3_binary, "-batch", "-list", "-separator", "|", ":memory:", sql],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert [real_to_text(v) for v in values] == out.split("|")
    assert real_to_text(1.0) == "1.0" and real_to_text(1e20) == "1.0e+20"
    assert real_to_3f(-0.0) == "0.000" and real_to_3f(-0.0001) == "-0.000"


def test_null_empty_and_unprintable_rendering():
    assert [render_value(None, c) for c in "ITR"] == ["NULL", "NULL", "NULL"]
    assert render_value("", "T") == "(empty)"
    assert render_value(b"", "T") == "(empty)"
    assert render_value("a\tb\x7f", "T") == "a@b@"
    assert render_value("caf\u00e9", "T") == "caf@@"      # one '@' a UTF-8 byte
    assert render_value("x\x00y", "T") == "x"              # C string: cut at NUL


def test_render_rows_goes_row_by_row_with_a_letter_a_column():
    rows = [(1, "a", 2.5), (None, "", 3)]
    assert render_rows(rows, "ITR") == ["1", "a", "2.500", "NULL", "(empty)", "3.000"]
    assert render_rows([(1, 2.9), (-3.9, "4x")], "II") == ["1", "2", "-3", "4"]
    assert render_rows([], "I") == []


def test_sort_modes_compare_rendered_text():
    values = ["9", "b", "10", "a", "9", "a"]
    assert sort_values(list(values), 2, "nosort") == values
    assert sort_values(list(values), 2, "rowsort") == ["10", "a", "9", "a", "9", "b"]
    assert sort_values(list(values), 2, "valuesort") == ["10", "9", "9", "a", "a", "b"]
    assert sort_values(["b", "a"], 1, "rowsort") == ["a", "b"]


def test_md5_of_each_value_followed_by_a_newline():
    assert values_md5(["1", "2"]) == hashlib.md5(b"1\n2\n").hexdigest()
    assert values_md5([]) == hashlib.md5(b"").hexdigest()
    assert hash_line(["x"]) == "1 values hashing to " + hashlib.md5(b"x\n").hexdigest()
