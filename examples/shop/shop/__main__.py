"""`python3 -m shop`: the development server (production runs gunicorn: deploy/base/)."""

import logging
import os

from shop.app import create_app


class _NoHealthChecks(logging.Filter):
    """The health check asks every second; its request lines would drown the ones that matter."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "GET /health " not in record.getMessage()


if __name__ == "__main__":
    logging.getLogger("werkzeug").addFilter(_NoHealthChecks())
    port = int(os.environ.get("PORT", "8000"))
    create_app().run(host="0.0.0.0", port=port, threaded=True)
