#!/usr/bin/env bash
# Start a private Podman service (its Docker-compatible API) for development and tests, beside
# the Docker engine of scripts/engine-up.sh. Idempotent: a service already answering is left alone.
# Usage:  eval "$(bash scripts/podman-up.sh)"
# Only the `export` line goes to stdout; everything else goes to stderr.
#
# The service keeps everything of its own under $ROOT (storage, run root, network configs, its
# containers.conf), so it never touches the machine's default Podman storage or another engine.
# Rootful here (run as root); rootless Podman is described in docs/engines.md.
set -euo pipefail

ROOT=${DEVENV_PODMAN_ROOT:-/tmp/devenv-podman}
SOCK_PATH=$ROOT/podman.sock
REG_ADDR=${DEVENV_REGISTRY_ADDR:-127.0.0.1:5555}
log() { echo "podman-up: $*" >&2; }

command -v podman >/dev/null || { log "podman is not installed (apt-get install podman catatonit)"; exit 1; }
mkdir -p "$ROOT/storage" "$ROOT/runroot" "$ROOT/networks" "$ROOT/tmp"

# Podman, unlike Docker, does not treat 127.0.0.0/8 as an insecure registry: the local test
# registry speaks plain HTTP, so it is named in a drop-in (read at service start). Kept if present.
dropin=/etc/containers/registries.conf.d/devenv-local.conf
if ! grep -qs "location = \"$REG_ADDR\"" "$dropin"; then
  log "marking $REG_ADDR insecure (plain HTTP) in $dropin"
  install -d "$(dirname "$dropin")"
  cat >>"$dropin" <<CONF
# devenv: the local team registry on $REG_ADDR speaks plain HTTP
# (Podman, unlike Docker, does not treat 127.0.0.0/8 as insecure; restart the Podman service after editing)
[[registry]]
location = "$REG_ADDR"
insecure = true
CONF
fi

# The tests' own registries (tests/integration/registry_helpers.py) listen on 127.0.0.1:5570-5579.
tests_dropin=/etc/containers/registries.conf.d/devenv-test-registries.conf
if [[ ! -f $tests_dropin ]]; then
  log "marking the test registries 127.0.0.1:5570-5579 insecure in $tests_dropin"
  {
    echo "# devenv's integration tests start registries of their own on these ports (plain HTTP)"
    for port in $(seq 5570 5579); do printf '[[registry]]\nlocation = "127.0.0.1:%s"\ninsecure = true\n' "$port"; done
  } >"$tests_dropin"
fi

# The service's own containers.conf: its network configs beside its storage. Nothing here masks
# what devenv must send itself (no default_ulimits: devenv's containers must start without it).
cat >"$ROOT/containers.conf" <<CONF
[engine]
events_logger = "file"
cgroup_manager = "cgroupfs"
[network]
network_config_dir = "$ROOT/networks"
CONF

service_ok() { curl -fs --max-time 2 --unix-socket "$SOCK_PATH" http://d/_ping >/dev/null 2>&1; }

if service_ok; then
  log "podman service already answering on unix://$SOCK_PATH"
else
  old=$(cat "$ROOT/podman.pid" 2>/dev/null || true)
  if [[ -n $old && $(cat "/proc/$old/comm" 2>/dev/null) == podman ]]; then
    log "podman (pid $old) runs but does not answer on $SOCK_PATH: run scripts/podman-down.sh first"
    exit 1
  fi
  rm -f "$SOCK_PATH"
  log "starting podman system service ($ROOT/podman.log)"
  CONTAINERS_CONF=$ROOT/containers.conf TMPDIR=$ROOT/tmp \
    podman --root "$ROOT/storage" --runroot "$ROOT/runroot" --storage-driver overlay \
    system service --time=0 "unix://$SOCK_PATH" >"$ROOT/podman.log" 2>&1 &
  pid=$!  # podman itself (the pidfile is what podman-down.sh stops)
  echo "$pid" >"$ROOT/podman.pid"
  for ((i = 0; i < 600; i++)); do
    service_ok && break
    kill -0 "$pid" 2>/dev/null || { log "podman exited during start-up"; tail -20 "$ROOT/podman.log" >&2; exit 1; }
    sleep 0.1
  done
  service_ok || { log "podman did not answer within 60 s"; tail -20 "$ROOT/podman.log" >&2; exit 1; }
  # As dockerd's socket: the docker group may use it (tests run devenv as an unprivileged user too).
  if getent group docker >/dev/null; then chgrp docker "$SOCK_PATH" && chmod 660 "$SOCK_PATH"; fi
fi

echo "export DOCKER_HOST=unix://$SOCK_PATH"
