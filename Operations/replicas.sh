#!/usr/bin/env bash
# Two replicas of the service behind nginx on one throw-away PostgreSQL (Operations/replicas.py).
set -euo pipefail
cd "$(dirname "$0")/.."
Deploy/ensure-nginx.sh
exec Deploy/with-test-postgres.sh python3 Operations/replicas.py
