"""Paths into a parsed JSON document (json1.html section 3.2, "PATH
arguments"; 4.6 and 4.8 for the edits): parsing and following a path
(jsonLookup), creating the members json_set and json_insert add on the way,
and the RFC 7396 merge of json_patch.  All edits are flags and additions on
the nodes of engine/exec/json_text.py, which rendering applies.
"""

from __future__ import annotations

import re

from ..errors import SQLError
from .json_text import _UNSET, ARRAY, NULL, OBJECT, STRING, _as_text, _Doc, _Node


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
# Merge patch (json_patch)
# ---------------------------------------------------------------------------

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
