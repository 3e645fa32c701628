"""The messages, in one SQLite file (on the service's volume): written by the SMTP handler's
thread, read by the API's threads; a connection per call keeps the threads apart."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Optional

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    mail_from   TEXT NOT NULL,
    rcpt_to     TEXT NOT NULL,      -- the envelope's recipients, one per line
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,      -- the text/plain part
    raw         BLOB NOT NULL       -- the message as received
);
"""


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
            conn.executescript(SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, timeout=10)
        conn.row_factory = sqlite3.Row
        try:
            with conn:  # one transaction: committed at the end, rolled back on error
                yield conn
        finally:
            conn.close()

    def add(self, mail_from: str, rcpt_to: list[str], raw: bytes) -> int:
        message = message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self._connect() as conn:
            cursor = conn.execute(
                "INSERT INTO messages (mail_from, rcpt_to, subject, body, raw) VALUES (?, ?, ?, ?, ?)",
                (mail_from, "\n".join(rcpt_to), str(message.get("Subject", "")), text_of(message), raw),
            )
            return int(cursor.lastrowid or 0)

    def messages(self, to: Optional[str] = None) -> list[dict[str, Any]]:
        with self._connect() as conn:
            rows = conn.execute("SELECT * FROM messages ORDER BY id").fetchall()
        found = [public(row) for row in rows]
        if to is not None:
            found = [m for m in found if to.lower() in (r.lower() for r in m["to"])]
        return found

    def message(self, message_id: int) -> Optional[dict[str, Any]]:
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM messages WHERE id = ?", (message_id,)).fetchone()
        return None if row is None else public(row)

    def ping(self) -> None:
        with self._connect() as conn:
            conn.execute("SELECT count(*) FROM messages").fetchone()


def public(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "received_at": row["received_at"],
        "from": row["mail_from"],
        "to": row["rcpt_to"].split("\n"),
        "subject": row["subject"],
        "body": row["body"],
    }


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    if part is None:
        return ""
    content = part.get_content()
    # SMTP carries lines ending in CRLF: the text is given back with the lines it was written with.
    return content.replace("\r\n", "\n") if isinstance(content, str) else ""
