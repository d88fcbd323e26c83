#!/usr/bin/env bash
# Static checks: bash scripts/lint.sh
# Runs every check even if an earlier one fails, so one run shows all problems.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/_venv.sh
source scripts/_venv.sh
hopt_venv test  # ruff and mypy come with the test extra

status=0
echo ">> ruff check ."
"$VENV_BIN/ruff" check . || status=1
echo ">> ruff format --check ."
"$VENV_BIN/ruff" format --check . || status=1
echo ">> mypy (files from pyproject.toml)"
"$VENV_BIN/mypy" || status=1

if [ "$status" -ne 0 ]; then
    echo "scripts/lint.sh: lint failed" >&2
fi
exit "$status"
