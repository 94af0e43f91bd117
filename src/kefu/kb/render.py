"""An article's Markdown as the HTML the screens show (the one render of the slice).

Safe by construction, because the screens put this HTML into the page as it is: raw HTML
in the Markdown is shown as text (markdown-it's ``html`` off), a link goes only to
``http(s)``, to a relative address or to one of the article's own files, and an image
only ever shows one of the article's own image files.  The Markdown names a file as
``kbfile:<id>`` (``![图](kbfile:12)``, ``[说明书](kbfile:13)``; the editor inserts these; not
``file:``, which markdown-it refuses everywhere, so the search's plain text would index the
Markdown itself); a file that is not the article's, or that the reader may not see, is
left as its text.

Signed-in readers get ``data-kb-file`` on images and file links (the screen loads them
with its token: an ``<img>`` cannot carry one); the public help centre gets the public
image address instead and no attachments.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

from .records import File

PUBLIC_FILES = "/api/v1/public/kb/articles/{article}/files/{file}"
_SCHEME = re.compile(r"^([a-z][a-z0-9+.\-]*):", re.IGNORECASE)
_FILE = re.compile(r"^kbfile:(\d{1,10})$")
_WEB = ("http", "https")


def _allowed(url: str) -> bool:
    """http(s), relative addresses and ``kbfile:<id>``; no other scheme (javascript:,
    data:, vbscript:…)."""
    m = _SCHEME.match(url.strip())
    return m is None or m.group(1).lower() in _WEB or _FILE.match(url.strip()) is not None


def _file(url: str, env: dict[str, Any]) -> File | None:
    m = _FILE.match(url.strip())
    return None if m is None else env["files"].get(int(m.group(1)))


def _image(self: Any, tokens: Any, idx: int, options: Any, env: dict[str, Any]) -> str:
    tok = tokens[idx]
    alt = self.renderInlineAsText(tok.children or [], options, env)
    f = _file(tok.attrGet("src") or "", env)
    if f is None or f.kind != "image":
        return escapeHtml(alt)              # only the article's own images are shown
    title = tok.attrGet("title")
    extra = f' title="{escapeHtml(str(title))}"' if title else ""
    if env["public"]:
        src = PUBLIC_FILES.format(article=f.article_id, file=f.id)
        return f'<img src="{escapeHtml(src)}" alt="{escapeHtml(alt)}"{extra} loading="lazy">'
    return f'<img data-kb-file="{f.id}" alt="{escapeHtml(alt)}"{extra}>'


def _link_open(self: Any, tokens: Any, idx: int, options: Any, env: dict[str, Any]) -> str:
    tok = tokens[idx]
    href = str(tok.attrGet("href") or "")
    env["dropped"] = False
    if _FILE.match(href.strip()):
        f = _file(href, env)
        if f is None or (env["public"] and f.kind != "image"):
            env["dropped"] = True           # not this article's, or not for the public
            return ""
        if env["public"]:
            src = PUBLIC_FILES.format(article=f.article_id, file=f.id)
            return f'<a href="{escapeHtml(src)}" target="_blank" rel="noopener noreferrer">'
        return (f'<a href="#" data-kb-file="{f.id}" data-kb-name="{escapeHtml(f.name)}" '
                f'class="kb-file-link">')
    attrs = f'href="{escapeHtml(href)}"'
    title = tok.attrGet("title")
    if title:
        attrs += f' title="{escapeHtml(str(title))}"'
    if _SCHEME.match(href) or href.startswith("//"):
        attrs += ' target="_blank" rel="noopener noreferrer nofollow"'
    return f"<a {attrs}>"


def _link_close(self: Any, tokens: Any, idx: int, options: Any, env: dict[str, Any]) -> str:
    dropped, env["dropped"] = env.get("dropped", False), False
    return "" if dropped else "</a>"


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    md.validateLink = _allowed                   # type: ignore[method-assign]
    md.add_render_rule("image", _image)
    md.add_render_rule("link_open", _link_open)
    md.add_render_rule("link_close", _link_close)
    return md


def render(markdown: str, files: Sequence[File] = (), *, public: bool = False) -> str:
    """``markdown`` as safe HTML; ``files``: the article's files (those the reader may
    see); ``public``: for the help centre (public image addresses, no attachments)."""
    env: dict[str, Any] = {"files": {f.id: f for f in files}, "public": public}
    return _parser().render(markdown or "", env)
