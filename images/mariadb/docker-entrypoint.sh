#!/bin/sh
# Start MariaDB like the official image: on an empty data folder, create the system tables, set
# the root password (MARIADB_ROOT_PASSWORD, or MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1), create
# MARIADB_DATABASE and MARIADB_USER / MARIADB_PASSWORD (granted all on that database), run
# /docker-entrypoint-initdb.d/*.sql|*.sh, then exec mariadbd so the stop signal reaches it.
# The MYSQL_* names are read when the MARIADB_* ones are not set.
set -eu

log() { echo "mariadb-entrypoint: $*" >&2; }

if [ "${1#-}" != "$1" ]; then
    set -- mariadbd "$@"  # only flags: they are mariadbd's
fi
case "$1" in mysqld | mariadbd) is_server=1 ;; *) is_server=0 ;; esac

datadir=/var/lib/mysql
if [ "$is_server" = 1 ] && [ "$(id -u)" = 0 ]; then
    mkdir -p "$datadir" /run/mysqld
    chown mysql:mysql "$datadir" /run/mysqld  # only the top: a large data set is not re-owned
    exec setpriv --reuid=mysql --regid=mysql --init-groups "$0" "$@"
fi

# An SQL string literal / identifier: quotes and backslashes escaped.
sql_string() { printf "'%s'" "$(printf '%s' "$1" | sed "s/\\\\/\\\\\\\\/g; s/'/\\\\'/g")"; }
sql() { printf '%s\n' "$1"; }  # not echo: dash's echo reads backslashes as escapes
sql_name() { printf '`%s`' "$(printf '%s' "$1" | sed 's/`/``/g')"; }

init_database() {
    root_password=${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}
    allow_empty=${MARIADB_ALLOW_EMPTY_ROOT_PASSWORD:-${MYSQL_ALLOW_EMPTY_PASSWORD:-}}
    database=${MARIADB_DATABASE:-${MYSQL_DATABASE:-}}
    user=${MARIADB_USER:-${MYSQL_USER:-}}
    password=${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}
    if [ -z "$root_password" ] && [ -z "$allow_empty" ]; then
        log "MARIADB_ROOT_PASSWORD is not set: the database would have a root without a password."
        log "Set MARIADB_ROOT_PASSWORD (devenv: from your secrets file), or MARIADB_ALLOW_EMPTY_ROOT_PASSWORD=1."
        exit 1
    fi
    if [ -n "$user" ] && [ -z "$password" ]; then
        log "MARIADB_USER is set without MARIADB_PASSWORD: set both, or neither."
        exit 1
    fi
    log "creating the system tables${database:+ (database $database)}${user:+, user $user}"
    touch "$datadir/$marker"
    mariadb-install-db --datadir="$datadir" --auth-root-authentication-method=normal \
        --skip-test-db --skip-name-resolve >/dev/null
    # A private server on the socket only: clients (and health checks over TCP) see nothing
    # until the users and database exist.
    "$@" --skip-networking --socket=/run/mysqld/init.sock &
    pid=$!
    tries=0
    until mariadb-admin --socket=/run/mysqld/init.sock -uroot ping --silent >/dev/null 2>&1; do
        tries=$((tries + 1))
        if [ "$tries" -ge 300 ] || ! kill -0 "$pid" 2>/dev/null; then
            log "the server did not start for the first set-up"
            exit 1
        fi
        sleep 0.1
    done
    # root has no password yet; once set, the client sends it from the environment (MYSQL_PWD),
    # never on a command line.
    client() { mariadb --socket=/run/mysqld/init.sock -uroot --protocol=socket "$@"; }
    {
        sql "SET @@SESSION.SQL_LOG_BIN=0;"
        sql "SET @@SESSION.SQL_MODE=REPLACE(@@SESSION.SQL_MODE, 'NO_BACKSLASH_ESCAPES', '');"
        # mariadb-install-db also makes a root without a password for 127.0.0.1, ::1 and this
        # host's name: only root@localhost (and root@% below) are kept.
        sql "DROP USER IF EXISTS ''@'localhost', root@'127.0.0.1', root@'::1';"
        sql "EXECUTE IMMEDIATE CONCAT('DROP USER IF EXISTS root@', QUOTE(@@hostname));"
        if [ -n "$root_password" ]; then
            sql "ALTER USER 'root'@'localhost' IDENTIFIED BY $(sql_string "$root_password");"
            sql "CREATE USER 'root'@'%' IDENTIFIED BY $(sql_string "$root_password");"
            sql "GRANT ALL ON *.* TO 'root'@'%' WITH GRANT OPTION;"
        fi
        if [ -n "$database" ]; then
            sql "CREATE DATABASE IF NOT EXISTS $(sql_name "$database");"
        fi
        if [ -n "$user" ]; then
            sql "CREATE USER $(sql_string "$user")@'%' IDENTIFIED BY $(sql_string "$password");"
            if [ -n "$database" ]; then sql "GRANT ALL ON $(sql_name "$database").* TO $(sql_string "$user")@'%';"; fi
        fi
        sql "FLUSH PRIVILEGES;"
    } | client
    export MYSQL_PWD="$root_password"
    for f in /docker-entrypoint-initdb.d/*; do
        case $f in
            *.sql) log "running $f"; client ${database:+"$database"} < "$f" ;;
            *.sh) log "running $f"; . "$f" ;;
            *) [ -e "$f" ] && log "ignoring $f" ;;
        esac
    done
    unset MYSQL_PWD
    kill -TERM "$pid"
    wait "$pid"
    rm -f "$datadir/$marker"
    log "database ready"
}

# Made at the start of the first set-up, removed at its end: a first start interrupted half-way
# leaves it, and the next start makes the database again instead of running a half-made one.
marker=.devenv-initializing
if [ "$is_server" = 1 ] && [ -e "$datadir/$marker" ]; then
    log "the first set-up was interrupted: making the database again"
    find "$datadir" -mindepth 1 -delete
fi

if [ "$is_server" = 1 ] && [ ! -d "$datadir/mysql" ]; then
    if [ -n "$(ls -A "$datadir" 2>/dev/null)" ]; then
        log "$datadir is not empty but holds no database (no mysql/): not touching it."
        log "Mount an empty volume at $datadir, or move its contents away."
        exit 1
    fi
    init_database "$@"
fi

exec "$@"
