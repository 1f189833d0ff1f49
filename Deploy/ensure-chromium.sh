#!/usr/bin/env bash
# Installs Chromium and its WebDriver from Debian's packages when they are missing: the report page's
# browser test opens the page in headless Chromium, and the console's journeys drive Chromium through
# chromedriver.
set -euo pipefail
have_browser() { command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; }
if have_browser && command -v chromedriver >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "Chromium is missing: run 'sudo apt-get install chromium chromium-driver fonts-noto-cjk' (the browser tests need them)." >&2
    exit 1
fi
echo "Installing Chromium (apt-get install chromium chromium-driver)…" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-noto-cjk >/dev/null
