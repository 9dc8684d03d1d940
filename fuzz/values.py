"""Literal values chosen to hit SQLite's edges (datatype3.html, lang_expr.html
"Literal Values"): NULL, zero and minus one, the 64-bit limits, reals next
to integers and at the limits of a double, text that looks like a number,
text equal under NOCASE or RTRIM, LIKE wildcards, non-ASCII text, blobs.

Every list starts with its simplest member: Hypothesis shrinks a choice
toward the first element, so a failing case ends up with ``0``, ``NULL`` and
``'a'`` wherever the exact value does not matter.
"""

from __future__ import annotations

from .context import pick

INTEGERS = (
    "0", "1", "-1", "2", "3", "10", "-2", "100", "7", "255", "256",
    "9223372036854775807", "-9223372036854775808", "9223372036854775806",
    "-9223372036854775807", "2147483647", "-2147483648", "4294967296",
    "9007199254740993", "0x10", "0x7fffffffffffffff", "-0x7fffffffffffffff",
)

REALS = (
    "0.0", "1.0", "-1.0", "0.5", "-0.5", "1.5", "2.5", "-2.5", "0.1", "3.0",
    "1e308", "-1e308", "1e-300", "1.7976931348623157e308", "4.9e-324",
    "9.2233720368547758e18", "-9.2233720368547758e18", "9223372036854775807.0",
    "9007199254740992.0", "1.0000000000000002", "0.30000000000000004",
    "123.456", "1e18", "-0.0", "1e100", "2.0",
)

TEXTS = (
    "'a'", "''", "'A'", "'b'", "'B'", "'a '", "'abc'", "'ABC'", "'Abc'", "' a'",
    "'1'", "'0'", "'-1'", "'1.0'", "' 1'", "'1 '", "'1e3'", "'0x10'", "'12abc'",
    "'9223372036854775807'", "'9223372036854775808'", "'-9223372036854775809'",
    "'1.5'", "'3.0e0'", "'inf'", "'NaN'",
    "'%'", "'_'", "'a%'", "'%b'", "'a_c'", "'\\'", "'x''y'",
    "'é'", "'É'", "'ß'", "'Ä'", "'日本'", "'  '",
    "'NULL'", "'2020-01-01'", "'2020-02-29 12:34:56'", "'12:00'", "'2000-01-01T00:00:00.123'",
    "'[1,2,3]'", "'{\"a\":1,\"b\":[2,3]}'", "'{\"a\":null}'", "'true'",
)

BLOBS = ("x''", "x'00'", "x'61'", "x'41'", "x'0102'", "x'ff'", "x'616263'", "x'31'")

NULL = "NULL"

# One flat list, simplest first, each class represented in proportion; the
# small and signed integers, halves and case variants come twice, being
# where most operators have their edges.
ANY = ("0", "NULL", "1", "'a'", "-1", "''", "1.0", "x''") + tuple(
    v for v in INTEGERS[3:] + REALS[2:] + TEXTS[2:] + BLOBS[1:]) + (
    "-7", "7", "-3", "3", "2", "-2", "0.5", "-0.5", "2.5", "-2.5", "'A'", "'b'", "'B'", "'é'", "'É'",
    "'abc'", "'ABC'", "NULL")

# Numbers (and text that reads as one), for the operands of arithmetic.
NUMERIC_LITERALS = ("1", "0", "-1", "2", "-7", "3", "7", "-2", "10", "0.5", "-0.5", "2.5", "-2.5",
                    "1.5", "100", "-1.5", "3.5", "0.25", "1.25", "-3.5", "255", "-3", "9223372036854775807", "-9223372036854775808",
                    "9223372036854775806", "4294967296", "1.0", "-1.0", "0.0", "1e308", "-0.0",
                    "'3'", "'-7'", "'1.5'", "' 2'", "'12abc'", "NULL", "2147483647", "1e18", "0.1",
                    "9007199254740993", "1.0000000000000002", "x'31'", "'abc'")

# Text, for the operands of string functions: case and accent variants,
# spaces, wildcards.
TEXT_LITERALS = ("'a'", "'A'", "'abc'", "'ABC'", "''", "'é'", "'É'", "'ß'", "'Ä'", "'aBc'", "'a '", "'Éa'",
                 "'ÿ'", "'Ω'", "'ǅ'",
                 "' a'", "'b'", "'B'", "'日本'", "'a%'", "'_'", "'x''y'", "'12'", "NULL", "1",
                 "'Straße'", "'ÀÉÎ'", "'  '", "x'61'", "'1.5'")

# Values that keep a table's rows readable: small, mostly distinct.
SMALL = ("0", "1", "2", "3", "NULL", "'a'", "'b'", "'A'", "-1", "0.5", "1.0", "'1'",
         "'abc'", "10", "x'00'", "''", "'a '", "2.5", "'B'", "100")

BY_AFFINITY = {
    "INTEGER": ("0", "1", "2", "-1", "3", "10", "NULL", "100", "'1'", "1.0", "2.5", "'a'",
                "9223372036854775807", "-9223372036854775808", "'12abc'", "' 2'"),
    "REAL": ("0.0", "1.5", "1", "-1.0", "NULL", "2", "0.5", "1e308", "'1.5'", "'a'",
             "-0.0", "9007199254740993", "1e18", "'2'"),
    "NUMERIC": ("0", "1", "1.0", "'1'", "'1.0'", "NULL", "2.5", "'abc'", "' 3'", "'0x10'",
                "9223372036854775807", "'9223372036854775808'", "'1e3'", "x'31'"),
    "TEXT": ("'a'", "'b'", "'A'", "''", "NULL", "'a '", "1", "'abc'", "'ABC'", "1.5", "'B'", "'Abc'", "'É'",
             "'é'", "'É'", "'%'", "'1'", "x'61'", "'2020-01-01'"),
    "BLOB": ("NULL", "1", "'a'", "x'00'", "1.0", "'A'", "x''", "'1'", "-1", "0.5", "'b'",
             "x'61'", "9223372036854775807", "''"),
}

# STRICT tables refuse values that their column type cannot hold.
STRICT_BY_TYPE = {
    "INT": ("0", "1", "2", "-1", "NULL", "10", "'3'", "9223372036854775807", "-9223372036854775808"),
    "INTEGER": ("0", "1", "2", "-1", "NULL", "100", "'7'", "9223372036854775807", "3"),
    "REAL": ("0.0", "1.5", "1", "NULL", "-2.5", "'0.5'", "1e308", "2"),
    "TEXT": ("'a'", "'b'", "''", "NULL", "'A'", "'a '", "1", "'é'"),
    "BLOB": ("x'00'", "NULL", "x''", "x'61'", "x'ff'"),
    "ANY": ("0", "'a'", "NULL", "1.5", "x'00'", "'1'", "-1"),
}

def literal(draw) -> str:
    return pick(draw, ANY)


def value_for(draw, column) -> str:
    """A value for ``column`` (a model.Column) in an INSERT or UPDATE:
    mostly one its affinity keeps as is, sometimes anything."""
    if column.strict_type is not None:
        pool = STRICT_BY_TYPE[column.strict_type]
        if column.not_null:
            pool = _STRICT_NOT_NULL[column.strict_type]
        return pick(draw, pool)
    if column.collation in ("NOCASE", "RTRIM"):
        # Values that the collation makes equal, so that DISTINCT, GROUP BY,
        # UNIQUE, joins and ORDER BY have ties to get right.
        return pick(draw, _COLLATION_NOT_NULL if column.not_null else COLLATION_VALUES)
    pool = _NOT_NULL[column.affinity] if column.not_null else BY_AFFINITY[column.affinity]
    return pick(draw, pool)


COLLATION_VALUES = ("'a'", "'A'", "'a '", "'b'", "'B'", "'abc'", "'ABC'", "'Abc'", "NULL", "'a  '", "'é'",
                    "'É'", "1", "'1 '", "''", "' '")
_COLLATION_NOT_NULL = tuple(v for v in COLLATION_VALUES if v != "NULL")


_STRICT_NOT_NULL = {k: tuple(v for v in pool if v != "NULL") for k, pool in STRICT_BY_TYPE.items()}
_NOT_NULL = {k: tuple(v for v in pool if v != "NULL") for k, pool in BY_AFFINITY.items()}
