"""An ACD in process: the real :class:`~kefu.acd.service.Acd` over the fake switch
(tests/fake_switch.py) and a clock the test moves (tests/fake_clock.py).

A test plays the phones: ``desk.switch.answer("1001")`` is alice's phone picking up the
offer, ``desk.switch.refuse("1001", 486)`` a busy one, ``desk.clock.advance(15)`` lets a
ring timeout pass, ``desk.hang_up(call)`` is the caller giving up.  Every event the ACD
and the switch publish is kept in ``desk.events`` (and checked against kefu.events).
"""

from __future__ import annotations

from typing import Any, Callable

import pytest
from fake_clock import FakeClock
from fake_switch import FakeSwitch, incoming, run

from kefu.acd.agents import AgentState
from kefu.acd.service import Acd
from kefu.bus import Event, LocalBus
from kefu.calls.call import Call, Disposition
from kefu.config import AcdSettings, QueueConfig, Settings

AGENTS = {"alice": "1001", "bob": "1002", "carol": "1003", "dave": "1004"}


class Desk:
    """One ACD, its fake switch and clock, and what they published."""

    def __init__(self, queues: list[QueueConfig], tmp_path: Any = None, **acd: Any) -> None:
        self.settings = Settings(queues=queues, acd=AcdSettings(**acd),
                                 **({"data_dir": tmp_path} if tmp_path is not None else {}))
        self.clock = FakeClock()
        self.bus = LocalBus()
        self.events: list[Event] = []
        self.bus.subscribe(self.events.append)
        reachable = {ext: "free" for ext in AGENTS.values()} | {"1005": "free", "1006": "free"}
        reachable |= {q.number: f"queue:{q.name}" for q in queues}
        self.switch = FakeSwitch(reachable, bus=self.bus, clock=self.clock)
        self.acd = Acd(self.settings, self.switch, self.bus, clock=self.clock)
        self.switch.destinations["queue"] = self.acd.take
        run(self.acd.start())

    # --- agents ---------------------------------------------------------------------------
    def login(self, *usernames: str, ready: bool = True, **kw: Any) -> None:
        """Each logs in on its own extension, ready, one clock second after the other (so
        the first is the longest idle)."""
        for username in usernames:
            self.acd.login(username, AGENTS[username], ready=ready, **kw)
            self.clock.advance(1)

    def state(self, username: str) -> AgentState:
        return self.acd.agents[username].state

    # --- callers --------------------------------------------------------------------------
    def call(self, caller: str, queue: str = "sales", data: dict | None = None) -> Call:
        """``caller`` dials ``queue``'s number: the queue's handler takes the call."""
        number = next(q.number for q in self.settings.queues if q.name == queue)
        call = incoming(self.switch, caller, number, data)
        run(self.switch.destinations["queue"](call, self.switch.route(caller, number)))
        return call

    def press(self, call: Call, digit: str) -> None:
        """The caller presses a key (as the switch reports it: ``call.dtmf``)."""
        self.switch.publish(call, "call.dtmf", digit=digit, leg="caller", number=call.caller)

    def hang_up(self, call: Call, by: str = "caller") -> None:
        self.switch.hang_up(call, by)

    def answer(self, username: str) -> None:
        """``username``'s phone answers the offer ringing it."""
        self.switch.answer(AGENTS[username])

    def answer_all(self) -> None:
        """Every agent's phone ringing now answers (auto-answer), in the order rung."""
        ringing = [a for a in self.switch.ringing() if a.number in AGENTS.values()]
        for attempt in ringing:
            if not attempt.done:
                self.switch.answer(attempt.number)

    def agent_hangs_up(self, username: str) -> None:
        """The agent's phone ends its call with the caller."""
        call = self.switch.calls[self.acd.agents[username].call_id or ""]
        run(self.switch.end(call, Disposition.ANSWERED, "callee", 200))

    # --- what happened --------------------------------------------------------------------
    def of(self, type_: str, **match: Any) -> list[dict]:
        return [e.data for e in self.events if e.type == type_
                and all(e.data.get(k) == v for k, v in match.items())]

    def offered(self) -> list[list[str]]:
        """The agents of each ``queue.offer``, in order."""
        return [d["agents"] for d in self.of("queue.offer")]

    def connected(self, key: str = "agent") -> list[str]:
        return [d[key] for d in self.of("queue.connect")]


def queue(name: str = "sales", number: str = "8001", **kw: Any) -> QueueConfig:
    kw.setdefault("members", {"alice": 5, "bob": 5, "carol": 5})
    kw.setdefault("wrap_up", 0)
    return QueueConfig(name=name, number=number, **kw)


@pytest.fixture
def desk(tmp_path: Any) -> Callable[..., Desk]:
    """``desk(queue(...), ..., no_answer_limit=2)``: an ACD with those queues."""
    return lambda *queues, **acd: Desk(list(queues), tmp_path, **acd)
