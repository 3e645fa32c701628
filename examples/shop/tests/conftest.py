"""The example's tests run inside the `web` container (`devenv test -s web -- python3 -m pytest -q`),
with the service's real env: DATABASE_URL points at the stack's own PostgreSQL."""

from __future__ import annotations

import os

import pytest

from shop.app import create_app


@pytest.fixture(scope="session")
def app():
    if "DATABASE_URL" not in os.environ:
        pytest.exit(
            "DATABASE_URL is not set: run the tests with `devenv test -s web -- python3 -m pytest -q`", 2
        )
    return create_app()


@pytest.fixture
def client(app):
    return app.test_client()
