#!/usr/bin/env bash
# Command (2): installs and starts the local stack, then runs every test against it.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
scripts/stack.sh up
scripts/stack.sh drop-test-databases
# shellcheck disable=SC1091
. .stack/env
cargo test --workspace "$@"
# The committed schema snapshot matches what the migrations build.
scripts/schema.sh --check
# The SAM template: linters, exact values, and agreement with the local stack just used.
scripts/check-template.sh
