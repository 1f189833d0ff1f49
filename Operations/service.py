"""What the operations checks share: starting `redress serve`, waiting for it, reading /metrics."""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "Reliability"))
import client  # noqa: E402  (Reliability/client.py: one connection per request, never an exception)

REDRESS = os.environ.get("OPS_REDRESS", ".build/debug/redress")
OUT = ".build/operations"
os.makedirs(OUT, exist_ok=True)


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(name, port, **environment):
    """`redress serve` on `port` with extra environment; its log goes to .build/operations/NAME.log."""
    log = open(f"{OUT}/{name}.log", "w")
    env = dict(os.environ, REDRESS_BCRYPT_COST="10", REDRESS_LOG_LEVEL=os.environ.get("REDRESS_LOG_LEVEL", "notice"))
    env.update({key: str(value) for key, value in environment.items()})
    return subprocess.Popen([REDRESS, "serve", "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, env=env)


def wait_ready(port, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if client.request(port, "GET", "/ready", timeout=2)[0] == 200:
            return
        time.sleep(0.1)
    fail(f"the service on port {port} was not ready within {seconds} s")


def metrics(port):
    """{series: value} of the exposition on `port`, e.g. 'redress_report_reads_total{source="standby"}'."""
    import http.client
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/metrics")
    text = connection.getresponse().read().decode()
    connection.close()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            series, _, value = line.rpartition(" ")
            values[series] = float(value)
    return values


def login(port, email, password="redress-demo-2026"):
    status, body = client.request(port, "POST", "/api/v1/auth/login", body={"email": email, "password": password})
    if status != 200:
        fail(f"cannot sign in as {email}: {status} {body}")
    return body["token"]


def psql(url, sql):
    done = subprocess.run(["psql", url, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql], capture_output=True, text=True)
    if done.returncode != 0:
        fail(f"psql: {done.stderr.strip()}\n{sql}")
    return done.stdout.strip()


def fail(message):
    print(f"FAILED: {message}", flush=True)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)
    print(f"ok: {message}", flush=True)
