"""``hopt report``: the dashboard's views as one HTML file that opens offline.

The file is the dashboard's own page with its style and script inlined, each
chart as a ``data:`` URI, and the data as JSON in a
``<script type="application/json">`` block.  That JSON is escaped so that no
string in it (a label such as ``</script><script>...``) can end the block:
``<``, ``>`` and ``&`` are written as ``\\u003c``, ``\\u003e`` and ``\\u0026``,
which ``JSON.parse`` reads back as the same characters.  A Content Security
Policy in the file lets only its own inline script and style run (by their
hashes) and images come only from ``data:`` URIs: the report asks the network
for nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from typing import Any

from .app import Dashboard
from .charts import render
from .server import static_file

_JSON_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def json_for_html(value: Any) -> str:
    """``value`` as JSON that is safe inside a ``<script>`` element."""
    text = json.dumps(value, allow_nan=False, ensure_ascii=False)
    for character, escaped in _JSON_ESCAPES.items():
        text = text.replace(character, escaped)
    return text


def _hash_source(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _replace_marked(page: str, marker: str, replacement: str) -> str:
    start, end = f"<!--hopt:{marker}-->", f"<!--/hopt:{marker}-->"
    before, found, rest = page.partition(start)
    if not found:
        raise RuntimeError(f"hopt/dashboard/static/index.html lost its {start} marker")
    if end in rest:
        rest = rest.partition(end)[2]
    return before + replacement + rest


def report_html(dashboard: Dashboard) -> str:
    """The report of what ``dashboard``'s store holds now."""
    snapshot = dashboard.watcher.snapshot(fresh=True)  # what the store holds now
    charts = {chart.name: chart for chart in render(snapshot.trials)}
    data = dashboard.state(snapshot, snapshot.version, drawing=False)
    for view in data["views"]:
        chart = charts[view["name"]]
        view.update(ready=True, has_chart=chart.svg is not None, note=chart.note)
        if chart.svg is not None:
            view["src"] = "data:image/svg+xml;base64," + base64.b64encode(chart.svg).decode()
    data.update(key=str(snapshot.version), error=None, report=True)

    style = static_file("style.css").decode("utf-8")
    script = static_file("app.js").decode("utf-8")
    # An inline script or style ends at the first "</script" or "</style" in it, and
    # "<!--" or "<script" inside a script changes how the browser reads what follows.
    for name, text, tags in (
        ("app.js", script, ("</script", "<script", "<!--")),
        ("style.css", style, ("</style", "<!--")),
    ):
        for tag in tags:
            if tag in text.lower():  # never true of hopt's own files: checked, not assumed
                raise RuntimeError(f"hopt/dashboard/static/{name} contains {tag!r}")
    policy = (
        "default-src 'none'; "
        f"script-src {_hash_source(script)}; style-src {_hash_source(style)}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    page = static_file("index.html").decode("utf-8")
    page = _replace_marked(
        page,
        "policy",
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">',
    )
    page = _replace_marked(page, "style", f"<style>{style}</style>")
    page = _replace_marked(
        page,
        "data",
        f'<script id="hopt-data" type="application/json">{json_for_html(data)}</script>',
    )
    return _replace_marked(page, "script", f"<script>{script}</script>")


def write_report(dashboard: Dashboard, path: str | os.PathLike) -> str:
    """Write the report to ``path`` (replacing it whole) and return its absolute path."""
    target = os.path.abspath(os.fspath(path))
    temporary = target + ".tmp"
    with open(temporary, "w", encoding="utf-8") as file:
        file.write(report_html(dashboard))
    os.replace(temporary, target)
    return target
