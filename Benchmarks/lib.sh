# Shared by `make bench` and `make bench-peer` (sourced): a private PostgreSQL on loopback, free
# ports, and CPU time per request from /proc.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# A fresh cluster in "$work/data" (durability settings at their defaults, locale C), its superuser
# redress_bench with a random password. Sets pgbin, run_as, pgport, password, PGPASSWORD,
# DATABASE_URL and psql (an array: psql at the cluster's postgres database, unaligned).
start_postgres() {
    pgbin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    chmod 711 "$work"
    run_as=()
    if [ "$(id -u)" = 0 ]; then
        chown postgres: "$work"
        run_as=(setpriv --reuid=postgres --regid=postgres --clear-groups --)
    fi
    pgport="$(free_port)"
    password="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
    printf '%s\n' "$password" > "$work/password"
    [ "${#run_as[@]}" -gt 0 ] && chown postgres: "$work/password"
    "${run_as[@]}" "$pgbin/initdb" -D "$work/data" -U redress_bench --pwfile="$work/password" -A scram-sha-256 -E UTF8 --locale=C \
        --no-instructions >/dev/null
    # Shared buffers as a production server is given them (a quarter of the memory, at most 8 GB), not
    # PostgreSQL's 128 MB default: at a million complaints the working set of a search or a list would
    # otherwise be copied in from the operating system's cache on most reads.
    local memory_kb shared_mb
    memory_kb="$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
    shared_mb=$(( memory_kb / 4 / 1024 ))
    [ "$shared_mb" -gt 8192 ] && shared_mb=8192
    [ "$shared_mb" -lt 128 ] && shared_mb=128
    "${run_as[@]}" "$pgbin/pg_ctl" -D "$work/data" -l "$work/data/postgresql.log" -w -t 60 start \
        -o "-p $pgport -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200 -c shared_buffers=${shared_mb}MB" >/dev/null
    export DATABASE_URL="postgres://redress_bench:$password@127.0.0.1:$pgport/postgres?sslmode=disable"
    export PGPASSWORD="$password"
    psql=(psql -h 127.0.0.1 -p "$pgport" -U redress_bench -d postgres -v ON_ERROR_STOP=1 -qAt -F ' ')
}

stop_postgres() { [ -n "${pgbin:-}" ] && "${run_as[@]}" "$pgbin/pg_ctl" -D "$work/data" stop -m fast -w >/dev/null 2>&1 || true; }

# CPU time in clock ticks of a process tree: the process itself, the children it has reaped, and
# those alive now (a child's time moves to its parent's reaped total when it exits). PostgreSQL's
# postmaster and its backends; a preforking server and its workers.
ticks_per_second="$(getconf CLK_TCK)"
tree_ticks() {
    local parent="$1" total child
    total="$(awk '{print $14 + $15 + $16 + $17}' "/proc/$parent/stat" 2>/dev/null || echo 0)"
    for child in $(pgrep -P "$parent"); do
        total=$((total + $(awk '{print $14 + $15}' "/proc/$child/stat" 2>/dev/null || echo 0)))
    done
    echo "$total"
}
postgres_ticks() { tree_ticks "$(head -n 1 "$work/data/postmaster.pid")"; }

# Milliseconds of CPU per request from two tick counts and a request count.
per_request() { python3 -c "print(f'{($2 - $1) * 1000 / $ticks_per_second / max($3, 1):.2f}')"; }

# The service's settings for a benchmark: a random key, quiet logs, limits well above the load (a
# filing quota per consumer would refuse the intake runs), the background jobs out of the runs (the
# deadline job hourly, the cluster job off: bench.sh runs it once, measured).
redress_bench_env() {
    export REDRESS_KEYS="bench $(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    export REDRESS_LOG_LEVEL=error REDRESS_BCRYPT_COST=10 REDRESS_FILINGS_PER_DAY=100000 REDRESS_MESSAGES_PER_CASE_PER_HOUR=100000
    export REDRESS_DEADLINE_JOB_SECONDS=3600 REDRESS_CLUSTER_JOB_SECONDS=0
}

# Callers: sessions made directly in the database (a bcrypt login per caller would dominate set-up),
# tokens "bench-<account id>", as if signed in with the second factor where the role needs one: every
# account but consumers, and the first 2,000 consumers. Then, in "$1": "token platform" lines for
# filings (each consumer files against a platform of its own, spread by its rank: one platform for
# all would make every filing wait for the same statistics row).
bench_callers() {
    "${psql[@]}" >/dev/null <<'SQL'
INSERT INTO sessions (token_digest, account_id, created_at, expires_at, second_factor)
SELECT sha256(convert_to('bench-' || id, 'UTF8')), id, now(), now() + interval '1 day', true FROM accounts
WHERE role <> 'consumer' OR id IN (SELECT id FROM accounts WHERE role = 'consumer' ORDER BY id LIMIT 2000);
SQL
    "${psql[@]}" -c "WITH p AS (SELECT row_number() OVER (ORDER BY id) - 1 AS n, id FROM platforms),
        c AS (SELECT id FROM accounts WHERE role = 'consumer' ORDER BY id LIMIT 2000)
        SELECT 'bench-' || c.id, p.id FROM c JOIN p ON p.n = abs(hashtext(c.id::text)) % (SELECT count(*) FROM p)" > "$1"
}

# Waits until "$1" answers, failing (with the log "$3") if the process "$2" has ended meanwhile.
wait_ready() {
    until curl -fs -o /dev/null "$1" 2>/dev/null; do
        kill -0 "$2" 2>/dev/null || { echo "the server ended before it was ready:" >&2; tail -n 40 "$3" >&2; return 1; }
        sleep 0.02
    done
}

verdict() { python3 -c "print('met' if $1 else 'missed')"; }
