"""JSON functions (json1.html) as sqlite3 3.40 has them: scalar functions,
aggregates, the -> and ->> operators, and the table-valued json_each and
json_tree.

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


# ---------------------------------------------------------------------------
# Paths
# ---------------------------------------------------------------------------

def _path_error(rest: str):
    return SQLError(f"JSON path error near '{rest}'")


def _key_matches(label: _Node, key: str) -> bool:
    return label.text == key if label.raw else label.text[1:-1] == key


def _u32(digits: str) -> int:
    v = 0
    for ch in digits:
        v = (v * 10 + ord(ch) - 48) & 0xFFFFFFFF
    return v


_DIGITS = re.compile(r"[0-9]*")


def _step(node: _Node, path: str, pos: int, append: list | None):
    """Follow ``path[pos:]`` from ``node`` (jsonLookupStep).  With
    ``append`` (json_set/json_insert), a missing object key or the array
    slot just past the end is created, with the objects and arrays the rest
    of the path needs (only `.key` and `[0]` steps), and ``append[0]`` set."""
    n = len(path)
    added = None  # the first member added to the document, undone on failure
    while True:
        if pos >= n:
            return node
        if node.replace is not _UNSET:
            return None
        c = path[pos]
        if c == ".":
            if node.kind != OBJECT:
                return None
            pos += 1
            if pos < n and path[pos] == '"':
                close = path.find('"', pos + 1)
                if close < 0:
                    raise _path_error(path[pos:])
                key, nxt = path[pos + 1:close], close + 1
            else:
                j = pos
                while j < n and path[j] != "." and path[j] != "[":
                    j += 1
                if j == pos:
                    raise _path_error(path[pos:])
                key, nxt = path[pos:j], j
            for lab, val in node.items:
                if _key_matches(lab, key):
                    node, pos = val, nxt
                    break
            else:
                if append is None:
                    return None
                new = _new_for(path, nxt, append)
                if new is None:
                    break
                lab = _Node(STRING, key)
                lab.raw = lab.label = True
                node.items.append([lab, new])
                added = added or node
                node, pos = new, nxt
        elif c == "[":
            m = _DIGITS.match(path, pos + 1)
            j = m.end()
            index = _u32(m.group())
            if j == pos + 1 or j >= n or path[j] != "]":
                if not path.startswith("#", pos + 1):
                    raise _path_error(path[pos:])
                if node.kind != ARRAY:
                    return None
                index = sum(1 for v in node.items if not v.removed)
                j = pos + 2
                if path.startswith("-", j) and j + 1 < n and path[j + 1].isdigit() and path[j + 1].isascii():
                    m = _DIGITS.match(path, j + 1)
                    back = _u32(m.group())
                    j = m.end()
                    if back > index:
                        return None
                    index -= back
                if j >= n or path[j] != "]":
                    raise _path_error(path[pos:])
            if node.kind != ARRAY:
                return None
            pos = j + 1
            for v in node.items:
                if v.removed:
                    continue
                if index == 0:
                    node = v
                    break
                index -= 1
            else:
                if index != 0 or append is None:
                    return None
                new = _new_for(path, pos, append)
                if new is None:
                    break
                node.items.append(new)
                added = added or node
                node = new
        else:
            raise _path_error(path[pos:])
    # The rest of the path cannot be created: nothing is added.
    if added is not None:
        added.items.pop()
    return None


def _new_for(path: str, pos: int, append: list):
    """jsonLookupAppend: the node a missing member starts as (null at the
    end of the path, an empty object or array before `.key` or `[0]`)."""
    append[0] = True
    if pos >= len(path):
        return _Node(NULL)
    if path[pos] == "." or path.startswith("[0]", pos):
        node = _Node(OBJECT if path[pos] == "." else ARRAY)
        node.items = []
        return node
    return None


def _lookup(doc: _Doc, path, append: list | None = None):
    """jsonLookup: the node at ``path`` (an SQL value) or None; a path that
    does not start with '$' or is malformed where it is read is an error."""
    if path is None:
        return None
    p = _as_text(path)
    if not p.startswith("$"):
        raise _path_error(p)
    return _step(doc.root, p, 1, append)


# ---------------------------------------------------------------------------
# Scalar functions
# ---------------------------------------------------------------------------

def _json_array(*args):
    return JsonText("[" + ",".join(_value_json(a) for a in args) + "]")


def _json_object(*args):
    if len(args) & 1:
        raise SQLError("json_object() requires an even number of arguments")
    parts = []
    blob = False
    for i in range(0, len(args), 2):
        label = args[i]
        if not isinstance(label, str):
            raise SQLError("json_object() labels must be TEXT")
        try:
            parts.append(_quote(str.__str__(label)) + ":" + _value_json(args[i + 1]))
        except SQLError:
            blob = True  # SQLite goes on: a later bad label is the error reported
    if blob:
        raise SQLError("JSON cannot hold BLOB values")
    return JsonText("{" + ",".join(parts) + "}")


def _json_quote(value):
    return JsonText(_value_json(value))


def _json_remove(*args):
    """json_remove(); json(X) is json_remove with no paths."""
    if not args:
        return None
    doc = _parse(args[0])
    if doc is None:
        return None
    for path in args[1:]:
        if path is None:
            return None
        node = _lookup(doc, path)
        if node is not None:
            node.removed = True
    if doc.root.removed:
        return None
    return JsonText(_render(doc.root))


def _json(value):
    return _json_remove(value)


def _editor(name: str, replace: bool, insert: bool):
    def edit(*args):
        if not args:
            return None
        if not len(args) & 1:
            raise SQLError(f"json_{name}() needs an odd number of arguments")
        doc = _parse(args[0])
        if doc is None:
            return None
        for i in range(1, len(args), 2):
            appended = [False]
            node = _lookup(doc, args[i], appended if insert else None)
            if node is not None and ((insert and appended[0]) or replace):
                node.replace = args[i + 1]
        if doc.root.replace is not _UNSET:
            return doc.root.replace
        return JsonText(_render(doc.root))
    edit.__name__ = f"json_{name}"
    return edit


_json_set = _editor("set", True, True)
_json_insert = _editor("insert", False, True)
_json_replace = _editor("replace", True, False)


def _remove_all_nulls(obj: _Node):
    stack = [obj]
    while stack:
        for _lab, val in stack.pop().items:
            if val.kind == NULL:
                val.removed = True
            elif val.kind == OBJECT:
                stack.append(val)


def _merge(target: _Node, patch: _Node):
    """RFC 7396 MergePatch as jsonMergePatch does it, as a generator that
    yields (target, patch) for each nested merge (kept off the Python stack)."""
    if patch.kind != OBJECT:
        return patch
    if target.kind != OBJECT:
        _remove_all_nulls(patch)
        return patch
    appending = False
    for plab, pval in patch.items:
        for j in range(target.orig):
            tlab, tval = target.items[j]
            if tlab.text != plab.text:
                continue
            if tval.removed or tval.patch is not None:
                break
            if pval.kind == NULL:
                tval.removed = True
            else:
                new = yield (tval, pval)
                if new is not tval:
                    tval.patch = new
            break
        else:
            if pval.kind != NULL:
                _remove_all_nulls(patch)
                if not appending:
                    # SQLite starts a fresh chain of added members on each
                    # merge into a node: one added by an earlier merge of a
                    # duplicate key is dropped.
                    del target.items[target.orig:]
                    appending = True
                target.items.append([plab, pval])
    return target


def _json_patch(target, patch):
    t = _parse(target)
    if t is None:
        return None
    p = _parse(patch)
    if p is None:
        return None
    stack = [_merge(t.root, p.root)]
    result = None
    while stack:
        try:
            stack.append(_merge(*stack[-1].send(result)))
            result = None
        except StopIteration as done:
            stack.pop()
            result = done.value
    return JsonText(_render(result))


def _json_extract(*args):
    if len(args) < 2:
        return None
    doc = _parse(args[0])
    if doc is None:
        return None
    if len(args) == 2:
        if args[1] is None:
            return None
        node = _lookup(doc, args[1])
        return None if node is None else _sql_value(node)
    parts = []
    for path in args[1:]:
        node = _lookup(doc, path)
        parts.append("null" if node is None else _render(node))
    return JsonText("[" + ",".join(parts) + "]")


def _json_type(value, path=_UNSET):
    doc = _parse(value)
    if doc is None:
        return None
    node = doc.root if path is _UNSET else _lookup(doc, path)
    return None if node is None else _TYPE_NAMES[node.kind]


def _json_array_length(value, path=_UNSET):
    doc = _parse(value)
    if doc is None:
        return None
    node = doc.root if path is _UNSET else _lookup(doc, path)
    if node is None:
        return None
    return len(node.items) if node.kind == ARRAY else 0


def _json_valid(value):
    return 0 if value is None or _parse(value, required=False) is None else 1


# ---------------------------------------------------------------------------
# The -> and ->> operators
# ---------------------------------------------------------------------------

def _arrow_node(left, right):
    doc = _parse(left)
    if doc is None or right is None:
        return None
    p = _as_text(right)
    if not p.startswith("$"):
        # Abbreviations: 5 is $[5], [5] is $[5], a.b is $.a.b
        if p[:1].isdigit() and p[:1].isascii():
            p = "$[" + p + "]"
        elif p.startswith("["):
            p = "$" + p
        else:
            p = "$." + p
    return _lookup(doc, p)


def _arrow_json(left, right):
    node = _arrow_node(left, right)
    return None if node is None else JsonText(_render(node))


def _arrow_sql(left, right):
    node = _arrow_node(left, right)
    return None if node is None else plain(_sql_value(node))


# ---------------------------------------------------------------------------
# Aggregates
# ---------------------------------------------------------------------------

class _GroupArray:
    """json_group_array(X); also a window function (inverse drops the oldest)."""

    __slots__ = ("parts",)

    def __init__(self):
        self.parts = []

    def step(self, value):
        self.parts.append(_value_json(value))

    def inverse(self, value):
        if self.parts:
            del self.parts[0]

    def final(self):
        return JsonText("[" + ",".join(self.parts) + "]")


class _GroupObject(_GroupArray):
    """json_group_object(NAME, VALUE).  A NULL name writes nothing before the
    colon (SQLite's output is then not valid JSON)."""

    __slots__ = ()

    def step(self, name, value):
        label = "" if name is None else _quote(_as_text(name, cut=False))
        self.parts.append(label + ":" + _value_json(value))

    def inverse(self, name, value):
        if self.parts:
            del self.parts[0]

    def final(self):
        return JsonText("{" + ",".join(self.parts) + "}")


# ---------------------------------------------------------------------------
# json_each and json_tree
# ---------------------------------------------------------------------------

_PLAIN_KEY = re.compile(r"[A-Za-z][A-Za-z0-9]*\Z")


def _key_step(label: _Node) -> str:
    inner = label.text[1:-1]
    return "." + (inner if _PLAIN_KEY.match(inner) else label.text)


def _table_rows(recursive: bool, args):
    """The rows of json_each/json_tree, replaying SQLite's cursor over the
    flat node array: ``id`` is a node's index, and json_tree's paths use
    each array's running key (so a root inside an array reads [0])."""
    if args[0] is None:
        return []
    text = _as_text(args[0])
    doc = _parse_text(text)
    if doc is None:
        raise SQLError("malformed JSON")
    flat, up = doc.flat, doc.up
    zroot = None
    node = doc.root
    if len(args) > 1:
        if args[1] is None:
            return []
        zroot = _as_text(args[1])
        if not zroot.startswith("$"):
            raise _path_error(zroot)
        node = _step(doc.root, zroot, 1, None)
        if node is None:
            return []
    root_text = zroot if zroot is not None else "$"
    i = begin = node.idx
    etype = node.kind
    ikey = {}
    if etype >= ARRAY:
        ikey[i] = 0
        end = node.end
        if recursive:
            etype = flat[up[i]].kind
            if i > 0 and flat[i - 1].label:
                i -= 1
        else:
            i += 1
    else:
        end = i + 1

    # A row's paths extend its parent's, which stay valid while the cursor
    # is inside the parent (an array's running key moves on only after).
    paths = {0: "$"}

    def tree_path(k):
        if flat[k].label:
            k += 1
        chain = []
        while k not in paths:
            chain.append(k)
            k = up[k]
        base = paths[k]
        for k in reversed(chain):
            u = up[k]
            base += "[%d]" % ikey.get(u, 0) if flat[u].kind == ARRAY else _key_step(flat[k - 1])
            paths[k] = base
        return base

    # Each container's JSON text, built from its children's (one pass, from
    # the deepest nodes up), so that json_tree stays linear in its output.
    texts = {}
    for k in range(end - 1, begin - 1, -1):
        x = flat[k]
        if x.kind == ARRAY:
            texts[k] = "[" + ",".join(texts.get(v.idx) or _render(v) for v in x.items) + "]"
        elif x.kind == OBJECT:
            texts[k] = "{" + ",".join(lab.text + ":" + (texts.get(v.idx) or _render(v))
                                      for lab, v in x.items) + "}"

    def value(x):
        return JsonText(texts[x.idx]) if x.kind >= ARRAY else _sql_value(x)

    rows = []
    rowid = 0
    while i < end:
        this = flat[i]
        val = flat[i + 1] if this.label else this
        if i == 0:
            key = None
        elif etype == OBJECT:
            key = _sql_value(this)
        elif etype == ARRAY:
            if recursive:
                key = None if rowid == 0 else ikey.get(up[i], 0)
            else:
                key = rowid
        else:
            key = None
        if recursive:
            fullkey = tree_path(i)
            path = tree_path(up[i])
        else:
            fullkey = root_text
            if etype == ARRAY:
                fullkey += "[%d]" % rowid
            elif etype == OBJECT:
                fullkey += _key_step(this)
            path = root_text
        rows.append((
            key,
            value(val),
            _TYPE_NAMES[val.kind],
            None if val.kind >= ARRAY else value(val),
            i + (1 if this.label else 0),
            up[i] if (recursive and i > begin) else None,
            fullkey,
            path,
            text,
            root_text,
        ))
        if recursive:
            if this.label:
                i += 1
            i += 1
            rowid += 1
            if i < end:
                iup = up[i]
                etype = flat[iup].kind
                if etype == ARRAY:
                    ikey[iup] = 0 if iup == i - 1 else ikey.get(iup, 0) + 1
        elif etype == ARRAY:
            i = flat[i].end
            rowid += 1
        elif etype == OBJECT:
            i = flat[i + 1].end
            rowid += 1
        else:
            i = end
    return rows


def _json_each(*args):
    return _table_rows(False, args)


def _json_tree(*args):
    return _table_rows(True, args)


# ---------------------------------------------------------------------------
# Registries
# ---------------------------------------------------------------------------

# name -> (min_args, max_args, function); max_args -1: any number
JSON_SCALARS: dict = {
    "json": (1, 1, _json),
    "json_array": (0, -1, _json_array),
    "json_array_length": (1, 2, _json_array_length),
    "json_extract": (0, -1, _json_extract),
    "json_insert": (0, -1, _json_insert),
    "json_object": (0, -1, _json_object),
    "json_patch": (2, 2, _json_patch),
    "json_quote": (1, 1, _json_quote),
    "json_remove": (0, -1, _json_remove),
    "json_replace": (0, -1, _json_replace),
    "json_set": (0, -1, _json_set),
    "json_type": (1, 2, _json_type),
    "json_valid": (1, 1, _json_valid),
}
# name -> (min_args, max_args, accumulator factory, takes_collation)
JSON_AGGREGATES: dict = {
    "json_group_array": (1, 1, _GroupArray, False),
    "json_group_object": (2, 2, _GroupObject, False),
}
# Functions whose results carry the JSON subtype (and may return JsonText).
# json_extract carries it only for an array or object (or several paths);
# json_set/json_replace/json_insert hand back their argument unchanged when
# the edit replaces the whole document.
JSON_PRODUCERS: frozenset = frozenset({
    "json", "json_array", "json_object", "json_quote", "json_extract",
    "json_insert", "json_replace", "json_set", "json_remove", "json_patch",
    "json_group_array", "json_group_object",
})
# The -> and ->> operators: (left, right) -> value
JSON_OPERATORS: dict = {"->": _arrow_json, "->>": _arrow_sql}
# Table-valued functions: name -> (min_args, max_args, function returning an
# iterable of row tuples, visible column names, hidden column names)
_EACH_COLUMNS = ["key", "value", "type", "atom", "id", "parent", "fullkey", "path"]
TABLE_FUNCTIONS: dict = {
    "json_each": (1, 2, _json_each, _EACH_COLUMNS, ["json", "root"]),
    "json_tree": (1, 2, _json_tree, list(_EACH_COLUMNS), ["json", "root"]),
}
