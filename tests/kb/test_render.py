"""An article's Markdown as HTML (kefu.kb.render): hostile input stays text, links go only
to http(s), relative addresses or the article's own files, images are only its own; and
over HTTP: ``body_html`` in the one-article answers (not in lists), the public body with
public image addresses and no attachments, the editor's preview (writers only, 4xx)."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest

from kbkit import PDF, PNG
from kefu.kb.records import File
from kefu.kb.render import render
from webkit import Api

KB = "/api/v1/kb"
PUBLIC = "/api/v1/public/kb"
IMAGE = File(12, 3, "image", "a.png", "image/png", 10, "amy", 0.0)
PAPER = File(13, 3, "attachment", 'b"<c>.pdf', "application/pdf", 10, "amy", 0.0)
FILES = (IMAGE, PAPER)

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java&#115;cript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "[x](vbscript:msgbox(1))",
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2Zz4=)",
    "<javascript:alert(1)>",
    '[x](https://a.example/"onmouseover="alert(1))',
    "[x][r]\n\n[r]: javascript:alert(1)",
    "<iframe src=https://evil.example></iframe>",
    "<style>body{display:none}</style>",
    '<div onclick="alert(1)">x</div>',
]


class _Tags(HTMLParser):
    """The tags and attributes of an HTML text, as a browser would read them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


@pytest.mark.parametrize("text", HOSTILE)
@pytest.mark.parametrize("public", [False, True])
def test_hostile_markdown_stays_text(text: str, public: bool) -> None:
    out = render(text, FILES, public=public)
    for tag, attrs in _tags(out):
        assert tag in ("p", "a"), (text, out)
        assert not any(k.startswith("on") for k in attrs), (text, out)
        href = (attrs.get("href") or "").lower()
        assert href.startswith(("https://", "http://", "#")) or not href, (text, out)


def test_markdown_and_the_links_it_may_have() -> None:
    out = render("# 退货\n\n**第一步** [政策](https://shop.example/p?a=1&b=2) 与 [本库](#/kb/2)\n\n"
                 "| a | b |\n|---|---|\n| 1 | 2 |")
    assert "<h1>退货</h1>" in out and "<strong>第一步</strong>" in out and "<table>" in out
    assert ('<a href="https://shop.example/p?a=1&amp;b=2" target="_blank" '
            'rel="noopener noreferrer nofollow">政策</a>') in out
    assert '<a href="#/kb/2">本库</a>' in out                 # relative: same window


def test_own_files_only() -> None:
    text = "![图](kbfile:12 \"标题\") ![别人的](kbfile:99) ![外链](https://x.example/a.png) [说明](kbfile:13)"
    inside = render(text, FILES)
    assert '<img data-kb-file="12" alt="图" title="标题">' in inside
    assert "别人的" in inside and "外链" in inside and inside.count("<img") == 1
    assert ('<a href="#" data-kb-file="13" data-kb-name="b&quot;&lt;c&gt;.pdf" '
            'class="kb-file-link">说明</a>') in inside
    public = render(text, FILES, public=True)
    assert '<img src="/api/v1/public/kb/articles/3/files/12" alt="图" title="标题"' in public
    assert "data-kb-file" not in public and "<a" not in public and "说明" in public
    assert render("![图](kbfile:12)", ()) == "<p>图</p>\n"        # not given: not shown


# --- over HTTP --------------------------------------------------------------------------------
def _call(api: Api, role: str | None, method: str, path: str, **kw: Any) -> Any:
    return api.client.request(method, path, headers=api.as_(role) if role else {}, **kw)


def _ok(r: Any, code: int = 200) -> Any:
    assert r.status_code == code, r.text
    return r.json() if r.content else None


def _article(api: Api, visibility: str) -> tuple[int, int, int]:
    cat = _ok(_call(api, "supervisor", "POST", f"{KB}/categories", json={"name": "售后"}), 201)
    a = _ok(_call(api, "agent", "POST", f"{KB}/articles", json={
        "category_id": cat["id"], "title": "退货", "body": "x", "visibility": visibility}), 201)
    img = _ok(_call(api, "agent", "POST", f"{KB}/articles/{a['id']}/files?kind=image",
                    files={"file": ("a.png", PNG, "image/png")}), 201)
    pdf = _ok(_call(api, "agent", "POST", f"{KB}/articles/{a['id']}/files",
                    files={"file": ("b.pdf", PDF, "application/pdf")}), 201)
    body = f"步骤 <b>一</b>\n\n![图](kbfile:{img['id']})\n\n[附件](kbfile:{pdf['id']})"
    _ok(_call(api, "agent", "PATCH", f"{KB}/articles/{a['id']}", json={"body": body,
                                                                         "submit": True}))
    _ok(_call(api, "supervisor", "POST", f"{KB}/articles/{a['id']}/versions/2/approve", json={}))
    return a["id"], img["id"], pdf["id"]


def test_body_html_in_the_answers(kb_api: Api) -> None:
    aid, img, pdf = _article(kb_api, "public")
    got = _ok(_call(kb_api, "agent", "GET", f"{KB}/articles/{aid}"))
    html = got["live"]["body_html"]
    assert "&lt;b&gt;一&lt;/b&gt;" in html and f'data-kb-file="{img}"' in html
    assert f'data-kb-file="{pdf}"' in html
    listed = _ok(_call(kb_api, "agent", "GET", f"{KB}/articles"))["items"]
    assert [x["live"]["body_html"] for x in listed] == [None]          # lists: not rendered
    versions = _ok(_call(kb_api, "agent", "GET", f"{KB}/articles/{aid}/versions"))
    assert [v["body_html"] for v in versions] == ["<p>x</p>\n", html]
    one = _ok(_call(kb_api, "agent", "GET", f"{KB}/articles/{aid}/versions/2"))
    assert one["body_html"] == html
    public = _ok(_call(kb_api, None, "GET", f"{PUBLIC}/articles/{aid}"))
    assert f'<img src="/api/v1/public/kb/articles/{aid}/files/{img}"' in public["body_html"]
    assert "data-kb-file" not in public["body_html"] and "附件" in public["body_html"]
    assert _call(kb_api, None, "GET", f"{PUBLIC}/articles/{aid}/files/{img}").status_code == 200
    assert "body_html" not in _ok(_call(kb_api, None, "GET", f"{PUBLIC}/articles"))["items"][0]


def test_internal_articles_are_not_public(kb_api: Api) -> None:
    aid, img, _ = _article(kb_api, "internal")
    assert _call(kb_api, None, "GET", f"{PUBLIC}/articles/{aid}").status_code == 404
    assert _call(kb_api, None, "GET", f"{PUBLIC}/articles/{aid}/files/{img}").status_code == 404


@pytest.mark.parametrize("role,code", [("agent", 200), ("supervisor", 200), ("admin", 200),
                                       ("qa", 403), (None, 401)])
def test_preview_by_role(kb_api: Api, role: str | None, code: int) -> None:
    r = _call(kb_api, role, "POST", f"{KB}/preview", json={"markdown": "**b** <i>x</i>"})
    assert r.status_code == code, r.text
    if code == 200:
        assert r.json() == {"html": "<p><strong>b</strong> &lt;i&gt;x&lt;/i&gt;</p>\n"}
    if code == 403:
        assert "writers" in r.json()["detail"]


def test_preview_with_the_articles_files_and_bad_input(kb_api: Api) -> None:
    aid, img, _ = _article(kb_api, "internal")
    out = _ok(_call(kb_api, "agent", "POST", f"{KB}/preview",
                    json={"markdown": f"![a](kbfile:{img})", "article_id": aid}))
    assert f'data-kb-file="{img}"' in out["html"]
    out = _ok(_call(kb_api, "agent", "POST", f"{KB}/preview",
                    json={"markdown": f"![a](kbfile:{img})"}))
    assert out["html"] == "<p>a</p>\n"
    for body, code in (({"markdown": "x", "article_id": 999}, 404), ({}, 422),
                       ({"markdown": "x", "html": 1}, 422), ({"markdown": "x" * 200_001}, 422)):
        r = _call(kb_api, "agent", "POST", f"{KB}/preview", json=body)
        assert r.status_code == code, (body, r.text)
