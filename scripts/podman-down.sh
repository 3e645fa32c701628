#!/usr/bin/env bash
# Stop the Podman service that podman-up.sh started (by its pidfile only), after removing what
# is left in its private storage ($ROOT: nothing outside it is touched). Idempotent.
set -euo pipefail

ROOT=${DEVENV_PODMAN_ROOT:-/tmp/devenv-podman}
log() { echo "podman-down: $*" >&2; }
pidfile=$ROOT/podman.pid
[[ -f $pidfile ]] || { log "no $pidfile"; exit 0; }
pid=$(<"$pidfile")
if [[ $(cat "/proc/$pid/comm" 2>/dev/null) != podman ]]; then
  log "podman (pid $pid) is not running"
  rm -f "$pidfile" "$ROOT/podman.sock"; exit 0
fi

# Containers, pods and networks of this service's own storage (volumes and images stay, as
# engine-down.sh keeps dockerd's data root: the next podman-up.sh reuses them).
private() {
  CONTAINERS_CONF=$ROOT/containers.conf TMPDIR=$ROOT/tmp \
    podman --root "$ROOT/storage" --runroot "$ROOT/runroot" --storage-driver overlay "$@"
}
private rm --all --force --time 2 >/dev/null 2>&1 || log "could not remove every container"
private network prune --force >/dev/null 2>&1 || true

log "stopping podman (pid $pid)"
kill -TERM "$pid"
for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
  log "podman (pid $pid) ignored TERM for 30 s; sending KILL"
  kill -KILL "$pid"
fi
rm -f "$pidfile" "$ROOT/podman.sock"
