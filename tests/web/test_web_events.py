"""GET /api/v1/events: the live event WebSocket; auth, filters, visibility by role, cleanup.

The fixture's LocalBus has no loop, so ``publish`` delivers on the caller's thread.  Tests
publish through the TestClient's portal (``publish`` below), i.e. on the loop the app runs
on, as the bound bus does in production; one test publishes from the test thread to cover
the endpoint's hop onto its loop.  Absence is checked without timeouts: hidden events are
published before a visible one, and the visible one must be the next message.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from kefu.bus import Event
from kefu.web.app import API_PREFIX
from kefu.web.routers import events as events_router

Api = Any   # conftest.Api; tests/web is not a package
URL = f"{API_PREFIX}/events"
# the transport is tested with made-up events; the rule for kefu's own: tests/test_events.py
pytestmark = pytest.mark.unchecked_events


def connect(api: Api, role: str | None = None, **params: str):  # type: ignore[no-untyped-def]
    if role is not None:
        params.setdefault("token", api.tokens[role])
    return api.client.websocket_connect(f"{URL}?{urlencode(params)}" if params else URL)


def publish(api: Api, *events: Event) -> None:
    """Publish on the app's loop, all in one go (nothing is sent in between)."""
    def go() -> None:
        for event in events:
            api.ctx.bus.publish(event)
    assert api.client.portal is not None
    api.client.portal.call(go)


def receive_types(conn: Any, n: int) -> list[str]:
    return [conn.receive_json()["type"] for _ in range(n)]


def subscribers(api: Api) -> int:
    return len(api.ctx.bus._subs)  # type: ignore[attr-defined]


def test_hello_then_event_with_its_fields(api: Api) -> None:
    with connect(api, "supervisor") as conn:
        assert conn.receive_json() == {"type": "hello", "user": "supervisor", "role": "supervisor"}
        publish(api, Event("call.answered", call_id="c1", data={"callee": "1001"}, ts=12.5))
        assert conn.receive_json() == {"type": "call.answered", "call_id": "c1", "ts": 12.5,
                                       "data": {"callee": "1001"}}


def test_token_in_authorization_header(api: Api) -> None:
    with api.client.websocket_connect(URL, headers=api.as_("admin")) as conn:
        assert conn.receive_json()["user"] == "admin"


def test_publish_from_another_thread_reaches_the_socket(api: Api) -> None:
    with connect(api, "admin") as conn:
        conn.receive_json()
        api.ctx.bus.publish(Event("agent.ready", data={"agent": "agent"}))  # the test thread
        assert conn.receive_json()["type"] == "agent.ready"


@pytest.mark.parametrize("token,reason", [("not-a-token", "invalid or expired token"),
                                          (None, "missing token"),
                                          ("", "missing token")])
def test_bad_or_missing_token_closes_4401(api: Api, caplog,  # type: ignore[no-untyped-def]
                                          token: str | None, reason: str) -> None:
    params = {} if token is None else {"token": token}
    with caplog.at_level(logging.INFO, logger="kefu.web"):
        with connect(api, **params) as conn, pytest.raises(WebSocketDisconnect) as closed:
            conn.receive_json()
    assert (closed.value.code, closed.value.reason) == (4401, reason)
    assert any("refused" in m and reason in m for m in caplog.messages)
    assert subscribers(api) == 1


def test_revoked_token_closes_4401(api: Api) -> None:
    assert api.users.revoke_token(api.tokens["agent"])
    with connect(api, "agent") as conn, pytest.raises(WebSocketDisconnect) as closed:
        conn.receive_json()
    assert closed.value.code == 4401


def test_token_never_logged(api: Api, caplog) -> None:  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.DEBUG):
        with connect(api, "agent") as conn:
            conn.receive_json()
        with connect(api, token="secret-looking-token") as conn, pytest.raises(WebSocketDisconnect):
            conn.receive_json()
    assert any("connected" in m for m in caplog.messages)
    assert all(api.tokens["agent"] not in m and "secret-looking-token" not in m
               for m in caplog.messages)


def test_types_filter(api: Api) -> None:
    with connect(api, "supervisor", types="agent., queue.") as conn:
        conn.receive_json()
        publish(api, Event("call.started", "c1"), Event("queue.joined", "c1"),
                Event("extension.changed"), Event("agent.ready"), Event("agents.x"))
        assert receive_types(conn, 2) == ["queue.joined", "agent.ready"]
        publish(api, Event("call.ended", "c1"), Event("agent.away"))
        assert conn.receive_json()["type"] == "agent.away"


def test_agent_sees_own_and_queue_events_only(api: Api) -> None:
    with connect(api, "agent") as conn:
        assert conn.receive_json()["role"] == "agent"
        publish(api,
                Event("agent.ready", data={"agent": "supervisor"}),          # someone else's
                Event("call.started", "c1", data={"caller": "1001"}),        # nobody's
                Event("call.answered", "c1", data={"agent": "agent"}),       # own
                Event("call.offered", "c2", data={"agents": ["qa", "agent"]}),  # offered to
                Event("call.offered", "c3", data={"agents": "agent2"}),      # not a list
                Event("call.offered", "c4", data={"agents": ["agent2"]}),
                Event("queue.waiting", "c5", data={"queue": "sales"}),
                Event("agent.away", data={"agent": "agent"}))
        got = [conn.receive_json() for _ in range(4)]
        assert [(m["type"], m["call_id"]) for m in got] == [
            ("call.answered", "c1"), ("call.offered", "c2"), ("queue.waiting", "c5"),
            ("agent.away", None)]


def test_qa_sees_call_events_only(api: Api) -> None:
    with connect(api, "qa") as conn:
        conn.receive_json()
        publish(api, Event("agent.ready", data={"agent": "qa"}), Event("queue.waiting", "c1"),
                Event("extension.changed"), Event("call.ended", "c1"))
        assert conn.receive_json()["type"] == "call.ended"


@pytest.mark.parametrize("role", ["supervisor", "admin"])
def test_supervisor_and_admin_see_everything(api: Api, role: str) -> None:
    kinds = ["agent.ready", "call.started", "queue.waiting", "extension.changed", "x"]
    with connect(api, role) as conn:
        conn.receive_json()
        publish(api, *(Event(kind, data={"agent": "someone"}) for kind in kinds))
        assert receive_types(conn, len(kinds)) == kinds


def test_visible_override_decides_for_agents(api: Api) -> None:
    seen: list[tuple[str, str]] = []

    def blue_team(user, event: Event) -> bool:  # type: ignore[no-untyped-def]
        seen.append((user.username, event.type))
        return event.data.get("team") == "blue"

    api.ctx.visible = blue_team
    with connect(api, "agent") as conn:
        conn.receive_json()
        publish(api, Event("queue.waiting", data={"team": "red"}),      # default rule: shown
                Event("agent.ready", data={"agent": "agent"}),          # default rule: shown
                Event("call.started", data={"team": "blue"}))
        assert conn.receive_json()["type"] == "call.started"
    assert seen == [("agent", "queue.waiting"), ("agent", "agent.ready"),
                    ("agent", "call.started")]


def test_failing_visible_rule_hides_the_event(api: Api) -> None:
    def rule(user, event: Event) -> bool:  # type: ignore[no-untyped-def]
        if event.type == "boom":
            raise RuntimeError("broken rule")
        return True

    api.ctx.visible = rule
    with connect(api, "agent") as conn:
        conn.receive_json()
        publish(api, Event("boom"), Event("fine"))
        assert conn.receive_json()["type"] == "fine"


def test_ping_pong_and_other_messages_ignored(api: Api) -> None:
    with connect(api, "agent") as conn:
        conn.receive_json()
        conn.send_text("hello?")
        conn.send_bytes(b"ping")
        conn.send_text("ping")
        assert conn.receive_json() == {"type": "pong"}


def test_unjsonable_data_is_sent_as_text(api: Api) -> None:
    with connect(api, "admin") as conn:
        conn.receive_json()
        publish(api, Event("call.x", data={"when": {1}}))
        assert conn.receive_json()["data"] == {"when": "{1}"}


def test_unsubscribed_after_disconnect(api: Api) -> None:
    assert subscribers(api) == 1                      # the fixture's own recorder
    with connect(api, "agent") as first, connect(api, "qa") as second:
        first.receive_json(), second.receive_json()
        assert subscribers(api) == 3
    assert subscribers(api) == 1
    publish(api, Event("call.ended", "c1"))           # nobody left to fail
    assert api.events[-1].type == "call.ended"


def test_slow_client_closed_1013_without_blocking_the_bus(  # type: ignore[no-untyped-def]
        api: Api, caplog, monkeypatch) -> None:
    monkeypatch.setattr(events_router, "QUEUE_SIZE", 3)
    with caplog.at_level(logging.WARNING, logger="kefu.web"):
        with connect(api, "admin") as conn:
            conn.receive_json()
            publish(api, *(Event(f"call.n{i}", "c1") for i in range(10)))  # returns: no blocking
            received = []
            with pytest.raises(WebSocketDisconnect) as closed:
                while True:
                    received.append(conn.receive_json()["type"])
    assert closed.value.code == 1013
    assert received == ["call.n0", "call.n1", "call.n2"][:len(received)]
    assert len(api.events) == 10                      # the other subscriber got every event
    assert any("too slow" in m for m in caplog.messages)
    assert subscribers(api) == 1


def test_works_without_the_fixture_client_context(api: Api) -> None:
    """A TestClient used without ``with`` runs each socket on its own portal loop."""
    client = TestClient(api.client.app)
    with client.websocket_connect(f"{URL}?token={api.tokens['admin']}") as conn:
        assert conn.receive_json()["type"] == "hello"
        api.ctx.bus.publish(Event("call.started", "c9"))   # another thread, another loop
        assert conn.receive_json()["call_id"] == "c9"
    assert subscribers(api) == 1
