#!/usr/bin/env bash
# `make soak`: the release service under Reliability/soak.py's mixed load for SOAK_MINUTES (default 30)
# on a throw-away PostgreSQL with the demo world. SOAK_RECORD=1 writes the figures into Docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${SOAK_SKIP_BUILD:-0}" = 1 ] || swift build -c release --product redress
exec Deploy/with-test-postgres.sh bash -c '
    set -euo pipefail
    export REDRESS_BCRYPT_COST=10 REDRESS_LOG_LEVEL=warning SOAK_REDRESS="$PWD/.build/release/redress"
    export SOAK_PORT="$(python3 -c "import socket; s=socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])")"
    export SOAK_PSQL="psql"$'"'"'\x1f'"'"'"$DATABASE_URL"$'"'"'\x1f'"'"'-qAt"
    "$SOAK_REDRESS" migrate >/dev/null
    "$SOAK_REDRESS" demo load >/dev/null
    set +e
    python3 Reliability/soak.py
    status=$?
    set -e
    if [ "${SOAK_RECORD:-0}" = 1 ]; then
        python3 - <<"PY" | python3 Reliability/record.py soak
import json
f = json.load(open(".build/soak/summary.json"))
print(f"Last run: {f[\"minutes\"]} minutes at {f[\"rate\"]} req/s (target {f[\"rate_target\"]}), {f[\"requests\"]} requests, "
      f"statuses {f[\"statuses\"]}; {f[\"server_errors\"]} 5xx. Resident memory {f[\"rss_after_warmup_mib\"]} MiB after warm-up, "
      f"peak {f[\"rss_peak_mib\"]} MiB afterwards ({f[\"rss_growth_percent\"]} %). Request-role database connections "
      f"{f[\"db_connections_min\"]}–{f[\"db_connections_max\"]}. Exit code {f[\"exit_code\"]}; audit verify exit {f[\"audit_verify_exit\"]} "
      f"({f[\"audit_verify\"]}). Failures: {len(f[\"failures\"])} {f[\"failures\"] or \"\"}")
PY
    fi
    exit $status
'
