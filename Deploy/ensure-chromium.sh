#!/usr/bin/env bash
# Installs Chromium from Debian's packages when it is missing: the report page's browser test opens
# the page in headless Chromium.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "Chromium is missing: run 'sudo apt-get install chromium' (the report page's browser test needs it)." >&2
    exit 1
fi
echo "Installing Chromium (apt-get install chromium)…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
