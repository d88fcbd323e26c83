"""The ``hopt`` command: ``hopt dashboard``, ``hopt report`` and ``hopt worker``.

    hopt dashboard STORE [--host H] [--port P] [--exp-key K]
    hopt report STORE -o report.html [--exp-key K]
    hopt worker [hopt-worker's flags]

STORE is a trials file written by ``fmin(trials_save_file=...)``, a FileTrials
file, or a ``mongo://host:port/db/jobs`` URL (see docs/dashboard.md).
``hopt worker`` is ``hopt-worker`` under another name: the same flags, the same
exit statuses.  Exit status: 0 when done (or stopped with Ctrl-C), 1 when the
store cannot be read or the port is taken, 2 on bad usage (a STORE that is none
of the three forms included).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Sequence

from .exceptions import HoptError

DESCRIPTION = "hopt's command line: a live dashboard of a search, a report file, a worker."


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``hopt dashboard`` and ``hopt report`` (``hopt worker`` has its own)."""
    parser = argparse.ArgumentParser(prog="hopt", description=DESCRIPTION)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    store_help = (
        "the trials: a file written by fmin(trials_save_file=...), a FileTrials file, "
        "or a mongo://host:port/db/jobs URL"
    )

    dashboard = commands.add_parser(
        "dashboard",
        help="serve a web page that follows a search while it runs",
        description="Serve a read-only web page of a search that updates while it runs.",
    )
    dashboard.add_argument("store", metavar="STORE", help=store_help)
    dashboard.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1, this machine only; any other "
        "address needs the token printed with the URL)",
    )
    dashboard.add_argument(
        "--port", type=int, default=8080, help="port (default 8080; 0 picks a free one)"
    )
    dashboard.add_argument("--exp-key", default=None, help="show only this experiment")

    report = commands.add_parser(
        "report",
        help="write the dashboard's views as one self-contained HTML file",
        description="Write the dashboard's views as one HTML file that opens offline.",
    )
    report.add_argument("store", metavar="STORE", help=store_help)
    report.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="the HTML file to write"
    )
    report.add_argument("--exp-key", default=None, help="report only this experiment")

    commands.add_parser(
        "worker",
        add_help=False,
        help="evaluate queued trials: the same as hopt-worker (hopt worker --help)",
    )
    return parser


def _title(store: str, exp_key: str | None) -> str:
    """How the page names the store: a file's name, or a URL with its password hidden."""
    if store.startswith(("mongo://", "mongodb://", "mongodb+srv://")):
        from .trials.mongo.url import parse_url

        try:
            shown = parse_url(store, "hopt").redacted()
        except HoptError:
            shown = "MongoDB"
    else:
        shown = os.path.basename(os.path.abspath(store))
    return shown if exp_key is None else f"{shown} (exp_key {exp_key})"


def _open(args: argparse.Namespace, where: str):
    from .dashboard import Dashboard, open_store

    watcher = open_store(args.store, exp_key=args.exp_key, where=where)
    return Dashboard(watcher, _title(args.store, args.exp_key))


def _dashboard(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from .dashboard import DashboardServer

    if not 0 <= args.port < 65536:
        parser.error(f"--port must be from 0 to 65535; got {args.port}")
    dashboard = _open(args, "hopt dashboard")
    try:
        server = DashboardServer(dashboard, args.host, args.port)
    except OSError as exc:
        print(
            f"hopt dashboard: cannot listen on {args.host}:{args.port} ({exc}); pick another "
            "port with --port (0 picks a free one).",
            file=sys.stderr,
        )
        return 1
    print(f"hopt dashboard: serving {dashboard.title} at {server.url}", flush=True)
    if server.token is not None:
        print(
            "hopt dashboard: this address is reachable from other machines; only requests "
            "with the token above are answered.",
            flush=True,
        )
    print("hopt dashboard: Ctrl-C stops it.", flush=True)
    restore = _stop_on_signals()
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        restore()
    return 0


def _stop_on_signals():
    """Make SIGINT and SIGTERM stop the server; returns what puts the old handlers back.

    Set explicitly because a process started in the background by a shell without job
    control (``hopt dashboard ... &`` in a script, CI) inherits SIGINT as ignored, and
    Python then never raises KeyboardInterrupt: Ctrl-C or ``kill -INT`` would do
    nothing.  SIGTERM is what service managers and ``docker stop`` send.
    """

    def stop(signum, frame):
        raise KeyboardInterrupt

    previous = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[signum] = signal.signal(signum, stop)
        except ValueError:  # not the main thread (main() called from a thread): leave them
            break

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    return restore


def _report(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from .dashboard import write_report

    dashboard = _open(args, "hopt report")
    folder = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(folder):
        parser.error(f"-o: the folder {folder} does not exist; create it first")
    path = write_report(dashboard, args.output)
    print(f"hopt report: wrote {path}", flush=True)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``hopt`` command with ``argv`` (default: the process's); return its exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["worker"]:
        from .trials.queue.cli import main as worker_main

        return worker_main(arguments[1:])
    parser = build_parser()
    args = parser.parse_args(arguments)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from .dashboard.store import StoreError

    try:
        if args.command == "dashboard":
            return _dashboard(parser, args)
        return _report(parser, args)
    except StoreError as exc:  # bad usage: the message names the accepted forms
        print(str(exc), file=sys.stderr)
        return 2
    except HoptError as exc:  # an unreachable server, a damaged file
        print(f"hopt {args.command}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
