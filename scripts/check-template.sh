#!/usr/bin/env bash
# Offline checks of template.yaml: cfn-lint, `sam validate --lint`, and scripts/check_template.py
# (exact enum values, timeouts vs visibility, and agreement with the running local stack).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv-deploy"
stamp="$VENV/.requirements.sha256"
want=$(sha256sum "$ROOT/scripts/requirements-deploy.txt" | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "[template] installing aws-sam-cli and cfn-lint into .venv-deploy" >&2
  [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$ROOT/scripts/requirements-deploy.txt"
  echo "$want" >"$stamp"
fi
cd "$ROOT"
"$VENV/bin/cfn-lint" template.yaml
SAM_CLI_TELEMETRY=0 "$VENV/bin/sam" validate --lint --template-file template.yaml
# shellcheck disable=SC1091
. .stack/env
"$VENV/bin/python" scripts/check_template.py template.yaml
