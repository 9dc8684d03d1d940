"""The reducer: a hand-written 30-statement script with one difference
comes down to at most three statements, through ``reduce`` on the command
line too; a step is kept only while the same kind of difference shows."""

from __future__ import annotations

import sys

import pytest

from fuzz import cli
from fuzz.execute import run_case
from fuzz.generator import parse_script
from fuzz.reducer import Reducer
from targets import open_target

# Thirty statements; under the planted bug (LIKE runs as GLOB, see
# planted_dbapi.py) only the LIKE in statement 22 answers differently.
SCRIPT = """
CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT, born DATE);
CREATE TABLE orders(id INTEGER PRIMARY KEY, customer INTEGER REFERENCES customers(id), total REAL, placed TEXT);
CREATE TABLE items(order_id INTEGER, sku TEXT, qty INTEGER, price NUMERIC);
CREATE INDEX orders_by_customer ON orders(customer);
CREATE UNIQUE INDEX items_key ON items(order_id, sku);
INSERT INTO customers VALUES (1, 'Ada', 'London', '1815-12-10'), (2, 'Grace', 'New York', '1906-12-09');
INSERT INTO customers VALUES (3, 'alan', 'Wilmslow', '1912-06-23'), (4, 'Edsger', 'Nuenen', '1930-05-11');
INSERT INTO orders VALUES (10, 1, 12.5, '2020-01-01'), (11, 1, 3.25, '2020-02-01'), (12, 2, 99.0, '2021-03-04');
INSERT INTO orders VALUES (13, 3, 0.5, '2021-05-06'), (14, NULL, 7, '2022-07-08');
INSERT INTO items VALUES (10, 'pen', 2, 1.25), (10, 'ink', 1, 10), (11, 'pad', 1, 3.25);
INSERT INTO items VALUES (12, 'lamp', 1, 99), (13, 'clip', 5, 0.1);
SELECT count(*) FROM customers;
SELECT name FROM customers WHERE city = 'London';
SELECT c.name, sum(o.total) FROM customers AS c JOIN orders AS o ON o.customer = c.id GROUP BY c.name;
UPDATE orders SET total = total * 2 WHERE placed < '2021-01-01';
SELECT id, total FROM orders ORDER BY id;
DELETE FROM items WHERE qty > 4;
SELECT sku, qty * price FROM items;
SELECT max(total), min(total), avg(total) FROM orders;
SELECT name FROM customers WHERE id IN (SELECT customer FROM orders WHERE total > 10);
SELECT upper(name), length(city) FROM customers;
SELECT name FROM customers WHERE name LIKE 'a%';
SELECT o.id, c.name FROM orders AS o LEFT JOIN customers AS c ON c.id = o.customer;
SELECT strftime('%Y', placed), count(*) FROM orders GROUP BY 1;
INSERT INTO items VALUES (14, 'cap', 3, 4.5);
SELECT sku FROM items ORDER BY sku;
SELECT total(qty) FROM items;
SELECT DISTINCT city FROM customers WHERE born < '1920-01-01';
SELECT id FROM orders WHERE customer IS NULL;
SELECT name, born FROM customers ORDER BY born DESC;
"""


@pytest.fixture
def targets(sqlite3_binary):
    target = open_target("dbapi:planted_dbapi")
    reference = open_target("sqlite3")
    yield target, reference
    target.close()
    reference.close()


def test_thirty_statements_reduce_to_at_most_three(targets):
    target, reference = targets
    stmts = parse_script(SCRIPT)
    assert len(stmts) == 30
    failure = run_case(stmts, target, reference, ("differential",))
    assert failure is not None and "LIKE" in failure.statement.sql
    reducer = Reducer(target, reference, seconds=60)
    reduced = reducer.reduce(failure)
    assert len(reduced.statements) <= 3, [s.sql for s in reduced.statements]
    assert "LIKE" in reduced.statements[-1].sql.upper()
    assert reduced.kind_key() == failure.kind_key()
    # The reduced script still shows the difference from a fresh start.
    again = run_case(reduced.statements, target, reference, ("differential",))
    assert again is not None and again.kind_key() == failure.kind_key()


def test_a_script_without_a_difference_is_left_alone(targets):
    target, reference = targets
    stmts = parse_script("CREATE TABLE t(a); INSERT INTO t VALUES (1); SELECT a FROM t;")
    assert run_case(stmts, target, reference, ("differential",)) is None


def test_reduce_on_the_command_line(targets, tmp_path, capsys):
    script = tmp_path / "case.sql"
    script.write_text(SCRIPT)
    out = tmp_path / "reduced.sql"
    status = cli.main(["reduce", str(script), "--target", "dbapi:planted_dbapi", "--out", str(out),
                       "--seconds", "60"])
    assert status == 0
    reduced = parse_script(out.read_text())
    assert 1 <= len(reduced) <= 3
    assert "30 statements reduced to" in capsys.readouterr().out


def test_reduce_says_when_there_is_nothing_to_reduce(targets, tmp_path, capsys):
    script = tmp_path / "fine.sql"
    script.write_text("SELECT 1;")
    assert cli.main(["reduce", str(script), "--target", "dbapi:planted_dbapi"]) == 1
    assert cli.main(["reduce", str(tmp_path / "missing.sql")]) == 2
