"""The single-target oracles: ternary logic partitioning (TLP; Rigger and Su,
OOPSLA 2020) and non-optimizing reference engine construction (NoREC;
Rigger and Su, ESEC/FSE 2020).  Both take a *probe*, a query of the form

    SELECT [DISTINCT] items FROM src [WHERE p] [GROUP BY g [HAVING h]]

and run rewrites of it on the same target; they need no second engine, so
they can be pointed at sqlite3 itself.

- TLP, WHERE: the rows of ``SELECT items FROM src`` are, as a multiset,
  those of ``... WHERE (p)``, ``... WHERE NOT (p)`` and ``... WHERE (p) IS
  NULL`` together.  DISTINCT: ``SELECT DISTINCT`` over the three partitions
  joined by UNION ALL gives the rows of ``SELECT DISTINCT items FROM src``.
  Aggregate (a single count/sum/min/max): count and sum add up over the
  partitions; min/max equal one of the partitions' (up to ties).
  HAVING: the groups split the same way on ``h``.
- NoREC: ``SELECT count(*) FROM src WHERE p`` equals
  ``SELECT sum(CASE WHEN p THEN 1 ELSE 0 END) FROM src``, where no index or
  rewrite can apply to ``p``.

A probe is taken apart by :func:`split_probe`, a scan for top-level clause
keywords (outside parentheses, quotes and comments), so the oracles work on
any SQL text of that form, hand-written ones included.  A rewrite that
fails (an error, a timeout) makes the check inconclusive, never a finding.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from targets import OK, Difference, Result
from targets.compare import row_key

from .compare import _REPRESENTATIVE, _FLOAT_AGG, _approx_row, loose_row, loose_value

_TOKEN = re.compile(
    r"""(?P<space>\s+|--[^\n]*|/\*.*?(?:\*/|\Z))"""
    r"""|(?P<quoted>'(?:[^']|'')*'|"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])"""
    r"""|(?P<word>[A-Za-z_][A-Za-z0-9_$]*)"""
    r"""|(?P<open>\()|(?P<close>\))|(?P<other>.)""", re.S)

_CLAUSES = {"FROM", "WHERE", "GROUP", "HAVING"}
_REJECT = {"ORDER", "LIMIT", "WINDOW", "UNION", "INTERSECT", "EXCEPT", "VALUES", "WITH"}


@dataclass(frozen=True)
class Probe:
    distinct: bool
    items: str
    source: str
    where: str | None
    group: str | None
    having: str | None

    def select(self, *, where: str | None = None, having: str | None = None,
               distinct: bool | None = None, items: str | None = None) -> str:
        d = self.distinct if distinct is None else distinct
        sql = f"SELECT {'DISTINCT ' if d else ''}{items or self.items} FROM {self.source}"
        if where is not None:
            sql += f" WHERE {where}"
        if self.group is not None:
            sql += f" GROUP BY {self.group}"
            if having is not None:
                sql += f" HAVING {having}"
        return sql


def split_probe(sql: str) -> Probe | None:
    """The parts of a probe, or None when ``sql`` does not have that form."""
    text = sql.strip().rstrip(";").strip()
    tokens = [(m.lastgroup, m.group(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    depth = 0
    marks: list[tuple[str, int, int]] = []      # (keyword, start, end of keyword)
    prev: list[str] = []
    for i, (kind, value, start, end) in enumerate(tokens):
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
        elif kind == "word" and depth == 0:
            upper = value.upper()
            if upper in _REJECT:
                return None
            if upper == "FROM" and len(prev) >= 2 and prev[-1] == "DISTINCT" and prev[-2] in ("IS", "NOT"):
                pass            # IS [NOT] DISTINCT FROM
            elif upper in _CLAUSES:
                if upper == "GROUP":
                    nxt = _next_word(tokens, i)
                    if nxt is None or nxt[0].upper() != "BY":
                        return None
                    end = nxt[1]
                marks.append((upper, start, end))
            prev.append(upper)
        if kind != "space" and kind != "word":
            prev.append(value)
    if depth != 0 or not text[:6].upper() == "SELECT" or not marks or marks[0][0] != "FROM":
        return None
    names = [m[0] for m in marks]
    if len(set(names)) != len(names) or names != sorted(names, key=["FROM", "WHERE", "GROUP", "HAVING"].index):
        return None
    head = text[6:marks[0][1]].strip()
    distinct = False
    if re.match(r"DISTINCT\b", head, re.I):
        distinct, head = True, head[8:].strip()
    elif re.match(r"ALL\b", head, re.I):
        head = head[3:].strip()
    parts = {}
    for n, (name, start, end) in enumerate(marks):
        stop = marks[n + 1][1] if n + 1 < len(marks) else len(text)
        parts[name] = text[end:stop].strip()
    if "HAVING" in parts and "GROUP" not in parts:
        return None
    if not head or not all(parts.values()):
        return None
    return Probe(distinct, head, parts["FROM"], parts.get("WHERE"), parts.get("GROUP"), parts.get("HAVING"))


def _next_word(tokens, i):
    for kind, value, start, end in tokens[i + 1:]:
        if kind == "space":
            continue
        return (value, end) if kind == "word" else None
    return None


@dataclass
class Finding:
    oracle: str
    kind: str
    detail: str
    queries: list[str]           # the rewrites that were run, first the reference
    expected: Result             # what the reference query gave
    got: Result                  # what the partitions (or the optimized query) gave


_AGGREGATE = re.compile(r"^(count|sum|min|max)\s*\((.*)\)$", re.I | re.S)
_ANY_AGGREGATE = re.compile(r"\b(?:count|sum|min|max|avg|total|group_concat|json_group_array|json_group_object)\s*\(",
                            re.I)


def tlp(target, sql: str, original: Result | None = None) -> Finding | None:
    """Runs TLP on the probe ``sql``; a Finding when the partitions disagree."""
    probe = split_probe(sql)
    if probe is None:
        return None
    if probe.having is not None:
        h = probe.having
        base = probe.select(where=probe.where)
        parts = [probe.select(where=probe.where, having=f"({h})"),
                 probe.select(where=probe.where, having=f"NOT ({h})"),
                 probe.select(where=probe.where, having=f"({h}) IS NULL")]
        return _partition_check("tlp-having", target, sql, base, parts)
    if probe.where is None:
        return None
    p = probe.where
    conds = [f"({p})", f"NOT ({p})", f"({p}) IS NULL"]
    if probe.group is not None:
        return None
    agg = _AGGREGATE.match(probe.items)
    if agg and not probe.distinct and "," not in _top_level_commas(probe.items) and \
            "," not in _top_level_commas(agg.group(2)) and not re.match(r"\s*DISTINCT\b", agg.group(2), re.I):
        return _aggregate_check(target, sql, probe, agg.group(1).lower(), conds)
    if _ANY_AGGREGATE.search(probe.items):
        return None         # an aggregate query of another shape: not partitioned here
    base = probe.select(where=None)
    if probe.distinct:
        union = " UNION ALL ".join(probe.select(where=c, distinct=False) for c in conds)
        combined = f"SELECT DISTINCT * FROM ({union})"
        return _partition_check("tlp-distinct", target, sql, base, [combined])
    return _partition_check("tlp-where", target, sql, base, [probe.select(where=c) for c in conds])


def _top_level_commas(items: str) -> str:
    depth = 0
    out = []
    for m in _TOKEN.finditer(items):
        if m.lastgroup == "open":
            depth += 1
        elif m.lastgroup == "close":
            depth -= 1
        elif m.group() == "," and depth == 0:
            out.append(",")
    return "".join(out)


def _run_all(target, queries: list[str]) -> list[Result] | None:
    results = []
    for q in queries:
        r = target.execute(q)
        if r.status != OK:
            return None
        results.append(r)
    return results


def _partition_check(kind, target, sql, base, parts) -> Finding | None:
    results = _run_all(target, [base] + parts)
    if results is None:
        return None
    expected = results[0]
    combined_rows = [row for r in results[1:] for row in r.rows]
    got = Result(status=OK, rows=combined_rows, columns=expected.columns)
    if Counter(map(row_key, expected.rows)) == Counter(map(row_key, combined_rows)):
        return None
    if len(expected.rows) == len(combined_rows):
        if _REPRESENTATIVE.search(sql) and Counter(map(loose_row, expected.rows)) == Counter(map(loose_row, combined_rows)):
            return None
        if _FLOAT_AGG.search(sql) and Counter(map(_approx_row, expected.rows)) == Counter(map(_approx_row, combined_rows)):
            return None
        if kind == "tlp-having" and Counter(map(_numeric_row, expected.rows)) == Counter(map(_numeric_row, combined_rows)):
            # sqlite3 applies a comparison's affinity to the GROUP BY
            # column's value in place, so a HAVING that compares it can
            # change the storage class the query returns ('0' becomes 0):
            # the same groups, so not a partitioning difference.
            return None
    detail = f"{len(expected.rows)} rows without the condition, {len(combined_rows)} in the partitions"
    if len(expected.rows) == len(combined_rows):
        only_a = list((Counter(map(row_key, expected.rows)) - Counter(map(row_key, combined_rows))).elements())[:2]
        only_b = list((Counter(map(row_key, combined_rows)) - Counter(map(row_key, expected.rows))).elements())[:2]
        detail = f"only without the condition: {_untag(only_a)}; only in the partitions: {_untag(only_b)}"
    return Finding("tlp", kind, detail, [base] + parts, expected, got)


_NUMERIC_TEXT = re.compile(r"\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*\Z")


def _numeric_row(row) -> tuple:
    """A row with numeric-looking text read as the number it spells (numeric
    affinity), so values that differ only by that conversion coincide."""
    out = []
    for v in row:
        if isinstance(v, str) and _NUMERIC_TEXT.match(v):
            try:
                n = float(v)
                v = int(v) if re.fullmatch(r"\s*[+-]?[0-9]+\s*", v) and -2**63 <= int(v) < 2**63 else n
            except (ValueError, OverflowError):
                pass
        out.append(loose_value(v) if not isinstance(v, (int, float)) else (1, v))
    return tuple(out)


def _untag(keys):
    return [tuple(v for _, v in key) for key in keys]


def _aggregate_check(target, sql, probe: Probe, fn: str, conds) -> Finding | None:
    base = probe.select(where=None)
    parts = [probe.select(where=c) for c in conds]
    results = _run_all(target, [base] + parts)
    if results is None or any(len(r.rows) != 1 or len(r.rows[0]) != 1 for r in results):
        return None
    whole = results[0].rows[0][0]
    values = [r.rows[0][0] for r in results[1:]]
    present = [v for v in values if v is not None]
    if fn == "count":
        ok = whole == sum(values)
        combined = sum(values)
    elif fn == "sum":
        if not present:
            ok, combined = whole is None, None
        elif all(isinstance(v, int) for v in present) and isinstance(whole, int):
            combined = sum(present)
            ok = whole == combined
        else:
            combined = sum(float(v) for v in present if isinstance(v, (int, float)))
            ok = isinstance(whole, (int, float)) and _close(float(whole), combined)
    else:
        combined = present
        ok = (whole is None and not present) or any(loose_value(whole) == loose_value(v) for v in present)
    if ok:
        return None
    got = Result(status=OK, rows=[(combined if not isinstance(combined, list) else tuple(combined),)],
                 columns=results[0].columns)
    return Finding("tlp", f"tlp-{fn}", f"{fn} over all rows is {whole!r}; the partitions give {values!r}",
                   [base] + parts, results[0], got)


def _close(a: float, b: float) -> bool:
    if a == b:
        return True
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b))


def norec(target, sql: str, original: Result | None = None) -> Finding | None:
    """Runs NoREC on the probe ``sql``; a Finding when the optimized count
    and the unoptimizable one differ."""
    probe = split_probe(sql)
    if probe is None or probe.where is None or probe.group is not None:
        return None
    optimized = f"SELECT count(*) FROM {probe.source} WHERE {probe.where}"
    plain = f"SELECT sum(CASE WHEN {probe.where} THEN 1 ELSE 0 END) FROM {probe.source}"
    results = _run_all(target, [optimized, plain])
    if results is None:
        return None
    a, b = results
    count_a = a.rows[0][0] if a.rows else None
    count_b = (b.rows[0][0] if b.rows else None) or 0
    if count_a == count_b:
        return None
    return Finding("norec", "norec", f"count(*) with WHERE gives {count_a!r}, the unoptimized count {count_b!r}",
                   [optimized, plain], b, a)


ORACLES = {"tlp": tlp, "norec": norec}


__all__ = ["split_probe", "Probe", "tlp", "norec", "Finding", "Difference", "ORACLES"]
