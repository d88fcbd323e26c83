"""Packaging: what scripts/_venv.sh's editable install prints."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_editable_install_prints_no_setuptools_warning(tmp_path):
    # scripts/_venv.sh runs `pip install --quiet -e .`; setuptools' "Editable installation
    # ... Please be careful with folders in your working directory" warning came through
    # --quiet on every set-up. The same install, into a throwaway prefix so this
    # environment's own install is left alone (pip builds it with the newest setuptools,
    # in an isolated build environment, as the scripts do).
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
               "--ignore-installed", "--no-warn-script-location",
               "--prefix", str(tmp_path / "prefix"), "-e", str(ROOT)]  # fmt: skip
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=600, env=env, cwd=tmp_path
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "BuildBackendWarning" not in output, output
    assert "Editable install" not in output, output
