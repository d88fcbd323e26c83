# shellcheck shell=bash
# Sourced by scripts/test.sh (and usable by hand): a Spark Connect server on 127.0.0.1,
# from the pyspark package in $VENV_PY's environment, running master local[2].
#   spark_connect_start   sets and exports SPARK_CONNECT_URL (sc://127.0.0.1:PORT)
#   spark_connect_stop    stops the server and waits for its JVM to exit
# Its logs, local dirs and warehouse live in one temporary directory (the server's cwd).

SPARK_CONNECT_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

spark_connect_start() {
    local spark_home
    spark_home="$("$VENV_PY" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"
    SPARK_CONNECT_DIR="$(mktemp -d "${TMPDIR:-/tmp}/hopt-spark-connect.XXXXXX")"
    local log="$SPARK_CONNECT_DIR/server.log"
    local port
    port="$("$VENV_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    local started=$SECONDS
    # spark-submit execs spark-class, which execs java: $! is the server's JVM. The
    # server's Python workers run $VENV_PY; the repo root goes first on their path so
    # they import this checkout's hopt, whatever else the venv holds. The server ends
    # each result stream after 2 s instead of 2 min, so a test task of a few seconds
    # makes the client reattach to its running job, as a long-lived task does.
    (
        cd "$SPARK_CONNECT_DIR" || exit 1
        export SPARK_LOCAL_IP=127.0.0.1 PYSPARK_PYTHON="$VENV_PY"
        export PYTHONPATH="$SPARK_CONNECT_REPO${PYTHONPATH:+:$PYTHONPATH}"
        exec "$spark_home/bin/spark-submit" \
            --class org.apache.spark.sql.connect.service.SparkConnectServer \
            --name hopt-spark-connect-tests --master 'local[2]' \
            --conf spark.connect.grpc.binding.address=127.0.0.1 \
            --conf spark.connect.grpc.binding.port="$port" \
            --conf spark.connect.execute.reattachable.senderMaxStreamDuration=2s \
            --conf spark.ui.enabled=false --conf spark.ui.showConsoleProgress=false \
            --conf spark.driver.extraJavaOptions=-XX:TieredStopAtLevel=1 \
            --conf spark.local.dir="$SPARK_CONNECT_DIR/local" \
            --conf spark.sql.warehouse.dir="$SPARK_CONNECT_DIR/warehouse"
    ) >"$log" 2>&1 </dev/null &
    SPARK_CONNECT_PID=$!
    # Ready when the server logs the address it bound. The port is read from that line:
    # Spark moves to the next port when the one asked for was taken in the meantime.
    local deadline=$((SECONDS + ${HOPT_SPARK_CONNECT_TIMEOUT:-120})) bound=""
    until bound="$(sed -n 's/.*Spark Connect server started at: 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log")" && [ -n "$bound" ]; do
        if ! kill -0 "$SPARK_CONNECT_PID" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
            echo "scripts/spark_connect.sh: the Spark Connect server did not start; its log:" >&2
            grep -v '^\s*at ' "$log" | tail -n 30 >&2 || true
            spark_connect_stop
            return 1
        fi
        sleep 0.2
    done
    export SPARK_CONNECT_URL="sc://127.0.0.1:$bound"
    echo ">> Spark Connect server $SPARK_CONNECT_URL (local[2]) up in $((SECONDS - started)) s"
}

spark_connect_stop() {
    [ -n "${SPARK_CONNECT_DIR:-}" ] || return 0
    local pid="${SPARK_CONNECT_PID:-}"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        # SIGTERM runs Spark's shutdown hooks (about 2 s); SIGKILL what lingers.
        local _
        for _ in $(seq 1 75); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    fi
    rm -rf "$SPARK_CONNECT_DIR"
    SPARK_CONNECT_DIR="" SPARK_CONNECT_PID=""
    unset SPARK_CONNECT_URL
}
