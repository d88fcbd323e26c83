#!/usr/bin/env bash
# Build the documentation site into site/ with mkdocs in strict mode: any warning
# (a broken link, a missing page, a docstring that does not render) fails the build.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/_venv.sh
source scripts/_venv.sh
hopt_venv docs
NO_MKDOCS_2_WARNING=1 "$VENV_BIN/mkdocs" build --strict --clean "$@"
