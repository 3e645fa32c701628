"""The shop against its real database: seeded catalog, adding products, the page, health."""

from __future__ import annotations

import csv
import json
import os
import urllib.request
from pathlib import Path

import psycopg2


def catalog_names() -> list[str]:
    with Path(os.environ["SEED_CATALOG"]).open(encoding="utf-8") as handle:
        return [row["name"] for row in csv.DictReader(handle)]


def test_health_reaches_the_database(client) -> None:
    answer = client.get("/health")
    assert answer.status_code == 200
    assert answer.get_json() == {"status": "ok", "database": "ok"}


def test_the_catalog_is_seeded_once(client, app) -> None:
    names = [p["name"] for p in client.get("/products").get_json()]
    assert names[: len(catalog_names())] == catalog_names()
    with psycopg2.connect(os.environ["DATABASE_URL"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT rows FROM seeded WHERE source = 'catalog'")
        assert cur.fetchone() == (len(catalog_names()),)


def test_a_product_added_is_stored(client) -> None:
    created = client.post("/products", json={"name": "Travel mug", "price": 18.5})
    assert created.status_code == 201
    product = created.get_json()
    assert product["name"] == "Travel mug" and product["price"] == 18.5
    with psycopg2.connect(os.environ["DATABASE_URL"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT name, price FROM products WHERE id = %s", (product["id"],))
        name, price = cur.fetchone()
    assert (name, str(price)) == ("Travel mug", "18.50")


def test_bad_products_are_refused_with_a_reason(client) -> None:
    for body, field in [
        ({"price": 1}, "name"),
        ({"name": "x", "price": "cheap"}, "price"),
        ({"name": "x", "price": -1}, "price"),
    ]:
        answer = client.post("/products", json=body)
        assert answer.status_code == 400
        assert answer.get_json()["error"].startswith(field)
    assert client.post("/products", data="not json").status_code == 400


def test_the_page_lists_the_products(client) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "<h1>" in page
    assert catalog_names()[0] in page


def test_the_running_server_serves_the_same_database() -> None:
    port = os.environ.get("PORT", "8000")
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/products", timeout=5) as answer:
        served = json.load(answer)
    assert [p["name"] for p in served][: len(catalog_names())] == catalog_names()
