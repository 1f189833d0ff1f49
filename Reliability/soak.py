#!/usr/bin/env python3
"""`make soak`: a mixed load for SOAK_MINUTES (default 30) at SOAK_RATE requests per second, with the
deadline job running every 5 s (Reliability/soak.sh starts PostgreSQL; this starts the service).

The mix (filing, answering, reading, listing, statistics, the public report) and the default rate: half
of what `make bench` measured for this mix on the release build (Docs/benchmarks.md, run A: the mix's
harmonic capacity is ~475 req/s at 8 connections, so 240). Afterwards: 0 responses 5xx, resident memory
after warm-up (the first fifth, at least two minutes) grows by less than 10 %, the request role's database connections stay
within the pool, and every audit chain verifies. Standard library only.
"""
import client
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid

REDRESS = os.environ["SOAK_REDRESS"]
PORT = int(os.environ["SOAK_PORT"])
MINUTES = float(os.environ.get("SOAK_MINUTES", "30"))
RATE = float(os.environ.get("SOAK_RATE", "240"))
PSQL = ["psql", os.environ["DATABASE_URL"], "-qAt", "-v", "ON_ERROR_STOP=1"]
OUT = ".build/soak"
random.seed(2026)


def request(method, path, token=None, body=None, headers=None, timeout=30):
    return client.request(PORT, method, path, token, body, headers, timeout)


def login(email):
    status, body = request("POST", "/api/v1/auth/login", body={"email": email, "password": "redress-demo-2026"})
    if status != 200:
        sys.exit(f"soak: cannot sign in as {email}: {status}")
    return body["token"]


def psql(sql):
    return subprocess.run(PSQL + ["-c", sql], check=True, capture_output=True, text=True).stdout.strip()


os.makedirs(OUT, exist_ok=True)
log = open(f"{OUT}/service.log", "w")
env = dict(os.environ, REDRESS_DEADLINE_JOB_SECONDS="5")
service = subprocess.Popen([REDRESS, "serve", "--port", str(PORT)], stdout=log, stderr=subprocess.STDOUT, env=env)
for _ in range(600):
    if request("GET", "/ready")[0] == 200:
        break
    time.sleep(0.1)
consumer = login("consumer1@demo.redress.test")
staff = login("p1-staff@demo.redress.test")
mediator = login("body1-mediator1@demo.redress.test")
# The staff's own platform: cases are filed against it, answered and counted by its staff.
platform = request("GET", "/api/v1/me", staff)[1]["roles"][0]["organization_id"]
own = [item["id"] for item in request("GET", "/api/v1/complaints?limit=100", consumer)[1]["items"]]
role = "redress_request"  # the request role the migrations create

statuses = {}
lock = threading.Lock()
new_cases = []


def one_request():
    pick = random.random()
    if pick < 0.10:
        body = {"platform_id": platform, "category": "non_delivery", "title": "浸泡测试", "description": "卡密未发放。",
                "order": {"order_no": "SOAK1", "product_name": "点卡", "amount_paid": 5_000}, "demands": [{"kind": "refund", "amount": 5_000}]}
        status, answer = request("POST", "/api/v1/complaints", consumer, body, {"Idempotency-Key": str(uuid.uuid4())})
        if status == 201:
            with lock:
                new_cases.append(answer["id"])
        return status
    if pick < 0.15:
        with lock:
            case = new_cases.pop() if new_cases else None
        if case is None:
            return request("GET", "/api/v1/complaints?limit=20", staff)[0]
        return request("POST", f"/api/v1/complaints/{case}/actions/respond", staff, {"decision": "reject", "reason": "已发货"})[0]
    if pick < 0.55:
        return request("GET", f"/api/v1/complaints/{random.choice(own)}", consumer)[0]
    if pick < 0.75:
        return request("GET", "/api/v1/complaints?limit=50", consumer)[0]
    if pick < 0.85:
        return request("GET", "/api/v1/complaints?limit=50&state=awaiting_platform", staff)[0]
    if pick < 0.90:
        return request("GET", "/api/v1/triage?limit=50", mediator)[0]
    if pick < 0.95:
        return request("GET", f"/api/v1/stats/platforms/{platform}", staff)[0]
    return request("GET", "/public/v1/reports/platforms")[0]


started = time.monotonic()
end = started + MINUTES * 60
workers = 8


def worker():
    interval = workers / RATE
    next_at = time.monotonic()
    while time.monotonic() < end:
        status = one_request()
        with lock:
            statuses[status] = statuses.get(status, 0) + 1
        next_at += interval
        time.sleep(max(0, next_at - time.monotonic()))


samples = []


def sampler():
    while time.monotonic() < end:
        rss = 0
        with open(f"/proc/{service.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) // 1024
        connections = int(psql(f"SELECT count(*) FROM pg_stat_activity WHERE usename = '{role}'"))
        samples.append((time.monotonic() - started, rss, connections))
        time.sleep(5)


threads = [threading.Thread(target=worker) for _ in range(workers)] + [threading.Thread(target=sampler)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
elapsed = time.monotonic() - started
service.terminate()
exit_code = service.wait(timeout=30)

failures = []
total = sum(statuses.values())
server_errors = sum(count for status, count in statuses.items() if status is None or status >= 500)
# Warm-up: the first fifth, but at least two minutes of a long run (half of a very short one).
warmup = max(elapsed / 5, min(120, elapsed / 2))
warm = [s for s in samples if s[0] <= warmup] or samples[:1]
after = [s for s in samples if s[0] > warmup] or samples[-1:]
rss_warm = max(s[1] for s in warm)
rss_end = max(s[1] for s in after)
growth = (rss_end - rss_warm) / rss_warm * 100 if rss_warm else 0
connections = [s[2] for s in after]
verify = subprocess.run([REDRESS, "audit", "verify"], capture_output=True, text=True)
figures = {
    "minutes": round(elapsed / 60, 1), "rate_target": RATE, "requests": total, "rate": round(total / elapsed, 1),
    "statuses": {str(k): v for k, v in sorted(statuses.items(), key=lambda item: str(item[0]))}, "server_errors": server_errors,
    "rss_after_warmup_mib": rss_warm, "rss_peak_mib": rss_end, "rss_growth_percent": round(growth, 1),
    "db_connections_min": min(connections), "db_connections_max": max(connections), "exit_code": exit_code,
    "audit_verify_exit": verify.returncode, "audit_verify": (verify.stdout.strip().splitlines() or [""])[-1],
}
if server_errors:
    failures.append(f"{server_errors} responses were 5xx or no answer")
if growth >= 10:
    failures.append(f"resident memory grew {growth:.1f} % after warm-up")
if max(connections) > int(os.environ.get("REDRESS_DB_POOL_SIZE", "20")) + 1:  # the pool, and the monitor's probe
    failures.append(f"the request role held {max(connections)} database connections")
if verify.returncode != 0:
    failures.append("audit verify failed")
figures["failures"] = failures
json.dump(figures, open(f"{OUT}/summary.json", "w"), indent=2)
print(json.dumps(figures, indent=2))
sys.exit(1 if failures else 0)
