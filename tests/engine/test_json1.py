"""engine/exec/json1.py against the sqlite3 binary.

Every probe is an expression written once in a tiny call DSL: it is printed
as SQL and run by ``sqlite3`` (the expectation), and evaluated in Python by
calling the module's functions directly (the result under test).  Nested
JSON calls hand their results over unchanged, JsonText included, as the
expression compiler does, so a probe like ``json_array(json('[1]'))`` checks
the subtype rule on both sides.  No expected value is typed here.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from fractions import Fraction

import pytest

from engine.errors import SQLError
from engine.exec.json1 import (JSON_AGGREGATES, JSON_OPERATORS, JSON_PRODUCERS, JSON_SCALARS,
                               TABLE_FUNCTIONS, JsonText, plain, subtyped)

SQLITE3 = shutil.which("sqlite3")
SCRATCH = tempfile.mkdtemp(prefix="litmus-json1-")
pytestmark = pytest.mark.skipif(SQLITE3 is None, reason="the sqlite3 binary is not installed")

SEP, EOL = "\x1f", "\x1e"


# ---------------------------------------------------------------------------
# The DSL: calls and operators, printed as SQL or evaluated in Python
# ---------------------------------------------------------------------------

class Call:
    def __init__(self, name, *args):
        self.name, self.args = name, args

    def sql(self):
        return f"{self.name}({', '.join(sql_of(a) for a in self.args)})"

    def run(self):
        return JSON_SCALARS[self.name][2](*[run_of(a) for a in self.args])

    def __repr__(self):
        return self.sql()


class Op:
    def __init__(self, left, op, right):
        self.left, self.op, self.right = left, op, right

    def sql(self):
        return f"({sql_of(self.left)} {self.op} {sql_of(self.right)})"

    def run(self):
        return JSON_OPERATORS[self.op](run_of(self.left), run_of(self.right))

    def __repr__(self):
        return self.sql()


def sql_of(v) -> str:
    if isinstance(v, (Call, Op)):
        return v.sql()
    if v is None:
        return "NULL"
    if isinstance(v, bytes):
        return "x'" + v.hex() + "'"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v != v or v in (float("inf"), float("-inf")):
            return "1e999" if v > 0 else "-1e999"
        return repr(v)
    # Text: control characters (NUL included) go through char().
    parts, run = [], ""
    for ch in v:
        if ord(ch) < 32:
            if run:
                parts.append("'" + run.replace("'", "''") + "'")
                run = ""
            parts.append(f"char({ord(ch)})")
        else:
            run += ch
    if run or not parts:
        parts.append("'" + run.replace("'", "''") + "'")
    return parts[0] if len(parts) == 1 else "(" + " || ".join(parts) + ")"


def run_of(v):
    return v.run() if isinstance(v, (Call, Op)) else v


def J(text):
    """json(text): a JSON-subtype argument."""
    return Call("json", text)


# ---------------------------------------------------------------------------
# Running sqlite3 and comparing
# ---------------------------------------------------------------------------

def _shell(sql: str) -> tuple[list[list[str]] | None, str | None]:
    proc = subprocess.run([SQLITE3, "-batch", "-list", "-separator", SEP, "-newline", EOL, ":memory:", sql],
                          capture_output=True, cwd=SCRATCH, timeout=60)
    err = proc.stderr.decode("utf-8", "surrogateescape").strip()
    if err or proc.returncode:
        msg = err.splitlines()[0] if err else f"exit {proc.returncode}"
        for prefix in ("Error: ", "stepping, ", "in prepare, "):
            if msg.startswith(prefix):
                msg = msg[len(prefix):]
        return None, msg
    out = proc.stdout.decode("utf-8", "surrogateescape")
    return [row.split(SEP) for row in out.split(EOL) if row != ""], None


def _cell(col: str) -> str:
    return f"typeof({col}), CASE typeof({col}) WHEN 'real' THEN ieee754({col}) ELSE quote({col}) END"


def _ieee(text: str) -> float:
    m, e = text[len("ieee754("):-1].split(",")
    q = Fraction(int(m)) * Fraction(2) ** int(e)
    try:
        return float(q)
    except OverflowError:
        return float("inf") if q > 0 else float("-inf")


def _quote(v) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, bytes):
        return "X'" + v.hex().upper() + "'"
    return "'" + str.__str__(v).replace("'", "''") + "'"


_TYPEOF = {type(None): "null", int: "integer", float: "real", str: "text", JsonText: "text", bytes: "blob"}


def _same(py, want_type: str, want: str) -> bool:
    if _TYPEOF[type(py)] != want_type:
        return False
    if want_type == "real":
        got, exp = py, _ieee(want)
        return got == exp  # -0.0 == 0.0: ieee754() does not show the sign of zero
    return _quote(py) == want


def _python(thunk):
    try:
        return thunk(), None
    except SQLError as e:
        return None, str(e)


def check_expr(expr):
    rows, err = _shell(f"SELECT {_cell('v')} FROM (SELECT {sql_of(expr)} AS v)")
    got, got_err = _python(lambda: run_of(expr))
    if err is not None:
        assert got_err == err, f"{expr!r}: sqlite3 says error {err!r}, python gave {got!r} / {got_err!r}"
        return
    assert got_err is None, f"{expr!r}: python error {got_err!r}, sqlite3 gave {rows}"
    want_type, want = rows[0]
    assert _same(got, want_type, want), f"{expr!r}: sqlite3 {want_type} {want}, python {got!r}"


# ---------------------------------------------------------------------------
# Probes
# ---------------------------------------------------------------------------

C = Call
DEEP_OK = "[" * 2000 + "]" * 2000
DEEP_BAD = "[" * 2001 + "]" * 2001
DEEP_OBJ_OK = '{"a":' * 2000 + "1" + "}" * 2000
DEEP_OBJ_BAD = '{"a":' * 2001 + "1" + "}" * 2001

JSON_TEXTS = [
    ' [1, {"a" : 2e5}] ', "{}", "[]", "1", "-0", "1E5", '"x"', "null", "true", "  false  ", 123, 1.5,
    None, b"[1]", "", "x", "[1,]", "[,1]", "[01]", "[-01]", "[-]", "[1.]", "[.5]", "[1.e5]", "[1e]",
    "[1e+]", "[+1]", "[0x10]", "[NaN]", "[Infinity]", '["\\x"]', '["\\u12G4"]', '["\\U1234"]',
    '["\\uABCD\\ud83d\\ude00"]', '"a\tb"', '"\\u0000"', "\x0b1", "\t\n\r 1", "[1]\x00junk",
    "\x0c1", '{"a":1,"a":2}', '{"a":1 "b":2}', "{1:2}", '{"a"}', '{"a":1,}', '["\\/"]',
    float("inf"), "123456789012345678901234567890", "[nullx]", "[NULL]", "[true,false,null]",
    "{ }", "[ ]", '"é😀"', "[-0.0e-0,1E+5,0e5]", "[1.5.5]", "[1e5e5]", '"abc', "[", "{", "}",
    '{"a" : [ 1 , 2 ] , "b" : { } }', '"\x7f"',
]

PROBES: list = [C("json", t) for t in JSON_TEXTS]
PROBES += [C("json_valid", t) for t in (None, "", "[]", "x", '{"a":1}', 1, b"[]", "[1,]", 2.5,
                                         DEEP_OK, DEEP_BAD, DEEP_OBJ_OK, DEEP_OBJ_BAD)]
PROBES += [
    C("json_array"),
    C("json_array", 1, 2.5, "a", None),
    C("json_array", 0.1, 1e300, 2.0, -0.0, float("inf"), float("-inf"), 1.5e-7, 0.30000000000000004,
      1e15, 1e16, 123456.789e10),
    C("json_array", 'a"\\/' + chr(1) + chr(8) + chr(127) + "é\u2028😀"),
    C("json_array", "tab\tnl\ncr\r ff\f bs\b nul\x00 us\x1f"),
    C("json_array", b"\x01"),
    C("json_array", 1, b""),
    C("json_array", "[1]"),
    C("json_array", J("[1]")),
    C("json_array", J(' { "a" : [1, 2] } ')),
    C("json_array", C("json_object", "a", 1)),
    C("json_array", C("json_extract", '{"a":[1]}', "$.a")),
    C("json_array", C("json_extract", '{"a":"x"}', "$.a")),
    C("json_array", C("json_extract", '{"a":[1],"b":2}', "$.a", "$.b")),
    C("json_array", C("json_quote", "x")),
    C("json_array", C("json_quote", C("json_quote", "x"))),
    C("json_array", Op('{"a":1}', "->", "$.a")),
    C("json_array", Op('{"a":"s"}', "->", "a")),
    C("json_array", Op('{"a":"s"}', "->>", "a")),
    C("json_array", Op('{"a":[1]}', "->>", "a")),
    C("json_array", 9223372036854775807, -9223372036854775808),
    C("json_array", C("json_set", "1", "$", J("[2]"))),
    C("json_array", C("json_set", "1", "$", "[2]")),
    C("json_array", C("json_array")),
    C("json_array", C("json_remove", "[1,2]", "$[0]")),
    C("json_array", C("json_patch", "{}", '{"a":1}')),
    C("json_object"),
    C("json_object", "a", 1, "b", None, "c", 2.5, "d", "x"),
    C("json_object", "a"),
    C("json_object", 1, 2),
    C("json_object", "a", b"\x00", 1, 2),
    C("json_object", "a", b"\x00"),
    C("json_object", None, 1),
    C("json_object", J('"x"'), 1),
    C("json_object", "a", J("[1]")),
    C("json_object", "a", "[1]"),
    C("json_object", 'k"\\\n', "v"),
    C("json_object", "a", 1, "a", 2),
    C("json_object", "a", C("json_object", "b", C("json_array", 1, 2))),
    C("json_quote", None),
    C("json_quote", 1),
    C("json_quote", 1.5),
    C("json_quote", 'x"y'),
    C("json_quote", J("[1]")),
    C("json_quote", b"\x01"),
    C("json_quote", -0.0),
    C("json_quote", float("inf")),
    C("json_quote", "a\nb\u2028"),
    C("json_quote", ""),
]

DOC = '[1,2.5,"x",null,true,false,{},[]]'
PROBES += [C("json_type", DOC, f"$[{i}]") for i in range(9)]
PROBES += [
    C("json_type", "1"), C("json_type", None), C("json_type", "[1]", None), C("json_type", "x"),
    C("json_type", '{"a":1}', "$.b"), C("json_type", "[1]", "$.a"), C("json_type", "[1]", "x"),
    C("json_type", "1e5"), C("json_type", "-0"), C("json_type", "12345678901234567890"),
    C("json_type", '"s"'), C("json_type", DOC),
    C("json_array_length", "[]"), C("json_array_length", "[1,2,3]"), C("json_array_length", '{"a":1}'),
    C("json_array_length", "[1,[2,3]]", "$[1]"), C("json_array_length", "[1]", "$[5]"),
    C("json_array_length", "[1]", None), C("json_array_length", None), C("json_array_length", "x"),
    C("json_array_length", "[1]", "$x"), C("json_array_length", '"abc"'),
]

PATHS = ["$", "$.", "x", "", "$x", "$[", "$[-1]", "$[#]", "$[#-1]", "$[#-0]", "$[#+1]", "$[1.5]",
         "$.a[", "$.b[", '$."a', '$."a"x', "$.a.", "$[0", "$[01]", "$ ", "$[ 0]", "$[#-3]", "$[#-4]",
         "$[4294967296]", "$[4294967297]", "$.a[0]", "$.a[#-1]", "$[0].a", "$.a.b.c", "$[#-1]x",
         "$[#", "$[#-]", "$.a[0][0]", '$.""', "$[2][0]"]
for p in PATHS:
    PROBES += [C("json_extract", "[1,2,3]", p), C("json_extract", '{"a":[5]}', p)]

PROBES += [C("json_extract", f"[{t}]", "$[0]") for t in (
    "1E5", "1e400", "-1e400", "123456789012345678901", "-9223372036854775808", "-9223372036854775809",
    "9223372036854775808", "9223372036854775807", "-0", "-0.0", "0.1", "true", "false", "null",
    '"a\\u0000b"', '"\\ud83d\\ude00"', '"\\u00e9\\u20ac"', '"\\b\\f\\n\\r\\t\\/\\\\\\""', "1.5e-7",
    "123.456e2", "1E-5", "[1, 2]", '{"b" : 1}', "4.9e-324", "1e-400", "1.7976931348623157e308",
    "9007199254740993", "0.30000000000000004", "1e308", "1e309", "2.5e-310", "123456789.123456789")]
PROBES += [
    C("json_extract", '{"a\\u0062":1}', "$.ab"),
    C("json_extract", '{"a\\u0062":1}', "$.a\\u0062"),
    C("json_extract", '{"a\\u0062":1}', '$."a\\u0062"'),
    C("json_extract", '{"a":[1,2]}', "$.a", "$.b", None),
    C("json_extract", "[1]", "$[0]", "$x"),
    C("json_extract", "[1]"), C("json_extract"), C("json_extract", "x"), C("json_extract", "x", "$"),
    C("json_extract", "x", None), C("json_extract", None, "$"), C("json_extract", "[1]", None),
    C("json_extract", '{"a":1,"a":2}', "$.a"),
    C("json_extract", '{"a.b":1}', '$."a.b"'),
    C("json_extract", '{"a b":1}', "$.a b"),
    C("json_extract", '{"":1}', '$.""'),
    C("json_extract", '{"a":{"b":[10,{"c":"x"}]}}', "$.a.b[1].c"),
    C("json_extract", '{"a":{"b":[10,{"c":"x"}]}}', "$.a.b[#-2]"),
    C("json_extract", "[1,2]", "$" + "\x00" + "junk"),
    C("json_extract", '{"a":1}', "$.a\x00.b"),
]

PROBES += [
    C("json_set", "{}", "$.a.b", 1), C("json_set", "{}", "$.a[0]", 1), C("json_set", "{}", "$.a[1]", 1),
    C("json_set", "{}", "$.a[#]", 1), C("json_set", "{}", "$.a[0][0]", 1),
    C("json_set", "[1,2]", "$[2]", 3), C("json_set", "[1,2]", "$[#]", 3, "$[#]", 4),
    C("json_set", "[1,2]", "$[5]", 3), C("json_set", "1", "$", 2), C("json_set", "1", "$", "x"),
    C("json_set", "1", "$", b"\x00"), C("json_replace", "{}", "$.b", b"\x00"),
    C("json_set", '{"a":1}', "$.a", b"\x00"),
    C("json_set", '{"a":{"b":1}}', "$.a", 2, "$.a.b", 3),
    C("json_set", '{"a":{"b":1}}', "$.a", J('{"b":5}'), "$.a.b", 3),
    C("json_set", '{"a":{"b":1}}', "$.a", 2, "$.a", 4),
    C("json_set", "[1]", "$"), C("json_insert", "[1]", "$"), C("json_replace", "[1]", "$"),
    C("json_set"), C("json_set", None, "$", 1), C("json_set", "x"), C("json_set", "[1]"),
    C("json_set", "{}", '$."a\\"b"', 1), C("json_set", "{}", None, 1),
    C("json_insert", '{"a":1}', "$.a", 2, "$.b", 3), C("json_set", "{}", "$.a", 1, "$.a", 2),
    C("json_insert", "{}", "$.a", 1, "$.a", 2), C("json_insert", "[1,2]", "$[1]", 9),
    C("json_insert", "[1,2]", "$[#]", 9), C("json_replace", "[1,2]", "$[#]", 9),
    C("json_replace", '{"a":1}', "$.a", 2, "$.b", 3), C("json_replace", "[1,2]", "$[0]", J("{}")),
    C("json_set", "{}", "$.a", J("[1, 2]")), C("json_set", "{}", "$.a", "[1,2]"),
    C("json_set", "{}", "$.a", 0.1, "$.b", None, "$.c", 10),
    C("json_set", "{}", '$.""', 1), C("json_set", "{}", '$.a"b', 1), C("json_set", "{}", "$.a.", 1),
    C("json_set", "{}", "$.a", 1, "$x", 2), C("json_set", "x", "$.a", 1),
    C("json_set", '{"a":[1,{"b":2}]}', "$.a[1].c", 3, "$.a[#]", 4),
    C("json_set", '{"a":1}', "$.b.c[0].d", 2),
    C("json_set", "[1]", "$[0]", C("json_array", 2, 3)),
    C("json_insert", "{}", "$.a", C("json_extract", '{"x":[1, 2]}', "$.x")),
    C("json_remove", '{"a":1,"a":2}', "$.a"), C("json_remove", '{"a":1,"a":2}', "$.a", "$.a"),
    C("json_remove", "[0,1,2]", "$[0]", "$[0]"), C("json_remove", "[0,1,2]", "$"),
    C("json_remove", "[0,1,2]", None), C("json_remove"), C("json_remove", "[0,1,2]", "$[#-1]"),
    C("json_remove", '{"a":{"b":1,"c":2}}', "$.a.b"), C("json_remove", "[1]", "$[5]"),
    C("json_remove", "[1]", "$[0]", "x"), C("json_remove", " [ 1 ] "), C("json_remove", "x"),
    C("json_remove", None), C("json_remove", "[1,[2,3]]", "$[1][0]", "$[0]"),
    C("json_set", C("json_remove", '{"a":1,"b":2}', "$.a"), "$.c", 3),
    C("json_set", '{"y":1}', "$.x.a[1]", 1), C("json_set", "[]", "$[0].a[0].b", 1),
    C("json_insert", "[]", "$[0][0][0]", 2), C("json_set", '{"y":1}', "$.x.a[#]", 1),
    C("json_set", "{}", "$" + ".a" * 1500, 1),
    # Nesting at the limit: rendering, merging and paths must not recurse in Python.
    C("json", DEEP_OK), C("json_patch", DEEP_OBJ_OK, DEEP_OBJ_OK), C("json_extract", DEEP_OBJ_OK, "$" + ".a" * 1999),
    C("json_array_length", DEEP_OK, "$" + "[0]" * 1999), C("json_remove", DEEP_OBJ_OK, "$" + ".a" * 2000),
]

PATCHES = [
    ('{"a":1}', '{"a":2,"a":3}'), ('{"a":1}', '{"a":null,"a":3}'), ("{}", '{"a":1,"a":2}'),
    ('{"x":0}', '{"a":{"b":null,"c":[null]},"x":null}'), ("[1]", '{"a":{"b":null}}'),
    ('{"a":[1]}', '{"a":{"b":null,"c":1}}'), ('{"a":{"x":1}}', '{"a":{"b":null,"c":1, "x":null}}'),
    ('{"a":1}', "[2]"), ('{"a":1}', None), (None, "{}"), ('{"a":1}', "x"), ("x", "{}"),
    ('{"a":1,"a":2}', '{"a":3}'), ('{"a":1}', '{"b":1,"b":null}'),
    ('{"a":{"b":1}}', '{"a":{"b":2},"a":{"c":3}}'), ('{"a":{}}', '{"a":{"x":1},"a":{"x":2}}'),
    ('{"a":"b"}', '{"a":"c"}'), ('{"a":"b"}', '{"b":"c"}'), ('{"a":"b"}', '{"a":null}'),
    ('{"a":"b","b":"c"}', '{"a":null}'), ('{"a":["b"]}', '{"a":"c"}'), ('{"a":"c"}', '{"a":["b"]}'),
    ('{"a":{"b":"c"}}', '{"a":{"b":"d","c":null}}'), ('{"a":[{"b":"c"}]}', '{"a":[1]}'),
    ('["a","b"]', '["c","d"]'), ('{"a":"b"}', '["c"]'), ('{"a":"foo"}', "null"), ('{"a":"foo"}', '"bar"'),
    ('{"e":null}', '{"a":1}'), ("[1,2]", '{"a":"b","c":null}'), ("{}", '{"a":{"bb":{"ccc":null}}}'),
    ('{"a\\u0062":1}', '{"ab":2}'),
    ('{"a":{}}', '{"a":{"x":1},"a":{"y":null}}'), ('{"a":{}}', '{"a":{"x":1},"a":{"y":1}}'),
    ('{"a":{"k":0}}', '{"a":{"x":1},"a":{"k":null}}'), (" { \"a\" : 1 } ", ' { "b" : [ 2 ] } '),
]
PROBES += [C("json_patch", t, p) for t, p in PATCHES]
PROBES += [C("json_array", C("json_patch", '{"a":1}', '{"a":[2]}'))]

ARROW_RIGHT = ["$.a", "a", 0, 1, -1, "-1", 1.5, "[1]", "", "$", "$x", "a.b", None, b"1", "1", " 1",
               "#", "[#-1]", "$[1][0]", "1[0]", "a[0]"]
ARROW_LEFT = ["[10,[20,30]]", '{"a":{"b":"s"},"-1":7,"":8,"$x":9,"1":6}', "x", None, '"str"']
for r in ARROW_RIGHT:
    for left in ARROW_LEFT:
        for op in ("->", "->>"):
            PROBES.append(Op(left, op, r))


def test_probe_count():
    assert len(PROBES) >= 150


def _run_all(exprs):
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda e: _shell(f"SELECT {_cell('v')} FROM (SELECT {sql_of(e)} AS v)"), exprs))


_ORACLE: dict = {}


def _oracle(i):
    if not _ORACLE:
        _ORACLE.update(enumerate(_run_all(PROBES)))
    return _ORACLE[i]


@pytest.mark.parametrize("i", range(len(PROBES)), ids=[repr(p)[:80] for p in PROBES])
def test_scalar_probe(i):
    expr = PROBES[i]
    rows, err = _oracle(i)
    got, got_err = _python(lambda: run_of(expr))
    if err is not None:
        assert got_err == err, f"sqlite3: error {err!r}; python: {got!r} / {got_err!r}"
        return
    assert got_err is None, f"python error {got_err!r}, sqlite3 gave {rows}"
    want_type, want = rows[0]
    assert _same(got, want_type, want), f"sqlite3: {want_type} {want}; python: {got!r}"


# ---------------------------------------------------------------------------
# The subtype rule and the registries
# ---------------------------------------------------------------------------

def test_subtype_in_python_results():
    js = JSON_SCALARS
    assert type(js["json"][2]("[1]")) is JsonText
    assert type(js["json_array"][2]()) is JsonText
    assert type(js["json_extract"][2]('{"a":[1]}', "$.a")) is JsonText
    assert type(js["json_extract"][2]('{"a":"x"}', "$.a")) is str
    assert type(JSON_OPERATORS["->"]('{"a":"x"}', "a")) is JsonText
    assert type(JSON_OPERATORS["->>"]('{"a":[1]}', "a")) is str
    assert type(js["json_set"][2]("1", "$", "[1]")) is str
    assert js["json_array"][2]("[1]") == '["[1]"]'
    assert js["json_array"][2](JsonText("[1]")) == "[[1]]"
    assert js["json_array"][2](plain(JsonText("[1]"))) == '["[1]"]'
    assert type(plain(JsonText("[1]"))) is str


def test_registries_shape():
    for name, (lo, hi, fn) in JSON_SCALARS.items():
        assert callable(fn) and lo >= 0 and (hi == -1 or hi >= lo), name
    assert set(JSON_OPERATORS) == {"->", "->>"}
    assert JSON_PRODUCERS >= {"json", "json_array", "json_object", "json_set", "json_extract"}
    for name, (lo, hi, factory, coll) in JSON_AGGREGATES.items():
        assert coll is False and hasattr(factory(), "step") and hasattr(factory(), "final")
    for name, spec in TABLE_FUNCTIONS.items():
        assert spec[0] == 0 and spec[1] == 2 and spec[4] == ["json", "root"]


def test_arity_matches_sqlite3():
    """Each registered argument count is accepted by sqlite3 and the counts
    just outside it are refused while preparing."""
    for name, (lo, hi, _fn) in JSON_SCALARS.items():
        for n in {lo, hi if hi >= 0 else lo + 3}:
            _, err = _shell(f"SELECT {name}({', '.join(['NULL'] * n)}) WHERE 0")
            assert err is None or "wrong number" not in err, (name, n, err)
        for n in ([lo - 1] if lo else []) + ([hi + 1] if hi >= 0 else []):
            _, err = _shell(f"SELECT {name}({', '.join(['NULL'] * n)}) WHERE 0")
            assert err == f"wrong number of arguments to function {name}()", (name, n, err)
    _, err = _shell("SELECT json_error_position('x')")
    assert err.startswith("no such function"), "3.40 has no json_error_position"


def test_lone_surrogate_bytes():
    rows, _ = _shell("""SELECT hex(json_extract('["\\ud83d"]', '$[0]')), hex(json_extract('["\\udc00x"]', '$[0]'))""")
    ex = JSON_SCALARS["json_extract"][2]
    got = [ex('["\\ud83d"]', "$[0]"), ex('["\\udc00x"]', "$[0]")]
    assert [g.encode("utf-8", "surrogateescape").hex().upper() for g in got] == rows[0]


# ---------------------------------------------------------------------------
# Aggregates
# ---------------------------------------------------------------------------

AGG_VALUES = [1, "a", None, 1.5, "q'\"", -0.0, 10 ** 18, "\n"]


def _values_sql(rows):
    return "VALUES " + ", ".join("(" + ", ".join(sql_of(v) for v in r) + ")" for r in rows)


def _agg(name, rows, wrap=None):
    acc = JSON_AGGREGATES[name][2]()
    for r in rows:
        acc.step(*[JSON_SCALARS[wrap][2](v) if wrap and i == len(r) - 1 else v for i, v in enumerate(r)])
    first = acc.final()
    assert acc.final() == first, "final() must leave the state intact"
    assert type(first) is JsonText
    return first


@pytest.mark.parametrize("rows,wrap", [
    ([(v,) for v in AGG_VALUES], None),
    ([], None),
    ([("[1]",), ('{"a" : 2}',)], "json"),
    ([("[1]",), (None,)], None),
])
def test_json_group_array(rows, wrap):
    arg = f"{wrap}(column1)" if wrap else "column1"
    src = f"({_values_sql(rows)})" if rows else "(SELECT 1 AS column1 WHERE 0)"
    got = _agg("json_group_array", rows, wrap)
    want, err = _shell(f"SELECT quote(json_group_array({arg})) FROM {src}")
    assert err is None and want[0][0] == _quote(got)


@pytest.mark.parametrize("rows,wrap", [
    ([("a", 1), ("b", None), (2, "x"), (1.5, 2.5), (None, 1), (b"A", 3), ('k"', "v")], None),
    ([("a", "[1]"), ("b", '{"c":[]}')], "json"),
    ([], None),
])
def test_json_group_object(rows, wrap):
    arg = f"column1, {wrap}(column2)" if wrap else "column1, column2"
    src = f"({_values_sql(rows)})" if rows else "(SELECT 1 AS column1, 2 AS column2 WHERE 0)"
    got = _agg("json_group_object", rows, wrap)
    want, err = _shell(f"SELECT quote(json_group_object({arg})) FROM {src}")
    assert err is None and want[0][0] == _quote(got)


@pytest.mark.parametrize("name,rows", [
    ("json_group_array", [(b"\x00",)]),
    ("json_group_object", [("a", 1), ("b", b"\x01")]),
])
def test_aggregate_blob_error(name, rows):
    args = "column1" if name == "json_group_array" else "column1, column2"
    _, err = _shell(f"SELECT {name}({args}) FROM ({_values_sql(rows)})")
    acc = JSON_AGGREGATES[name][2]()
    with pytest.raises(SQLError) as e:
        for r in rows:
            acc.step(*r)
    assert str(e.value) == err


def test_group_array_as_window():
    xs = [1, "b", 3.5, None, 5]
    want, err = _shell(f"SELECT quote(json_group_array(column1) OVER (ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)) "
                       f"FROM ({_values_sql([(x,) for x in xs])})")
    assert err is None
    acc = JSON_AGGREGATES["json_group_array"][2]()
    got = []
    for i, x in enumerate(xs):
        if i >= 2:
            acc.inverse(xs[i - 2])
        acc.step(x)
        got.append(_quote(acc.final()))
    assert got == [r[0] for r in want]


# ---------------------------------------------------------------------------
# json_each and json_tree
# ---------------------------------------------------------------------------

TABLE_CASES = [
    ('{"a":[1,{"b":2}]}',), ("[[1,[2]],{\"a\":{\"b\":[3]}},4]",), ("[1,[2,3]]", "$[1]"),
    ('{"a":{"b":1}}', "$.a"), ('{"a":1}', "$.a"), ('{"a b":1,"c":[2],"":3, "x\\\\ty":4, "é":5, "a1":6, "1a":7}',),
    ('{"a":[1,{"b":2}]}', '$."a"'), ("5",), ('{"a":5}', "$.a"), ("[1]", "$.x"), ("[1]", "x"), ("[1]", "$["),
    ("[1",), (None,), ("[1]", None), ("[]",), ("{}",), ('{"a":[[5,6],7]}', "$.a[0]"),
    ('{"a":[[5,6],7]}', "$.a[1]"), ('{"a":[[5,6],7]}', "$.a"), ('[null,true,false,1.5,"s\\n",-0,1e400]',),
    ('{"a\\u0062":{"c":[{"d":null}]}}',), ('{"a":1,"a":2}',), ("[[[]]]", "$[0][0]"), (' [ 1 , 2 ] ',),
    ('"just text"',), ("[1,2,3]", "$[#-1]"), ('{"x":{"y":{"z":[1,[2,[3]]]}}}', "$.x.y"),
]
COLUMNS = TABLE_FUNCTIONS["json_each"][3] + TABLE_FUNCTIONS["json_each"][4]


@pytest.mark.parametrize("func", ["json_each", "json_tree"])
@pytest.mark.parametrize("args", TABLE_CASES, ids=[repr(a)[:60] for a in TABLE_CASES])
def test_table_function(func, args):
    cells = ", ".join(_cell(c) for c in COLUMNS)
    rows, err = _shell(f"SELECT {cells} FROM {func}({', '.join(sql_of(a) for a in args)})")
    got, got_err = _python(lambda: list(TABLE_FUNCTIONS[func][2](*args)))
    if err is not None:
        assert got_err == err
        return
    assert got_err is None, got_err
    assert len(got) == len(rows), (got, rows)
    for g, w in zip(got, rows):
        assert len(g) == len(COLUMNS)
        for col, value, want_type, want in zip(COLUMNS, g, w[0::2], w[1::2]):
            assert _same(value, want_type, want), (col, value, want_type, want)


@pytest.mark.parametrize("func", ["json_each", "json_tree"])
def test_table_function_deep_document(func):
    rows, err = _shell(f"SELECT count(*), max(id), max(length(fullkey)), max(length(path)) "
                       f"FROM {func}({sql_of(DEEP_OBJ_OK)})")
    got = list(TABLE_FUNCTIONS[func][2](DEEP_OBJ_OK))
    assert err is None
    assert [str(len(got)), str(max(r[4] for r in got)), str(max(len(r[6]) for r in got)),
            str(max(len(r[7]) for r in got))] == rows[0]


def test_table_value_column_is_plain_but_subtyped_into_json_functions():
    """Rows hold plain values (a JSON-subtype str would reach code that
    dispatches on exact types); a JSON function reading ``value`` gets
    subtyped(value, type), which nests arrays and objects as sqlite3 does."""
    rows, _ = _shell("""SELECT json_array(value) FROM json_each('[[1],"s",{"a":2}]')""")
    each = TABLE_FUNCTIONS["json_each"][2]
    out = list(each('[[1],"s",{"a":2}]'))
    assert all(type(v) in (str, int, float, type(None)) for r in out for v in r)
    got = [JSON_SCALARS["json_array"][2](subtyped(r[1], r[2])) for r in out]
    assert got == [r[0] for r in rows]


# ---------------------------------------------------------------------------
# Bulk checks: number conversion and the parser on generated inputs
# ---------------------------------------------------------------------------

def _random_numbers(rng, n):
    out = []
    for _ in range(n):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 25))).lstrip("0") or "0"
        t = ("-" if rng.random() < 0.3 else "") + digits
        if rng.random() < 0.6:
            t += "." + "".join(rng.choice("0123456789") for _ in range(rng.randint(1, 20)))
        if rng.random() < 0.6:
            t += rng.choice("eE") + rng.choice(["", "+", "-"]) + str(rng.randint(0, 330))
        out.append(t)
    return out


def test_numbers_read_as_sqlite3_reads_them():
    """Reals (long, subnormal, huge) and integers past 64 bits, read from
    JSON text: 3.40 rounds them correctly, and so must we."""
    rng = random.Random(1340)
    nums = _random_numbers(rng, 3000)
    nums += ["%d.%de%d" % (rng.randint(0, 10 ** 19), rng.randint(0, 10 ** 19), rng.randint(-330, 330))
             for _ in range(1000)]
    nums += ["0.1", "0.2", "0.3", "1e23", "8.988465674311579e307", "2.2250738585072014e-308",
             "4.9406564584124654e-324", "1.0000000000000002", "9999999999999999999", "18446744073709551615",
             "10418227151684.072713e+70", "-79829.935218849382e-305", "45549974774496e68"]
    bad = []
    for k in range(0, len(nums), 1000):  # a command line holds at most 128 KiB
        chunk = nums[k:k + 1000]
        doc = "[" + ",".join(chunk) + "]"
        rows, err = _shell(f"SELECT {_cell('value')} FROM json_each('{doc}')")
        assert err is None and len(rows) == len(chunk)
        got = [r[1] for r in TABLE_FUNCTIONS["json_each"][2](doc)]
        bad += [(t, g, w) for t, g, w in zip(chunk, got, rows) if not _same(g, w[0], w[1])]
    assert not bad, bad[:5]


_ATOMS = ['1', '-0', '2.5e3', '"s"', '"\\u00e9"', 'null', 'true', 'false', '[]', '{}', '"a\\"b"']
_NOISE = [",", ":", "[", "]", "{", "}", " ", "\t", '"', "\\", "-", ".", "e", "0", "01", "x", "\x0b", "\n"]


def _random_doc(rng, depth=0):
    r = rng.random()
    if depth > 3 or r < 0.4:
        return rng.choice(_ATOMS)
    if r < 0.7:
        return "[" + ",".join(_random_doc(rng, depth + 1) for _ in range(rng.randint(0, 3))) + "]"
    return "{" + ",".join(f'"{rng.choice("abc")}":{_random_doc(rng, depth + 1)}'
                          for _ in range(rng.randint(0, 3))) + "}"


def _mutate(rng, text):
    for _ in range(rng.randint(0, 2)):
        i = rng.randint(0, len(text))
        if rng.random() < 0.5 and i < len(text):
            text = text[:i] + text[i + 1:]
        else:
            text = text[:i] + rng.choice(_NOISE) + text[i:]
    return text


def test_parser_on_generated_documents():
    rng = random.Random(2022)
    docs = [_mutate(rng, _random_doc(rng)) for _ in range(300)]
    sql = _values_sql([(d,) for d in docs])
    rows, err = _shell(f"SELECT json_valid(column1), CASE WHEN json_valid(column1) THEN quote(json(column1)) "
                       f"|| ' ' || quote(json_type(column1)) || ' ' || quote(json_array_length(column1)) END "
                       f"FROM ({sql})")
    assert err is None
    js = JSON_SCALARS
    for d, (valid, shown) in zip(docs, rows):
        assert str(js["json_valid"][2](d)) == valid, d
        if valid == "1":
            mine = f"{_quote(js['json'][2](d))} {_quote(js['json_type'][2](d))} {_quote(js['json_array_length'][2](d))}"
            assert mine == shown, d


def test_paths_on_generated_documents():
    rng = random.Random(7)
    docs = [_random_doc(rng) for _ in range(60)]
    paths = ["$[0]", "$[1].a", "$.a", "$.b[0]", "$.c.a", "$[#-1]", "$.a[#-1].b", "$[0][0]"]
    exprs = []
    for d in docs:
        p = rng.choice(paths)
        q = rng.choice(paths)
        exprs += [C("json_extract", d, p), C("json_set", d, p, 1, q, J("[2]")), C("json_insert", d, p, "x"),
                  C("json_replace", d, q, None), C("json_remove", d, p, q), Op(d, "->", p),
                  C("json_patch", d, _random_doc(rng))]
    results = _run_all(exprs)
    for expr, (rows, err) in zip(exprs, results):
        got, got_err = _python(lambda: run_of(expr))
        if err is not None:
            assert got_err == err, expr
        else:
            assert got_err is None and _same(got, *rows[0]), (expr, got, rows)
