"""``hopt report``'s file, and the escaping that keeps user strings data, not markup."""

from __future__ import annotations

import base64
import hashlib
import json
import re

import pytest
from dashboard_support import SCRIPT_ATTACHMENT, SCRIPT_LABEL, SCRIPT_MESSAGE, run_search

from hopt.dashboard import Dashboard, open_store, report_html, write_report
from hopt.dashboard.model import json_number, json_value
from hopt.dashboard.report import json_for_html

DATA_BLOCK = re.compile(r'<script id="hopt-data" type="application/json">(.*?)</script>', re.S)


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "run.pkl"
    run_search(path, 12, attach=True)
    return report_html(Dashboard(open_store(path), "run <b>1</b>"))


@pytest.mark.parametrize(
    "value",
    ["</script><script>alert(1)</script>", "<!--", "</SCRIPT >", "a & b", "\u2028\u2029",
     {"</script>": ["<b>", "&amp;"]}],
)  # fmt: skip
def test_json_for_html_has_no_markup_and_reads_back_the_same(value):
    text = json_for_html(value)
    assert not set(text) & {"<", ">", "&", "\u2028", "\u2029"}
    assert json.loads(text) == value


@pytest.mark.parametrize(
    "value, expected",
    [(1.5, 1.5), (3, 3), (float("nan"), "nan"), (float("inf"), "inf"), (-float("inf"), "-inf"),
     (None, None), (True, True)],
)  # fmt: skip
def test_json_number_carries_what_json_cannot(value, expected):
    assert json_number(value) == expected


def test_json_value_turns_anything_else_into_text():
    assert json_value([1, float("nan"), "a", object.__name__]) == [1, "nan", "a", "object"]
    assert json_value(b"x") == "b'x'"


def test_the_report_has_two_scripts_its_own_and_the_data(page):
    assert page.count("<script") == 2
    assert "</script><script>alert" not in page
    assert SCRIPT_LABEL not in page and "<b>1</b>" not in page


def test_the_report_data_reads_back_with_the_labels_and_messages_as_written(page):
    data = json.loads(DATA_BLOCK.search(page).group(1))
    assert data["title"] == "run <b>1</b>"
    assert SCRIPT_LABEL in data["labels"]
    messages = {row["error_message"] for row in data["trials"]} - {None}
    assert messages == {SCRIPT_MESSAGE}
    assert data["trials"][0]["attachments"] == [SCRIPT_ATTACHMENT]
    assert SCRIPT_ATTACHMENT not in page
    assert data["summary"]["trials"] == 12


def test_the_report_charts_are_data_uris_of_svg(page):
    data = json.loads(DATA_BLOCK.search(page).group(1))
    drawn = [view for view in data["views"] if view["has_chart"]]
    assert {view["name"] for view in drawn} >= {"history", "parallel", "slices", "intermediate"}
    for view in drawn:
        prefix = "data:image/svg+xml;base64,"
        assert view["src"].startswith(prefix)
        assert b"<svg" in base64.b64decode(view["src"][len(prefix) :])
    for view in data["views"]:
        assert view["has_chart"] or view["note"]


def test_the_report_policy_allows_only_its_own_inline_script_and_style(page):
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1)
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    style = re.search(r"<style>(.*?)</style>", page, re.S).group(1)

    def source_hash(text):
        return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    assert f"script-src '{source_hash(script)}'" in policy
    assert f"style-src '{source_hash(style)}'" in policy
    assert "default-src 'none'" in policy and "img-src data:" in policy
    assert "http" not in page.split("<script>")[0].replace("http-equiv", "")  # no link out


def test_write_report_writes_the_file_whole(tmp_path):
    path = tmp_path / "run.pkl"
    run_search(path, 3)
    target = write_report(Dashboard(open_store(path), "run"), tmp_path / "report.html")
    assert target == str(tmp_path / "report.html")
    assert (tmp_path / "report.html").read_text().startswith("<!doctype html>")
    assert list(tmp_path.glob("*.tmp")) == []


def test_the_report_shows_what_the_store_holds_when_it_is_written(tmp_path):
    path = tmp_path / "run.pkl"
    run_search(path, 2)
    dashboard = Dashboard(open_store(path, min_interval=3600.0), "run")
    run_search(path, 5)  # more trials since the dashboard last read the file
    data = json.loads(DATA_BLOCK.search(report_html(dashboard)).group(1))
    assert data["summary"]["trials"] == 5
