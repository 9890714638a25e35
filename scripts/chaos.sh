#!/usr/bin/env bash
# The chaos suite (scripts/chaos.py): kills handlers, stops PostgreSQL for 10/30/120 s, freezes
# moto, floods duplicates, then checks every document against a clean run. About 10 minutes;
# not part of scripts/test.sh. Pass --long-outage to add a 15-minute database outage.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
scripts/stack.sh up
# shellcheck disable=SC1091
. .stack/env
cargo build --quiet -p ingestctl
exec .venv/bin/python scripts/chaos.py "$@"
