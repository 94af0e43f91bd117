"""The ACD: queues of callers, agents and their states, offers, wrap-up and callbacks.

The routing engine (:mod:`kefu.acd.routing`) decides who gets which call; the ACD
does what the decisions mean on the switch: answers callers into a queue (music,
announcements), rings agents' devices, connects the one who answers, follows every
agent through its state machine (:mod:`kefu.acd.agents`), and enforces queue rules
(maximum wait and length with overflow, leave and callback keys, join/leave when empty,
no-answer pause, back-off).  Every change is an ``agent.*`` or ``queue.*`` event on the
bus, beside the switch's ``call.*`` events; the event log stores them all.

It learns what happens to calls from the bus (``call.ended``, ``call.member_left``,
``call.dtmf``, ``call.hold``), the same events everyone else sees.

The parts, one concept a module: :mod:`~kefu.acd.sessions` (agents' log-in, states,
devices, wrap-up), :mod:`~kefu.acd.offers`, :mod:`~kefu.acd.rules` (joining, priorities,
maximum wait, overflow), :mod:`~kefu.acd.callbacks`, :mod:`~kefu.acd.announcer`,
:mod:`~kefu.acd.views`, over the shared state of :mod:`~kefu.acd.core`.  This module is
the facade the rest of kefu uses: wiring, restart, the bus and call-attached data.
"""

from __future__ import annotations

import json
from typing import Callable, Iterable, Sequence

from kefu.bus import Bus, Event
from kefu.config import Settings
from kefu.acd.agents import AgentState
from kefu.acd.clock import Clock
from kefu.acd.routing import Router
from kefu.acd.core import AcdCore, AcdError
from kefu.acd.announcer import Announcer
from kefu.acd.callbacks import Callbacks
from kefu.acd.offers import Offers
from kefu.acd.rules import QueueRules
from kefu.acd.sessions import Sessions
from kefu.acd.views import Views
from kefu.calls.call import Call, CallState
from kefu.calls.errors import Kind
from kefu.calls.protocol import Calls

__all__ = ["Acd", "AcdError"]

class Acd(Sessions, Offers, QueueRules, Callbacks, Announcer, Views, AcdCore):
    """The ACD: one object, its concepts in the parts it is made of."""

    def __init__(self, settings: Settings, switch: Calls, bus: Bus,
                 router: Router | None = None, clock: Clock | None = None) -> None:
        super().__init__(settings, switch, bus, router, clock)
        memberships: dict[str, dict[str, int]] = {}
        for q in settings.queues:
            for username, level in q.members.items():
                memberships.setdefault(username, {})[q.name] = level
        for username, skills in memberships.items():
            self._apply_skills(username, skills)
        for q in settings.queues:                 # member order as the config lists them
            self.router.set_order(q.name, q.members)
        bus.subscribe(self._on_call_event, prefix="call.")

    async def start(self) -> None:
        for q in self.queues.values():
            if q.moh_file:
                self._moh[q.name] = self.switch.music(q.moh_file)

    def restore(self, skills: Iterable[Event], today: Sequence[Event]) -> int:
        """At start, before any agent logs in: memberships changed through the API
        (``agent.skills`` events, every one ever logged, the last per agent wins), then
        today's figures from today's ``queue.*`` events; fewest-calls and least-talk
        routing continue from those counts; callbacks still owed today wait again.
        Returns how many events were replayed."""
        n = 0
        for event in skills:
            known = {q: int(level) for q, level in event.data.get("skills", {}).items()
                     if q in self.queues}
            if username := event.data.get("agent"):
                self._apply_skills(username, known)
                n += 1
        n += self.figures.replay(today)
        for username, f in self.figures.agents.items():
            if username in self.agents:
                self.router.restore(username, f.answered, f.talk_time)
        self._restore_callbacks(today)
        return n

    def _on_call_event(self, event: Event) -> None:
        handler = self._handlers.get(event.type)
        if handler is not None and event.call_id is not None:
            handler(self, event)

    def _call_ended(self, event: Event) -> None:
        for agent in self.agents.values():
            if agent.session is not None and agent.session.id == event.call_id:
                agent.session = agent.line = None     # the phone hung up its line
                self._publish("agent.line", event.call_id, agent=agent.username,
                              state="closed")
                if agent.logged_in:
                    self.logout(agent.username, by="acd", reason="line_closed")
        self._outbound_over(event.call_id)  # type: ignore[arg-type]
        queued = self.waiting.get(event.call_id)  # type: ignore[arg-type]
        if queued is not None and not queued.callback:
            self._release_offers(queued)
            position = self.router.position(queued.call.id)
            self._leave_waiting(queued)
            self._publish("queue.abandon", queued.call.id, queue=queued.queue,
                          caller=queued.call.caller, position=position,
                          entry_position=queued.position,
                          wait=round(self.clock() - queued.entered, 3))
        talking = self.talking.pop(event.call_id, None)  # type: ignore[arg-type]
        if talking is not None:
            for agent in self.agents.values():
                if agent.call_id == event.call_id and agent.state in (
                        AgentState.TALKING, AgentState.ON_HOLD):
                    by = "agent" if event.data.get("hangup_by") == "callee" else \
                        event.data.get("hangup_by", "")
                    if talking.callback:
                        by = "caller" if event.data.get("hangup_by") == "callee" else "agent"
                    self._after_call(agent, talking, by)

    def _member_left(self, event: Event) -> None:
        agent = self.agent_on(str(event.data.get("number", "")))
        if agent is None or agent.call_id != event.call_id or agent.state not in (
                AgentState.TALKING, AgentState.ON_HOLD):
            return
        talking = self.talking.get(event.call_id)  # type: ignore[arg-type]
        call = self.switch.calls.get(event.call_id)  # type: ignore[arg-type]
        if call is None or call.ended:
            return
        hosted = call.state is CallState.HOSTED   # its caller is in a self-service flow
        surveyed = not hosted and not call.goes_on() and call.hands_on()
        if not call.goes_on() and not hosted and not surveyed:
            return                   # the call ends too: call.ended finishes the agent
        if talking is not None:      # the agent transferred the caller, left a conference,
            #                          left it in a flow, or hung up into the survey
            self._after_call(agent, talking,
                             "ivr" if hosted else "agent" if surveyed else "transfer")
        elif event.call_id in self._outbound:   # it handed on a call it placed itself
            self._outbound_over(event.call_id)  # type: ignore[arg-type]

    def _dtmf(self, event: Event) -> None:
        queued = self.waiting.get(event.call_id)  # type: ignore[arg-type]
        if queued is None or queued.callback or event.data.get("leg") != "caller":
            return
        q = self.queues[queued.queue]
        digit = event.data.get("digit")
        if q.leave_key and digit == q.leave_key:
            self._overflow(queued, "leave_key")
        elif q.callback_key and digit == q.callback_key:
            self._release_offers(queued)
            self._callback(queued)

    def _hold(self, event: Event) -> None:
        agent = self.agent_on(str(event.data.get("number", "")))
        if agent is None or agent.call_id != event.call_id:
            return
        if event.type == "call.hold" and agent.state is AgentState.TALKING:
            self._move(agent, AgentState.ON_HOLD)
        elif event.type == "call.resume" and agent.state is AgentState.ON_HOLD:
            self._move(agent, AgentState.TALKING)

    _handlers: dict[str, Callable[["Acd", Event], None]] = {
        "call.ended": _call_ended,
        "call.member_left": _member_left,
        "call.dtmf": _dtmf,
        "call.hold": _hold,
        "call.resume": _hold,
    }

    def check_data(self, data: dict) -> int:
        """The JSON size of ``data``; TOO_LARGE over ``acd.max_data_bytes``."""
        size = len(json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())
        limit = self.settings.acd.max_data_bytes
        if size > limit:
            raise AcdError(f"call-attached data would be {size} bytes; the limit is {limit}",
                           Kind.TOO_LARGE)
        return size

    def set_data(self, call: Call, data: dict, merge: bool = True) -> dict:
        """Attach ``data`` to a live call (merged into what is there, or replacing it)."""
        new = {**call.data, **data} if merge else dict(data)
        size = self.check_data(new)
        call.data = new
        self.bus.publish(Event(type="call.data", call_id=call.id,
                               data={"bytes": size, "keys": sorted(new)}, ts=self.clock()))
        queued = self.waiting.get(call.id)
        if queued is not None and queued.entry is not None and not queued.offers:
            self._reprioritise(queued)
        return new

    def resolve_target(self, target: str | None, agent: str | None = None,
                       queue: str | None = None) -> str | None:
        """A transfer target as a number: an agent's device or a queue's number."""
        if agent:
            a = self.agent(agent)
            if not a.logged_in:
                raise AcdError(f"agent {agent} is not logged in")
            return a.extension
        if queue:
            if queue not in self.queues:
                raise AcdError(f"no queue {queue!r}", Kind.NOT_FOUND)
            return self.queues[queue].number
        return target
