# Sourced by the scripts: shared helpers.

# install_requirements VENV REQUIREMENTS_FILE STAMP_NAME [PIP_ARGS...]
# Creates VENV if needed and installs the pinned requirements, unless the same file was
# installed before (its hash is kept in VENV/.STAMP_NAME.sha256).
install_requirements() {
  local venv=$1 reqs=$2 stamp="$1/.$3.sha256" want
  shift 3
  want=$(sha256sum "$reqs" | cut -d' ' -f1)
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
  printf '[deps] installing %s into %s\n' "$(basename "$reqs")" "$(basename "$venv")" >&2
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$@" -r "$reqs"
  echo "$want" >"$stamp"
}
