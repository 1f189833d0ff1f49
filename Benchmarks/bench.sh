#!/usr/bin/env bash
# `make bench`: Redress measured on this machine, at volume (see Docs/benchmarks.md for the last run).
#
# A fresh PostgreSQL on loopback (durability settings at their defaults), a release build, a world
# written by `redress demo generate`, then the service under wrk at 8 and 32 connections for each
# kind of request, with its peak memory; its start-up time; `redress audit verify` over every event.
# Sizes and durations come from the environment:
#   BENCH_COMPLAINTS (1000000) BENCH_CONSUMERS (200000) BENCH_PLATFORMS (100) BENCH_MERCHANTS (2000)
#   BENCH_SECONDS (5, per run) BENCH_WARMUP_SECONDS (2, an unmeasured run before each read) BENCH_CONNECTIONS ("8 32")
# Intake is measured twice more on a service whose webhook workers deliver every event to an endpoint of
# each platform (nginx over HTTPS on loopback, answering 204): what the outbox costs a filing.
#   BENCH_KEEP=1 leaves the database running afterwards (its address is printed) for a closer look.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
complaints="${BENCH_COMPLAINTS:-1000000}"
consumers="${BENCH_CONSUMERS:-200000}"
platforms="${BENCH_PLATFORMS:-100}"
merchants="${BENCH_MERCHANTS:-2000}"
seconds="${BENCH_SECONDS:-5}"
warmup="${BENCH_WARMUP_SECONDS:-2}"
connections="${BENCH_CONNECTIONS:-8 32}"
threads=2

Deploy/ensure-postgres.sh
Deploy/ensure-zlib.sh
Deploy/ensure-nginx.sh
if ! command -v wrk >/dev/null 2>&1; then
    [ "$(id -u)" = 0 ] || { echo "wrk is missing: sudo apt-get install wrk" >&2; exit 1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
swift build -c release --product redress >&2
redress="$root/.build/release/redress"

source "$root/Benchmarks/lib.sh"
work="$(mktemp -d /tmp/redress-bench.XXXXXX)"
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
    [ -s "$work/hooks/nginx.pid" ] && kill "$(cat "$work/hooks/nginx.pid")" 2>/dev/null || true
    if [ -n "${BENCH_KEEP:-}" ]; then
        echo "kept: DATABASE_URL=$DATABASE_URL (data in $work/data; stop with pg_ctl -D $work/data stop)" >&2
        return
    fi
    stop_postgres
    rm -rf "$work"
}
trap cleanup EXIT

start_postgres
redress_bench_env

echo "# Redress benchmark"
echo
echo "Run on $(date -u +%Y-%m-%dT%H:%M:%SZ): $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo), $("$pgbin/postgres" --version), $(swift --version 2>/dev/null | head -n 1)."
echo "Sizes: $complaints complaints, $consumers consumers, $platforms platforms, $merchants merchants; ${seconds} s per run (reads after an unmeasured ${warmup} s), $threads wrk threads."
echo

"$redress" migrate >/dev/null 2>&1
echo "## Encoding"
echo
echo "One page of 50 complaints written as JSON by each candidate (\`redress bench-encoding\`; the service uses the fastest):"
echo
echo '```'
"$redress" bench-encoding --items 50 --rounds 2000
echo '```'
echo
echo "## Loading"
echo
echo '```'
"$redress" demo generate --complaints "$complaints" --consumers "$consumers" --platforms "$platforms" --merchants "$merchants" 2>/dev/null
echo '```'
echo

# Callers and their sessions, and the filers' platforms (Benchmarks/lib.sh).
data="$work/callers"
mkdir -p "$data"
bench_callers "$data/intake.txt"
"${psql[@]}" -c "SELECT 'bench-' || c.consumer_id, '/api/v1/complaints/' || c.id FROM complaints c WHERE c.consumer_id IN (SELECT id FROM accounts WHERE role = 'consumer' ORDER BY id LIMIT 2000) LIMIT 20000" > "$data/read.txt"
"${psql[@]}" -c "SELECT 'bench-' || id, '/api/v1/complaints?limit=20' FROM accounts WHERE role = 'consumer' ORDER BY id LIMIT 2000" > "$data/consumer-list.txt"
"${psql[@]}" -c "SELECT 'bench-' || id, '/api/v1/complaints?state=awaiting_platform&limit=50' FROM accounts WHERE role = 'platform_staff'" > "$data/platform-open.txt"
"${psql[@]}" -c "SELECT 'bench-' || id, '/api/v1/triage?limit=50' FROM accounts WHERE role = 'mediator'" > "$data/triage.txt"
"${psql[@]}" -c "SELECT 'bench-' || id, '/api/v1/stats/platforms/' || organization_id FROM accounts WHERE role = 'platform_staff'" > "$data/stats.txt"
echo "- /public/v1/reports/platforms" > "$data/report.txt"
# Search: platform staff look up an order number of their platform; mediators search a common Chinese
# word (卡密, in a quarter of all texts) among the cases before their body.
"${psql[@]}" -c "SELECT 'bench-' || s.id, '/api/v1/search/complaints?limit=20&q=' || c.order_no FROM complaints c JOIN accounts s ON s.organization_id = c.platform_id AND s.role = 'platform_staff' ORDER BY random() LIMIT 5000" > "$data/search-order.txt"
"${psql[@]}" -c "SELECT 'bench-' || id, '/api/v1/search/complaints?limit=20&q=%E5%8D%A1%E5%AF%86' FROM accounts WHERE role IN ('mediator', 'mediation_lead')" > "$data/search-word.txt"
# Answers: the cases awaiting their platform when the run starts (those filed by the intake runs
# included, those answered by an earlier run not), each answered once, with a refund the order's
# amount allows.
answerable() {
    "${psql[@]}" -c "SELECT 'bench-' || s.id, c.id, least(c.amount_paid, 10000) FROM complaints c JOIN accounts s ON s.organization_id = c.platform_id AND s.role = 'platform_staff' WHERE c.state = 'awaiting_platform' ORDER BY random()"
}

# The ceiling's callers, as pgbench reads them (Benchmarks/pgbench/README.md).
"${psql[@]}" >/dev/null <<'SQL'
CREATE SCHEMA bench;
CREATE TABLE bench.callers AS
    SELECT row_number() OVER (ORDER BY a.id) AS n, a.id AS account_id, s.token_digest
    FROM accounts a JOIN sessions s ON s.account_id = a.id WHERE a.role = 'consumer';
CREATE TABLE bench.platforms AS SELECT row_number() OVER (ORDER BY id) AS n, id FROM platforms;
CREATE TABLE bench.open_cases AS
    SELECT row_number() OVER (ORDER BY c.id) AS n, c.id AS complaint, a.id AS staff, c.platform_id AS platform, s.token_digest
    FROM complaints c JOIN accounts a ON a.organization_id = c.platform_id AND a.role = 'platform_staff'
    JOIN sessions s ON s.account_id = a.id WHERE c.state = 'awaiting_platform';
-- What the service writes in Swift and binds (the audit content, the demands, an answer), with {placeholders}.
CREATE TABLE bench.templates (name text PRIMARY KEY, content text NOT NULL);
INSERT INTO bench.templates VALUES
    ('complaint.submit', '{"action":"complaint.submit","actor":{"account_id":"{consumer}","role":"consumer"},"changes":{"amount_paid":{"after":10000},"category":{"after":"non_delivery"},"deadline_at":{"after":"2026-12-08T15:59:59.999Z"},"description":{"after":{"digest":"hmac-sha256:0000000000000000000000000000000000000000000000000000000000000000"}},"merchant_id":{"after":null},"order_no":{"after":{"digest":"hmac-sha256:0000000000000000000000000000000000000000000000000000000000000000"}},"platform_id":{"after":"{platform}"},"refund_claimed":{"after":10000},"state":{"after":"awaiting_platform"},"title":{"after":{"digest":"hmac-sha256:0000000000000000000000000000000000000000000000000000000000000000"}}},"client_address":"127.0.0.1","entity":{"id":"{complaint}","type":"complaint"},"occurred_at":"2026-11-25T10:00:00.000Z","request_id":"00000000-0000-0000-0000-000000000000","v":1}'),
    ('complaint.respond', '{"action":"complaint.respond","actor":{"account_id":"{staff}","organization_id":"{platform}","role":"platform_staff"},"changes":{"answer_decision":{"after":"propose"},"proposed_refund":{"after":10000},"version":{"after":2,"before":1}},"client_address":"127.0.0.1","entity":{"id":"{complaint}","type":"complaint"},"occurred_at":"2026-11-25T10:00:00.000Z","request_id":"00000000-0000-0000-0000-000000000000","v":1}'),
    ('demands', '[{"amount":10000,"kind":"refund"}]'),
    ('answer', '{"decision":"propose","proposal":{"apology":false,"refund":10000,"reissue":false,"text":"核实后全额退款"}}');
ALTER TABLE bench.callers ADD PRIMARY KEY (n);
ALTER TABLE bench.platforms ADD PRIMARY KEY (n);
ALTER TABLE bench.open_cases ADD PRIMARY KEY (n);
-- The physical ceiling's tables (pgbench/durable.sql): the two rows of a filing, primary keys only.
CREATE TABLE bench.bare_complaints (LIKE complaints INCLUDING DEFAULTS, PRIMARY KEY (id));
CREATE TABLE bench.bare_audit_events (LIKE audit_events INCLUDING DEFAULTS, PRIMARY KEY (chain_id, seq));
GRANT USAGE ON SCHEMA bench TO redress_app;
GRANT SELECT ON ALL TABLES IN SCHEMA bench TO redress_app;
GRANT INSERT ON bench.bare_complaints, bench.bare_audit_events TO redress_app;
SQL
request_password="$("${psql[@]}" -c "SELECT value FROM redress_private.secrets WHERE name = 'request_role_password'")"
callers="$("${psql[@]}" -c "SELECT count(*) FROM bench.callers")"
platform_count="$("${psql[@]}" -c "SELECT count(*) FROM bench.platforms")"
open_cases="$("${psql[@]}" -c "SELECT count(*) FROM bench.open_cases")"

# pgbench with one of the scripts, as the request role; prints "tps avg-latency".
ceiling() {
    local script="$1" conns="$2"
    PGPASSWORD="$request_password" "$pgbin/pgbench" -h 127.0.0.1 -p "$pgport" -U redress_request -n -M prepared -c "$conns" -j "$threads" \
        -T "$seconds" -D callers="$callers" -D platforms="$platform_count" -D open_cases="$open_cases" \
        -f "$root/Benchmarks/pgbench/$script" postgres 2>&1 \
        | awk '/^tps =/ {tps=$3} /^latency average/ {lat=$4} /failed/ {failed=$0} END {printf "%.0f %s\n", tps, lat}'
}

port="$(free_port)"
start_service() {
    local started
    started="$(date +%s.%N)"
    env "$@" "$redress" serve --port "$port" >"$work/serve.log" 2>&1 &
    server_pid=$!
    wait_ready "http://127.0.0.1:$port/ready" "$server_pid" "$work/serve.log"
    startup="$(python3 -c "print(f'{$(date +%s.%N) - $started:.2f}')")"
    # The deadline job's first pass runs as the service starts, and at a million complaints it would
    # share PostgreSQL with the first runs: they start once it has been counted (10 minutes at most).
    local polls=0
    until curl -fs "http://127.0.0.1:$port/metrics" 2>/dev/null | grep -Eq '^redress_deadline_job_runs_total\{[^}]*\} [1-9]'; do
        polls=$((polls + 1))
        if [ "$polls" -ge 3000 ]; then echo "the deadline job's first pass had not ended after 10 minutes" >&2; break; fi
        sleep 0.2
    done
}
stop_service() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""; }

# CPU time in clock ticks of the service (PostgreSQL's: `postgres_ticks`, Benchmarks/lib.sh).
service_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat" 2>/dev/null || echo 0; }

# Filings and answers leave mail to send (the platform's staff, the consumer); the service's mail
# worker turns their events into mail and sends it in the background, a few hundred a second. A run
# starts once no event waits and no mail is due or being sent (a mail that failed waits for its retry
# and does not count), so that it measures its own requests and not the mail of the run before
# (2 minutes at most).
mail_settled() {
    local polls=0
    until [ "$("${psql[@]}" -c "SELECT (SELECT count(*) FROM notification_queue)
            + (SELECT count(*) FROM mail_outbox WHERE state = 'pending' AND (next_attempt_at <= now() OR last_error IS NULL))")" = 0 ]; do
        polls=$((polls + 1))
        if [ "$polls" -ge 600 ]; then echo "mail was still being sent when a run started, after 2 minutes" >&2; break; fi
        sleep 0.2
    done
}

# One wrk run; prints a table row with the CPU each request cost the service and PostgreSQL (which
# moves far less between runs than throughput on a shared machine) and the service's peak memory.
measure() {
    local name="$1" script="$2" file="$3" conns="$4" peak=0 rss sampler result service_before postgres_before requests
    local wrk_threads=$(( conns < threads ? conns : threads ))
    mail_settled
    echo 0 > "$work/peak"
    ( peak=0; while kill -0 "$server_pid" 2>/dev/null; do
          rss="$(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status" 2>/dev/null || echo 0)"
          # Written whole (then renamed): the sampler may be stopped at any moment.
          [ "${rss:-0}" -gt "$peak" ] && peak="$rss" && echo "$peak" > "$work/peak.new" && mv "$work/peak.new" "$work/peak"
          sleep 0.1
      done ) & sampler=$!
    # Reads are measured warm, as a service that has been up a while serves them: a first run of the
    # same requests, not measured (each caller's session looked up once, each pooled connection's
    # statements prepared). Filings and answers change the store and are not repeated.
    if [ "$script" = get.lua ] && [ "$warmup" != 0 ]; then
        BENCH_SCRIPTS="$root/Benchmarks/wrk" BENCH_DATA="$file" BENCH_THREADS="$wrk_threads" \
            wrk -t"$wrk_threads" -c"$conns" -d"${warmup}s" --timeout 10s -s "$root/Benchmarks/wrk/$script" "http://127.0.0.1:$port" >/dev/null 2>&1 || true
    fi
    service_before="$(service_ticks)"
    postgres_before="$(postgres_ticks)"
    result="$(BENCH_SCRIPTS="$root/Benchmarks/wrk" BENCH_DATA="$file" BENCH_THREADS="$wrk_threads" \
        wrk -t"$wrk_threads" -c"$conns" -d"${seconds}s" --timeout 10s -s "$root/Benchmarks/wrk/$script" "http://127.0.0.1:$port" | grep '^RESULT' || echo "RESULT failed")"
    kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true
    peak="$(cat "$work/peak")"
    requests="$(echo "$result" | sed -n 's/.*requests=\([0-9]*\).*/\1/p' | grep . || echo 0)"
    service_cpu["$name/$conns"]="$(per_request "$service_before" "$(service_ticks)" "$requests")"
    postgres_cpu["$name/$conns"]="$(per_request "$postgres_before" "$(postgres_ticks)" "$requests")"
    # A run that completed no request measured no CPU either: it misses the CPU targets.
    if [ "$requests" = 0 ]; then service_cpu["$name/$conns"]=999; postgres_cpu["$name/$conns"]=999; fi
    echo "| $name | $conns | ${result#RESULT } | ${service_cpu["$name/$conns"]} + ${postgres_cpu["$name/$conns"]} ms | $((peak / 1024)) MiB |"
    service_rps["$name/$conns"]="$(echo "$result" | sed -n 's/.*rps=\([0-9]*\).*/\1/p')"
    service_p50["$name/$conns"]="$(echo "$result" | sed -n 's/.*p50=\([0-9.]*\)ms.*/\1/p')"
    service_p99["$name/$conns"]="$(echo "$result" | sed -n 's/.*p99=\([0-9.]*\)ms.*/\1/p')"
    errors_total=$((errors_total + $(echo "$result" | sed -n 's/.*errors=\([0-9]*\).*/\1/p' | grep . || echo 1)))
    # A run that completed no request measured nothing: it misses every target it is part of.
    if [ "$(echo "$result" | sed -n 's/.*requests=\([0-9]*\).*/\1/p')" = 0 ]; then
        service_p50["$name/$conns"]=999999
        service_p99["$name/$conns"]=999999
        errors_total=$((errors_total + 1))
    fi
    [ "$conns" = "$(echo $connections | awk '{print $NF}')" ] && [ "$((peak / 1024))" -gt "$peak_at_most" ] && peak_at_most=$((peak / 1024))
    return 0
}

declare -A service_rps service_p50 service_p99 service_cpu postgres_cpu
errors_total=0
peak_at_most=0
echo "## The service"
echo
start_service
echo "Start-up to \`/ready\` on the existing database: ${startup} s."
echo

# Planted cases: thirty filings against one company's merchants on three platforms (one credit
# code), naming a product and words no generated case holds. The search must find exactly a
# platform's own ten among a million; the cluster job (after the loads) must put all thirty in one
# cluster.
planted_code="$(python3 -c "
alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY'; weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
body = '91440300MA5PLANT0'; check = (31 - sum(alphabet.index(c) * w for c, w in zip(body, weights)) % 31) % 31
print(body + alphabet[check])")"
mapfile -t planted_places < <("${psql[@]}" -c "SELECT DISTINCT ON (platform_id) platform_id, id FROM merchants ORDER BY platform_id, id LIMIT 3")
planted_admin="$("${psql[@]}" -c "SELECT 'bench-' || id FROM accounts WHERE role = 'admin' LIMIT 1")"
for place in "${planted_places[@]}"; do
    read -r planted_platform planted_merchant <<<"$place"
    curl -s -o /dev/null -X PATCH "http://127.0.0.1:$port/api/v1/platforms/$planted_platform/merchants/$planted_merchant" \
        -H "Authorization: Bearer $planted_admin" -H 'Content-Type: application/json' -d "{\"credit_code\":\"$planted_code\"}"
done
mapfile -t planted_filers < <("${psql[@]}" -c "SELECT 'bench-' || id FROM accounts WHERE role = 'consumer' ORDER BY id LIMIT 30")
planted_filed=0
for n in $(seq 0 29); do
    read -r planted_platform planted_merchant <<<"${planted_places[$((n % 3))]}"
    status="$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/api/v1/complaints" \
        -H "Authorization: Bearer ${planted_filers[$n]}" -H 'Content-Type: application/json' \
        -d "{\"platform_id\":\"$planted_platform\",\"merchant_id\":\"$planted_merchant\",\"category\":\"non_delivery\",\"title\":\"龙渊阁点券付款后未到账\",\"description\":\"在龙渊阁购买点券，付款成功后点券一直未到账，商家失联。第$((n + 1))位。\",\"order\":{\"order_no\":\"LYG2026$n\",\"product_name\":\"龙渊阁点券 648元\",\"amount_paid\":64800,\"currency\":\"CNY\"},\"demands\":[{\"kind\":\"refund\",\"amount\":64800}]}")"
    [ "$status" = 201 ] && planted_filed=$((planted_filed + 1))
done
read -r planted_platform _ <<<"${planted_places[0]}"
planted_staff="$("${psql[@]}" -c "SELECT 'bench-' || id FROM accounts WHERE role = 'platform_staff' AND organization_id = '$planted_platform' LIMIT 1")"
planted_found="$(curl -s "http://127.0.0.1:$port/api/v1/search/complaints?limit=50&q=%E9%BE%99%E6%B8%8A%E9%98%81" -H "Authorization: Bearer $planted_staff" \
    | python3 -c "import json, sys; items = json.load(sys.stdin).get('items', []); print(len(items), sum('龙渊阁' not in (i.get('complaint', {}).get('title') or '') for i in items))")"
echo "Planted: $planted_filed of 30 filings against one company's merchants on three platforms; platform staff searching 龙渊阁 find ${planted_found%% *} cases, ${planted_found##* } of them not planted (their platform's share is 10)."
echo
echo "| load | connections | figures | CPU per request: service + PostgreSQL | peak RSS |"
echo "| --- | --- | --- | --- | --- |"
for conns in $connections; do
    measure "read a complaint by id" get.lua "$data/read.txt" "$conns"
    measure "a consumer's own list" get.lua "$data/consumer-list.txt" "$conns"
    measure "a platform's open complaints, first page" get.lua "$data/platform-open.txt" "$conns"
    measure "a mediation body's triage queue" get.lua "$data/triage.txt" "$conns"
    measure "one platform's statistics, 12 months" get.lua "$data/stats.txt" "$conns"
    measure "public report, cached" get.lua "$data/report.txt" "$conns"
    measure "search: an order number (platform staff)" get.lua "$data/search-order.txt" "$conns"
    measure "search: a common Chinese word (mediators)" get.lua "$data/search-word.txt" "$conns"
    measure "intake (POST /api/v1/complaints)" intake.lua "$data/intake.txt" "$conns"
    answerable > "$data/answer-$conns.txt"
    measure "answer (respond)" answer.lua "$data/answer-$conns.txt" "$conns"
done
# One request at a time: what a request costs alone, without waiting for the others.
measure "one platform's statistics, 12 months" get.lua "$data/stats.txt" 1
stop_service
start_service REDRESS_REPORT_CACHE_SECONDS=0
for conns in 1 $connections; do
    measure "public report, uncached" get.lua "$data/report.txt" "$conns"
done
stop_service
echo

# The outbox's cost: intake without webhook endpoints, then with one endpoint per platform that wants
# every event, its deliveries sent by the service's own workers while consumers file. After each run
# with endpoints, the time until every delivery is made, then the endpoints are disabled again.
hooks="$work/hooks"
mkdir -p "$hooks"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Redress bench authority" \
    -keyout "$hooks/ca.key" -out "$hooks/ca.pem" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$hooks/server.key" -out "$hooks/server.csr" >/dev/null 2>&1
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$hooks/server.ext"
openssl x509 -req -in "$hooks/server.csr" -CA "$hooks/ca.pem" -CAkey "$hooks/ca.key" -CAcreateserial -days 2 \
    -extfile "$hooks/server.ext" -out "$hooks/server.pem" >/dev/null 2>&1
hook_port="$(free_port)"
cat > "$hooks/nginx.conf" <<NGINX
$([ "$(id -u)" = 0 ] && echo "user root;")
worker_processes 1;
pid $hooks/nginx.pid;
error_log $hooks/error.log;
events { worker_connections 1024; }
http {
    log_format deliveries '\$connection \$status';
    access_log $hooks/access.log deliveries;
    client_body_temp_path $hooks/client_body;
    proxy_temp_path $hooks/proxy;
    fastcgi_temp_path $hooks/fastcgi;
    uwsgi_temp_path $hooks/uwsgi;
    scgi_temp_path $hooks/scgi;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:$hook_port ssl;
        ssl_certificate $hooks/server.pem;
        ssl_certificate_key $hooks/server.key;
        location / { return 204; }
    }
}
NGINX
"$(command -v nginx || echo /usr/sbin/nginx)" -p "$hooks" -c "$hooks/nginx.conf" -e "$hooks/error.log"
received() { cat "$hooks/access.log" 2>/dev/null | grep -c ' 204$' || true; }
connections_used() { tail -n +"$(( $1 + 1 ))" "$hooks/access.log" 2>/dev/null | awk '{print $1}' | sort -u | wc -l; }
deliveries_in() { "${psql[@]}" -c "SELECT count(*) FROM webhook_deliveries WHERE state = '$1'"; }
api() { curl -fsS -X "$1" -H "Authorization: Bearer $2" -H 'Content-Type: application/json' -d "$4" "http://127.0.0.1:$port$3"; }
admins="$("${psql[@]}" -c "SELECT 'bench-' || id FROM accounts WHERE role = 'platform_admin' ORDER BY organization_id")"
declare -A outbox_rps outbox_note
start_service REDRESS_WEBHOOK_ALLOWED_NETWORKS=127.0.0.0/8 REDRESS_WEBHOOK_CA_FILE="$hooks/ca.pem"
endpoints=()
for conns in $connections; do
    measure "intake, no webhook endpoints" intake.lua "$data/intake.txt" "$conns" >/dev/null
    outbox_rps["without/$conns"]="${service_rps["intake, no webhook endpoints/$conns"]}"
    if [ "${#endpoints[@]}" = 0 ]; then
        for admin in $admins; do
            endpoints+=("$admin $(api POST "$admin" /api/v1/webhooks "{\"url\":\"https://127.0.0.1:$hook_port/hooks\",\"event_types\":[\"*\"]}" \
                | python3 -c 'import json, sys; print(json.load(sys.stdin)["endpoint"]["id"])')")
        done
    else
        for endpoint in "${endpoints[@]}"; do
            read -r admin id <<< "$endpoint"
            api PATCH "$admin" "/api/v1/webhooks/$id" '{"disabled":false}' >/dev/null
        done
    fi
    made_before="$("${psql[@]}" -c "SELECT count(*) FROM webhook_deliveries")"
    delivered_before="$(deliveries_in delivered)"
    received_before="$(received)"
    measure "intake, every platform's webhook receiving" intake.lua "$data/intake.txt" "$conns" >/dev/null
    outbox_rps["with/$conns"]="${service_rps["intake, every platform's webhook receiving/$conns"]}"
    made="$(( $("${psql[@]}" -c "SELECT count(*) FROM webhook_deliveries") - made_before ))"
    during="$(( $(deliveries_in delivered) - delivered_before ))"
    drain_started="$(date +%s.%N)"
    for _ in $(seq 1 1200); do [ "$(deliveries_in pending)" = 0 ] && break; sleep 0.25; done
    drain="$(python3 -c "print(f'{$(date +%s.%N) - $drain_started:.1f}')")"
    pending="$(deliveries_in pending)"
    dead="$("${psql[@]}" -c "SELECT count(*) FROM webhook_deliveries WHERE state = 'dead'")"
    outbox_note["$conns"]="$made deliveries, $during made during the run, the rest $drain s after it (pending then: $pending, dead: $dead), $(( $(received) - received_before )) received over $(connections_used "$received_before") connections"
    for endpoint in "${endpoints[@]}"; do
        read -r admin id <<< "$endpoint"
        api PATCH "$admin" "/api/v1/webhooks/$id" '{"disabled":true}' >/dev/null
    done
done
stop_service
echo "## Intake while webhooks are delivered"
echo
echo "Consumers filing as above, first with no webhook endpoint, then with an endpoint per platform (${#endpoints[@]}) that wants every event: nginx over HTTPS on loopback answering 204, fed by the service's own delivery workers while the filings go on."
echo
echo "| connections | filings/s without endpoints | filings/s while delivering | with ÷ without | deliveries |"
echo "| --- | --- | --- | --- | --- |"
declare -A outbox_ratio
for conns in $connections; do
    ratio="$(python3 -c "print(f'{${outbox_rps["with/$conns"]:-0} / max(${outbox_rps["without/$conns"]:-0}, 1):.2f}')")"
    outbox_ratio["$conns"]="$ratio"
    echo "| $conns | ${outbox_rps["without/$conns"]} | ${outbox_rps["with/$conns"]} | $ratio | ${outbox_note["$conns"]} |"
done
echo

declare -A ceiling_ratio
echo "## The ceiling: the same statements straight to PostgreSQL (pgbench)"
echo
echo "pgbench -M prepared (each statement parsed and planned once per connection, as the service does with its fixed statements). \`durable\` is the physical ceiling of a filing: one transaction inserting one complaint row and one audit row into bare copies of the two tables (primary keys only), the least a durable, audited filing can cost; its ratio is intake's."
echo
echo "| statements of | connections | pgbench transactions/s | average latency | service ÷ ceiling |"
echo "| --- | --- | --- | --- | --- |"
for conns in $connections; do
    # durable: the physical ceiling of a filing, one complaint row and one audit row (pgbench/durable.sql).
    for kind in intake answer durable; do
        read -r tps latency < <(ceiling "$kind.sql" "$conns")
        name="intake (POST /api/v1/complaints)"; [ "$kind" = answer ] && name="answer (respond)"
        rps="${service_rps["$name/$conns"]:-0}"
        # A pgbench run that failed (0 transactions) gives no ratio: 0, which misses.
        ratio="$(python3 -c "print(f'{$rps / $tps:.2f}' if $tps > 0 else '0')")"
        ceiling_ratio["$kind/$conns"]="$ratio"
        echo "| $kind | $conns | $tps | ${latency} ms | $ratio |"
    done
done
echo

echo "## Clusters"
echo
echo "The filings of the intake runs above, compared by the cluster job with the recent cases of the same company or product (\`redress clusters\`, once, alone):"
echo
echo '```'
"$redress" clusters 2>/dev/null | tee "$work/clusters"
echo '```'
echo

planted_clusters="$("${psql[@]}" -c "SELECT count(DISTINCT m.cluster_id) || ' ' || count(m.cluster_id) FROM complaints c LEFT JOIN cluster_members m ON m.complaint_id = c.id WHERE c.product_name = '龙渊阁点券 648元'")"
echo "The thirty planted filings: in ${planted_clusters%% *} cluster(s), ${planted_clusters##* } of them clustered."
echo

echo "## Audit verification"
echo
echo '```'
/usr/bin/time -f "wall %e s, peak RSS %M KiB" "$redress" audit verify 2>&1 | grep -v '^$' | tee "$work/verify"
echo '```'
echo

# The issue's targets, read from the figures above (first connection count; memory at the last).
first="$(echo $connections | awk '{print $1}')"
last="$(echo $connections | awk '{print $NF}')"
reads=("read a complaint by id" "a consumer's own list" "a platform's open complaints, first page" "a mediation body's triage queue")
worst_p99=0
for name in "${reads[@]}"; do
    p99="${service_p99["$name/$first"]:-999999}"
    worst_p99="$(python3 -c "print(max($worst_p99, $p99))")"
done
stats_p50="${service_p50["one platform's statistics, 12 months/$first"]:-999999}"
search_p99="$(python3 -c "print(max(${service_p99["search: an order number (platform staff)/$first"]:-999999}, ${service_p99["search: a common Chinese word (mediators)/$first"]:-999999}))")"
cluster_ms="$(sed -n 's/.*(\([0-9.]*\) ms per complaint).*/\1/p' "$work/clusters")"
report_p50="${service_p50["public report, uncached/$first"]:-999999}"
report_alone_p50="${service_p50["public report, uncached/1"]:-999999}"
verify_seconds="$(sed -n 's/^wall \([0-9.]*\) s.*/\1/p' "$work/verify")"
intake_ratio="${ceiling_ratio["intake/$first"]:-0}"
echo "## Against the targets"
echo
echo "| target | measured | |"
echo "| --- | --- | --- |"
echo "| intake ≥ 60 % of the ceiling of its own statements at $first connections | $intake_ratio | $(verdict "$intake_ratio >= 0.6") |"
echo "| intake ÷ the physical ceiling (one complaint row and one audit row per transaction) at $first connections | ${ceiling_ratio["durable/$first"]:-0} | — (what the difference buys: Benchmarks/limits.md) |"
echo "| intake while webhooks are delivered ≥ 90 % of intake without, at $first connections | ${outbox_ratio["$first"]:-0} | $(verdict "${outbox_ratio["$first"]:-0} >= 0.9") |"
echo "| reads and the triage queue: p99 < 10 ms at $first connections | worst p99 ${worst_p99} ms | $(verdict "$worst_p99 < 10") |"
echo "| one platform's 12-month statistics: p50 < 20 ms | ${stats_p50} ms at $first connections, ${service_p50["one platform's statistics, 12 months/1"]:-?} ms alone | $(verdict "$stats_p50 < 20") |"
echo "| the uncached public report: p50 < 20 ms alone | ${report_alone_p50} ms | $(verdict "$report_alone_p50 < 20") |"
echo "| the uncached public report: p50 < 50 ms at $first connections | ${report_p50} ms | $(verdict "$report_p50 < 50") |"
read_cpu="${service_cpu["read a complaint by id/$first"]:-999}"
list_cpu="$(python3 -c "print(max(${service_cpu["a platform's open complaints, first page/$first"]:-999}, ${service_cpu["a mediation body's triage queue/$first"]:-999}))")"
filing_cpu="${service_cpu["intake (POST /api/v1/complaints)/$first"]:-999}"
echo "| service CPU per read by id ≤ 0.3 ms | ${read_cpu} ms | $(verdict "$read_cpu <= 0.3") |"
echo "| service CPU per 50-item list ≤ 1 ms (worse of open complaints and triage) | ${list_cpu} ms | $(verdict "$list_cpu <= 1") |"
echo "| service CPU per filing ≤ 1 ms | ${filing_cpu} ms | $(verdict "$filing_cpu <= 1") |"
echo "| search: p99 < 50 ms at $first connections (worst of the two searches) | ${search_p99} ms | $(verdict "$search_p99 < 50") |"
echo "| search: the planted word finds exactly a platform's 10 planted cases | ${planted_found%% *} found, ${planted_found##* } not planted | $(verdict "'${planted_found}' == '10 0'") |"
echo "| clustering: cost per filing (the job, off the request path) | ${cluster_ms:-?} ms | — |"
echo "| clustering: the 30 planted filings in one cluster | ${planted_clusters##* } in ${planted_clusters%% *} | $(verdict "'${planted_clusters}' == '1 30'") |"
echo "| service memory < 100 MiB at $last connections | ${peak_at_most} MiB | $(verdict "$peak_at_most < 100") |"
echo "| \`redress audit verify\` over every event < 20 s | ${verify_seconds:-?} s | $(verdict "${verify_seconds:-999} < 20") |"
echo "| no errors | $errors_total | $(verdict "$errors_total == 0") |"
echo
cat "$root/Benchmarks/limits.md"
