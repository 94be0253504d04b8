#!/usr/bin/env bash
# Runs every test on real components: installs what is missing, starts FerretDB and Dex, then lint,
# type checks and jest (unit, integration, notebooks in a real tslab kernel, UI in real Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup.sh --test
# shellcheck source=/dev/null
source .ci/ferretdb.sh
# shellcheck source=/dev/null
source .ci/dex.sh
trap 'ferretdb_stop; dex_stop' EXIT
[[ -z "${MONGODB_TEST_URI:-}" ]] && ferretdb_start 27018
[[ -z "${DEX_ISSUER:-}" ]] && dex_start

printf '\n==> Lint and format\n'
npx eslint . && npx prettier --check . >/dev/null
printf '\n==> Type checks\n'
npm run --silent typecheck
printf '\n==> Tests\n'
mkdir -p test-artifacts
status=0
npx jest --ci --json --outputFile=test-artifacts/jest.json "$@" || status=$?
node -e "
const r = require('./test-artifacts/jest.json');
console.log('');
console.log(r.numPassedTests + ' passed, ' + r.numFailedTests + ' failed' + (r.numPendingTests ? ', ' + r.numPendingTests + ' skipped' : ''));
" || true
exit $status
