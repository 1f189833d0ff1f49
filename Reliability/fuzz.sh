#!/usr/bin/env bash
# `make fuzz`: the service with the demo world on a private PostgreSQL, fuzzed once per role by
# schemathesis (Reliability/fuzz.py) with every check, FUZZ_EXAMPLES per operation (default 100) and
# a fixed FUZZ_SEED. FUZZ_RECORD=1 writes the figures into Docs/reliability.md. Exits non-zero on any
# failure, or when the service died on the way.
set -euo pipefail
cd "$(dirname "$0")/.."
Deploy/ensure-postgres.sh
Deploy/ensure-zlib.sh
venv=.build/venv-fuzz
if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "schemathesis==4.32.5"
fi
[ "${FUZZ_SKIP_BUILD:-0}" = 1 ] || swift build --product redress
folder="$(mktemp -d /tmp/redress-fuzz.XXXXXX)"
chmod 755 "$folder"  # the private PostgreSQL runs as postgres when we are root
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# The demo's administrators have no second factor; the fuzzer exercises what they may do once enrolled.
REDRESS_SECOND_FACTOR=off REDRESS_DATA_DIR="$folder/data" .build/debug/redress serve --demo --port "$port" >"$folder/service.log" 2>&1 &
service=$!
stop() {
    kill -TERM "$service" 2>/dev/null && wait "$service" 2>/dev/null || true
    rm -rf "$folder"
}
trap stop EXIT
for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1 && break
    kill -0 "$service" 2>/dev/null || { cat "$folder/service.log" >&2; exit 1; }
    sleep 0.5
done
set +e
FUZZ_BASE_URL="http://127.0.0.1:$port" FUZZ_SCHEMATHESIS="$venv/bin/schemathesis" FUZZ_OUT=.build/fuzz \
    python3 Reliability/fuzz.py
status=$?
set -e
if ! kill -0 "$service" 2>/dev/null; then
    echo "fuzz: the service died during the run" >&2
    tail -50 "$folder/service.log" >&2
    exit 1
fi
server_errors="$(grep -c 'status=5[0-9][0-9]' "$folder/service.log" || true)"
echo "fuzz: the service logged $server_errors responses with a 5xx status"
if [ "${FUZZ_RECORD:-0}" = 1 ]; then
    python3 - "$server_errors" <<'PY' | python3 Reliability/record.py fuzz
import json, sys
summary = json.load(open(".build/fuzz/summary.json"))
print(f"Last run: seed {summary['seed']}, {summary['examples']} examples per operation, every check.\n")
print("| role | operations | cases | failures | errors | seconds |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for r in summary["roles"]:
    print(f"| {r['role']} | {r['operations']} | {r['cases']} | {r['failures']} | {r['errors']} | {r['seconds']} |")
t = summary["total"]
print(f"| **all** | | **{t['cases']}** | **{t['failures']}** | **{t['errors']}** | |")
print(f"\n5xx responses in the service's log: {sys.argv[1]}.")
PY
fi
[ "$server_errors" = 0 ] || status=1
exit $status
