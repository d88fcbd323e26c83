#!/usr/bin/env bash
# The demo command: bash scripts/demo.sh [demo args...]
# Sets up .venv (see scripts/_venv.sh) and runs examples/demo.py.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/_venv.sh
source scripts/_venv.sh
hopt_venv examples

exec "$VENV_PY" examples/demo.py "$@"
