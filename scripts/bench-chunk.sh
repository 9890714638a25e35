#!/usr/bin/env bash
# Chunking benchmark: ours (release build) against LangChain, LlamaIndex and semantic-text-splitter
# on the same texts in the same run, best of the same number of runs, all scored the same way.
# Arguments go to `ingestctl bench-chunk` (e.g. --input FILE, --mb 1,4,10, --runs 3).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source scripts/lib.sh
install_requirements "$ROOT/.venv-peers" "$ROOT/scripts/requirements-peers.txt" peers
cargo build --release -q -p ingestctl
target/release/ingestctl bench-chunk --peers-python "$ROOT/.venv-peers/bin/python" "$@"
