"""``Dashboard``: the state behind the page, shared by the server's request threads.

The store is read only when a page asks (``StoreWatcher`` caps that at once per
``refresh_interval``), and the charts are drawn only when the trials changed
and at most once per ``chart_interval``, in one background thread: a page that
polls every 2 s costs the search a cheap read, and a run with no page open
costs it nothing.  Until a new set of charts is drawn, the page keeps the last.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from . import charts as chart_views
from .model import page_data
from .store import Snapshot, StoreWatcher

logger = logging.getLogger("hopt.dashboard")


class Dashboard:
    """The page's data (JSON) and charts (SVG) for one store."""

    def __init__(
        self,
        watcher: StoreWatcher,
        title: str,
        chart_interval: float = 3.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.watcher = watcher
        self.title = title
        self.chart_interval = chart_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._charts: dict[str, chart_views.Chart] = {}
        self._chart_version = 0  # the snapshot version the charts show (0: none yet)
        self._drawing = False
        self._last_drawing = -float("inf")
        self._page_cache: tuple[Any, bytes] | None = None

    # -- charts -------------------------------------------------------------------------------
    def _maybe_draw(self, snapshot: Snapshot) -> None:
        """Start drawing ``snapshot``'s charts in the background if they are due."""
        with self._lock:
            due = self._clock() - self._last_drawing >= self.chart_interval
            if self._drawing or snapshot.version == self._chart_version or not due:
                return
            self._drawing = True
            self._last_drawing = self._clock()
        threading.Thread(target=self._draw, args=(snapshot,), daemon=True).start()

    def _draw(self, snapshot: Snapshot) -> None:
        try:
            drawn = {chart.name: chart for chart in chart_views.render(snapshot.trials)}
            with self._lock:
                self._charts, self._chart_version = drawn, snapshot.version
        except Exception:  # never leave the page waiting on a drawing that died
            logger.exception("drawing the charts failed")
        finally:
            with self._lock:
                self._drawing = False

    def draw_now(self) -> None:
        """Draw the current snapshot's charts in this thread (reports, tests)."""
        snapshot = self.watcher.snapshot()
        with self._lock:
            self._drawing = True
        self._draw(snapshot)

    def chart_svg(self, name: str) -> bytes | None:
        """The newest drawing of view ``name``, or None (not drawn yet, or a note instead)."""
        with self._lock:
            chart = self._charts.get(name)
        return None if chart is None else chart.svg

    def _views(self) -> list[dict[str, Any]]:
        with self._lock:
            drawn = dict(self._charts)
        views = []
        for name, title, _ in chart_views.VIEWS:
            chart = drawn.get(name)
            views.append(
                {
                    "name": name,
                    "title": title,
                    "ready": chart is not None,
                    "has_chart": chart is not None and chart.svg is not None,
                    "note": None if chart is None else chart.note,
                }
            )
        return views

    # -- the JSON the page polls ----------------------------------------------------------------
    def state_json(self, have: str | None = None) -> bytes:
        """The page's data; just ``{"key", "unchanged": true}`` when ``have`` is current."""
        snapshot = self.watcher.snapshot()
        self._maybe_draw(snapshot)
        with self._lock:
            chart_version, drawing = self._chart_version, self._drawing
        error = self.watcher.error
        key = f"{snapshot.version}.{chart_version}"
        if have == key and error is None:
            return json.dumps({"key": key, "unchanged": True}).encode()
        cache_key = (key, error, drawing)
        cached = self._page_cache
        if cached is not None and cached[0] == cache_key:
            return cached[1]
        body = self.state(snapshot, chart_version, drawing)
        body.update(key=key, error=error)
        encoded = json.dumps(body, allow_nan=False).encode()
        self._page_cache = (cache_key, encoded)
        return encoded

    def state(self, snapshot: Snapshot, chart_version: int, drawing: bool) -> dict[str, Any]:
        """The page's data for ``snapshot``: summary, trial rows, and the views as drawn."""
        data = page_data(snapshot)
        data.update(
            title=self.title,
            store_kind=self.watcher.kind,
            chart_version=chart_version,
            drawing=drawing or chart_version != snapshot.version,
            views=self._views(),
        )
        return data
