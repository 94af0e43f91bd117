"""The reports slice's screens as the server hands them out: the modules served (and
nothing else of the slice), ECharts from the installed npm package through the import
map, and the two screens registered in the shell for the roles the API lets in."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kefu.web import vendor

SCREENS_JS = Path(__file__).resolve().parents[2] / "src/kefu/web/static/shell/screens.js"


def _screens() -> dict[str, set[str]]:
    """path → roles of every entry of the shell's screens.js."""
    entries = re.findall(r'\{ path: "([^"]+)",(?: group: "\w+",)? label: "[^"]+", roles: (\[[^\]]*\])',
                         SCREENS_JS.read_text("utf-8"))
    return {path: set(json.loads(roles)) for path, roles in entries}


def test_the_screens_are_registered_for_the_roles_the_api_allows() -> None:
    screens = _screens()
    # GET /reports: agents (their own reports), supervisors, admins; not qa
    assert screens["/reports"] == {"agent", "supervisor", "admin"}
    # /report-schedules: supervisors and admins
    assert screens["/reports/schedules"] == {"supervisor", "admin"}
    text = SCREENS_JS.read_text("utf-8")
    assert 'import("/static/reports/reports.js")' in text
    assert 'import("/static/reports/schedules.js")' in text


def test_the_slice_serves_its_modules_and_style_only(api) -> None:  # type: ignore[no-untyped-def]
    for name in ("reports.js", "schedules.js", "charts.js", "common.js"):
        r = api.client.get(f"/static/reports/{name}")
        assert r.status_code == 200 and "javascript" in r.headers["content-type"], name
        assert "export" in r.text
    css = api.client.get("/static/reports/reports.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    for path in ("api.py", "../reports/excel.py", "catalog.py"):
        assert api.client.get(f"/static/reports/{path}").status_code == 404, path
    # the charts are drawn by the vendored library, named by its bare specifier
    assert 'from "echarts"' in api.client.get("/static/reports/charts.js").text


def test_echarts_is_mapped_and_served_from_node_modules(api) -> None:  # type: ignore[no-untyped-def]
    if vendor.missing():
        pytest.skip(f"front-end packages not installed: {vendor.INSTALL_HINT}")
    page = api.client.get("/")
    found = re.search(r'<script type="importmap">(.*?)</script>', page.text, re.S)
    assert found, page.text
    url = json.loads(found.group(1))["imports"]["echarts"]
    assert url == "/static/vendor/echarts/dist/echarts.esm.min.js"
    js = api.client.get(url)
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    body = js.text
    # one ES module that imports nothing (so the import map needs no zrender or tslib)
    assert re.search(r'(^|[;}\s])import\s*[\w{*]', body[:2000]) is None
    assert re.search(r'\bfrom\s*"[^"]+"', body) is None
    assert "export{" in body.replace(" ", "") and "init" in body
    assert len(js.content) == (vendor.NODE_MODULES / "echarts/dist/echarts.esm.min.js").stat().st_size
    # the rest of the package stays private
    assert api.client.get("/static/vendor/echarts/package.json").status_code == 404
    assert api.client.get("/static/vendor/echarts/dist/echarts.esm.js.map").status_code == 404
