#!/usr/bin/env bash
# Starts the tests' real receivers in FOLDER and prints the environment that names them (evaluated
# by with-test-postgres.sh): a certificate authority of the run's own and a server certificate for
# 127.0.0.1 it signed; an HTTPS webhook receiver (Tests/Receivers/webhook_receiver.py) and an SMTP
# server that requires STARTTLS and a password (Tests/Receivers/smtp_receiver.py, aiosmtpd from
# PyPI, installed into .build/venv-receivers when the machine lacks it), both with that certificate.
# Prints REDRESS_TEST_CA_FILE, REDRESS_TEST_WEBHOOK_RECEIVER, REDRESS_TEST_SMTP_URL and
# REDRESS_TEST_MAILBOX (the SMTP server's received mail as JSON); the processes' ids are in FOLDER/*.pid.
set -euo pipefail
folder="$1"
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$folder"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Redress test authority" \
    -keyout "$folder/ca.key" -out "$folder/ca.pem" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$folder/server.key" -out "$folder/server.csr" >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$folder/server.ext"
openssl x509 -req -in "$folder/server.csr" -CA "$folder/ca.pem" -CAkey "$folder/ca.key" -CAcreateserial -days 2 \
    -extfile "$folder/server.ext" -out "$folder/server.pem" >/dev/null 2>&1
python3 "$root/Tests/Receivers/webhook_receiver.py" "$folder/server.pem" "$folder/server.key" "$folder/webhook.port" \
    >"$folder/webhook.log" 2>&1 &
echo "$!" > "$folder/webhook.pid"
for _ in $(seq 1 100); do [ -s "$folder/webhook.port" ] && break; sleep 0.1; done
[ -s "$folder/webhook.port" ] || { cat "$folder/webhook.log" >&2; echo "the webhook receiver did not start" >&2; exit 1; }
python=python3
if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
    venv="$root/.build/venv-receivers"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv" >&2
    "$venv/bin/python" -c 'import aiosmtpd' 2>/dev/null || "$venv/bin/pip" install --quiet aiosmtpd >&2
    python="$venv/bin/python"
fi
"$python" "$root/Tests/Receivers/smtp_receiver.py" "$folder/server.pem" "$folder/server.key" redress mail-secret "$folder/smtp.port" \
    >"$folder/smtp.log" 2>&1 &
echo "$!" > "$folder/smtp.pid"
for _ in $(seq 1 100); do [ -s "$folder/smtp.port" ] && break; sleep 0.1; done
[ -s "$folder/smtp.port" ] || { cat "$folder/smtp.log" >&2; echo "the SMTP receiver did not start" >&2; exit 1; }
read -r smtp_port mailbox_port < "$folder/smtp.port" || true
echo "export REDRESS_TEST_SMTP_URL='smtp://redress:mail-secret@127.0.0.1:$smtp_port'"
echo "export REDRESS_TEST_MAILBOX='http://127.0.0.1:$mailbox_port'"
echo "export REDRESS_TEST_CA_FILE='$folder/ca.pem'"
echo "export REDRESS_TEST_WEBHOOK_RECEIVER='https://127.0.0.1:$(cat "$folder/webhook.port")'"
