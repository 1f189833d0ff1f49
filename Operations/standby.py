"""Statistics and public reports from a real streaming standby (Docs/operations.md, "A read replica").

Runs under `Deploy/with-test-postgres.sh` with REDRESS_TEST_STANDBY=1: DATABASE_URL is the primary,
REDRESS_TEST_STANDBY_URL its hot standby. Two services share them: A may read data up to 2 s old, B up
to an hour. While the standby's replay is paused, a new complaint is filed: B, still reading the
standby, does not show it (so B's report really comes from the standby); A, past its bound, falls back
to the primary and shows it. Once replay resumes, both read the standby again and agree with the
primary to the byte.
"""
import json
import os
import time
import uuid

from service import check, client, fail, free_port, login, metrics, psql, start, wait_ready

PRIMARY = os.environ["DATABASE_URL"]
STANDBY = os.environ["REDRESS_TEST_STANDBY_URL"]
REPORT = "/public/v1/reports/platforms?from=2026-01-01&to=2026-12-31"


def report(port):
    """The report without the moment it was built."""
    status, body = client.request(port, "GET", REPORT)
    if status != 200:
        fail(f"report on {port}: {status} {body}")
    body.pop("generated_at", None)
    return body


def complaints(body):
    return sum(row["figures"]["complaints"] for row in body["platforms"])


def reads(port, source):
    return metrics(port).get(f'redress_report_reads_total{{source="{source}"}}', 0)


def wait_for(condition, seconds, what):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return
        time.sleep(0.2)
    fail(f"not within {seconds} s: {what}")


fresh_port, lenient_port, primary_port = free_port(), free_port(), free_port()
common = {"REDRESS_REPORT_CACHE_SECONDS": 0, "REDRESS_REPLICA_URL": STANDBY}
services = [
    start("standby-a", fresh_port, REDRESS_REPLICA_MAX_LAG_SECONDS=2, **common),
    start("standby-b", lenient_port, REDRESS_REPLICA_MAX_LAG_SECONDS=3600, **common),
    start("standby-primary-only", primary_port, REDRESS_REPORT_CACHE_SECONDS=0),
]
try:
    for port in (fresh_port, lenient_port, primary_port):
        wait_ready(port)
    for port in (fresh_port, lenient_port):
        wait_for(lambda: metrics(port).get("redress_replica_usable") == 1, 30, f"service {port} sees the standby fresh")

    truth = report(primary_port)
    check(complaints(truth) > 0, f"the primary's report counts {complaints(truth)} complaints")
    before = reads(fresh_port, "standby"), reads(fresh_port, "primary")
    for port in (fresh_port, lenient_port):
        check(report(port) == truth, f"service {port}: the report read from the standby equals the primary's")
    check(reads(fresh_port, "standby") == before[0] + 1 and reads(fresh_port, "primary") == before[1],
          "the read was counted as the standby's, not the primary's")
    staff = login(fresh_port, "p1-staff@demo.redress.test")
    platform = client.request(fresh_port, "GET", "/api/v1/me", staff)[1]["roles"][0]["organization_id"]
    statistics = f"/api/v1/stats/platforms/{platform}?from=2026-01-01&to=2026-12-31"
    check(client.request(fresh_port, "GET", statistics, staff) == client.request(primary_port, "GET", statistics, staff),
          "a platform's statistics read from the standby equal the primary's")

    psql(STANDBY, "SELECT pg_wal_replay_pause()")
    consumer = login(fresh_port, "consumer1@demo.redress.test")
    body = {"platform_id": platform, "category": "non_delivery", "title": "备库测试", "description": "卡密未发放。",
            "order": {"order_no": "STANDBY1", "product_name": "点卡", "amount_paid": 5_000}, "demands": [{"kind": "refund", "amount": 5_000}]}
    status, _ = client.request(fresh_port, "POST", "/api/v1/complaints", consumer, body, {"Idempotency-Key": str(uuid.uuid4())})
    check(status == 201, "a complaint is filed on the primary while the standby's replay is paused")
    expected = complaints(truth) + 1
    check(complaints(report(primary_port)) == expected, f"the primary's report counts it ({expected})")
    wait_for(lambda: metrics(fresh_port).get("redress_replica_usable") == 0, 15, "service A sees the standby more than 2 s behind")
    lag = metrics(fresh_port).get("redress_replica_lag_seconds", -1)
    check(lag > 2 or lag == -1, f"service A measures the lag beyond its bound ({lag:.1f} s)")
    fallback_before = reads(fresh_port, "primary")
    check(complaints(report(fresh_port)) == expected, "service A, past its bound, reads the primary: the new complaint is counted")
    check(reads(fresh_port, "primary") == fallback_before + 1, "and counts that read as the primary's")
    check(complaints(report(lenient_port)) == expected - 1,
          "service B, within its hour, still reads the paused standby: the new complaint is not there yet")

    psql(STANDBY, "SELECT pg_wal_replay_resume()")
    wait_for(lambda: metrics(fresh_port).get("redress_replica_usable") == 1, 15, "service A sees the standby caught up")
    truth = report(primary_port)
    for port in (fresh_port, lenient_port):
        check(report(port) == truth, f"service {port}: after the standby caught up, its report equals the primary's again")
    print(json.dumps({"standby_reads_a": reads(fresh_port, "standby"), "primary_reads_a": reads(fresh_port, "primary"),
                      "lag_seconds_a": metrics(fresh_port).get("redress_replica_lag_seconds")}), flush=True)
finally:
    for process in services:
        process.terminate()
    for process in services:
        process.wait(timeout=30)
