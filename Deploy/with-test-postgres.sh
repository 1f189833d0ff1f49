#!/usr/bin/env bash
# Runs a command against a throw-away PostgreSQL: initialised in a temporary folder, listening on
# loopback on a free port, stopped and deleted afterwards. The command sees DATABASE_URL (a superuser
# of that server), REDRESS_KEYS (a throw-away key), REDRESS_TEST_SERVER=1, the commands that stop
# and start that server again for tests that take the database away (REDRESS_TEST_PG_STOP,
# REDRESS_TEST_PG_START: words separated by the unit separator, \x1f), and the real receivers of
# Deploy/test-receivers.sh (REDRESS_TEST_WEBHOOK_RECEIVER, REDRESS_TEST_SMTP_URL, REDRESS_TEST_MAILBOX,
# REDRESS_TEST_CA_FILE). With REDRESS_TEST_STANDBY=1 a streaming standby of that server
# runs beside it (pg_basebackup, hot standby) at REDRESS_TEST_STANDBY_URL (the same superuser).
# Its exit status is this script's.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/ensure-postgres.sh"

bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
folder="$(mktemp -d /tmp/redress-test-pg.XXXXXX)"
chmod 711 "$folder"
run_as=()
if [ "$(id -u)" = 0 ]; then
    # PostgreSQL refuses to run as root.
    chown postgres: "$folder"
    run_as=(setpriv --reuid=postgres --regid=postgres --clear-groups --)
fi
password="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

stop() {
    for pid in "$folder"/receivers/*.pid; do [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null; done
    [ -d "$folder/standby" ] && "${run_as[@]}" "$bin/pg_ctl" -D "$folder/standby" stop -m fast -w >/dev/null 2>&1 || true
    "${run_as[@]}" "$bin/pg_ctl" -D "$folder/data" stop -m fast -w >/dev/null 2>&1 || true
    rm -rf "$folder"
}
trap stop EXIT

printf '%s\n' "$password" > "$folder/password"
[ "${#run_as[@]}" -gt 0 ] && chown postgres: "$folder/password"
"${run_as[@]}" "$bin/initdb" -D "$folder/data" -U redress_test --pwfile="$folder/password" \
    -A scram-sha-256 -E UTF8 --locale=C --no-instructions >/dev/null
rm -f "$folder/password"
options="-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=300 -c fsync=off -c full_page_writes=off"
start=("${run_as[@]}" "$bin/pg_ctl" -D "$folder/data" -l "$folder/postgresql.log" -w -t 60 start -o "$options")
"${start[@]}" >/dev/null
join() { local IFS=$'\x1f'; echo "$*"; }
export REDRESS_TEST_PG_START="$(join "${start[@]}")"
export REDRESS_TEST_PG_STOP="$(join "${run_as[@]}" "$bin/pg_ctl" -D "$folder/data" stop -m fast -w)"

export DATABASE_URL="postgres://redress_test:$password@127.0.0.1:$port/postgres?sslmode=disable"
# The service's keys live outside the database (Docs/operations.md): one throw-away key here.
export REDRESS_KEYS="test $(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
if [ "${REDRESS_TEST_STANDBY:-0}" = 1 ]; then
    # initdb's pg_hba.conf already lets the superuser replicate over loopback.
    standby_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    "${run_as[@]}" env PGPASSWORD="$password" "$bin/pg_basebackup" -h 127.0.0.1 -p "$port" -U redress_test \
        -D "$folder/standby" -R -X stream -c fast >/dev/null
    "${run_as[@]}" "$bin/pg_ctl" -D "$folder/standby" -l "$folder/standby.log" -w -t 60 start \
        -o "-p $standby_port -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c hot_standby=on -c max_connections=300" >/dev/null
    export REDRESS_TEST_STANDBY_URL="postgres://redress_test:$password@127.0.0.1:$standby_port/postgres?sslmode=disable"
    echo "test standby on 127.0.0.1:$standby_port, streaming from $port" >&2
fi
# The real receivers mails and webhooks are sent to (Deploy/test-receivers.sh).
eval "$("$here/test-receivers.sh" "$folder/receivers")"
export REDRESS_TEST_SERVER=1
echo "test PostgreSQL on 127.0.0.1:$port ($folder)" >&2
set +e
"$@"
status=$?
set -e
exit $status
