"""The hot list (常问问题) for the IVR: a flow's ``lookup`` node reads
``GET /api/v1/public/kb/hot`` like any HTTP JSON source (no login: public articles only)
and speaks the first question.  The flow engine and the look-up runner are kefu's own; the
HTTP answer comes from the real app (httpx's ASGI transport instead of a socket)."""

from __future__ import annotations

import datetime as dt

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from kefu.ivr import steps as s
from kefu.ivr.engine import Session
from kefu.ivr.flowcheck import load
from kefu.ivr.lookup import Lookups
from kefu.kb.service import Kb
from webkit import Api

KB = "/api/v1/kb"


@pytest.fixture
def kb_api(api: Api, tmp_path) -> Iterator[Api]:  # type: ignore[no-untyped-def]
    """webkit's app with the knowledge base in its context."""
    api.ctx.kb = Kb(api.store.db, api.ctx.settings.kb, files_dir=tmp_path / "kb")
    yield api


def _ok(api: Api, role: str, method: str, path: str, code: int = 200, **kw: Any) -> Any:
    r = api.client.request(method, f"{KB}{path}", headers=api.as_(role), **kw)
    assert r.status_code == code, r.text
    return r.json() if r.content else None


def publish(api: Api, cat: int, title: str, visibility: str = "internal") -> int:
    a = _ok(api, "agent", "POST", "/articles", 201, json={
        "category_id": cat, "title": title, "body": title, "visibility": visibility, "submit": True})
    _ok(api, "supervisor", "POST", f"/articles/{a['id']}/versions/1/approve", json={"comment": ""})
    return int(a["id"])

FLOW = """\
name: hot
start: find
nodes:
  find:
    type: lookup
    http: {url: "http://kefu/api/v1/public/kb/hot", params: {limit: "3"}}
    into: {first: "0.title"}
    next: tell
    error: sorry
  tell: {type: play, prompt: "大家常问:${first}", next: bye}
  sorry: {type: play, prompt: 暂时无法查询, next: bye}
  bye: {type: hangup}
"""


async def _spoken(kb_api: Api) -> tuple[list[str], Session]:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=kb_api.client.app))
    lookups = Lookups({}, client=client)
    try:
        session = Session({"hot": load(FLOW)}, "hot", lambda: dt.datetime(2026, 12, 3))
        actions = session.start()
        lookup = next(a for a in actions if isinstance(a, s.DoLookup))
        actions = session.handle(await lookups.run(lookup))
        return [item.text or "" for a in actions if isinstance(a, s.Play) for item in a.items], session
    finally:
        await lookups.close()


async def test_the_ivr_speaks_the_first_hot_question(kb_api: Api) -> None:
    cat = _ok(kb_api, "supervisor", "POST", "/categories", 201, json={"name": "常见问题"})["id"]
    a = publish(kb_api, cat, "退货流程", visibility="public")
    b = publish(kb_api, cat, "营业时间", visibility="public")
    inner = publish(kb_api, cat, "内部审核标准")                 # internal: never for callers
    for art, n in ((a, 1), (b, 2), (inner, 5)):
        for _ in range(n):
            _ok(kb_api, "agent", "POST", f"/articles/{art}/views", json={})
    spoken, _ = await _spoken(kb_api)
    assert spoken == ["大家常问:营业时间"]


async def test_no_hot_question_takes_the_error_branch(kb_api: Api) -> None:
    spoken, session = await _spoken(kb_api)
    assert "0.title" in session.variables.get("error", "") and "first" not in session.variables
    assert not any("大家常问" in text for text in spoken)
