"""Date and time functions (lang_datefunc.html): date, time, datetime,
julianday, unixepoch, strftime, with every time-value form and modifier that
sqlite3 3.40 accepts.

Like SQLite, a time is held as a Julian day number in milliseconds (iJD)
and/or broken-down fields, each computed from the other when needed; all
integer arithmetic truncates toward zero as C does.  Any parse or range
problem makes the function return NULL.
"""

from __future__ import annotations

import re
import time as _time

from .realfmt import sqlite_format
from .values import text_to_numeric

MAX_JD = 464269060799999          # 9999-12-31 23:59:59.999
UNIX_EPOCH_JD_MS = 210866760000000


def _cdiv(a: int, b: int) -> int:
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


class _Invalid(Exception):
    pass


class DateTime:
    __slots__ = ("jd", "Y", "M", "D", "h", "m", "s", "tz", "valid_jd", "valid_ymd",
                 "valid_hms", "valid_tz", "raw_s", "raw", "error")

    def __init__(self):
        self.jd = 0
        self.Y = self.M = self.D = 0
        self.h = self.m = 0
        self.s = 0.0
        self.tz = 0
        self.valid_jd = self.valid_ymd = self.valid_hms = self.valid_tz = False
        self.raw_s = False
        self.raw = 0.0
        self.error = False

    # -- conversions (date.c computeJD / computeYMD / computeHMS) -------------

    def compute_jd(self) -> None:
        if self.valid_jd:
            return
        if self.valid_ymd:
            Y, M, D = self.Y, self.M, self.D
        else:
            Y, M, D = 2000, 1, 1
        if Y < -4713 or Y > 9999 or self.raw_s:
            raise _Invalid
        if M <= 2:
            Y -= 1
            M += 12
        A = _cdiv(Y, 100)
        B = 2 - A + _cdiv(A, 4)
        X1 = _cdiv(36525 * (Y + 4716), 100)
        X2 = _cdiv(306001 * (M + 1), 10000)
        self.jd = int((X1 + X2 + D + B - 1524.5) * 86400000)
        self.valid_jd = True
        if self.valid_hms:
            self.jd += self.h * 3600000 + self.m * 60000 + int(self.s * 1000 + 0.5)
            if self.valid_tz:
                self.jd -= self.tz * 60000
                self.valid_ymd = False
                self.valid_hms = False
                self.valid_tz = False

    def compute_ymd(self) -> None:
        if self.valid_ymd:
            return
        if not self.valid_jd:
            self.Y, self.M, self.D = 2000, 1, 1
        elif not 0 <= self.jd <= MAX_JD:
            raise _Invalid
        else:
            Z = _cdiv(self.jd + 43200000, 86400000)
            A = int((Z - 1867216.25) / 36524.25)
            A = Z + 1 + A - _cdiv(A, 4)
            B = A + 1524
            C = int((B - 122.1) / 365.25)
            D = _cdiv(36525 * (C & 32767), 100)
            E = int((B - D) / 30.6001)
            X1 = int(30.6001 * E)
            self.D = B - D - X1
            self.M = E - 1 if E < 14 else E - 13
            self.Y = C - 4716 if self.M > 2 else C - 4715
        self.valid_ymd = True

    def compute_hms(self) -> None:
        if self.valid_hms:
            return
        self.compute_jd()
        ms = (self.jd + 43200000) % 86400000
        s = ms / 1000.0
        whole = int(s)
        frac = s - whole
        self.h = whole // 3600
        whole -= self.h * 3600
        self.m = whole // 60
        self.s = frac + (whole - self.m * 60)
        self.raw_s = False
        self.valid_hms = True

    def compute_ymd_hms(self) -> None:
        self.compute_ymd()
        self.compute_hms()

    def clear_ymd_hms_tz(self) -> None:
        self.valid_ymd = False
        self.valid_hms = False
        self.valid_tz = False

    def set_raw_number(self, r: float) -> None:
        self.raw = r
        self.s = r
        self.raw_s = True
        if 0.0 <= r < 5373484.5:
            self.jd = int(r * 86400000.0 + 0.5)
            self.valid_jd = True


# -- parsing (date.c parseYyyyMmDd / parseHhMmSs / parseTimezone) ------------

_SPACE = " \t\n\f\r\v"


def _digits(z: str, pos: int, n: int, lo: int, hi: int) -> int | None:
    part = z[pos:pos + n]
    if len(part) != n or not all("0" <= c <= "9" for c in part):
        return None
    v = int(part)
    return v if lo <= v <= hi else None


def _parse_timezone(z: str, pos: int, p: DateTime) -> bool:
    """True on error (trailing text)."""
    while pos < len(z) and z[pos] in _SPACE:
        pos += 1
    p.tz = 0
    if pos >= len(z):
        return False
    c = z[pos]
    if c in "Zz":
        pos += 1
    elif c in "+-":
        sign = -1 if c == "-" else 1
        pos += 1
        hr = _digits(z, pos, 2, 0, 14)
        if hr is None or z[pos + 2:pos + 3] != ":":
            return True
        mn = _digits(z, pos + 3, 2, 0, 59)
        if mn is None:
            return True
        pos += 5
        p.tz = sign * (mn + hr * 60)
    else:
        return True
    while pos < len(z) and z[pos] in _SPACE:
        pos += 1
    return pos != len(z)


def _parse_hms(z: str, pos: int, p: DateTime) -> bool:
    """True on error."""
    h = _digits(z, pos, 2, 0, 24)
    if h is None or z[pos + 2:pos + 3] != ":":
        return True
    m = _digits(z, pos + 3, 2, 0, 59)
    if m is None:
        return True
    pos += 5
    s = 0
    ms = 0.0
    if z[pos:pos + 1] == ":":
        pos += 1
        s = _digits(z, pos, 2, 0, 59)
        if s is None:
            return True
        pos += 2
        if z[pos:pos + 1] == "." and z[pos + 1:pos + 2].isdigit():
            pos += 1
            scale = 1.0
            while pos < len(z) and "0" <= z[pos] <= "9":
                ms = ms * 10.0 + (ord(z[pos]) - 48)
                scale *= 10.0
                pos += 1
            ms /= scale
    p.valid_jd = False
    p.raw_s = False
    p.valid_hms = True
    p.h, p.m, p.s = h, m, s + ms
    if _parse_timezone(z, pos, p):
        return True
    p.valid_tz = p.tz != 0
    return False


def _parse_ymd(z: str, p: DateTime) -> bool:
    """True on error."""
    pos = 0
    neg = False
    if z[:1] == "-":
        neg = True
        pos = 1
    Y = _digits(z, pos, 4, 0, 9999)
    if Y is None or z[pos + 4:pos + 5] != "-":
        return True
    M = _digits(z, pos + 5, 2, 1, 12)
    if M is None or z[pos + 7:pos + 8] != "-":
        return True
    D = _digits(z, pos + 8, 2, 1, 31)
    if D is None:
        return True
    pos += 10
    while pos < len(z) and (z[pos] in _SPACE or z[pos] == "T"):
        pos += 1
    if pos < len(z):
        if _parse_hms(z, pos, p):
            return True
    else:
        p.valid_hms = False
    p.valid_jd = False
    p.valid_ymd = True
    p.Y = -Y if neg else Y
    p.M = M
    p.D = D
    if p.valid_tz:
        p.compute_jd()
    return False


def _set_now(p: DateTime) -> None:
    ms = int(_time.time() * 1000)
    p.jd = ms + UNIX_EPOCH_JD_MS
    p.valid_jd = True


def _parse_time_value(z: str, p: DateTime) -> bool:
    """True when ``z`` is not a time value."""
    if not _parse_ymd(z, p):
        return False
    p.__init__()
    if not _parse_hms(z, 0, p):
        return False
    p.__init__()
    if z.lower() == "now":
        _set_now(p)
        return False
    n = text_to_numeric(z)
    if n is not None:
        p.set_raw_number(float(n))
        return False
    return True


# -- modifiers (date.c parseModifier) ---------------------------------------

_UNITS = (
    ("second", 4.6427e+14, 1.0),
    ("minute", 7.7379e+12, 60.0),
    ("hour", 1.2897e+11, 3600.0),
    ("day", 5373485.0, 86400.0),
    ("month", 176546.0, 2592000.0),
    ("year", 14713.0, 31536000.0),
)

_NUMBER_PREFIX = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _modifier(text: str, p: DateTime, idx: int) -> bool:
    """Apply one modifier; True on error."""
    z = text.lower()
    if z == "auto":
        if idx > 1:
            return True
        if not p.raw_s or p.valid_jd:
            p.raw_s = False
            return False
        if -210866760000 <= p.raw <= 253402300799:
            r = p.raw * 1000.0 + UNIX_EPOCH_JD_MS
            p.clear_ymd_hms_tz()
            p.jd = int(r + 0.5)
            p.valid_jd = True
            p.raw_s = False
            return False
        return True
    if z == "julianday":
        if idx > 1:
            return True
        if p.valid_jd and p.raw_s:
            p.raw_s = False
            return False
        return True
    if z == "unixepoch" and p.raw_s:
        if idx > 1:
            return True
        r = p.raw * 1000.0 + UNIX_EPOCH_JD_MS
        if 0.0 <= r < 464269060800000.0:
            p.clear_ymd_hms_tz()
            p.jd = int(r + 0.5)
            p.valid_jd = True
            p.raw_s = False
            return False
        return True
    if z == "localtime":
        p.compute_jd()
        return _to_local(p)
    if z == "utc":
        p.compute_jd()
        return _to_utc(p)
    if z.startswith("weekday "):
        n = text_to_numeric(z[8:])
        if n is None or n != int(n) or not 0 <= n < 7:
            return True
        n = int(n)
        p.compute_ymd_hms()
        p.valid_tz = False
        p.valid_jd = False
        p.compute_jd()
        Z = _cdiv(p.jd + 129600000, 86400000) % 7
        if Z > n:
            Z -= 7
        p.jd += (n - Z) * 86400000
        p.clear_ymd_hms_tz()
        return False
    if z.startswith("start of "):
        if not (p.valid_jd or p.valid_ymd or p.valid_hms):
            return True
        p.compute_ymd()
        p.valid_hms = True
        p.h = p.m = 0
        p.s = 0.0
        p.raw_s = False
        p.valid_tz = False
        p.valid_jd = False
        what = z[9:]
        if what == "month":
            p.D = 1
        elif what == "year":
            p.M = 1
            p.D = 1
        elif what != "day":
            return True
        return False
    if z[:1] in "+-0123456789":
        n = 1
        while n < len(z) and z[n] != ":" and z[n] not in _SPACE:
            n += 1
        r = text_to_numeric(z[:n])
        if r is None:
            return True
        r = float(r)
        if n < len(z) and z[n] == ":":
            z2 = z if z[0].isdigit() else z[1:]
            tx = DateTime()
            if _parse_hms(z2, 0, tx):
                return True
            tx.compute_jd()
            tx.jd -= 43200000
            day = _cdiv(tx.jd, 86400000)
            tx.jd -= day * 86400000
            if z[0] == "-":
                tx.jd = -tx.jd
            p.compute_jd()
            p.clear_ymd_hms_tz()
            p.jd += tx.jd
            return False
        unit = z[n:].lstrip(_SPACE)
        if len(unit) > 10 or len(unit) < 3:
            return True
        if unit.endswith("s"):
            unit = unit[:-1]
        p.compute_jd()
        rounder = -0.5 if r < 0 else 0.5
        for name, limit, seconds in _UNITS:
            if unit == name and -limit < r < limit:
                if name == "month":
                    p.compute_ymd_hms()
                    p.M += int(r)
                    x = _cdiv(p.M - 1, 12) if p.M > 0 else _cdiv(p.M - 12, 12)
                    p.Y += x
                    p.M -= x * 12
                    p.valid_jd = False
                    r -= int(r)
                elif name == "year":
                    p.compute_ymd_hms()
                    p.Y += int(r)
                    p.valid_jd = False
                    r -= int(r)
                p.compute_jd()
                p.jd += int(r * 1000.0 * seconds + rounder)
                p.clear_ymd_hms_tz()
                return False
        p.clear_ymd_hms_tz()
        return True
    return True


def _to_local(p: DateTime) -> bool:
    secs = _cdiv(p.jd, 1000) - 21086676 * 10000
    try:
        t = _time.localtime(secs)
    except (OverflowError, OSError, ValueError):
        return True
    p.Y, p.M, p.D, p.h, p.m = t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min
    p.s = t.tm_sec + (p.jd % 1000) * 0.001
    p.valid_ymd = p.valid_hms = True
    p.valid_jd = False
    p.raw_s = False
    p.valid_tz = False
    return False


def _to_utc(p: DateTime) -> bool:
    secs = _cdiv(p.jd, 1000) - 21086676 * 10000
    try:
        offset = _time.localtime(secs).tm_gmtoff
    except (OverflowError, OSError, ValueError):
        return True
    p.jd -= offset * 1000
    p.clear_ymd_hms_tz()
    return False


def _is_date(args) -> DateTime | None:
    p = DateTime()
    try:
        if not args:
            _set_now(p)
            p.compute_jd()
            return p
        a0 = args[0]
        if isinstance(a0, (int, float)) and not isinstance(a0, bool):
            p.set_raw_number(float(a0))
        else:
            if a0 is None:
                return None
            z = a0 if isinstance(a0, str) else bytes(a0).decode("utf-8", "surrogateescape")
            if _parse_time_value(z, p):
                return None
        for i, m in enumerate(args[1:], 1):
            if m is None:
                return None
            text = m if isinstance(m, str) else str(m) if isinstance(m, (int, float)) else \
                bytes(m).decode("utf-8", "surrogateescape")
            if _modifier(text, p, i):
                return None
        p.compute_jd()
        if p.error or not 0 <= p.jd <= MAX_JD:
            return None
        return p
    except _Invalid:
        return None


# -- the SQL functions --------------------------------------------------------


def _ymd(p: DateTime) -> str:
    y = abs(p.Y)
    return f"{'-' if p.Y < 0 else ''}{y:04d}-{p.M:02d}-{p.D:02d}"


def _hms(p: DateTime) -> str:
    return f"{p.h:02d}:{p.m:02d}:{int(p.s):02d}"


def date(*args):
    p = _is_date(args)
    if p is None:
        return None
    try:
        p.compute_ymd()
    except _Invalid:
        return None
    return _ymd(p)


def time_(*args):
    p = _is_date(args)
    if p is None:
        return None
    p.compute_hms()
    return _hms(p)


def datetime(*args):
    p = _is_date(args)
    if p is None:
        return None
    try:
        p.compute_ymd_hms()
    except _Invalid:
        return None
    return _ymd(p) + " " + _hms(p)


def julianday(*args):
    p = _is_date(args)
    if p is None:
        return None
    return p.jd / 86400000.0


def unixepoch(*args):
    p = _is_date(args)
    if p is None:
        return None
    return _cdiv(p.jd, 1000) - 21086676 * 10000


def strftime(fmt=None, *args):
    if fmt is None:
        return None
    p = _is_date(args)
    if p is None:
        return None
    fmt = fmt if isinstance(fmt, str) else str(fmt)
    try:
        p.compute_ymd_hms()
    except _Invalid:
        return None
    out = []
    i = 0
    n = len(fmt)
    while i < n:
        c = fmt[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        i += 1
        if i >= n:
            return None
        c = fmt[i]
        i += 1
        if c == "d":
            out.append(f"{p.D:02d}")
        elif c == "f":
            s = p.s
            if s > 59.999:
                s = 59.999
            out.append(sqlite_format(s, "f", 3).rjust(6, "0"))
        elif c == "H":
            out.append(f"{p.h:02d}")
        elif c in "Wj":
            y = DateTime()      # a copy of p (time of day included) on January 1st
            for attr in DateTime.__slots__:
                setattr(y, attr, getattr(p, attr))
            y.valid_jd = False
            y.M, y.D = 1, 1
            y.compute_jd()
            nday = _cdiv(p.jd - y.jd + 43200000, 86400000)
            if c == "W":
                wd = _cdiv(p.jd + 43200000, 86400000) % 7
                out.append(f"{_cdiv(nday + 7 - wd, 7):02d}")
            else:
                out.append(f"{nday + 1:03d}")
        elif c == "J":
            out.append(sqlite_format(p.jd / 86400000.0, "g", 16))
        elif c == "m":
            out.append(f"{p.M:02d}")
        elif c == "M":
            out.append(f"{p.m:02d}")
        elif c == "s":
            out.append(str(_cdiv(p.jd, 1000) - 21086676 * 10000))
        elif c == "S":
            out.append(f"{int(p.s):02d}")
        elif c == "w":
            out.append(str(_cdiv(p.jd + 129600000, 86400000) % 7))
        elif c == "Y":
            out.append(f"{p.Y:04d}")
        elif c == "%":
            out.append("%")
        else:
            return None
    return "".join(out)


DATE_FUNCTIONS = {
    "date": (0, -1, date),
    "time": (0, -1, time_),
    "datetime": (0, -1, datetime),
    "julianday": (0, -1, julianday),
    "unixepoch": (0, -1, unixepoch),
    "strftime": (1, -1, strftime),
}

