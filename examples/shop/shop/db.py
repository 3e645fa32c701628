"""The products table in PostgreSQL: schema, first-start seeding from the catalog CSV, queries."""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from pathlib import Path

import psycopg2
import psycopg2.pool

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS products (
    id         serial PRIMARY KEY,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    price      numeric(10, 2) NOT NULL CHECK (price >= 0),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS orders (
    id         serial PRIMARY KEY,
    product_id integer NOT NULL REFERENCES products (id),
    quantity   integer NOT NULL CHECK (quantity BETWEEN 1 AND 100),
    total      numeric(12, 2) NOT NULL,
    email      text NOT NULL,
    confirmed  boolean NOT NULL DEFAULT false,   -- the confirmation e-mail was accepted by notify
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS seeded (
    source     text PRIMARY KEY,
    rows       integer NOT NULL,
    seeded_at  timestamptz NOT NULL DEFAULT now()
);
"""
SEED_LOCK = 4242  # advisory lock: two processes starting at once seed once


class Database:
    def __init__(self, url: str, max_connections: int = 8):
        self.pool = psycopg2.pool.ThreadedConnectionPool(1, max_connections, dsn=url)

    @contextmanager
    def transaction(self) -> Iterator[psycopg2.extensions.cursor]:
        """A cursor in one transaction: committed when the block ends, rolled back on error.
        A connection the server dropped (a database restart) is replaced once."""
        conn = self.pool.getconn()
        if conn.closed:
            self.pool.putconn(conn, close=True)
            conn = self.pool.getconn()
        broken = False
        try:
            with conn, conn.cursor() as cur:
                yield cur
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            broken = True
            raise
        finally:
            self.pool.putconn(conn, close=broken)

    def migrate(self) -> None:
        with self.transaction() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (SEED_LOCK,))
            cur.execute(SCHEMA)

    def seed(self, csv_path: Path) -> int:
        """Load the catalog the first time this database starts; never again after (products
        deleted on purpose stay deleted). Returns the rows inserted now."""
        with self.transaction() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (SEED_LOCK,))
            cur.execute("SELECT 1 FROM seeded WHERE source = 'catalog'")
            if cur.fetchone():
                return 0
            rows = list(read_catalog(csv_path))
            cur.executemany("INSERT INTO products (name, price) VALUES (%s, %s)", rows)
            cur.execute("INSERT INTO seeded (source, rows) VALUES ('catalog', %s)", (len(rows),))
        log.info("seeded %d products from %s", len(rows), csv_path)
        return len(rows)

    def products(self) -> list[dict[str, object]]:
        with self.transaction() as cur:
            cur.execute("SELECT id, name, price FROM products ORDER BY id")
            return [{"id": i, "name": n, "price": float(p)} for i, n, p in cur.fetchall()]

    def add_product(self, name: str, price: Decimal) -> dict[str, object]:
        with self.transaction() as cur:
            cur.execute("INSERT INTO products (name, price) VALUES (%s, %s) RETURNING id", (name, price))
            (new_id,) = cur.fetchone()
        return {"id": new_id, "name": name, "price": float(price)}

    def add_order(self, product_id: int, quantity: int, email: str) -> dict[str, object] | None:
        """The order, priced from the products table; None when there is no such product."""
        with self.transaction() as cur:
            cur.execute("SELECT name, price FROM products WHERE id = %s", (product_id,))
            found = cur.fetchone()
            if found is None:
                return None
            name, price = found
            total = price * quantity
            cur.execute(
                "INSERT INTO orders (product_id, quantity, total, email) VALUES (%s, %s, %s, %s) RETURNING id",
                (product_id, quantity, total, email),
            )
            (new_id,) = cur.fetchone()
        return {"id": new_id, "product_id": product_id, "product": name, "quantity": quantity,
                "total": float(total), "email": email}  # fmt: skip

    def confirm_order(self, order_id: int) -> None:
        with self.transaction() as cur:
            cur.execute("UPDATE orders SET confirmed = true WHERE id = %s", (order_id,))

    def ping(self) -> None:
        with self.transaction() as cur:
            cur.execute("SELECT 1")


def read_catalog(path: Path) -> Iterator[tuple[str, Decimal]]:
    with path.open(newline="", encoding="utf-8") as handle:
        for number, row in enumerate(csv.DictReader(handle), 2):
            try:
                yield row["name"].strip(), Decimal(row["price"])
            except (KeyError, AttributeError, InvalidOperation) as err:
                raise ValueError(f"{path}:{number}: expected name,price — got {row!r}") from err
