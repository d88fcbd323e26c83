"""The dashboard in a real browser: Debian's Chromium, headless, driven by Playwright.

scripts/test.sh installs Chromium with apt-get when /usr/bin/chromium is missing
(scripts/browser.sh); Playwright's own browser download is never used.  Without
Chromium these tests fail, saying why; they are never skipped.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from dashboard_support import (
    SCRIPT_ATTACHMENT,
    SCRIPT_LABEL,
    SCRIPT_MESSAGE,
    port_of,
    run_search,
    serving,
)

from hopt.dashboard import Dashboard, open_store, write_report

CHROMIUM = os.environ.get("HOPT_CHROMIUM", "/usr/bin/chromium")
# what works headless on these machines (see docs/dashboard.md, Tests)
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
REPO = Path(__file__).resolve().parents[2]
# Functions, not expressions: the page's Content Security Policy forbids eval, which
# Playwright would use for a bare expression.
COUNT_IS = "count => document.getElementById('trial-count')?.textContent === count"
ROWS_ARE = "rows => document.querySelectorAll('#trials tbody tr').length === rows"
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def browser():
    if not os.access(CHROMIUM, os.X_OK):
        why = os.environ.get("HOPT_BROWSER_ERROR") or (
            "run `bash scripts/browser.sh` (apt-get install chromium) or `bash scripts/test.sh`, "
            "which does"
        )
        pytest.fail(f"the browser tests need Chromium at {CHROMIUM}: {why}", pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the browser tests need playwright: pip install -e '.[test]'", pytrace=False)
    with sync_playwright() as playwright:
        # Playwright starts it with a new empty profile (--user-data-dir) of its own
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


class Page:
    """A page in a fresh context that records console errors, page errors and dialogs."""

    def __init__(self, browser, offline: bool = False) -> None:
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.problems: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        if offline:  # only the file itself; anything else is recorded and refused
            self.context.route(re.compile(r"^(?!file:|data:).*"), self._refuse)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.on(
            "console",
            lambda m: (
                self.problems.append(f"console {m.type}: {m.text}")
                if m.type in ("error", "warning")
                else None
            ),
        )
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("dialog", self._dialog)

    def _refuse(self, route) -> None:
        self.requests.append(route.request.url)
        route.abort()

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def close(self) -> None:
        self.context.close()

    def text(self, selector: str) -> str:
        return self.page.locator(selector).text_content()

    def wait_for_charts(self, names: list[str]) -> None:
        """Until each named chart's image has arrived and has a size."""
        self.page.wait_for_function(
            """names => names.every(name => {
                const image = document.querySelector(`figure[data-view="${name}"] img`);
                return image && !image.classList.contains("hidden") && image.complete
                    && image.naturalWidth > 0;
            })""",
            arg=names,
        )

    def chart_names(self) -> dict[str, bool]:
        """view name -> whether it shows a chart (else a note)."""
        return self.page.evaluate(
            """() => Object.fromEntries(Array.from(document.querySelectorAll("figure[data-view]"),
                f => [f.dataset.view, !f.querySelector("img").classList.contains("hidden")
                      && f.querySelector("img").naturalWidth > 0]))"""
        )


@pytest.fixture(scope="module")
def search(tmp_path_factory):
    path = tmp_path_factory.mktemp("browser") / "run.pkl"
    return path, run_search(path, 14, attach=True)


@pytest.fixture(scope="module")
def live(search):
    with serving(search[0]) as server:
        yield server


@pytest.fixture
def page(browser):
    opened = Page(browser)
    yield opened
    opened.close()


DRAWN = ["history", "parallel", "slices", "intermediate"]


def test_the_page_loads_without_errors_and_shows_the_count_and_best_loss(page, live, search):
    _, trials = search
    page.page.goto(live.url)
    page.page.wait_for_function(COUNT_IS, arg="14")
    best = trials.best_trial["result"]["loss"]
    assert float(page.text("#best-loss")) == pytest.approx(best, rel=1e-5)
    page.wait_for_charts(DRAWN)
    assert page.page.locator("#trials tbody tr").count() == 14
    assert page.problems == [] and page.dialogs == []


def test_a_screenshot_shows_charts_that_are_not_empty(page, live, tmp_path):
    from PIL import Image

    page.page.goto(live.url)
    page.wait_for_charts(DRAWN)
    page.page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
    for name in DRAWN:
        image = page.page.locator(f'figure[data-view="{name}"] img')
        image.scroll_into_view_if_needed()
        box = image.bounding_box()
        assert box["width"] > 200 and box["height"] > 100, (name, box)
        shot = Image.open(io.BytesIO(page.page.screenshot(clip=box))).convert("L")
        pixels = np.asarray(shot, dtype=float)
        inked = np.mean(pixels < 200)  # the share of pixels that are not (near) white
        assert pixels.std() > 15 and 0.01 < inked < 0.9, (name, pixels.std(), inked)


def test_a_script_label_and_error_message_show_as_text_and_run_nothing(page, live):
    page.page.goto(live.url)
    page.page.wait_for_function(ROWS_ARE, arg=14)
    headers = page.page.locator("#trials thead th").all_text_contents()
    assert SCRIPT_LABEL in headers
    assert any(SCRIPT_LABEL == text for text in page.page.locator(".card dt").all_text_contents())
    messages = set(page.page.locator("#trials tbody td").all_text_contents())
    assert SCRIPT_MESSAGE in messages and SCRIPT_ATTACHMENT in messages
    assert page.page.evaluate("document.scripts.length") == 1  # app.js only
    assert page.page.evaluate("document.querySelectorAll('main b, #trials img').length") == 0
    page.page.fill("#filter", "alert(2)")  # the filter finds the failed trials by message
    rows = page.page.locator("#trials tbody tr")
    assert rows.count() >= 1 and all("fail" in t for t in rows.all_text_contents())
    page.page.wait_for_timeout(300)
    assert page.dialogs == [] and page.problems == []


def test_the_table_sorts_by_a_column(page, live, search):
    _, trials = search
    page.page.goto(live.url)
    page.page.wait_for_function(ROWS_ARE, arg=14)
    ok = [t for t in trials.trials if t["result"]["status"] == "ok"]
    by_loss = [t["tid"] for t in sorted(ok, key=lambda t: t["result"]["loss"])]
    failed = {t["tid"] for t in trials.trials} - set(by_loss)
    assert failed  # the search has failed trials, whose empty loss cells sort last
    loss = page.page.locator("#trials thead button", has_text=re.compile(r"^loss"))

    def shown():
        return [int(t) for t in page.page.locator("#trials tbody tr").evaluate_all(
            "rows => rows.map(row => row.dataset.tid)")]  # fmt: skip

    loss.click()
    assert shown()[: len(by_loss)] == by_loss and set(shown()[len(by_loss) :]) == failed
    loss.click()
    assert shown()[: len(by_loss)] == by_loss[::-1] and set(shown()[len(by_loss) :]) == failed
    assert page.page.locator("#trials thead th[aria-sort=descending]").text_content() == "loss ▼"


SEARCH_SCRIPT = """
import sys, time
from hopt import FileTrials, fmin, hp, rand

def objective(x):
    time.sleep(0.15)
    return (x - 1.0) ** 2

fmin(objective, hp.uniform("x", -3, 3), algo=rand.suggest, max_evals=int(sys.argv[2]),
     trials=FileTrials(sys.argv[1], parallelism=2), rstate=int(sys.argv[3]),
     show_progressbar=False)
"""


def test_the_page_follows_a_search_running_in_another_process(page, tmp_path):
    script = tmp_path / "search.py"
    script.write_text(textwrap.dedent(SEARCH_SCRIPT))
    store = tmp_path / "search.db"
    env = dict(os.environ, PYTHONPATH=str(REPO))

    def search(max_evals: int, seed: int) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, str(script), str(store), str(max_evals), str(seed)], env=env
        )

    assert search(3, 0).wait(120) == 0
    with serving(store) as server:
        page.page.goto(server.url)
        page.page.wait_for_function(COUNT_IS, arg="3")
        page.wait_for_charts(["history"])
        first_chart = page.page.locator('figure[data-view="history"] img').get_attribute("src")
        running = search(16, 1)
        try:
            page.page.wait_for_function(
                """() => document.getElementById("trial-count")?.textContent === "16"
                    && document.querySelectorAll("#trials tbody tr.status-ok").length === 16""",
                timeout=90_000,
            )
        finally:
            assert running.wait(120) == 0
        page.page.wait_for_function(
            """first => {
                const image = document.querySelector('figure[data-view="history"] img');
                return image.getAttribute("src") !== first && image.naturalWidth > 0;
            }""",
            arg=first_chart,
        )
    assert page.problems == [] and page.dialogs == []


def test_the_report_opens_offline_with_the_same_views(browser, page, live, search, tmp_path):
    path, trials = search
    report = write_report(Dashboard(open_store(path), "test run"), tmp_path / "report.html")
    page.page.goto(live.url)
    page.wait_for_charts(DRAWN)
    page.page.wait_for_function("() => document.querySelectorAll('figure[data-view] .note').length")
    live_views = page.chart_names()

    offline = Page(browser, offline=True)
    try:
        offline.page.goto(Path(report).as_uri())
        offline.wait_for_charts(DRAWN)
        assert offline.chart_names() == live_views
        assert offline.text("#trial-count") == "14"
        assert offline.text("#best-loss") == page.text("#best-loss")
        assert offline.page.locator("#trials tbody tr").count() == 14
        assert SCRIPT_LABEL in offline.page.locator("#trials thead th").all_text_contents()
        assert offline.page.evaluate("document.scripts.length") == 2  # the data and app.js
        offline.page.wait_for_timeout(2500)  # a live page would have polled by now
        assert offline.requests == []
        assert offline.problems == [] and offline.dialogs == []
    finally:
        offline.close()


def test_off_loopback_the_page_is_refused_without_the_token(page, search):
    with serving(search[0], host="0.0.0.0") as server:
        response = page.page.goto(f"http://127.0.0.1:{port_of(server)}/")
        assert response.status == 403
        assert "token" in page.page.locator("body").text_content()
        page.page.wait_for_load_state("networkidle")  # (the browser's own requests too)
        page.problems.clear()  # the 403 itself is reported on the console
        page.page.goto(f"http://127.0.0.1:{port_of(server)}/?token={server.token}")
        page.page.wait_for_function(COUNT_IS, arg="14")
        page.wait_for_charts(["history"])  # the page passes the token on to every request
        assert page.problems == []
