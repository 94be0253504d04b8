#!/bin/sh
# Builds the prebuilt (federated) JupyterLab extension into jupyterlab_lomas/labextension.
# Needs the Python `jupyterlab` package: its staging/package.json is JupyterLab's core manifest,
# which the builder uses to decide which modules are shared with (not bundled from) JupyterLab.
set -eu
cd "$(dirname "$0")/../.."
node node_modules/typescript/bin/tsc -b kernel-lib
rm -rf lib jupyterlab_lomas/labextension
node node_modules/typescript/bin/tsc -p tsconfig.json
CORE_PATH=$(python3 -c 'import jupyterlab, os; print(os.path.join(os.path.dirname(jupyterlab.__file__), "staging"))') || {
  echo "build:extension: the Python package jupyterlab is missing: pip install jupyterlab==4.6.4" >&2
  exit 1
}
node_modules/.bin/build-labextension --core-path "$CORE_PATH" . >/dev/null
echo "build:extension: wrote $(ls jupyterlab_lomas/labextension/static/remoteEntry.*.js)"
