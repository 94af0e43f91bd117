"""The web shell's page and its front-end modules (Preact, htm, signals) served from the
npm packages: every import-map entry answers with JavaScript, anything else in
node_modules stays private, and a missing install is a clear 503 and a log line."""

from __future__ import annotations

import json
import logging
import re

import pytest

from kefu.web import vendor


@pytest.fixture
def installed() -> None:
    if vendor.missing():
        pytest.skip(f"front-end packages not installed: {vendor.INSTALL_HINT}")


def import_map(page: str) -> dict[str, str]:
    found = re.search(r'<script type="importmap">(.*?)</script>', page, re.S)
    assert found, page
    return json.loads(found.group(1))["imports"]


def test_shell_page_maps_every_module_to_a_local_file(api, installed) -> None:  # type: ignore[no-untyped-def]
    page = api.client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    imports = import_map(page.text)
    assert set(imports) == {"preact", "preact/hooks", "htm", "htm/preact",
                            "@preact/signals", "@preact/signals-core"}
    for url in imports.values():
        assert url.startswith("/static/vendor/"), url      # nothing from a CDN
        js = api.client.get(url)
        assert js.status_code == 200, url
        assert js.headers["content-type"].startswith("text/javascript")
        assert "export" in js.text
    assert api.client.get("/static/shell/shell.js").status_code == 200


def test_only_the_listed_modules_are_served(api, installed) -> None:  # type: ignore[no-untyped-def]
    for path in ("preact/package.json", "../package.json", "preact/dist/preact.mjs.map"):
        r = api.client.get(f"/static/vendor/{path}")
        assert r.status_code == 404, path


def test_missing_install_is_a_503_with_the_reason_and_a_log_line(
        api, tmp_path, monkeypatch, caplog) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(vendor, "NODE_MODULES", tmp_path / "node_modules")
    caplog.set_level(logging.WARNING, logger="kefu.web.vendor")
    r = api.client.get("/static/vendor/preact/dist/preact.mjs")
    assert r.status_code == 503 and "npm ci" in r.json()["detail"]
    page = api.client.get("/")
    assert page.status_code == 503 and "npm ci" in page.text and "/desk" in page.text
    assert any("not installed" in rec.getMessage() and "npm ci" in rec.getMessage()
               for rec in caplog.records)
    assert vendor.missing() == list(vendor.MODULES.values())
    assert not vendor.check_installed()
