#!/usr/bin/env bash
# The test command: bash scripts/test.sh [pytest args...]
# Sets up .venv (see scripts/_venv.sh), starts a MongoDB-wire server for tests/mongo and
# installs Debian's chromium for the dashboard's browser tests when it is missing.
# With arguments, runs pytest with them once (starting a Spark Connect server first
# when tests/spark_connect is among them). Without, runs the whole suite, then the
# Spark tests again on local-cluster and on a standalone Spark master + worker that it
# starts and stops, then tests/spark_connect on a Spark Connect server (needs Java 17+).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/_venv.sh
source scripts/_venv.sh
hopt_venv test
# hyperopt-sklearn 1.1.1 for tests/compat (a Hyperopt-based library run on hopt through
# hopt.compat). Its pins (hyperopt==0.2.7, numpy<=2.3, scipy<=1.15.3, ...) would replace
# the test environment's packages, so it is installed without its dependencies.
if ! "$VENV_PY" -c 'import importlib.metadata as m, sys; sys.exit(m.version("hyperopt-sklearn") != "1.1.1")' 2>/dev/null; then
    "$VENV_PY" -m pip install --quiet --no-deps hyperopt-sklearn==1.1.1
fi

# MongoDB: a real wire-protocol server (SecantusDB, installed into .venv-mongo as a
# test-only tool) on a free loopback port with a fresh storage directory; the
# tests in tests/mongo get its URL in HOPT_TEST_MONGO_URL. Stopped on exit, even
# when tests fail.
# shellcheck source=scripts/mongo_server.sh
source scripts/mongo_server.sh

# A browser for the dashboard's page tests (tests/dashboard/test_dashboard_browser.py):
# Debian's Chromium at /usr/bin/chromium, installed with apt-get when missing. When it
# cannot be installed, HOPT_BROWSER_ERROR says why and those tests fail with it.
# shellcheck source=scripts/browser.sh
source scripts/browser.sh
browser_install || true

# Spark: tests/spark start their own session on SPARK_TEST_MASTER (local[2] by
# default). With no arguments this script also reruns tests/spark on
# local-cluster[1,2,1024] (a separate executor JVM) and on a standalone master +
# worker it starts on 127.0.0.1 and always stops.
export SPARK_LOCAL_IP=127.0.0.1 PYSPARK_PYTHON="$VENV_PY" PYSPARK_DRIVER_PYTHON="$VENV_PY"
# shellcheck source=scripts/spark_standalone.sh
source scripts/spark_standalone.sh
# tests/spark_connect run against a Spark Connect server (SPARK_CONNECT_URL) that
# scripts/spark_connect.sh starts on 127.0.0.1; without one they are skipped.
# shellcheck source=scripts/spark_connect.sh
source scripts/spark_connect.sh
cleanup() {
    spark_connect_stop
    spark_standalone_stop
    mongo_server_stop
}
trap cleanup EXIT
mongo_server_start

# pytest's 5 means "no tests collected": a broken suite, not a pass.
run_pytest() {
    local rc=0
    "$VENV_PY" -m pytest "$@" || rc=$?
    if [ "$rc" -eq 5 ]; then
        echo "scripts/test.sh: pytest collected no tests (exit 5); failing." >&2
        rc=1
    fi
    return "$rc"
}

if [ "$#" -gt 0 ]; then
    # A server of its own for tests/spark_connect, unless the caller gave one.
    if [ -z "${SPARK_CONNECT_URL:-}" ]; then
        for arg in "$@"; do
            case "$arg" in
            *tests/spark_connect*)
                spark_connect_start || exit 1
                break
                ;;
            esac
        done
    fi
    run_pytest "$@"
    exit $?
fi

status=0
echo ">> the whole suite (Spark tests on local[2])"
# tests/spark_connect runs once, in its own pass below, where its server is up.
run_pytest --ignore=tests/spark_connect || status=1
echo ">> tests/spark on local-cluster[1,2,1024]"
SPARK_TEST_MASTER='local-cluster[1,2,1024]' run_pytest tests/spark -q || status=1
echo ">> tests/spark on a standalone master + worker"
if spark_standalone_start; then
    SPARK_TEST_MASTER="$SPARK_STANDALONE_URL" run_pytest tests/spark -q || status=1
else
    status=1
fi
spark_standalone_stop
echo ">> tests/spark_connect on a Spark Connect server"
if spark_connect_start; then
    run_pytest tests/spark_connect -q || status=1
else
    status=1
fi
spark_connect_stop
exit "$status"
