#!/bin/sh
# Start Redis like the official image: flags alone (or a .conf) are redis-server's; as root, own
# /data and drop to the `redis` user; exec, so the stop signal reaches redis-server itself.
# REDIS_PASSWORD, when set, is required of clients; it reaches redis-server on its standard
# input (never its command line, where `ps` would show it).
set -eu

if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
    set -- redis-server "$@"
fi

if [ "$1" = redis-server ] && [ "$(id -u)" = 0 ]; then
    chown redis:redis /data  # only the top: a large data set is not re-owned file by file
    exec setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi

if [ "$1" = redis-server ]; then
    if [ -n "${REDIS_PASSWORD:-}" ]; then
        # A quoted config string: backslashes and double quotes escaped.
        quoted=$(printf '%s' "$REDIS_PASSWORD" | sed 's/\\/\\\\/g; s/"/\\"/g')
        exec "$@" - <<CONF
requirepass "$quoted"
CONF
    fi
    # No password: clients from other containers are welcome (Redis refuses them otherwise).
    exec "$@" --protected-mode no
fi

exec "$@"
