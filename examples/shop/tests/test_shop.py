"""The shop against its real database and the included notify: seeded catalog, adding products,
orders confirmed by e-mail, the page, health."""

from __future__ import annotations

import csv
import json
import os
import urllib.request
import uuid
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


def notify_messages(to: str) -> list[dict]:
    """What notify (the included e-mail service, `mail` on this stack's network) received for `to`."""
    url = f"http://{os.environ.get('MAIL_HOST', 'mail')}:8025/messages?to={to}"
    with urllib.request.urlopen(url, timeout=5) as answer:
        return json.load(answer)


def test_an_order_is_stored_and_its_confirmation_arrives_at_notify(client) -> None:
    product = client.get("/products").get_json()[0]
    address = f"buyer-{uuid.uuid4().hex[:12]}@example.com"
    placed = client.post("/orders", json={"product_id": product["id"], "quantity": 2, "email": address})
    assert placed.status_code == 201, placed.get_json()
    order = placed.get_json()
    assert order["confirmation"] == "sent"
    assert (order["product"], order["quantity"], order["total"]) == (product["name"], 2, product["price"] * 2)
    with psycopg2.connect(os.environ["DATABASE_URL"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT email, quantity, confirmed FROM orders WHERE id = %s", (order["id"],))
        assert cur.fetchone() == (address, 2, True)
    # notify accepted it over SMTP only once stored: it is listed already.
    [mail] = notify_messages(address)
    assert mail["subject"] == f"Your order {order['id']}: {product['name']}"
    assert f"2 × {product['name']}" in mail["body"]


def test_bad_orders_are_refused_and_nothing_is_mailed(client) -> None:
    address = f"refused-{uuid.uuid4().hex[:12]}@example.com"
    for body, field, status in [
        ({"quantity": 1, "email": address}, "product_id", 400),
        ({"product_id": 1, "quantity": 0, "email": address}, "quantity", 400),
        ({"product_id": 1, "email": "not an address"}, "email", 400),
        ({"product_id": 999999, "email": address}, "product_id", 404),
    ]:
        answer = client.post("/orders", json=body)
        assert answer.status_code == status
        assert answer.get_json()["error"].startswith(field)
    assert notify_messages(address) == []
