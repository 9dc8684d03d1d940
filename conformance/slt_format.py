"""How sqllogictest turns typed result values into text, sorts and hashes
them: the rendering of the reference runner's SQLite driver (``slt_sqlite.c``
in SQLite's sqllogictest), applied to the typed values a target returns.

Per column, by the query's type letter, a NULL is ``NULL`` and otherwise:

- ``I``: the value as ``sqlite3_column_int64`` gives it, in decimal: an
  integer as is, a real truncated toward zero (saturating at the 64-bit
  limits), text or blob by its leading integer (whitespace, sign, digits;
  0 when there is none; saturating).
- ``R``: ``sqlite3_column_double`` (text by its longest numeric prefix)
  printed with SQLite's own ``printf("%.3f")``.
- ``T``: ``sqlite3_column_text``: an integer in decimal, a real as SQLite
  prints it (``printf("%!.15g")``: 15 significant digits, ``1.0``,
  ``1.0e+20``, ``Inf``), text and blob bytes as they are, cut at the first
  NUL byte; the empty string is ``(empty)`` and every byte outside printable
  ASCII (0x20..0x7e) becomes ``@`` (so a two-byte UTF-8 character gives
  ``@@``).

SQLite's printf (printf.c, 3.40) formats reals with its own digit loop in
x87 ``long double`` arithmetic and rounds half up after a small nudge, which
is not what Python's correctly rounded formatting gives near ties or beyond
16 significant digits.  The common case takes a fast path that is provably
the same; values near a rounding boundary take an exact emulation of that
loop (``_sqlite_printf_real``), with ``long double`` operations emulated by
rounding exact fractions to a 64-bit significand.
"""

from __future__ import annotations

import hashlib
import math
import re
from fractions import Fraction

NULL_TEXT = "NULL"
EMPTY_TEXT = "(empty)"

_INT64_MAX = (1 << 63) - 1
_INT64_MIN = -(1 << 63)

# sqlite3Isspace: the C locale's isspace.
_ATOI = re.compile(r"[ \t\n\v\f\r]*([+-]?)([0-9]*)")
_ATOF = re.compile(r"[ \t\n\v\f\r]*([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?")
_UNPRINTABLE = re.compile(rb"[^\x20-\x7e]")


# ---------------------------------------------------------------- rendering

def render_value(value, letter: str) -> str:
    """One value as the sqllogictest SQLite driver prints it for ``letter``."""
    return _RENDERERS[letter](value)


def render_rows(rows, types: str) -> list[str]:
    """The values of ``rows``, row by row, rendered by the type letters.

    Every row must have ``len(types)`` values (the caller checks).
    """
    if not rows:
        return []
    if types.count("I") == len(types):
        return [_render_int(v) for row in rows for v in row]
    renderers = [_RENDERERS[c] for c in types]
    return [r(v) for row in rows for r, v in zip(renderers, row)]


def _render_int(v) -> str:
    if type(v) is int:
        return str(v)
    if v is None:
        return NULL_TEXT
    return str(to_int64(v))


def _render_text(v) -> str:
    t = type(v)
    if t is str:
        if v.isascii() and v.isprintable() and v:
            return v
        return _printable(v.encode("utf-8", "surrogatepass"))
    if v is None:
        return NULL_TEXT
    if t is int:
        return str(v)
    if t is float:
        return real_to_text(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return _printable(bytes(v))
    if isinstance(v, bool):
        return str(int(v))
    return _printable(str(v).encode("utf-8", "surrogatepass"))


def _render_real(v) -> str:
    if v is None:
        return NULL_TEXT
    return real_to_3f(to_double(v))


_RENDERERS = {"I": _render_int, "T": _render_text, "R": _render_real}


def _printable(data: bytes) -> str:
    nul = data.find(b"\x00")
    if nul >= 0:
        data = data[:nul]
    if not data:
        return EMPTY_TEXT
    return _UNPRINTABLE.sub(b"@", data).decode("ascii")


# ------------------------------------------------------ numeric conversions

def to_int64(v) -> int:
    """``sqlite3_column_int64`` of a value."""
    t = type(v)
    if t is int or isinstance(v, bool):
        return max(_INT64_MIN, min(_INT64_MAX, int(v)))
    if t is float:
        return _double_to_int64(v)
    if v is None:
        return 0
    if isinstance(v, (bytes, bytearray, memoryview)):
        v = bytes(v).decode("latin-1")
    return _atoi64(str(v))


def to_double(v) -> float:
    """``sqlite3_column_double`` of a value."""
    t = type(v)
    if t is float:
        return v
    if t is int or isinstance(v, bool):
        return float(v)
    if v is None:
        return 0.0
    if isinstance(v, (bytes, bytearray, memoryview)):
        v = bytes(v).decode("latin-1")
    return _atof(str(v))


def _double_to_int64(r: float) -> int:
    # doubleToInt64() of vdbemem.c: saturate, else truncate toward zero.
    if r != r:
        return 0
    if r <= -9.223372036854775808e18:
        return _INT64_MIN
    if r >= 9.223372036854775807e18:
        return _INT64_MAX
    return int(r)


def _atoi64(text: str) -> int:
    # sqlite3Atoi64(): leading space, sign, digits; the value of that prefix,
    # saturating; 0 when there are no digits.
    m = _ATOI.match(text)
    digits = m.group(2)
    if not digits:
        return 0
    value = int(digits)
    if m.group(1) == "-":
        value = -value
    return max(_INT64_MIN, min(_INT64_MAX, value))


def _atof(text: str) -> float:
    # sqlite3AtoF(): the longest prefix that reads as a number.  Like SQLite
    # it keeps at most 19 significant digits of the significand.
    m = _ATOF.match(text)
    sign, whole, frac, exp = m.group(1), m.group(2), m.group(3) or "", m.group(4)
    if not whole and not frac:
        return 0.0
    digits = (whole + frac).lstrip("0")
    scale = -len(frac)
    if len(digits) > 19:
        scale += len(digits) - 19
        digits = digits[:19]
    if not digits:
        return -0.0 if sign == "-" else 0.0
    e = scale + (int(exp) if exp else 0)
    try:
        value = float(f"{digits}e{e}")
    except OverflowError:  # pragma: no cover - float() returns inf, never raises
        value = math.inf
    return -value if sign == "-" else value


# ----------------------------------------------------------- printing reals

def real_to_text(x: float) -> str:
    """A real as SQLite converts it to text (``printf("%!.15g")``)."""
    if x == 0.0:
        return "0.0"
    if x != x:
        return "NaN"
    a = -x if x < 0 else x
    if a == math.inf:
        return "-Inf" if x < 0 else "Inf"
    if 1e-8 <= a < 1e27:
        # 18 correctly rounded digits show whether the value lies near a tie
        # at the 15th; away from one, SQLite's half-up rounding in long double
        # and Python's correct rounding agree.
        e18 = "%.17e" % a
        if abs(int(e18[16:19]) - 500) > 2:
            s = "%.15g" % a
            epos = s.find("e")
            if epos < 0:
                if "." not in s:
                    s += ".0"
            elif "." not in s[:epos]:
                s = s[:epos] + ".0" + s[epos:]
            return "-" + s if x < 0 else s
    return _sqlite_printf_real(x, 15, generic=True, altform2=True)


def real_to_3f(x: float) -> str:
    """A real as SQLite's ``printf("%.3f")`` prints it."""
    if x == 0.0:
        return "0.000"
    if x != x:
        return "NaN"
    a = -x if x < 0 else x
    if a == math.inf:
        return "-Inf" if x < 0 else "Inf"
    if a < 1e12:
        # 1000*a = whole + frac exactly; SQLite rounds half up after adding a
        # nudge of a*3e-16 (for binary exponents below 36).  Near 0.5 the
        # long double arithmetic decides, so only clear cases stay here.
        p, q = a.as_integer_ratio()
        whole, rem = divmod(1000 * p, q)
        frac = rem / q
        if math.frexp(a)[1] - 1 < 36:
            frac += a * 3e-13
        if abs(frac - 0.5) > 1e-2:
            if frac > 0.5:
                whole += 1
            ip, fp = divmod(whole, 1000)
            return f"{'-' if x < 0 else ''}{ip}.{fp:03d}"
    return _sqlite_printf_real(x, 3, generic=False, altform2=False)


def _round_to_bits(q: Fraction, bits: int) -> Fraction:
    """``q`` rounded to the nearest binary float with a ``bits``-bit
    significand (ties to even); exponent range unbounded."""
    if q == 0:
        return q
    negative = q < 0
    num, den = abs(q.numerator), q.denominator
    shift = num.bit_length() - den.bit_length() - bits
    while True:
        a, b = (num, den << shift) if shift >= 0 else (num << -shift, den)
        if a >= b << bits:
            shift += 1
        elif a < b << (bits - 1):
            shift -= 1
        else:
            break
    m, r = divmod(a, b)
    if 2 * r > b or (2 * r == b and m & 1):
        m += 1
    out = Fraction(m << shift) if shift >= 0 else Fraction(m, 1 << -shift)
    return -out if negative else out


def _ld(q: Fraction) -> Fraction:
    return _round_to_bits(q, 64)


_AR_ROUND = (5.0e-01, 5.0e-02, 5.0e-03, 5.0e-04, 5.0e-05,
             5.0e-06, 5.0e-07, 5.0e-08, 5.0e-09, 5.0e-10)
_F1E100 = Fraction(1e100)
_F1E10 = Fraction(1e10)
_F1E8 = Fraction(1e8)
_F1EM8 = Fraction(1e-8)
_F3EM16 = Fraction(3e-16)
_F01 = Fraction(0.1)


def _sqlite_printf_real(x: float, precision: int, *, generic: bool, altform2: bool) -> str:
    """SQLite 3.40's printf of one real for ``%.<precision>f`` (generic
    False) or ``%!.<precision>g`` (generic and altform2), step by step."""
    prefix = ""
    if x < 0:
        x = -x
        prefix = "-"
    if x == math.inf:
        return prefix + "Inf"
    real = Fraction(x)
    if generic and precision > 0:
        precision -= 1
    idx = precision & 0xFFF
    rounder = _AR_ROUND[idx % 10]
    while idx >= 10:
        rounder *= 1.0e-10
        idx -= 10
    if not generic:
        ex = math.frexp(x)[1] - 1 if x else -1023
        if precision + int(ex / 3) < 15:
            rounder = float(_ld(Fraction(rounder) + _ld(real * _F3EM16)))
        real = _ld(real + Fraction(rounder))
    exp = 0
    if real > 0:
        scale = Fraction(1)
        while real >= _ld(_F1E100 * scale) and exp <= 350:
            scale = _ld(scale * _F1E100)
            exp += 100
        while real >= _ld(_F1E10 * scale) and exp <= 350:
            scale = _ld(scale * _F1E10)
            exp += 10
        while real >= _ld(10 * scale) and exp <= 350:
            scale = _ld(scale * 10)
            exp += 1
        real = _ld(real / scale)
        while real < _F1EM8:
            real = _ld(real * _F1E8)
            exp -= 8
        while real < 1:
            real = _ld(real * 10)
            exp -= 1
        if exp > 350:
            return prefix + "Inf"
    if generic:
        real = _ld(real + Fraction(rounder))
        if real >= 10:
            real = _ld(real * _F01)
            exp += 1
        strip_zeros = True
        exp_form = exp < -4 or exp > precision
        if not exp_form:
            precision -= exp
    else:
        strip_zeros = altform2
        exp_form = False
    e2 = 0 if exp_form else exp
    significant = 16 + (10 if altform2 else 0)
    with_point = precision > 0 or altform2

    out = [prefix]

    def digit() -> str:
        nonlocal real, significant
        if significant <= 0:
            return "0"
        significant -= 1
        d = int(real)
        real = _ld(_ld(real - d) * 10)
        return chr(48 + d)

    if e2 < 0:
        out.append("0")
    else:
        for _ in range(e2 + 1):
            out.append(digit())
        e2 = -1
    if with_point:
        out.append(".")
    e2 += 1
    while e2 < 0:
        out.append("0")
        precision -= 1
        e2 += 1
    while precision > 0:
        out.append(digit())
        precision -= 1
    s = "".join(out)
    if strip_zeros and with_point:
        s = s.rstrip("0")
        if s.endswith("."):
            s = s + "0" if altform2 else s[:-1]
    if exp_form:
        sign = "-" if exp < 0 else "+"
        s += f"e{sign}{abs(exp):02d}"
    return s


# ------------------------------------------------- sorting and hashing

def sort_values(values: list[str], ncols: int, mode: str) -> list[str]:
    """Apply a sort mode: ``rowsort`` orders rows by their rendered values
    column by column (byte order), ``valuesort`` orders all values, and
    ``nosort`` keeps the order."""
    if mode == "nosort" or len(values) <= 1:
        return values
    if mode == "valuesort" or ncols == 1:
        return sorted(values)
    rows = [values[i:i + ncols] for i in range(0, len(values), ncols)]
    rows.sort()
    return [v for row in rows for v in row]


def values_md5(values: list[str]) -> str:
    """md5 of each value followed by a newline."""
    if not values:
        return hashlib.md5(b"").hexdigest()
    return hashlib.md5(("\n".join(values) + "\n").encode("utf-8", "surrogatepass")).hexdigest()


def hash_line(values: list[str]) -> str:
    return f"{len(values)} values hashing to {values_md5(values)}"
