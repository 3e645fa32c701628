#!/bin/sh
# Ask the devenv supervisor to restart the service's process, and wait until it has.
#   restart.sh [TIMEOUT]                  send the supervisor SIGHUP, wait for the new process
#   restart.sh TIMEOUT SHIM_PID:GEN       the SIGHUP was sent already (through the engine, after
#                                         generation GEN of supervisor SHIM_PID): only wait
# Prints "<state> <generation> <pid> <code> <shim pid>". Exit 0 when a new process is running,
# 1 if it exited at once (within $at_once s of its start), 2 if there is no supervisor.
status_file=${DEVENV_STATUS:-/tmp/.devenv-supervise}
timeout_s=${1:-10}
# The supervisor says "running" right after its fork: a process that fails on start (a syntax
# error, a missing module) is still running then. Look again this much later (the same value as
# AT_ONCE_S in devenv/watch/actions.py). Not POSIX: a busybox without fractions waits 1 s.
at_once=0.05

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
        if [ "$state" = running ]; then
            sleep "$at_once" 2>/dev/null || sleep 1
            if read -r xspid xgen xstate xpid xcode < "$status_file" 2>/dev/null \
                && [ "$xspid" = "$nspid" ] && [ "$xgen" = "$ngen" ] && [ "$xstate" = exited ]; then
                echo "$xstate $xgen $xpid $xcode $xspid"
                exit 1
            fi
            echo "$state $ngen $_pid $code $nspid"
            exit 0
        fi
        echo "$state $ngen $_pid $code $nspid"
        exit 1
    fi
    sleep 0.02 2>/dev/null || sleep 1
    tries=$((tries - 1))
done
echo "devenv-restart: supervisor did not restart within ${timeout_s}s" >&2
exit 2
