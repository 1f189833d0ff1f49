#!/usr/bin/env bash
# `make faults`: a throw-away PostgreSQL (which it stops and starts again), the demo world, and
# Reliability/faults.py driving the real service through SIGKILLs, a database restart and a SIGTERM.
# FAULTS_RECORD=1 writes the figures into Docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "${FAULTS_SKIP_BUILD:-0}" = 1 ] || swift build --product redress
exec Deploy/with-test-postgres.sh bash -c '
    set -euo pipefail
    export REDRESS_BCRYPT_COST=10 REDRESS_FILINGS_PER_DAY=100000 REDRESS_MESSAGES_PER_CASE_PER_HOUR=100000 REDRESS_LOG_LEVEL="${REDRESS_LOG_LEVEL:-notice}" FAULTS_REDRESS="$PWD/.build/debug/redress"
    export FAULTS_PORT="$(python3 -c "import socket; s=socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])")"
    "$FAULTS_REDRESS" migrate >/dev/null
    "$FAULTS_REDRESS" demo load >/dev/null
    set +e
    python3 Reliability/faults.py
    status=$?
    set -e
    [ "${FAULTS_RECORD:-0}" = 1 ] && python3 Reliability/faults-report.py | python3 Reliability/record.py faults
    exit $status
'
