#!/usr/bin/env python3
"""Fuzzes the running service once per role with schemathesis (Reliability/fuzz.sh starts it).

For each role it signs in with a real token, finds a complaint, a piece of evidence, a platform and a
staff account that role can reach (so path parameters hit real resources, not only 404s), and runs
every schemathesis check against the served /openapi.yaml with a fixed seed. Prints one line per role
and a total, writes them as JSON for Docs/reliability.md, and exits 1 if any role had a failure.

Standard library only; schemathesis is the virtual environment's (fuzz.sh makes it).
"""
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

BASE = os.environ["FUZZ_BASE_URL"]
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
SEED = os.environ.get("FUZZ_SEED", "2026")
SCHEMATHESIS = os.environ["FUZZ_SCHEMATHESIS"]
OUT = os.environ.get("FUZZ_OUT", ".build/fuzz")
PASSWORD = "redress-demo-2026"

# The demo world's accounts (Sources/redress/DemoCommand.swift), one per role; None = anonymous.
ROLES = [
    ("anonymous", None),
    ("consumer", "consumer1@demo.redress.test"),
    ("merchant_staff", "p1-m1@demo.redress.test"),
    ("platform_staff", "p1-staff@demo.redress.test"),
    ("platform_admin", "p1-admin@demo.redress.test"),
    ("mediator", "body1-mediator1@demo.redress.test"),
    ("mediation_lead", "body1-lead@demo.redress.test"),
    ("auditor", "auditor@demo.redress.test"),
    ("admin", "admin@demo.redress.test"),
]


def call(method, path, token=None, body=None):
    headers = {"Accept": "application/json"}
    data = None
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(BASE + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, {}


def first_id(path, token):
    status, body = call("GET", path, token)
    items = body.get("items", []) if status == 200 else []
    return items[0]["id"] if items else None


def targets(token):
    """Ids the role can reach: a complaint (one with evidence if it can see any), a platform, a staff account."""
    # Roles that list no complaints (anonymous, admin) are given the consumer's: they must get 401/403.
    status, body = call("GET", "/api/v1/complaints?limit=100", token)
    discoverer = token if status == 200 else CONSUMER_TOKEN
    if status != 200:
        status, body = call("GET", "/api/v1/complaints?limit=100", discoverer)
    complaint, evidence = None, None
    for item in body.get("items", []):
        complaint = complaint or item["id"]
        evidence = first_id(f"/api/v1/complaints/{item['id']}/evidence", discoverer)
        if evidence:
            complaint = item["id"]
            break
    none = "00000000-0000-4000-8000-000000000000"
    return {
        "FUZZ_COMPLAINT_ID": complaint or none,
        "FUZZ_EVIDENCE_ID": evidence or none,
        "FUZZ_PLATFORM_ID": first_id("/api/v1/platforms?limit=1", None),
        "FUZZ_STAFF_ID": first_id("/api/v1/staff?limit=1", token) or first_id("/api/v1/staff?limit=1", ADMIN_TOKEN) or none,
    }


def login(email):
    status, body = call("POST", "/api/v1/auth/login", body={"email": email, "password": PASSWORD})
    if status != 200:
        sys.exit(f"fuzz: cannot sign in as {email}: {status}")
    return body["token"]


SELF_ENDING = [
    "/api/v1/auth/logout", "/api/v1/me", "/api/v1/me/sessions/{id}", "/api/v1/me/sessions/end-others", "/api/v1/me/password",
    "/api/v1/me/second-factor", "/api/v1/me/second-factor/confirm", "/api/v1/me/second-factor/recovery-codes",
]


def run(role, token):
    env = dict(os.environ, **targets(token))
    command = [
        SCHEMATHESIS, "--config-file", "Reliability/schemathesis.toml", "run", f"{BASE}/openapi.yaml", "--url", BASE,
        "--checks", "all", "--max-examples", str(EXAMPLES), "--seed", SEED,
        # One worker: hypothesis's source inspection is not thread-safe (runtime errors with two).
        "--workers", "1", "--no-color", "--report", "junit", "--report-junit-path", f"{OUT}/{role}.xml",
        # Logging out, ending one's sessions (the stateful phase finds the current one's id in the list),
        # a password change, erasure and a second factor would end or lock the token the rest of the run
        # uses: only the anonymous run sends those (the tests cover them as the signed-in).
        *([] if token is None else [
            *[arg for path in SELF_ENDING for arg in ("--exclude-path", path)], "-H", f"Authorization: Bearer {token}"]),
    ]
    started = time.monotonic()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    output = result.stdout + result.stderr
    with open(f"{OUT}/{role}.txt", "w") as log:
        log.write(output)
    cases = re.search(r"(\d+) generated", output)
    failures = re.search(r"found (\d+) unique failures", output)
    errors = re.search(r"(\d+) errors?", output.split("SUMMARY")[-1]) if "SUMMARY" in output else None
    return {
        "role": role,
        "operations": int(m.group(1)) if (m := re.search(r"Tested: (\d+)", output)) else 0,
        "cases": int(cases.group(1)) if cases else 0,
        "failures": int(failures.group(1)) if failures else (0 if result.returncode == 0 else 1),
        "errors": int(errors.group(1)) if errors else 0,
        "exit": result.returncode,
        "seconds": round(seconds, 1),
    }


os.makedirs(OUT, exist_ok=True)
CONSUMER_TOKEN = login("consumer1@demo.redress.test")
ADMIN_TOKEN = login("admin@demo.redress.test")
# Every token first: the fuzzed login operation trips the login throttle for this address later.
tokens = {role: login(email) if email else None for role, email in ROLES}
results = []
for role, _ in ROLES:
    outcome = run(role, tokens[role])
    results.append(outcome)
    print(
        f"fuzz {role:15} {outcome['operations']:3} operations {outcome['cases']:6} cases "
        f"{outcome['failures']:3} failures {outcome['errors']:3} errors  {outcome['seconds']:6.1f} s"
        + ("" if outcome["exit"] == 0 else f"  (exit {outcome['exit']}: {OUT}/{role}.txt)"),
        flush=True,
    )
total = {key: sum(r[key] for r in results) for key in ("cases", "failures", "errors")}
print(f"fuzz total: {len(results)} roles, {total['cases']} cases, {total['failures']} failures, {total['errors']} errors "
      f"(seed {SEED}, {EXAMPLES} examples per operation)")
with open(f"{OUT}/summary.json", "w") as summary:
    json.dump({"seed": SEED, "examples": EXAMPLES, "roles": results, "total": total}, summary, indent=2)
sys.exit(0 if all(r["exit"] == 0 for r in results) else 1)
