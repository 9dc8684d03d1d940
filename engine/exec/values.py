"""SQLite's values: storage classes, type affinity, conversions and comparison.

Implements datatype3.html (storage classes, affinity of a declared type,
affinity applied on storage and in comparisons, sort order of mixed types,
collating sequences) and the conversion rules of lang_expr.html ("CAST
expressions", "Boolean expressions") as the sqlite3 binary behaves.

Values are plain Python: None, int (64-bit), float, str, bytes.
"""

from __future__ import annotations

import math
import re

from .realfmt import real_to_text

from ..errors import SQLError, TooBigError

INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1

# Affinities, named as SQLite's one-letter codes (ordered as SQLite orders them).
BLOB = "A"      # also "no affinity" for a declared type of BLOB or none
TEXT = "B"
NUMERIC = "C"
INTEGER = "D"
REAL = "E"
NONE = ""       # an expression with no affinity at all


def affinity_of_type(decl: str | None) -> str:
    """The affinity of a column declared with type ``decl`` (datatype3.html 3.1)."""
    if not decl:
        return BLOB
    t = decl.upper()
    if "INT" in t:
        return INTEGER
    if "CHAR" in t or "CLOB" in t or "TEXT" in t:
        return TEXT
    if "BLOB" in t:
        return BLOB
    if "REAL" in t or "FLOA" in t or "DOUB" in t:
        return REAL
    return NUMERIC


def is_numeric_affinity(aff: str) -> bool:
    return aff >= NUMERIC


# ---------------------------------------------------------------------------
# Text <-> number
# ---------------------------------------------------------------------------

# A whole text that is a number, with optional surrounding spaces.
_WHOLE_INT = re.compile(r"[ \t\n\f\r\v]*([+-]?[0-9]+)[ \t\n\f\r\v]*\Z")
_WHOLE_REAL = re.compile(
    r"[ \t\n\f\r\v]*([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)[ \t\n\f\r\v]*\Z")
# The longest numeric prefix (after leading spaces), as sqlite3AtoF reads it.
_PREFIX_REAL = re.compile(r"[ \t\n\f\r\v]*([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)")
_PREFIX_INT = re.compile(r"[ \t\n\f\r\v]*([+-]?[0-9]+)")


def _text(value) -> str:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", "surrogateescape")
    return value


def _parse_float(s: str) -> float:
    try:
        return float(s)
    except (OverflowError, ValueError):
        return math.inf if not s.lstrip().startswith("-") else -math.inf


def text_to_numeric(value) -> int | float | None:
    """The number a text is, if the whole text (spaces aside) is a well-formed
    integer or real literal; else None.  Integers that overflow 64 bits become
    reals; reals that are exact integers stay reals here (callers decide)."""
    s = _text(value)
    m = _WHOLE_INT.match(s)
    if m:
        i = int(m.group(1))
        if INT64_MIN <= i <= INT64_MAX:
            return i
        return float(i)
    m = _WHOLE_REAL.match(s)
    if m:
        return _parse_float(m.group(1))
    return None


def text_prefix_number(value) -> int | float:
    """The number at the start of a text (0 if none), as arithmetic reads it:
    '12abc' is 12, '1.5x' is 1.5, '1e' is 1, 'abc' is 0."""
    s = _text(value)
    m = _PREFIX_REAL.match(s)
    if not m:
        return 0
    lit = m.group(1)
    if "." in lit or "e" in lit or "E" in lit:
        return _parse_float(lit)
    i = int(lit)
    if INT64_MIN <= i <= INT64_MAX:
        return i
    return float(i)


def text_prefix_int(value) -> int:
    """CAST(text AS INTEGER): the leading integer, clamped to 64 bits, else 0."""
    s = _text(value)
    m = _PREFIX_INT.match(s)
    if not m:
        return 0
    i = int(m.group(1))
    return max(INT64_MIN, min(INT64_MAX, i))


def real_to_int(f: float) -> int:
    """A real converted to an integer as SQLite does: toward zero, clamped."""
    if f != f:
        return 0
    if f >= 9.223372036854775807e18:
        return INT64_MAX
    if f <= -9.223372036854775808e18:
        return INT64_MIN
    return int(f)


def to_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return real_to_text(value)
    # Bytes that are not UTF-8 survive the round trip text -> blob, as in SQLite.
    return bytes(value).decode("utf-8", "surrogateescape")


def to_numeric(value):
    """The operand of an arithmetic operator: NULL stays NULL, text and blobs
    are read by their numeric prefix."""
    if value is None or isinstance(value, (int, float)):
        return value
    return text_prefix_number(value)


def to_int(value) -> int | None:
    """CAST(x AS INTEGER)."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return real_to_int(value)
    return text_prefix_int(value)


def to_real(value) -> float | None:
    """CAST(x AS REAL)."""
    if value is None:
        return None
    if isinstance(value, float):
        return value
    if isinstance(value, int):
        return float(value)
    n = text_prefix_number(value)
    return float(n)


def to_blob(value) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    return to_text(value).encode("utf-8", "surrogateescape")


def cast_numeric(value):
    """CAST(x AS NUMERIC): text always becomes a number (its numeric prefix);
    a real read from text becomes an integer only when it is one exactly and
    within +-2^51 (sqlite3VdbeMemNumerify)."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return value
    n = text_prefix_number(value)
    if isinstance(n, float) and (n == 0.0 or (n.is_integer() and -2251799813685248 <= n < 2251799813685248)):
        return int(n)
    return n


def real_as_numeric(f: float):
    """A real that is an exact 64-bit integer strictly inside the range
    becomes that integer (sqlite3VdbeIntegerAffinity: -2^63 and 2^63 as
    reals stay reals)."""
    if f.is_integer() and -9.223372036854775e18 <= f <= 9.223372036854775e18:
        return int(f)
    return f


def cast(value, type_name: str):
    """CAST(value AS type_name) (lang_expr.html "CAST expressions")."""
    aff = affinity_of_type(type_name)
    if value is None:
        return None
    if aff == INTEGER:
        return to_int(value)
    if aff == REAL:
        return to_real(value)
    if aff == TEXT:
        return to_text(value)
    if aff == NUMERIC:
        return cast_numeric(value)
    return to_blob(value)


def apply_affinity(value, aff: str):
    """The value as stored in (or compared as) a column of affinity ``aff``
    (datatype3.html 3.0)."""
    if value is None or aff == BLOB or aff == NONE:
        return value
    if aff == TEXT:
        if isinstance(value, (int, float)):
            return to_text(value)
        return value
    # NUMERIC, INTEGER, REAL
    if isinstance(value, str):
        n = text_to_numeric(value)
        if n is None:
            # A hex-looking or malformed text stays text.
            return value
        value = n
    elif isinstance(value, (bytes, bytearray)):
        return value
    if aff == REAL:
        return float(value)
    if isinstance(value, float):
        return real_as_numeric(value)
    return value


def numeric_affinity_for_compare(value):
    """NUMERIC affinity as a comparison applies it: only a text that is a
    whole number literal changes."""
    if isinstance(value, str):
        n = text_to_numeric(value)
        if n is not None:
            return n
    return value


def text_affinity_for_compare(value):
    if isinstance(value, (int, float)):
        return to_text(value)
    return value


# ---------------------------------------------------------------------------
# Truth and comparison
# ---------------------------------------------------------------------------


def truth(value) -> bool | None:
    """SQL truth of a value: None for NULL, else whether it is a non-zero number
    (text read by its numeric prefix)."""
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return value != 0
    return text_prefix_number(value) != 0


def _nocase(s: str) -> str:
    # ASCII-only case folding, as SQLite's NOCASE.
    return s.translate(_ASCII_LOWER) if not s.isascii() else s.lower()


_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


def _rtrim(s: str) -> str:
    return s.rstrip(" ")


COLLATIONS = {
    "BINARY": None,
    "NOCASE": _nocase,
    "RTRIM": _rtrim,
}


def collation_key_function(name: str | None):
    """The text transform of a collation (None for BINARY); raises for an
    unknown collation, with SQLite's message."""
    if name is None:
        return None
    try:
        return COLLATIONS[name.upper()]
    except KeyError:
        raise SQLError(f"no such collation sequence: {name}") from None


def class_rank(value) -> int:
    """Sort rank of a storage class: NULL < numbers < text < blob."""
    if value is None:
        return 0
    if isinstance(value, (int, float)):
        return 1
    if isinstance(value, str):
        return 2
    return 3


def compare(a, b, coll=None) -> int:
    """-1, 0 or 1 ordering two non-NULL-aware values as SQLite sorts them;
    ``coll`` is a collation's text transform (None for BINARY)."""
    ra, rb = class_rank(a), class_rank(b)
    if ra != rb:
        return -1 if ra < rb else 1
    if ra == 0:
        return 0
    if ra == 2 and coll is not None:
        a, b = coll(a), coll(b)
    if a < b:
        return -1
    if a > b:
        return 1
    return 0


def sort_key(value, coll=None):
    """A key that orders values as SQLite does (see ``compare``)."""
    if value is None:
        return (0, 0)
    if isinstance(value, (int, float)):
        return (1, value)
    if isinstance(value, str):
        return (2, coll(value) if coll is not None else value)
    return (3, bytes(value))


def equality_key(value, coll=None):
    """A hashable key under which values that compare equal collide (1 and 1.0
    are equal; text compared under the collation)."""
    if isinstance(value, str) and coll is not None:
        return coll(value)
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    return value


def check_text_length(value, limit: int = 1_000_000_000):
    if isinstance(value, (str, bytes)) and len(value) > limit:
        raise TooBigError("string or blob too big")
    return value


def typeof(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "real"
    if isinstance(value, str):
        return "text"
    return "blob"
