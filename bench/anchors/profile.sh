#!/usr/bin/env bash
# Where this server's time goes per request (CPU profile of a real server process): see profile.ts.
set -euo pipefail
cd "$(dirname "$0")/../.."
TSC="node node_modules/typescript/bin/tsc"
$TSC -b kernel-lib server
$TSC -p bench/tsconfig.profile.json
node bench/dist/bench/anchors/profile.js
