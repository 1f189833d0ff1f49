#!/usr/bin/env bash
# `make soak`: the release service under Reliability/soak.py's mixed load for SOAK_MINUTES (default 30)
# on a throw-away PostgreSQL with the demo world. SOAK_RECORD=1 writes the figures into Docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${SOAK_SKIP_BUILD:-0}" = 1 ] || swift build -c release --product redress
exec Deploy/with-test-postgres.sh bash -c '
    set -euo pipefail
    export REDRESS_BCRYPT_COST=10 REDRESS_FILINGS_PER_DAY=100000 REDRESS_MESSAGES_PER_CASE_PER_HOUR=100000 REDRESS_LOG_LEVEL=warning SOAK_REDRESS="$PWD/.build/release/redress"
    export SOAK_PORT="$(python3 -c "import socket; s=socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])")"
    "$SOAK_REDRESS" migrate >/dev/null
    "$SOAK_REDRESS" demo load >/dev/null
    set +e
    python3 Reliability/soak.py
    status=$?
    set -e
    [ "${SOAK_RECORD:-0}" = 1 ] && python3 Reliability/soak-report.py | python3 Reliability/record.py soak
    exit $status
'
