#!/usr/bin/env bash
# Starts FerretDB (MongoDB wire protocol, SQLite backend) on loopback in the background.
#   source .ci/ferretdb.sh && ferretdb_start <port>   → exports MONGODB_TEST_URI, FERRETDB_PID
#   ferretdb_stop
CACHE=${LOMAS_CACHE:-$HOME/.cache/lomas}

ferretdb_start() {
  local port=${1:-27018}
  FERRETDB_DIR=$(mktemp -d /tmp/lomas-ferretdb.XXXXXX)
  mkdir -p "$FERRETDB_DIR/data" "$FERRETDB_DIR/state"
  "$CACHE/bin/ferretdb" --handler=sqlite --sqlite-url="file:$FERRETDB_DIR/data/" \
    --listen-addr="127.0.0.1:$port" --state-dir="$FERRETDB_DIR/state" --telemetry=disable \
    --debug-addr=- --log-level=error >"$FERRETDB_DIR/ferretdb.log" 2>&1 &
  FERRETDB_PID=$!
  # Up to 60 s: a loaded machine can be slow to start it.
  for _ in $(seq 1 600); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      export MONGODB_TEST_URI="mongodb://127.0.0.1:$port/"
      export FERRETDB_PID FERRETDB_DIR
      echo "FerretDB listening on 127.0.0.1:$port (pid $FERRETDB_PID)"
      return 0
    fi
    kill -0 "$FERRETDB_PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "FerretDB did not start; its log:" >&2
  cat "$FERRETDB_DIR/ferretdb.log" >&2
  return 1
}

ferretdb_stop() {
  if [[ -n "${FERRETDB_PID:-}" ]]; then
    kill "$FERRETDB_PID" 2>/dev/null || true
    wait "$FERRETDB_PID" 2>/dev/null || true
    rm -rf "$FERRETDB_DIR"
    unset FERRETDB_PID
  fi
}
