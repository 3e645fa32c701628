#!/bin/sh
# Start PostgreSQL like the official image: on an empty $PGDATA, create the cluster with
# POSTGRES_USER (default postgres) / POSTGRES_PASSWORD and the database POSTGRES_DB (default:
# the user's name), run /docker-entrypoint-initdb.d/*.sql|*.sh, then exec postgres as PID 1's
# child so the stop signal reaches it. The cluster is made in a sibling folder and renamed into
# place when complete, so a start interrupted half-way never leaves a broken cluster behind.
set -eu

log() { echo "postgres-entrypoint: $*" >&2; }

if [ "${1#-}" != "$1" ]; then
    set -- postgres "$@"  # only flags: they are postgres's
fi

if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA" /var/run/postgresql
    # Only the top: a large existing cluster must not be re-owned file by file.
    chown postgres:postgres "$PGDATA" "$(dirname "$PGDATA")" /var/run/postgresql
    chmod 700 "$PGDATA"
    exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi

init_cluster() {  # $1: the folder to create it in
    : "${POSTGRES_USER:=postgres}"
    : "${POSTGRES_DB:=$POSTGRES_USER}"
    auth=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
    if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$auth" != trust ]; then
        log "POSTGRES_PASSWORD is not set: the database would have no password."
        log "Set POSTGRES_PASSWORD (devenv: from your secrets file), or POSTGRES_HOST_AUTH_METHOD=trust to allow all."
        exit 1
    fi
    pwfile=$(mktemp)
    printf '%s\n' "${POSTGRES_PASSWORD:-}" > "$pwfile"
    log "creating the cluster (user $POSTGRES_USER, database $POSTGRES_DB)"
    initdb -D "$1" --username="$POSTGRES_USER" --pwfile="$pwfile" --encoding=UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host="$auth" ${POSTGRES_INITDB_ARGS:-} >/dev/null
    rm -f "$pwfile"
    printf 'host all all all %s\n' "$auth" >> "$1/pg_hba.conf"
    printf "listen_addresses = '*'\n" >> "$1/postgresql.conf"
    # A private server on the socket only: clients (and health checks over TCP) see nothing
    # until the cluster is complete.
    pg_ctl -D "$1" -o "-c listen_addresses='' -p 5432" -w -s start
    if [ "$POSTGRES_DB" != postgres ]; then
        # psql quotes the name itself (:"db"), from stdin: -c does not interpolate variables.
        echo 'CREATE DATABASE :"db";' | psql -v ON_ERROR_STOP=1 -q --username "$POSTGRES_USER" \
            --dbname postgres --set db="$POSTGRES_DB"
    fi
    for f in /docker-entrypoint-initdb.d/*; do
        case $f in
            *.sql) log "running $f"; psql -v ON_ERROR_STOP=1 -q --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -f "$f" ;;
            *.sh) log "running $f"; . "$f" ;;
            *) [ -e "$f" ] && log "ignoring $f" ;;
        esac
    done
    pg_ctl -D "$1" -m fast -w -s stop
}

if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
    if [ -n "$(ls -A "$PGDATA" 2>/dev/null)" ]; then
        log "$PGDATA is not empty but holds no cluster (no PG_VERSION): not touching it."
        log "Point PGDATA (or the volume) at an empty folder, or move its contents away."
        exit 1
    fi
    if mountpoint -q "$PGDATA" 2>/dev/null; then
        init_cluster "$PGDATA"  # a volume mounted right at PGDATA cannot be renamed into
    else
        staging="$PGDATA.init"
        rm -rf "$staging"  # ours: a first start interrupted before its cluster was complete
        init_cluster "$staging"
        rmdir "$PGDATA"
        mv "$staging" "$PGDATA"
    fi
    log "cluster ready"
fi

exec "$@"
