#!/usr/bin/env bash
# Compiles and runs every benchmark in bench/ and prints its figures: `npm run bench`.
#   bench/X.ts is compiled with the bench/tsconfig.*.json that lists it in "files", to bench/dist,
#   and run as `node bench/dist/bench/X.js`. Known benchmarks that are not present are skipped.
#   BENCH_ONLY="e2e-http query-engine" runs only those.
# Uses the workspace's TypeScript (node node_modules/typescript/bin/tsc): `npx tsc` would be
# tslab's bundled TypeScript 5.0.
set -uo pipefail
cd "$(dirname "$0")/.."
TSC="node node_modules/typescript/bin/tsc"

KNOWN=(dp-samplers ledger-charges query-engine e2e-http oidc-auth timing replicas)
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
if [ ${#failed[@]} -gt 0 ]; then echo "failed: ${failed[*]}" >&2; exit 1; fi
