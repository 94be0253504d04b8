#!/usr/bin/env bash
# Compiles and runs every benchmark in bench/ and prints its figures: `npm run bench`.
#   bench/X.ts is compiled with the bench/tsconfig.*.json that lists it in "files", to bench/dist,
#   and run as `node bench/dist/bench/X.js`. Known benchmarks that are not present are skipped.
#   BENCH_ONLY="e2e-http query-engine" runs only those.
#   Each benchmark prints its own lines and records its figures (bench/support/report.ts); at the
#   end one table of every figure (median, p10–p90, n, unit) is printed with the machine, and
#   written as JSON to BENCH_OUT (bench/results/latest.json, not committed).
#   BENCH_QUICK=1: fewer samples in each benchmark (a few minutes in all).
# Uses the workspace's TypeScript (node node_modules/typescript/bin/tsc): `npx tsc` would be
# tslab's bundled TypeScript 5.0.
set -uo pipefail
cd "$(dirname "$0")/.."
TSC="node node_modules/typescript/bin/tsc"

KNOWN=(dp-samplers ledger-charges query-engine e2e-http oidc-auth timing replicas sql-compile)
ALL=("${KNOWN[@]}")
for f in bench/*.ts; do
  [ -e "$f" ] || continue
  name=$(basename "$f" .ts)
  case "$name" in *.d) continue ;; esac
  case " ${ALL[*]} " in *" $name "*) ;; *) ALL+=("$name") ;; esac
done
if [ -n "${BENCH_ONLY:-}" ]; then read -r -a ALL <<<"$BENCH_ONLY"; fi

echo "== building kernel-lib and server (server/dist is what e2e-http runs)"
if ! $TSC -b kernel-lib server; then echo "build failed" >&2; exit 1; fi

export BENCH_OUT=${BENCH_OUT:-$PWD/bench/results/latest.json}
BENCH_RESULTS=$(mktemp /tmp/lomas-bench-results.XXXXXX)
export BENCH_RESULTS
trap 'rm -f "$BENCH_RESULTS"' EXIT
if [ "${BENCH_QUICK:-}" = 1 ]; then
  # Fewer samples; variables already set win.
  export BENCH_PENGUINS_N=${BENCH_PENGUINS_N:-100} BENCH_FLIGHTS_N=${BENCH_FLIGHTS_N:-10} \
    BENCH_THROUGHPUT_MS=${BENCH_THROUGHPUT_MS:-2000} BENCH_SECONDS=${BENCH_SECONDS:-0.3} \
    BENCH_TIMING_N=${BENCH_TIMING_N:-50} BENCH_TIMING_FLIGHTS_N=${BENCH_TIMING_FLIGHTS_N:-10} \
    BENCH_OIDC_N=${BENCH_OIDC_N:-500} BENCH_OIDC_HTTP_N=${BENCH_OIDC_HTTP_N:-200} \
    BENCH_REPLICAS_ADMIT=${BENCH_REPLICAS_ADMIT:-60} BENCH_REPLICAS_REFUSE=${BENCH_REPLICAS_REFUSE:-30} \
    BENCH_SYNTH_PENGUINS_N=${BENCH_SYNTH_PENGUINS_N:-5} BENCH_SYNTH_FLIGHTS_N=${BENCH_SYNTH_FLIGHTS_N:-1} \
    BENCH_SQL_N=${BENCH_SQL_N:-1000} BENCH_SQL_HTTP_N=${BENCH_SQL_HTTP_N:-100}
fi
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg), node $(node --version)"
failed=()
for name in "${ALL[@]}"; do
  if [ ! -f "bench/$name.ts" ]; then echo "== $name: not present, skipped"; continue; fi
  config=$(grep -l "\"$name.ts\"" bench/tsconfig.*.json 2>/dev/null | head -n 1)
  if [ -z "$config" ]; then echo "== $name: no bench/tsconfig.*.json lists $name.ts, skipped"; continue; fi
  echo "== $name ($config)"
  if ! $TSC -p "$config"; then echo "== $name: compile failed" >&2; failed+=("$name"); continue; fi
  start=$(date +%s)
  if ! node "bench/dist/bench/$name.js"; then echo "== $name: failed" >&2; failed+=("$name"); fi
  echo "   ($(( $(date +%s) - start )) s)"
done
if $TSC -p bench/tsconfig.summary.json; then
  node bench/dist/bench/support/summary.js "${failed[@]}"
else
  echo "summary: compile failed" >&2
  failed+=(summary)
fi
if [ ${#failed[@]} -gt 0 ]; then echo "failed: ${failed[*]}" >&2; exit 1; fi
