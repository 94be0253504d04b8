#!/usr/bin/env bash
# Installs the systems `npm run bench:anchors` compares this server with (issue 16), each in a
# cached venv under ~/.cache/lomas/venvs. NOT part of the test run: the Lomas server pulls torch
# (several GB). Idempotent; a second run only checks the stamps.
#   bash bench/anchors/setup.sh      installs, then prints the interpreters
#   source bench/anchors/setup.sh    installs and exports them:
#     LOMAS_ANCHOR_PYTHON   Python 3.12 with lomas-server, lomas-client and lomas-core 0.4.1
#                           (`python -m lomas_server.uvicorn_serve`, config in LOMAS_CONFIG_PATH)
#     OPENDP_ANCHOR_PYTHON  Python 3.12 with opendp[polars] 0.16.0, polars and pyarrow
# Two venvs because lomas-core 0.4.1 pins opendp 0.10.0.
# shellcheck source=../../.ci/python.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/python.sh"

# Pins that make Lomas 0.4.1 install and run (see ../shared/docs/TOOLCHAIN.md): its client needs
# Python 3.12 syntax; setuptools 81 drops pkg_resources; scikit-learn 1.9 breaks diffprivlib 0.6.5;
# fixed OpenTelemetry versions stop pip's resolver from backtracking for hours.
LOMAS_ANCHOR_REQUIREMENTS=(
  lomas-server==0.4.1 lomas-client==0.4.1 lomas-core==0.4.1
  'setuptools<81' scikit-learn==1.5.2
  opentelemetry-api==1.29.0 opentelemetry-sdk==1.29.0 opentelemetry-exporter-otlp==1.29.0
  opentelemetry-instrumentation-fastapi==0.50b0 opentelemetry-instrumentation-pymongo==0.50b0
  opentelemetry-instrumentation-requests==0.50b0
)
OPENDP_ANCHOR_REQUIREMENTS=('opendp[polars]==0.16.0' pyarrow)

anchors_install() {
  python_venv lomas-server-0.4.1-py3.12 3.12 "${LOMAS_ANCHOR_REQUIREMENTS[@]}" &&
    python_venv opendp-0.16.0-py3.12 3.12 "${OPENDP_ANCHOR_REQUIREMENTS[@]}" &&
    export LOMAS_ANCHOR_PYTHON="$LOMAS_VENVS/lomas-server-0.4.1-py3.12/bin/python" \
      OPENDP_ANCHOR_PYTHON="$LOMAS_VENVS/opendp-0.16.0-py3.12/bin/python"
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  anchors_install
  echo "LOMAS_ANCHOR_PYTHON=$LOMAS_ANCHOR_PYTHON"
  echo "OPENDP_ANCHOR_PYTHON=$OPENDP_ANCHOR_PYTHON"
else
  anchors_install
fi
