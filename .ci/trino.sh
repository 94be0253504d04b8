#!/usr/bin/env bash
# Trino 476 for the tests: installed once into the cache, started on loopback, stopped on exit.
#   source .ci/trino.sh
#   trino_install            once: download (Maven Central), prune, unpack into $CACHE/trino, and
#                            train the class data archive (see Start-up below)
#   trino_start              one node (coordinator that also works); exports TRINO_TEST_*
#   trino_cluster_start      a coordinator plus one worker; exports TRINO_CLUSTER_TEST_*
#   trino_stop               stops every node this shell started and removes their temp dirs
# trino_launch / trino_cluster_launch start the JVMs without waiting; trino_wait_ready (and
# trino_cluster_wait_ready) then wait until a real query answers, so the JVMs can boot while
# something else runs.
#
# Exported for the tests (the same names with TRINO_CLUSTER_TEST_ for the cluster):
#   TRINO_TEST_URL       http://127.0.0.1:<port>, no authentication (any X-Trino-User)
#   TRINO_TEST_CATALOG   hive (file metastore; Parquet tables); catalogs memory and tpch also exist
#   TRINO_TEST_SCHEMA    lomas_test, created empty at start
#   TRINO_TEST_DATA_DIR  the hive catalog's local file system root: a directory written at
#                        $TRINO_TEST_DATA_DIR/a/b is `local:///a/b` in Trino (external_location)
# Memory: TRINO_HEAP (default 1G) per JVM; TRINO_EXTRA_JVM adds JVM options (space-separated).
# Start-up: by default the JVMs run C1-compiled code only and read a class data archive trained
# at install, which halves start-up CPU (26 s → 13 s per node here); TRINO_FAST_START=0 gives the
# full JIT, for benchmarks. Needs Java 22+: TRINO_JAVA_HOME, or the Temurin 25 JDK under /usr/lib/jvm.
CACHE=${LOMAS_CACHE:-$HOME/.cache/lomas}
TRINO_VERSION=476
TRINO_HOME="$CACHE/trino/trino-server-$TRINO_VERSION"
TRINO_CI_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# Connectors the tests use; every other plugin is deleted at install (896 MB → about 390 MB).
TRINO_PLUGINS=(hive memory tpch)
TRINO_PIDS=()
TRINO_DIRS=()

trino_java_home() {
  local candidate
  for candidate in "${TRINO_JAVA_HOME:-}" /usr/lib/jvm/temurin-25*; do
    [[ -n "$candidate" && -x "$candidate/bin/java" ]] || continue
    # Trino 476 refuses Java < 22 ("version" "25.0.3" → 25).
    local major
    major=$("$candidate/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
    if [[ -n "$major" && "$major" -ge 22 ]]; then
      echo "$candidate"
      return 0
    fi
  done
  echo "Trino $TRINO_VERSION needs Java 22 or later: set TRINO_JAVA_HOME or install the Temurin 25 JDK under /usr/lib/jvm" >&2
  return 1
}

trino_install() {
  trino_unpack && trino_train_class_archive
}

trino_unpack() {
  [[ -f "$TRINO_HOME/.installed" ]] && return 0
  mkdir -p "$CACHE/trino"
  (
    # One installer at a time: several worktrees may share the cache.
    flock 9
    [[ -f "$TRINO_HOME/.installed" ]] && exit 0
    set -e
    local work
    work=$(mktemp -d "$CACHE/trino/.install.XXXXXX")
    trap 'rm -rf "$work"' EXIT
    echo "Downloading io.trino:trino-server:$TRINO_VERSION:tar.gz from Maven Central (821 MB)"
    # dependency:copy, not a POM dependency (that drags in a third-party repository and fails).
    # Maven's output (even -q -B prints colour resets) is shown only when it fails.
    mvn -q -B org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
      -Dartifact="io.trino:trino-server:$TRINO_VERSION:tar.gz" -DoutputDirectory="$work" \
      >"$work/mvn.log" 2>&1 || { cat "$work/mvn.log" >&2; exit 1; }
    # Maven keeps its own 784 MB copy in the local repository; the unpacked tree is the cache.
    rm -rf "$HOME/.m2/repository/io/trino/trino-server/$TRINO_VERSION"
    tar xzf "$work/trino-server-$TRINO_VERSION.tar.gz" -C "$work"
    rm "$work/trino-server-$TRINO_VERSION.tar.gz"
    local tree="$work/trino-server-$TRINO_VERSION" plugin keep
    for plugin in "$tree"/plugin/*; do
      keep=false
      for wanted in "${TRINO_PLUGINS[@]}"; do [[ "$(basename "$plugin")" == "$wanted" ]] && keep=true; done
      $keep || rm -rf "$plugin"
    done
    rm -rf "$tree"/bin/darwin-* "$tree"/bin/linux-ppc64le
    rm -rf "$TRINO_HOME"
    mv "$tree" "$TRINO_HOME"
    touch "$TRINO_HOME/.installed"
    echo "Trino $TRINO_VERSION installed in $TRINO_HOME ($(du -sh "$TRINO_HOME" | cut -f1))"
  ) 9>"$CACHE/trino/.lock"
}

# The class data sharing archive for this Trino and this JDK build (the JVM ignores an archive
# from another build, so the name carries both).
trino_class_archive() {
  local java_home=$1 runtime
  runtime=$(sed -n 's/^JAVA_RUNTIME_VERSION="\(.*\)"/\1/p' "$java_home/release" 2>/dev/null)
  echo "$CACHE/trino/classes-$TRINO_VERSION-java${runtime:-unknown}.jsa"
}

# Trains the archive once: a Trino start that loads what the tests use (hive on Parquet, memory,
# tpch); the JVM writes the classes it loaded when it exits. A failed training only costs speed.
trino_train_class_archive() {
  [[ "${TRINO_FAST_START:-1}" == 0 ]] && return 0
  local java_home archive
  java_home=$(trino_java_home) || return 1
  archive=$(trino_class_archive "$java_home")
  [[ -f "$archive" ]] && return 0
  (
    flock 9
    [[ -f "$archive" ]] && exit 0
    local root port pid started=$SECONDS
    echo "Training Trino's class data archive (one start, a few queries)"
    root=$(mktemp -d /tmp/lomas-trino-train.XXXXXX)
    port=$(trino_free_port)
    TRINO_EXTRA_JVM="-XX:ArchiveClassesAtExit=$archive.tmp" \
      trino_write_etc "$root/node" train "$port" "$port" single "$root/data" .metastore
    mkdir -p "$root/data"
    trino_run_node "$root/node"
    pid=${TRINO_PIDS[-1]}
    local url="http://127.0.0.1:$port"
    if trino_await "$url" 1 "$pid" >/dev/null &&
      trino_sql "$url" "CREATE TABLE hive.lomas_test.t WITH (format = 'PARQUET') AS SELECT * FROM tpch.tiny.nation" >/dev/null &&
      trino_sql "$url" "SELECT regionkey, count(*), CAST(sum(CAST(nationkey AS DECIMAL(38,0))) AS VARCHAR) FROM hive.lomas_test.t GROUP BY 1" >/dev/null &&
      trino_sql "$url" "CREATE TABLE memory.default.t AS SELECT * FROM tpch.tiny.region" >/dev/null; then
      kill "$pid"
      # The archive is written at exit: give it time.
      for _ in $(seq 1 1800); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if [[ -s "$archive.tmp" ]]; then
      mv "$archive.tmp" "$archive"
      echo "  done in $((SECONDS - started)) s ($(du -h "$archive" | cut -f1))"
    else
      rm -f "$archive.tmp"
      echo "  no archive written (Trino still works, only slower to start); log: $root/node/server.log" >&2
      return 0
    fi
    rm -rf "$root"
  ) 9>"$CACHE/trino/.lock"
}

trino_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Writes one node's etc/: trino_write_etc <node dir> <node id> <port> <coordinator port> <role>
#   <data root> <metastore dir>; role is single, coordinator or worker. A cluster's nodes share
#   the data root (local:///) and the file metastore under it.
trino_write_etc() {
  local dir=$1 id=$2 port=$3 discovery_port=$4 role=$5 data_root=$6 meta=$7
  mkdir -p "$dir/etc/catalog" "$dir/var"
  cat >"$dir/etc/node.properties" <<EOF
node.environment=lomas_test
node.id=$id
node.data-dir=$dir/var
node.internal-address=127.0.0.1
node.bind-ip=127.0.0.1
EOF
  cat >"$dir/etc/jvm.config" <<EOF
-server
-Xmx${TRINO_HEAP:-1G}
-XX:+UseG1GC
-XX:G1HeapRegionSize=4M
-XX:ReservedCodeCacheSize=128M
-XX:+ExplicitGCInvokesConcurrent
-XX:+ExitOnOutOfMemoryError
-XX:-OmitStackTraceInFastThrow
-XX:PerMethodRecompilationCutoff=10000
-XX:PerBytecodeRecompilationCutoff=10000
-Djdk.attach.allowAttachSelf=true
-Djdk.nio.maxCachedBufferSize=2000000
-Dfile.encoding=UTF-8
-XX:+EnableDynamicAgentLoading
EOF
  if [[ "${TRINO_FAST_START:-1}" != 0 ]]; then
    echo "-XX:TieredStopAtLevel=1" >>"$dir/etc/jvm.config"
    local archive
    archive=$(trino_class_archive "$(trino_java_home)")
    [[ -f "$archive" ]] && echo "-XX:SharedArchiveFile=$archive" >>"$dir/etc/jvm.config"
  fi
  # shellcheck disable=SC2086 # one option per word
  [[ -z "${TRINO_EXTRA_JVM:-}" ]] || printf '%s\n' $TRINO_EXTRA_JVM >>"$dir/etc/jvm.config"
  {
    case $role in
      single | coordinator) printf 'coordinator=true\nnode-scheduler.include-coordinator=true\n' ;;
      worker) printf 'coordinator=false\n' ;;
    esac
    echo "http-server.http.port=$port"
    echo "discovery.uri=http://127.0.0.1:$discovery_port"
    echo "query.max-memory=1GB"
    # Two cores shared with jest: a few threads are enough for test-sized data.
    echo "task.concurrency=2"
    echo "task.max-worker-threads=4"
  } >"$dir/etc/config.properties"
  printf 'io.trino=WARN\n' >"$dir/etc/log.properties"
  cat >"$dir/etc/catalog/hive.properties" <<EOF
connector.name=hive
hive.metastore=file
hive.metastore.catalog.dir=local:///$meta
fs.native-local.enabled=true
local.location=$data_root
hive.non-managed-table-writes-enabled=true
hive.storage-format=PARQUET
EOF
  printf 'connector.name=memory\nmemory.max-data-per-node=128MB\n' >"$dir/etc/catalog/memory.properties"
  printf 'connector.name=tpch\n' >"$dir/etc/catalog/tpch.properties"
}

# Starts one node's JVM in the background (`launcher run` execs java: the pid is the JVM's).
trino_run_node() {
  local dir=$1 java_home
  java_home=$(trino_java_home) || return 1
  JAVA_HOME="$java_home" PATH="$java_home/bin:$PATH" "$TRINO_HOME/bin/launcher" run \
    --etc-dir="$dir/etc" --data-dir="$dir/var" >"$dir/server.log" 2>&1 &
  TRINO_PIDS+=("$!")
}

# Runs one SQL statement over Trino's HTTP protocol; prints the rows as JSON lines.
trino_sql() {
  node "$TRINO_CI_DIR/trino-sql.js" "$@"
}

trino_launch() {
  trino_install || return 1
  local root port
  root=$(mktemp -d /tmp/lomas-trino.XXXXXX)
  port=$(trino_free_port)
  mkdir -p "$root/data"
  TRINO_DIRS+=("$root")
  trino_write_etc "$root/node" single "$port" "$port" single "$root/data" .metastore
  trino_run_node "$root/node" || return 1
  export TRINO_TEST_URL="http://127.0.0.1:$port" TRINO_TEST_CATALOG=hive \
    TRINO_TEST_SCHEMA=lomas_test TRINO_TEST_DATA_DIR="$root/data"
  TRINO_SINGLE_LOG="$root/node/server.log"
  TRINO_SINGLE_PID=${TRINO_PIDS[-1]}
}

trino_cluster_launch() {
  trino_install || return 1
  local root coordinator_port worker_port
  root=$(mktemp -d /tmp/lomas-trino-cluster.XXXXXX)
  coordinator_port=$(trino_free_port)
  worker_port=$(trino_free_port)
  mkdir -p "$root/data"
  TRINO_DIRS+=("$root")
  trino_write_etc "$root/coordinator" coordinator "$coordinator_port" "$coordinator_port" coordinator "$root/data" .metastore
  trino_write_etc "$root/worker" worker "$worker_port" "$coordinator_port" worker "$root/data" .metastore
  trino_run_node "$root/coordinator" || return 1
  TRINO_CLUSTER_PIDS=("${TRINO_PIDS[-1]}")
  trino_run_node "$root/worker" || return 1
  TRINO_CLUSTER_PIDS+=("${TRINO_PIDS[-1]}")
  export TRINO_CLUSTER_TEST_URL="http://127.0.0.1:$coordinator_port" TRINO_CLUSTER_TEST_CATALOG=hive \
    TRINO_CLUSTER_TEST_SCHEMA=lomas_test TRINO_CLUSTER_TEST_DATA_DIR="$root/data"
  TRINO_CLUSTER_LOGS=("$root/coordinator/server.log" "$root/worker/server.log")
}

# trino_await <url> <active nodes> <pids...>: waits until a real query answers with that many
# active nodes (/v1/info says "ready" seconds earlier than queries work), then creates the schema.
trino_await() {
  local url=$1 nodes=$2
  shift 2
  local pids=("$@") pid started=$SECONDS
  while ((SECONDS - started < ${TRINO_START_TIMEOUT:-240})); do
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null || { echo "Trino node $pid exited during start-up" >&2; return 1; }
    done
    if [[ "$(trino_sql "$url" "SELECT (SELECT count(*) FROM system.runtime.nodes WHERE state = 'active'), (SELECT count(*) FROM tpch.tiny.region)" 2>/dev/null)" == "[$nodes,5]" ]]; then
      trino_sql "$url" "CREATE SCHEMA IF NOT EXISTS hive.lomas_test" >/dev/null || return 1
      echo "Trino ($nodes node(s)) answers on $url after $((SECONDS - started)) s"
      return 0
    fi
    sleep 1
  done
  echo "Trino did not answer on $url within ${TRINO_START_TIMEOUT:-240} s" >&2
  return 1
}

trino_wait_ready() {
  trino_await "$TRINO_TEST_URL" 1 "$TRINO_SINGLE_PID" || {
    echo "--- Trino log (last 60 lines of $TRINO_SINGLE_LOG)" >&2
    tail -n 60 "$TRINO_SINGLE_LOG" >&2
    return 1
  }
}

trino_cluster_wait_ready() {
  trino_await "$TRINO_CLUSTER_TEST_URL" 2 "${TRINO_CLUSTER_PIDS[@]}" || {
    local log
    for log in "${TRINO_CLUSTER_LOGS[@]}"; do
      echo "--- Trino log (last 40 lines of $log)" >&2
      tail -n 40 "$log" >&2
    done
    return 1
  }
}

trino_start() { trino_launch && trino_wait_ready; }
trino_cluster_start() { trino_cluster_launch && trino_cluster_wait_ready; }

trino_stop() {
  local pid dir
  for pid in "${TRINO_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${TRINO_PIDS[@]}"; do
    # SIGTERM runs Trino's shutdown hooks; a JVM still there after 20 s is killed.
    for _ in $(seq 1 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  for dir in "${TRINO_DIRS[@]}"; do rm -rf "$dir"; done
  TRINO_PIDS=()
  TRINO_DIRS=()
}
