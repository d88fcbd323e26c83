"""The ``hopt-worker`` command (also ``python -m hopt.worker``).

It serves any job queue (``protocol.JobQueue``): a MongoDB collection
(``--mongo URL`` or ``--store mongo://...``) or a FileTrials file on this machine
(``--store PATH``).  Flags and their meanings follow Hyperopt's
``hyperopt-mongo-worker``; ``--store``, the lease, key and timeout flags are hopt's own.  Exit status: 0 when the worker
stopped normally (max jobs, reserve or last-job timeout, a signal), 1 on
repeated objective failures, an unreachable server or an untrusted objective,
2 on bad usage.
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import signal
import sys
import time
from collections.abc import Sequence
from typing import Any

from ...exceptions import (
    BackendConnectionError,
    InvalidArgumentError,
    StoreCorruptError,
    UntrustedPayloadError,
)
from ..signing import KEY_ENV, KEY_FILE_ENV, load_key
from .protocol import JobQueue
from .worker import QueueWorker, WorkerShutdown

logger = logging.getLogger("hopt.worker")

#: the default --mongo, Hyperopt's (its "localhost/hyperopt", with the port it implied)
DEFAULT_MONGO = "localhost:27017/hyperopt"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hopt-worker",
        description="Evaluate trials that fmin queued in MongoDB (MongoTrials) or in a "
        "file on this machine (FileTrials).",
        epilog=f"Shared key for signed objectives: --key-file, ${KEY_FILE_ENV} or ${KEY_ENV}. "
        "A worker runs code stored in the database: see docs/mongodb.md, Security.",
    )
    add = parser.add_argument
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--store",
        default=None,
        metavar="PATH|URL",
        help="the trials to serve: a FileTrials file's path, or a mongo:// or mongodb:// URL",
    )
    where.add_argument(
        "--mongo",
        default=None,
        metavar="URL",
        help="host[:port]/db[/collection] or a mongo:// or mongodb:// URL "
        f"(default {DEFAULT_MONGO}; the collection defaults to jobs)",
    )
    add(
        "--exp-key",
        "--exp_key",
        dest="exp_key",
        default=None,
        help="serve only this experiment (default: every experiment in the queue)",
    )
    add(
        "--poll-interval",
        type=float,
        default=1.0,
        metavar="SECS",
        help="longest pause between two looks at an empty queue (default 1; "
        "pauses start at a 25th of it, 0.05 s at most, and double)",
    )
    add(
        "--max-consecutive-failures",
        type=int,
        default=4,
        metavar="N",
        help="exit with status 1 after N objective failures in a row (default 4; "
        "a pruned trial is not a failure)",
    )
    add(
        "--reserve-timeout",
        type=float,
        default=120.0,
        metavar="SECS",
        help="exit after waiting this long for a trial (default 120; inf waits forever)",
    )
    add(
        "--workdir",
        default=None,
        metavar="DIR",
        help="run each trial in DIR/<tid> (default: the current directory)",
    )
    add(
        "--max-jobs",
        type=int,
        default=sys.maxsize,
        metavar="N",
        help="exit after evaluating N trials (default: no limit)",
    )
    add(
        "--last-job-timeout",
        type=float,
        default=None,
        metavar="SECS",
        help="reserve no new trial once this many seconds have passed",
    )
    add(
        "--lease-timeout",
        type=float,
        default=30.0,
        metavar="SECS",
        help="a trial whose worker has not renewed its lease for this long goes back to "
        "the queue (default 30; renewed every third of it)",
    )
    add(
        "--key-file",
        default=None,
        metavar="FILE",
        help="shared key: run only objectives that fmin signed with it",
    )
    add(
        "--connect-timeout",
        type=float,
        default=10.0,
        metavar="SECS",
        help="give up when no server answers at start-up within this time (default 10)",
    )
    add(
        "--reconnect-timeout",
        type=float,
        default=300.0,
        metavar="SECS",
        help="while running, keep retrying a lost server this long (default 300)",
    )
    add(
        "--log-level",
        default="info",
        type=str.lower,  # DEBUG as well as debug
        choices=["debug", "info", "warning", "error"],
        help="how much to log to stderr (default info)",
    )
    add(
        "--parent-pid",
        type=int,
        default=None,
        help=argparse.SUPPRESS,  # set by FileTrials: stop (after the current trial) once it is gone
    )
    add(
        "--no-subprocesses",
        action="store_true",
        help="accepted for Hyperopt compatibility; hopt always evaluates in process",
    )
    return parser  # fmt: skip


def _check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    positive = {
        "--poll-interval": args.poll_interval,
        "--reserve-timeout": args.reserve_timeout,
        "--lease-timeout": args.lease_timeout,
        "--connect-timeout": args.connect_timeout,
        "--reconnect-timeout": args.reconnect_timeout,
    }
    if args.last_job_timeout is not None:
        positive["--last-job-timeout"] = args.last_job_timeout
    for flag, value in positive.items():
        if math.isnan(value) or value <= 0:
            parser.error(f"{flag} must be a positive number of seconds; got {value!r}")
        if value == math.inf and flag not in ("--reserve-timeout", "--lease-timeout"):
            parser.error(f"{flag} must be finite; only --reserve-timeout may be inf")
    if args.lease_timeout == math.inf:
        parser.error("--lease-timeout must be finite, or a dead worker's trial never returns")
    for flag, count in (
        ("--max-consecutive-failures", args.max_consecutive_failures),
        ("--max-jobs", args.max_jobs),
    ):
        if count < 1:
            parser.error(f"{flag} must be at least 1; got {count}")


def request_shutdown(worker_state: dict, name: str) -> None:
    """What SIGTERM, SIGINT and SIGHUP do: raise WorkerShutdown in the main thread.

    Raised again on every signal until the worker is on its way out (an objective
    with a bare ``except:`` may swallow one); kept for later while the worker is
    taking a trial, so the trial is recorded as its own and can be given back.
    """
    if worker_state.get("exiting"):
        return  # already on the way out: let the running trial be given back
    worker_state["stopping"] = True
    worker = worker_state.get("worker")
    if worker is not None:  # seen when the objective returns, should it catch the raise
        worker.shutdown_requested = name
        if worker.defer_shutdown:  # taking a trial: raised once it is recorded as ours
            worker.deferred_shutdown = name
            return
    raise WorkerShutdown(name)


def _install_signal_handlers(worker_state: dict) -> None:
    def shut_down(signum: int, frame: Any) -> None:
        request_shutdown(worker_state, signal.Signals(signum).name)

    def finish_then_stop(signum: int, frame: Any) -> None:
        worker_state["finish_then_stop"] = True
        logger.info("SIGUSR1: stopping after the current trial")

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, shut_down)
    signal.signal(signal.SIGUSR1, finish_then_stop)


def open_queue(spec: str, flag: str, args: argparse.Namespace) -> JobQueue:
    """The queue ``spec`` names: a mongo URL (always, for ``--mongo``) or a file path."""
    if flag == "--mongo" or spec.startswith(("mongo://", "mongodb://")):
        from ..mongo.jobs import MongoJobs
        from ..mongo.url import parse_url

        return MongoJobs.new_from_connection_str(
            parse_url(spec, "hopt-worker", flag),
            where="hopt-worker",
            connect_timeout=args.connect_timeout,
            reconnect_timeout=args.reconnect_timeout,
        )
    from ..file.jobs import FileJobs

    return FileJobs.open_existing(spec, where="hopt-worker --store")


def _parent_gone(parent_pid: int | None) -> bool:
    """Whether the process that started this worker (fmin, for FileTrials) has ended.

    An orphan is adopted by another process, so its parent pid changes; unlike a
    look at ``parent_pid`` itself, this cannot be fooled by a new process that
    was given the same pid.
    """
    return parent_pid is not None and os.getppid() != parent_pid


def serve(worker: QueueWorker, args: argparse.Namespace, state: dict) -> int:
    """The worker loop; returns the exit status."""
    try:
        return _serve(worker, args, state)
    except WorkerShutdown:
        state["exiting"] = True
        worker.give_back_current()  # a trial reserved just before the signal, if any
        raise


def _serve(worker: QueueWorker, args: argparse.Namespace, state: dict) -> int:
    started = time.monotonic()
    last_job_by = None if args.last_job_timeout is None else started + args.last_job_timeout

    def reason_to_stop() -> str | None:
        if state.get("finish_then_stop"):
            return "SIGUSR1"
        if _parent_gone(args.parent_pid):
            return f"the fmin process that started this worker (pid {args.parent_pid}) ended"
        if last_job_by is not None and time.monotonic() >= last_job_by:
            return f"--last-job-timeout of {args.last_job_timeout:g} s reached"
        return None

    jobs = failures = 0
    while jobs < args.max_jobs:
        reason = reason_to_stop()
        if reason:
            logger.info("%s; exiting", reason)
            return 0
        # the wait for a trial ends at the --last-job-timeout too, and on SIGUSR1
        wait = args.reserve_timeout
        if last_job_by is not None:
            wait = min(wait, max(last_job_by - time.monotonic(), 0.0))
        reserved = worker.reserve(
            None if wait == math.inf else wait, give_up=lambda: reason_to_stop() is not None
        )
        if reserved is None:
            reason = reason_to_stop()
            if reason:
                logger.info("%s; exiting", reason)
            else:
                logger.info(
                    "no trial to run for %g s (--reserve-timeout); exiting", args.reserve_timeout
                )
            return 0
        jobs += 1
        try:
            outcome = worker.run_one(*reserved)
        except UntrustedPayloadError as exc:
            logger.error("%s", exc)
            if args.exp_key is not None:
                return 1  # the only experiment it serves cannot be trusted
            continue  # serve the other experiments; this one is skipped from now on
        if outcome is False:
            failures += 1
            if failures >= args.max_consecutive_failures:
                logger.error(
                    "%d trials failed in a row (--max-consecutive-failures); exiting", failures
                )
                return 1
        elif outcome:
            failures = 0
    logger.info("evaluated %d trials (--max-jobs); exiting", jobs)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _check(parser, args)
    logging.basicConfig(
        level=getattr(logging, args.log_level.upper()),
        format="%(asctime)s %(levelname)s hopt-worker[%(process)d]: %(message)s",
        stream=sys.stderr,
    )
    flag, spec = ("--store", args.store) if args.store is not None else ("--mongo", args.mongo)
    spec = DEFAULT_MONGO if spec is None else spec
    try:
        if flag == "--mongo" or spec.startswith(("mongo://", "mongodb://")):
            from ..mongo.url import parse_url

            parse_url(spec, "hopt-worker", flag)  # a bad URL is a usage error
        key = load_key(args.key_file, "hopt-worker")
    except InvalidArgumentError as exc:
        message = str(exc)  # argparse puts "hopt-worker: error:" in front
        parser.error(message.removeprefix("hopt-worker: "))
    state: dict = {}
    try:
        _install_signal_handlers(state)
        handle = open_queue(spec, flag, args)
        worker = QueueWorker(
            handle,
            exp_key=args.exp_key,
            poll_interval=args.poll_interval,
            workdir=args.workdir,
            lease_secs=args.lease_timeout,
            key=key,
        )
        logger.info(
            "serving %s, exp_key %r, as %s%s",
            handle.location,
            args.exp_key,
            worker.id,
            " (signed objectives only)" if key else "",
        )
        state["worker"] = worker
        worker.start()
        try:
            return serve(worker, args, state)
        finally:
            state["exiting"] = True
            worker.stop()
    except WorkerShutdown as exc:
        logger.info("stopped by %s", exc)
        return 0
    except (BackendConnectionError, StoreCorruptError, FileNotFoundError) as exc:
        logger.error("%s", exc)
        return 1
