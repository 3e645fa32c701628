"""The shop's web app: `GET /` (a page), `GET|POST /products` (JSON), `POST /orders` (stored,
then confirmed by e-mail through notify), `GET /health`.

Configured only by the environment, as production configures it (deploy/): DATABASE_URL,
SEED_CATALOG, SHOP_CURRENCY, LOG_LEVEL; MAIL_HOST, MAIL_PORT, MAIL_FROM (default: notify's
`mail:25`)."""

from __future__ import annotations

import logging
import os
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import psycopg2
from flask import Flask, jsonify, render_template, request

from shop import page
from shop.db import Database
from shop.mail import send_confirmation

log = logging.getLogger(__name__)
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,190}\.[a-z]{2,24}", re.IGNORECASE)


def create_app() -> Flask:
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "info").upper(), format="%(levelname)s %(message)s")
    app = Flask(__name__)
    db = Database(os.environ["DATABASE_URL"])
    db.migrate()
    seed = os.environ.get("SEED_CATALOG")
    if seed:
        db.seed(Path(seed))
    currency = os.environ.get("SHOP_CURRENCY", "EUR")

    @app.get("/")
    def index():  # type: ignore[no-untyped-def]
        return render_template(
            "index.html", headline=page.HEADLINE, products=db.products(), currency=currency
        )

    @app.get("/products")
    def list_products():  # type: ignore[no-untyped-def]
        return jsonify(db.products())

    @app.post("/products")
    def add_product():  # type: ignore[no-untyped-def]
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return jsonify(error='send JSON: {"name": "...", "price": 9.5}'), 400
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 200:
            return jsonify(error="name: a text of 1 to 200 characters"), 400
        try:
            price = Decimal(str(body.get("price")))
        except InvalidOperation:
            return jsonify(error="price: a number"), 400
        if not price.is_finite() or price < 0 or price >= Decimal("1e8"):
            return jsonify(error="price: a number from 0 to 99999999.99"), 400
        return jsonify(db.add_product(name.strip(), price.quantize(Decimal("0.01")))), 201

    @app.post("/orders")
    def add_order():  # type: ignore[no-untyped-def]
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return jsonify(error='send JSON: {"product_id": 1, "quantity": 2, "email": "ann@example.com"}'), 400
        product_id, quantity, email = body.get("product_id"), body.get("quantity", 1), body.get("email")
        if not isinstance(product_id, int) or isinstance(product_id, bool) or product_id < 1:
            return jsonify(error="product_id: the id of a product (GET /products)"), 400
        if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= 100:
            return jsonify(error="quantity: a whole number from 1 to 100"), 400
        if not isinstance(email, str) or not EMAIL.fullmatch(email.strip()):
            return jsonify(error="email: an e-mail address (name@example.com)"), 400
        order = db.add_order(product_id, quantity, email.strip())
        if order is None:
            return jsonify(error=f"product_id: no product {product_id}"), 404
        # The order stands once stored; the e-mail is its confirmation, reported beside it.
        try:
            send_confirmation(order, currency)
        except OSError as err:  # smtplib's errors are OSErrors too
            log.warning("order %s: the confirmation e-mail was not sent: %s", order["id"], err)
            return jsonify({**order, "confirmation": f"not sent: {err}"}), 201
        db.confirm_order(int(order["id"]))
        return jsonify({**order, "confirmation": "sent"}), 201

    @app.get("/health")
    def health():  # type: ignore[no-untyped-def]
        try:
            db.ping()
        except psycopg2.Error as err:
            return jsonify(status="unavailable", database=str(err).strip()), 503
        return jsonify(status="ok", database="ok")

    return app
