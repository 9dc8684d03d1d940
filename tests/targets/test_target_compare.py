"""targets.compare: the one function that decides whether two results agree."""

import pytest

from targets.base import CRASH, ERROR, OK, TIMEOUT, Result
from targets.compare import compare, row_key, storage_class, typed_key


def ok(rows, columns=None):
    return Result(status=OK, rows=[tuple(r) for r in rows], columns=columns)


def err(message, status=ERROR):
    return Result(status=status, error=message)


# ------------------------------------------------------------ storage classes

@pytest.mark.parametrize("a, b", [
    (1, 1.0), (1, "1"), (1.0, "1.0"), ("1", b"1"), (0, None), ("", None), (b"", None),
    ("", b""), (0, 0.0), (0, "0"), (None, "NULL"), (1, True),
])
def test_values_of_different_storage_classes_differ(a, b):
    diff = compare(ok([(a,)]), ok([(b,)]))
    assert diff is not None and diff.kind == "rows"
    assert compare(ok([(b,)]), ok([(a,)])) is not None


@pytest.mark.parametrize("value", [
    None, 0, -1, 2**63 - 1, -2**63, 0.5, 1e300, float("inf"), float("-inf"),
    "", "a", "it's", "é\n", b"", b"\x00\xff",
])
def test_equal_values_agree(value):
    assert compare(ok([(value,)]), ok([(value,)])) is None
    assert compare(ok([(value,)]), ok([(value,)]), ordered=True) is None


def test_blob_types_are_one_storage_class():
    assert compare(ok([(b"ab",)]), ok([(bytearray(b"ab"),)])) is None
    assert compare(ok([(b"ab",)]), ok([(memoryview(b"ab"),)])) is None
    assert compare(ok([(b"ab",)]), ok([(b"ac",)])) is not None


def test_negative_zero_equals_zero():
    # The sqlite3 shell prints -0.0 as 0.0; SQLite itself compares them equal.
    assert compare(ok([(-0.0,)]), ok([(0.0,)])) is None


def test_close_reals_differ():
    assert compare(ok([(0.1 + 0.2,)]), ok([(0.3,)])) is not None


def test_large_integer_and_real_differ():
    assert compare(ok([(2**53 + 1,)]), ok([(float(2**53 + 1),)])) is not None


def test_storage_class_names():
    assert [storage_class(v) for v in (None, 1, 1.0, "x", b"x")] == \
        ["null", "integer", "real", "text", "blob"]


def test_typed_key_keeps_classes_apart_and_sorts():
    keys = [typed_key(v) for v in (b"a", "a", 1.5, 1, None)]
    assert len(set(keys)) == 5
    assert sorted(keys)[0] == typed_key(None)
    assert sorted([row_key((None,)), row_key((None,))]) == [row_key((None,))] * 2


# ------------------------------------------------------------ multisets and order

def test_multiset_ignores_order():
    assert compare(ok([(1,), (2,), (3,)]), ok([(3,), (1,), (2,)])) is None


def test_ordered_sees_order():
    diff = compare(ok([(1,), (2,)]), ok([(2,), (1,)]), ordered=True)
    assert diff is not None and diff.kind == "rows" and "row 1" in diff.detail


def test_multiset_counts_duplicates():
    diff = compare(ok([(1,), (1,), (2,)]), ok([(1,), (2,), (2,)]))
    assert diff is not None and diff.kind == "rows"
    assert "only in first: [(1,)]" in diff.detail and "only in second: [(2,)]" in diff.detail


def test_different_row_counts():
    diff = compare(ok([(1,), (1,)]), ok([(1,)]))
    assert diff is not None and diff.kind == "rows" and "2 rows vs 1" in diff.detail


def test_null_is_reported_as_null():
    diff = compare(ok([(None,)]), ok([(0,)]))
    assert "only in first: [(None,)]" in diff.detail


def test_empty_results_agree():
    assert compare(ok([]), ok([])) is None
    assert compare(ok([], ("a",)), ok([], None)) is None


def test_rows_compared_as_whole_tuples():
    # Same multiset of values per column, different pairing.
    assert compare(ok([(1, "a"), (2, "b")]), ok([(1, "b"), (2, "a")])) is not None


# ------------------------------------------------------------ columns

def test_column_count_differs():
    diff = compare(ok([], ("a", "b")), ok([], ("a",)))
    assert diff is not None and diff.kind == "columns"


def test_column_names_are_not_compared():
    assert compare(ok([(1,)], ("a",)), ok([(1,)], ("b",))) is None


def test_unknown_columns_skip_the_count_check():
    assert compare(ok([(1,)], None), ok([(1,)], ("a",))) is None


def test_row_widths_differ():
    diff = compare(ok([(1, 2)]), ok([(1,)]))
    assert diff is not None and diff.kind == "columns"


# ------------------------------------------------------------ errors

def test_error_versus_rows():
    diff = compare(err("no such table: t"), ok([(1,)]))
    assert diff is not None and diff.kind == "status"
    assert "no such table: t" in diff.detail
    assert compare(ok([]), err("x")).kind == "status"


def test_error_messages_compared_by_default():
    diff = compare(err("no such table: a"), err("no such table: b"))
    assert diff is not None and diff.kind == "error"
    assert compare(err("no such table: a"), err("no such table: a")) is None


def test_error_messages_ignored_with_messages_false():
    assert compare(err("no such table: a"), err("syntax error"), messages=False) is None


def test_status_still_matters_with_messages_false():
    assert compare(err("x"), ok([]), messages=False).kind == "status"
    assert compare(err("x"), err("timeout after 1s", TIMEOUT), messages=False).kind == "status"
    assert compare(err("boom", CRASH), err("boom", ERROR), messages=False).kind == "status"


def test_rows_of_failed_scripts_are_not_compared():
    a = Result(status=ERROR, error="e", rows=[(1,)])
    b = Result(status=ERROR, error="e", rows=[])
    assert compare(a, b) is None


def test_both_timeouts_agree():
    assert compare(err("timeout after 1s", TIMEOUT), err("timeout after 1s", TIMEOUT)) is None


def test_scripts_with_rows_of_several_widths():
    # The rows of "SELECT 1, 2; SELECT 3" on both sides.
    assert compare(ok([(1, 2), (3,)]), ok([(1, 2), (3,)]), ordered=True) is None
    assert compare(ok([(1, 2), (3,)]), ok([(3,), (1, 2)])) is None
    assert compare(ok([(1, 2), (3,)]), ok([(3,), (1, 2)]), ordered=True).kind == "rows"
    assert compare(ok([(1, 2), (3,)]), ok([(1, 2), (3, 4)])).kind == "columns"
    assert compare(ok([(1, 2), (3,)]), ok([(1, 2), (3, 4), (5,)])).kind == "rows"
    assert compare(ok([(1, 2), (3,)]), ok([(1, 2), (4,)])).kind == "rows"
