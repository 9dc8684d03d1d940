"""SQLite's printf()/format() (lang_corefunc.html#printf, printf.html):
``%d %i %u %f %e %E %g %G %x %X %o %c %s %z %q %Q %w %%`` with the flags
``- + space 0 # , !``, a width and a precision (``*`` takes them from the
arguments)."""

from __future__ import annotations

import re

from .realfmt import sqlite_format
from .values import to_int, to_real, to_text

_SPEC = re.compile(r"%([-+ 0#,!]*)(\*|[0-9]+)?(?:\.(\*|[0-9]+))?(l{0,2})([a-zA-Z%])")
_CONVERSIONS = set("diufeEgGxXocszqQw%")


def sql_printf(fmt: str, args: tuple) -> str:
    out: list[str] = []
    pos = 0
    argi = 0

    def next_arg():
        nonlocal argi
        if argi < len(args):
            argi += 1
            return args[argi - 1]
        return None

    for m in _SPEC.finditer(fmt):
        out.append(fmt[pos:m.start()])
        pos = m.end()
        flags, width, prec, _long, conv = m.groups()
        if conv not in _CONVERSIONS:
            return "".join(out)   # SQLite stops at an unknown conversion
        if conv == "%":
            out.append("%")
            continue
        if width == "*":
            w = _int32(next_arg() or 0)
            if w < 0:
                flags += "-"
                w = -w if w > -2**31 else 0
        else:
            w = int(width) if width else 0
        if prec == "*":
            p = _int32(next_arg() or 0)
            if p < 0:       # a negative precision counts as its absolute value
                p = -p if p > -2**31 else None
        else:
            p = int(prec) if prec is not None else None
        arg = next_arg()
        out.append(_pad(_convert(conv, flags, p, arg), w, flags, conv))
    out.append(fmt[pos:])
    return "".join(out)


def _int32(v) -> int:
    n = to_int(v) & 0xFFFFFFFF
    return n - (1 << 32) if n >= 1 << 31 else n


def _in_bytes(flags: str, conv: str) -> bool:
    """Widths and precisions of the string conversions count UTF-8 bytes,
    unless the ! flag asks for characters."""
    return conv in "szqQw" and "!" not in flags


def _cut(s: str, prec: int | None, flags: str, conv: str) -> str:
    if prec is None:
        return s
    if not _in_bytes(flags, conv):
        return s[:prec]
    return s.encode("utf-8", "surrogateescape")[:prec].decode("utf-8", "surrogateescape")


def _pad(text: str, width: int, flags: str, conv: str) -> str:
    n = len(text.encode("utf-8", "surrogateescape")) if _in_bytes(flags, conv) else len(text)
    if n >= width:
        return text
    if "-" in flags:
        return text + " " * (width - n)
    if "0" in flags and conv in "diufeEgGxXo":
        sign = ""
        if text[:1] in "+- ":
            sign, text = text[0], text[1:]
        return sign + "0" * (width - len(text) - len(sign)) + text
    return " " * (width - n) + text


def _c_string(arg) -> str:
    """A string argument as printf's C code sees it: up to the first NUL."""
    s = to_text(arg)
    i = s.find("\x00")
    return s if i < 0 else s[:i]


def _sign(flags: str, negative: bool) -> str:
    if negative:
        return "-"
    if "+" in flags:
        return "+"
    if " " in flags:
        return " "
    return ""


def _convert(conv: str, flags: str, prec, arg) -> str:
    if conv in "diu":
        n = to_int(arg) if arg is not None else 0
        if conv == "u" and n < 0:
            n += 1 << 64
        digits = str(abs(n))
        if prec is not None and len(digits) < prec:
            digits = "0" * (prec - len(digits)) + digits
        if "," in flags:
            digits = f"{int(digits):,}"
        return _sign(flags, n < 0) + digits
    if conv in "xXo":
        n = to_int(arg) if arg is not None else 0
        if n < 0:
            n += 1 << 64
        text = format(n, {"x": "x", "X": "X", "o": "o"}[conv])
        if prec is not None and len(text) < prec:
            text = "0" * (prec - len(text)) + text
        if "#" in flags and n != 0:
            text = {"x": "0x", "X": "0X", "o": "0"}[conv] + text
        return text
    if conv in "feEgG":
        r = to_real(arg) if arg is not None else 0.0
        if r != r:
            return "NaN"
        if r in (float("inf"), float("-inf")):
            return _sign(flags, r < 0) + "Inf"
        return sqlite_format(r, conv, prec, flags)
    if conv == "c":
        s = to_text(arg) if arg is not None else ""
        ch = s[:1]
        n = 1 if prec is None else max(prec, 1)
        return ch * n if ch else ""
    if conv in "sz":
        return _cut("" if arg is None else _c_string(arg), prec, flags, conv)
    if conv == "q":
        if arg is None:
            return "(NULL)"
        return _cut(_c_string(arg).replace("'", "''"), prec, flags, conv)
    if conv == "Q":
        if arg is None:
            return "NULL"
        return "'" + _c_string(arg).replace("'", "''") + "'"
    if conv == "w":
        if arg is None:
            return "(NULL)"
        return _c_string(arg).replace('"', '""')
    return ""
