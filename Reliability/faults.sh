#!/usr/bin/env bash
# `make faults`: a PostgreSQL of its own (so that it can be stopped), the demo world, and
# Reliability/faults.py driving the real service through SIGKILLs, a database restart and a SIGTERM.
# FAULTS_RECORD=1 writes the figures into Docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/.."
Deploy/ensure-postgres.sh
[ "${FAULTS_SKIP_BUILD:-0}" = 1 ] || swift build --product redress
redress="$PWD/.build/debug/redress"
pgbin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
work="$(mktemp -d /tmp/redress-faults.XXXXXX)"
chmod 711 "$work"
run_as=()
if [ "$(id -u)" = 0 ]; then
    chown postgres: "$work"
    run_as=(setpriv --reuid=postgres --regid=postgres --clear-groups --)
fi
cleanup() {
    "${run_as[@]}" "$pgbin/pg_ctl" -D "$work/data" stop -m immediate -w >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pgport="$(free_port)"
password="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
printf '%s\n' "$password" > "$work/password"
[ "${#run_as[@]}" -gt 0 ] && chown postgres: "$work/password"
"${run_as[@]}" "$pgbin/initdb" -D "$work/data" -U redress_faults --pwfile="$work/password" -A scram-sha-256 -E UTF8 --locale=C \
    --no-instructions >/dev/null
pg_options="-p $pgport -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200"
"${run_as[@]}" "$pgbin/pg_ctl" -D "$work/data" -l "$work/postgresql.log" -w -t 60 start -o "$pg_options" >/dev/null
export DATABASE_URL="postgres://redress_faults:$password@127.0.0.1:$pgport/postgres?sslmode=disable"
export PGPASSWORD="$password" REDRESS_BCRYPT_COST=10 REDRESS_LOG_LEVEL="${REDRESS_LOG_LEVEL:-notice}"
"$redress" migrate >/dev/null
"$redress" demo load >/dev/null

# The commands faults.py runs, fields separated by the unit separator.
join() { local IFS=$'\x1f'; echo "$*"; }
export FAULTS_REDRESS="$redress" FAULTS_PORT="$(free_port)"
export FAULTS_PG_STOP="$(join "${run_as[@]}" "$pgbin/pg_ctl" -D "$work/data" stop -m fast -w)"
export FAULTS_PG_START="$(join "${run_as[@]}" "$pgbin/pg_ctl" -D "$work/data" -l "$work/postgresql.log" -w -t 60 start -o "$pg_options")"
export FAULTS_PSQL="$(join psql -h 127.0.0.1 -p "$pgport" -U redress_faults -d postgres -qAt -v ON_ERROR_STOP=1)"
set +e
python3 Reliability/faults.py
status=$?
set -e
if [ "${FAULTS_RECORD:-0}" = 1 ]; then
    python3 - <<'PY' | python3 Reliability/record.py faults
import json
f = json.load(open(".build/faults/summary.json"))
print(f"Last run: {len(f['failures'])} failures.\n")
print(f"- **SIGKILL under load**: {f['kills']} kills at random moments while 8 clients filed 500 complaints "
      f"({f['filing_attempts']} attempts with retries); {f['filings_acknowledged']} acknowledged, {f['stored']} stored, "
      f"{f['duplicates']} duplicates, {f['without_audit']} without their audit event; the slowest restart to `/ready` took "
      f"{f['restart_seconds_max']} s.")
print(f"- **PostgreSQL stopped for 3 s**: {f['outage_requests']} requests answered during the outage ({f['outage_load_requests']} of them "
      f"from the load, some already waiting for a connection when it began), all {', '.join(f['outage_statuses'])} "
      f"(the slowest in {f['outage_slowest_answer']} s); "
      f"`/ready` answered {f['ready_during_outage']}; the first success came {f['recovery_seconds']} s after PostgreSQL accepted "
      f"connections again, from the same process.")
print(f"- **SIGTERM with {f['slow_requests']} slow uploads in flight**: {f['slow_completed']} completed with 201; the process "
      f"exited with {f['exit_code']} after {f['exit_seconds']} s.")
print(f"- **audit verify** afterwards: exit {f['audit_verify_exit']} ({f['audit_verify']}).")
for failure in f["failures"]:
    print(f"- FAILED: {failure}")
PY
fi
exit $status
