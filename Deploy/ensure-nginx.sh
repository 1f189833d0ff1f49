#!/usr/bin/env bash
# Installs nginx from Debian's packages when it is missing (the replicas test puts it in front of two
# services; Deploy/nginx/redress.conf is the configuration). Debian's own nginx service is not used.
set -euo pipefail
if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "nginx is missing: run 'sudo apt-get install nginx'." >&2
    exit 1
fi
echo "Installing nginx (apt-get install nginx)…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends nginx >/dev/null
# Debian may start a server of its own on port 80; the project never uses it.
if command -v service >/dev/null 2>&1; then service nginx stop >/dev/null 2>&1 || true; fi
