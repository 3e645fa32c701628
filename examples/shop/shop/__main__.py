"""`python3 -m shop`: the development server (production runs gunicorn: deploy/k8s/)."""

import os

from shop.app import create_app

if __name__ == "__main__":
    port = int(os.environ.get("PORT", "8000"))
    create_app().run(host="0.0.0.0", port=port, threaded=True)
