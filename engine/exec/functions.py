"""Core scalar functions (lang_corefunc.html).

Each function takes already-evaluated argument values and returns a value.
``SCALARS`` maps a lower-case name to ``(min_args, max_args, function)``;
max_args of -1 means any number.  Functions that need the connection
(changes(), last_insert_rowid(), ...) take the runtime as first argument and
are listed in ``NEEDS_RUNTIME``.
"""

from __future__ import annotations

import math
import os

from ..errors import SQLError, TooBigError
from ..sql import ast
from .dates import DATE_FUNCTIONS
from .json1 import JSON_SCALARS
from .mathfuncs import MATH_FUNCTIONS
from .printf import sql_printf
from .realfmt import sqlite_format
from .ops import c_string
from .values import (
    INT64_MIN, compare as cmp_any, real_to_text, text_prefix_number, text_to_numeric, to_blob, to_int,
    to_real, to_text, typeof,
)


def _abs(x):
    if x is None:
        return None
    if isinstance(x, int):
        if x == INT64_MIN:
            raise SQLError("integer overflow")
        return abs(x)
    if isinstance(x, float):
        return abs(x)
    return abs(float(text_prefix_number(x)))


def _coalesce(*args):
    for a in args:
        if a is not None:
            return a
    return None


def _nullif(coll, a, b):
    if a is not None and b is not None and cmp_any(a, b, coll) == 0:
        return None
    return a


def _iif(c, a, b):
    from .values import truth
    return a if truth(c) else b


def _length(x):
    if x is None:
        return None
    if isinstance(x, (bytes, bytearray)):
        return len(x)
    s = to_text(x)
    i = s.find("\x00")
    return len(s) if i < 0 else i


def _ascii_upper(s: str) -> str:
    return s.upper() if s.isascii() else "".join(chr(ord(c) - 32) if "a" <= c <= "z" else c for c in s)


def _ascii_lower(s: str) -> str:
    return s.lower() if s.isascii() else "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


def _upper(x):
    return None if x is None else _ascii_upper(to_text(x))


def _lower(x):
    return None if x is None else _ascii_lower(to_text(x))


_MISSING = object()
LIMIT_LENGTH = 1_000_000_000


def _int32(v) -> int:
    """sqlite3_value_int: the 64-bit value's low 32 bits, as a signed int."""
    n = to_int(v) & 0xFFFFFFFF
    return n - (1 << 32) if n >= 1 << 31 else n


def _substr(x, start, length=_MISSING):
    """substr() exactly as func.c computes it (32-bit start and length)."""
    if x is None or start is None or length is None:
        return None
    is_blob = isinstance(x, (bytes, bytearray))
    s = bytes(x) if is_blob else c_string(to_text(x))
    if is_blob and not s:
        return None
    n = len(s)
    p1 = _int32(start)
    neg = False
    if length is _MISSING:
        p2 = LIMIT_LENGTH
    else:
        p2 = _int32(length)
        if p2 < 0:
            p2 = -p2
            neg = True
    if p1 < 0:
        p1 += n
        if p1 < 0:
            p2 += p1
            if p2 < 0:
                p2 = 0
            p1 = 0
    elif p1 > 0:
        p1 -= 1
    elif p2 > 0:
        p2 -= 1
    if neg:
        p1 -= p2
        if p1 < 0:
            p2 += p1
            p1 = 0
    return s[p1:p1 + p2]


def _instr(hay, needle):
    if hay is None or needle is None:
        return None
    if isinstance(hay, (bytes, bytearray)) and isinstance(needle, (bytes, bytearray)):
        return bytes(hay).find(bytes(needle)) + 1
    return to_text(hay).find(to_text(needle)) + 1


def _trim(x, chars=None, *, _mode="both"):
    if x is None:
        return None
    if chars is None:
        cs = " "
    else:
        cs = to_text(chars)
    s = to_text(x)
    if _mode in ("both", "left"):
        s = s.lstrip(cs) if cs else s
    if _mode in ("both", "right"):
        s = s.rstrip(cs) if cs else s
    return s


def _replace(x, old, new):
    if x is None or old is None:
        return None
    s = to_text(x)
    o = to_text(old)
    if o == "" or o[0] == "\0":
        # sqlite3 hands back its first argument (read as text only if a
        # blob) before it looks at the replacement, NULL or not; it tests
        # the pattern's first byte, so one starting with NUL counts as empty.
        return s if isinstance(x, (bytes, bytearray)) else x
    if new is None:
        return None
    return s.replace(o, to_text(new))


def _hex(x):
    if x is None:
        return ""
    return to_blob(x).hex().upper()


def _quote(x):
    if x is None:
        return "NULL"
    if isinstance(x, int):
        return str(x)
    if isinstance(x, float):
        # 15 digits when they read back as the same real, else 20 (func.c).
        text = real_to_text(x)
        if text_to_numeric(text) != x and not math.isinf(x):
            text = sqlite_format(x, "e", 20, "!")
        return text
    if isinstance(x, (bytes, bytearray)):
        return "X'" + bytes(x).hex().upper() + "'"
    return "'" + c_string(x).replace("'", "''") + "'"


def _round(x, digits=0):
    if x is None or digits is None:
        return None
    n = _int32(digits)
    n = min(max(n, 0), 30)
    r = to_real(x)
    if r < -4503599627370496.0 or r > 4503599627370496.0 or r != r:
        return r               # no fractional part to round
    if n == 0:
        return float(int(r + (-0.5 if r < 0 else 0.5)))
    # SQLite rounds by printing with printf("%.*f") and reading the text back.
    return float(sqlite_format(r, "f", n))


def _char(*codes):
    out = []
    for c in codes:
        v = to_int(c) if c is not None else 0
        if v < 0 or v > 0x10FFFF:
            v = 0xFFFD
        out.append(chr(v))
    return "".join(out)


_F8_TO_FF = (0, 1, 2, 3, 0, 1, 0, 0)


def _unicode(x):
    """The first character's code point, read from the UTF-8 bytes the way
    sqlite3's reader does: a lead byte takes every continuation byte after
    it, a lone continuation byte is its own value, and overlong forms,
    surrogates and U+FFFE/U+FFFF read as U+FFFD."""
    if x is None:
        return None
    s = to_text(x)
    if not s or s[0] == "\x00":     # read as a C string: empty
        return None
    if s[0] < "\x80" or not ("\udc80" <= s[0] <= "\udcff"):
        return ord(s[0])
    b = s.encode("utf-8", "surrogateescape")
    c = b[0]
    if c < 0xC0:
        return c
    c = c - 0xC0 if c < 0xE0 else c - 0xE0 if c < 0xF0 else c - 0xF0 if c < 0xF8 else _F8_TO_FF[c - 0xF8]
    for byte in b[1:]:
        if byte & 0xC0 != 0x80:
            break
        c = (c << 6) + (byte & 0x3F)
    if c < 0x80 or (c & 0xFFFFF800) == 0xD800 or (c & 0xFFFFFFFE) == 0xFFFE:
        return 0xFFFD
    return c


def _typeof(x):
    return typeof(x)


def _zeroblob(n):
    k = to_int(n) if n is not None else 0
    if k > 1_000_000_000:
        raise TooBigError("string or blob too big")
    return bytes(max(0, k))


def _random():
    return int.from_bytes(os.urandom(8), "little", signed=True)


def _randomblob(n):
    if n is None:
        return None
    k = to_int(n)
    if k > 1_000_000_000:
        raise TooBigError("string or blob too big")
    return os.urandom(max(1, k))


def _max(coll, *args):
    best = None
    for a in args:
        if a is None:
            return None
        if best is None or cmp_any(a, best, coll) > 0:
            best = a
    return best


def _min(coll, *args):
    best = None
    for a in args:
        if a is None:
            return None
        if best is None or cmp_any(a, best, coll) < 0:
            best = a
    return best


def _soundex(x):
    s = "" if x is None else to_text(x)
    i = 0
    while i < len(s) and not (s[i].isascii() and s[i].isalpha()):
        i += 1
    if i >= len(s):
        return "?000"
    prev = _SOUNDEX.get(s[i].upper(), 0)
    out = [s[i].upper()]
    while len(out) < 4 and i < len(s):
        code = _SOUNDEX.get(s[i].upper(), 0) if s[i].isascii() else 0
        if code > 0:
            if code != prev:
                prev = code
                out.append(str(code))
        else:
            prev = 0
        i += 1
    return "".join(out).ljust(4, "0")


_SOUNDEX = {c: int(d) for c, d in zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "01230120022455012623010202")}


def _like_function(pattern, value, escape=_MISSING):
    from .ops import like
    return like(value, pattern, None if escape is _MISSING else escape)


def _glob_function(pattern, value):
    from .ops import glob
    return glob(value, pattern)


def _sign(x):
    if isinstance(x, str):
        x = text_to_numeric(x)
    if not isinstance(x, (int, float)):
        return None
    return (x > 0) - (x < 0)


def _printf(fmt=None, *args):
    if fmt is None:
        return None
    return sql_printf(to_text(fmt), args)


def _changes(rt):
    return rt.db.changes


def _total_changes(rt):
    return rt.db.total_changes


def _last_insert_rowid(rt):
    return rt.db.last_insert_rowid


def _sqlite_version():
    return "3.40.1"


SOURCE_ID = "2022-12-28 14:03:47 df5c253c0b3dd24916e4ec7cf77d3db5294cc9fd45ae7b9c5e82ad8197f3alt1"


def _ltrim(x, chars=None):
    return _trim(x, chars, _mode="left")


def _rtrim(x, chars=None):
    return _trim(x, chars, _mode="right")


def _btrim(x, chars=None):
    return _trim(x, chars, _mode="both")


def _null_if_any_null(fn):
    def wrapped(*args):
        for a in args:
            if a is None:
                return None
        return fn(*args)
    wrapped.__name__ = fn.__name__
    return wrapped


SCALARS = {
    "abs": (1, 1, _abs),
    "coalesce": (2, -1, _coalesce),
    "ifnull": (2, 2, _coalesce),
    "nullif": (2, 2, _nullif),
    "iif": (3, 3, _iif),
    "length": (1, 1, _length),
    "upper": (1, 1, _upper),
    "lower": (1, 1, _lower),
    "substr": (2, 3, _substr),
    "substring": (2, 3, _substr),
    "instr": (2, 2, _instr),
    "trim": (1, 2, _null_if_any_null(_btrim)),
    "ltrim": (1, 2, _null_if_any_null(_ltrim)),
    "rtrim": (1, 2, _null_if_any_null(_rtrim)),
    "replace": (3, 3, _replace),
    "hex": (1, 1, _hex),
    "quote": (1, 1, _quote),
    "round": (1, 2, _round),
    "char": (0, -1, _char),
    "unicode": (1, 1, _unicode),
    "typeof": (1, 1, _typeof),
    "zeroblob": (1, 1, _zeroblob),
    "random": (0, 0, _random),
    "randomblob": (1, 1, _randomblob),
    "max": (2, -1, _max),
    "min": (2, -1, _min),
    "likely": (1, 1, lambda x: x),
    "unlikely": (1, 1, lambda x: x),
    "likelihood": (2, 2, lambda x, p: x),
    "sign": (1, 1, _sign),
    "soundex": (1, 1, _soundex),
    "like": (2, 3, _like_function),
    "glob": (2, 2, _glob_function),
    "sqlite_source_id": (0, 0, lambda: SOURCE_ID),
    "printf": (0, -1, _printf),
    "format": (0, -1, _printf),
    "changes": (0, 0, _changes),
    "total_changes": (0, 0, _total_changes),
    "last_insert_rowid": (0, 0, _last_insert_rowid),
    "sqlite_version": (0, 0, _sqlite_version),
}

SCALARS.update(MATH_FUNCTIONS)
SCALARS.update(DATE_FUNCTIONS)
SCALARS.update(JSON_SCALARS)

# Functions that take the collation of their arguments as a first parameter
# (SQLITE_FUNC_NEEDCOLL): the first argument with a collation decides.
NEEDS_COLLATION = {"max", "min", "nullif"}

NEEDS_RUNTIME = {"changes", "total_changes", "last_insert_rowid"}

# Functions sqlite3 registers as non-deterministic: prohibited in index
# expressions, partial index WHERE clauses and generated columns.
NONDETERMINISTIC = frozenset({"random", "randomblob", "changes", "total_changes", "last_insert_rowid",
                              "sqlite_version", "sqlite_source_id", "sqlite_compileoption_used",
                              "sqlite_compileoption_get"})


def first_nondeterministic(db, expr):
    """The first node of ``expr`` that sqlite3 counts as non-deterministic,
    or None.  CURRENT_TIME and friends are; so is like() (and the LIKE
    operator) once PRAGMA case_sensitive_like has been written on this
    connection, because the pragma registers like() again without the
    deterministic flag."""
    from .expr import walk
    like_redefined = getattr(db, "like_redefined", False)
    for node in walk(expr):
        if isinstance(node, ast.CurrentTime):
            return node
        if isinstance(node, ast.FunctionCall) and node.over is None:
            name = node.name.lower()
            if name in NONDETERMINISTIC or (name == "like" and like_redefined):
                return node
        if like_redefined and isinstance(node, ast.Like) and node.op.upper() == "LIKE":
            return node
    return None
