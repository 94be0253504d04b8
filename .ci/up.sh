#!/usr/bin/env bash
# Brings up the whole thing on a fresh machine: install, build, server (embedded store, demo
# datasets), JupyterLab with the extension, the tslab kernel and notebooks/. Ctrl-C (or SIGTERM)
# stops JupyterLab with its kernels, then the server.
#   LOMAS_PORT (8765), JUPYTER_PORT (8888)   ports on 127.0.0.1
#   LOMAS_DATA_DIR (.lomas-data)             store, keys.env, server.log
#   LOMAS_SKIP_SETUP=1                       skip the install-and-build step (restarts, tests)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export LOMAS_DATA_DIR=${LOMAS_DATA_DIR:-$ROOT/.lomas-data}
export LOMAS_PORT=${LOMAS_PORT:-8765}
JUPYTER_PORT=${JUPYTER_PORT:-8888}

# A port in use is found before anything starts: a copy already running would otherwise answer
# for the new server, and JupyterLab would silently move to another port.
port_free() {
  node -e "require('node:net').createServer().once('error', () => process.exit(1))
    .listen($1, '127.0.0.1', function () { this.close(() => process.exit(0)); })"
}
for pair in "$LOMAS_PORT:the Lomas server" "$JUPYTER_PORT:JupyterLab"; do
  port=${pair%%:*}
  port_free "$port" && continue
  cat >&2 <<EOF
Port $port on 127.0.0.1 is in use, so ${pair#*:} cannot start there.
Another "npm run up" may still be running: stop it with Ctrl-C in its terminal (to find the
process: ss -ltnp 'sport = :$port'). Or run this copy on free ports:
  LOMAS_PORT=$((LOMAS_PORT + 1)) JUPYTER_PORT=$((JUPYTER_PORT + 1)) npm run up
EOF
  exit 1
done

if [[ "${LOMAS_SKIP_SETUP:-}" != 1 ]]; then
  bash .ci/setup.sh
fi

# Keys are made once and kept; the file is rewritten in `export` form at every start, so that
# `source .lomas-data/keys.env` gives a shell the server URL and the keys (npm run admin needs them).
mkdir -p "$LOMAS_DATA_DIR"
KEYS="$LOMAS_DATA_DIR/keys.env"
unset LOMAS_ADMIN_KEY LOMAS_DEMO_ANALYST_KEY
# shellcheck source=/dev/null
[[ -f "$KEYS" ]] && source "$KEYS"
new_key() {
  node -e "const c = require('node:crypto');
    console.log('lomas_' + c.randomBytes(8).toString('hex') + '_' + c.randomBytes(32).toString('base64url'))"
}
LOMAS_ADMIN_KEY=${LOMAS_ADMIN_KEY:-$(new_key)}
LOMAS_DEMO_ANALYST_KEY=${LOMAS_DEMO_ANALYST_KEY:-$(new_key)}
export LOMAS_URL="http://127.0.0.1:$LOMAS_PORT"
export LOMAS_ADMIN_KEY LOMAS_DEMO_ANALYST_KEY LOMAS_API_KEY="$LOMAS_DEMO_ANALYST_KEY"
(
  umask 077
  cat >"$KEYS" <<EOF
# Written by npm run up. In a shell: source ${KEYS#"$ROOT"/} (then npm run admin -- ...)
export LOMAS_URL=$LOMAS_URL
export LOMAS_ADMIN_KEY=$LOMAS_ADMIN_KEY
export LOMAS_DEMO_ANALYST_KEY=$LOMAS_DEMO_ANALYST_KEY
export LOMAS_API_KEY=$LOMAS_DEMO_ANALYST_KEY
EOF
)
chmod 600 "$KEYS" # also a file an older version wrote

# The server logs JSON lines to a file, so the terminal stays Jupyter's; the previous run's log
# is kept as server.log.1.
LOG="$LOMAS_DATA_DIR/server.log"
[[ -f "$LOG" ]] && mv -f "$LOG" "$LOG.1"
SERVER_PID="" LAB_PID=""
stop() {
  trap - INT TERM EXIT
  # JupyterLab shuts its kernels down on SIGTERM; then the server stops (in-flight queries finish).
  if [[ -n "$LAB_PID" ]] && kill -0 "$LAB_PID" 2>/dev/null; then
    kill -TERM "$LAB_PID" 2>/dev/null || true
    wait "$LAB_PID" 2>/dev/null || true
  fi
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT

node server/dist/main.js >>"$LOG" 2>&1 &
SERVER_PID=$!
ready=false
for _ in $(seq 1 600); do
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "The Lomas server stopped. The end of its log ($LOG):" >&2
    tail -n 20 "$LOG" >&2
    exit 1
  fi
  node -e "fetch('$LOMAS_URL/ready').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))" &&
    ready=true && break
  sleep 0.2
done
$ready || { echo "The Lomas server did not get ready in 2 minutes; see $LOG." >&2; exit 1; }
echo "Lomas server ready on $LOMAS_URL (log: $LOG)"
echo "  demo analyst key: $LOMAS_DEMO_ANALYST_KEY"
echo "  admin key:        $LOMAS_ADMIN_KEY   (keys saved in $KEYS)"

# The budget panel reads the same server and key from JupyterLab's settings: written whenever
# they differ (new keys after deleting .lomas-data, another port), other settings kept.
SETTINGS="${JUPYTERLAB_SETTINGS_DIR:-$HOME/.jupyter/lab/user-settings}/jupyterlab-lomas/plugin.jupyterlab-settings"
mkdir -p "$(dirname "$SETTINGS")"
node - "$SETTINGS" "$LOMAS_URL" "$LOMAS_API_KEY" <<'JS'
const fs = require('node:fs');
const [file, serverUrl, apiKey] = process.argv.slice(2);
let current = {};
if (fs.existsSync(file)) {
  try {
    current = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    fs.copyFileSync(file, `${file}.bak`);
    console.log(`Budget panel settings were not plain JSON: kept as ${file}.bak, written again.`);
  }
}
if (current.serverUrl !== serverUrl || current.apiKey !== apiKey) {
  fs.writeFileSync(file, JSON.stringify({ ...current, serverUrl, apiKey }, null, 2) + '\n', {
    mode: 0o600
  });
  fs.chmodSync(file, 0o600);
  console.log(`Budget panel settings now point at ${serverUrl} with the demo analyst key.`);
}
JS

# The kernel inherits LOMAS_URL and LOMAS_API_KEY: connect() in a notebook needs no arguments.
# The demo notebooks are saved without outputs (.ci/jupyter_lab_config.py), so git stays clean.
ROOT_FLAG=""
[[ $(id -u) -eq 0 ]] && ROOT_FLAG="--allow-root"
jupyter lab --no-browser $ROOT_FLAG --config="$ROOT/.ci/jupyter_lab_config.py" \
  --ServerApp.ip=127.0.0.1 --ServerApp.port="$JUPYTER_PORT" --ServerApp.port_retries=0 \
  --ServerApp.root_dir="$ROOT/notebooks" &
LAB_PID=$!
set +e
wait "$LAB_PID"
status=$?
LAB_PID=""
exit $status
