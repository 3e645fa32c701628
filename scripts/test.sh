#!/usr/bin/env bash
# Run the whole test suite against a real Docker engine and registry (started if not running).
# Usage: bash scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test   # what only the tests need (Podman, Chromium, shells, …); nothing twice
# devenv's own Python: the venv install.sh made where Debian's python3 is externally managed.
py=python3
[[ -x /opt/devenv/bin/python3 ]] && py=/opt/devenv/bin/python3
eval "$(bash scripts/engine-up.sh)"
exec "$py" -m pytest -p no:cacheprovider "$@"
