"""notify's tests run inside the `mail` container (`devenv test -s mail -- python3 -m pytest -q`),
against the running service, with the service's real env."""

from __future__ import annotations

import json
import os
import smtplib
import urllib.request
import uuid
from email.message import EmailMessage
from typing import Any

import pytest


@pytest.fixture(scope="session", autouse=True)
def _in_the_service() -> None:
    if "MAIL_DB" not in os.environ:
        pytest.exit("MAIL_DB is not set: run the tests with `devenv test -s mail -- python3 -m pytest -q`", 2)


def api(path: str) -> Any:
    url = f"http://127.0.0.1:{os.environ['HTTP_PORT']}{path}"
    with urllib.request.urlopen(url, timeout=5) as answer:
        return json.load(answer)


def send(to: list[str], subject: str, body: str, sender: str = "shop@example.com") -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = sender, ", ".join(to), subject
    message.set_content(body)
    with smtplib.SMTP("127.0.0.1", int(os.environ["SMTP_PORT"]), timeout=5) as smtp:
        smtp.send_message(message)


@pytest.fixture
def address() -> str:
    """A recipient no other test writes to."""
    return f"{uuid.uuid4().hex[:12]}@example.com"
