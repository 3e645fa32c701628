"""The SMTP side: aiosmtpd (Debian's python3-aiosmtpd) in its own thread, every message it
accepts stored as received."""

from __future__ import annotations

import logging
from typing import Any

from aiosmtpd.controller import Controller

from notify.store import Store

log = logging.getLogger(__name__)


class StoreHandler:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8")
        message_id = self.store.add(envelope.mail_from, list(envelope.rcpt_tos), raw)
        log.info("message %d from %s to %s", message_id, envelope.mail_from, ", ".join(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def start_smtp(store: Store, port: int, max_bytes: int) -> Controller:
    # server_hostname: the name it greets with; ready_timeout: a slow first start is not a failure.
    controller = Controller(
        StoreHandler(store),
        hostname="0.0.0.0",
        port=port,
        server_hostname="mail",
        data_size_limit=max_bytes,
        ready_timeout=30,
    )
    controller.start()
    return controller
