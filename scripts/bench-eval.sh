#!/usr/bin/env bash
# Retrieval quality side by side on corpus/eval/questions.jsonl, with all-MiniLM-L6-v2 on both
# sides: doc-ingest through the real pipeline on the local stack (`ingestctl eval`: vector and
# hybrid search), and the LlamaIndex baseline (scripts/eval_llamaindex.py, its own venv).
# Results (JSON) go to target/bench-eval/.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib.sh
. scripts/lib.sh
scripts/stack.sh up
# shellcheck disable=SC1091
. .stack/env
install_requirements "$ROOT/.venv-eval" "$ROOT/scripts/requirements-eval.txt" requirements-eval
export DOC_INGEST_EMBEDDING_MODEL=all-MiniLM-L6-v2
cargo build --quiet -p ingestctl
active=$(target/debug/ingestctl embeddings list | awk '$4 == "active" { print $1 }')
if [ -n "$active" ] && [ "$active" != "$DOC_INGEST_EMBEDDING_MODEL" ]; then
  echo "the local stack's active model is $active; switching to $DOC_INGEST_EMBEDDING_MODEL" >&2
  target/debug/ingestctl embeddings switch --model "$DOC_INGEST_EMBEDDING_MODEL" --yes
fi
out=target/bench-eval
mkdir -p "$out"
target/debug/ingestctl eval --json >"$out/doc-ingest.json"
"$ROOT/.venv-eval/bin/python" scripts/eval_llamaindex.py --questions corpus/eval/questions.jsonl --root . \
  --model-dir "$DOC_INGEST_LOCAL_MODEL_DIR" 2>/dev/null >"$out/llamaindex.json"
python3 scripts/eval_report.py "$out/doc-ingest.json" "$out/llamaindex.json"
