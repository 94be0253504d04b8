#!/usr/bin/env bash
# Brings up the whole thing on a fresh machine: install, build, server (embedded store, demo
# datasets), JupyterLab with the extension, the tslab kernel and notebooks/. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup.sh
export LOMAS_DATA_DIR=${LOMAS_DATA_DIR:-$(pwd)/.lomas-data}
export LOMAS_PORT=${LOMAS_PORT:-8765}
mkdir -p "$LOMAS_DATA_DIR"
KEYS="$LOMAS_DATA_DIR/keys.env"
if [[ ! -f "$KEYS" ]]; then
  node -e "
const c = require('node:crypto');
const key = () => 'lomas_' + c.randomBytes(8).toString('hex') + '_' + c.randomBytes(32).toString('base64url');
console.log('LOMAS_ADMIN_KEY=' + key());
console.log('LOMAS_DEMO_ANALYST_KEY=' + key());" > "$KEYS"
  chmod 600 "$KEYS"
fi
set -a; source "$KEYS"; set +a

node server/dist/main.js &
SERVER_PID=$!
trap 'kill $SERVER_PID 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 600); do
  node -e "fetch('http://127.0.0.1:$LOMAS_PORT/ready').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))" && break
  kill -0 $SERVER_PID 2>/dev/null || { echo "The Lomas server stopped; see its log above." >&2; exit 1; }
  sleep 0.2
done
echo "Lomas server ready on http://127.0.0.1:$LOMAS_PORT"
echo "  demo analyst key: $LOMAS_DEMO_ANALYST_KEY"
echo "  admin key:        $LOMAS_ADMIN_KEY   (keys saved in $KEYS)"
# The kernel inherits these: connect() in a notebook needs no arguments.
export LOMAS_URL="http://127.0.0.1:$LOMAS_PORT" LOMAS_API_KEY="$LOMAS_DEMO_ANALYST_KEY"
# The budget panel reads the same server and key from JupyterLab's settings (written once; edit
# them in Settings → Lomas).
SETTINGS="${JUPYTERLAB_SETTINGS_DIR:-$HOME/.jupyter/lab/user-settings}/jupyterlab-lomas/plugin.jupyterlab-settings"
if [[ ! -f "$SETTINGS" ]]; then
  mkdir -p "$(dirname "$SETTINGS")"
  printf '{ "serverUrl": "%s", "apiKey": "%s" }\n' "$LOMAS_URL" "$LOMAS_API_KEY" > "$SETTINGS"
  chmod 600 "$SETTINGS"
fi
ROOT_FLAG=""; [[ $(id -u) -eq 0 ]] && ROOT_FLAG="--allow-root"
jupyter lab --no-browser $ROOT_FLAG --ServerApp.ip=127.0.0.1 --ServerApp.port=8888 \
  --ServerApp.root_dir="$(pwd)/notebooks"
