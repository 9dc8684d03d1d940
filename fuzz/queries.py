"""SELECT statements (lang_select.html, lang_with.html, windowfunctions.html):
FROM with tables, views, subqueries, CTEs, VALUES and json_each joined in
every way (comma, INNER, CROSS, LEFT, RIGHT, FULL, NATURAL, USING), WHERE,
GROUP BY/HAVING, DISTINCT, window functions, compounds, CTEs (recursive
too), ORDER BY and LIMIT/OFFSET; the subqueries that expressions embed.

Nondeterminism is kept out where it arises:

- a query whose rows are compared in order gets an ORDER BY that ends in
  its sources' identities (rowids or primary keys), which makes the order
  total; where a source has none, it ends in every output column, and the
  comparison treats rows that SQLite's comparison cannot tell apart
  (1 and 1.0, 'a' and 'A' under NOCASE) as ties (:mod:`fuzz.compare`);
- LIMIT inside a subquery comes only with an order by identities;
- an aggregate query's output reads only GROUP BY columns and aggregates
  (no bare columns);
- window functions whose value depends on the order among peers
  (row_number, ntile, lag/lead, first/last/nth_value, ROWS frames) come
  only when the window's ORDER BY ends in identities;
- group_concat only as a window function ordered that way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .context import Gen, Scope, chance, integer, pick
from .expressions import aggregate, expr, predicate
from .values import ANY


@dataclass
class Source:
    sql: str
    alias: str
    columns: tuple[str, ...]
    identity: tuple[str, ...] | None        # qualified references


@dataclass
class From:
    sql: str
    refs: tuple[str, ...]
    identity: tuple[str, ...] | None
    sources: list[Source] = field(default_factory=list)


@dataclass
class Query:
    sql: str
    width: int
    ordered: bool = False        # compare rows in order
    limited: bool = False        # ordered with LIMIT/OFFSET over ties that may differ


# ---------------------------------------------------------------- FROM

_SOURCE_KINDS = ("table", "table", "table", "view", "subquery", "cte", "values", "json_each", "table")


def source(draw, g: Gen, outer: Scope | None, *, allow_derived: bool = True) -> Source:
    kinds = [k for k in _SOURCE_KINDS if _source_possible(g, k, allow_derived)]
    kind = pick(draw, tuple(kinds))
    alias = g.alias()
    if kind == "view":
        view = pick(draw, tuple(g.schema.views))
        return Source(f"{view.name} AS {alias}", alias, tuple(view.columns), None)
    if kind == "cte":
        name, columns = pick(draw, tuple(g.ctes))
        return Source(f"{name} AS {alias}", alias, tuple(columns), None)
    if kind == "subquery":
        g.subquery_budget -= 1
        width = integer(draw, 1, 3)
        inner = select_core(draw, g, outer=None, width=width, named=True)
        g.subquery_budget += 1
        return Source(f"({inner.sql}) AS {alias}", alias, _names(width), None)
    if kind == "values":
        width = integer(draw, 1, 3)
        rows = integer(draw, 1, 3)
        body = ", ".join("(" + ", ".join(pick(draw, ANY) for _ in range(width)) + ")" for _ in range(rows))
        columns = tuple(f"column{i + 1}" for i in range(width))
        return Source(f"(VALUES {body}) AS {alias}", alias, columns, None)
    if kind == "json_each":
        doc = pick(draw, ("'[1,2,3]'", "'{\"a\":1,\"b\":\"x\"}'", "'[1,[2,3],null,\"a\"]'", "'[]'", "'[1.5,1,\"1\"]'"))
        fn = pick(draw, ("json_each", "json_tree"))
        return Source(f"{fn}({doc}) AS {alias}", alias, ("key", "value", "type", "fullkey"), (f"{alias}.id",))
    table = pick(draw, tuple(g.schema.tables))
    hint = " NOT INDEXED" if chance(draw, 3) else ""
    columns = tuple(table.names)
    identity = tuple(f"{alias}.{c}" for c in table.identity)
    if not table.without_rowid and chance(draw, 20):
        columns += ("rowid",)
    return Source(f"{table.name} AS {alias}{hint}", alias, columns, identity)


def _source_possible(g: Gen, kind: str, allow_derived: bool) -> bool:
    if kind == "table":
        return bool(g.schema.tables)
    if kind == "view":
        return bool(g.schema.views) and g.on("views")
    if kind == "cte":
        return bool(g.ctes)
    if kind == "subquery":
        return allow_derived and g.subquery_budget > 0 and g.on("subqueries") and bool(g.schema.tables)
    if kind == "values":
        return g.on("values")
    if kind == "json_each":
        return g.on("json")
    return False


def _names(width: int) -> tuple[str, ...]:
    return tuple(f"x{i}" for i in range(width))


_JOINS = ("JOIN", ",", "LEFT JOIN", "CROSS JOIN", "INNER JOIN", "RIGHT JOIN", "FULL JOIN",
          "LEFT OUTER JOIN", "NATURAL JOIN", "USING", "NATURAL LEFT JOIN", "FULL OUTER JOIN",
          "NATURAL RIGHT JOIN")
_ON_JOINS = frozenset({"JOIN", "LEFT JOIN", "INNER JOIN", "RIGHT JOIN", "FULL JOIN",
                       "LEFT OUTER JOIN", "FULL OUTER JOIN"})
_join_cache: dict[tuple, tuple[str, ...]] = {}


def _join_ops(g: Gen) -> tuple[str, ...]:
    key = (g.config.without, g.no_right_joins)
    ops = _join_cache.get(key)
    if ops is None:
        ops = tuple(op for op in _JOINS
                    if (g.on("outer_joins") or not any(w in op for w in ("LEFT", "RIGHT", "FULL")))
                    and (g.on("natural_using") or not ("NATURAL" in op or op == "USING"))
                    and not (g.no_right_joins and ("RIGHT" in op or "FULL" in op)))
        _join_cache[key] = ops
    return ops


def from_clause(draw, g: Gen, outer: Scope | None, max_sources: int = 3) -> From:
    n = 1
    if g.on("joins") and max_sources > 1:
        n = integer(draw, 1, max_sources)
    first = source(draw, g, outer)
    sources = [first]
    sql = first.sql
    refs = [f"{first.alias}.{c}" for c in first.columns]
    for _ in range(n - 1):
        src = source(draw, g, outer)
        new_refs = [f"{src.alias}.{c}" for c in src.columns]
        op = pick(draw, _join_ops(g))
        if op.startswith("NATURAL") or op == "USING":
            common = [c for c in src.columns if c != "rowid" and
                      sum(c in s.columns for s in sources) == 1]
            if len(sources) > 1 and op.startswith("NATURAL"):
                op = "JOIN"           # NATURAL over several left sources can be ambiguous
            elif op == "USING":
                if not common:
                    op = "JOIN"
                else:
                    used = common[:integer(draw, 1, min(2, len(common)))]
                    sql += f" JOIN {src.sql} USING ({', '.join(used)})"
                    sources.append(src)
                    refs += new_refs
                    continue
            if op.startswith("NATURAL"):
                sql += f" {op} {src.sql}"
                sources.append(src)
                refs += new_refs
                continue
        if op == ",":
            sql += f", {src.sql}"
        elif op == "CROSS JOIN":
            sql += f" CROSS JOIN {src.sql}"
        else:
            scope = Scope(refs=tuple(refs + new_refs), outer=outer)
            if new_refs and refs and chance(draw, 50):
                # Equality between the sides: joins that match some rows.
                on = f"{pick(draw, tuple(refs))} {pick(draw, ('=', '=', 'IS', '<'))} {pick(draw, tuple(new_refs))}"
            else:
                on = predicate(draw, g, scope, 1)
            sql += f" {op} {src.sql} ON {on}"
        sources.append(src)
        refs += new_refs
    identity: tuple[str, ...] | None = ()
    for s in sources:
        if s.identity is None:
            identity = None
            break
        identity += s.identity
    return From(sql, tuple(refs), identity, sources)


# ---------------------------------------------------------------- SELECT cores

def select_core(draw, g: Gen, outer: Scope | None, width: int | None = None, named: bool = False,
                allow_window: bool = True, allow_distinct: bool = True) -> Query:
    """One SELECT without ORDER BY: plain, DISTINCT or aggregate; ``named``
    gives the output columns the names x0, x1, ... (for FROM subqueries,
    views and CTEs)."""
    frm = from_clause(draw, g, outer) if g.schema.tables and chance(draw, 88) else None
    if width is None:
        width = integer(draw, 1, 4)
    refs = frm.refs if frm else ()
    base = Scope(refs=refs, identity=frm.identity if frm else None, outer=outer)
    where = ""
    if frm is not None and chance(draw, 45):
        where = " WHERE " + predicate(draw, g, base, _depth(draw))
    aggregate_query = g.on("aggregates") and frm is not None and chance(draw, 25)
    distinct = allow_distinct and g.on("distinct") and chance(draw, 18)
    group = having = ""
    if aggregate_query:
        out_scope, group, having = _grouping(draw, g, base)
        items = [_agg_item(draw, g, out_scope) for _ in range(width)]
    else:
        window = allow_window and g.on("window") and frm is not None
        items = [_plain_item(draw, g, base, window) for _ in range(width)]
    if named:
        items = [f"{e} AS x{i}" for i, e in enumerate(items)]
    head = "SELECT DISTINCT " if distinct else "SELECT "
    from_sql = f" FROM {frm.sql}" if frm else ""
    return Query(f"{head}{', '.join(items)}{from_sql}{where}{group}{having}", width)


def _grouping(draw, g: Gen, base: Scope) -> tuple[Scope, str, str]:
    terms: list[str] = []
    if g.on("group_by") and chance(draw, 75):
        for _ in range(integer(draw, 1, 2)):
            if chance(draw, 75) or not base.refs:
                terms.append(pick(draw, base.refs))
            else:
                term = expr(draw, g, Scope(refs=base.refs), 1)
                if not _is_number(term):
                    terms.append(term)
    column_terms = tuple(t for t in terms if t in base.refs)
    out = Scope(refs=column_terms, agg_refs=base.refs, outer=base.outer, group_terms=tuple(terms))
    group = f" GROUP BY {', '.join(terms)}" if terms else ""
    having = ""
    if terms and chance(draw, 35):
        having = " HAVING " + predicate(draw, g, out, 2)
    return out, group, having


def _is_number(text: str) -> bool:
    return text.lstrip("-+").replace(".", "", 1).replace("e", "", 1).isdigit() or text.startswith(("0x", "-0x"))


def _agg_item(draw, g: Gen, out: Scope) -> str:
    choice = integer(draw, 0, 9)
    if out.group_terms and choice < 3:
        return pick(draw, out.group_terms)
    if choice < 7:
        return aggregate(draw, g, out, 1)
    return expr(draw, g, out, 2)


def _plain_item(draw, g: Gen, base: Scope, window: bool) -> str:
    if window and chance(draw, 15):
        return window_call(draw, g, base)
    if base.refs and chance(draw, 30):
        return pick(draw, base.refs)       # a bare column shows storage, affinity and collation
    return expr(draw, g, base, _depth(draw))


_DEPTHS = (1, 1, 0, 2, 1)


def _depth(draw) -> int:
    """Shallow expressions are the common case: a wrong operator result
    shows in the output instead of vanishing inside a larger expression."""
    return pick(draw, _DEPTHS)


# ---------------------------------------------------------------- windows

_PEER_SAFE = ("rank()", "dense_rank()", "percent_rank()", "cume_dist()", "count(*)",
              "sum", "count", "avg", "min", "max", "total")
_ORDER_SENSITIVE = ("row_number()", "ntile", "lag", "lead", "first_value", "last_value",
                    "nth_value", "group_concat")
_FRAMES = ("", "RANGE BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING",
           "RANGE BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING",
           "GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW", "GROUPS BETWEEN CURRENT ROW AND 1 FOLLOWING",
           "RANGE UNBOUNDED PRECEDING", "GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING")
_ROW_FRAMES = ("ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING", "ROWS UNBOUNDED PRECEDING",
               "ROWS BETWEEN CURRENT ROW AND 2 FOLLOWING", "ROWS BETWEEN 2 PRECEDING AND 1 PRECEDING")
_EXCLUDES = ("", "", " EXCLUDE CURRENT ROW", " EXCLUDE TIES", " EXCLUDE GROUP", " EXCLUDE NO OTHERS")


def window_call(draw, g: Gen, scope: Scope) -> str:
    """A window function call.  Functions whose value depends on the order
    among peers get the sources' identities at the end of the window's
    ORDER BY (so there are no peers); the others keep the ties, which is
    what rank(), dense_rank(), cume_dist() and RANGE/GROUPS frames are
    about."""
    total = scope.identity is not None and bool(scope.identity)
    names = _PEER_SAFE + (_ORDER_SENSITIVE if total else ())
    fn = pick(draw, names)
    sensitive = fn in _ORDER_SENSITIVE
    arg_scope = Scope(refs=scope.refs, outer=scope.outer)
    if fn.endswith(")"):
        call = fn
    elif fn in ("lag", "lead"):
        extra = ""
        if chance(draw, 50):
            extra = ", " + pick(draw, ("1", "2", "0", "-1"))
            if chance(draw, 50):
                extra += ", " + expr(draw, g, arg_scope, 0)
        call = f"{fn}({expr(draw, g, arg_scope, 1)}{extra})"
    elif fn == "ntile":
        call = f"ntile({pick(draw, ('2', '1', '3', '100'))})"
    elif fn == "nth_value":
        call = f"nth_value({expr(draw, g, arg_scope, 1)}, {pick(draw, ('1', '2', '3'))})"
    else:
        call = f"{fn}({expr(draw, g, arg_scope, 1)})"
    parts = []
    if chance(draw, 50):
        parts.append("PARTITION BY " + (pick(draw, scope.refs) if scope.refs and chance(draw, 60)
                                        else expr(draw, g, arg_scope, 1)))
    keys = []
    for _ in range(integer(draw, 0 if not sensitive else 0, 2)):
        key = pick(draw, scope.refs) if scope.refs and chance(draw, 60) else expr(draw, g, arg_scope, 1)
        keys.append(key + pick(draw, ("", " DESC", " ASC", " DESC NULLS FIRST", " NULLS LAST")))
    frame = ""
    if keys or sensitive:
        frames = _FRAMES + (_ROW_FRAMES if total else ())
        frame = pick(draw, frames)
    if sensitive or frame.startswith("ROWS"):
        keys += list(scope.identity)
    if keys:
        parts.append("ORDER BY " + ", ".join(keys))
        if frame:
            parts.append(frame + pick(draw, _EXCLUDES))
    return f"{call} OVER ({' '.join(parts)})"


# ---------------------------------------------------------------- subqueries in expressions

def _sub_from(draw, g: Gen, outer: Scope) -> tuple[From, Scope, str]:
    g.subquery_budget -= 1
    frm = from_clause(draw, g, outer if g.on("correlated") else None, max_sources=2)
    corr_outer = outer if g.on("correlated") else None
    scope = Scope(refs=frm.refs, identity=frm.identity, outer=corr_outer)
    where = ""
    if chance(draw, 70):
        where = " WHERE " + predicate(draw, g, scope, 1)
    return frm, scope, where


def scalar_subquery(draw, g: Gen, outer: Scope) -> str:
    frm, scope, where = _sub_from(draw, g, outer)
    try:
        if frm.identity and g.on("limit") and chance(draw, 35):
            item = expr(draw, g, scope, 1)
            order = ", ".join(frm.identity)
            desc = pick(draw, ("", " DESC"))
            return f"(SELECT {item} FROM {frm.sql}{where} ORDER BY {order}{desc} LIMIT 1)"
        item = aggregate(draw, g, Scope(refs=scope.refs, agg_refs=scope.refs), 1) if g.on("aggregates") \
            else "count(*)"
        return f"(SELECT {item} FROM {frm.sql}{where})"
    finally:
        g.subquery_budget += 1


def column_subquery(draw, g: Gen, outer: Scope) -> str:
    frm, scope, where = _sub_from(draw, g, outer)
    try:
        item = expr(draw, g, scope, 1)
        return f"(SELECT {item} FROM {frm.sql}{where})"
    finally:
        g.subquery_budget += 1


def exists_subquery(draw, g: Gen, outer: Scope) -> str:
    frm, scope, where = _sub_from(draw, g, outer)
    try:
        item = pick(draw, ("1", "*", "NULL")) if chance(draw, 70) else expr(draw, g, scope, 1)
        return f"(SELECT {item} FROM {frm.sql}{where})"
    finally:
        g.subquery_budget += 1


# ---------------------------------------------------------------- top-level queries

_KEY_SUFFIX = ("", " DESC", " ASC", " NULLS FIRST", " DESC NULLS LAST", " COLLATE NOCASE",
               " NULLS LAST", " DESC NULLS FIRST", " COLLATE BINARY DESC", " COLLATE RTRIM")


def top_query(draw, g: Gen) -> Query:
    """A query statement: a plain, aggregate or compound SELECT (perhaps
    with CTEs), a VALUES list, or a look at the schema."""
    kind = pick(draw, ("select", "scalar", "scan", "select", "compound", "cte", "values",
                       "schema", "select", "scalar", "scan"))
    if kind == "scalar":
        return scalar_select(draw, g)
    if kind == "scan" and g.schema.tables:
        return _scan(draw, g)
    if kind == "compound" and g.on("compounds"):
        return _compound(draw, g)
    if kind == "cte" and g.on("cte"):
        return _with_cte(draw, g)
    if kind == "values" and g.on("values"):
        width = integer(draw, 1, 3)
        rows = ", ".join("(" + ", ".join(expr(draw, g, Scope(), 1) for _ in range(width)) + ")"
                         for _ in range(integer(draw, 1, 3)))
        return Query(f"VALUES {rows}", width)
    if kind == "schema" and g.on("pragmas"):
        return _schema_query(draw, g)
    return _ordered_select(draw, g)


def scalar_select(draw, g: Gen) -> Query:
    """Expressions without FROM, each one or two operators deep: one row
    whose every value shows an operator's or a function's result."""
    width = integer(draw, 1, 8)
    items = ", ".join(expr(draw, g, Scope(), pick(draw, (1, 1, 2, 1, 0))) for _ in range(width))
    return Query(f"SELECT {items}", width)


_SCAN_OPS = ("=", "<", ">=", "!=", "IS", "<=", ">", "IS NOT", "==", "<>")


def _scan(draw, g: Gen) -> Query:
    """Columns of one table, perhaps DISTINCT, filtered by a column against
    a value, in an order: what shows how rows were stored (affinity,
    collation), kept in indexes, changed and ordered."""
    table = pick(draw, tuple(g.schema.tables))
    alias = g.alias()
    refs = tuple(f"{alias}.{c}" for c in table.names)
    width = integer(draw, 1, min(3, len(refs)))
    items = [pick(draw, refs) for _ in range(width)]
    distinct = g.on("distinct") and chance(draw, 25)
    sql = f"SELECT {'DISTINCT ' if distinct else ''}{', '.join(items)} FROM {table.name} AS {alias}"
    if chance(draw, 55):
        col = pick(draw, refs)
        kind = pick(draw, ("cmp", "cmp", "in", "between", "like", "null"))
        if kind == "in" and g.on("between_in"):
            values = ", ".join(pick(draw, ANY) for _ in range(integer(draw, 1, 3)))
            sql += f" WHERE {col} {pick(draw, ('IN', 'NOT IN'))} ({values})"
        elif kind == "between" and g.on("between_in"):
            sql += f" WHERE {col} BETWEEN {pick(draw, ANY)} AND {pick(draw, ANY)}"
        elif kind == "like" and g.on("like_glob"):
            sql += f" WHERE {col} {pick(draw, ('LIKE', 'GLOB', 'NOT LIKE'))} {pick(draw, _SCAN_PATTERNS)}"
        elif kind == "null":
            sql += f" WHERE {col} {pick(draw, ('IS NULL', 'IS NOT NULL'))}"
        else:
            sql += f" WHERE {col} {pick(draw, _SCAN_OPS)} {pick(draw, ANY)}"
    if not g.on("order_by") or chance(draw, 35):
        return Query(sql, width)
    # Under DISTINCT a key outside the result would come from whichever
    # duplicate survived, which SQLite leaves open: keys are result columns.
    key_refs = tuple(items) if distinct else refs
    keys = [pick(draw, key_refs) + pick(draw, _KEY_SUFFIX) for _ in range(integer(draw, 1, 2))]
    exact = not distinct and bool(table.identity)
    keys += [f"{alias}.{c}" for c in table.identity] if exact else [str(i + 1) for i in range(width)]
    sql += " ORDER BY " + ", ".join(keys)
    limited = False
    if g.on("limit") and chance(draw, 35):
        sql += _limit(draw)
        limited = not exact
    return Query(sql, width, ordered=True, limited=limited)


_SCAN_PATTERNS = ("'a%'", "'A%'", "'%'", "'_'", "'a'", "'A'", "'%b%'", "'[a]*'", "'a*'", "'%é%'", "'1%'")


def _ordered_select(draw, g: Gen) -> Query:
    frm = from_clause(draw, g, None) if g.schema.tables and chance(draw, 78) else None
    base = Scope(refs=frm.refs if frm else (), identity=frm.identity if frm else None)
    width = integer(draw, 1, 4)
    where = ""
    if frm is not None and chance(draw, 45):
        where = " WHERE " + predicate(draw, g, base, _depth(draw))
    aggregate_query = g.on("aggregates") and frm is not None and chance(draw, 25)
    distinct = g.on("distinct") and chance(draw, 18)
    group = having = ""
    star = False
    if aggregate_query:
        out, group, having = _grouping(draw, g, base)
        items = [_agg_item(draw, g, out) for _ in range(width)]
        key_scope = out
    else:
        window = g.on("window") and frm is not None
        star = frm is not None and not distinct and chance(draw, 8)
        items = ["*"] if star else [_plain_item(draw, g, base, window) for _ in range(width)]
        key_scope = base
    head = "SELECT DISTINCT " if distinct else "SELECT "
    sql = f"{head}{', '.join(items)}{' FROM ' + frm.sql if frm else ''}{where}{group}{having}"
    if not g.on("order_by") or chance(draw, 40):
        return Query(sql, width)
    keys = []
    for _ in range(integer(draw, 0, 2)):
        if distinct or star or chance(draw, 40):
            if star:
                key = pick(draw, base.refs)
            else:
                key = str(integer(draw, 1, width))
        else:
            key = expr(draw, g, key_scope, 1)
            if _is_number(key):
                continue          # a constant integer term names an output column
        keys.append(key + pick(draw, _KEY_SUFFIX))
    exact = not aggregate_query and not distinct and frm is not None and bool(frm.identity)
    if exact:
        keys += list(frm.identity)
    elif star:
        keys += list(base.refs)
    else:
        keys += [str(i + 1) for i in range(width)]
    sql += " ORDER BY " + ", ".join(keys)
    limited = False
    if g.on("limit") and chance(draw, 35):
        sql += _limit(draw)
        limited = not exact
    return Query(sql, width, ordered=True, limited=limited)


def _limit(draw) -> str:
    n = pick(draw, ("1", "2", "0", "3", "-1", "10"))
    if chance(draw, 50):
        return f" LIMIT {n} OFFSET {pick(draw, ('1', '0', '2', '5', '-1'))}"
    if chance(draw, 20):
        return f" LIMIT {pick(draw, ('1', '0', '2'))}, {n}"
    return f" LIMIT {n}"


def _compound(draw, g: Gen) -> Query:
    width = integer(draw, 1, 3)
    parts = [select_core(draw, g, None, width=width, allow_window=False).sql]
    ends_in_values = False
    for _ in range(integer(draw, 1, 2)):
        op = pick(draw, ("UNION ALL", "UNION", "EXCEPT", "INTERSECT"))
        ends_in_values = g.on("values") and chance(draw, 15)
        if ends_in_values:
            rhs = "VALUES (" + ", ".join(pick(draw, ANY) for _ in range(width)) + ")"
        else:
            rhs = select_core(draw, g, None, width=width, allow_window=False).sql
        parts.append(f" {op} {rhs}")
    sql = "".join(parts)
    # sqlite3 takes no ORDER BY after a compound's final VALUES.
    if not g.on("order_by") or ends_in_values or chance(draw, 40):
        return Query(sql, width)
    keys = [str(integer(draw, 1, width)) + pick(draw, _KEY_SUFFIX) for _ in range(integer(draw, 0, 1))]
    keys += [str(i + 1) for i in range(width)]
    sql += " ORDER BY " + ", ".join(keys)
    limited = False
    if g.on("limit") and chance(draw, 30):
        sql += _limit(draw)
        limited = True
    return Query(sql, width, ordered=True, limited=limited)


def _with_cte(draw, g: Gen) -> Query:
    ctes = []
    added = 0
    recursive = g.on("recursive_cte") and chance(draw, 35)
    if recursive:
        name = f"r{len(g.ctes) + 1}"
        start = pick(draw, ("1", "0", "-1", "'a'", "NULL", "2.5", "9223372036854775806", "-3"))
        step = pick(draw, ("x0 + 1", "x0 * 2", "x0 + 0.5", "x0 - 1", "x0 || 'b'", "x0 + x0"))
        bound = pick(draw, ("5", "10", "3", "100"))
        union = pick(draw, ("UNION ALL", "UNION"))
        ctes.append(f"{name}(x0) AS (SELECT {start} {union} SELECT {step} FROM {name} "
                    f"WHERE x0 < {bound} LIMIT {pick(draw, ('10', '5', '20'))})")
        g.ctes.append((name, ("x0",)))
        added += 1
    for _ in range(integer(draw, 0 if recursive else 1, 2)):
        name = f"w{len(g.ctes) + 1}"
        width = integer(draw, 1, 3)
        body = select_core(draw, g, None, width=width, named=False, allow_window=True)
        columns = _names(width)
        materialized = pick(draw, ("", "", "MATERIALIZED ", "NOT MATERIALIZED "))
        ctes.append(f"{name}({', '.join(columns)}) AS {materialized}({body.sql})")
        g.ctes.append((name, columns))
        added += 1
    try:
        main = _ordered_select(draw, g)
    finally:
        del g.ctes[len(g.ctes) - added:]
    head = "WITH RECURSIVE " if recursive else "WITH "
    return Query(head + ", ".join(ctes) + " " + main.sql, main.width, main.ordered, main.limited)


def _schema_query(draw, g: Gen) -> Query:
    kind = pick(draw, ("master", "table_info", "index_list", "xinfo", "fk", "index_info"))
    if kind == "master" or not g.schema.tables:
        name = pick(draw, ("sqlite_schema", "sqlite_master"))
        return Query(f"SELECT type, name, tbl_name, sql FROM {name} ORDER BY name, type", 4, ordered=True)
    table = pick(draw, tuple(g.schema.tables))
    if kind == "index_info" and g.schema.indexes:
        index = pick(draw, tuple(g.schema.indexes))
        return Query(f"PRAGMA index_xinfo({index.name})", 6)
    pragma = {"table_info": "table_info", "index_list": "index_list", "xinfo": "table_xinfo",
              "fk": "foreign_key_list", "index_info": "table_info"}[kind]
    if chance(draw, 30):
        return Query(f"SELECT * FROM pragma_{pragma}('{table.name}')", 6)
    return Query(f"PRAGMA {pragma}({table.name})", 6)


# ---------------------------------------------------------------- probes (TLP, NoREC)

def probe(draw, g: Gen) -> Query:
    """A query in the form the single-target oracles take apart
    (:mod:`fuzz.probes`): ``SELECT [DISTINCT] items FROM src WHERE p``,
    ``SELECT agg FROM src WHERE p`` or
    ``SELECT g, agg FROM src GROUP BY g HAVING h``."""
    g.no_right_joins = True
    try:
        return _probe(draw, g)
    finally:
        g.no_right_joins = False


def _probe(draw, g: Gen) -> Query:
    frm = from_clause(draw, g, None)
    base = Scope(refs=frm.refs, identity=frm.identity)
    form = pick(draw, ("where", "where", "aggregate", "distinct", "having"))
    if form == "aggregate" and g.on("aggregates"):
        fn = pick(draw, ("count(*)", "count", "sum", "min", "max"))
        call = fn if fn.endswith(")") else f"{fn}({expr(draw, g, Scope(refs=frm.refs), 1)})"
        return Query(f"SELECT {call} FROM {frm.sql} WHERE {predicate(draw, g, base, _depth(draw))}", 1)
    if form == "having" and g.on("aggregates") and g.on("group_by"):
        term = pick(draw, frm.refs)
        out = Scope(refs=(term,), agg_refs=frm.refs, group_terms=(term,))
        agg = aggregate(draw, g, out, 1)
        having = predicate(draw, g, out, 2)
        return Query(f"SELECT {term}, {agg} FROM {frm.sql} GROUP BY {term} HAVING {having}", 2)
    width = integer(draw, 1, 3)
    items = ", ".join(pick(draw, base.refs) if chance(draw, 40) else expr(draw, g, base, 1) for _ in range(width))
    head = "SELECT DISTINCT " if form == "distinct" and g.on("distinct") else "SELECT "
    return Query(f"{head}{items} FROM {frm.sql} WHERE {predicate(draw, g, base, _depth(draw))}", width)
