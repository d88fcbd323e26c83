"""Take the screenshots in docs/images/ for docs/dashboard.md (headless Chromium).

    bash scripts/browser.sh                       # Debian's chromium, if missing
    .venv/bin/python scripts/dashboard_screenshots.py

Runs examples/dashboard.py's search (60 trials, seed 0) into a temporary trials file,
serves it with the dashboard and photographs the page: the summary and charts
(dashboard.png) and the trial table filtered to pruned trials (dashboard-table.png).
Views whose plot or importance evaluator this hopt lacks show their note instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "images"
CHROMIUM = os.environ.get("HOPT_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ALL_DRAWN = """() => Array.from(document.querySelectorAll("figure[data-view]")).every(f => {
    const image = f.querySelector("img");
    return image.classList.contains("hidden") ? f.querySelector(".note").textContent !== "Drawing…"
        : image.complete && image.naturalWidth > 0;
})"""


def main() -> None:
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(REPO))
    from hopt.dashboard import Dashboard, DashboardServer, open_store

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        store = os.path.join(folder, "digits_sgd.pkl")
        subprocess.run(
            [sys.executable, str(REPO / "examples" / "dashboard.py"), "--max-evals", "60",
             "--no-serve", "--store", store, "--report", os.path.join(folder, "r.html")],
            check=True, cwd=folder, env=dict(os.environ, PYTHONPATH=str(REPO)),
        )  # fmt: skip
        server = DashboardServer(Dashboard(open_store(store), "digits_sgd.pkl"), port=0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(server.url)
            page.wait_for_function(ALL_DRAWN, timeout=60_000)
            charts = page.locator("section", has=page.locator("#charts")).bounding_box()
            bottom = charts["y"] + charts["height"] + 16  # the summary and every chart
            page.screenshot(
                path=str(OUT / "dashboard.png"),
                full_page=True,
                clip={"x": 0, "y": 0, "width": 1400, "height": bottom},
            )
            page.fill("#filter", "pruned")
            table = page.locator("section", has=page.locator("#trials"))
            table.scroll_into_view_if_needed()
            table.screenshot(path=str(OUT / "dashboard-table.png"))
            browser.close()
        server.shutdown()
    for name in ("dashboard.png", "dashboard-table.png"):
        print("wrote", OUT / name)


if __name__ == "__main__":
    main()
