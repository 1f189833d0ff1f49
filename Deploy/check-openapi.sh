#!/usr/bin/env bash
# Validates the OpenAPI document against the OpenAPI 3.1 schema (openapi-spec-validator, from PyPI;
# installed into a virtual environment under .build/ when the machine lacks it).
set -euo pipefail
cd "$(dirname "$0")/.."
python=python3
if ! python3 -c 'import openapi_spec_validator, yaml' 2>/dev/null; then
    venv=.build/venv-openapi
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet openapi-spec-validator pyyaml
    python="$venv/bin/python"
fi
"$python" - <<'PY'
import yaml
from openapi_spec_validator import validate
with open("Sources/RedressAPI/openapi.yaml") as document:
    validate(yaml.safe_load(document))
print("openapi.yaml: valid OpenAPI 3.1")
PY
