"""The ``hopt`` command: dashboard, report, worker; and the page's files as package data."""

from __future__ import annotations

import configparser
import os
import re
import signal
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest
from dashboard_support import fetch, run_search

from hopt import cli
from hopt.dashboard.store import ACCEPTED_FORMS
from hopt.trials.queue import cli as worker_cli

REPO = Path(__file__).resolve().parents[2]


def test_the_page_files_are_package_data_found_through_importlib_resources():
    static = resources.files("hopt.dashboard").joinpath("static")
    for name in ("index.html", "app.js", "style.css"):
        assert static.joinpath(name).is_file(), name
        assert static.joinpath(name).read_bytes()


def test_setup_cfg_ships_the_page_and_declares_the_hopt_command():
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    assert config["options.package_data"]["hopt.dashboard"].split() == ["static/*"]
    scripts = config["options.entry_points"]["console_scripts"]
    assert "hopt = hopt.cli:main" in scripts and "hopt-worker = hopt.worker:main" in scripts


def test_the_page_script_never_writes_markup():
    script = resources.files("hopt.dashboard").joinpath("static", "app.js").read_text()
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
    page = resources.files("hopt.dashboard").joinpath("static", "index.html").read_text()
    assert not re.search(r"(src|href)=\"(https?:)?//", page)  # nothing from elsewhere


def test_hopt_worker_is_hopt_worker(capsys):
    with pytest.raises(SystemExit) as ours:
        cli.main(["worker", "--help"])
    ours_text = capsys.readouterr().out
    with pytest.raises(SystemExit) as theirs:
        worker_cli.main(["--help"])
    assert ours.value.code == theirs.value.code == 0
    assert ours_text == capsys.readouterr().out and "--store" in ours_text


def test_hopt_worker_passes_its_arguments_on(monkeypatch):
    seen = []
    monkeypatch.setattr(worker_cli, "main", lambda argv: seen.append(argv) or 7)
    assert cli.main(["worker", "--store", "x.db", "--max-jobs", "1"]) == 7
    assert seen == [["--store", "x.db", "--max-jobs", "1"]]


def test_hopt_report_writes_the_file(tmp_path, capsys):
    run_search(tmp_path / "run.pkl", 4)
    assert cli.main(["report", str(tmp_path / "run.pkl"), "-o", str(tmp_path / "r.html")]) == 0
    assert capsys.readouterr().out == f"hopt report: wrote {tmp_path / 'r.html'}\n"
    assert "hopt-data" in (tmp_path / "r.html").read_text()


@pytest.mark.parametrize("command", ["report", "dashboard"])
def test_a_bad_store_exits_2_naming_the_accepted_forms(command, tmp_path, capsys):
    extra = ["-o", str(tmp_path / "r.html")] if command == "report" else ["--port", "0"]
    assert cli.main([command, str(tmp_path / "missing.pkl"), *extra]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"hopt {command}: there is no file at") and ACCEPTED_FORMS in error


def test_hopt_report_into_a_missing_folder_is_a_usage_error(tmp_path, capsys):
    run_search(tmp_path / "run.pkl", 2)
    with pytest.raises(SystemExit) as caught:
        cli.main(["report", str(tmp_path / "run.pkl"), "-o", str(tmp_path / "no" / "r.html")])
    assert caught.value.code == 2 and "does not exist" in capsys.readouterr().err


def test_the_dashboard_title_never_shows_a_mongodb_password():
    assert cli._title("mongo://ann:s3cret@db:27017/exp/jobs", None) == (
        "mongo://ann:***@db:27017/exp/jobs"
    )
    assert cli._title("/tmp/a/run.pkl", "k") == "run.pkl (exp_key k)"


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize(
    "stop, started",
    [
        (signal.SIGINT, None),
        # a shell script's background job (`hopt dashboard ... &`) starts with SIGINT ignored
        (signal.SIGINT, _ignore_sigint),
        (signal.SIGTERM, None),  # what service managers and `docker stop` send
    ],
    ids=["ctrl-c", "ctrl-c-in-a-background-job", "sigterm"],
)
def test_hopt_dashboard_serves_until_interrupted(tmp_path, stop, started):
    """The real command in a process: prints its URL, answers, stops on Ctrl-C or
    SIGTERM (status 0), also when it was started with SIGINT ignored."""
    run_search(tmp_path / "run.pkl", 3)
    process = subprocess.Popen(
        [sys.executable, "-m", "hopt", "dashboard", str(tmp_path / "run.pkl"), "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)), preexec_fn=started,
    )  # fmt: skip
    try:
        line = process.stdout.readline()
        match = re.match(r"hopt dashboard: serving run\.pkl at (http://127\.0\.0\.1:\d+/)$", line)
        assert match, line + process.stderr.read()
        assert fetch(match.group(1) + "api/state")[0] == 200
    finally:
        process.send_signal(stop)
        try:
            out, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
            pytest.fail(f"the dashboard did not stop on signal {stop!r}: {err}")
    assert process.returncode == 0, err


def test_a_taken_port_is_said_plainly(tmp_path, capsys):
    import socket

    run_search(tmp_path / "run.pkl", 2)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert cli.main(["dashboard", str(tmp_path / "run.pkl"), "--port", str(port)]) == 1
    assert "pick another port with --port" in capsys.readouterr().err


def test_import_hopt_does_not_import_the_dashboard_or_a_web_server():
    code = "import sys, hopt; print(sorted(m for m in sys.modules if m.startswith(('hopt.dashboard', 'http.server'))))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True,
        env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=60,
    ).stdout  # fmt: skip
    assert out.strip() == "[]"
