#!/usr/bin/env python3
"""`make deliveries`: webhooks and mail through faults, against the real service and real receivers.

A platform's administrator registers a webhook endpoint for every event type; 200 cases go from
filing to closure (a message, an answer, acceptance, a rating) by concurrent clients, while the
service is SIGKILLed three times at random moments and the HTTPS receiver is down (its port closed)
for a minute. Afterwards, once the service has delivered what it owes:
- the receiver saw every event of the platform's cases since the registration — exactly the events
  the platform reads in the event feed — at least once, every one with a valid signature;
- after dropping duplicates by event id, none is missing and none is extra (ratings never reach a platform);
- the SMTP server (STARTTLS and a password required) received the mails, all over TLS.

Standard library only. Runs under Deploy/with-test-postgres.sh (deliveries.sh), which starts the
receivers; this script starts a webhook receiver of its own, to stop and start it. Prints its figures
and exits 1 on any failure.
"""
import client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.request

REDRESS = os.environ["DELIVERIES_REDRESS"]
PORT = int(os.environ["DELIVERIES_PORT"])
OUT = ".build/deliveries"
CASES, KILLS, DOWN_SECONDS = 200, 3, 60
RECEIVERS = os.path.dirname(os.environ["REDRESS_TEST_CA_FILE"])
random.seed(int(os.environ.get("DELIVERIES_SEED", "2026")))
failures = []


def fail(message):
    failures.append(message)
    print(f"  FAIL {message}", flush=True)


def request(method, path, token=None, body=None, timeout=30):
    return client.request(PORT, method, path, token, body, None, timeout)


class Receiver:
    """The HTTPS webhook receiver on a fixed port, with every delivery appended to a file."""

    def __init__(self):
        self.port = client_free_port()
        self.log = f"{OUT}/received.jsonl"
        self.process = None
        self.secrets = {}

    def start(self):
        port_file = f"{OUT}/receiver.port"
        if os.path.exists(port_file):
            os.remove(port_file)
        self.process = subprocess.Popen(
            [sys.executable, "Tests/Receivers/webhook_receiver.py", f"{RECEIVERS}/server.pem", f"{RECEIVERS}/server.key", port_file,
             str(self.port), self.log], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            env=dict(os.environ, RECEIVER_SECRETS=json.dumps(self.secrets)))
        for _ in range(100):
            if os.path.exists(port_file):
                return
            time.sleep(0.05)
        sys.exit("deliveries: the receiver did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait()

    def control(self, name, settings):
        context = __import__("ssl").create_default_context(cafile=os.environ["REDRESS_TEST_CA_FILE"])
        data = json.dumps(settings).encode()
        urllib.request.urlopen(urllib.request.Request(f"https://127.0.0.1:{self.port}/control/{name}", data=data, method="POST"),
                               context=context, timeout=10).read()

    def received(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [json.loads(line) for line in f if line.strip()]


def client_free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Service:
    def __init__(self):
        self.starts = 0
        self.process = None

    def start(self):
        self.starts += 1
        log = open(f"{OUT}/service-{self.starts}.log", "w")
        self.process = subprocess.Popen([REDRESS, "serve", "--port", str(PORT)], stdout=log, stderr=subprocess.STDOUT)
        started = time.monotonic()
        while time.monotonic() - started < 60:
            if self.process.poll() is not None:
                sys.exit(f"deliveries: the service exited with {self.process.returncode} (see {OUT}/service-{self.starts}.log)")
            if request("GET", "/ready", timeout=2)[0] == 200:
                return
            time.sleep(0.05)
        sys.exit("deliveries: the service never became ready")

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


def login(email):
    status, body = request("POST", "/api/v1/auth/login", body={"email": email, "password": "redress-demo-2026"})
    if status != 200:
        sys.exit(f"deliveries: cannot sign in as {email}: {status} {body}")
    return body["token"]


def retried(method, path, token, body=None):
    """Until the service answers (it may be restarting); the answer."""
    while True:
        status, answer = request(method, path, token, body, timeout=15)
        if status is not None and status not in (502, 503):
            return status, answer
        time.sleep(0.2)


def feed(token, after):
    events = []
    while True:
        status, page = retried("GET", "/api/v1/events?limit=200" + (f"&after={after}" if after else ""), token)
        if status != 200:
            sys.exit(f"deliveries: the feed answered {status} {page}")
        events += page["items"]
        after = page["next_cursor"]
        if not page["items"]:
            return events, after


def main():
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        os.remove(os.path.join(OUT, name))
    receiver = Receiver()
    receiver.start()
    service = Service()
    service.start()
    admin = login("p1-admin@demo.redress.test")
    staff = login("p1-staff@demo.redress.test")
    platform = next(role["organization_id"] for role in request("GET", "/api/v1/me", admin)[1]["roles"])
    # Where the platform's feed stands before the endpoint exists: what it owes starts after.
    time.sleep(1)
    before, start_cursor = feed(admin, "")
    print(f"  the platform's feed held {len(before)} events before the endpoint; last {before[-1]['id'] if before else None} at {time.time():.3f}", flush=True)
    status, created = request("POST", "/api/v1/webhooks", admin, {"url": f"https://127.0.0.1:{receiver.port}/hooks/p1", "event_types": ["*"]})
    if status != 201:
        sys.exit(f"deliveries: registering the endpoint answered {status} {created}")
    secret, endpoint = created["secret"], created["endpoint"]["id"]
    receiver.secrets = {"p1": [secret]}
    receiver.control("p1", {"secrets": [secret]})

    consumers = [login(f"consumer{n}@demo.redress.test") for n in range(1, 11)]
    queue = list(range(CASES))
    lock = threading.Lock()
    unexpected = []

    def journey():
        while True:
            with lock:
                if not queue:
                    return
                index = queue.pop()
            consumer = consumers[index % len(consumers)]
            status, case = retried("POST", "/api/v1/complaints", consumer, {
                "platform_id": platform, "category": "non_delivery", "title": f"投递演练 {index:04d}",
                "description": "付款成功后卡密一直未发放，客服不回复。",
                "order": {"order_no": f"HOOK{index:06d}", "product_name": "游戏点卡 100元", "amount_paid": 10_000},
                "demands": [{"kind": "refund", "amount": 10_000}]})
            if status != 201:
                unexpected.append(f"filing {index}: {status} {case}")
                continue
            steps = [
                ("POST", f"/api/v1/complaints/{case['id']}/messages", consumer, {"body": "请尽快处理"}),
                ("POST", f"/api/v1/complaints/{case['id']}/actions/respond", staff, {"decision": "reject", "reason": "已发货，请查收"}),
                ("POST", f"/api/v1/complaints/{case['id']}/actions/accept", consumer, None),
                ("POST", f"/api/v1/complaints/{case['id']}/actions/rate", consumer, {"rating": 3}),
            ]
            for method, path, token, body in steps:
                status, answer = retried(method, path, token, body)
                # A step the service did before a kill, retried, is refused as already done: fine.
                if status not in (200, 201, 409):
                    unexpected.append(f"{path}: {status} {answer}")

    started = time.monotonic()
    threads = [threading.Thread(target=journey) for _ in range(8)]
    for thread in threads:
        thread.start()
    # Three kills at random moments while the journeys run, and the receiver away for a minute.
    for _ in range(KILLS):
        time.sleep(random.uniform(2, 6))
        service.kill()
        service.start()
    receiver.stop()
    down_at = time.monotonic()
    for thread in threads:
        thread.join()
    time.sleep(max(0, DOWN_SECONDS - (time.monotonic() - down_at)))
    receiver.start()
    print(f"  {CASES} journeys in {time.monotonic() - started:.0f} s, {KILLS} SIGKILLs, the receiver down {DOWN_SECONDS} s", flush=True)
    for problem in unexpected[:10]:
        fail(problem)

    expected, _ = feed(admin, start_cursor)
    expected_ids = {event["id"] for event in expected}
    # Due deliveries wait out their backoff (at most a few minutes here): poll until none is pending.
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        status, page = request("GET", f"/api/v1/webhooks/{endpoint}/deliveries?state=pending&limit=1", admin)
        if status == 200 and not page["items"] and expected_ids <= {r["event_id"] for r in receiver.received()}:
            break
        time.sleep(2)
    received = receiver.received()
    accepted = [r for r in received if r["answered"] == 200]
    ids = [r["event_id"] for r in accepted]
    unique = set(ids)
    invalid = [r for r in received if not r["signature_valid"]]
    print(f"  events owed {len(expected_ids)}, deliveries received {len(received)} ({len(accepted)} answered 200), "
          f"unique events {len(unique)}, duplicates dropped {len(ids) - len(unique)}, invalid signatures {len(invalid)}", flush=True)
    if len(expected_ids) < CASES * 4:
        fail(f"the feed shows {len(expected_ids)} events, expected at least {CASES * 4}")
    if invalid:
        fail(f"{len(invalid)} deliveries with an invalid signature")
    if unique != expected_ids:
        fail(f"missing {len(expected_ids - unique)}, extra {len(unique - expected_ids)}")
        # What the outbox says of them, and where the feed's reading stood.
        differing = sorted((expected_ids - unique) | (unique - expected_ids))
        listed = ",".join(f"'{i}'" for i in differing[:20])
        print(subprocess.run(["psql", os.environ["DATABASE_URL"], "-qAt", "-c",
                              f"SELECT id, type, txid, seq, occurred_at, complaint_id FROM outbox_events WHERE id IN ({listed}) ORDER BY txid, seq"],
                             capture_output=True, text=True).stdout, flush=True)
        feed_ids = ",".join(f"'{e['id']}'" for e in expected[:1] + expected[-1:] + before[-1:])
        print("first and last of the feed:", subprocess.run(["psql", os.environ["DATABASE_URL"], "-qAt", "-c",
              f"SELECT id, type, txid, seq FROM outbox_events WHERE id IN ({feed_ids}) ORDER BY txid, seq"], capture_output=True, text=True).stdout,
              flush=True)
        status, page = request("GET", f"/api/v1/events?limit=5&after={start_cursor}", admin)
        print("a page after the start cursor:", [(e["type"], e["id"][:8]) for e in page.get("items", [])], flush=True)
        print("the owner's view:", subprocess.run(["psql", os.environ["DATABASE_URL"], "-qAt", "-c",
              f"SELECT o.txid, o.seq, o.type, left(o.id::text, 8), pg_snapshot_xmin(pg_current_snapshot()) FROM outbox_events o, outbox_events b WHERE b.id = '{before[-1]['id']}' AND (o.txid, o.seq) > (b.txid, b.seq) ORDER BY o.txid, o.seq LIMIT 5"],
              capture_output=True, text=True).stdout, flush=True)
    if any(r["event_type"] == "complaint.rate" for r in received):
        fail("a rating reached the platform")

    with urllib.request.urlopen(os.environ["REDRESS_TEST_MAILBOX"] + "/messages", timeout=10) as response:
        mails = json.load(response)
    print(f"  mails received over SMTP: {len(mails)}, over TLS and authenticated: {sum(1 for m in mails if m['tls'] and m['authenticated'])}",
          flush=True)
    if not mails or not all(m["tls"] and m["authenticated"] for m in mails):
        fail("no mail arrived, or one arrived without TLS or authentication")

    service.process.send_signal(signal.SIGTERM)
    service.process.wait(timeout=30)
    receiver.stop()
    print("deliveries: " + ("ok" if not failures else f"{len(failures)} failures"), flush=True)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
