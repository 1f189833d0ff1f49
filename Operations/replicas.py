"""Two `redress serve` replicas behind nginx (Deploy/nginx/redress.conf) on one database behave as one.

Runs under `Deploy/with-test-postgres.sh` on an empty database:
1. both replicas start at the same moment: the migrations run once;
2. the login throttle and idempotency hold across replicas (they live in PostgreSQL);
3. four clients play a lifecycle (file → read → the platform answers → the consumer rejects →
   escalates → reads the timeline) through nginx while one replica is SIGKILLed and restarted: no
   GET is lost (nginx retries it on the other replica); a POST cut off by the kill is repeated by
   the client (filings with their Idempotency-Key, actions after reading the case again), and every
   case ends with each event exactly once;
4. both replicas are restarted 60 days later (REDRESS_NOW) with the deadline job and anchoring every
   second: every case whose deadline passed is marked overdue exactly once, by one replica or the
   other, and with the clock standing still they make one anchor between them.
"""
import datetime
import json
import os
import shutil
import signal
import subprocess
import threading
import time
import uuid

from service import OUT, REDRESS, check, client, fail, free_port, login, metrics, psql, start, wait_ready

DATABASE = os.environ["DATABASE_URL"]
OPEN_STATES = "('awaiting_merchant', 'awaiting_platform', 'escalated', 'in_mediation', 'resolution_agreed')"
CASES_PER_CLIENT = int(os.environ.get("REPLICAS_CASES", "30"))  # cases per phase: before, during, after


def start_nginx(port, upstreams):
    """nginx in the foreground, as configured by Deploy/nginx/redress.conf with loopback addresses."""
    folder = os.path.abspath(f"{OUT}/nginx")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    conf = open("Deploy/nginx/redress.conf").read()
    for name, address in [("redress-1:8080", upstreams[0]), ("redress-2:8080", upstreams[1])]:
        if conf.count(f"server {name} ") != 1:
            fail(f"Deploy/nginx/redress.conf no longer names the upstream {name} once")
        conf = conf.replace(f"server {name} ", f"server {address} ")
    if conf.count("listen 80;") != 1:
        fail("Deploy/nginx/redress.conf no longer listens on port 80 once")
    open(f"{folder}/redress.conf", "w").write(conf.replace("listen 80;", f"listen 127.0.0.1:{port};"))
    temp = "".join(f"{kind}_temp_path {folder}/{kind};\n" for kind in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"])
    open(f"{folder}/nginx.conf", "w").write(f"""
{"user root;" if os.getuid() == 0 else ""}
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log notice;
events {{ worker_connections 1024; }}
http {{
    access_log {folder}/access.log;
    {temp}
    include {folder}/redress.conf;
}}
""")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    process = subprocess.Popen([nginx, "-p", folder, "-c", f"{folder}/nginx.conf", "-g", "daemon off;"],
                               stdout=open(f"{folder}/stdout.log", "w"), stderr=subprocess.STDOUT)
    deadline = time.time() + 10
    while client.request(port, "GET", "/health", timeout=2)[0] != 200:
        if time.time() > deadline or process.poll() is not None:
            fail("nginx did not start: " + open(f"{folder}/error.log").read()[-2000:])
        time.sleep(0.1)
    return process


ports = [free_port(), free_port()]
metrics_ports = [free_port(), free_port()]
lb = free_port()
common = {"REDRESS_TRUSTED_PROXIES": "127.0.0.1", "REDRESS_DEADLINE_JOB_SECONDS": 1}


def settings(i):
    """Each replica's metrics on a port of its own; the second writes JSON lines, one per request too."""
    extra = {"REDRESS_METRICS_PORT": metrics_ports[i]} | ({"REDRESS_LOG_FORMAT": "json", "REDRESS_LOG_LEVEL": "info"} if i == 1 else {})
    return common | extra


def scrape(i):
    return metrics(metrics_ports[i])


replicas = [start(f"replica-{i + 1}", ports[i], **settings(i)) for i in range(2)]
nginx = None
try:
    # 1. Two replicas migrating one empty database at once.
    for port in ports:
        wait_ready(port)
    files = len([name for name in os.listdir("Sources/RedressStore/Schema") if name.endswith(".sql")])
    # Without the migrator's advisory lock the second replica would fail on a table the first just created.
    applied = psql(DATABASE, "SELECT count(*) || ' ' || count(DISTINCT applied_at) FROM redress_private.schema_migrations")
    check(applied == f"{files} {files}",
          f"both replicas started together and are ready; the {files} migrations were applied once each ({applied})")
    check(client.request(ports[0], "GET", "/metrics")[0] == 404 and client.request(metrics_ports[0], "GET", "/api/v1/me")[0] == 404
          and "redress_http_requests_total" in "".join(scrape(0)),
          "with REDRESS_METRICS_PORT, /metrics is served there and only there")
    subprocess.run([REDRESS, "demo", "load"], check=True, capture_output=True, env=dict(os.environ, REDRESS_BCRYPT_COST="10"))
    nginx = start_nginx(lb, [f"127.0.0.1:{port}" for port in ports])

    # 2. The throttle and idempotency across replicas.
    victim = "consumer7@demo.redress.test"
    answers = [client.request(lb, "POST", "/api/v1/auth/login", body={"email": victim, "password": "wrong-password-123"})[0]
               for _ in range(5)]
    answered_by = [scrape(i).get('redress_http_requests_total{route="/api/v1/auth/login",method="POST",status="401"}', 0) for i in range(2)]
    check(answers == [401] * 5 and all(count > 0 for count in answered_by),
          f"five wrong passwords through nginx, answered by both replicas ({answered_by[0]:.0f} + {answered_by[1]:.0f})")
    status, _ = client.request(lb, "POST", "/api/v1/auth/login", body={"email": victim, "password": "redress-demo-2026"})
    check(status == 429, f"the sixth attempt, right password, is throttled whichever replica answers ({status})")
    consumer = login(lb, "consumer1@demo.redress.test")
    staff = login(lb, "p1-staff@demo.redress.test")
    platform = client.request(lb, "GET", "/api/v1/me", staff)[1]["roles"][0]["organization_id"]
    body_id = client.request(lb, "GET", "/api/v1/mediation-bodies", consumer)[1]["items"][0]["id"]

    def filing(order):
        return {"platform_id": platform, "category": "non_delivery", "title": "多副本测试", "description": "卡密未发放。",
                "order": {"order_no": order, "product_name": "点卡", "amount_paid": 5_000}, "demands": [{"kind": "refund", "amount": 5_000}]}

    key = str(uuid.uuid4())
    first = client.request(ports[0], "POST", "/api/v1/complaints", consumer, filing("IDEM-1"), {"Idempotency-Key": key})
    second = client.request(ports[1], "POST", "/api/v1/complaints", consumer, filing("IDEM-1"), {"Idempotency-Key": key})
    stored = psql(DATABASE, "SELECT count(*) FROM complaints WHERE order_no = 'IDEM-1'")
    check(first[0] == 201 and second[0] in (200, 201) and first[1].get("id") == second[1].get("id") and stored == "1",
          f"one Idempotency-Key sent to each replica files one complaint ({first[0]}, {second[0]}, {stored} stored)")

    # 3. The lifecycle through nginx while replica 1 is killed and restarted.
    lock = threading.Lock()
    tally = {"requests": 0, "lost_gets": [], "post_retries": 0, "cases": [], "errors": []}

    def get(path, token):
        status, answer = client.request(lb, "GET", path, token)
        with lock:
            tally["requests"] += 1
            if status != 200:
                tally["lost_gets"].append((path, status, answer))
        return answer

    def post(path, token, payload, headers=None, done=None):
        """Repeats a POST the kill cut off; `done()` tells whether the cut-off attempt was carried out."""
        for attempt in range(60):
            status, answer = client.request(lb, "POST", path, token, payload, headers)
            with lock:
                tally["requests"] += 1
            if status is not None and status < 500:
                return status, answer
            with lock:
                tally["post_retries"] += 1
            time.sleep(0.25)
            if done and done():
                return "done", {}
        fail(f"POST {path} failed 60 times")

    stop = threading.Event()

    def play(worker):
        n = -1
        while not stop.is_set():
            n += 1
            order = f"LB-{worker}-{n}"
            status, answer = post("/api/v1/complaints", consumer, filing(order), {"Idempotency-Key": str(uuid.uuid4())})
            if status not in (200, 201):
                with lock:
                    tally["errors"].append((order, "file", status, answer))
                continue
            case = answer["id"]
            path = f"/api/v1/complaints/{case}"
            get(path, consumer)

            def reached(*states):
                return lambda: client.request(lb, "GET", path, consumer)[1].get("state") in states

            steps = [
                (staff, "respond", {"decision": "reject", "reason": "已发货"}, ("proposal_made",)),
                (consumer, "reject", {"reason": "未收到卡密"}, None),
                (consumer, "escalate", {"mediation_body_id": body_id, "reason": "平台拒绝"}, ("escalated",)),
            ]
            for token, action, payload, target in steps:
                if action == "reject":
                    # The rejection leaves the state as it was: it is carried out when the case says so.
                    check_done = lambda: (client.request(lb, "GET", path, consumer)[1].get("answer") or {}).get("rejected_by_consumer") is True
                else:
                    check_done = reached(*target)
                status, answer = post(f"{path}/actions/{action}", token, payload, done=check_done)
                if status not in (200, "done"):
                    with lock:
                        tally["errors"].append((order, action, status, answer))
                    break
            get(f"{path}/timeline", consumer)
            with lock:
                tally["cases"].append(case)

    workers = [threading.Thread(target=play, args=(w,)) for w in range(4)]
    for thread in workers:
        thread.start()

    def cases_done():
        with lock:
            return len(tally["cases"])

    def wait_for_cases(count):
        while cases_done() < count:
            if not any(thread.is_alive() for thread in workers):
                fail(f"the clients stopped early: {tally['errors'][:3]}")
            time.sleep(0.05)

    # Cases before the kill, while replica 1 is down, and after it is back.
    wait_for_cases(CASES_PER_CLIENT)
    replicas[0].send_signal(signal.SIGKILL)
    replicas[0].wait()
    killed_at = cases_done()
    time.sleep(1)
    replicas[0] = start("replica-1-restarted", ports[0], **settings(0))
    wait_ready(ports[0])
    restarted_at = cases_done()
    wait_for_cases(restarted_at + CASES_PER_CLIENT)
    # nginx leaves a failed replica out for fail_timeout (5 s): play on until it is back in.
    filings = 'redress_http_requests_total{route="/api/v1/complaints",method="POST",status="201"}'
    back = time.time() + 30
    while scrape(0).get(filings, 0) < 5 and time.time() < back:
        wait_for_cases(cases_done() + 1)
    stop.set()
    for thread in workers:
        thread.join()
    total = cases_done()
    served_after = scrape(0).get(filings, 0)
    print(json.dumps({"cases": total, "requests": tally["requests"], "killed_after_cases": killed_at,
                      "restarted_after_cases": restarted_at, "post_retries": tally["post_retries"],
                      "filings_by_restarted_replica": served_after}), flush=True)
    check(served_after > 0, f"the restarted replica takes its share again ({served_after:.0f} filings)")
    check(not tally["errors"], f"every step of every case succeeded ({tally['errors'][:3]})")
    check(not tally["lost_gets"], f"no GET was lost while a replica was killed and restarted ({tally['lost_gets'][:3]})")
    ids = "'" + "','".join(tally["cases"]) + "'"
    counts = psql(DATABASE, f"""
        SELECT count(*) FILTER (WHERE n <> 1) FROM (
            SELECT e.entity_id, e.action, count(*) AS n FROM audit_events e
            WHERE e.entity_id IN ({ids}) AND e.action IN ('complaint.submit', 'complaint.respond', 'complaint.escalate')
            GROUP BY 1, 2) x""")
    filed = psql(DATABASE, "SELECT count(*) || ' ' || count(DISTINCT order_no) FROM complaints WHERE order_no LIKE 'LB-%'")
    escalated = psql(DATABASE, f"SELECT count(*) FROM complaints WHERE id IN ({ids}) AND state = 'escalated'")
    check(filed == f"{total} {total}" and counts == "0" and escalated == str(total),
          f"{total} cases filed once each, each submitted, answered and escalated exactly once ({filed}; {counts} off; {escalated} escalated)")

    # 4. Sixty days later, both replicas, the deadline job every second.
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=60)
    stamp = later.strftime("%Y-%m-%dT%H:%M:%SZ")
    for process in replicas:
        process.terminate()
        process.wait(timeout=30)
    due = int(psql(DATABASE, f"SELECT count(*) FROM complaints WHERE state IN {OPEN_STATES} AND NOT overdue AND deadline_at < '{stamp}'"))
    anchors_before = int(psql(DATABASE, "SELECT count(*) FROM audit_anchors"))
    replicas = [start(f"replica-{i + 1}-later", ports[i], REDRESS_NOW=stamp, REDRESS_ANCHOR_SECONDS=1, **settings(i)) for i in range(2)]
    for port in ports:
        wait_ready(port)
    deadline = time.time() + 120
    while psql(DATABASE, f"SELECT count(*) FROM complaints WHERE state IN {OPEN_STATES} AND NOT overdue AND deadline_at < '{stamp}'") != "0":
        if time.time() > deadline:
            fail("the deadline job did not act on every due case within 120 s")
        time.sleep(0.5)
    time.sleep(2)  # a few more ticks of both replicas: none may act again
    events = psql(DATABASE, f"""SELECT count(*) || ' ' || count(DISTINCT entity_id) FROM audit_events
                                WHERE action = 'complaint.overdue' AND occurred_at >= '{stamp}'::timestamptz - interval '1 second'""")
    acted = [scrape(i).get('redress_deadline_job_actions_total{action="mark_overdue"}', 0) for i in range(2)]
    check(due > 50 and events == f"{due} {due}" and sum(acted) == due,
          f"{due} due cases, each marked overdue exactly once across two replicas ({events}; replica 1 {acted[0]:.0f}, replica 2 {acted[1]:.0f})")
    # The clock stands still at `stamp`: whatever the number of ticks, one anchor per second of it.
    anchors = int(psql(DATABASE, "SELECT count(*) FROM audit_anchors")) - anchors_before
    made = [scrape(i).get("redress_audit_anchors_created_total", 0) for i in range(2)]
    check(anchors == 1 and sum(made) == 1,
          f"both replicas anchoring every second made one anchor between them ({anchors}; {made[0]:.0f} + {made[1]:.0f})")
    verify = subprocess.run([REDRESS, "audit", "verify"], capture_output=True, text=True)
    check(verify.returncode == 0, "every audit chain verifies afterwards")

    # The second replica's log: JSON lines only, one per request, nothing personal or secret.
    for process in replicas:
        process.terminate()
        process.wait(timeout=30)
    lines = open(f"{OUT}/replica-2.log").read().splitlines() + open(f"{OUT}/replica-2-later.log").read().splitlines()
    try:
        events = [json.loads(line) for line in lines]
    except ValueError as error:
        fail(f"a line of the JSON log is not JSON: {error}")
    requests = [event for event in events if event.get("message") == "request"]
    text = "\n".join(lines)
    leaked = [secret for secret in [consumer, staff, "redress-demo-2026", "wrong-password-123", "@demo.redress.test"] if secret in text]
    check(requests and all({"request_id", "route", "status", "duration_ms", "account_id"} <= set(event) for event in requests) and not leaked,
          f"replica 2 wrote {len(events)} JSON lines, {len(requests)} of them requests with id, route, status, duration and account; "
          f"no token, password or e-mail in any ({leaked})")
finally:
    if nginx:
        nginx.terminate()
    for process in replicas:
        if process.poll() is None:
            process.terminate()
    for process in replicas:
        process.wait(timeout=30)
