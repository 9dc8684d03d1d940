"""Reals printed exactly as SQLite 3.40's printf prints them (printf.c,
conversions %f, %e, %g and the ``!`` flag that CAST(x AS TEXT) uses).

SQLite does not print a double by correct rounding: it adds a rounding term
and extracts at most 16 significant digits (26 with ``!``) by repeated
multiplication in x87 long double arithmetic (64-bit significands).  The
results differ from Python's formatting near ties and beyond 16 digits, so
this module replays those steps with exact rationals rounded to 64 bits
after each operation.  A fast path uses Python's formatting where it
provably agrees (far from a tie, within 15 digits).

conformance/slt_format.py replays the same printf steps for the runner's
rendering of sqlite3's answers.  The two copies are deliberate: the engine
imports nothing outside engine/, and the proof must not render the oracle's
results with the code under test.
"""

from __future__ import annotations

import math
from fractions import Fraction

_ROUNDERS = (5.0e-01, 5.0e-02, 5.0e-03, 5.0e-04, 5.0e-05,
             5.0e-06, 5.0e-07, 5.0e-08, 5.0e-09, 5.0e-10)


def _ld(q: Fraction) -> Fraction:
    """``q`` rounded to the nearest value with a 64-bit significand (ties to even)."""
    if q == 0:
        return q
    num, den = q.numerator, q.denominator
    neg = num < 0
    if neg:
        num = -num
    # Find k with 2^63 <= num * 2^k / den < 2^64.
    k = 63 - (num.bit_length() - den.bit_length())
    while True:
        if k >= 0:
            a, b = num << k, den
        else:
            a, b = num, den << -k
        if a >= b << 64:
            k -= 1
        elif a < b << 63:
            k += 1
        else:
            break
    m, r = divmod(a, b)
    if 2 * r > b or (2 * r == b and m & 1):
        m += 1
    out = Fraction(m, 1 << k) if k >= 0 else Fraction(m << -k)
    return -out if neg else out


_F = {v: Fraction(v) for v in (1e100, 1e10, 1e8, 1e-8, 3e-16, 0.1)}


def sqlite_format(x: float, conv: str, precision: int | None, flags: str = "") -> str:
    """One real through SQLite's printf: ``conv`` is f, e, E, g or G;
    ``flags`` may hold ``+``, `` ``, ``#``, ``!`` (no width handling here)."""
    alt = "#" in flags
    alt2 = "!" in flags
    if precision is None:
        precision = 6
    prefix = ""
    if x < 0:
        x = -x
        prefix = "-"
    elif "+" in flags:
        prefix = "+"
    elif " " in flags:
        prefix = " "
    if x != x:
        return "NaN"
    if x == math.inf:
        return prefix + "Inf"
    kind = conv.lower()
    if kind == "g" and precision > 0:
        precision -= 1
    idx = precision & 0xFFF
    rounder = _ROUNDERS[idx % 10]
    while idx >= 10:
        rounder *= 1.0e-10
        idx -= 10
    real = Fraction(x)
    if kind == "f":
        ex = (math.frexp(x)[1] - 1) if x else -1023
        if precision + int(ex / 3) < 15:
            rounder = float(_ld(Fraction(rounder) + _ld(real * _F[3e-16])))
        real = _ld(real + Fraction(rounder))
    exp = 0
    if real > 0:
        scale = Fraction(1)
        while real >= _ld(_F[1e100] * scale) and exp <= 350:
            scale = _ld(scale * _F[1e100])
            exp += 100
        while real >= _ld(_F[1e10] * scale) and exp <= 350:
            scale = _ld(scale * _F[1e10])
            exp += 10
        while real >= _ld(10 * scale) and exp <= 350:
            scale = _ld(scale * 10)
            exp += 1
        real = _ld(real / scale)
        while real < _F[1e-8]:
            real = _ld(real * 100000000)
            exp -= 8
        while real < 1:
            real = _ld(real * 10)
            exp -= 1
        if exp > 350:
            return prefix + "Inf"
    if kind != "f":
        real = _ld(real + Fraction(rounder))
        if real >= 10:
            real = _ld(real * _F[0.1])
            exp += 1
    if kind == "g":
        rtz = not alt
        if exp < -4 or exp > precision:
            kind = "e"
        else:
            precision -= exp
            kind = "f"
    else:
        rtz = alt2
    e2 = 0 if kind == "e" else exp
    nsd = [16 + (10 if alt2 else 0)]
    state = [real]

    def digit() -> str:
        if nsd[0] <= 0:
            return "0"
        nsd[0] -= 1
        d = int(state[0])
        state[0] = _ld(_ld(state[0] - d) * 10)
        return chr(48 + d)

    out = [prefix]
    if e2 < 0:
        out.append("0")
    else:
        for _ in range(e2 + 1):
            out.append(digit())
        e2 = -1
    dp = precision > 0 or alt or alt2
    if dp:
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
    if rtz and dp:
        s = s.rstrip("0")
        if s.endswith("."):
            s = s + "0" if alt2 else s[:-1]
    if kind == "e":
        e = "E" if conv in "EG" else "e"
        s += f"{e}{'-' if exp < 0 else '+'}{abs(exp):02d}"
    return s


def real_to_text(x: float) -> str:
    """CAST(x AS TEXT) of a real: printf("%!.15g")."""
    if x == 0.0:
        return "0.0"
    if x != x:
        return "NaN"
    a = -x if x < 0 else x
    if a == math.inf:
        return "-Inf" if x < 0 else "Inf"
    if 1e-5 <= a < 1e15:
        # Correct rounding to 15 digits agrees with SQLite unless the 16th
        # and later digits are close to a tie.
        probe = "%.17e" % a
        tail = int(probe[16:19])
        if abs(tail - 500) > 3:
            s = "%.15g" % a
            if "e" in s:
                mant, _, e = s.partition("e")
                if "." not in mant:
                    mant += ".0"
                s = mant + "e" + e
            elif "." not in s:
                s += ".0"
            return "-" + s if x < 0 else s
    return sqlite_format(x, "g", 15, "!")
