#!/usr/bin/env bash
# Installs zlib's headers (zlib1g-dev) from Debian's packages when they are missing: Redress links the
# system's zlib to inflate the compressed object streams of PDF evidence.
set -euo pipefail
if [ -f /usr/include/zlib.h ]; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "zlib's headers are missing: run 'sudo apt-get install zlib1g-dev'." >&2
    exit 1
fi
echo "Installing zlib's headers (apt-get install zlib1g-dev)…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq zlib1g-dev >/dev/null
