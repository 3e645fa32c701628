#!/usr/bin/env bash
# Run the whole test suite against a real Docker engine and registry (started if not running).
# Usage: bash scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."
eval "$(bash scripts/engine-up.sh)"
exec python3 -m pytest -p no:cacheprovider "$@"
