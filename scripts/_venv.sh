# shellcheck shell=bash
# Sourced (not run) by scripts/*.sh from the repo root. Provides `hopt_venv EXTRAS`,
# which makes sure .venv exists and holds an editable install of hopt with EXTRAS,
# then sets VENV_PY and VENV_BIN. Only python3 and PyPI are assumed on the machine.

VENV_DIR="$PWD/.venv"
VENV_BIN="$VENV_DIR/bin"
VENV_PY="$VENV_BIN/python"

hopt_venv() {
    local extras="$1"
    local stamp="$VENV_DIR/.hopt-install-stamp-$extras"

    # Create the venv if missing, or rebuild it if its interpreter no longer runs
    # (e.g. the Python it was made from was removed). PYTHON picks the interpreter.
    if ! "$VENV_PY" -c '' >/dev/null 2>&1; then
        echo ">> creating $VENV_DIR with ${PYTHON:-python3}"
        "${PYTHON:-python3}" -m venv --clear "$VENV_DIR"
        rm -f "$VENV_DIR"/.hopt-install-stamp-*
    fi

    # Reinstall only when something that affects the install changed: the packaging
    # files, the extras, the interpreter, or the set of top-level packages.
    local key
    key="$({
        cat setup.cfg pyproject.toml
        echo "extras=$extras"
        "$VENV_PY" -VV
        ls -d -- */__init__.py 2>/dev/null || true
    } | sha256sum | cut -d' ' -f1)"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
        return 0
    fi

    echo ">> installing hopt[$extras] into $VENV_DIR"
    # --quiet still prints errors; no progress bars keeps CI logs readable.
    export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_PROGRESS_BAR=off
    "$VENV_PY" -m pip install --quiet --upgrade pip
    "$VENV_PY" -m pip install --quiet -e ".[$extras]"
    echo "$key" >"$stamp"
}
