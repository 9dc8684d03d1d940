"""JSON documents for the JSON functions (json1.html section 3.1, "JSON
arguments"): parsing text into a tree of nodes, rendering nodes back as
JSON, and reading them as SQL values.  Paths and edits are
engine/exec/json_path.py; the SQL functions themselves are
engine/exec/json1.py.

Values of JSON "subtype" (the result of json(), json_array(), ... passed
straight into another JSON function) are :class:`JsonText` objects, a str
subclass; the expression compiler hands them over only from one JSON
function directly into another, and turns them into plain text everywhere
else, as SQLite's subtypes behave.

SQLite 3.40 parses a document into a flat array of nodes and edits it by
flagging nodes (replaced, removed, patched, appended to).  Here a document
is a tree of :class:`_Node` carrying the same flags, so that the quirks
that follow from them stay the same: numbers and strings keep their source
text (json() minifies but never rewrites a number or an escape), object
keys are matched on their raw escaped text, a path that walks into a
replaced node finds nothing, a removed object member still shadows a later
duplicate key, and json_each/json_tree number the rows by their position
in the flat array (labels included).
"""

from __future__ import annotations

import re

from ..errors import SQLError
from .values import INT64_MAX, INT64_MIN, real_to_text


class JsonText(str):
    """Text known to be well-formed JSON produced by a JSON function."""

    __slots__ = ()


def plain(value):
    """A value as the rest of the engine sees it (subtype dropped)."""
    return str.__str__(value) if type(value) is JsonText else value


# Node kinds, in SQLite's order (json_type() names them).
NULL, TRUE, FALSE, INT, REAL, STRING, ARRAY, OBJECT = range(8)
_TYPE_NAMES = ("null", "true", "false", "integer", "real", "text", "array", "object")
_MAX_DEPTH = 2000
_UNSET = object()


class _Node:
    __slots__ = ("kind", "text", "items", "esc", "raw", "label", "removed",
                 "replace", "patch", "idx", "end", "orig")

    def __init__(self, kind, text=None):
        self.kind = kind
        self.text = text          # source text of a number or string (with quotes)
        self.items = None         # array: [node]; object: [[label, value]]
        self.esc = False          # a string holding escapes
        self.raw = False          # a key added by json_set: text is unquoted, unescaped
        self.label = False
        self.removed = False
        self.replace = _UNSET     # the SQL value json_set/replace put here
        self.patch = None         # the node json_patch put here
        self.idx = 0              # position in SQLite's flat node array
        self.end = 0              # idx just past the subtree
        self.orig = 0             # members an object had when parsed


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------

_WS = frozenset(" \t\n\r")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_STRING = re.compile(r'"[^"\\\x00-\x1f]*(?:\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})[^"\\\x00-\x1f]*)*"')
_LITERALS = (("null", NULL), ("true", TRUE), ("false", FALSE))


class _Doc:
    """A parsed document: the root and SQLite's flat node order."""

    __slots__ = ("root", "flat", "up")

    def __init__(self, root, flat, up):
        self.root, self.flat, self.up = root, flat, up


def _as_text(value, cut=True) -> str:
    """sqlite3_value_text() of an argument, cut at a NUL where C reads it
    as a NUL-terminated string."""
    if isinstance(value, str):
        s = str.__str__(value)
    elif isinstance(value, int):
        s = str(value)
    elif isinstance(value, float):
        s = real_to_text(value)
    else:
        s = bytes(value).decode("utf-8", "surrogateescape")
    nul = s.find("\x00") if cut else -1
    return s if nul < 0 else s[:nul]


def _parse_text(s: str) -> _Doc | None:
    """Parse as SQLite 3.40 does (RFC 8259, nesting at most 2000 deep);
    None if malformed."""
    n = len(s)
    flat: list = []
    up: list = []
    stack: list = []

    def skip(i):
        while i < n and s[i] in _WS:
            i += 1
        return i

    def add(node, parent):
        node.idx = len(flat)
        node.end = node.idx + 1
        flat.append(node)
        up.append(0 if parent is None else parent.idx)
        if parent is None:
            pass
        elif parent.kind == ARRAY:
            parent.items.append(node)
        elif node.label:
            parent.items.append([node, None])
        else:
            parent.items[-1][1] = node

    def label_at(i, obj):
        """Parse `"key" :` at i: the index after the colon and spaces, or -1."""
        m = _STRING.match(s, i)
        if m is None:
            return -1
        lab = _Node(STRING, m.group())
        lab.esc = "\\" in lab.text
        lab.label = True
        add(lab, obj)
        i = skip(m.end())
        return skip(i + 1) if i < n and s[i] == ":" else -1

    i = skip(0)
    while True:
        c = s[i] if i < n else ""
        if c == "[" or c == "{":
            node = _Node(ARRAY if c == "[" else OBJECT)
            node.items = []
            add(node, stack[-1] if stack else None)
            if len(stack) >= _MAX_DEPTH:
                return None
            i = skip(i + 1)
            if i >= n or s[i] != ("]" if c == "[" else "}"):
                stack.append(node)
                if c == "{":
                    i = label_at(i, node)
                    if i < 0:
                        return None
                continue
            i += 1
        else:
            if c == '"':
                m = _STRING.match(s, i)
                node = m and _Node(STRING, m.group())
                if node:
                    node.esc = "\\" in node.text
            elif c == "-" or "0" <= c <= "9":
                m = _NUMBER.match(s, i)
                t = m and m.group()
                node = m and _Node(REAL if ("." in t or "e" in t or "E" in t) else INT, t)
            else:
                m = node = None
                for word, kind in _LITERALS:
                    k = i + len(word)
                    if s.startswith(word, i) and not (k < n and s[k].isascii() and s[k].isalnum()):
                        node, k_end = _Node(kind), k
                        break
            if node is None:
                return None
            i = m.end() if m else k_end
            add(node, stack[-1] if stack else None)
        # After a value: separators and closers of the open containers.
        while stack:
            top = stack[-1]
            i = skip(i)
            c = s[i] if i < n else ""
            if c == ",":
                i = skip(i + 1)
                if top.kind == OBJECT:
                    i = label_at(i, top)
                    if i < 0:
                        return None
                break
            if c != ("]" if top.kind == ARRAY else "}"):
                return None
            stack.pop()
            top.end = len(flat)
            top.orig = len(top.items)
            i += 1
        else:
            return _Doc(flat[0], flat, up) if skip(i) == n else None


def _parse(value, required=True) -> _Doc | None:
    """The document in an argument; None for NULL; an error if malformed
    (or None when ``required`` is false)."""
    if value is None:
        return None
    doc = _parse_text(_as_text(value))
    if doc is None and required:
        raise SQLError("malformed JSON")
    return doc


# ---------------------------------------------------------------------------
# Values out: rendering as JSON, returning as SQL values
# ---------------------------------------------------------------------------

_ESCAPES = {i: "\\u%04x" % i for i in range(32)}
_ESCAPES.update({8: "\\b", 9: "\\t", 10: "\\n", 12: "\\f", 13: "\\r", 34: '\\"', 92: "\\\\"})


def _quote(s: str) -> str:
    return '"' + s.translate(_ESCAPES) + '"'


def _value_json(v) -> str:
    """An SQL value as JSON (jsonAppendValue)."""
    if v is None:
        return "null"
    if isinstance(v, str):
        return str.__str__(v) if type(v) is JsonText else _quote(v)
    if isinstance(v, int):
        return str(int(v))
    if isinstance(v, float):
        return real_to_text(v)
    raise SQLError("JSON cannot hold BLOB values")


_SCALAR_TEXT = {NULL: "null", TRUE: "true", FALSE: "false"}


def _render(node: _Node) -> str:
    """A node as minified JSON, with edits applied (jsonRenderNode)."""
    out: list = []
    stack: list = [node]
    while stack:
        x = stack.pop()
        if type(x) is str:
            out.append(x)
            continue
        if x.replace is not _UNSET:
            out.append(_value_json(x.replace))
            continue
        if x.patch is not None:
            x = x.patch
        k = x.kind
        if k == ARRAY:
            stack.append("]")
            kept = [v for v in x.items if not v.removed]
            for j in range(len(kept) - 1, -1, -1):
                stack.append(kept[j])
                if j:
                    stack.append(",")
            stack.append("[")
        elif k == OBJECT:
            stack.append("}")
            kept = [m for m in x.items if not m[1].removed]
            for j in range(len(kept) - 1, -1, -1):
                lab, val = kept[j]
                stack.append(val)
                stack.append(":")
                stack.append(_quote(lab.text) if lab.raw else lab.text)
                if j:
                    stack.append(",")
            stack.append("{")
        elif k == STRING and x.raw:
            out.append(_quote(x.text))
        elif k in _SCALAR_TEXT:
            out.append(_SCALAR_TEXT[k])
        else:
            out.append(x.text)
    return "".join(out)


def _real_value(t: str) -> float:
    # sqlite3 3.40 reads a JSON number correctly rounded (checked against the
    # binary on thousands of long and subnormal numbers), as Python does.
    return float(t)


def _int_value(t: str):
    neg = t[0] == "-"
    v = int(t[1:] if neg else t)
    if v <= INT64_MAX:
        return -v if neg else v
    if neg and v == -INT64_MIN:
        return INT64_MIN
    return _real_value(t)


_SIMPLE_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _lone_surrogate(v: int) -> str:
    # SQLite writes a lone surrogate as its 3 UTF-8-style bytes; the engine
    # holds such invalid bytes as surrogate escapes.
    return chr(v).encode("utf-8", "surrogatepass").decode("utf-8", "surrogateescape")


def _unescape(raw: str) -> str:
    body = raw[1:-1]
    out = []
    pos = 0
    while True:
        k = body.find("\\", pos)
        if k < 0:
            out.append(body[pos:])
            break
        out.append(body[pos:k])
        c = body[k + 1]
        if c != "u":
            out.append(_SIMPLE_ESCAPES.get(c, c))
            pos = k + 2
            continue
        v = int(body[k + 2:k + 6], 16)
        pos = k + 6
        if v == 0:
            break  # SQLite's decoder stops at an escaped NUL
        if v & 0xFC00 == 0xD800 and body.startswith("\\u", pos) \
                and int(body[pos + 2:pos + 6], 16) & 0xFC00 == 0xDC00:
            lo = int(body[pos + 2:pos + 6], 16)
            out.append(chr(((v & 0x3FF) << 10) + (lo & 0x3FF) + 0x10000))
            pos += 6
        elif 0xD800 <= v <= 0xDFFF:
            out.append(_lone_surrogate(v))
        else:
            out.append(chr(v))
    return "".join(out)


def _sql_value(node: _Node):
    """A node as an SQL value (jsonReturn): containers as JSON text."""
    k = node.kind
    if k == NULL:
        return None
    if k == TRUE:
        return 1
    if k == FALSE:
        return 0
    if k == INT:
        return _int_value(node.text)
    if k == REAL:
        return _real_value(node.text)
    if k == STRING:
        if node.raw:
            return node.text
        return _unescape(node.text) if node.esc else node.text[1:-1]
    return JsonText(_render(node))

