#!/usr/bin/env bash
# Start a private Docker engine and a local registry for development and tests.
# Idempotent: anything already answering is left alone.
# Usage:  eval "$(bash scripts/engine-up.sh)"      (REGISTRY_AUTH=1 for htpasswd auth)
# Only the two `export` lines go to stdout; everything else goes to stderr.
# --env: only print them (where the engine and registry will answer), start nothing.
set -euo pipefail

ROOT=${DEVENV_ENGINE_ROOT:-/tmp/devenv-engine}
SOCK=unix://$ROOT/docker.sock
REG_ADDR=${DEVENV_REGISTRY_ADDR:-127.0.0.1:5555}
REG_USER=${REGISTRY_USER:-devenv}
REG_PASS=${REGISTRY_PASS:-devenv}
exports() { echo "export DOCKER_HOST=$SOCK"; echo "export DEVENV_TEST_REGISTRY=$REG_ADDR"; }
[[ ${1:-} == --env ]] && { exports; exit 0; }
mkdir -p "$ROOT/registry"
log() { echo "engine-up: $*" >&2; }

engine_ok() { DOCKER_HOST=$SOCK docker info >/dev/null 2>&1; }
registry_ok() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://$REG_ADDR/v2/" || true)
  [[ $code == 200 || $code == 401 ]]
}
wait_for() {  # wait_for <check-fn> <what> <pid>: at most 60 s, fails early if pid exits
  local i
  for ((i = 0; i < 600; i++)); do
    "$1" && return 0
    kill -0 "$3" 2>/dev/null || { log "$2 exited during start-up"; return 1; }
    sleep 0.1
  done
  log "$2 did not answer within 60 s"; return 1
}

if engine_ok; then
  log "docker engine already answering on $SOCK"
else
  log "starting dockerd ($ROOT/dockerd.log)"
  dockerd --host "$SOCK" --data-root "$ROOT/root" --exec-root "$ROOT/exec" \
    --pidfile "$ROOT/docker.pid" >"$ROOT/dockerd.log" 2>&1 &
  wait_for engine_ok dockerd $! || { tail -20 "$ROOT/dockerd.log" >&2; exit 1; }
fi

if registry_ok; then
  log "registry already answering on $REG_ADDR"
else
  auth=""
  if [[ ${REGISTRY_AUTH:-0} == 1 ]]; then
    htpasswd -Bbn "$REG_USER" "$REG_PASS" >"$ROOT/htpasswd"
    auth=$'auth:\n  htpasswd:\n    realm: devenv-test\n    path: '"$ROOT/htpasswd"
  fi
  cat >"$ROOT/registry.yml" <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $ROOT/registry
  delete:
    enabled: true
http:
  addr: $REG_ADDR
$auth
YML
  log "starting registry on $REG_ADDR (auth=${REGISTRY_AUTH:-0}, $ROOT/registry.log)"
  # The registry reads REGISTRY_* variables as config overrides: keep ours out of its environment.
  env -u REGISTRY_AUTH -u REGISTRY_USER -u REGISTRY_PASS \
    docker-registry serve "$ROOT/registry.yml" >"$ROOT/registry.log" 2>&1 &
  echo $! >"$ROOT/registry.pid"
  wait_for registry_ok registry $! || { tail -20 "$ROOT/registry.log" >&2; exit 1; }
fi

exports
