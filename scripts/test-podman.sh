#!/usr/bin/env bash
# Run the Podman part of the suite (tests marked `podman`) against Podman's Docker-compatible
# service: the registry of scripts/engine-up.sh, the Podman service of scripts/podman-up.sh
# (both started if not running; stopped by their -down scripts, as CI does).
# Usage: bash scripts/test-podman.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh --test   # what only the tests need (Podman, Chromium, shells, …); nothing twice
# devenv's own Python: the venv install.sh made where Debian's python3 is externally managed.
py=python3
[[ -x /opt/devenv/bin/python3 ]] && py=/opt/devenv/bin/python3
eval "$(bash scripts/engine-up.sh)"   # the registry (Docker's engine is not used here)
eval "$(bash scripts/podman-up.sh)"   # DOCKER_HOST: Podman's socket
export DEVENV_TEST_ENGINE=podman      # the tests fail unless DOCKER_HOST really is Podman
exec "$py" -m pytest -p no:cacheprovider -m podman "$@"
