#!/usr/bin/env bash
# Start a throwaway PostgreSQL on 127.0.0.1 for the diary tests and print its DATABASE_URL last.
#   DATABASE_URL=$(.ci/postgres.sh | tail -n 1)
# Installs the Debian "postgresql" package when no server binaries are found. The cluster lives in a
# fresh folder under /tmp; stop it with the pg_ctl line this script prints on stderr.
set -euo pipefail

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

BIN=$(find_bin)
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
    echo "installing PostgreSQL from Debian packages..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends postgresql >&2
    BIN=$(find_bin)
fi

DIR=$(mktemp -d /tmp/haru-pg.XXXXXX)
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PASSWORD=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
echo "$PASSWORD" > "$DIR/pwfile"

# The server refuses to run as root: run it as the postgres user when we are root.
as_owner() {
    if [ "$(id -u)" = 0 ]; then
        su postgres -s /bin/sh -c "$*"
    else
        sh -c "$*"
    fi
}
if [ "$(id -u)" = 0 ]; then
    chown -R postgres:postgres "$DIR"
fi
chmod 700 "$DIR"

as_owner "'$BIN/initdb' -D '$DIR/data' -U haru --pwfile='$DIR/pwfile' --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8" >&2
rm -f "$DIR/pwfile"
as_owner "'$BIN/pg_ctl' -D '$DIR/data' -l '$DIR/server.log' -w -t 60 start \
    -o \"-c listen_addresses=127.0.0.1 -p $PORT -k '$DIR' -c max_connections=200\"" >&2
PGPASSWORD="$PASSWORD" "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U haru haru >&2

echo "PostgreSQL running; stop it with: su postgres -s /bin/sh -c \"'$BIN/pg_ctl' -D '$DIR/data' stop\"" >&2
echo "postgresql+psycopg://haru:$PASSWORD@127.0.0.1:$PORT/haru"
