#!/usr/bin/env bash
# Fetches axe-core (Deque's accessibility rules, run inside the browser by the console's browser
# tests) into .build/axe/axe.min.js: the npm registry is not reachable here, so it comes from the copy
# a PyPI package ships (axe-playwright-python 0.1.8 carries axe-core 4.12.1).
set -euo pipefail
cd "$(dirname "$0")/.."
target=.build/axe/axe.min.js
[ -s "$target" ] && exit 0
mkdir -p .build/axe
folder="$(mktemp -d)"
trap 'rm -rf "$folder"' EXIT
python3 -m pip download --quiet --no-deps --dest "$folder" "axe-playwright-python==0.1.8"
python3 - "$folder" "$target" <<'PY'
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/*.whl")[0]
with zipfile.ZipFile(wheel) as archive, open(sys.argv[2], "wb") as out:
    out.write(archive.read("axe_playwright_python/axe.min.js"))
PY
head -c 20 "$target" | grep -q "axe v4" || { echo "ensure-axe: unexpected file" >&2; exit 1; }
