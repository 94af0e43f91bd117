"""The flow as the diagram's graph: every node, every arrow labelled as the admin reads
it (the digit, the condition, timeout / invalid, error), missing targets drawn, and the
check route answering the graph with the problems."""

from __future__ import annotations

from kefu.ivr.flowcheck import load
from kefu.ivr.graph import GraphEdge, condition_text, graph, graph_of
from kefu.ivr.flow import Condition

FLOW = """
name: main
start: hours
calendars:
  office: {week: {mon: ["09:00-18:00"]}}
nodes:
  hours:
    type: branch
    cases:
      - if: {open: office}
        goto: vip
    else: closed
  vip:
    type: branch
    cases:
      - if: {all: [{var: tier, eq: gold}, {not: {var: caller, prefix: "400"}}]}
        goto: agents
    else: menu
  menu:
    type: menu
    label: Main menu
    prompt: "按1查询余额,按2转人工"
    choices: {"1": balance, "2": agents}
    fallback: closed
  balance:
    type: lookup
    http: {url: "http://crm.example/balance?n=${caller}"}
    into: {amount: balance}
    next: say_it
    error: agents
  say_it:
    type: say
    kind: money
    value: "${amount}"
    next: menu
  agents:
    type: queue
    queue: support
    fallback: closed
  closed:
    type: voicemail
    mailbox: support
"""


def test_every_node_and_labelled_arrow() -> None:
    g = graph(load(FLOW))
    assert g.start == "hours"
    assert [(n.id, n.type, n.label) for n in g.nodes][:3] == [
        ("hours", "branch", "hours"), ("vip", "branch", "vip"), ("menu", "menu", "Main menu")]
    assert len(g.nodes) == 7
    edges = set(g.edges)
    assert GraphEdge("hours", "vip", "case", "open(office)") in edges
    assert GraphEdge("hours", "closed", "else", "else") in edges
    assert GraphEdge("vip", "agents", "case", "tier = gold and not caller starts 400") in edges
    assert GraphEdge("menu", "balance", "digit", "1") in edges
    assert GraphEdge("menu", "agents", "digit", "2") in edges
    assert GraphEdge("menu", "closed", "fallback", "timeout / invalid") in edges
    assert GraphEdge("balance", "say_it", "next", "") in edges
    assert GraphEdge("balance", "agents", "error", "error") in edges
    assert GraphEdge("agents", "closed", "fallback", "refused") in edges
    assert len(g.edges) == 11


def test_a_missing_target_is_drawn_once_as_missing() -> None:
    text = FLOW.replace('"2": agents', '"2": billing').replace("error: agents", "error: billing")
    g = graph_of(text)
    assert g is not None
    assert [n for n in g.nodes if n.type == "missing"] == [
        type(g.nodes[0])("billing", "missing", "billing")]
    assert GraphEdge("menu", "billing", "digit", "2") in g.edges


def test_no_graph_when_the_text_is_not_a_flow() -> None:
    assert graph_of("nodes: [") is None                   # not YAML
    assert graph_of("- a list") is None                   # not a mapping
    assert graph_of("name: x\nstart: a\nnodes: {a: {type: nope}}") is None   # no such type


def test_condition_captions() -> None:
    c = Condition.model_validate
    assert condition_text(c({"var": "n", "gt": 3})) == "n > 3"
    assert condition_text(c({"var": "lang", "in": ["zh", "en"]})) == "lang in zh, en"
    assert condition_text(c({"var": "pin", "empty": True})) == "pin empty"
    assert condition_text(c({"any": [{"var": "a", "eq": "1"}, {"all": [{"var": "b", "ne": "2"},
                                                                        {"var": "c", "lt": 1.5}]}]})) \
        == "a = 1 or (b ≠ 2 and c < 1.5)"


def test_check_answers_the_graph_with_the_problems(ivr_api) -> None:  # type: ignore[no-untyped-def]
    api = ivr_api
    headers = {**api.as_("admin"), "Content-Type": "text/yaml"}
    api.client.post("/api/v1/ivr/flows", json={"name": "main"}, headers=api.as_("admin"))
    broken = FLOW.replace('"2": agents', '"2": billing')
    body = api.client.post("/api/v1/ivr/flows/main/check", content=broken.encode(),
                           headers=headers).json()
    assert body["valid"] is False
    assert "node `menu`: digit 2 goes to `billing`, which does not exist" in body["problems"]
    assert {"source": "menu", "target": "billing", "kind": "digit", "label": "2"} in body["graph"]["edges"]
    body = api.client.post("/api/v1/ivr/flows/main/check", content=b"nodes: [",
                           headers=headers).json()
    assert body["graph"] is None and body["problems"][0].startswith("not valid YAML")
