#!/usr/bin/env bash
# Run the Podman part of the suite (tests marked `podman`) against Podman's Docker-compatible
# service: the registry of scripts/engine-up.sh, the Podman service of scripts/podman-up.sh
# (both started if not running; stopped by their -down scripts, as CI does).
# Usage: bash scripts/test-podman.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/engine-up.sh)"   # the registry (Docker's engine is not used here)
eval "$(bash scripts/podman-up.sh)"   # DOCKER_HOST: Podman's socket
export DEVENV_TEST_ENGINE=podman      # the tests fail unless DOCKER_HOST really is Podman
exec python3 -m pytest -p no:cacheprovider -m podman "$@"
