#!/usr/bin/env bash
# Starts a throwaway PostgreSQL on loopback for the state-store contract suite and prints the URL
# to export as CRMSYNC_TEST_PG_URL. Idempotent: installs, initialises, starts, and creates the
# role and database only when each is missing, so it can run before every test session.
set -euo pipefail

PORT="${CRMSYNC_PG_PORT:-55432}"
DATA="${CRMSYNC_PG_DATA:-/tmp/crmsync-pg}"
SOCKET_DIR=/tmp
ROLE=crmsync
PASSWORD=crmsync
DB=crmsync_test

pg_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

if [ -z "$(pg_bin)" ]; then
    # Debian 12 ships PostgreSQL 15; the server binaries land in /usr/lib/postgresql/15/bin.
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
BIN="$(pg_bin)"

# initdb and the server refuse to run as root: run them as the postgres user when we are root.
as_pg() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

if [ ! -s "$DATA/PG_VERSION" ]; then
    mkdir -p "$DATA"
    [ "$(id -u)" = 0 ] && chown postgres: "$DATA"
    as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        --encoding=UTF8 --no-sync >&2
fi

if ! as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w \
        -o "-p $PORT -k $SOCKET_DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >&2
fi

psql_admin() {
    as_pg "$BIN/psql" -h "$SOCKET_DIR" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtAc "$1"
}

if [ -z "$(psql_admin "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" ]; then
    psql_admin "CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD'"
fi
if [ -z "$(psql_admin "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ]; then
    psql_admin "CREATE DATABASE $DB OWNER $ROLE"
fi

echo "postgresql+psycopg://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB"
