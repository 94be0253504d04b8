#!/bin/sh
# Installs the prebuilt extension into the Python environment that runs `jupyter lab`, the way
# users install extensions (pip), then prints JupyterLab's own view of it. Idempotent: pip
# replaces the previous copy (share/jupyter/labextensions/jupyterlab-lomas) on every run.
set -eu
cd "$(dirname "$0")/../.."
if [ ! -f jupyterlab_lomas/labextension/package.json ]; then
  echo "install:extension: no build found; run npm run build:extension first" >&2
  exit 1
fi
python3 -m pip install --no-deps --quiet --disable-pip-version-check --root-user-action=ignore .
jupyter labextension list 2>&1 | grep -F 'jupyterlab-lomas' || {
  echo "install:extension: jupyter labextension list does not show jupyterlab-lomas" >&2
  exit 1
}
