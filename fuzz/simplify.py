"""Candidate simplifications of one SQL statement, biggest steps first, for
the reducer (:mod:`fuzz.reducer`), which keeps a candidate only when the
same oracle still shows the same kind of difference.

Two sources:

- sqlglot's syntax trees (SQLite dialect) for queries and changes: drop a
  clause (WHERE, HAVING, DISTINCT, LIMIT, ORDER BY with its LIMIT, a join,
  a CTE, a select item, a VALUES row, a SET item, RETURNING, ON CONFLICT),
  replace a compound by one side, replace an expression by one of its
  operands or by a literal.  sqlglot's SQLite output is not always the text
  it read (``DOUBLE`` becomes ``REAL``, some statements it keeps only as
  commands), so the reducer first checks that the unchanged statement,
  printed back, still shows the difference, and uses sqlglot on that
  statement only then.
- plain text for CREATE TABLE, which sqlglot often cannot read: drop a
  column or a table constraint, WITHOUT ROWID, STRICT; and for any
  statement, drop an ``OR <conflict>`` clause or a ``RETURNING``.

Steps that could bring in nondeterminism are not offered: an aggregate is
never replaced by its argument (that would make a bare column), GROUP BY is
dropped only when no column is left outside an aggregate, nothing inside an
ORDER BY or a window's OVER changes (an order that was total may not stay
so; only a whole ORDER BY or window call may go), and an ORDER BY goes
together with its LIMIT.
"""

from __future__ import annotations

import logging
import re
from typing import Iterator

import sqlglot
from sqlglot import exp

logging.getLogger("sqlglot").setLevel(logging.ERROR)

_LITERALS = ("0", "NULL", "1", "'a'")


def parse(sql: str) -> exp.Expression | None:
    try:
        tree = sqlglot.parse_one(sql, read="sqlite")
    except Exception:
        return None
    if tree is None or isinstance(tree, exp.Command):
        return None
    return tree


def render(tree: exp.Expression) -> str | None:
    try:
        return tree.sql(dialect="sqlite")
    except Exception:
        return None


def text_candidates(sql: str) -> Iterator[str]:
    """Simplifications done on the text."""
    m = re.match(r"(\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?\S+?\s*\()(.*)(\)[^()]*)$", sql, re.I | re.S)
    if m and not re.search(r"\bAS\s+SELECT\b", sql[:m.end(1)], re.I):
        head, body, tail = m.groups()
        for option in (r"\s*,?\s*STRICT\b", r"\s*,?\s*WITHOUT\s+ROWID\b"):
            shorter = re.sub(option, "", tail, count=1, flags=re.I)
            if shorter != tail:
                yield head + body + shorter.rstrip(" ,")
        parts = split_top_level(body)
        if len(parts) > 1:
            for i in reversed(range(len(parts))):
                yield head + ", ".join(parts[:i] + parts[i + 1:]) + tail
        for i, part in enumerate(parts):
            words = part.split()
            if len(words) > 2 and not part.upper().startswith(("PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "CONSTRAINT")):
                for simpler in _column_simplifications(part):
                    yield head + ", ".join(parts[:i] + [simpler] + parts[i + 1:]) + tail
    shorter = re.sub(r"^(\s*(?:INSERT|UPDATE))\s+OR\s+(?:REPLACE|IGNORE|ABORT|FAIL|ROLLBACK)\b", r"\1", sql, flags=re.I)
    if shorter != sql:
        yield shorter
    cut = _cut_top_level(sql, "RETURNING")
    if cut is not None:
        yield cut


_CONSTRAINT = re.compile(
    r"\s+(?:PRIMARY\s+KEY(?:\s+(?:ASC|DESC))?(?:\s+AUTOINCREMENT)?|NOT\s+NULL|UNIQUE|COLLATE\s+\w+|"
    r"DEFAULT\s+(?:\([^()]*\)|'[^']*'|\S+)|CHECK\s*\((?:[^()]|\([^()]*\))*\))", re.I)


def _column_simplifications(part: str) -> Iterator[str]:
    for m in _CONSTRAINT.finditer(part):
        yield part[:m.start()] + part[m.end():]
    words = part.split(None, 2)
    if len(words) >= 2 and not _CONSTRAINT.match(" " + words[1]):
        yield words[0] + (" " + words[2] if len(words) > 2 else "")


def split_top_level(body: str) -> list[str]:
    """``body`` split at commas outside parentheses and quotes."""
    parts, depth, start, quote = [], 0, 0, None
    for i, c in enumerate(body):
        if quote:
            if c == quote:
                quote = None
        elif c in "'\"`":
            quote = c
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(body[start:i].strip())
            start = i + 1
    parts.append(body[start:].strip())
    return [p for p in parts if p]


def _cut_top_level(sql: str, word: str) -> str | None:
    from .probes import _TOKEN
    depth = 0
    for m in _TOKEN.finditer(sql):
        kind = m.lastgroup
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
        elif kind == "word" and depth == 0 and m.group().upper() == word:
            return sql[:m.start()].rstrip()
    return None


def has_top_level(sql: str, word: str) -> bool:
    return _cut_top_level(sql, word) is not None


# ---------------------------------------------------------------- sqlglot steps

def tree_candidates(tree: exp.Expression) -> Iterator[str]:
    """Simplified texts of ``tree``, clause removals first, then
    expression replacements from the root down."""
    yield from _clause_candidates(tree)
    yield from _node_candidates(tree)


def _variant(tree, node, replacement) -> str | None:
    """The text of ``tree`` with ``node`` replaced (None: removed); the
    tree is restored afterwards."""
    if node is tree:
        return render(replacement) if replacement is not None else None
    copy = tree.copy()
    target = _find_same(copy, tree, node)
    if target is None:
        return None
    if replacement is None:
        target.pop()
    else:
        target.replace(replacement)
    return render(copy)


def _find_same(copy, tree, node):
    """The node of ``copy`` at the position ``node`` has in ``tree``."""
    path = []
    cur = node
    while cur is not None and cur is not tree:
        path.append((cur.arg_key, cur.index))
        cur = cur.parent
    if cur is None:
        return None
    target = copy
    for key, index in reversed(path):
        value = target.args.get(key)
        if isinstance(value, list):
            if index is None or index >= len(value):
                return None
            target = value[index]
        else:
            target = value
        if target is None:
            return None
    return target


def _clause_candidates(tree) -> Iterator[str]:
    for node in list(tree.walk()):
        if isinstance(node, (exp.Union, exp.Except, exp.Intersect)):
            for side in ("this", "expression"):
                part = node.args.get(side)
                if part is not None:
                    v = _variant(tree, node, part.copy())
                    if v:
                        yield v
        if isinstance(node, exp.Select):
            has_limit = node.args.get("limit") is not None or node.args.get("offset") is not None
            for key in ("where", "having", "distinct", "limit", "offset"):
                if node.args.get(key) is not None:
                    v = _variant(tree, node.args[key], None)
                    if v:
                        yield v
            order = node.args.get("order")
            if order is not None:
                if has_limit:
                    copy = node.copy()
                    copy.set("order", None)
                    copy.set("limit", None)
                    copy.set("offset", None)
                    v = _variant(tree, node, copy)
                else:
                    v = _variant(tree, order, None)
                if v:
                    yield v
            group = node.args.get("group")
            if group is not None and not _bare_after_ungrouping(node):
                copy = node.copy()
                copy.set("group", None)
                copy.set("having", None)
                v = _variant(tree, node, copy)
                if v:
                    yield v
            for join in node.args.get("joins") or []:
                v = _variant(tree, join, None)
                if v:
                    yield v
            items = node.expressions
            if len(items) > 1:
                for item in items:
                    v = _variant(tree, item, None)
                    if v:
                        yield v
        if isinstance(node, exp.With):
            if len(node.expressions) == 1:
                v = _variant(tree, node, None)
                if v:
                    yield v
            else:
                for cte in node.expressions:
                    v = _variant(tree, cte, None)
                    if v:
                        yield v
        if isinstance(node, exp.Values) and len(node.expressions) > 1:
            for row in node.expressions:
                v = _variant(tree, row, None)
                if v:
                    yield v
        if isinstance(node, exp.Update) and len(node.expressions) > 1:
            for item in node.expressions:
                v = _variant(tree, item, None)
                if v:
                    yield v
        if isinstance(node, (exp.Update, exp.Delete)) and node.args.get("where") is not None:
            v = _variant(tree, node.args["where"], None)
            if v:
                yield v
        if isinstance(node, (exp.Insert, exp.Update, exp.Delete)):
            for key in ("returning", "conflict"):
                if node.args.get(key) is not None:
                    v = _variant(tree, node.args[key], None)
                    if v:
                        yield v


def _bare_after_ungrouping(select: exp.Select) -> bool:
    """Would dropping GROUP BY leave a column outside every aggregate?"""
    for item in select.expressions:
        for col in item.find_all(exp.Column):
            if col.find_ancestor(exp.AggFunc) is None:
                return True
    return False


_VALUE_TYPES = (exp.Condition,)
_SKIP_INSIDE = (exp.Window, exp.WindowSpec)


def _node_candidates(tree) -> Iterator[str]:
    nodes = [n for n in tree.walk() if isinstance(n, _VALUE_TYPES) and n is not tree]
    for node in nodes:
        if _frozen(node):
            continue
        if isinstance(node, exp.Literal) and node.is_int and node.this in ("0", "1"):
            continue
        if isinstance(node, exp.Null):
            continue
        if not isinstance(node, exp.AggFunc):
            for child in node.iter_expressions():
                if isinstance(child, _VALUE_TYPES) and not isinstance(child, (exp.Select, exp.Subquery)):
                    v = _variant(tree, node, child.copy())
                    if v:
                        yield v
        for text in _LITERALS:
            if isinstance(node, exp.Literal) and node.sql(dialect="sqlite") == text:
                continue
            v = _variant(tree, node, sqlglot.parse_one(text, read="sqlite"))
            if v:
                yield v


def _frozen(node) -> bool:
    """Inside a window specification, or inside the ORDER BY of a query
    with a LIMIT: changes there could make the order partial."""
    cur = node.parent
    prev = node
    while cur is not None:
        if isinstance(cur, exp.WindowSpec) or (isinstance(cur, exp.Window) and prev is not cur.this):
            return True
        if isinstance(cur, exp.Order):
            return True            # the order may be total only as written
        if isinstance(cur, exp.Group):
            return True            # another term could leave a bare column
        if isinstance(cur, (exp.Column, exp.Table)):
            return True
        prev, cur = cur, cur.parent
    return False
