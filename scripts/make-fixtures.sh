#!/usr/bin/env bash
# Regenerates the parser's fixture PDFs in shared/fixtures/pdf/ (fpdf2 from PyPI, into .venv);
# with --large PATH [--pages N], writes one large policy for the parse benchmark instead.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ -x "$ROOT/.venv/bin/python" ] || python3 -m venv "$ROOT/.venv"
"$ROOT/.venv/bin/pip" install --quiet --disable-pip-version-check 'fpdf2==2.8.9'
"$ROOT/.venv/bin/python" "$ROOT/scripts/make_fixtures.py" "$@"
