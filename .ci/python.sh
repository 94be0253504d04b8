#!/usr/bin/env bash
# Python tools the tests run, each in its own virtual environment cached under
# $CACHE/venvs/<name> and rebuilt only when its requirements change.
#   source .ci/python.sh
#   python_tools_install   creates or reuses the venvs below, then python_tools_export
#   python_tools_export    exports, for the tests:
#     LOMAS_CLIENT_PYTHON  Python 3.11 with lomas-client 0.5.1 + lomas-core 0.5.1 (issue 15's
#                          compatibility tests run scripts with it)
#     SCHEMATHESIS_BIN     the `schemathesis` 4.32 command (issue 10's contract test)
#   python_find 3.12       prints an interpreter of that version (pyenv, PATH or /usr/bin)
#   python_venv <name> <python version> <requirement...>   the generic cached venv
CACHE=${LOMAS_CACHE:-$HOME/.cache/lomas}
LOMAS_VENVS="$CACHE/venvs"
LOMAS_CLIENT_VENV="$LOMAS_VENVS/lomas-client-0.5.1-py3.11"
SCHEMATHESIS_VENV="$LOMAS_VENVS/schemathesis-4.32-py3.11"

python_find() {
  local want=$1 candidate
  for candidate in "$(pyenv prefix "$want" 2>/dev/null | head -n 1)/bin/python$want" \
    "$HOME"/.pyenv/versions/"$want".*/bin/python"$want" "$(command -v "python$want")" /usr/bin/python3; do
    [[ -x "$candidate" ]] || continue
    if [[ "$("$candidate" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)" == "$want" ]]; then
      echo "$candidate"
      return 0
    fi
  done
  echo "No Python $want found (pyenv, python$want on PATH, /usr/bin/python3)" >&2
  return 1
}

# python_venv <name> <python version> <requirement...>: a venv in $LOMAS_VENVS/<name> holding
# exactly these requirements. A stamp written after a successful install marks it complete; a
# different stamp (new pins) or none (interrupted install) rebuilds it from scratch.
python_venv() {
  local name=$1 version=$2
  shift 2
  local dir="$LOMAS_VENVS/$name" stamp="python $version: $*"
  [[ -f "$dir/.lomas-stamp" && "$(cat "$dir/.lomas-stamp")" == "$stamp" ]] && return 0
  mkdir -p "$LOMAS_VENVS"
  (
    # Several worktrees may share the cache: one installer per venv at a time.
    flock 9
    [[ -f "$dir/.lomas-stamp" && "$(cat "$dir/.lomas-stamp")" == "$stamp" ]] && exit 0
    set -e
    local python started=$SECONDS
    python=$(python_find "$version")
    echo "Creating the Python $version venv $dir: $*"
    rm -rf "$dir"
    "$python" -m venv "$dir"
    "$dir/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
    "$dir/bin/python" -m pip install -q --disable-pip-version-check "$@"
    echo "$stamp" >"$dir/.lomas-stamp"
    echo "  done in $((SECONDS - started)) s, $(du -sh "$dir" | cut -f1)"
  ) 9>"$LOMAS_VENVS/.$name.lock"
}

python_tools_export() {
  export LOMAS_CLIENT_PYTHON=${LOMAS_CLIENT_PYTHON:-$LOMAS_CLIENT_VENV/bin/python}
  export SCHEMATHESIS_BIN=${SCHEMATHESIS_BIN:-$SCHEMATHESIS_VENV/bin/schemathesis}
}

python_tools_install() {
  python_venv "$(basename "$LOMAS_CLIENT_VENV")" 3.11 lomas-client==0.5.1 lomas-core==0.5.1 &&
    python_venv "$(basename "$SCHEMATHESIS_VENV")" 3.11 'schemathesis==4.32.*' &&
    python_tools_export
}
