#!/bin/sh
# Installs the prebuilt extension and the Jupyter server extension into the Python environment
# that runs `jupyter lab`, the way users install extensions (pip), then prints JupyterLab's own
# view of both. Idempotent: pip replaces the previous copy on every run (the labextension in
# share/jupyter/labextensions/jupyterlab-lomas, the server extension's enabling file in
# etc/jupyter/jupyter_server_config.d/jupyterlab_lomas.json).
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
jupyter server extension list 2>&1 | grep -F 'jupyterlab_lomas' | grep -F 'enabled' || {
  echo "install:extension: jupyter server extension list does not show jupyterlab_lomas enabled" >&2
  exit 1
}
