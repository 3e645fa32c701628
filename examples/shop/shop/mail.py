"""Order confirmations, sent over SMTP to the team's e-mail service (notify): in production and
in dev alike it answers as `mail` on port 25 (MAIL_HOST, MAIL_PORT)."""

from __future__ import annotations

import os
import smtplib
from email.message import EmailMessage


def send_confirmation(order: dict[str, object], currency: str) -> None:
    """Hand the confirmation to notify; raises OSError (smtplib's errors among them) when it
    cannot be handed over."""
    message = EmailMessage()
    message["From"] = os.environ.get("MAIL_FROM", "orders@shop.example.com")
    message["To"] = str(order["email"])
    message["Subject"] = f"Your order {order['id']}: {order['product']}"
    message.set_content(
        f"Thank you for your order.\n\n"
        f"{order['quantity']} × {order['product']}: {order['total']:.2f} {currency}\n"
    )
    host, port = os.environ.get("MAIL_HOST", "mail"), int(os.environ.get("MAIL_PORT", "25"))
    with smtplib.SMTP(host, port, timeout=10) as smtp:
        smtp.send_message(message)
