#!/bin/sh
# Ask the devenv supervisor to restart the service's process, and wait until it has.
# Exit 0 when a new process is running, 1 if it already exited, 2 if there is no supervisor.
status_file=${DEVENV_STATUS:-/tmp/.devenv-supervise}
timeout_s=${1:-10}

read -r spid gen _state _pid _code < "$status_file" 2>/dev/null || {
    echo "devenv-restart: no supervisor status in $status_file" >&2
    exit 2
}
kill -HUP "$spid" || exit 2
tries=$((timeout_s * 50))
while [ "$tries" -gt 0 ]; do
    if read -r _spid ngen state _pid code < "$status_file" 2>/dev/null && [ "$ngen" != "$gen" ]; then
        echo "$state $ngen $_pid $code"
        [ "$state" = running ] && exit 0
        exit 1
    fi
    sleep 0.02 2>/dev/null || sleep 1
    tries=$((tries - 1))
done
echo "devenv-restart: supervisor did not restart within ${timeout_s}s" >&2
exit 2
