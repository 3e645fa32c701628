#!/usr/bin/env bash
# The 5-minute quick start on a fresh machine: install, start an engine and a registry, build
# the team's base image from committed sources, and bring up examples/hello.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
eval "$(bash scripts/engine-up.sh)"
upstream=$(bash scripts/busybox-base.sh "$DEVENV_TEST_REGISTRY")
devenv --project-dir examples/hello images build base --build-arg "BASE_IMAGE=$upstream"
devenv --project-dir examples/hello images push base
devenv --project-dir examples/hello lock
devenv --project-dir examples/hello up -d
echo
echo "examples/hello is up: curl $(devenv --project-dir examples/hello status --json | python3 -c \
  'import json,sys; print(json.load(sys.stdin)["services"][0]["urls"][0])')"
echo "export DOCKER_HOST=$DOCKER_HOST   # to use devenv in this shell"
