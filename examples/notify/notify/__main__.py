"""`python3 -m notify`: SMTP on SMTP_PORT, the API on HTTP_PORT, messages in MAIL_DB.

Configured only by the environment, as production configures it (deploy/k8s/)."""

import logging
import os
import signal
from pathlib import Path
from types import FrameType
from typing import Optional

from notify.api import Api
from notify.smtp import start_smtp
from notify.store import Store


def main() -> None:
    level = os.environ.get("LOG_LEVEL", "info").upper()
    logging.basicConfig(level=level, format="%(levelname)s %(message)s")
    if level != "DEBUG":  # aiosmtpd logs every connection's steps at info
        logging.getLogger("mail.log").setLevel(logging.WARNING)
    store = Store(Path(os.environ.get("MAIL_DB", "/var/lib/notify/mail.sqlite3")))
    smtp_port = int(os.environ.get("SMTP_PORT", "25"))
    smtp = start_smtp(store, smtp_port, int(os.environ.get("MAX_MESSAGE_BYTES", "1048576")))
    api = Api(int(os.environ.get("HTTP_PORT", "8025")), store)

    def stop(signum: int, frame: Optional[FrameType]) -> None:
        raise SystemExit(0)  # PID 1 in its container: SIGTERM does nothing unless handled

    signal.signal(signal.SIGTERM, stop)
    logging.info("notify: SMTP on port %d, the API on port %d", smtp_port, api.server_port)
    try:
        api.serve_forever()
    finally:
        smtp.stop()
        api.server_close()


if __name__ == "__main__":
    main()
