# shellcheck shell=bash
# Sourced by scripts/test.sh (and usable by hand): a Spark standalone master and
# one worker on 127.0.0.1, from the pyspark package in $VENV_PY's environment.
#   spark_standalone_start   sets SPARK_STANDALONE_URL (spark://127.0.0.1:PORT)
#   spark_standalone_stop    stops both daemons and waits for their JVMs to exit
# Everything (pids, logs, work dirs) lives in one temporary directory.

spark_standalone_start() {
    SPARK_STANDALONE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/hopt-spark.XXXXXX")"
    export SPARK_HOME
    SPARK_HOME="$("$VENV_PY" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')"
    export SPARK_LOCAL_IP=127.0.0.1
    export SPARK_PID_DIR="$SPARK_STANDALONE_DIR/pids" SPARK_LOG_DIR="$SPARK_STANDALONE_DIR/logs"
    export SPARK_WORKER_DIR="$SPARK_STANDALONE_DIR/work"
    export SPARK_DAEMON_JAVA_OPTS="-XX:TieredStopAtLevel=1" SPARK_DAEMON_MEMORY=512m
    export PYSPARK_PYTHON="$VENV_PY"
    mkdir -p "$SPARK_PID_DIR" "$SPARK_LOG_DIR" "$SPARK_WORKER_DIR"
    # Free ports picked now: a busy 7077 would make the master move silently.
    local ports
    ports="$("$VENV_PY" - <<'PY'
import socket
socks = [socket.socket() for _ in range(3)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
)"
    local master_port web_port worker_web_port
    read -r master_port web_port worker_web_port <<<"$ports"
    SPARK_STANDALONE_URL="spark://127.0.0.1:$master_port"
    "$SPARK_HOME/sbin/spark-daemon.sh" start org.apache.spark.deploy.master.Master 1 \
        --host 127.0.0.1 --port "$master_port" --webui-port "$web_port" >/dev/null
    "$SPARK_HOME/sbin/spark-daemon.sh" start org.apache.spark.deploy.worker.Worker 1 \
        --host 127.0.0.1 --cores "${HOPT_SPARK_WORKER_CORES:-2}" --memory 2g --webui-port "$worker_web_port" \
        "$SPARK_STANDALONE_URL" >/dev/null
    # Ready when the master's JSON status lists one alive worker.
    local deadline=$((SECONDS + 90))
    until "$VENV_PY" - "$web_port" <<'PY' 2>/dev/null
import json, sys, urllib.request
status = json.load(urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/json/", timeout=1))
sys.exit(0 if status.get("aliveworkers", 0) >= 1 else 1)
PY
    do
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "scripts/spark_standalone.sh: no alive worker after 90 s; logs:" >&2
            tail -n 30 "$SPARK_LOG_DIR"/* >&2 || true
            return 1
        fi
        sleep 0.5
    done
    echo ">> Spark standalone master $SPARK_STANDALONE_URL with 1 worker (${HOPT_SPARK_WORKER_CORES:-2} cores)"
}

spark_standalone_stop() {
    [ -n "${SPARK_STANDALONE_DIR:-}" ] || return 0
    local pids=""
    pids="$(cat "$SPARK_PID_DIR"/*.pid 2>/dev/null || true)"
    "$SPARK_HOME/sbin/spark-daemon.sh" stop org.apache.spark.deploy.worker.Worker 1 >/dev/null 2>&1 || true
    "$SPARK_HOME/sbin/spark-daemon.sh" stop org.apache.spark.deploy.master.Master 1 >/dev/null 2>&1 || true
    # spark-daemon.sh returns at once; wait for the JVMs (then kill what lingers).
    local pid
    for pid in $pids; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -9 "$pid" 2>/dev/null || true
    done
    rm -rf "$SPARK_STANDALONE_DIR"
    SPARK_STANDALONE_DIR=""
}
