"""JSON functions (json1.html) as sqlite3 3.40 has them: scalar functions,
aggregates, the -> and ->> operators, and the table-valued json_each and
json_tree.

Values of JSON "subtype" (the result of json(), json_array(), ... passed
straight into another JSON function) are :class:`JsonText` objects, a str
subclass; the expression compiler hands them over only from one JSON
function directly into another, and turns them into plain text everywhere
else, as SQLite's subtypes behave.

The documents themselves (parsing, rendering, nodes and their edit flags)
are engine/exec/json_text.py; paths into them and the edits made through
paths are engine/exec/json_path.py.
"""

from __future__ import annotations

import re

from ..errors import SQLError
from .json_path import _lookup, _merge, _path_error, _step
from .json_text import (_TYPE_NAMES, _UNSET, ARRAY, OBJECT, JsonText, _as_text, _Node, _parse,
                        _parse_text, _quote, _render, _sql_value, _value_json, plain)

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
    if not args or args[0] is None:
        return []  # json_each() with no argument is an empty table
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
        # Plain text: the JSON subtype of a container is restored only where
        # the column is read straight into a JSON function (subtyped()).
        return texts[x.idx] if x.kind >= ARRAY else _sql_value(x)

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


def subtyped(value, type_name):
    """json_each/json_tree's ``value`` as a JSON function reads it when the
    column is its argument: sqlite3 keeps the JSON subtype of an array or
    object there (json_array(value) nests it), while everywhere else the
    column is plain text.  ``type_name`` is the row's ``type`` column."""
    if type_name == "array" or type_name == "object":
        return JsonText(value)
    return value


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
# iterable of row tuples of plain values, visible column names, hidden column
# names).  A JSON function's argument that is the ``value`` column reads
# subtyped(value, type) of the same row (SUBTYPED_COLUMNS: column -> the
# column that tells whether it is JSON).
_EACH_COLUMNS = ["key", "value", "type", "atom", "id", "parent", "fullkey", "path"]
SUBTYPED_COLUMNS: dict = {"value": "type"}
TABLE_FUNCTIONS: dict = {
    "json_each": (0, 2, _json_each, _EACH_COLUMNS, ["json", "root"]),
    "json_tree": (0, 2, _json_tree, list(_EACH_COLUMNS), ["json", "root"]),
}
