# shellcheck shell=bash
# Sourced by scripts/test.sh (and usable by hand): a MongoDB-wire server for the
# tests marked `mongo`. No mongod package reaches these machines, so this is
# SecantusDB (secantusd-py, WiredTiger storage; see docs/mongodb.md), installed
# into its own venv, .venv-mongo: it is a test tool, never a dependency of hopt.
#   mongo_server_install   makes sure .venv-mongo has secantusd-py; sets HOPT_SECANTUSD
#   mongo_server_start     starts it on a free 127.0.0.1 port with a fresh storage
#                          directory, waits for a ping; sets HOPT_TEST_MONGO_URL
#   mongo_server_stop      stops it (SIGTERM, then SIGKILL after 20 s) and removes its data

SECANTUS_SPEC="secantusdb==0.7.0b3"
MONGO_VENV="$PWD/.venv-mongo"

mongo_server_install() {
    local stamp="$MONGO_VENV/.hopt-stamp"
    # One installer at a time (parallel test or benchmark runs share .venv-mongo).
    exec 9>"$PWD/.venv-mongo.lock"
    flock 9
    if [ ! -x "$MONGO_VENV/bin/secantusd-py" ] || [ ! -x "$MONGO_VENV/bin/python" ] ||
        [ "$(cat "$stamp" 2>/dev/null)" != "$SECANTUS_SPEC" ]; then
        echo ">> installing $SECANTUS_SPEC into $MONGO_VENV"
        rm -rf "$MONGO_VENV"
        "${PYTHON:-python3}" -m venv "$MONGO_VENV" &&
            PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_PROGRESS_BAR=off \
                "$MONGO_VENV/bin/python" -m pip install --quiet "$SECANTUS_SPEC" &&
            echo "$SECANTUS_SPEC" >"$stamp" || { flock -u 9; return 1; }
    fi
    flock -u 9
    export HOPT_SECANTUSD="$MONGO_VENV/bin/secantusd-py"
}

mongo_server_start() {
    mongo_server_install || return 1
    MONGO_SERVER_DIR="$(mktemp -d "${TMPDIR:-/tmp}/hopt-mongo.XXXXXX")"
    local port
    port="$("$VENV_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    "$HOPT_SECANTUSD" --host 127.0.0.1 --port "$port" --storage-path "$MONGO_SERVER_DIR/store" \
        >"$MONGO_SERVER_DIR/server.log" 2>&1 &
    MONGO_SERVER_PID=$!
    if ! "$VENV_PY" - "$port" <<'PY'
import sys, time
import pymongo
client = pymongo.MongoClient(f"mongodb://127.0.0.1:{sys.argv[1]}/", serverSelectionTimeoutMS=500)
deadline = time.monotonic() + 30
while True:
    try:
        client.admin.command("ping")
        break
    except pymongo.errors.PyMongoError:
        if time.monotonic() > deadline:
            sys.exit(1)
        time.sleep(0.2)
PY
    then
        echo "scripts/mongo_server.sh: secantusd-py did not answer a ping within 30 s; its log:" >&2
        tail -n 30 "$MONGO_SERVER_DIR/server.log" >&2 || true
        return 1
    fi
    export HOPT_TEST_MONGO_URL="mongo://127.0.0.1:$port"
    echo ">> MongoDB-wire server (SecantusDB) at $HOPT_TEST_MONGO_URL, pid $MONGO_SERVER_PID"
}

mongo_server_stop() {
    if [ -n "${MONGO_SERVER_PID:-}" ]; then
        kill "$MONGO_SERVER_PID" 2>/dev/null || true
        local waited=0
        while kill -0 "$MONGO_SERVER_PID" 2>/dev/null && [ "$waited" -lt 200 ]; do
            sleep 0.1
            waited=$((waited + 1))
        done
        kill -9 "$MONGO_SERVER_PID" 2>/dev/null || true
        MONGO_SERVER_PID=""
    fi
    if [ -n "${MONGO_SERVER_DIR:-}" ]; then
        rm -rf "$MONGO_SERVER_DIR"
        MONGO_SERVER_DIR=""
    fi
    unset HOPT_TEST_MONGO_URL
}
