#!/usr/bin/env bash
# `make deliveries`: a throw-away PostgreSQL and the test receivers, the demo world, and
# Reliability/deliveries.py driving 200 case journeys through SIGKILLs and a receiver that is down
# for a minute, checking every webhook and mail that arrives.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${DELIVERIES_SKIP_BUILD:-0}" = 1 ] || swift build --product redress
exec Deploy/with-test-postgres.sh bash -c '
    set -euo pipefail
    export REDRESS_BCRYPT_COST=10 REDRESS_FILINGS_PER_DAY=100000 REDRESS_MESSAGES_PER_CASE_PER_HOUR=100000 REDRESS_LOG_LEVEL="${REDRESS_LOG_LEVEL:-notice}"
    export REDRESS_SECOND_FACTOR=off REDRESS_WEBHOOK_ALLOWED_NETWORKS=127.0.0.0/8 REDRESS_WEBHOOK_CA_FILE="$REDRESS_TEST_CA_FILE"
    export REDRESS_WEBHOOK_POLL_MILLISECONDS=200 REDRESS_SMTP_URL="$REDRESS_TEST_SMTP_URL" REDRESS_SMTP_CA_FILE="$REDRESS_TEST_CA_FILE"
    export DELIVERIES_REDRESS="$PWD/.build/debug/redress"
    export DELIVERIES_PORT="$(python3 -c "import socket; s=socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])")"
    "$DELIVERIES_REDRESS" migrate >/dev/null
    "$DELIVERIES_REDRESS" demo load >/dev/null
    PYTHONPATH=Reliability exec python3 Reliability/deliveries.py
'
