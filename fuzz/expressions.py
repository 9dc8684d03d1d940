"""Expressions (lang_expr.html): operators at every precedence level,
literals at the edges (:mod:`fuzz.values`), column references from the
scope, CASE, CAST, COLLATE, BETWEEN, IN, LIKE/GLOB, subqueries, and the
functions of lang_corefunc.html, lang_mathfunc.html, lang_datefunc.html and
json1.html that sqlite3 3.40 has, aggregates (lang_aggfunc.html) where the
scope allows them.

One draw picks a node's kind from a weighted tuple whose first entries are
the leaves, so shrinking turns a failing expression into a column or a
literal wherever the structure does not matter.  Compound nodes wrap
themselves in parentheses; the ``chain`` kind strings three
operands with two operators and no parentheses to exercise precedence.

Nothing nondeterministic is generated: no random(), randomblob(), 'now' or
'localtime'; aggregate arguments never read an outer query's columns (that
would turn the outer query into an aggregate one with bare columns).
"""

from __future__ import annotations

from .context import EMPTY, Gen, Scope, chance, integer, pick
from .values import ANY, INTEGERS, NUMERIC_LITERALS, TEXT_LITERALS, TEXTS

# kind -> the construct that switches it off
_KIND_CONSTRUCT = {
    "between": "between_in", "in_list": "between_in", "like": "like_glob", "case": "case",
    "cast": "cast", "collate": "collations", "func": "functions", "json": "json",
    "date": "datetime", "math": "math", "printf": "printf", "scalar_sub": "subqueries",
    "in_sub": "subqueries", "exists": "subqueries", "agg": "aggregates", "text_func": "functions",
    "num_func": "functions",
}

# Weighted by repetition; leaves first (simplest).
_LEAVES = ("col", "lit", "col", "lit", "col")
_COMPOUND = (
    "cmp", "arith", "logic", "cmp", "func", "arith", "isnull", "not", "neg", "concat",
    "between", "in_list", "like", "case", "cast", "collate", "func", "bit", "chain",
    "cmp", "distinct_from", "json", "date", "math", "printf", "logic", "chain",
    "scalar_sub", "in_sub", "exists", "arith", "func", "arith", "cast", "like", "text_func",
    "text_func", "num_func", "cmp",
)
_AGG_KINDS = ("agg", "agg", "agg", "agg")

_kind_cache: dict[tuple, tuple[str, ...]] = {}


def _kinds(g: Gen, scope: Scope, depth: int) -> tuple[str, ...]:
    has_refs = bool(scope.refs) or (scope.outer is not None and bool(scope.outer.visible()))
    agg = scope.agg_refs is not None and g.on("aggregates")
    subq = g.subquery_budget > 0 and g.on("subqueries") and bool(g.schema.tables) and \
        not g.in_trigger and not g.in_schema
    key = (g.config.without, has_refs, depth > 0, agg, subq, g.in_schema)
    kinds = _kind_cache.get(key)
    if kinds is None:
        kinds = tuple(k for k in _LEAVES if has_refs or k != "col")
        if depth > 0:
            if agg:
                kinds += _AGG_KINDS
            for k in _COMPOUND:
                construct = _KIND_CONSTRUCT.get(k)
                if construct is not None and not g.on(construct):
                    continue
                if k in ("scalar_sub", "in_sub", "exists") and not subq:
                    continue
                if k == "collate" and g.in_schema:
                    continue
                kinds += (k,)
        _kind_cache[key] = kinds
    return kinds


def expr(draw, g: Gen, scope: Scope = EMPTY, depth: int = 2) -> str:
    """An expression over ``scope``, at most ``depth`` operators deep."""
    kind = pick(draw, _kinds(g, scope, depth))
    return _BUILDERS[kind](draw, g, scope, depth - 1)


def predicate(draw, g: Gen, scope: Scope, depth: int = 2) -> str:
    """An expression meant as a condition: mostly a comparison or a logical
    combination, sometimes any expression (SQLite takes any value as a
    truth value)."""
    kind = pick(draw, _PREDICATE_KINDS)
    if kind == "any":
        return expr(draw, g, scope, depth)
    return _BUILDERS[kind](draw, g, scope, depth - 1)


_PREDICATE_KINDS = ("cmp", "cmp", "logic", "isnull", "any", "cmp", "between_p", "in_p", "like_p",
                    "exists_p", "logic")


def column(draw, scope: Scope) -> str:
    visible = scope.visible()
    if not visible:
        return pick(draw, ANY)
    return pick(draw, visible)


# ---------------------------------------------------------------- leaves

def _col(draw, g, scope, depth):
    return column(draw, scope)


def _lit(draw, g, scope, depth):
    return pick(draw, ANY)


# ---------------------------------------------------------------- operators

_CMP = ("=", "<", ">", "<=", ">=", "!=", "==", "<>", "IS", "IS NOT")
_ARITH = ("+", "-", "*", "/", "%")
_BIT = ("&", "|", "<<", ">>")
_CHAIN_OPS = ("+", "*", "-", "||", "=", "<", "AND", "OR", "/", "%", "<<", "&", "|", ">=",
              "IS", "!=", "IS NOT", ">", "<=", "==", "<>", ">>")


def _operand(draw, g, scope, depth):
    return expr(draw, g, scope, depth)


def _cmp(draw, g, scope, depth):
    return f"({_operand(draw, g, scope, depth)} {pick(draw, _CMP)} {_operand(draw, g, scope, depth)})"


def _arith(draw, g, scope, depth):
    return f"({_number(draw, g, scope, depth)} {pick(draw, _ARITH)} {_number(draw, g, scope, depth)})"


def _number(draw, g, scope, depth):
    """An operand for arithmetic: mostly a column or a number."""
    if chance(draw, 45):
        return pick(draw, NUMERIC_LITERALS)
    return _operand(draw, g, scope, depth)


def _text(draw, g, scope, depth):
    """An operand for a string function: mostly a column or text."""
    if chance(draw, 45):
        return pick(draw, TEXT_LITERALS)
    return _operand(draw, g, scope, depth)


def _bit(draw, g, scope, depth):
    return f"({_operand(draw, g, scope, depth)} {pick(draw, _BIT)} {_operand(draw, g, scope, depth)})"


def _concat(draw, g, scope, depth):
    return f"({_operand(draw, g, scope, depth)} || {_operand(draw, g, scope, depth)})"


def _logic(draw, g, scope, depth):
    op = pick(draw, ("AND", "OR"))
    return f"({predicate(draw, g, scope, depth)} {op} {predicate(draw, g, scope, depth)})"


def _not(draw, g, scope, depth):
    return f"(NOT {predicate(draw, g, scope, depth)})"


def _neg(draw, g, scope, depth):
    op = pick(draw, ("-", "~", "+"))
    return f"({op} {_operand(draw, g, scope, depth)})"


def _isnull(draw, g, scope, depth):
    op = pick(draw, ("IS NULL", "IS NOT NULL", "ISNULL", "NOTNULL", "NOT NULL"))
    return f"({_operand(draw, g, scope, depth)} {op})"


def _distinct_from(draw, g, scope, depth):
    op = pick(draw, ("IS DISTINCT FROM", "IS NOT DISTINCT FROM"))
    return f"({_operand(draw, g, scope, depth)} {op} {_operand(draw, g, scope, depth)})"


def _chain(draw, g, scope, depth):
    a = _atom(draw, g, scope, depth)
    b = _atom(draw, g, scope, depth)
    c = _atom(draw, g, scope, depth)
    return f"({a} {pick(draw, _CHAIN_OPS)} {b} {pick(draw, _CHAIN_OPS)} {c})"


def _atom(draw, g, scope, depth):
    """An operand that stays one operand between two operators."""
    text = expr(draw, g, scope, depth)
    return text if " " not in text else f"({text})"


def _between(draw, g, scope, depth):
    neg = pick(draw, ("", "NOT "))
    return (f"({_operand(draw, g, scope, depth)} {neg}BETWEEN {_operand(draw, g, scope, depth)} "
            f"AND {_operand(draw, g, scope, depth)})")


def _in_list(draw, g, scope, depth):
    neg = pick(draw, ("", "NOT "))
    n = integer(draw, 0, 3)
    items = ", ".join(_operand(draw, g, scope, depth) for _ in range(n))
    return f"({_operand(draw, g, scope, depth)} {neg}IN ({items}))"


_PATTERNS = ("'a%'", "'%'", "'_'", "'A%'", "'%b%'", "'a_c'", "'%a'", "''", "'abc'", "'%é%'",
             "'[a]%'", "'a*'", "'*'", "'?'", "'[a-c]*'", "'A'")


def _like(draw, g, scope, depth):
    subject = _text(draw, g, scope, depth)
    op = pick(draw, ("LIKE", "NOT LIKE", "GLOB", "NOT GLOB", "LIKE"))
    pattern = pick(draw, _PATTERNS) if chance(draw, 70) else _operand(draw, g, scope, depth)
    escape = ""
    if op.endswith("LIKE") and chance(draw, 15):
        escape = " ESCAPE " + pick(draw, ("'\\'", "'a'", "'%'"))
    return f"({subject} {op} {pattern}{escape})"


def _case(draw, g, scope, depth):
    n = integer(draw, 1, 3)
    if chance(draw, 40):
        base = _operand(draw, g, scope, depth)
        whens = " ".join(f"WHEN {_operand(draw, g, scope, depth)} THEN {_operand(draw, g, scope, depth)}"
                         for _ in range(n))
        head = f"CASE {base} "
    else:
        whens = " ".join(f"WHEN {predicate(draw, g, scope, depth)} THEN {_operand(draw, g, scope, depth)}"
                         for _ in range(n))
        head = "CASE "
    tail = f" ELSE {_operand(draw, g, scope, depth)}" if chance(draw, 60) else ""
    return f"({head}{whens}{tail} END)"


_CAST_TYPES = ("INTEGER", "TEXT", "REAL", "NUMERIC", "BLOB", "INT", "VARCHAR(3)", "FLOAT",
               "BOOLEAN", "DECIMAL(10,2)", "BIGINT", "CHAR")


def _cast(draw, g, scope, depth):
    return f"CAST({_operand(draw, g, scope, depth)} AS {pick(draw, _CAST_TYPES)})"


def _collate(draw, g, scope, depth):
    return f"({_operand(draw, g, scope, depth)} COLLATE {pick(draw, ('NOCASE', 'RTRIM', 'BINARY'))})"


# ---------------------------------------------------------------- functions

# Argument kinds: e any expression, n a small integer (mostly literal),
# z a tiny integer literal (zeroblob), p a LIKE/GLOB pattern, s the
# escape character.
_CORE = (
    ("abs", "x"), ("coalesce", "ee"), ("ifnull", "ee"), ("length", "t"), ("lower", "t"),
    ("upper", "t"), ("typeof", "e"), ("substr", "tn"), ("substr", "tnn"), ("nullif", "ee"),
    ("iif", "eee"), ("trim", "t"), ("trim", "tt"), ("ltrim", "t"), ("rtrim", "tt"),
    ("replace", "ttt"), ("instr", "tt"), ("hex", "e"), ("quote", "e"), ("round", "x"),
    ("round", "xn"), ("min", "ee"), ("max", "ee"), ("min", "eee"), ("max", "eee"),
    ("coalesce", "eee"), ("char", "n"), ("char", "nn"), ("unicode", "t"), ("likely", "e"),
    ("unlikely", "e"), ("zeroblob", "z"), ("sign", "x"), ("glob", "pt"), ("like", "pt"),
    ("like", "pts"), ("substring", "tnn"), ("last_insert_rowid", ""), ("changes", ""),
    ("total_changes", ""), ("ltrim", "tt"), ("rtrim", "t"), ("length", "e"), ("upper", "e"),
    ("lower", "e"), ("round", "e"),
)
_CORE_DETERMINISTIC = tuple(f for f in _CORE if f[0] not in ("last_insert_rowid", "changes", "total_changes"))
_MATH = (
    ("floor", "e"), ("ceil", "e"), ("trunc", "e"), ("sqrt", "e"), ("pow", "ee"), ("mod", "ee"),
    ("ln", "e"), ("log", "e"), ("log", "ee"), ("log2", "e"), ("log10", "e"), ("exp", "e"),
    ("pi", ""), ("sin", "e"), ("cos", "e"), ("atan", "e"), ("atan2", "ee"), ("degrees", "e"),
    ("radians", "e"), ("power", "ee"), ("ceiling", "e"), ("acos", "e"), ("tanh", "e"),
)
_SMALL = ("1", "0", "2", "-1", "3", "NULL", "100", "-2", "'2'", "1.5", "9223372036854775807")
_TINY = ("0", "1", "2", "3", "-1", "NULL")


def _args(draw, g, scope, depth, kinds: str) -> str:
    out = []
    for k in kinds:
        if k == "e":
            out.append(_operand(draw, g, scope, depth))
        elif k == "t":
            out.append(_text(draw, g, scope, depth))
        elif k == "x":
            out.append(_number(draw, g, scope, depth))
        elif k == "n":
            out.append(pick(draw, _SMALL) if chance(draw, 75) else _operand(draw, g, scope, depth))
        elif k == "z":
            out.append(pick(draw, _TINY))
        elif k == "p":
            out.append(pick(draw, _PATTERNS) if chance(draw, 70) else _operand(draw, g, scope, depth))
        else:
            out.append("'\\'")
    return ", ".join(out)


_TEXT_FUNCS = (
    ("upper", "t"), ("lower", "t"), ("length", "t"), ("substr", "tn"), ("substr", "tnn"),
    ("trim", "t"), ("ltrim", "tt"), ("rtrim", "t"), ("replace", "ttt"), ("instr", "tt"),
    ("hex", "t"), ("quote", "t"), ("unicode", "t"), ("typeof", "t"), ("like", "pt"),
    ("glob", "pt"), ("substring", "tn"), ("rtrim", "tt"), ("trim", "tt"), ("char", "x"),
)
_NUM_FUNCS = (
    ("abs", "x"), ("round", "x"), ("round", "xn"), ("sign", "x"), ("max", "xx"), ("min", "xx"),
    ("max", "xxx"), ("min", "xxx"), ("coalesce", "xx"), ("ifnull", "xx"), ("nullif", "xx"),
    ("typeof", "x"), ("quote", "x"), ("floor", "x"), ("ceil", "x"), ("trunc", "x"), ("mod", "xx"),
    ("iif", "xxx"), ("hex", "x"), ("printf", "fx"),
)


def _text_func(draw, g, scope, depth):
    name, kinds = pick(draw, _TEXT_FUNCS)
    return f"{name}({_args(draw, g, scope, depth, kinds)})"


def _num_func(draw, g, scope, depth):
    name, kinds = pick(draw, _NUM_FUNCS)
    if name in ("floor", "ceil", "trunc", "mod") and not g.on("math"):
        name, kinds = "abs", "x"
    if name == "printf":
        return f"printf({pick(draw, _PRINTF_FORMATS)}, {_number(draw, g, scope, depth)})"
    return f"{name}({_args(draw, g, scope, depth, kinds)})"


def _func(draw, g, scope, depth):
    name, kinds = pick(draw, _CORE_DETERMINISTIC if g.in_schema else _CORE)
    return f"{name}({_args(draw, g, scope, depth, kinds)})"


def _math(draw, g, scope, depth):
    name, kinds = pick(draw, _MATH)
    return f"{name}({_args(draw, g, scope, depth, kinds)})"


_DATES = ("'2020-01-01'", "'2020-02-29 12:34:56'", "'2000-01-01T00:00:00.123'", "'12:00'",
          "2459580.5", "'1970-01-01 00:00:00'", "0", "'2021-12-31 23:59:59.999'", "1700000000",
          "'abc'", "NULL", "'2020-01-01 10:00:00+02:00'", "'0000-01-01'", "'9999-12-31'")
_MODIFIERS = ("'+1 day'", "'-1 month'", "'start of month'", "'start of year'", "'+12 hours'",
              "'weekday 0'", "'start of day'", "'-1 year'", "'+1.5 days'", "'unixepoch'",
              "'weekday 3'", "'+30 minutes'", "'-10 seconds'", "'auto'", "'julianday'",
              "'+1 months'", "'+00:30'")
_DATE_FUNCS = ("date", "datetime", "time", "julianday", "unixepoch", "strftime")
_FORMATS = ("'%Y-%m-%d'", "'%H:%M:%f'", "'%j'", "'%W'", "'%s'", "'%w'", "'%J'", "'%Y %d %m %H %M %S'",
            "'%%'", "'%f'")


def _date(draw, g, scope, depth):
    name = pick(draw, _DATE_FUNCS)
    when = pick(draw, _DATES) if chance(draw, 70) else _operand(draw, g, scope, depth)
    mods = "".join(", " + pick(draw, _MODIFIERS) for _ in range(integer(draw, 0, 2)))
    if name == "strftime":
        return f"strftime({pick(draw, _FORMATS)}, {when}{mods})"
    return f"{name}({when}{mods})"


_JSON_TEXTS = ("'[1,2,3]'", "'{\"a\":1,\"b\":[2,3]}'", "'{\"a\":null}'", "'\"x\"'", "'1'", "'[]'",
               "'{}'", "'[1,[2,{\"a\":\"b\"}]]'", "'{\"a\":{\"b\":1.5}}'", "'[true,false,null]'",
               "' [1] '", "'{\"A\":1,\"a\":2}'")
_JSON_PATHS = ("'$'", "'$.a'", "'$[0]'", "'$.b[1]'", "'$[#-1]'", "'$.c'", "'$[1]'", "'$.a.b'",
               "'a'", "0", "'$[9]'")
_JSON_FUNCS = ("extract", "arrow", "type", "valid", "quote", "array", "object", "length", "json",
               "set", "remove", "patch", "arrow2")


def _json_doc(draw, g, scope, depth):
    if chance(draw, 75):
        return pick(draw, _JSON_TEXTS)
    return _operand(draw, g, scope, depth)


def _json(draw, g, scope, depth):
    kind = pick(draw, _JSON_FUNCS)
    if kind == "extract":
        return f"json_extract({_json_doc(draw, g, scope, depth)}, {pick(draw, _JSON_PATHS)})"
    if kind == "arrow":
        return f"({_json_doc(draw, g, scope, depth)} -> {pick(draw, _JSON_PATHS)})"
    if kind == "arrow2":
        return f"({_json_doc(draw, g, scope, depth)} ->> {pick(draw, _JSON_PATHS)})"
    if kind == "type":
        return f"json_type({_json_doc(draw, g, scope, depth)}, {pick(draw, _JSON_PATHS)})"
    if kind == "valid":
        return f"json_valid({_operand(draw, g, scope, depth)})"
    if kind == "quote":
        return f"json_quote({_operand(draw, g, scope, depth)})"
    if kind == "array":
        return f"json_array({_operand(draw, g, scope, depth)}, {_operand(draw, g, scope, depth)})"
    if kind == "object":
        return f"json_object('a', {_operand(draw, g, scope, depth)}, 'b', {_operand(draw, g, scope, depth)})"
    if kind == "length":
        return f"json_array_length({_json_doc(draw, g, scope, depth)})"
    if kind == "set":
        fn = pick(draw, ("json_set", "json_insert", "json_replace"))
        return f"{fn}({_json_doc(draw, g, scope, depth)}, {pick(draw, _JSON_PATHS)}, {_operand(draw, g, scope, depth)})"
    if kind == "remove":
        return f"json_remove({_json_doc(draw, g, scope, depth)}, {pick(draw, _JSON_PATHS)})"
    if kind == "patch":
        return f"json_patch({_json_doc(draw, g, scope, depth)}, {_json_doc(draw, g, scope, depth)})"
    return f"json({_json_doc(draw, g, scope, depth)})"


_PRINTF_FORMATS = ("'%d'", "'%s'", "'%5d|'", "'%-5d|'", "'%05d'", "'%x'", "'%X'", "'%o'", "'%c'",
                   "'%.3s'", "'%10s|'", "'%q'", "'%Q'", "'%w'", "'%f'", "'%.2f'", "'%e'", "'%.3e'",
                   "'%g'", "'%.10g'", "'%i'", "'%u'", "'%%'", "'%,d'", "'%+d'", "'% d'", "'%#x'",
                   "'%.0f'", "'%20.15f'", "'%!.20g'", "'%lld'", "'%s-%d'", "'%z'", "'%.*d'")


def _printf(draw, g, scope, depth):
    fmt = pick(draw, _PRINTF_FORMATS)
    name = pick(draw, ("printf", "format"))
    n = 2 if fmt in ("'%s-%d'", "'%.*d'") else 1
    args = "".join(", " + _operand(draw, g, scope, depth) for _ in range(n))
    return f"{name}({fmt}{args})"


# ---------------------------------------------------------------- aggregates

_AGGS = ("count", "sum", "max", "min", "count(*)", "avg", "total")


def aggregate(draw, g: Gen, scope: Scope, depth: int) -> str:
    """An aggregate call whose argument reads only this query's columns."""
    inner = Scope(refs=scope.agg_refs if scope.agg_refs is not None else scope.refs)
    name = pick(draw, _AGGS)
    if name == "count(*)":
        call = "count(*)"
    else:
        distinct = "DISTINCT " if g.on("distinct") and chance(draw, 15) else ""
        call = f"{name}({distinct}{expr(draw, g, inner, depth)})"
    if chance(draw, 10):
        call += f" FILTER (WHERE {predicate(draw, g, inner, depth)})"
    return call


def _agg(draw, g, scope, depth):
    return aggregate(draw, g, scope, max(depth, 0))


# ---------------------------------------------------------------- subqueries

def _scalar_sub(draw, g, scope, depth):
    from .queries import scalar_subquery
    return scalar_subquery(draw, g, scope)


def _in_sub(draw, g, scope, depth):
    from .queries import column_subquery
    neg = pick(draw, ("", "NOT "))
    return f"({_operand(draw, g, scope, depth)} {neg}IN {column_subquery(draw, g, scope)})"


def _exists(draw, g, scope, depth):
    from .queries import exists_subquery
    neg = pick(draw, ("", "NOT "))
    return f"({neg}EXISTS {exists_subquery(draw, g, scope)})"


def _subqueries_here(g) -> bool:
    return g.subquery_budget > 0 and g.on("subqueries") and bool(g.schema.tables) and \
        not g.in_trigger and not g.in_schema


def _exists_p(draw, g, scope, depth):
    if _subqueries_here(g):
        return _exists(draw, g, scope, depth)
    return _cmp(draw, g, scope, depth)


def _between_p(draw, g, scope, depth):
    return _between(draw, g, scope, depth) if g.on("between_in") else _cmp(draw, g, scope, depth)


def _in_p(draw, g, scope, depth):
    if _subqueries_here(g) and chance(draw, 40):
        return _in_sub(draw, g, scope, depth)
    return _in_list(draw, g, scope, depth) if g.on("between_in") else _cmp(draw, g, scope, depth)


def _like_p(draw, g, scope, depth):
    return _like(draw, g, scope, depth) if g.on("like_glob") else _cmp(draw, g, scope, depth)


_BUILDERS = {
    "col": _col, "lit": _lit, "cmp": _cmp, "arith": _arith, "bit": _bit, "concat": _concat,
    "logic": _logic, "not": _not, "neg": _neg, "isnull": _isnull, "distinct_from": _distinct_from,
    "chain": _chain, "between": _between, "in_list": _in_list, "like": _like, "case": _case,
    "cast": _cast, "collate": _collate, "func": _func, "math": _math, "date": _date,
    "json": _json, "printf": _printf, "agg": _agg, "scalar_sub": _scalar_sub,
    "in_sub": _in_sub, "exists": _exists, "exists_p": _exists_p, "between_p": _between_p,
    "in_p": _in_p, "like_p": _like_p, "text_func": _text_func, "num_func": _num_func,
}

# A few kinds that must not be skipped by depth: a predicate kind at depth 0
# still builds its operands as leaves.
__all__ = ["expr", "predicate", "aggregate", "column", "INTEGERS", "TEXTS"]
