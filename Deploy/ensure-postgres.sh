#!/usr/bin/env bash
# Installs PostgreSQL's server binaries (and pg_config) from Debian's packages when they are missing.
set -euo pipefail
# Redress needs PostgreSQL 15 or later (its migrations create security-invoker views); the scripts
# use the newest version installed.
require_15() {
    local newest
    newest="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sed 's|.*/postgresql/\([0-9]*\)/bin|\1|' | sort -n | tail -1)"
    if [ "${newest:-0}" -lt 15 ]; then
        echo "PostgreSQL ${newest:-?} is installed; Redress needs 15 or later." >&2
        exit 1
    fi
}
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v pg_config >/dev/null 2>&1; then
    require_15
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "PostgreSQL's server binaries are missing: run 'sudo apt-get install postgresql libpq-dev'." >&2
    exit 1
fi
echo "Installing PostgreSQL (apt-get install postgresql libpq-dev)…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq postgresql libpq-dev >/dev/null
# Debian starts a cluster of its own on port 5432; the project never uses it.
if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_lsclusters -h 2>/dev/null | while read -r version name _; do
        pg_ctlcluster "$version" "$name" stop 2>/dev/null || true
    done
fi
require_15
