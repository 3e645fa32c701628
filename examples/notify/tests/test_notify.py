"""notify against itself, running: SMTP in, the message stored in SQLite, listed over HTTP."""

from __future__ import annotations

import os
import smtplib
import sqlite3
import urllib.error

import pytest
from conftest import api, send


def test_health() -> None:
    assert api("/health") == {"status": "ok"}


def test_a_message_sent_over_smtp_is_listed_by_the_api(address: str) -> None:
    send([address], "Your order", "Thank you for your order.\n")
    [listed] = api(f"/messages?to={address}")
    assert listed["to"] == [address] and listed["from"] == "shop@example.com"
    assert listed["subject"] == "Your order"
    assert listed["body"] == "Thank you for your order.\n"
    assert api(f"/messages/{listed['id']}") == listed
    assert listed in api("/messages")


def test_every_envelope_recipient_is_kept_and_found(address: str) -> None:
    other = "second-" + address
    send([address, other], "Two", "x\n")
    assert [m["to"] for m in api(f"/messages?to={other}")] == [[address, other]]


def test_messages_are_stored_in_the_sqlite_file_on_the_volume(address: str) -> None:
    send([address], "Stored", "on disk\n")
    with sqlite3.connect(os.environ["MAIL_DB"]) as conn:
        rows = conn.execute("SELECT subject FROM messages WHERE rcpt_to = ?", (address,)).fetchall()
    assert rows == [("Stored",)]


def test_a_message_over_the_size_limit_is_refused(address: str) -> None:
    with pytest.raises(smtplib.SMTPException):
        send([address], "Too big", "x" * (int(os.environ["MAX_MESSAGE_BYTES"]) + 1))
    assert api(f"/messages?to={address}") == []


def test_unknown_paths_and_messages_are_404() -> None:
    for path in ("/nothing", "/messages/999999999"):
        with pytest.raises(urllib.error.HTTPError) as err:
            api(path)
        assert err.value.code == 404
