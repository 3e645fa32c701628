#!/bin/sh
# Ask the devenv supervisor to restart the service's process, and wait until it has.
#   restart.sh [TIMEOUT]                  send the supervisor SIGHUP, wait for the new process
#   restart.sh TIMEOUT SHIM_PID:GEN       the SIGHUP was sent already (through the engine, after
#                                         generation GEN of supervisor SHIM_PID): only wait
# Prints "<state> <generation> <pid> <code> <shim pid>". Exit 0 when a new process is running,
# 1 if it already exited, 2 if there is no supervisor.
status_file=${DEVENV_STATUS:-/tmp/.devenv-supervise}
timeout_s=${1:-10}

read -r spid gen _state _pid _code < "$status_file" 2>/dev/null || {
    echo "devenv-restart: no supervisor status in $status_file" >&2
    exit 2
}
if [ -n "$2" ]; then
    # A supervisor that is not the one the SIGHUP was meant for (the container restarted) has
    # started its process anew: any generation of it counts.
    if [ "$spid" = "${2%%:*}" ]; then gen=${2#*:}; else gen=; fi
else
    kill -HUP "$spid" || exit 2
fi
tries=$((timeout_s * 50))
while [ "$tries" -gt 0 ]; do
    if read -r nspid ngen state _pid code < "$status_file" 2>/dev/null && [ "$ngen" != "$gen" ] && [ "$state" != stopping ]; then
        echo "$state $ngen $_pid $code $nspid"
        [ "$state" = running ] && exit 0
        exit 1
    fi
    sleep 0.02 2>/dev/null || sleep 1
    tries=$((tries - 1))
done
echo "devenv-restart: supervisor did not restart within ${timeout_s}s" >&2
exit 2
