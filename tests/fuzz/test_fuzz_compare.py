"""The fuzzer's comparison of one statement's results: orders up to ties,
LIMIT edges, and what SQLite leaves open counted as noise, not as a
difference."""

from __future__ import annotations

from fuzz.compare import compare_statement, ordered_difference
from targets import Result


def ok(*rows, columns=None):
    return Result(rows=list(rows), columns=columns)


def test_rows_must_match_with_their_storage_classes():
    diff, noise = compare_statement("SELECT a FROM t", ok((1,), (2,)), ok((2,), (1.0,)))
    assert diff is not None and diff.kind == "rows" and noise is None
    assert compare_statement("SELECT a FROM t", ok((1,), (2,)), ok((2,), (1,))) == (None, None)


def test_order_counts_when_the_statement_is_ordered():
    diff, _ = compare_statement("SELECT a FROM t ORDER BY 1", ok((1,), (2,)), ok((2,), (1,)), ordered=True)
    assert diff is not None and diff.kind == "order"


def test_ties_under_sqlite_comparison_may_come_in_either_order():
    # 1 and 1.0 compare equal, as 'a' and 'A' under NOCASE: either order is right...
    a = [(1, "x"), (1.0, "x"), (2, "y")]
    b = [(1.0, "x"), (1, "x"), (2, "y")]
    assert ordered_difference(a, b, limited=False) is None
    assert ordered_difference([("a",), ("A",)], [("A",), ("a",)], limited=False) is None
    # ...but the run of tied rows must hold the same values.
    d = ordered_difference([(1,), (1,), (2,)], [(1.0,), (1,), (2,)], limited=False)
    assert d is not None and d.kind == "rows"


def test_limit_may_cut_a_run_of_ties_at_a_different_member():
    a = [(0,), (1,)]
    b = [(0,), (1.0,)]
    assert ordered_difference(a, b, limited=True) is None
    assert ordered_difference(a, b, limited=False) is not None
    assert ordered_difference([(0,), (5,), (1,)], [(0,), (5.0,), (1,)], limited=True) is not None


def test_representatives_of_equal_values_are_noise_where_sqlite_picks_one():
    sql = "SELECT DISTINCT b FROM t"
    assert compare_statement(sql, ok(("a",)), ok(("A",))) == (None, "representative")
    diff, _ = compare_statement("SELECT b FROM t", ok(("a",)), ok(("A",)))
    assert diff is not None
    diff, _ = compare_statement(sql, ok(("a",)), ok(("b",)))
    assert diff is not None


def test_float_sums_that_agree_to_twelve_digits_are_noise():
    sql = "SELECT sum(x) FROM t"
    assert compare_statement(sql, ok((0.30000000000000004,)), ok((0.3,))) == (None, "float-sum")
    diff, _ = compare_statement(sql, ok((0.3,)), ok((0.4,)))
    assert diff is not None
    diff, _ = compare_statement("SELECT x + y FROM t", ok((0.30000000000000004,)), ok((0.3,)))
    assert diff is not None


def test_text_cut_at_nul_by_the_shell_is_noise():
    assert compare_statement("SELECT char(1, 0)", ok(("\x01",)), ok(("\x01\x00",))) == (None, "nul-in-text")


def test_error_messages_count_unless_switched_off():
    a = Result.failure("UNIQUE constraint failed: t.a")
    b = Result.failure("constraint failed")
    diff, _ = compare_statement("INSERT INTO t VALUES (1)", a, b)
    assert diff is not None and diff.kind == "error"
    assert compare_statement("INSERT INTO t VALUES (1)", a, b, messages=False) == (None, None)


def test_a_status_difference_is_never_noise_except_a_sum_overflow():
    diff, _ = compare_statement("SELECT 1", ok((1,)), Result.failure("boom"))
    assert diff is not None and diff.kind == "status"
    assert compare_statement("SELECT sum(a) FROM t", Result.failure("integer overflow"), ok((1,))) == \
        (None, "sum-overflow")


def test_random_rowids_are_noise_but_other_big_integers_are_not():
    # Seen in a calibration campaign: after rowid 2^63-1, sqlite3 picked
    # 2446773430584064305 in one process and 732755367875062594 in the other.
    a = Result(rows=[(2446773430584064305, "a", None, 3, 0)])
    b = Result(rows=[(732755367875062594, "a", None, 3, 0)])
    assert compare_statement("SELECT * FROM t3", a, b) == (None, "random-rowid")
    # Outside 2^40..2^62 (where random rowids fall) a difference stays one.
    big = Result(rows=[(9223372036854775807,)])
    other = Result(rows=[(9223372036854775806,)])
    assert compare_statement("SELECT x FROM t", big, other)[0] is not None
    assert compare_statement("SELECT x FROM t", Result(rows=[(1000,)]), Result(rows=[(1001,)]))[0] is not None


def test_random_rowids_may_also_reorder_an_ordered_result():
    # Seen in a calibration campaign: ORDER BY c1, rowid over random rowids.
    a = Result(rows=[(9223372036854775806, 0, None), (2582048476145742198, 0, None),
                     (4027048244141008353, 0, 0), (9223372036854775807, 0, None)])
    b = Result(rows=[(9223372036854775806, 0, None), (2384196651906335199, 0, 0),
                     (4097694792243548042, 0, None), (9223372036854775807, 0, None)])
    assert compare_statement("SELECT * FROM t3 ORDER BY c1, rowid", a, b, ordered=True) == (None, "random-rowid")
