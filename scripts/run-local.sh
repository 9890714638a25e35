#!/usr/bin/env bash
# Command (1): brings up the local stack and ingests the sample documents end to end, printing
# each document's stages with durations and chunk counts.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
scripts/stack.sh up
# shellcheck disable=SC1091
. .stack/env
# The in-process semantic model (installed by stack.sh) embeds, so the knowledge base built here
# answers paraphrased questions. Set DOC_INGEST_EMBEDDING_MODEL=doc-ingest-lexical-v1 for the
# lexical one. The first model a database embeds with becomes its active model; changing it later
# is `ingestctl embeddings switch`.
export DOC_INGEST_EMBEDDING_MODEL=${DOC_INGEST_EMBEDDING_MODEL:-all-MiniLM-L6-v2}
cargo build --quiet --workspace --all-targets
if [ $# -eq 0 ]; then set -- samples/*.pdf samples/*.md; fi
target/debug/ingestctl ingest "$@"
