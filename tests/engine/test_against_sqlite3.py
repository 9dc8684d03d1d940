"""The engine against the sqlite3 binary on the same statements.

Each probe is a short script; it runs on a fresh database in both the engine
and sqlite3 (through the targets), and the two results must agree exactly:
the same rows with the same storage classes, or both an error with the same
message.  Expectations are never written here: sqlite3 produces them.
"""

import pytest

from targets.compare import compare

EXPRESSIONS = [
    # literals and arithmetic
    "SELECT 1, -1, 1.5, 'a', x'00ff', NULL",
    "SELECT 9223372036854775807 + 1, -9223372036854775808 - 1, 9223372036854775807 * 2",
    "SELECT 7 / 2, -7 / 2, 7 % 3, -7 % 3, 7 % -3, 7.5 / 2, 7 / 0, 7 % 0, 7.0 / 0",
    "SELECT 5.5 % 2, 5 % 2.5, 5 % 0.5, -9223372036854775808 / -1, -9223372036854775808 % -1",
    "SELECT '12abc' + 1, 'abc' + 1, '1.5x' + 1, x'3132' + 1, ' 12 ' + 0, '1e5' + 0, '' + 0, '-' + 0",
    "SELECT 1e20, 0.1, 1.0 / 3, 1e-5, 100.0, 123456789012345678.0, 2.5e-324, 1e308 * 10, -1e308 * 10",
    "SELECT 3 | 1.5, 7 >> 1.9, 1 << 64, 1 << 63, -1 >> 70, 1 << -1, ~1.5, 6 & 3, ~0",
    "SELECT 'a' || 1.0 || 'b', 'a' || NULL, 1 || 2, x'41' || 'b'",
    # comparison and logic
    "SELECT 1 < '1', '10' = 10, 1 = 1.0, NULL = NULL, NULL IS NULL, 1 IS 1.0, 'a' IS 'A'",
    "SELECT 'a' = 'A' COLLATE NOCASE, 'a ' = 'a' COLLATE RTRIM, 'B' < 'a', 'B' < 'a' COLLATE NOCASE",
    "SELECT 1 AND NULL, 0 AND NULL, 1 OR NULL, 0 OR NULL, NOT NULL, NOT 0, NOT 'abc', NOT '1x'",
    "SELECT 1 IN (NULL, 1), 2 IN (NULL, 1), NULL IN (), 2 NOT IN (NULL, 1), 1 IN (), 3 NOT IN ()",
    "SELECT 2 BETWEEN 1 AND 3, NULL BETWEEN 1 AND 2, 5 NOT BETWEEN 1 AND 3, 'b' BETWEEN 'a' AND 'c'",
    "SELECT 'abc' LIKE 'A%', 'abc' LIKE '_b_', 'a%c' LIKE 'a\\%c' ESCAPE '\\', 'ÄBC' LIKE 'äbc', NULL LIKE 'a'",
    "SELECT 'abc' GLOB 'a*', 'abc' GLOB 'A*', 'abc' GLOB '[a-c]?c', 'a]' GLOB '[]]', 'x' GLOB '[^a-c]'",
    "SELECT CASE 1 WHEN 1 THEN 'one' ELSE 'other' END, CASE WHEN NULL THEN 1 ELSE 2 END, CASE 3 WHEN 1 THEN 1 END",
    # casts
    "SELECT CAST('12abc' AS INTEGER), CAST('1.5' AS INTEGER), CAST(1.9 AS INTEGER), CAST(-1.9 AS INTEGER)",
    "SELECT CAST('9999999999999999999' AS INTEGER), CAST(1e20 AS INTEGER), CAST('1.5abc' AS NUMERIC)",
    "SELECT CAST('12abc' AS NUMERIC), CAST(' 0x10' AS INTEGER), CAST('1e400' AS REAL), CAST(1 AS TEXT)",
    "SELECT CAST(1.0 AS TEXT), CAST(x'3132' AS INTEGER), CAST('abc' AS BLOB), CAST(NULL AS INTEGER), CAST(3.0 AS NUMERIC)",
    # functions
    "SELECT abs(-3), abs('-3'), abs('x'), abs(NULL), abs(-1.5)",
    "SELECT coalesce(NULL, 2), ifnull(NULL, 'x'), nullif(1, 1), nullif(1, 2), iif(1, 2, 3), iif(0, 2, 3)",
    "SELECT length('héllo'), length(x'00ff'), length(12.0), length(NULL), octet_length('héllo')",
    "SELECT upper('äb'), lower('ÄB'), upper(NULL), lower(12)",
    "SELECT substr('hello', 2), substr('hello', 0), substr('hello', -2), substr('hello', 2, -1), substr('hello', 0, 2)",
    "SELECT substr('hello', -10, 3), substr('hello', 3, 100), substr(x'010203', 2, 1), substr('hello', 1, NULL)",
    "SELECT instr('abc', 'c'), instr('abc', 'x'), trim('  x  '), ltrim('xxa', 'x'), rtrim('axx', 'x'), trim('xax', 'x')",
    "SELECT replace('aaa', 'a', 'bb'), replace('abc', '', 'x'), hex(12.5), hex('a'), hex(NULL), quote('a''b')",
    "SELECT quote(x'ab'), quote(NULL), quote(1.5), char(65, 66), unicode('Ab'), typeof(1), typeof(1.0), typeof('1'), typeof(x'01'), typeof(NULL)",
    "SELECT round(2.5), round(-2.5), round(1.005, 2), round(2.675, 2), round(1.23456789, 20), round('1.5x'), round(NULL)",
    "SELECT max(1, 'a', NULL), min(1, 'a'), max(NULL, 1), max(1, 2.0), min('b', 'a', 'c')",
    "SELECT printf('[%5d|%-5d|%05d|%+d|%x|%X|%o|%c|%s|%.2s|%10.3f|%e|%%]', 42, 42, 42, 42, 255, 255, 8, 'hi', 'abc', 'abcdef', 3.14159, 12345.678)",
    "SELECT zeroblob(3), typeof(random()), length(randomblob(5))",
    "SELECT 1 WHERE 0", "SELECT 1 WHERE '1'", "SELECT 1 WHERE NULL",
]

SCRIPTS = [
    # affinity on store
    """CREATE TABLE t(n NUMERIC, i INTEGER, r REAL, x TEXT, b BLOB, none_);
       INSERT INTO t VALUES('3.0e+5','3.0e+5','3.0e+5','3.0e+5','3.0e+5','3.0e+5');
       INSERT INTO t VALUES(3.0, 3.0, 3, 3.0, 3.0, 3.0);
       INSERT INTO t VALUES(' 12 ', ' 12 ', ' 12 ', 12, ' 12 ', ' 12 ');
       INSERT INTO t VALUES('1e20', '1e20', '1e20', 1e20, '0x10', '0x10');
       INSERT INTO t VALUES('9223372036854775808', '9223372036854775807', 'abc', 1.5, x'31', 1e-5);
       SELECT n, typeof(n), i, typeof(i), r, typeof(r), x, typeof(x), b, typeof(b), none_, typeof(none_) FROM t""",
    # comparison affinity
    """CREATE TABLE t(a TEXT, b INT, c);
       INSERT INTO t VALUES('1', 1, '1');
       SELECT a=b, a=c, b=c, a=1, b='1', c=1, c='1', +a=1, a IN (1), b IN ('1'), c IN (1),
              1 IN (SELECT a FROM t), (SELECT b) = '1' FROM t""",
    """CREATE TABLE t(a TEXT, b INT);
       INSERT INTO t VALUES('1', 1);
       SELECT CASE a WHEN 1 THEN 'y' ELSE 'n' END, CASE b WHEN '1' THEN 'y' ELSE 'n' END,
              a BETWEEN 0 AND 2, b BETWEEN '0' AND '2' FROM t""",
    # grouping and aggregates
    """CREATE TABLE t(a INT, b TEXT);
       INSERT INTO t VALUES(1, 'x'), (2, 'y'), (1, 'z'), (NULL, 'w'), (3, NULL);
       SELECT a, count(*), count(b), sum(a), total(a), avg(a), min(b), max(b), group_concat(b) FROM t GROUP BY a""",
    """CREATE TABLE t(a INT, b TEXT);
       INSERT INTO t VALUES(1, 'x'), (2, 'y'), (1, 'z');
       SELECT count(*), sum(a), count(DISTINCT a), max(a), b FROM t""",
    """CREATE TABLE t(a INT); SELECT count(*), sum(a), total(a), avg(a), max(a) FROM t""",
    """SELECT sum(a) FROM (SELECT 9223372036854775807 AS a UNION ALL SELECT 1)""",
    """SELECT sum('12abc'), sum('12'), typeof(sum('12')), sum(x'3132'), avg('a'), total(1), group_concat(1)""",
    """CREATE TABLE t(a, b); INSERT INTO t VALUES(1, 'a'), (1, 'b'), (2, 'c');
       SELECT a, group_concat(b, '-') FROM t GROUP BY a HAVING count(*) > 1""",
    """CREATE TABLE t(a, b); INSERT INTO t VALUES(3, 'c'), (1, 'a'), (2, 'b');
       SELECT b, max(a) FROM t""",
    # ordering, distinct, limit
    """CREATE TABLE t(a, b); INSERT INTO t VALUES(2, 'b'), (NULL, 'n'), (1, 'a'), ('x', 'x'), (1.5, 'f'), (x'00', 'z');
       SELECT a FROM t ORDER BY a""",
    """CREATE TABLE t(a, b); INSERT INTO t VALUES(2, 'b'), (NULL, 'n'), (1, 'a');
       SELECT a, b FROM t ORDER BY a DESC NULLS FIRST, 2 LIMIT 2 OFFSET 1""",
    """CREATE TABLE t(a TEXT COLLATE NOCASE); INSERT INTO t VALUES('a'), ('A'), ('b'), ('B');
       SELECT DISTINCT a FROM t ORDER BY a""",
    """CREATE TABLE t(a); INSERT INTO t VALUES(1), (1.0), ('1'); SELECT DISTINCT a, typeof(a) FROM t""",
    """SELECT 1 LIMIT 1.5""",
    """SELECT 1 LIMIT '2'""",
    # compounds
    """SELECT 2 UNION SELECT 1 UNION ALL SELECT 0""",
    """SELECT 1 AS a UNION SELECT 2 ORDER BY a DESC""",
    """SELECT 1 INTERSECT SELECT 1; SELECT 1 EXCEPT SELECT 1""",
    """SELECT 1 UNION SELECT 1, 2""",
    # joins and subqueries
    """CREATE TABLE a(x, y); CREATE TABLE b(x, z);
       INSERT INTO a VALUES(1, 'a1'), (2, 'a2'), (3, 'a3');
       INSERT INTO b VALUES(1, 'b1'), (3, 'b3'), (3, 'b33');
       SELECT a.x, y, z FROM a, b WHERE a.x = b.x ORDER BY 1, 3""",
    """CREATE TABLE a(x, y); CREATE TABLE b(x, z);
       INSERT INTO a VALUES(1, 'a1'), (2, 'a2');
       INSERT INTO b VALUES(1, 'b1');
       SELECT * FROM a LEFT JOIN b ON a.x = b.x ORDER BY a.x""",
    """CREATE TABLE a(x, y); CREATE TABLE b(x, z);
       INSERT INTO a VALUES(1, 'a1'), (2, 'a2'); INSERT INTO b VALUES(1, 'b1');
       SELECT * FROM a JOIN b USING (x); SELECT * FROM a NATURAL JOIN b""",
    """CREATE TABLE t(a); INSERT INTO t VALUES(1), (2), (3);
       SELECT a, (SELECT count(*) FROM t AS u WHERE u.a <= t.a) FROM t ORDER BY a""",
    """CREATE TABLE t(a); INSERT INTO t VALUES(1), (2), (3);
       SELECT a FROM t WHERE EXISTS (SELECT 1 FROM t AS u WHERE u.a > t.a) ORDER BY 1""",
    """CREATE TABLE t(a); INSERT INTO t VALUES(1), (2), (3);
       SELECT * FROM (SELECT a * 2 AS d FROM t) WHERE d > 2""",
    """SELECT * FROM (SELECT 1 AS a, 2 AS a, 3 AS a)""",
    """WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5) SELECT sum(x) FROM c""",
    """WITH t(a) AS (VALUES (1), (2)) SELECT a * 10 FROM t""",
    # changes and errors
    """CREATE TABLE t(a PRIMARY KEY, b UNIQUE, c NOT NULL, CHECK (c > 0)); INSERT INTO t VALUES(1, 1, 1); INSERT INTO t VALUES(1, 2, 1)""",
    """CREATE TABLE t(a PRIMARY KEY, b UNIQUE, c NOT NULL); INSERT INTO t VALUES(1, 1, 1); INSERT INTO t VALUES(2, 1, 1)""",
    """CREATE TABLE t(a, c NOT NULL); INSERT INTO t VALUES(1, NULL)""",
    """CREATE TABLE t(id INTEGER PRIMARY KEY, b); INSERT INTO t VALUES(1, 1); INSERT INTO t VALUES(1, 2)""",
    """CREATE TABLE t(id INTEGER PRIMARY KEY, b); INSERT INTO t VALUES('x', 1)""",
    """CREATE TABLE t(id INTEGER PRIMARY KEY, b); INSERT INTO t(b) VALUES(5); INSERT INTO t VALUES(10, 6); INSERT INTO t(b) VALUES(7);
       SELECT id, b, rowid, last_insert_rowid(), changes() FROM t""",
    """CREATE TABLE t(a, b); INSERT INTO t VALUES(1)""",
    """CREATE TABLE t(a, b); INSERT INTO t(a, b) VALUES(1)""",
    """CREATE TABLE t(a, b); INSERT INTO t(a, c) VALUES(1, 2)""",
    """CREATE TABLE t(a); CREATE TABLE t(b)""",
    """CREATE TABLE sqlite_x(a)""",
    """INSERT INTO nosuch VALUES(1)""",
    """SELECT nosuch FROM (SELECT 1 AS a)""",
    """SELECT * FROM nosuch""",
    """CREATE TABLE t(a); CREATE TABLE u(a); SELECT a FROM t, u""",
    """SELECT count(*) WHERE count(*) > 0""",
    """SELECT nosuchfunction(1)""",
    """SELECT abs(1, 2)""",
    """SELECT abs(-9223372036854775808)""",
    # update and delete
    """CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c UNIQUE);
       INSERT INTO t VALUES(1, 'x', 10), (2, 'y', 20), (3, 'z', 30);
       UPDATE t SET b = b || '!' WHERE a >= 2; DELETE FROM t WHERE a = 1;
       UPDATE t SET a = a + 10; SELECT * FROM t""",
    """CREATE TABLE t(a, b UNIQUE); INSERT INTO t VALUES(1, 1), (2, 2); UPDATE t SET b = 1 WHERE a = 2""",
    """CREATE TABLE t(a, b UNIQUE); INSERT INTO t VALUES(1, 1), (2, 2); INSERT OR REPLACE INTO t VALUES(3, 1); SELECT * FROM t""",
    """CREATE TABLE t(a, b UNIQUE); INSERT INTO t VALUES(1, 1); INSERT OR IGNORE INTO t VALUES(3, 1); SELECT * FROM t""",
    """CREATE TABLE t(a); CREATE INDEX i ON t(a); INSERT INTO t VALUES(3), (1), (2); DELETE FROM t WHERE a = 1; SELECT * FROM t""",
    # views and schema
    """CREATE TABLE t(a); INSERT INTO t VALUES(1), (2); CREATE VIEW v AS SELECT a * 2 AS d FROM t; SELECT * FROM v ORDER BY d""",
    """CREATE TABLE t(a  INT, b); CREATE UNIQUE INDEX i ON t(a); CREATE VIEW v AS SELECT 1;
       SELECT type, name, tbl_name, sql FROM sqlite_schema""",
    """CREATE TABLE t(a); DROP TABLE t; SELECT count(*) FROM sqlite_schema""",
    """DROP TABLE nosuch""",
    # transactions and savepoints
    """CREATE TABLE t(a UNIQUE); BEGIN; INSERT INTO t VALUES(1); INSERT INTO t VALUES(2), (1)""",
    """CREATE TABLE t(a UNIQUE); BEGIN; INSERT INTO t VALUES(1); INSERT INTO t VALUES(2), (1);
       INSERT INTO t VALUES(3); COMMIT; SELECT a FROM t ORDER BY a""",
    """CREATE TABLE t(a); BEGIN; INSERT INTO t VALUES(1); ROLLBACK; SELECT count(*) FROM t""",
    """CREATE TABLE t(a); SAVEPOINT s1; INSERT INTO t VALUES(1); SAVEPOINT s2; INSERT INTO t VALUES(2);
       ROLLBACK TO s2; INSERT INTO t VALUES(3); RELEASE s1; SELECT a FROM t ORDER BY a""",
    """CREATE TABLE t(a); BEGIN; CREATE TABLE u(b); SAVEPOINT x; DROP TABLE u; ROLLBACK TO x;
       INSERT INTO u VALUES(5); COMMIT; SELECT * FROM u""",
    """RELEASE nosuch""",
    """COMMIT""",
    """BEGIN; BEGIN""",
]


def _check(pair, sql):
    engine, oracle = pair
    engine.reset()
    oracle.reset()
    want = oracle.execute(sql)
    got = engine.execute(sql)
    diff = compare(want, got, ordered="ORDER BY" in sql.upper())
    assert diff is None, f"{diff}\nsqlite3: {want}\nengine:  {got}"


@pytest.mark.parametrize("sql", EXPRESSIONS)
def test_expression(pair, sql):
    _check(pair, sql)


@pytest.mark.parametrize("sql", SCRIPTS)
def test_script(pair, sql):
    _check(pair, sql)
