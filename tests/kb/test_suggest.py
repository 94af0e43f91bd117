"""Suggestions for a call (the desk's KB panel): the pure part (context → weighted terms →
one merged ranking with reasons) against fakes, the facts read from a call's events, and
``GET /kb/suggest`` over SQLite (roles, the agent's own calls, 4xx with reasons)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kefu.bus import Event
from kefu.kb.suggest import (WEIGHTS, Context, Reason, TicketHint, facts, rank, terms)
from webkit import Api

KB = "/api/v1/kb"


@dataclass(frozen=True)
class Hit:
    id: int


def _search(answers: dict[str, list[int]]) -> Any:
    asked: list[str] = []

    def search(query: str) -> list[Hit]:
        asked.append(query)
        return [Hit(i) for i in answers.get(query, [])]
    search.asked = asked  # type: ignore[attr-defined]
    return search


# --- pure ---------------------------------------------------------------------------------
def test_terms_carry_their_source_and_weight_strongest_first() -> None:
    ctx = Context(queue="售后", ivr=("退货", "refund_status"), data={"product": "K3 扫地机",
                  "order": "20261203001", "vip": True, "nested": {"a": 1},
                  "long": "x" * 80},
                  tickets=(TicketHint("退货未到账", "投诉"),), typed="  怎么 退款 ")
    got = [(t.kind, t.query, t.text) for t in terms(ctx)]
    assert got[0] == ("typed", "怎么 退款", "怎么 退款")
    assert ("ticket", "退货未到账", "退货未到账") in got
    assert ("queue", "售后", "售后") in got
    assert ("data", "K3 扫地机", "product=K3 扫地机") in got
    assert ("ivr", "refund status", "refund_status") in got      # a node's name as words
    # numbers, flags, nested values and long texts are not topics
    assert not any(q in ("20261203001", "True") or q.startswith("x") for _, q, _ in got)
    weights = [t.weight for t in terms(ctx)]
    assert weights == sorted(weights, reverse=True)


def test_a_query_from_two_sources_is_searched_once_with_the_stronger_reason() -> None:
    found = terms(Context(queue="退货", ivr=("退货",), typed=""))
    assert [(t.kind, t.query) for t in found] == [("ivr", "退货")]
    assert found[0].weight == WEIGHTS["ivr"]


def test_rank_merges_and_dedupes_with_every_reason() -> None:
    ctx = Context(queue="售后", tickets=(TicketHint("退货未到账", "投诉"),), typed="退款")
    search = _search({"退款": [7, 3], "退货未到账": [3, 9], "售后": [9, 3, 5], "投诉": []})
    out = rank(terms(ctx), search)
    ids = [s.article_id for s in out]
    assert len(ids) == len(set(ids)) == 4                    # each article once
    # 3: typed ½ (1.5) + ticket 1 (1.5) + queue ½ (0.4) beats 7: typed 1 (3.0)
    assert ids[:2] == [3, 7]
    three = out[0]
    assert three.reasons[0] in (Reason("typed", "退款"), Reason("ticket", "退货未到账"))
    assert set(three.reasons) == {Reason("typed", "退款"), Reason("ticket", "退货未到账"),
                                  Reason("queue", "售后")}
    assert [s.article_id for s in rank(terms(ctx), search, limit=2)] == [3, 7]
    assert sorted(search.asked) == sorted(["退款", "退货未到账", "投诉", "售后"] * 2)


def test_nothing_known_suggests_nothing() -> None:
    search = _search({})
    assert rank(terms(Context()), search) == []
    assert search.asked == []


def test_facts_read_from_a_calls_events() -> None:
    events = [Event("call.started", "c1", {"caller": "13800001111", "callee": "4000"}),
              Event("ivr.choice", "c1", {"flow": "main", "node": "menu", "key": "2",
                                         "to": "after_sales", "said": "售后"}),
              Event("ivr.choice", "c1", {"flow": "main", "node": "after_sales", "key": "3",
                                         "to": "refund_status"}),      # the menu did not say
              Event("queue.entered", "c1", {"queue": "aftersales", "caller": "13800001111"}),
              Event("queue.offer", "c1", {"queue": "aftersales", "agents": ["li"],
                                          "caller": "13800001111",
                                          "attached": {"product": "K3"}}),
              Event("queue.connect", "c1", {"queue": "aftersales", "agent": "wang",
                                            "extension": "1001", "caller": "13800001111"})]
    f = facts(events)
    assert f.known and f.queue == "aftersales" and f.ivr == ("售后", "refund_status")
    assert f.data == {"product": "K3"} and f.agents == {"wang"}      # li was only offered it
    assert f.customer_number("1001") == "13800001111"
    assert not facts([]).known


# --- the route ----------------------------------------------------------------------------
def _ok(r: Any, code: int = 200) -> Any:
    assert r.status_code == code, r.text
    return r.json()


def _article(api: Api, cat: int, title: str, body: str) -> int:
    a = _ok(api.client.post(f"{KB}/articles", headers=api.as_("agent"), json={
        "category_id": cat, "title": title, "body": body, "keywords": [],
        "visibility": "internal", "submit": True}), 201)
    _ok(api.client.post(f"{KB}/articles/{a['id']}/versions/1/approve",
                        headers=api.as_("supervisor"), json={"comment": ""}))
    return int(a["id"])


def _call(api: Api, call_id: str, agent: str, queue: str = "售后") -> None:
    api.store.append_events([
        Event("call.started", call_id, {"caller": "13800001111", "callee": "4000"}),
        Event("queue.entered", call_id, {"queue": queue, "caller": "13800001111"}),
        Event("queue.connect", call_id, {"queue": queue, "agent": agent,
                                         "extension": "1001", "caller": "13800001111"})])


def test_route_suggests_from_the_queue_and_the_customers_tickets(kb_api: Api) -> None:
    api = kb_api
    cat = _ok(api.client.post(f"{KB}/categories", headers=api.as_("supervisor"),
                              json={"name": "常见问题"}), 201)["id"]
    refund = _article(api, cat, "退货未到账怎么办", "退款 三个工作日 到账")
    after = _article(api, cat, "售后服务时间", "售后 每天 9 点到 21 点")
    _article(api, cat, "发票开具", "电子发票")
    customer = api.ctx.crm.create_customer("13800001111", name="张三")
    assert api.ctx.tickets is not None
    api.ctx.tickets.create(api.users.user_named("agent"), type="inquiry",
                           title="退货未到账", customer_id=customer.id)
    _call(api, "c1", "agent")
    out = _ok(api.client.get(f"{KB}/suggest", params={"call_id": "c1"},
                             headers=api.as_("agent")))
    by_id = {s["article"]["id"]: s for s in out}
    assert set(by_id) == {refund, after}
    assert {"kind": "queue", "text": "售后"} in by_id[after]["reasons"]
    assert {"kind": "ticket", "text": "退货未到账"} in by_id[refund]["reasons"]
    # typed text leads
    out = _ok(api.client.get(f"{KB}/suggest", params={"call_id": "c1", "q": "发票"},
                             headers=api.as_("agent")))
    assert out[0]["article"]["live"]["title"] == "发票开具"
    assert out[0]["reasons"] == [{"kind": "typed", "text": "发票"}]
    # suggestions are not searches people asked: the statistics stay empty
    assert _ok(api.client.get(f"{KB}/stats/searches", headers=api.as_("supervisor"))) == []


def test_route_roles_and_refusals(kb_api: Api) -> None:
    api = kb_api
    _call(api, "c2", "someone_else")
    r = api.client.get(f"{KB}/suggest", params={"call_id": "c2"}, headers=api.as_("agent"))
    assert r.status_code == 403 and "own calls" in r.json()["detail"]
    for role in ("supervisor", "admin"):
        assert _ok(api.client.get(f"{KB}/suggest", params={"call_id": "c2"},
                                  headers=api.as_(role))) == []
    r = api.client.get(f"{KB}/suggest", params={"q": "退货"}, headers=api.as_("qa"))
    assert r.status_code == 403
    assert api.client.get(f"{KB}/suggest", params={"q": "退货"}).status_code == 401
    r = api.client.get(f"{KB}/suggest", params={"call_id": "nope"}, headers=api.as_("agent"))
    assert r.status_code == 404 and "no call" in r.json()["detail"]
    r = api.client.get(f"{KB}/suggest", headers=api.as_("agent"))
    assert r.status_code == 422 and "required" in str(r.json()["detail"])
    r = api.client.get(f"{KB}/suggest", params={"q": "x" * 201}, headers=api.as_("agent"))
    assert r.status_code == 422
    assert _ok(api.client.get(f"{KB}/suggest", params={"q": "退货"},
                              headers=api.as_("agent"))) == []
