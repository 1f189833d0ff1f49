#!/usr/bin/env python3
"""An SMTP server for the tests (aiosmtpd): STARTTLS required, then AUTH PLAIN with the given user,
as a real mail provider asks. What it accepts is kept in memory and served as JSON on a second,
plain HTTP port on loopback:
  GET /messages             every message accepted, in order: {"from", "to", "tls", "data"}
Usage: smtp_receiver.py CERT KEY USER PASSWORD PORT_FILE
The port file gets "<smtp port> <http port>" once both listen.
"""
import json
import os
import socket
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

lock = threading.Lock()
messages = []


class Handler:
    async def handle_DATA(self, server, session, envelope):
        with lock:
            messages.append({
                "from": envelope.mail_from,
                "to": list(envelope.rcpt_tos),
                "tls": session.ssl is not None,
                "authenticated": bool(session.authenticated),
                "data": envelope.content.decode("utf-8", "replace"),
            })
        return "250 Message accepted"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == user.encode() and auth_data.password == password.encode()
        return AuthResult(success=ok, handled=False)
    return check


class Mailbox(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        with lock:
            data = json.dumps(messages).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    cert, key, user, password, port_file = sys.argv[1:6]
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    port = free_port()
    controller = Controller(
        Handler(), hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
        authenticator=authenticator(user, password), auth_require_tls=True, auth_required=True)
    controller.start()
    mailbox = ThreadingHTTPServer(("127.0.0.1", 0), Mailbox)
    with open(port_file + ".tmp", "w") as f:
        f.write(f"{port} {mailbox.server_address[1]}")
    os.replace(port_file + ".tmp", port_file)
    mailbox.serve_forever()


if __name__ == "__main__":
    main()
