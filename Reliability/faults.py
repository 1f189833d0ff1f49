#!/usr/bin/env python3
"""`make faults`: the real service (Reliability/faults.sh starts its PostgreSQL) under three faults.

1. SIGKILL at random moments, 20 times, while 500 complaints are filed by concurrent clients, each
   with its own Idempotency-Key and retried until acknowledged. Afterwards every acknowledged complaint
   exists exactly once, none exists without its audit event, and every chain verifies.
2. PostgreSQL stopped for a few seconds under load: the service answers 503 meanwhile (no 500, no
   dropped connection) and serves again within 5 seconds of the database's return, same process.
3. SIGTERM while 200 slow uploads are in flight: every one completes, and the process exits 0 within 25 s.

Standard library only. Prints its figures, writes them to .build/faults/summary.json, exits 1 on any failure.
"""
import client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid

REDRESS = os.environ["FAULTS_REDRESS"]
PORT = int(os.environ["FAULTS_PORT"])
# From Deploy/with-test-postgres.sh, which faults.sh runs this under.
PG_STOP = os.environ["REDRESS_TEST_PG_STOP"].split("\x1f")
PG_START = os.environ["REDRESS_TEST_PG_START"].split("\x1f")
PSQL = ["psql", os.environ["DATABASE_URL"], "-qAt", "-v", "ON_ERROR_STOP=1"]
OUT = ".build/faults"
SUBMISSIONS, KILLS, SLOW = 500, 20, 200
random.seed(int(os.environ.get("FAULTS_SEED", "2026")))
failures = []
figures = {}


def fail(message):
    failures.append(message)
    print(f"  FAIL {message}", flush=True)


def request(method, path, token=None, body=None, headers=None, timeout=30):
    return client.request(PORT, method, path, token, body, headers, timeout)


class Service:
    """The service process; restarted after each kill. Its logs go to .build/faults/service-N.log."""

    def __init__(self):
        self.lock = threading.Lock()
        self.starts = 0
        self.process = None

    def start(self):
        self.starts += 1
        log = open(f"{OUT}/service-{self.starts}.log", "w")
        started = time.monotonic()
        process = subprocess.Popen([REDRESS, "serve", "--port", str(PORT)], stdout=log, stderr=subprocess.STDOUT)
        while time.monotonic() - started < 60:
            if process.poll() is not None:
                sys.exit(f"faults: the service exited with {process.returncode} on start (see {OUT}/service-{self.starts}.log)")
            status, _ = request("GET", "/ready", timeout=2)
            if status == 200:
                break
            time.sleep(0.05)
        with self.lock:
            self.process = process
        return time.monotonic() - started


def login(email):
    status, body = request("POST", "/api/v1/auth/login", body={"email": email, "password": "redress-demo-2026"})
    if status != 200:
        sys.exit(f"faults: cannot sign in as {email}: {status} {body}")
    return body["token"]


def complaint_body(platform, index):
    return {
        "platform_id": platform, "category": "non_delivery", "title": f"故障演练 {index:04d}",
        "description": "付款成功后卡密一直未发放，客服不回复。",
        "order": {"order_no": f"FAULT{index:06d}", "product_name": "游戏点卡 100元", "amount_paid": 10_000},
        "demands": [{"kind": "refund", "amount": 10_000}],
    }


def kills_during_submissions(service, token, platform):
    print(f"1. SIGKILL x{KILLS} during {SUBMISSIONS} concurrent idempotent filings", flush=True)
    pending = list(range(SUBMISSIONS))
    acknowledged = {}
    keys = {index: str(uuid.uuid4()) for index in pending}
    lock = threading.Lock()
    unexpected = []
    attempts = [0]

    def client():
        while True:
            with lock:
                if not pending:
                    return
                index = pending.pop()
            while True:
                with lock:
                    attempts[0] += 1
                status, body = request("POST", "/api/v1/complaints", token, complaint_body(platform, index),
                                       {"Idempotency-Key": keys[index]}, timeout=15)
                if status in (200, 201) and "id" in body:
                    with lock:
                        acknowledged[index] = body["id"]
                    break
                if status is not None and status not in (502, 503):
                    unexpected.append(f"filing {index}: {status} {body}")
                time.sleep(0.1)  # the service is down or restarting: retry, same key
            time.sleep(0.2)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    restarts = []
    kills = 0
    while kills < KILLS and any(thread.is_alive() for thread in threads):
        time.sleep(random.uniform(0.2, 0.7))
        service.process.send_signal(signal.SIGKILL)
        service.process.wait()
        kills += 1
        restarts.append(service.start())
    for thread in threads:
        thread.join()
    figures["kills"] = kills
    figures["filings_acknowledged"] = len(acknowledged)
    figures["filing_attempts"] = attempts[0]
    figures["restart_seconds_max"] = round(max(restarts or [0]), 2)
    print(f"  {kills} kills, {len(acknowledged)} filings acknowledged after {attempts[0]} attempts, "
          f"restarts took at most {figures['restart_seconds_max']} s", flush=True)
    if kills != KILLS:
        fail(f"only {kills} kills happened while filings were in flight")
    for line in unexpected[:5]:
        fail(line)
    ids = sorted(set(acknowledged.values()))
    if len(ids) != SUBMISSIONS:
        fail(f"{len(ids)} distinct complaint ids acknowledged for {SUBMISSIONS} filings")
    rows = psql(f"""
        SELECT count(*), count(DISTINCT title),
               count(*) FILTER (WHERE id = ANY('{{{",".join(ids)}}}'::uuid[])),
               count(*) FILTER (WHERE NOT EXISTS (
                   SELECT 1 FROM audit_events e WHERE e.entity_id = c.id AND e.action = 'complaint.submit'))
        FROM complaints c WHERE title LIKE '故障演练 %'""").split("|")
    stored, distinct, matching, without_audit = (int(value) for value in rows)
    figures.update(stored=stored, duplicates=stored - distinct, without_audit=without_audit)
    print(f"  stored {stored}, duplicates {stored - distinct}, acknowledged and present {matching}, without their audit event {without_audit}", flush=True)
    if stored != SUBMISSIONS or distinct != SUBMISSIONS or matching != SUBMISSIONS or without_audit != 0:
        fail("the filings in the database are not exactly the acknowledged ones, each once with its audit event")
    return ids


def database_restart(service, token, complaint):
    print("2. PostgreSQL stopped for 3 s under load", flush=True)
    samples = []
    stop = threading.Event()
    pid = service.process.pid

    def load():
        while not stop.is_set():
            status, _ = request("GET", f"/api/v1/complaints/{complaint}", token, timeout=20)
            samples.append((time.monotonic(), status))
            time.sleep(0.02)

    threads = [threading.Thread(target=load) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(2)
    down_at = time.monotonic()
    subprocess.run(PG_STOP, check=True, capture_output=True)
    time.sleep(1)
    # Requests that were already waiting for a pooled connection when the server went may wait for its
    # return; every request made once the outage is noticed (within a second) must be answered 503 now.
    ready_during, _ = request("GET", "/ready", timeout=5)
    probes = []
    while time.monotonic() < down_at + 3:
        started = time.monotonic()
        status, _ = request("GET", f"/api/v1/complaints/{complaint}", token, timeout=5)
        probes.append((status, time.monotonic() - started))
        time.sleep(0.05)
    subprocess.run(PG_START, check=True, capture_output=True)
    up_at = time.monotonic()
    deadline = up_at + 15
    while time.monotonic() < deadline and not any(t > up_at and s == 200 for t, s in samples):
        time.sleep(0.05)
    time.sleep(1)
    stop.set()
    for thread in threads:
        thread.join()
    # The load's own requests answered while the database was away: those already waiting for a
    # pooled connection when it went must be released with 503 too, not held until it returns.
    waited = [s for t, s in samples if down_at + 1 < t < up_at]
    during = [status for status, _ in probes] + waited
    slowest = max((seconds for _, seconds in probes), default=0)
    first_ok = min((t for t, s in samples if t > up_at and s == 200), default=None)
    recovery = None if first_ok is None else round(first_ok - up_at, 2)
    bad = sorted({str(s) for s in during if s != 503})
    unanswered = sum(1 for _, s in samples if s is None)
    if unanswered:
        fail(f"{unanswered} requests of the load were never answered (timed out or cut off)")
    figures.update(outage_requests=len(during), outage_load_requests=len(waited), outage_statuses=sorted({str(s) for s in during}), outage_slowest_answer=round(slowest, 3),
                   recovery_seconds=recovery, ready_during_outage=ready_during)
    print(f"  {len(during)} requests during the outage answered {figures['outage_statuses']} (slowest in {figures['outage_slowest_answer']} s); /ready said {ready_during}; "
          f"first success {recovery} s after PostgreSQL accepted connections again", flush=True)
    if not probes or not waited:
        fail(f"requests made during the outage: {len(probes)} answered; the load's: {len(waited)} answered before PostgreSQL returned")
    if bad:
        fail(f"answers other than 503 during the outage: {bad}")
    if ready_during != 503:
        fail(f"/ready answered {ready_during} during the outage")
    if recovery is None or recovery > 5:
        fail(f"the service did not serve again within 5 s of the database's return ({recovery})")
    if service.process.pid != pid or service.process.poll() is not None:
        fail("the service process did not survive the outage")


def slow_upload(token, complaint, index, results, started):
    """POSTs 64 KiB of text in 16 pieces over ~3 s; records the status."""
    body = ("证据文本 %04d\n" % index).encode() * 4000
    body = body[:65536 - (65536 % 16)]
    piece = len(body) // 16
    try:
        sock = socket.create_connection(("127.0.0.1", PORT), timeout=40)
        head = (f"POST /api/v1/complaints/{complaint}/evidence?kind=other&filename=slow{index}.txt HTTP/1.1\r\n"
                f"Host: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: text/plain\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
        sock.sendall(head.encode() + body[:piece])
        started.release()
        for offset in range(piece, len(body), piece):
            time.sleep(0.2)
            sock.sendall(body[offset:offset + piece])
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        sock.close()
        results[index] = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else f"no answer: {answer[:80]!r}"
    except OSError as error:
        started.release()
        results[index] = f"connection: {error}"


def graceful_shutdown(service, token, complaints):
    print(f"3. SIGTERM with {SLOW} slow uploads in flight", flush=True)
    results = {}
    started = threading.Semaphore(0)
    threads = [threading.Thread(target=slow_upload, args=(token, complaints[i], i, results, started)) for i in range(SLOW)]
    for thread in threads:
        thread.start()
    for _ in range(SLOW):
        started.acquire()  # every request has its headers and a first piece in
    time.sleep(0.3)
    term_at = time.monotonic()
    service.process.send_signal(signal.SIGTERM)
    try:
        code = service.process.wait(timeout=25)
    except subprocess.TimeoutExpired:
        code = "still running after 25 s"
        # What it is waiting for: every thread's stack, for the report.
        subprocess.run(["gdb", "-p", str(service.process.pid), "-batch", "-ex", "thread apply all bt 30"],
                       stdout=open(f"{OUT}/hang-stacks.txt", "w"), stderr=subprocess.STDOUT)
        service.process.kill()
    exited = round(time.monotonic() - term_at, 2)
    for thread in threads:
        thread.join()
    completed = sum(1 for status in results.values() if status == 201)
    figures.update(slow_requests=SLOW, slow_completed=completed, exit_code=code, exit_seconds=exited)
    print(f"  {completed} of {SLOW} completed with 201; exit code {code} after {exited} s", flush=True)
    if completed != SLOW:
        other = sorted({str(s) for s in results.values() if s != 201})
        fail(f"{SLOW - completed} in-flight uploads did not complete: {other[:5]}")
    if code != 0 or exited > 25:
        fail(f"the service exited with {code} after {exited} s (expected 0 within 25 s)")


def psql(sql):
    return subprocess.run(PSQL + ["-c", sql], check=True, capture_output=True, text=True).stdout.strip()


os.makedirs(OUT, exist_ok=True)
service = Service()
figures["first_start_seconds"] = round(service.start(), 2)
token = login("consumer1@demo.redress.test")
platform = json.loads(json.dumps(request("GET", "/api/v1/platforms?limit=1")[1]))["items"][0]["id"]
ids = kills_during_submissions(service, token, platform)
if os.environ.get("FAULTS_SKIP_OUTAGE") != "1":  # for isolating the SIGTERM case when investigating
    database_restart(service, token, ids[0])
graceful_shutdown(service, token, ids)
print("4. audit verify over every chain", flush=True)
verify = subprocess.run([REDRESS, "audit", "verify"], capture_output=True, text=True)
figures["audit_verify_exit"] = verify.returncode
figures["audit_verify"] = (verify.stdout.strip().splitlines() or [""])[-1]
print(f"  exit {verify.returncode}: {figures['audit_verify']}", flush=True)
if verify.returncode != 0:
    fail(f"audit verify: {verify.stdout[-500:]} {verify.stderr[-500:]}")
figures["failures"] = failures
json.dump(figures, open(f"{OUT}/summary.json", "w"), indent=2, ensure_ascii=False)
print(f"faults: {len(failures)} failures")
sys.exit(1 if failures else 0)
