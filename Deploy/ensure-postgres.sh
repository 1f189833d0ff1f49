#!/usr/bin/env bash
# Installs PostgreSQL's server binaries (and pg_config) from Debian's packages when they are missing.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v pg_config >/dev/null 2>&1; then
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
