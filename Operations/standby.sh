#!/usr/bin/env bash
# A primary and a streaming standby on loopback, the demo world, and Operations/standby.py checking
# that statistics and public reports are read from the standby while it is fresh enough.
set -euo pipefail
cd "$(dirname "$0")/.."
REDRESS_TEST_STANDBY=1 exec Deploy/with-test-postgres.sh bash -c '
    set -euo pipefail
    export REDRESS_BCRYPT_COST=10 REDRESS_LOG_LEVEL=notice
    .build/debug/redress migrate >/dev/null
    .build/debug/redress demo load >/dev/null
    python3 Operations/standby.py
'
