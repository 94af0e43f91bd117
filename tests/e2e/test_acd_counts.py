"""Fewest calls and least talk time, end to end: real baresip agents build up a history of
answered calls and talk time, then three callers show which agent each strategy picks.

The agents go ready in the order carol, bob, alice, so longest idle would pick carol
first; the history is chosen so that longest idle, fewest calls and least talk time all
give different orders.
"""

from __future__ import annotations

import os
import shutil
import time

import pytest

from .conftest import add_user, start_kefu, stop_kefu, wait_for

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("baresip") is None and not os.environ.get("CI"),
                                 reason="baresip not installed")]

AGENTS = {"alice": "1001", "bob": "1002", "carol": "1003"}
CALLERS = ["2001", "2002", "2003"]
QUEUES = """
[[queues]]
name = "fewest"
number = "8021"
strategy = "fewest_calls"
members = { alice = 1, bob = 1, carol = 1 }
wrap_up = 0

[[queues]]
name = "least"
number = "8022"
strategy = "least_talk"
members = { alice = 1, bob = 1, carol = 1 }
wrap_up = 0
"""


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    server = start_kefu(tmp_path_factory.mktemp("kefu-counts"), extra=QUEUES)
    for username, extension in AGENTS.items():
        add_user(server, username, "agent-password-1", extensions=[extension])
    for number in CALLERS:
        status, body = server.api("POST", "/extensions", {"number": number,
                                                          "password": f"pw-{number}-secret"})
        assert status == 201, body
    yield server
    log = stop_kefu(server)
    assert "Traceback" not in log, log


def _login(kefu, usernames: list[str], queue: str) -> None:
    """Log the agents in, ready, one after another (the first is the longest idle)."""
    for username in usernames:
        status, body = kefu.api("POST", f"/agents/{username}/login",
                                {"extension": AGENTS[username], "queues": [queue],
                                 "ready": True})
        assert status == 200, body
        time.sleep(0.3)


def _logout(kefu) -> None:
    for username in AGENTS:
        kefu.api("POST", f"/agents/{username}/logout")


def _talk(kefu, caller, number: str, seconds: float) -> None:
    caller.dial(kefu.uri(number))
    caller.wait_established()
    time.sleep(seconds)
    caller.hangup()
    caller.wait_closed()


def _round(kefu, callers, number: str, since: float) -> list[str]:
    """The three callers dial one after another; the agents in the order they answered."""
    for c in callers:
        c.dial(kefu.uri(number))
        c.wait_established()
        time.sleep(0.3)
    connects = wait_for(lambda: (lambda c: c if len(c) == 3 else None)(
        kefu.events(since, "queue.connect")), what="three connects")
    time.sleep(1.0)
    for c in callers:
        c.hangup()
        c.wait_closed()
    return [e[2]["agent"] for e in connects]


def test_fewest_calls_then_least_talk_time(kefu, phone):
    for username, number in AGENTS.items():
        phone(number, tone=1000, answermode="auto")
    callers = [phone(n, tone=440) for n in CALLERS]

    # history: carol answers two short calls, bob one long one, alice none
    _login(kefu, ["carol"], "fewest")
    _talk(kefu, callers[0], "8021", 1.0)
    _talk(kefu, callers[0], "8021", 1.0)
    _logout(kefu)
    _login(kefu, ["bob"], "fewest")
    _talk(kefu, callers[0], "8021", 4.0)
    _logout(kefu)
    counts = {u: kefu.api("GET", f"/agents/{u}")[1]["answered"] for u in AGENTS}
    assert counts == {"alice": 0, "bob": 1, "carol": 2}, counts

    # fewest calls: alice (0), bob (1), carol (2); longest idle would be carol, bob, alice
    since = time.time()
    _login(kefu, ["carol", "bob", "alice"], "fewest")
    assert _round(kefu, callers, "8021", since) == ["alice", "bob", "carol"]
    _logout(kefu)

    # least talk time: alice (~1.6 s) < carol (~2 + 1 s) < bob (~4 + 1.3 s); fewest calls
    # would now be alice, bob, carol, longest idle carol, bob, alice
    talk = {u: kefu.api("GET", f"/agents/{u}")[1]["talk_time"] for u in AGENTS}
    assert talk["alice"] < talk["carol"] < talk["bob"], talk
    since = time.time()
    _login(kefu, ["carol", "bob", "alice"], "least")
    assert _round(kefu, callers, "8022", since) == ["alice", "carol", "bob"]
    _logout(kefu)
