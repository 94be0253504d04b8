#!/usr/bin/env bash
# `npm run bench:anchors` (issue 16): this server beside the Python Lomas server 0.4.1 and
# OpenDP 0.16 + Polars, the same questions on the same data in one run (see anchors.ts).
# Installs the anchors' venvs on first use (bench/anchors/setup.sh, cached under ~/.cache/lomas),
# builds kernel-lib and server, and writes bench/results/anchors.json (BENCH_ANCHORS_OUT).
# BENCH_QUICK=1 takes fewer samples (a few minutes on a loaded 2-core machine).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=setup.sh
source bench/anchors/setup.sh
TSC="node node_modules/typescript/bin/tsc"
$TSC -b kernel-lib server
$TSC -p bench/tsconfig.anchors.json
node bench/dist/bench/anchors/anchors.js
