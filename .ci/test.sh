#!/usr/bin/env bash
# Runs every test on real components: installs what is missing, starts the services once (FerretDB,
# Dex, Trino single node, Trino coordinator + worker; the Python tools are venvs), then lint, type
# checks and jest (unit, integration, notebooks in a real tslab kernel, UI in real Chromium).
# Every suite reads the services from the environment; all are stopped on exit, also on failure.
# A service whose variable is already set (MONGODB_TEST_URI, DEX_ISSUER, TRINO_TEST_URL,
# TRINO_CLUSTER_TEST_URL) is used as it is and not started.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup.sh --test
# shellcheck source=/dev/null
source .ci/ferretdb.sh
# shellcheck source=/dev/null
source .ci/dex.sh
# shellcheck source=/dev/null
source .ci/trino.sh
# shellcheck source=/dev/null
source .ci/python.sh
stop_services() {
  trino_stop
  dex_stop
  ferretdb_stop
}
trap stop_services EXIT
if [[ -z "${MONGODB_TEST_URI:-}" ]]; then ferretdb_start 27018; fi
if [[ -z "${DEX_ISSUER:-}" ]]; then dex_start; fi
python_tools_export
# The JVMs boot (10-15 s of CPU each) while lint and the type checks run.
started=$SECONDS
trino_single=false trino_cluster=false
if [[ -z "${TRINO_TEST_URL:-}" ]]; then
  trino_launch
  trino_single=true
fi
if [[ -z "${TRINO_CLUSTER_TEST_URL:-}" ]]; then
  trino_cluster_launch
  trino_cluster=true
fi

printf '\n==> Lint and format\n'
npx eslint . && npx prettier --check . >/dev/null
printf '\n==> Type checks\n'
npm run --silent typecheck
printf '\n==> Waiting for Trino\n'
if $trino_single; then trino_wait_ready; fi
if $trino_cluster; then trino_cluster_wait_ready; fi
echo "Trino ready $((SECONDS - started)) s after launch"
printf '\n==> Tests\n'
mkdir -p test-artifacts
status=0
npx jest --ci --forceExit --json --outputFile=test-artifacts/jest.json "$@" || status=$?
node -e "
const r = require('./test-artifacts/jest.json');
console.log('');
console.log(r.numPassedTests + ' passed, ' + r.numFailedTests + ' failed' + (r.numPendingTests ? ', ' + r.numPendingTests + ' skipped' : ''));
" || true
exit $status
