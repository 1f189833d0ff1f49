#!/usr/bin/env python3
"""A webhook receiver for the tests, over HTTPS with a certificate of the test run's own authority.

It checks every delivery's signature as a platform's helpdesk would (HMAC-SHA256 of "t.body" with
the endpoint's secret, the time within five minutes) and records what it received. Each endpoint is a
path, /hooks/<name>; the tests drive it through:
  POST /control/<name>  {"secrets": [...], "fail": n, "status": code, "redirect": url, "delay": s}
                        sets the secrets it checks with, fails the next n deliveries (503), answers
                        every later one with `status`, redirects, or waits `delay` seconds first
  GET  /received/<name> every delivery received, in order, with "signature_valid"
Usage: webhook_receiver.py CERT KEY PORT_FILE [PORT [LOG]]
PORT: listen there (default: any free port); LOG: also append every delivery to this file as a JSON
line, so that what was received outlives a restart of the receiver. RECEIVER_SECRETS (a JSON object,
endpoint name to secrets) sets the secrets before the first delivery can arrive.
"""
import hashlib
import hmac
import json
import os
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

lock = threading.Lock()
endpoints = {}
log_file = None


def endpoint(name):
    return endpoints.setdefault(name, {"secrets": [], "fail": 0, "status": 200, "redirect": None, "delay": 0, "received": []})


def signature_valid(header, body, secrets):
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in parts if k == "t"]
    given = [v for k, v in parts if k == "v1"]
    if len(stamps) != 1 or not given or abs(time.time() - int(stamps[0])) > 300:
        return False
    message = stamps[0].encode() + b"." + body
    expected = [hmac.new(s.encode(), message, hashlib.sha256).hexdigest() for s in secrets]
    return any(hmac.compare_digest(e, g) for e in expected for g in given)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, payload=None, headers=()):
        data = json.dumps(payload).encode() if payload is not None else b""
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self):
        if self.path.startswith("/received/"):
            with lock:
                received = list(endpoint(self.path[len("/received/"):])["received"])
            return self.answer(200, received)
        self.answer(404, {})

    def do_POST(self):
        body = self.read_body()
        if self.path.startswith("/control/"):
            with lock:
                state = endpoint(self.path[len("/control/"):])
                state.update(json.loads(body or b"{}"))
            return self.answer(200, {})
        if not self.path.startswith("/hooks/"):
            return self.answer(404, {})
        with lock:
            state = endpoint(self.path[len("/hooks/"):])
            delay, redirect = state["delay"], state["redirect"]
            failing = state["fail"] > 0
            if failing:
                state["fail"] -= 1
            status = 503 if failing else (302 if redirect else state["status"])
            record = {
                "event_id": self.headers.get("Redress-Event-Id"),
                "event_type": self.headers.get("Redress-Event-Type"),
                "delivery_id": self.headers.get("Redress-Delivery-Id"),
                "attempt": self.headers.get("Redress-Delivery-Attempt"),
                "signatures": self.headers.get("Redress-Signature", "").count("v1="),
                "signature_valid": signature_valid(self.headers.get("Redress-Signature", ""), body, state["secrets"]),
                "body": json.loads(body) if body else None,
                "answered": status,
            }
            state["received"].append(record)
            if log_file:
                with open(log_file, "a") as f:
                    f.write(json.dumps(dict(record, endpoint=self.path[len("/hooks/"):])) + "\n")
        if delay:
            time.sleep(delay)
        self.answer(status, {}, [("Location", redirect)] if redirect and not failing else ())


def main():
    global log_file
    cert, key, port_file = sys.argv[1:4]
    port = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    log_file = sys.argv[5] if len(sys.argv) > 5 else None
    for name, secrets in json.loads(os.environ.get("RECEIVER_SECRETS", "{}")).items():
        endpoint(name)["secrets"] = secrets
    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(port_file + ".tmp", port_file)
    server.serve_forever()


if __name__ == "__main__":
    main()
