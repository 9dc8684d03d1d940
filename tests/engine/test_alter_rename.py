"""ALTER TABLE ... RENAME COLUMN / RENAME TO against the sqlite3 binary.

Each case builds a schema, renames, and compares the ALTER's outcome (or its
error message) and then every stored CREATE text (sqlite_schema and
sqlite_temp_schema) with sqlite3's, byte for byte.  Expectations are never
written here: sqlite3 produces them.
"""

import pytest

from targets.compare import compare

T12 = ["CREATE TABLE t1(c0, c1)", "CREATE TABLE t2(c0, c2)"]
R = "ALTER TABLE t2 RENAME COLUMN c0 TO n"

CASES = [
    # the table itself: definitions, CHECK, generated columns, constraint lists
    (["CREATE TABLE t2(c0, c2 REFERENCES t1(c0), \"c0x\", CHECK(c0>0), UNIQUE(c0, c2), "
      "FOREIGN KEY(c0) REFERENCES t2(c0))"], "ALTER TABLE t2 RENAME COLUMN c0 TO c5"),
    (["CREATE TABLE t2([c0], `c1`, c2 DEFAULT 3, c3 AS (c0+1), CHECK(\"c0\" > c1))",
      "CREATE INDEX i ON t2(c0, \"c0\" COLLATE nocase, c0+1) WHERE c0>0"], "ALTER TABLE t2 RENAME COLUMN c0 TO x"),
    (["CREATE TABLE t2([c0], `c1`, c2 DEFAULT 3, c3 AS (c1+1), CHECK(`c1` > c0))"],
     'ALTER TABLE t2 RENAME COLUMN c1 TO "x"'),
    (["CREATE TABLE t2(c0, c1 CHECK(C0>0))"], "ALTER TABLE t2 RENAME COLUMN c0 TO key"),
    (["CREATE TABLE t2(c0, c1 CHECK(C0>0))"], "ALTER TABLE t2 RENAME COLUMN c0 TO [a b]"),
    (["CREATE TABLE t2(c0, c1 CHECK(C0>0))"], "ALTER TABLE t2 RENAME COLUMN c0 TO 'ab'"),
    (["CREATE TABLE t2(c0, c1 CHECK(C0>0))"], 'ALTER TABLE t2 RENAME COLUMN "c0" TO Ab'),
    (["CREATE TABLE t2(c0, c1 CHECK(C0>0))"], "ALTER TABLE t2 RENAME COLUMN c0 TO c0"),
    (["CREATE TABLE t2(c0, c1 CHECK(C0>0))"], "ALTER TABLE t2 RENAME COLUMN c0 TO C1"),
    (["CREATE TABLE t2(c0, c1 CHECK(C0>0))"], "ALTER TABLE t2 RENAME COLUMN c1 TO C0"),
    (["CREATE TABLE t2(c0, c1 CHECK(C0>0))"], 'ALTER TABLE t2 RENAME COLUMN c0 TO "a""b"'),
    (["CREATE TABLE t2(c0, c1 CHECK(C0>0))"], 'ALTER TABLE t2 RENAME COLUMN c0 TO "select"'),
    (["CREATE TABLE t(id INTEGER PRIMARY KEY, b CHECK(id>0))", "CREATE VIEW v AS SELECT rowid, id, t.oid FROM t"],
     "ALTER TABLE t RENAME COLUMN id TO k"),
    # foreign keys of other tables
    (["CREATE TABLE t1(c0, c1)", "CREATE TABLE t2(\"c0\", c2 REFERENCES t1(c0))",
      "CREATE TABLE t3(x REFERENCES t2(\"c0\"), y, FOREIGN KEY(y) REFERENCES t2(c0))"],
     'ALTER TABLE t2 RENAME COLUMN c0 TO "new name"'),
    (["CREATE TABLE t2(c0 STRING, c2 DATE, FOREIGN KEY (c2) REFERENCES t1(c0))"],
     "ALTER TABLE t2 RENAME COLUMN c0 TO c5"),
    # views
    (T12 + ["CREATE VIEW v1 AS SELECT c0, x.c0 AS y, (SELECT c0 FROM t1) AS z, (SELECT c2 FROM t1) "
            "FROM t2 AS x WHERE c0 > 0 GROUP BY c0 HAVING c0 ORDER BY c0, y"], R),
    (T12 + ["CREATE VIEW v1 AS SELECT c0 AS k FROM t2 ORDER BY k, c0",
            "CREATE VIEW v2 AS SELECT a.c0, b.c0 FROM t1 a, t2 b WHERE a.c0=b.c0"], R),
    (T12 + ["CREATE VIEW v1 AS WITH c(c0) AS (SELECT c0 FROM t2) SELECT c0 FROM c"], R),
    (T12 + ["CREATE VIEW v1 AS WITH c AS (SELECT c0 FROM t2) SELECT c0 FROM c"], R),
    (T12 + ["CREATE VIEW v2 AS SELECT c0 FROM (SELECT c0 FROM t2)"], R),
    (T12 + ["CREATE VIEW v3 AS SELECT * FROM t2 NATURAL JOIN t1 WHERE c0"], R),
    (T12 + ["CREATE VIEW v3 AS SELECT * FROM t2 JOIN t1 USING(c0) WHERE c0"], R),
    (T12 + ["CREATE VIEW v3 AS SELECT * FROM t2 JOIN t1 USING(c0) WHERE c0"], "ALTER TABLE t1 RENAME COLUMN c0 TO n"),
    (T12 + ["CREATE VIEW v3 AS SELECT c0 FROM t2 UNION SELECT c0 FROM t1 ORDER BY c0"], R),
    (T12 + ["CREATE VIEW v3 AS SELECT c0 FROM t1 UNION SELECT c0 FROM t2 ORDER BY c0"], R),
    (T12 + ["CREATE VIEW v3(a,b) AS SELECT c0, t2.* FROM t2"], R),
    (T12 + ["CREATE VIEW v3 AS SELECT c0, count(*) OVER (PARTITION BY c0 ORDER BY c2) FROM t2 "
            "WINDOW w AS (ORDER BY c0)"], R),
    (T12 + ["CREATE VIEW v1 AS SELECT c0 FROM t1 WHERE c0 IN (SELECT c0 FROM t2) "
            "AND EXISTS(SELECT t1.c0 FROM t2 WHERE c2=t1.c1)"], R),
    (T12 + ["CREATE VIEW v1 AS SELECT c2 FROM t2 WHERE \"c0\" AND 'c0' AND main.t2.c0"], R),
    (T12 + ["CREATE VIEW v AS SELECT c0 FROM t2", "CREATE VIEW w AS SELECT c0 FROM v"], R),
    (T12 + ["CREATE VIEW v AS SELECT c0 FROM t2", "CREATE VIEW w AS SELECT c0 FROM v"],
     "ALTER TABLE t2 RENAME COLUMN c2 TO n"),
    (T12 + ["CREATE VIEW v3 AS SELECT 0 AS x1 FROM (SELECT 0 AS x0 FROM t2 AS a2 LEFT JOIN t1 AS a4 ON 0 "
            "WHERE a4.c0) AS a1"], R),
    (["CREATE TABLE t1 (c0 INTEGER)", "CREATE TABLE t2 (c0 TEXT(0))",
      "CREATE VIEW v6 AS SELECT (SELECT MAX(0) FILTER(WHERE 0) FROM t2 AS a39) IN "
      "(SELECT 0 FROM t2 AS a41 JOIN t1 AS a42 USING (c0)) AS x1"], "ALTER TABLE t2 RENAME COLUMN c0 TO c8"),
    # errors in the schema before the rename
    (T12 + ["CREATE VIEW v AS SELECT x FROM t1"], R),
    (T12 + ["CREATE VIEW v AS SELECT c0 FROM zz"], R),
    (T12 + ["CREATE VIEW v AS SELECT c0 FROM t1, t2"], R),
    (T12 + ["CREATE TRIGGER tr AFTER INSERT ON t1 BEGIN SELECT x FROM t1; END"], R),
    (T12 + ["CREATE TRIGGER tr AFTER INSERT ON t1 BEGIN SELECT c0 FROM zz; END"], R),
    (T12 + ["CREATE TRIGGER tr AFTER INSERT ON t2 BEGIN SELECT new.rowid, new.c0, old.c0; END"], R),
    # double-quoted strings become single-quoted ones
    (T12 + ["CREATE VIEW v AS SELECT \"zz\" FROM t1", "CREATE VIEW w AS SELECT \"c0\" FROM t2"], R),
    (T12 + ["CREATE TABLE t3(a DEFAULT \"zz\", b AS (\"yy\"), CHECK(\"a\" AND \"qq\"))",
            "CREATE INDEX i3 ON t3(a) WHERE \"ww\"", "CREATE VIEW v AS SELECT \"zz\"'x' FROM t1"], R),
    (T12 + ["CREATE TRIGGER tr AFTER INSERT ON t1 BEGIN SELECT \"zz\"; END"], R),
    (["CREATE TABLE t(a, b)", "CREATE VIEW v AS SELECT a FROM t WHERE \"b\" AND \"rowid\""],
     'ALTER TABLE t RENAME COLUMN b TO "k"'),
    # triggers
    (T12 + ["CREATE TRIGGER tr AFTER UPDATE OF c0, c2 ON t2 WHEN new.c0 AND old.c2 BEGIN "
            "INSERT INTO t1(c0, c1) VALUES(new.c0, old.c0); INSERT INTO t2(c0) SELECT c0 FROM t1; "
            "UPDATE t2 SET c0 = c0 + new.c0 WHERE c0; UPDATE t1 SET c0 = new.c0 WHERE c0; "
            "DELETE FROM t2 WHERE c0 = new.c0; SELECT c0 FROM t2; END"], R),
    (T12 + ["CREATE TRIGGER tr AFTER INSERT ON t1 BEGIN INSERT INTO t2 VALUES(new.c0) "
            "ON CONFLICT(c0) DO UPDATE SET c0=excluded.c0 WHERE c0; "
            "UPDATE t2 SET (c0, c2) = (SELECT c0, c1 FROM t1); END"], R),
    (T12 + ["CREATE TRIGGER tr AFTER INSERT ON t1 BEGIN UPDATE t2 SET c2 = c1 FROM t1 WHERE t2.c0 = t1.c0; END"], R),
    (T12 + ["CREATE TRIGGER tr AFTER INSERT ON t2 BEGIN SELECT x.c0 FROM t1 AS x WHERE new.c0; END",
            "CREATE TRIGGER tr2 AFTER INSERT ON t2 BEGIN SELECT c0 FROM t1; END"], R),
    (["CREATE TABLE t1(c0 NVARCHAR(2), c1 INTEGER, c2 AS ((c1 <> 'NaN')))", "CREATE TABLE t2 (c2)",
      "CREATE TRIGGER tr6 AFTER INSERT ON t1 BEGIN SELECT RAISE(ABORT, 'stop') WHERE (NEW.c2 IS NOT NULL); "
      "DELETE FROM t2; END"], "ALTER TABLE t2 RENAME COLUMN c2 TO c9"),
    (["CREATE TABLE t1 (c0 PRIMARY KEY, c1 BLOB, c3 TEXT, c4 INTEGER)", "CREATE TABLE t2 (c0 INTEGER)",
      "CREATE TRIGGER tr3 BEFORE INSERT ON t1 WHEN (NEW.c4 NOT BETWEEN 'NULL' AND NEW.c0) BEGIN UPDATE t2 SET "
      "c0 = replace(NEW.c4, 'x', NEW.c1) WHERE (NEW.c0 <> NEW.c3); INSERT OR IGNORE INTO t2 (c0) VALUES (0); END"],
     "ALTER TABLE t2 RENAME COLUMN c0 TO c5"),
    # TEMP objects
    (T12 + ["CREATE TEMP VIEW tv AS SELECT c0 FROM t2",
            "CREATE TEMP TRIGGER tt AFTER INSERT ON t2 BEGIN SELECT new.c0; END"], R),
    (["CREATE TEMP TABLE t2(c0, c2)", "CREATE TEMP VIEW tv AS SELECT c0 FROM t2"], R),
    # more query shapes
    (T12 + ["CREATE VIEW v AS SELECT a.c0, b.c0 FROM (t1 a JOIN t2 b ON a.c0=b.c0)",
            "CREATE VIEW w AS SELECT * FROM v"], R),
    (T12 + ["CREATE VIEW v AS SELECT c0 FROM t1 WHERE c0 IN t2"], R),
    (T12 + ["CREATE VIEW v AS SELECT c0, value FROM t2, json_each('[1]') WHERE c0 = value"], R),
    (T12 + ["CREATE VIEW v AS SELECT c0 FROM t2, pragma_table_info('t2') p WHERE p.name = 'c0'"], R),
    (T12 + ["CREATE VIEW v AS SELECT c2 AS k FROM t2 WHERE k AND c0"], R),
    (T12 + ["CREATE VIEW v AS SELECT (SELECT c0 FROM t1 WHERE t1.c1 = t2.c0), (SELECT c2) FROM t2"], R),
    (T12 + ["CREATE VIEW v AS SELECT c0 FROM t1 WHERE EXISTS (SELECT 1 FROM t2 WHERE c0 = t1.c0)"], R),
    (T12 + ["CREATE VIEW v AS WITH RECURSIVE r(x) AS (SELECT c0 FROM t2 UNION ALL SELECT x+1 FROM r WHERE x<5) "
            "SELECT x FROM r"], R),
    (T12 + ["CREATE VIEW v AS WITH t2 AS (SELECT 1 AS c0) SELECT c0 FROM t2"], R),
    (["CREATE TABLE c0(c0, x)", "CREATE VIEW v AS SELECT c0.c0, c0 FROM c0"], "ALTER TABLE c0 RENAME COLUMN c0 TO n"),
    (T12 + ["CREATE VIEW v AS SELECT main.t2.c0 FROM main.t2 WHERE main.t2.c2 = t2.c0"], R),
    (T12 + ["CREATE VIEW v AS SELECT sum(c0) OVER w FROM t2 WINDOW w AS (PARTITION BY c0)"], R),
    (T12 + ["CREATE VIEW v AS SELECT c0 FROM t2 LEFT JOIN t1 USING (c2)"], R),
    (T12 + ["CREATE VIEW v AS SELECT t1.c0 FROM t1 LEFT JOIN t2 ON t2.c0 = t1.c0 ORDER BY t2.c0"], R),
    (T12 + ["CREATE VIEW v AS SELECT * FROM t2", "CREATE VIEW w AS SELECT c0 FROM v"], R),
    (T12 + ["CREATE VIEW v AS SELECT c0 AS c0 FROM t2", "CREATE VIEW w AS SELECT c0 FROM v"], R),
    (T12 + ["CREATE VIEW v AS VALUES(1, 2)", "CREATE VIEW w AS SELECT column1 FROM v, t2 WHERE c0"], R),
    (T12 + ["CREATE VIEW v AS SELECT c0, count(*) FROM t2 GROUP BY 1 HAVING count(c0) > 1 ORDER BY 2 LIMIT c0"], R),
    (T12 + ["CREATE VIEW v AS SELECT CASE c0 WHEN 1 THEN c2 ELSE c0 END, c0 BETWEEN 1 AND c0, "
            "c0 LIKE 'x' ESCAPE c0, CAST(c0 AS TEXT), c0 COLLATE nocase FROM t2"], R),
    (T12 + ["CREATE TABLE t3(a, b AS (a + 1) STORED, CHECK (b > a))", "CREATE INDEX i3 ON t3(b)"],
     "ALTER TABLE t3 RENAME COLUMN a TO z"),
    (T12 + ["CREATE INDEX i2 ON t2(c2) WHERE c0 > 0", "CREATE UNIQUE INDEX j2 ON t2(c0 DESC, c2)"], R),
    (T12 + ["CREATE VIEW v AS SELECT c0, c2 FROM t2",
            "CREATE TRIGGER tv INSTEAD OF UPDATE OF c0 ON v BEGIN UPDATE t2 SET c0 = new.c0 WHERE c2 = old.c2; END"], R),
    (T12 + ["CREATE TRIGGER tr AFTER INSERT ON t1 BEGIN INSERT INTO t2 VALUES(1, 2) ON CONFLICT DO NOTHING; "
            "INSERT INTO t2(c0) SELECT c1 FROM t1 WHERE true ON CONFLICT(c0) DO NOTHING; END"], R),
    (T12 + ["CREATE TRIGGER tr BEFORE DELETE ON t2 FOR EACH ROW WHEN old.c0 > 0 BEGIN "
            "DELETE FROM t1 WHERE c0 = old.c0 AND c1 IN (SELECT c0 FROM t2); END"], R),
    (T12 + ["CREATE TRIGGER \"t r\" AFTER UPDATE OF \"c0\" ON t2 BEGIN SELECT \"c0\" FROM t2; END"],
     'ALTER TABLE t2 RENAME COLUMN c0 TO "Q"'),
    (T12, "ALTER TABLE t2 RENAME COLUMN nosuch TO x"),
    (T12 + ["CREATE VIEW v AS SELECT c0 FROM t1 UNION ALL SELECT c0 FROM t2 ORDER BY 1"], R),
    (T12 + ["CREATE VIEW v AS SELECT c0 x FROM t2 UNION SELECT c1 FROM t1 ORDER BY x"], R),
    (T12 + ["CREATE TABLE t3(a REFERENCES t2, b, FOREIGN KEY (b) REFERENCES T2 (C0))"], R),
    # RENAME TO keeps working
    (T12 + ["CREATE INDEX i2 ON t2(c0)", "CREATE VIEW v AS SELECT t2.c0 FROM t2",
            "CREATE TRIGGER tr AFTER INSERT ON t2 BEGIN UPDATE t2 SET c0 = 1; END"], "ALTER TABLE t2 RENAME TO t9"),
]


SCHEMA = ("SELECT type, name, tbl_name, sql FROM sqlite_schema "
          "UNION ALL SELECT type, name, tbl_name, sql FROM sqlite_temp_schema")


@pytest.mark.parametrize("setup, alter", CASES)
def test_rename(pair, setup, alter):
    engine, oracle = pair
    engine.reset()
    oracle.reset()
    for sql in setup:
        want = oracle.execute(sql)
        assert want.error is None, want
        assert engine.execute(sql).error is None
    want = oracle.execute(alter)
    got = engine.execute(alter)
    assert compare(want, got) is None, f"{alter}\nsqlite3: {want}\nengine:  {got}"
    want = oracle.execute(SCHEMA)
    got = engine.execute(SCHEMA)
    assert compare(want, got) is None, f"{alter}\nsqlite3: {want.rows}\nengine:  {got.rows}"


T2T = ["CREATE TABLE t1(c0, c1)", "CREATE TABLE t2(c0, t2)"]
RT = "ALTER TABLE t2 RENAME TO t9"

TABLE_CASES = [
    (T2T + ["CREATE VIEW v AS SELECT t2.t2, \"t2\".c0, x.t2 FROM t2 AS x, main.t2 WHERE t2.c0 IN (SELECT c0 FROM t2) "
            "AND 't2'", "CREATE VIEW w AS WITH t2 AS (SELECT 1 AS c0) SELECT t2.c0 FROM t2"], RT),
    (T2T + ["CREATE TABLE t3(a REFERENCES t2(c0), b REFERENCES \"T2\")", "CREATE INDEX i ON t2(t2)",
            "CREATE TRIGGER tr AFTER INSERT ON t2 BEGIN INSERT INTO t2(t2) SELECT t2.t2 FROM t2; "
            "UPDATE t2 SET t2=1 WHERE t2.c0; DELETE FROM t2; SELECT new.t2; END"], 'ALTER TABLE t2 RENAME TO "x y"'),
    (T2T + ["CREATE VIEW v AS SELECT t1.* FROM t1 AS t2, t1"], RT),
    (T2T + ["CREATE VIEW v AS SELECT t2.*, main.t2.c0 FROM t2 JOIN t1 USING (c0)",
            "CREATE TEMP VIEW tv AS SELECT t2.c0 FROM t2",
            "CREATE TEMP TRIGGER tt AFTER INSERT ON t2 BEGIN DELETE FROM t2; END"], RT),
    (T2T + ["CREATE VIEW v AS SELECT \"zz\" FROM t2", "CREATE VIEW w AS SELECT x FROM t1"], RT),
    (T2T + ["CREATE VIEW v AS SELECT t2 FROM t2"], RT),
    (["CREATE TABLE t2(a INTEGER PRIMARY KEY AUTOINCREMENT, b UNIQUE, FOREIGN KEY (b) REFERENCES t2(a))",
      "INSERT INTO t2(b) VALUES (1)"], "ALTER TABLE t2 RENAME TO t3"),
    (T2T + ["CREATE VIEW v AS SELECT a.c0 FROM (t2 a JOIN t1 b ON a.c0 = b.c0), (t2)"], RT),
    (["CREATE TABLE mm(a)", "CREATE TEMP TABLE tt(a)",
      "CREATE TEMP TRIGGER x AFTER INSERT ON mm BEGIN INSERT INTO tt(a) VALUES (new.a); END"], "ALTER TABLE tt RENAME TO tt2"),
    (["CREATE TABLE mm(a)", "CREATE TEMP TABLE tt(a)",
      "CREATE TEMP TRIGGER x AFTER INSERT ON mm BEGIN INSERT INTO tt(a) VALUES (new.a); END"],
     "ALTER TABLE tt RENAME COLUMN a TO b"),
]


@pytest.mark.parametrize("setup, alter", TABLE_CASES)
def test_rename_table(pair, setup, alter):
    test_rename(pair, setup, alter)
