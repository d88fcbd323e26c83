"""A live web page of a search, and the same views as one HTML file (``hopt report``).

    hopt dashboard search.db            # a page on http://127.0.0.1:8080 that follows the run
    hopt report search.db -o report.html

``store`` opens the trials read-only (a ``trials_save_file``, a FileTrials file or
a ``mongo://`` URL), ``charts`` draws hopt.plotting's figures as SVG, ``model``
turns trials into the page's JSON, ``server`` serves the page (standard library
only) and ``report`` writes the self-contained file.  The page's HTML, script
and style ship in ``static/``.  Nothing here is imported by ``import hopt``.
See docs/dashboard.md.
"""

from __future__ import annotations

from .app import Dashboard
from .report import report_html, write_report
from .server import DashboardServer
from .store import StoreError, StoreWatcher, open_source, open_store

__all__ = [
    "Dashboard",
    "DashboardServer",
    "StoreError",
    "StoreWatcher",
    "open_source",
    "open_store",
    "report_html",
    "write_report",
]
