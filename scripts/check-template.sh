#!/usr/bin/env bash
# Offline checks of template.yaml: cfn-lint, `sam validate --lint`, and scripts/check_template.py
# (exact enum values, timeouts vs visibility, and agreement with the running local stack).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv-deploy"
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
install_requirements "$VENV" "$ROOT/scripts/requirements-deploy.txt" requirements
cd "$ROOT"
"$VENV/bin/cfn-lint" template.yaml
SAM_CLI_TELEMETRY=0 "$VENV/bin/sam" validate --lint --template-file template.yaml
# shellcheck disable=SC1091
. .stack/env
"$VENV/bin/python" scripts/check_template.py template.yaml
