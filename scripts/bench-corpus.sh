#!/usr/bin/env bash
# Parsing fidelity on real PDFs (corpus/pdf, see corpus/README.md): word recall against
# pdftotext, headings against the tagged files' own structure trees, time and peak RSS, ours
# (release build) against PyMuPDF4LLM in the same run. Arguments: PDFs (default: the corpus).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source scripts/lib.sh
install_requirements "$ROOT/.venv-pdfpeers" "$ROOT/scripts/requirements-pdfpeers.txt" pdfpeers
if ! command -v pdftotext >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -q poppler-utils >/dev/null; else sudo apt-get install -y -q poppler-utils >/dev/null; fi
fi
cargo build --release -q -p ingestctl
if [ $# -eq 0 ]; then set -- corpus/pdf/*.pdf; fi
exec "$ROOT/.venv-pdfpeers/bin/python" scripts/corpus_score.py "$ROOT/target/release/ingestctl" "$@"
