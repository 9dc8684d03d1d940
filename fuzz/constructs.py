"""The constructs the generator can produce, by name, so that a campaign can
switch some off (``--without window,triggers``) and a report can say how
often each one was generated.

The names follow the list in issue 5 and the areas of lang.html.  Detection
(:func:`detect`) reads SQL text, so it counts constructs in any script, not
only in generated ones; it is a rough keyword match meant for reports.
"""

from __future__ import annotations

import re

# name -> what it switches off
CONSTRUCTS: dict[str, str] = {
    # schema
    "without_rowid": "WITHOUT ROWID tables",
    "strict": "STRICT tables",
    "indexes": "CREATE INDEX (all kinds)",
    "unique_indexes": "CREATE UNIQUE INDEX",
    "partial_indexes": "indexes with a WHERE clause",
    "expression_indexes": "indexes on expressions",
    "views": "CREATE VIEW and queries on views",
    "triggers": "CREATE TRIGGER (BEFORE/AFTER/INSTEAD OF)",
    "generated_columns": "generated columns (VIRTUAL/STORED)",
    "foreign_keys": "FOREIGN KEY clauses and PRAGMA foreign_keys",
    "check_constraints": "CHECK constraints",
    "collations": "COLLATE NOCASE/RTRIM on columns and in expressions",
    "defaults": "DEFAULT clauses",
    "autoincrement": "AUTOINCREMENT",
    "create_table_as": "CREATE TABLE ... AS SELECT",
    # changes
    "conflict_clauses": "INSERT OR REPLACE/IGNORE/FAIL, REPLACE INTO",
    "upsert": "ON CONFLICT DO UPDATE/NOTHING",
    "update": "UPDATE",
    "update_from": "UPDATE ... FROM",
    "delete": "DELETE",
    "returning": "RETURNING",
    "alter": "ALTER TABLE (RENAME, ADD/DROP/RENAME COLUMN)",
    "drop": "DROP INDEX/VIEW/TRIGGER",
    "transactions": "BEGIN/COMMIT/ROLLBACK",
    "savepoints": "SAVEPOINT/RELEASE/ROLLBACK TO",
    "pragmas": "PRAGMA settings and PRAGMA table-valued queries",
    # queries
    "joins": "more than one FROM source (comma, INNER, CROSS)",
    "outer_joins": "LEFT/RIGHT/FULL JOIN",
    "natural_using": "NATURAL JOIN and JOIN ... USING",
    "subqueries": "subqueries (scalar, IN, EXISTS, in FROM)",
    "correlated": "correlated subqueries",
    "cte": "WITH (common table expressions)",
    "recursive_cte": "WITH RECURSIVE",
    "compounds": "UNION, UNION ALL, INTERSECT, EXCEPT",
    "aggregates": "aggregate functions",
    "group_by": "GROUP BY and HAVING",
    "window": "window functions",
    "distinct": "SELECT DISTINCT and DISTINCT aggregates",
    "order_by": "ORDER BY",
    "limit": "LIMIT and OFFSET",
    "values": "VALUES as a query or a FROM source",
    "case": "CASE expressions",
    "cast": "CAST",
    "like_glob": "LIKE, GLOB and ESCAPE",
    "between_in": "BETWEEN and IN lists",
    "functions": "core scalar functions",
    "json": "JSON functions and -> / ->>",
    "datetime": "date and time functions",
    "math": "math functions",
    "printf": "printf/format",
}

GROUPS = {
    "schema": ("without_rowid", "strict", "indexes", "unique_indexes", "partial_indexes",
               "expression_indexes", "views", "triggers", "generated_columns", "foreign_keys",
               "check_constraints", "collations", "defaults", "autoincrement", "create_table_as"),
    "changes": ("conflict_clauses", "upsert", "update", "update_from", "delete", "returning",
                "alter", "drop", "transactions", "savepoints", "pragmas"),
}


class UnknownConstruct(ValueError):
    pass


def parse_without(text: str | None) -> frozenset[str]:
    """``"window,triggers"`` -> frozenset; a group name (``schema``,
    ``changes``) stands for all its members."""
    if not text:
        return frozenset()
    out: set[str] = set()
    for raw in text.split(","):
        name = raw.strip().lower().replace("-", "_")
        if not name:
            continue
        if name in GROUPS:
            out.update(GROUPS[name])
        elif name in CONSTRUCTS:
            out.add(name)
        else:
            raise UnknownConstruct(
                f"unknown construct {raw.strip()!r}; known: {', '.join(sorted(CONSTRUCTS))}")
    return frozenset(out)


_PATTERNS = {
    "without_rowid": r"\bWITHOUT\s+ROWID\b",
    "strict": r"\)\s*STRICT\b|,\s*STRICT\b",
    "indexes": r"\bCREATE\s+(?:UNIQUE\s+)?INDEX\b",
    "unique_indexes": r"\bCREATE\s+UNIQUE\s+INDEX\b",
    "views": r"\bCREATE\s+VIEW\b",
    "triggers": r"\bCREATE\s+TRIGGER\b",
    "generated_columns": r"\bGENERATED\s+ALWAYS\b|\bAS\s*\(.*\)\s*(?:VIRTUAL|STORED)\b",
    "foreign_keys": r"\bREFERENCES\b|\bforeign_keys\b",
    "check_constraints": r"\bCHECK\s*\(",
    "collations": r"\bCOLLATE\b",
    "defaults": r"\bDEFAULT\b",
    "autoincrement": r"\bAUTOINCREMENT\b",
    "create_table_as": r"\bCREATE\s+TABLE\s+\w+\s+AS\b",
    "conflict_clauses": r"\bOR\s+(?:REPLACE|IGNORE|FAIL|ABORT|ROLLBACK)\b|^\s*REPLACE\b",
    "upsert": r"\bON\s+CONFLICT\b",
    "update": r"^\s*UPDATE\b",
    "update_from": r"^\s*UPDATE\b.*\bFROM\b",
    "delete": r"^\s*DELETE\b",
    "returning": r"\bRETURNING\b",
    "alter": r"^\s*ALTER\b",
    "drop": r"^\s*DROP\b",
    "transactions": r"^\s*(?:BEGIN|COMMIT|END|ROLLBACK)\b",
    "savepoints": r"^\s*(?:SAVEPOINT|RELEASE)\b|\bROLLBACK\s+TO\b",
    "pragmas": r"\bPRAGMA\b|\bpragma_\w+\(",
    "joins": r"\bJOIN\b|\bFROM\s+(?:(?!\b(?:WHERE|GROUP|ORDER|LIMIT|HAVING|WINDOW|UNION|EXCEPT|INTERSECT|RETURNING)\b)[^()])*?,",
    "outer_joins": r"\b(?:LEFT|RIGHT|FULL)\s+(?:OUTER\s+)?JOIN\b",
    "natural_using": r"\bNATURAL\b|\bUSING\s*\(",
    "subqueries": r"\(\s*SELECT\b|\bEXISTS\b",
    "cte": r"^\s*WITH\b",
    "recursive_cte": r"^\s*WITH\s+RECURSIVE\b",
    "compounds": r"\bUNION\b|\bINTERSECT\b|\bEXCEPT\b",
    "aggregates": r"\b(?:count|sum|total|avg|min|max|group_concat)\s*\(",
    "group_by": r"\bGROUP\s+BY\b",
    "window": r"\bOVER\b",
    "distinct": r"\bDISTINCT\b",
    "order_by": r"\bORDER\s+BY\b",
    "limit": r"\bLIMIT\b",
    "values": r"\bVALUES\s*\(",
    "case": r"\bCASE\b",
    "cast": r"\bCAST\s*\(",
    "like_glob": r"\bLIKE\b|\bGLOB\b",
    "between_in": r"\bBETWEEN\b|\bIN\s*\(",
    "json": r"\bjson\w*\(|->",
    "datetime": r"\b(?:date|time|datetime|julianday|strftime|unixepoch)\(",
    "math": r"\b(?:ceil|ceiling|floor|trunc|sqrt|pow|power|exp|ln|log|log2|log10|mod|pi|sin|cos|tan|degrees|radians|acos|asin|atan)\(",
    "printf": r"\b(?:printf|format)\(",
    "functions": r"\b(?:abs|coalesce|ifnull|nullif|iif|length|lower|upper|substr|substring|trim|ltrim|rtrim|replace|instr|hex|quote|typeof|round|char|unicode|likely|unlikely|zeroblob|sign)\(",
}
_COMPILED = {name: re.compile(p, re.I | re.S) for name, p in _PATTERNS.items()}


def detect(sql: str) -> set[str]:
    """The constructs that ``sql`` (one statement) appears to use."""
    return {name for name, pattern in _COMPILED.items() if pattern.search(sql)}
