"""The web shell's page and its front-end modules (Preact, htm, signals) served from the
npm packages: every import-map entry answers with JavaScript, anything else in
node_modules stays private, and a missing install is a clear 503 and a log line.  The
slices' screens are served from their own folders; the old page URLs redirect into the
shell's routes."""

from __future__ import annotations

import json
import logging
import posixpath
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
                            "@preact/signals", "@preact/signals-core", "@dagrejs/dagre",
                            "wavesurfer.js", "wavesurfer.js/dist/plugins/regions.esm.js",
                            "echarts"}
    for url in imports.values():
        assert url.startswith("/static/vendor/"), url      # nothing from a CDN
        js = api.client.get(url)
        assert js.status_code == 200, url
        assert js.headers["content-type"].startswith("text/javascript")
        assert "export" in js.text
    assert api.client.get("/static/shell/shell.js").status_code == 200


def test_every_module_the_screens_import_is_served(api) -> None:  # type: ignore[no-untyped-def]
    """Each relative or absolute import in the shell's and the slices' modules answers
    with JavaScript: a moved or renamed file fails here, not in a browser."""
    from kefu.web.routers import pages
    roots = {pages.SHELL_URL: pages.SHELL_DIR}
    roots |= {f"/static/{name}": pages.slice_dir(name) for name in pages.SLICE_SCREENS}
    seen = 0
    for url, folder in roots.items():
        for file in folder.rglob("*.js"):
            here = f"{url}/{file.relative_to(folder).as_posix()}"
            for spec in re.findall(r'(?:from|import)\s*\(?\s*"([./][^"]+)"', file.read_text("utf-8")):
                target = spec if spec.startswith("/") else posixpath.normpath(
                    posixpath.join(posixpath.dirname(here), spec))
                r = api.client.get(target)
                assert r.status_code == 200, f"{here} imports {spec}: {r.status_code}"
                assert "javascript" in r.headers["content-type"], target
                seen += 1
    assert seen > 20, seen


def test_slices_serve_their_screens(api) -> None:  # type: ignore[no-untyped-def]
    for url in ("/static/crm/customer.js", "/static/crm/notes.js",
                "/static/announcements/announcements.js"):
        r = api.client.get(url)
        assert r.status_code == 200 and "export" in r.text, url
    assert api.client.get("/static/crm/../service.py").status_code == 404
    assert api.client.get("/static/crm/service.py").status_code == 404


def test_the_help_centre_is_a_page_of_its_own(api, installed) -> None:  # type: ignore[no-untyped-def]
    """/help: no sign-in, its own module (no shell), the import map, never cached."""
    page = api.client.get("/help")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache"
    assert "/static/kb/help.js" in page.text and "/static/shell/shell.js" not in page.text
    assert set(import_map(page.text)) >= {"preact", "htm/preact", "@preact/signals"}
    for url in ("/static/kb/help.js", "/static/kb/kb.js", "/static/kb/kb.css"):
        assert api.client.get(url).status_code == 200, url
    js = api.client.get("/static/kb/help.js").text
    assert re.findall(r"/api/v1[^\"`]*", js) == ["/api/v1/public/kb"]   # the public API only


def test_old_page_urls_redirect_into_the_shell(api) -> None:  # type: ignore[no-untyped-def]
    for old, route in (("/desk", "/#/desk"), ("/wall", "/#/wall")):
        r = api.client.get(old, follow_redirects=False)
        assert r.status_code == 308 and r.headers["location"] == route, (old, r.headers)
    assert api.client.get("/static/desk/desk.js").status_code == 404     # the old pages are gone


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
    assert page.status_code == 503 and "npm ci" in page.text
    assert any("not installed" in rec.getMessage() and "npm ci" in rec.getMessage()
               for rec in caplog.records)
    assert vendor.missing() == list(vendor.MODULES.values())
    assert not vendor.check_installed()
