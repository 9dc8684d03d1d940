"""JSON functions (json1.html) as sqlite3 3.40 has them: scalar functions,
aggregates, the -> and ->> operators, and the table-valued json_each and
json_tree.

Values of JSON "subtype" (the result of json(), json_array(), ... passed
straight into another JSON function) are :class:`JsonText` objects, a str
subclass; the expression compiler hands them over only from one JSON
function directly into another, and turns them into plain text everywhere
else, as SQLite's subtypes behave.
"""

from __future__ import annotations


class JsonText(str):
    """Text known to be well-formed JSON produced by a JSON function."""

    __slots__ = ()


def plain(value):
    """A value as the rest of the engine sees it (subtype dropped)."""
    return str.__str__(value) if type(value) is JsonText else value


# name -> (min_args, max_args, function); max_args -1: any number
JSON_SCALARS: dict = {}
# name -> (min_args, max_args, accumulator factory, takes_collation)
JSON_AGGREGATES: dict = {}
# Functions whose results carry the JSON subtype (and may return JsonText).
JSON_PRODUCERS: frozenset = frozenset()
# The -> and ->> operators: (left, right) -> value
JSON_OPERATORS: dict = {}
# Table-valued functions: name -> (min_args, max_args, function returning an
# iterable of row tuples, visible column names, hidden column names)
TABLE_FUNCTIONS: dict = {}
