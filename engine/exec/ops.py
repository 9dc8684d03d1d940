"""SQLite's operators on values: arithmetic, bit operations, concatenation,
comparison with affinity and collation, LIKE and GLOB (lang_expr.html,
"Operators", "The LIKE, GLOB, REGEXP, MATCH, and extract operators";
datatype3.html section 4, "Comparison Expressions").
"""

from __future__ import annotations

import functools
import operator
import re

from ..errors import SQLError
from .values import (
    INT64_MAX, INT64_MIN, NONE, NUMERIC, TEXT, BLOB, class_rank, is_numeric_affinity, numeric_affinity_for_compare,
    text_affinity_for_compare, to_int, to_numeric, to_text, truth,
)

_RANK = {type(None): 0, int: 1, float: 1, bool: 1, str: 2, bytes: 3, bytearray: 3, memoryview: 3}


def _fix_real(r: float):
    return None if r != r else r


def _arithmetic(name: str, op):
    """``+``, ``-`` or ``*``: NULL in, NULL out; text and blobs read by their
    numeric prefix; integers in 64 bits, overflowing to a real."""
    def apply(a, b):
        if a is None or b is None:
            return None
        if type(a) is not int or type(b) is not int:
            a = to_numeric(a)
            b = to_numeric(b)
            if type(a) is not int or type(b) is not int:
                return _fix_real(op(float(a), float(b)))
        r = op(a, b)
        if INT64_MIN <= r <= INT64_MAX:
            return r
        return op(float(a), float(b))
    apply.__name__ = name
    return apply


add = _arithmetic("add", operator.add)
sub = _arithmetic("sub", operator.sub)
mul = _arithmetic("mul", operator.mul)


def div(a, b):
    if a is None or b is None:
        return None
    a = to_numeric(a)
    b = to_numeric(b)
    if type(a) is int and type(b) is int:
        if b == 0:
            return None
        if a == INT64_MIN and b == -1:
            return float(a) / -1.0
        q = abs(a) // abs(b)
        return q if (a < 0) == (b < 0) else -q
    b = float(b)
    if b == 0.0:
        return None
    return _fix_real(float(a) / b)


def mod(a, b):
    if a is None or b is None:
        return None
    # Real when either operand reads as a real; the integers themselves are
    # sqlite3_value_int64's (text by its integer prefix: '1e3' is 1).
    is_real = type(to_numeric(a)) is float or type(to_numeric(b)) is float
    ia = to_int(a)
    ib = to_int(b)
    if ib == 0:
        return None
    if ib == -1:
        r = 0
    else:
        r = abs(ia) % abs(ib)
        if ia < 0:
            r = -r
    return float(r) if is_real else r


def bit_and(a, b):
    if a is None or b is None:
        return None
    return _wrap64(to_int(a) & to_int(b))


def bit_or(a, b):
    if a is None or b is None:
        return None
    return _wrap64(to_int(a) | to_int(b))


def shift_left(a, b):
    if a is None or b is None:
        return None
    a = to_int(a)
    b = to_int(b)
    if b < 0:
        return shift_right(a, -b) if b > INT64_MIN else (0 if a >= 0 else -1)
    if b >= 64:
        return 0
    return _wrap64(a << b)


def shift_right(a, b):
    if a is None or b is None:
        return None
    a = to_int(a)
    b = to_int(b)
    if b < 0:
        return shift_left(a, -b) if b > INT64_MIN else 0
    if b >= 64:
        return 0 if a >= 0 else -1
    return a >> b


def bit_not(a):
    if a is None:
        return None
    return ~to_int(a)


def negate(a):
    if a is None:
        return None
    if type(a) is not int:
        a = to_numeric(a)
        if type(a) is float:
            return -a
    if a == INT64_MIN:
        return float(-a)
    return -a


def _wrap64(v: int) -> int:
    v &= 0xFFFFFFFFFFFFFFFF
    return v - (1 << 64) if v >= (1 << 63) else v


def concat(a, b):
    if a is None or b is None:
        return None
    return to_text(a) + to_text(b)


def logical_not(a):
    t = truth(a)
    return None if t is None else (0 if t else 1)


# ---------------------------------------------------------------------------
# Comparison
# ---------------------------------------------------------------------------


def comparison_affinity(aff1: str, aff2: str) -> str:
    """The affinity applied to both operands of a comparison (datatype3.html 4.2)."""
    if aff1 and aff2:
        if is_numeric_affinity(aff1) or is_numeric_affinity(aff2):
            return NUMERIC
        return BLOB
    return aff1 or aff2 or NONE


def converter_for(aff: str):
    """The function a comparison applies to each operand, or None."""
    if is_numeric_affinity(aff):
        return numeric_affinity_for_compare
    if aff == TEXT:
        return text_affinity_for_compare
    return None


def cmp_values(a, b, coll) -> int:
    """Order two non-NULL values: numbers < text < blobs; text under ``coll``."""
    ra = _RANK.get(type(a)) or class_rank(a)
    rb = _RANK.get(type(b)) or class_rank(b)
    if ra != rb:
        return -1 if ra < rb else 1
    if ra == 2 and coll is not None:
        a = coll(a)
        b = coll(b)
    elif ra == 3:
        a = bytes(a)
        b = bytes(b)
    return -1 if a < b else (1 if a > b else 0)


def make_comparison(op: str, conv, coll):
    """A function (a, b) -> 1, 0 or None for comparison ``op``, after applying
    ``conv`` to both operands and comparing text under ``coll``."""
    if op == "IS" or op == "IS NOT":
        want = op == "IS"

        def is_(a, b):
            if a is None or b is None:
                return 1 if ((a is None and b is None) == want) else 0
            if conv is not None:
                a = conv(a)
                b = conv(b)
            eq = cmp_values(a, b, coll) == 0
            return 1 if eq == want else 0
        return is_
    test = _TESTS[op]

    def compare(a, b):
        if a is None or b is None:
            return None
        if conv is not None:
            a = conv(a)
            b = conv(b)
        return 1 if test(cmp_values(a, b, coll)) else 0
    return compare


_TESTS = {
    "=": lambda c: c == 0,
    "!=": lambda c: c != 0,
    "<": lambda c: c < 0,
    "<=": lambda c: c <= 0,
    ">": lambda c: c > 0,
    ">=": lambda c: c >= 0,
}


# ---------------------------------------------------------------------------
# LIKE and GLOB
# ---------------------------------------------------------------------------


def _ascii_lower(s: str) -> str:
    if s.isascii():
        return s.lower()
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


@functools.lru_cache(maxsize=512)
def _like_regex(pattern: str, escape: str | None, fold: bool):
    """The regex of a LIKE pattern.  The escape character is recognised
    exactly as written, while the other characters match ASCII letters of
    either case when ``fold`` (so ESCAPE 'a' does not escape 'A')."""
    out = []
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if escape is not None and c == escape:
            i += 1
            if i < n:
                out.append(re.escape(_ascii_lower(pattern[i]) if fold else pattern[i]))
            else:
                return None  # a trailing escape matches nothing
        elif c == "%":
            out.append(".*")
        elif c == "_":
            out.append(".")
        else:
            out.append(re.escape(_ascii_lower(c) if fold else c))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def like(value, pattern, escape=None, case_sensitive=False):
    """``value LIKE pattern [ESCAPE escape]``: 1, 0 or None.  A blob on either
    side never matches (sqlite3 is built with SQLITE_LIKE_DOESNT_MATCH_BLOBS).
    ASCII letters match either case unless ``case_sensitive``."""
    if isinstance(value, (bytes, bytearray)) or isinstance(pattern, (bytes, bytearray)):
        return 0
    if value is None or pattern is None:
        return None
    if escape is not None:
        esc = c_string(to_text(escape))
        if len(esc) != 1:
            raise SQLError("ESCAPE expression must be a single character")
    else:
        esc = None
    rx = _like_regex(c_string(to_text(pattern)), esc, not case_sensitive)
    if rx is None:
        return 0
    v = c_string(to_text(value))
    return 1 if rx.fullmatch(v if case_sensitive else _ascii_lower(v)) else 0


def c_string(text: str) -> str:
    """Text as the C functions of sqlite3 read it: up to its first NUL
    (LIKE, GLOB, quote() and substr() see no further)."""
    cut = text.find("\0")
    return text if cut < 0 else text[:cut]


@functools.lru_cache(maxsize=512)
def _glob_regex(pattern: str):
    out = []
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            j = i + 1
            negate = False
            if j < n and pattern[j] == "^":
                negate = True
                j += 1
            chars: list[str] = []
            ranges: list[tuple[str, str]] = []
            if j < n and pattern[j] == "]":
                chars.append("]")
                j += 1
            while j < n and pattern[j] != "]":
                if pattern[j] == "-" and (chars or ranges) and j + 1 < n and pattern[j + 1] != "]" and chars:
                    lo = chars.pop()
                    ranges.append((lo, pattern[j + 1]))
                    j += 2
                    continue
                chars.append(pattern[j])
                j += 1
            if j >= n:
                return None  # unterminated class matches nothing
            # A reversed range (z-a) matches nothing, as in SQLite.
            body = "".join(re.escape(c) for c in chars) + "".join(
                re.escape(lo) + "-" + re.escape(hi) for lo, hi in ranges if lo <= hi)
            if body:
                out.append("[" + ("^" if negate else "") + body + "]")
            else:
                out.append("." if negate else "(?!)")
            i = j
        else:
            out.append(re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def glob(value, pattern):
    if isinstance(value, (bytes, bytearray)) or isinstance(pattern, (bytes, bytearray)):
        return 0
    if value is None or pattern is None:
        return None
    rx = _glob_regex(c_string(to_text(pattern)))
    if rx is None:
        return 0
    return 1 if rx.fullmatch(c_string(to_text(value))) else 0


BINARY_ARITH = {
    "+": add, "-": sub, "*": mul, "/": div, "%": mod,
    "&": bit_and, "|": bit_or, "<<": shift_left, ">>": shift_right, "||": concat,
}
