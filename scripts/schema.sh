#!/usr/bin/env bash
# migrations/schema.sql is the schema that the migrations build, in one file a reader can take
# in at once. `scripts/schema.sh` rewrites it; `scripts/schema.sh --check` (run by
# scripts/test.sh, so by CI) fails when it is not current. Needs the local stack (.stack/env).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck disable=SC1091
. .stack/env
BIN=$(scripts/stack.sh bin)
DB=schema_snapshot_$$
ADMIN="$DOC_INGEST_ADMIN_DATABASE_URL"
URL="${ADMIN%/*}/$DB"
export PGOPTIONS='-c client_min_messages=warning'
"$BIN/psql" "$ADMIN" -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
trap '"$BIN/psql" "$ADMIN" -qc "DROP DATABASE IF EXISTS $DB" >/dev/null' EXIT
DATABASE_URL="$URL" target/debug/ingestctl migrate >/dev/null
out=$(mktemp)
{
  echo "-- The schema the migrations in this folder build, dumped by scripts/schema.sh (pg_dump"
  echo "-- --schema-only) from a freshly migrated database. Do not edit: add a migration, then"
  echo "-- run scripts/schema.sh. CI fails when this file is not current."
  echo
  # Version banners, psql meta-commands with random keys (\restrict) and session settings
  # differ between runs and say nothing about the schema; refinery's own table is not ours.
  "$BIN/pg_dump" --schema-only --no-owner --no-privileges --exclude-table=refinery_schema_history "$URL" |
    grep -v -E '^(-- Dumped (from|by)|\\(un)?restrict |SET |SELECT pg_catalog\.set_config)' |
    cat -s
  echo "-- The job state machine (rows of job_state_transitions), which the trigger enforces."
  "$BIN/psql" "$URL" -qAtc "SELECT format('INSERT INTO public.job_state_transitions VALUES (%L, %L);', from_state, to_state)
                          FROM job_state_transitions ORDER BY from_state, to_state"
} >"$out"
if [ "${1:-}" = "--check" ]; then
  if ! diff -u migrations/schema.sql "$out"; then
    echo "migrations/schema.sql is not current: run scripts/schema.sh and commit it" >&2
    rm -f "$out"
    exit 1
  fi
  rm -f "$out"
  echo "schema: migrations/schema.sql is current"
else
  mv "$out" migrations/schema.sql
  echo "wrote migrations/schema.sql"
fi
