#!/usr/bin/env bash
# Regenerates the committed sample PDFs in samples/ (fpdf2 from PyPI, into .venv).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ -x "$ROOT/.venv/bin/python" ] || python3 -m venv "$ROOT/.venv"
"$ROOT/.venv/bin/pip" install --quiet --disable-pip-version-check 'fpdf2==2.8.9'
"$ROOT/.venv/bin/python" "$ROOT/scripts/make_samples.py"
