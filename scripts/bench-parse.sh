#!/usr/bin/env bash
# Parse benchmark: a generated, text-heavy policy of several hundred pages (sections, clauses,
# tables) through the local parser (release build), against Debian's pdftotext in the same run.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PDF=${PDF:-target/bench/text-policy.pdf}
mkdir -p target/bench
[ -f "$PDF" ] || bash scripts/make-fixtures.sh --large "$PDF" --pages "${PAGES:-400}"
if ! command -v pdftotext >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -q poppler-utils >/dev/null; else sudo apt-get install -y -q poppler-utils >/dev/null; fi
fi
cargo build --release -q -p ingestctl
target/release/ingestctl bench-parse "$PDF" --rounds "${ROUNDS:-5}"
