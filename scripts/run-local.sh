#!/usr/bin/env bash
# Command (1): brings up the local stack and ingests the sample documents end to end, printing
# each document's stages with durations and chunk counts.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
scripts/stack.sh up
# shellcheck disable=SC1091
. .stack/env
cargo build --quiet --workspace --all-targets
if [ $# -eq 0 ]; then set -- samples/*.pdf samples/*.md; fi
target/debug/ingestctl ingest "$@"
