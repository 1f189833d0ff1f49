#!/usr/bin/env bash
# `make test`'s operations checks, on the debug build: the deploy files against the package, a backup
# restored into a fresh cluster, reports from a real streaming standby, two replicas behind nginx.
set -euo pipefail
cd "$(dirname "$0")/.."
# These checks play many cases as a few demo consumers: the per-consumer limits are not what they test.
export REDRESS_FILINGS_PER_DAY=100000 REDRESS_MESSAGES_PER_CASE_PER_HOUR=100000
python=python3
"$python" -c 'import yaml' 2>/dev/null || python=.build/venv-fuzz/bin/python  # PyYAML: schemathesis brings it
echo "== deploy files" && "$python" Operations/deploy_files.py
echo "== backup and restore" && Operations/backup.sh
echo "== read replica" && Operations/standby.sh
echo "== replicas behind nginx" && Operations/replicas.sh
