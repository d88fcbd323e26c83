#!/usr/bin/env bash
# The test command: bash scripts/test.sh [pytest args...]
# Sets up .venv (see scripts/_venv.sh) and runs pytest with the given arguments.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/_venv.sh
source scripts/_venv.sh
hopt_venv test

# ---------------------------------------------------------------------------
# PLACEHOLDER: MongoDB-wire server.
# A later change starts a local MongoDB-wire-compatible server here for the
# tests marked `mongo`, exports its URL for them, and stops it in an EXIT trap.
# ---------------------------------------------------------------------------

# ---------------------------------------------------------------------------
# PLACEHOLDER: Spark.
# A later change prepares a local Spark (pyspark, a JVM) here for the tests
# marked `spark`, and exports whatever they need to find it.
# ---------------------------------------------------------------------------

# Not `exec`: later cleanup traps must still run after pytest exits.
rc=0
"$VENV_PY" -m pytest "$@" || rc=$?
if [ "$rc" -eq 5 ]; then
    # pytest's 5 means "no tests collected": a broken suite, not a pass.
    echo "scripts/test.sh: pytest collected no tests (exit 5); failing." >&2
    exit 1
fi
exit "$rc"
