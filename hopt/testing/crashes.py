"""Crash kit: kill -9 of the fmin process, then a rerun of the same script.

``check_killed_run_resumes`` runs a search as a script of its own, kills that
process once a few trials have finished, runs the script again, and checks what
a user of a durable backend relies on: the rerun finishes the search, no finished
trial was lost, and no trial was evaluated twice.  The objective logs "start x"
and "end x" lines to a file, so every evaluation is counted, wherever it ran.

The backend is given as two lines of Python for the script (``imports`` and a
``trials`` expression over ``STORE``, the first command-line argument), so the
same check runs on FileTrials and on MongoTrials with its workers.

``reports_then_killed_once`` kills its worker right after two reports, once;
``check_reports_survived_the_kill`` then checks that a crash lost no report
already made and that the trial ran again under the lease rules.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SCRIPT = """
import sys, time
from hopt import fmin, hp, rand
{imports}

STORE, LOG = sys.argv[1], sys.argv[2]


def objective(x):
    with open(LOG, "a") as log:
        log.write(f"start {{x!r}}\\n")
    time.sleep({seconds})
    with open(LOG, "a") as log:
        log.write(f"end {{x!r}}\\n")
    return x ** 2


if __name__ == "__main__":
    trials = {trials}
    fmin(objective, hp.uniform("x", -1, 1), algo=rand.suggest, max_evals={max_evals},
         trials=trials, rstate=0, show_progressbar=False)
    print("finished", len(trials))
"""


def logged(path: str | os.PathLike, kind: str) -> list[str]:
    """The ``x`` of every "start" or "end" line the objective wrote."""
    if not os.path.exists(path):
        return []
    with open(path) as log:
        return [line.split()[1] for line in log if line.startswith(kind)]


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def check_killed_run_resumes(
    folder: Path,
    store: str,
    imports: str,
    trials: str,
    open_trials: Callable[[], Any],
    max_evals: int = 10,
    kill_after: int = 3,
    before_kill: Callable[[int], None] | None = None,
    after_kill: Callable[[int], None] | None = None,
) -> None:
    """Run, kill -9 after ``kill_after`` finished trials, rerun; check nothing was lost
    or run twice.  ``before_kill(pid)`` and ``after_kill(pid)`` may check what the
    backend does around the kill; ``open_trials()`` opens the trials for the final checks."""
    script, log = folder / "search.py", str(folder / "evaluations.log")
    script.write_text(
        SCRIPT.format(imports=imports, trials=trials, seconds=0.4, max_evals=max_evals)
    )
    run = [sys.executable, str(script), store, log]
    first = subprocess.Popen(run, cwd=folder)
    wait_for(lambda: len(logged(log, "end")) >= kill_after, 60, f"{kill_after} finished trials")
    if before_kill is not None:
        before_kill(first.pid)
    first.send_signal(signal.SIGKILL)
    first.wait()
    if after_kill is not None:
        after_kill(first.pid)
    second = subprocess.run(run, cwd=folder, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    assert f"finished {max_evals}" in second.stdout, second.stdout
    done = open_trials()
    assert len(done) == max_evals and set(done.statuses()) == {"ok"}
    started, ended = logged(log, "start"), logged(log, "end")
    assert sorted(started) == sorted(ended), "every evaluation that started was recorded"
    assert len(started) == len(set(started)) == max_evals, "no trial ran twice"
    assert sorted(repr(x) for x in done.vals["x"]) == sorted(started)


#: the environment variable naming the marker file of ``reports_then_killed_once``
MARKER_VARIABLE = "HOPT_TEST_MARKER"


def reports_then_killed_once(x: float) -> float:
    """The first call anywhere reports ``x + 100`` at step 0 and ``x + 101`` at step 1,
    then kill -9 of its own process (a worker); later calls report ``x`` at step 0 and
    return ``x**2``.

    The first call claims the marker file named by ``$HOPT_TEST_MARKER`` (created
    exclusively, so two workers never both die) and writes its ``x`` there.
    """
    from ..running import report

    try:
        fd = os.open(os.environ[MARKER_VARIABLE], os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        report(x, step=0)
        return x**2
    os.write(fd, repr(x).encode())
    os.close(fd)
    report(x + 100, step=0)
    report(x + 101, step=1)
    os.kill(os.getpid(), signal.SIGKILL)
    raise AssertionError("unreachable: the process was killed")


def check_reports_survived_the_kill(trials: Any, marker: str | os.PathLike) -> None:
    """After a run of ``reports_then_killed_once``: the killed attempt's reports are
    stored, followed by the second attempt's, and that attempt finished the trial."""
    killed_x = float(Path(marker).read_text())
    (trial,) = [t for t in trials.trials if t["misc"]["vals"]["x"][0] == killed_x]
    reports = [(r["step"], r["value"]) for r in trial["reports"]]
    assert reports == [(0, killed_x + 100), (1, killed_x + 101), (0, killed_x)], reports
    assert trial["attempts"] == 2 and len(trial["lost_owners"]) == 1
    assert trial["result"] == {"loss": killed_x**2, "status": "ok"}
