"""Small text helpers shared by the renderers and the gate: shortening to
one line, and making arbitrary result text safe for XML and HTML."""

from __future__ import annotations


def one_line(text: str, limit: int = 200) -> str:
    """The first line of ``text``, shortened, for places that take one line."""
    stripped = text.strip()
    first = stripped.splitlines()[0] if stripped else ""
    if len(first) > limit:
        return first[: limit - 3] + "..."
    if "\n" in stripped:
        return first + " ..."
    return first


def _allowed_in_xml(ch: str) -> bool:
    code = ord(ch)
    if ch in "\t\n\r":
        return True
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return False
    return not (0xD800 <= code <= 0xDFFF or code in (0xFFFE, 0xFFFF))


def printable(text: str) -> str:
    """``text`` with characters that XML 1.0 (and HTML) cannot carry shown as
    ``\\xNN`` / ``\\uNNNN`` escapes, so nothing is silently dropped."""
    if all(_allowed_in_xml(ch) for ch in text):
        return text
    return "".join(ch if _allowed_in_xml(ch)
                   else f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"
                   for ch in text)
