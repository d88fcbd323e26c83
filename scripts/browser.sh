# shellcheck shell=bash
# Sourced by scripts/test.sh (or run: bash scripts/browser.sh). Provides
# `browser_install`, which makes sure Debian's Chromium is at /usr/bin/chromium for the
# dashboard's browser tests (tests/dashboard/test_browser.py drives it with Playwright).
#
# Chromium comes from Debian's packages, installed with apt-get when it is missing
# (non-interactive; CI runs as root). Playwright's own browser download
# (`playwright install`) is never used: this machine reaches PyPI and Debian only.
# When the install fails, HOPT_BROWSER_ERROR says why and the browser tests fail with
# that reason instead of being skipped.

HOPT_CHROMIUM="${HOPT_CHROMIUM:-/usr/bin/chromium}"
export HOPT_CHROMIUM

browser_install() {
    if "$HOPT_CHROMIUM" --version >/dev/null 2>&1; then
        return 0
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if ! sudo -n true 2>/dev/null; then
            export HOPT_BROWSER_ERROR="no $HOPT_CHROMIUM, and installing Debian's chromium needs root (apt-get install chromium) or password-less sudo"
            echo "scripts/browser.sh: $HOPT_BROWSER_ERROR" >&2
            return 1
        fi
        sudo=(sudo -n)
    fi
    echo ">> installing Debian's chromium (apt-get) for the dashboard's browser tests"
    local log
    log="$(mktemp)"
    # DPkg::Lock::Timeout: wait for another apt-get instead of failing at once.
    if DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 \
        update -qq >"$log" 2>&1 &&
        DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=600 \
            install -y -qq --no-install-recommends chromium fonts-liberation >>"$log" 2>&1 &&
        "$HOPT_CHROMIUM" --version >>"$log" 2>&1; then
        rm -f "$log"
        return 0
    fi
    export HOPT_BROWSER_ERROR="apt-get could not install chromium: $(tail -n 5 "$log" | tr '\n' ' ')"
    echo "scripts/browser.sh: $HOPT_BROWSER_ERROR" >&2
    rm -f "$log"
    return 1
}

# Run directly: install, and say where the browser is.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    set -euo pipefail
    browser_install
    "$HOPT_CHROMIUM" --version
fi
