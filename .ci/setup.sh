#!/usr/bin/env bash
# Installs everything Lomas needs on this machine, idempotently, and builds the workspace.
#   bash .ci/setup.sh          server, notebook library, JupyterLab + extension + tslab kernel
#   bash .ci/setup.sh --test   also Chromium (UI tests) and FerretDB (MongoDB-compatible test server)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
WITH_TEST=false
[[ "${1:-}" == "--test" ]] && WITH_TEST=true
CACHE=${LOMAS_CACHE:-$HOME/.cache/lomas}
mkdir -p "$CACHE/bin"
step() { printf '\n==> %s\n' "$*"; }
SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"

if $WITH_TEST && ! command -v chromium >/dev/null; then
  step "Installing Chromium from Debian (UI tests)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi

if $WITH_TEST && [[ ! -x "$CACHE/bin/ferretdb" ]]; then
  step "Building FerretDB v1.24.2 (MongoDB wire protocol on SQLite) into $CACHE/bin"
  GOBIN="$CACHE/bin" GOFLAGS=-mod=mod go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2
fi

if ! python3 -c 'import jupyterlab, nbclient, nbconvert; assert jupyterlab.__version__ == "4.6.4"' 2>/dev/null; then
  step "Installing JupyterLab 4.6.4 (pip)"
  python3 -m pip install -q --disable-pip-version-check jupyterlab==4.6.4 nbclient nbconvert
fi

if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  step "Installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

step "Building kernel library, server and JupyterLab extension"
npm run --silent build

step "Installing the JupyterLab extension (prebuilt) and the tslab kernel"
npm run --silent install:extension
KERNEL_DIR="$(jupyter --data-dir)/kernels/tslab"
mkdir -p "$KERNEL_DIR"
cat > "$KERNEL_DIR/kernel.json" <<JSON
{
  "argv": ["$ROOT/node_modules/.bin/tslab", "kernel", "--config-path", "{connection_file}"],
  "display_name": "TypeScript",
  "language": "typescript"
}
JSON
step "Setup done"
