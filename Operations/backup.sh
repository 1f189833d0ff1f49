#!/usr/bin/env bash
# Backup and restore exactly as Docs/operations.md gives them: the demo world (with an anchor) on one
# throw-away PostgreSQL, its roles and a pg_dump of its database; then a second, fresh cluster where
# the roles are created, the dump restored into a new database, `redress audit verify` must pass and
# the figures must equal the original's.
set -euo pipefail
cd "$(dirname "$0")/.."
folder="$(mktemp -d /tmp/redress-backup.XXXXXX)"
chmod 755 "$folder"
trap 'rm -rf "$folder"' EXIT
export REDRESS_BCRYPT_COST=10 REDRESS_LOG_LEVEL=warning BACKUP_DIR="$folder"
figures="SELECT (SELECT count(*) FROM complaints) || ' complaints, ' || (SELECT count(*) FROM audit_events) || ' audit events, '
         || (SELECT count(*) FROM evidence) || ' evidence, anchor ' || (SELECT encode(root, 'hex') FROM audit_anchors ORDER BY id DESC LIMIT 1)"
export FIGURES="$figures"

Deploy/with-test-postgres.sh bash -c '
    set -euo pipefail
    .build/debug/redress demo load >/dev/null
    .build/debug/redress audit anchor >/dev/null
    # The backup: the cluster-wide roles (without passwords) and the database.
    pg_dumpall --dbname="$DATABASE_URL" --roles-only --no-role-passwords > "$BACKUP_DIR/roles.sql"
    pg_dump --dbname="$DATABASE_URL" --format=custom --file="$BACKUP_DIR/redress.dump"
    psql "$DATABASE_URL" -qAt -c "$FIGURES" > "$BACKUP_DIR/figures.before"
'
echo "backed up: $(cat "$folder/figures.before"); dump $(du -h "$folder/redress.dump" | cut -f1)"

Deploy/with-test-postgres.sh bash -c '
    set -euo pipefail
    superuser="${DATABASE_URL#postgres://}"; superuser="${superuser%%:*}"
    # The restore: the roles (but the new cluster'"'"'s own superuser), an empty database, the dump.
    grep -v -w "ROLE $superuser" "$BACKUP_DIR/roles.sql" | psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 >/dev/null
    psql "$DATABASE_URL" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE redress_restored"
    restored="${DATABASE_URL/\/postgres\?//redress_restored?}"
    pg_restore --dbname="$restored" --exit-on-error "$BACKUP_DIR/redress.dump"
    # `redress audit verify` migrates first (nothing to apply) and sets the request role'"'"'s password again.
    DATABASE_URL="$restored" .build/debug/redress audit verify
    psql "$restored" -qAt -c "$FIGURES" > "$BACKUP_DIR/figures.after"
'
echo "restored: $(cat "$folder/figures.after")"
if ! cmp -s "$folder/figures.before" "$folder/figures.after"; then
    echo "FAILED: the restored database differs from the original" >&2
    exit 1
fi
echo "ok: the dump restored into a fresh cluster, every audit chain verifies, the figures are the original's"
