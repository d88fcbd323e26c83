"""``LocalWorkers``: the ``hopt-worker`` processes a FileTrials run starts and stops.

Each worker is ``python -m hopt.worker --store PATH --parent-pid <fmin's pid>``:
a process of its own, so trials run in parallel on every core, and a worker
that dies (an objective that segfaults, a kill -9) loses only its own trial,
which the store gives back (see FileJobs.requeue_expired).  With the parent pid
the workers notice when fmin is killed: they finish the trial they hold, record
it, and exit, so nothing runs for nobody and nothing is lost.

Stopping: SIGTERM makes a worker give its trial back to the queue and exit (a
rerun evaluates it); after a grace period it is killed.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time

from ...exceptions import HoptError

logger = logging.getLogger("hopt.file")

#: how long stopping workers may take before they are killed (seconds)
STOP_GRACE_SECS = 10.0
#: a worker that ends sooner than this after its start counts as a failed start
QUICK_EXIT_SECS = 5.0
#: give up after this many failed starts in a row
MAX_FAILED_STARTS = 3
#: the thread pools of numerical libraries, sized per worker (see ``_spawn``)
THREAD_POOL_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)


class WorkerStartError(HoptError, RuntimeError):
    """FileTrials' worker processes keep ending as soon as they start."""


class LocalWorkers:
    """``count`` worker processes serving ``path`` (one exp_key, or all when None)."""

    def __init__(
        self,
        path: str,
        count: int,
        exp_key: str | None,
        lease_secs: float,
        key_file: str | None = None,
    ) -> None:
        self.path = path
        self.count = count
        self.exp_key = exp_key
        self.lease_secs = lease_secs
        self.key_file = key_file
        self.processes: list[tuple[subprocess.Popen, float]] = []
        self._failed_starts = 0

    def _command(self) -> list[str]:
        command = [
            sys.executable, "-m", "hopt.worker",
            "--store", self.path,
            "--parent-pid", str(os.getpid()),
            "--reserve-timeout", "inf",
            "--poll-interval", "0.05",  # a look at a local file costs ~50 µs
            "--lease-timeout", str(self.lease_secs),
            # fmin sees every failure; a worker of its own should not quit over them
            "--max-consecutive-failures", str(2**31),
            "--log-level", "warning",
        ]  # fmt: skip
        if self.exp_key is not None:
            command += ["--exp-key", self.exp_key]
        if self.key_file is not None:
            command += ["--key-file", self.key_file]
        return command

    def _spawn(self) -> None:
        env = dict(os.environ)
        # N workers each with a thread per core (OpenMP, BLAS) would fight over the
        # cores: give each its share, unless the user chose a number
        share = str(max(1, (os.cpu_count() or 1) // self.count))
        for name in THREAD_POOL_VARIABLES:
            env.setdefault(name, share)
        # the worker imports the objective's modules as fmin did: same cwd and sys.path
        paths = [p for p in sys.path if p]
        env["PYTHONPATH"] = os.pathsep.join([os.getcwd(), *paths])
        process = subprocess.Popen(self._command(), env=env, stdin=subprocess.DEVNULL)
        self.processes.append((process, time.monotonic()))

    def start(self) -> None:
        for _ in range(self.count):
            self._spawn()
        logger.info("FileTrials: started %d worker process(es) on %s", self.count, self.path)

    def alive(self) -> int:
        return sum(1 for process, _ in self.processes if process.poll() is None)

    def check(self) -> None:
        """Replace workers that ended (killed, crashed); stop after repeated failed starts."""
        still = []
        for process, started in self.processes:
            code = process.poll()
            if code is None:
                still.append((process, started))
                continue
            quick = time.monotonic() - started < QUICK_EXIT_SECS
            self._failed_starts = self._failed_starts + 1 if quick else 0
            logger.warning(
                "FileTrials: worker process %d ended with status %s; starting another",
                process.pid,
                code,
            )
        self.processes = still
        if self._failed_starts >= MAX_FAILED_STARTS:
            raise WorkerStartError(
                f"FileTrials: {self._failed_starts} worker processes in a row ended within "
                f"{QUICK_EXIT_SECS:g} s of starting; their messages are above. Check that "
                "`python -m hopt.worker --help` runs in this environment."
            )
        while len(self.processes) < self.count:
            self._spawn()

    def stop(self) -> None:
        """SIGTERM every worker (each gives its trial back), then kill what remains."""
        for process, _ in self.processes:
            if process.poll() is None:
                try:
                    process.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + STOP_GRACE_SECS
        for process, _ in self.processes:
            try:
                process.wait(max(deadline - time.monotonic(), 0.01))
            except subprocess.TimeoutExpired:
                logger.warning("FileTrials: worker %d did not stop; killing it", process.pid)
                process.kill()
                process.wait()
        self.processes = []
