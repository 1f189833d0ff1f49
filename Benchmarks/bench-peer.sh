#!/usr/bin/env bash
# `make bench-peer`: Redress beside Request Tracker 5 (Debian's packages) on one PostgreSQL, in one
# run: filing, reading and listing at the same concurrency, with CPU per request beside each figure.
#
# RT is measured the fastest way it allows: its standalone server (Starlet, preforked workers that
# live for the whole run) with its REST2 API, signed in once through its login form and then by the
# session cookie, sending the Referer its web UI sends (RT refuses a cookie-session write without one);
# basic authentication would check the password's hash on every request. Its default scrips run (an
# autoreply per new ticket), with outgoing mail appended to an mbox file instead of sent.
# Redress serves the same three requests as signed-in users (a consumer filing and reading his own
# case, platform staff listing their open cases).
#   BENCH_SECONDS (10, per run) BENCH_CONNECTIONS (8) BENCH_PEER_COMPLAINTS (20000, Redress's store)
#   BENCH_PEER_PRELOAD_SECONDS (30: RT tickets filed before its runs, to read and list)
#   BENCH_PEER_RT_WORKERS (4: on 2 cores, its best of 2, 4 and 8)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
seconds="${BENCH_SECONDS:-10}"
conns="${BENCH_CONNECTIONS:-8}"
complaints="${BENCH_PEER_COMPLAINTS:-20000}"
preload_seconds="${BENCH_PEER_PRELOAD_SECONDS:-30}"
rt_workers="${BENCH_PEER_RT_WORKERS:-4}"
threads=2

Deploy/ensure-postgres.sh
Deploy/ensure-zlib.sh
rt_server=/usr/share/request-tracker5/libexec/rt-server
if ! command -v wrk >/dev/null 2>&1 || [ ! -x "$rt_server" ] || [ ! -x /usr/sbin/rt-setup-database-5 ]; then
    [ "$(id -u)" = 0 ] || { echo "missing: sudo apt-get install wrk request-tracker5 rt5-standalone rt5-db-postgresql" >&2; exit 1; }
    echo "Installing wrk and Request Tracker 5 (apt-get)…" >&2
    # RT's database is set up below, on the benchmark's PostgreSQL: not by the package.
    echo "request-tracker5 request-tracker5/dbconfig-install boolean false" | debconf-set-selections
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends wrk request-tracker5 rt5-standalone rt5-db-postgresql >/dev/null
fi
swift build -c release --product redress >&2
redress="$root/.build/release/redress"

source "$root/Benchmarks/lib.sh"
work="$(mktemp -d /tmp/redress-peer.XXXXXX)"
server_pid=""
rt_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
    [ -n "$rt_pid" ] && kill "$rt_pid" 2>/dev/null && wait "$rt_pid" 2>/dev/null || true
    stop_postgres
    rm -rf "$work"
}
trap cleanup EXIT
start_postgres
redress_bench_env

# One wrk run against the server whose process tree is rooted at $1; sets `row` to
# "rps p50 p99 requests errors service-ms postgres-ms" (CPU milliseconds per request). Requests per
# second are counted here (requests ÷ the run's seconds), not read rounded from wrk; a run that
# completed no request, or whose summary is missing, is "0 0 0 0 1 0 0".
run() {
    local pid="$1" url="$2" script="$3" server_before postgres_before server_after postgres_after result
    shift 3
    server_before="$(tree_ticks "$pid")"
    postgres_before="$(postgres_ticks)"
    result="$(env BENCH_SCRIPTS="$root/Benchmarks/wrk" BENCH_THREADS="$threads" "$@" \
        wrk -t"$threads" -c"$conns" -d"${seconds}s" --timeout 10s -s "$root/Benchmarks/wrk/$script" "$url" | grep '^RESULT' || true)"
    server_after="$(tree_ticks "$pid")"
    postgres_after="$(postgres_ticks)"
    row="$(python3 - "$result" "$seconds" "$server_before" "$server_after" "$postgres_before" "$postgres_after" "$ticks_per_second" <<'PY'
import re, sys
result, seconds = sys.argv[1], float(sys.argv[2])
sb, sa, pb, pa, hz = map(int, sys.argv[3:8])
fields = dict(re.findall(r"(\w+)=([0-9.]+)", result))
requests, errors = int(fields.get("requests", 0)), int(fields.get("errors", 1))
if requests == 0:
    print("0 0 0 0", max(errors, 1), "0 0")
else:
    print(f"{requests / seconds:.1f} {fields.get('p50', 0)} {fields.get('p99', 0)} {requests} {errors} "
          f"{(sa - sb) * 1000 / hz / requests:.2f} {(pa - pb) * 1000 / hz / requests:.2f}")
PY
)"
}

# --- Redress --------------------------------------------------------------------------------------
"$redress" migrate >/dev/null 2>&1
"$redress" demo generate --complaints "$complaints" --consumers "$((complaints / 5))" --platforms 20 --merchants 200 >/dev/null 2>&1
data="$work/callers"
mkdir -p "$data"
bench_callers "$data/intake.txt"
"${psql[@]}" -c "SELECT 'bench-' || c.consumer_id, '/api/v1/complaints/' || c.id FROM complaints c WHERE c.consumer_id IN (SELECT id FROM accounts WHERE role = 'consumer' ORDER BY id LIMIT 2000)" > "$data/read.txt"
"${psql[@]}" -c "SELECT 'bench-' || id, '/api/v1/complaints?state=awaiting_platform&limit=50' FROM accounts WHERE role = 'platform_staff'" > "$data/list.txt"
port="$(free_port)"
"$redress" serve --port "$port" >"$work/serve.log" 2>&1 &
server_pid=$!
wait_ready "http://127.0.0.1:$port/ready" "$server_pid" "$work/serve.log"
redress_url="http://127.0.0.1:$port"
declare -A redress_row rt_row
# A warm-up, as RT's preload is one (not measured).
seconds_measured="$seconds"; seconds=5
run "$server_pid" "$redress_url" get.lua BENCH_DATA="$data/read.txt"
seconds="$seconds_measured"
run "$server_pid" "$redress_url" intake.lua BENCH_DATA="$data/intake.txt"; redress_row[filing]="$row"
run "$server_pid" "$redress_url" get.lua BENCH_DATA="$data/read.txt"; redress_row[reading]="$row"
run "$server_pid" "$redress_url" get.lua BENCH_DATA="$data/list.txt"; redress_row[listing]="$row"
redress_cases="$("${psql[@]}" -c "SELECT count(*) FROM complaints")"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""

# --- Request Tracker ------------------------------------------------------------------------------
rt_port="$(free_port)"
rt_url="http://127.0.0.1:$rt_port"
rt_password="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
mkdir -p "$work/rt.d" "$work/rt-var"
cat > "$work/RT_SiteConfig.pm" <<CONFIG
Set(\$rtname, 'bench');
Set(\$Organization, 'bench');
Set(\$WebDomain, '127.0.0.1');
Set(\$WebPort, $rt_port);
Set(\$WebPath, '');
Set(\$WebBaseURL, '$rt_url');
Set(\$DatabaseType, 'Pg');
Set(\$DatabaseHost, '127.0.0.1');
Set(\$DatabasePort, '$pgport');
Set(\$DatabaseName, 'rt5');
Set(\$DatabaseUser, 'rt_user');
Set(\$DatabasePassword, '$rt_password');
Set(\$DatabaseAdmin, 'redress_bench');
Set(\$LogToSyslog, undef);
Set(\$LogToFile, undef);
Set(\$LogToSTDERR, 'error');
Set(\$MailCommand, 'mbox');
Set(\$Timezone, 'UTC');
Set(\$VarPath, '$work/rt-var');
1;
CONFIG
export RT_SITE_CONFIG="$work/RT_SiteConfig.pm" RT_SITE_CONFIG_DIR="$work/rt.d"
/usr/sbin/rt-setup-database-5 --action init --dba redress_bench --dba-password "$password" </dev/null >"$work/rt-setup.log" 2>&1 \
    || { cat "$work/rt-setup.log" >&2; exit 1; }
"$rt_server" --server Starlet --port "$rt_port" --max-workers "$rt_workers" --max-reqs-per-child 1000000 >"$work/rt.log" 2>&1 &
rt_pid=$!
wait_ready "$rt_url/NoAuth/Login.html" "$rt_pid" "$work/rt.log"
# RT's initial superuser and password; one sign-in through the login form, as a browser would.
curl -fsS -c "$work/jar" -o /dev/null -H "Referer: $rt_url/" -d "user=root&pass=password" "$rt_url/NoAuth/Login.html"
rt_cookie="$(awk '/RT_SID/ {print $6 "=" $7}' "$work/jar")"
# RT sets its cookie whether or not the sign-in succeeded: check it with a REST2 request.
curl -fsS -o /dev/null -H "Cookie: $rt_cookie" "$rt_url/REST/2.0/queues/all" || { echo "RT did not sign in" >&2; exit 1; }
rt_env=(BENCH_COOKIE="$rt_cookie" BENCH_REFERER="$rt_url/")
# Tickets to read and list, filed as the measured filings are (not measured).
seconds_measured="$seconds"; seconds="$preload_seconds"
run "$rt_pid" "$rt_url" peer.lua "${rt_env[@]}" BENCH_MODE=create
seconds="$seconds_measured"
run "$rt_pid" "$rt_url" peer.lua "${rt_env[@]}" BENCH_MODE=create; rt_row[filing]="$row"
"${psql[@]}" -d rt5 -c "SELECT '/REST/2.0/ticket/' || id FROM tickets" > "$work/rt-read.txt"
echo "/REST/2.0/tickets?query=Queue%3D'General'%20AND%20Status%3D'new'&per_page=50&fields=Subject,Status,Created,LastUpdated,Requestor,Owner" > "$work/rt-list.txt"
run "$rt_pid" "$rt_url" peer.lua "${rt_env[@]}" BENCH_DATA="$work/rt-read.txt"; rt_row[reading]="$row"
run "$rt_pid" "$rt_url" peer.lua "${rt_env[@]}" BENCH_DATA="$work/rt-list.txt"; rt_row[listing]="$row"
rt_tickets="$("${psql[@]}" -d rt5 -c "SELECT count(*) FROM tickets")"
rt_version="$(perl -I/usr/share/request-tracker5/lib -MRT -e 'print $RT::VERSION' 2>/dev/null || echo 5)"

# --- The table ------------------------------------------------------------------------------------
field() { echo "$1" | awk -v n="$2" '{print $n}'; }
ratio() { python3 -c "print(f'{$1 / $2:.1f}' if $2 > 0 else '0')"; }
{
echo "## Beside a peer: Request Tracker $rt_version"
echo
echo "Run on $(date -u +%Y-%m-%dT%H:%M:%SZ): $(nproc) cores, one PostgreSQL ($("$pgbin/postgres" --version | awk '{print $3}')) holding both, $conns connections, ${seconds} s per run (\`make bench-peer\`)."
echo "Redress: a store of $redress_cases complaints after the runs, release build. Request Tracker: Debian's \`request-tracker5\`, its standalone server (Starlet, $rt_workers workers), REST2 as root with the session cookie of one sign-in and the Referer its web UI sends; $rt_tickets tickets after the runs, filed by 100 requestors, with its default scrips (an autoreply per ticket, written to an mbox file). Redress's deadline job runs hourly and its cluster job not at all (as in \`make bench\`). Each side had a warm-up before its runs. The stores differ in size (RT files too slowly to fill one like Redress's): reading by id does not depend on it; listing favours the smaller."
echo "CPU per request is the server's process tree and PostgreSQL's, from \`/proc\` before and after each run."
echo
echo "| request | Redress: req/s, p50, p99 | Redress CPU per request (server + PostgreSQL) | RT: req/s, p50, p99 | RT CPU per request (server + PostgreSQL) | Redress ÷ RT, throughput | RT ÷ Redress, CPU per request |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for load in filing reading listing; do
    r="${redress_row[$load]}"; p="${rt_row[$load]}"
    r_cpu="$(python3 -c "print(f'{$(field "$r" 6) + $(field "$r" 7):.2f}')")"
    p_cpu="$(python3 -c "print(f'{$(field "$p" 6) + $(field "$p" 7):.2f}')")"
    echo "| $load | $(field "$r" 1), $(field "$r" 2) ms, $(field "$r" 3) ms | $(field "$r" 6) + $(field "$r" 7) ms | $(field "$p" 1), $(field "$p" 2) ms, $(field "$p" 3) ms | $(field "$p" 6) + $(field "$p" 7) ms | $(ratio "$(field "$r" 1)" "$(field "$p" 1)")× | $(ratio "$p_cpu" "$r_cpu")× |"
    declare "ratio_$load=$(ratio "$(field "$r" 1)" "$(field "$p" 1)")"
    errors=$(( ${errors:-0} + $(field "$r" 5) + $(field "$p" 5) ))
    # A ratio counts only when both sides completed requests without an error.
    declare "sound_$load=$(( $(field "$r" 4) > 0 && $(field "$p" 4) > 0 && $(field "$r" 5) == 0 && $(field "$p" 5) == 0 ))"
done
echo
echo "| target | measured | |"
echo "| --- | --- | --- |"
echo "| filing: Redress ≥ 100× RT's throughput | ${ratio_filing}× | $(verdict "$sound_filing == 1 and $ratio_filing >= 100") |"
echo "| reading: Redress ≥ 100× RT's throughput | ${ratio_reading}× | $(verdict "$sound_reading == 1 and $ratio_reading >= 100") |"
echo "| listing (50 per page): Redress ÷ RT | ${ratio_listing}× | — |"
echo "| no errors | $errors | $(verdict "$errors == 0") |"
} | tee "$work/peer.md"
python3 "$root/Benchmarks/section.py" "$root/Docs/benchmarks.md" peer < "$work/peer.md"
