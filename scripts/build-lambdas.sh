#!/usr/bin/env bash
# Builds every function as an arm64 Lambda bootstrap (target/lambda/NAME/bootstrap) with
# cargo-lambda and zig from PyPI. A release cross-build takes long on 2 cores, so CI does not run
# it on every change; run it before `sam build`/deploys and after dependency changes.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV="$ROOT/.venv-deploy"
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
install_requirements "$VENV" "$ROOT/scripts/requirements-lambda.txt" lambda-requirements
rustup target add aarch64-unknown-linux-gnu >/dev/null
# cargo-lambda finds zig on PATH.
export PATH="$VENV/bin:$PATH"
cd "$ROOT"
# One function at a time: built together, cargo would unify their features and every binary would
# link every stage. Apart, each links its own stage only (see each functions/*/Cargo.toml).
FUNCTIONS=(parse chunk embed finalize sweeper search)
for f in "${FUNCTIONS[@]}"; do
  cargo lambda build --release --arm64 -p "$f" "$@"
done
for f in "${FUNCTIONS[@]}"; do
  printf '%-9s %s bytes\n' "$f" "$(stat -c %s "${CARGO_TARGET_DIR:-target}/lambda/$f/bootstrap")"
done
