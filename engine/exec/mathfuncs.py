"""The built-in math functions (lang_mathfunc.html), as sqlite3 3.40 has them
compiled in.

An argument that is not a number (after SQLite's numeric conversion of
text) gives NULL, and so does a result that is not a number (NaN).
"""

from __future__ import annotations

import math

from .values import text_to_numeric


def _number(x):
    """sqlite3_value_numeric_type + sqlite3_value_double: the argument as a
    number, or None when it is not one."""
    if isinstance(x, bool):
        return int(x)
    if isinstance(x, (int, float)):
        return x
    if isinstance(x, str):
        return text_to_numeric(x)
    return None


def _real(r):
    return None if r is None or r != r else r


def _unary(fn):
    def apply(x):
        v = _number(x)
        if v is None:
            return None
        try:
            return _real(fn(float(v)))
        except ValueError:
            return None
        except OverflowError:      # C returns an infinity here
            return -math.inf if v < 0 and fn is not math.cosh else math.inf
    return apply


def _ceil_floor(fn):
    def apply(x):
        v = _number(x)
        if v is None:
            return None
        if isinstance(v, int):
            return v
        if math.isinf(v):
            return v
        return float(fn(v))
    return apply


# sqlite3 computes log10 and log2 as the natural logarithm divided by these
# constants (M_LN10, M_LN2), which differs from C's log10()/log2() in the
# last bits: log10(2) is 0.30102999566398114, not ...0.3010299956639812.
_LN10 = math.log(10.0)
_LN2 = math.log(2.0)


def _log(*args):
    if len(args) == 1:
        x = _number(args[0])
        if x is None or x <= 0:
            return None
        return math.log(x) / _LN10
    b = _number(args[0])
    x = _number(args[1])
    if b is None or x is None or x <= 0 or b <= 0:
        return None
    lb = math.log(b)
    if lb <= 0:
        return None
    return math.log(x) / lb


def _ln(x):
    v = _number(x)
    if v is None or v <= 0:
        return None
    return math.log(v)


def _log2(x):
    v = _number(x)
    if v is None or v <= 0:
        return None
    return math.log(v) / _LN2


def _log10(x):
    v = _number(x)
    if v is None or v <= 0:
        return None
    return math.log(v) / _LN10


def _pow(x, y):
    a = _number(x)
    b = _number(y)
    if a is None or b is None:
        return None
    try:
        return _real(math.pow(float(a), float(b)))
    except OverflowError:
        # C's pow() keeps the sign of a negative base under an odd integer power.
        fb = float(b)
        odd = fb == int(fb) and int(fb) % 2 == 1
        return -math.inf if a < 0 and odd else math.inf
    except ValueError:
        if a == 0 and b < 0:       # C's pow(0, negative) is an infinity
            fb = float(b)
            odd = fb == int(fb) and int(fb) % 2 == 1
            return -math.inf if odd and math.copysign(1.0, float(a)) < 0 else math.inf
        return None


def _mod(x, y):
    a = _number(x)
    b = _number(y)
    if a is None or b is None:
        return None
    try:
        return _real(math.fmod(float(a), float(b)))
    except ValueError:
        return None


def _atan2(y, x):
    a = _number(y)
    b = _number(x)
    if a is None or b is None:
        return None
    return math.atan2(float(a), float(b))


def _exp(x):
    v = _number(x)
    if v is None:
        return None
    try:
        return math.exp(v)
    except OverflowError:
        return math.inf


def _trunc(x):
    v = _number(x)
    if v is None:
        return None
    if isinstance(v, int) or math.isinf(v):
        return v
    return float(math.trunc(v))


MATH_FUNCTIONS = {
    "acos": (1, 1, _unary(math.acos)),
    "acosh": (1, 1, _unary(math.acosh)),
    "asin": (1, 1, _unary(math.asin)),
    "asinh": (1, 1, _unary(math.asinh)),
    "atan": (1, 1, _unary(math.atan)),
    "atan2": (2, 2, _atan2),
    "atanh": (1, 1, _unary(lambda v: math.copysign(math.inf, v) if abs(v) == 1 else math.atanh(v))),
    "ceil": (1, 1, _ceil_floor(math.ceil)),
    "ceiling": (1, 1, _ceil_floor(math.ceil)),
    "cos": (1, 1, _unary(math.cos)),
    "cosh": (1, 1, _unary(math.cosh)),
    "degrees": (1, 1, _unary(math.degrees)),
    "exp": (1, 1, _exp),
    "floor": (1, 1, _ceil_floor(math.floor)),
    "ln": (1, 1, _ln),
    "log": (1, 2, _log),
    "log10": (1, 1, _log10),
    "log2": (1, 1, _log2),
    "mod": (2, 2, _mod),
    "pi": (0, 0, lambda: math.pi),
    "pow": (2, 2, _pow),
    "power": (2, 2, _pow),
    "radians": (1, 1, _unary(math.radians)),
    "sin": (1, 1, _unary(math.sin)),
    "sinh": (1, 1, _unary(math.sinh)),
    "sqrt": (1, 1, _unary(math.sqrt)),
    "tan": (1, 1, _unary(math.tan)),
    "tanh": (1, 1, _unary(math.tanh)),
    "trunc": (1, 1, _trunc),
}
