"""The ACD's shared state and the small verbs every part of it uses.

:class:`AcdCore` holds what the parts of the ACD share: the queues, the agents, the calls
waiting and talking, the routing engine, the clock, the switch (through the calls
protocol) and the bus.  Each concept lives in its own module as a part of the one
:class:`~kefu.acd.service.Acd` (sessions, offers, queue rules, callbacks, the announcer,
views); a part asks another only through the methods declared at the end of
:class:`AcdCore`, so each module reads on its own and the imports point one way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from kefu.bus import Bus, Event
from kefu.config import ConfigError, QueueConfig, Settings
from kefu.acd.agents import Agent, AgentState
from kefu.acd.clock import Clock, LoopClock, Timer
from kefu.acd.figures import DayFigures
from kefu.acd.offer import AgentOffer, OfferState
from kefu.acd.routing import Offer, Router, RoutingError, Waiting
from kefu.calls.call import Call, CallState
from kefu.calls.errors import ControlError, Kind
from kefu.calls.protocol import Calls
from kefu.calls.room import Member

BUSY_CODES = frozenset({486, 600, 603})
PERMANENT_CODES = frozenset({403, 404, 410, 484, 485, 604})   # no callback retry: no such number
PAUSED = frozenset({AgentState.NOT_READY, AgentState.AWAY})


class AcdError(ControlError):
    """A request the ACD refuses, with its :class:`~kefu.calls.errors.Kind`."""


@dataclass(eq=False)
class Queued:
    """A call (or a callback request) in a queue, with what the ACD needs about it."""

    call: Call
    queue: str
    entered: float
    position: int = 0                 # on entry
    offers: dict[str, AgentOffer] = field(default_factory=dict)   # agent → its offer (ringing)
    callback: str = ""                # the number to call back (the caller hung up)
    attempts: int = 0                 # callbacks: tries so far to reach the customer
    connected: float = 0.0            # when an agent answered
    timers: list[Timer] = field(default_factory=list)
    announcer: Timer | None = None    # the next position announcement (or the one playing)
    entry: Waiting | None = None


class AcdCore:
    """The ACD's state; see the module's docstring."""

    def __init__(self, settings: Settings, switch: Calls, bus: Bus,
                 router: Router | None = None, clock: Clock | None = None) -> None:
        self.settings = settings
        self.switch = switch
        self.bus = bus
        self.clock: Clock = clock or LoopClock()
        self.router = router or Router(settings.acd.priority_seconds)
        self.queues: dict[str, QueueConfig] = {}
        # today's figures, folded from the events this ACD publishes (and, after a
        # restart, from today's logged ones: see restore)
        default_level = QueueConfig.model_fields["service_level"].default
        self.figures = DayFigures(lambda name: getattr(self.queues.get(name), "service_level",
                                                       default_level), self.clock,
                                  settings.reports.short_abandon)
        self.agents: dict[str, Agent] = {}
        self.waiting: dict[str, Queued] = {}       # call id (or callback id) → Queued
        self.talking: dict[str, Queued] = {}       # call id → Queued, once an agent answered
        self.last_agent: dict[str, str] = {}       # caller number → agent who served it
        self._moh: dict[str, Any] = {}
        self._outbound: dict[str, tuple[Agent, AgentState, str]] = {}   # click-to-call
        self._timers: dict[str, Timer] = {}   # agent → back-off / wrap-up / ring timeout
        self._grace: dict[str, Timer] = {}    # agent → its desk's time to come back
        self._due: tuple[Timer, float] | None = None   # when a preference runs out next
        for i, q in enumerate(settings.queues):
            try:
                self.router.add_queue(q.name, q.strategy, q.priority)
            except RoutingError as exc:
                raise ConfigError(f"queues[{i}].strategy: {exc}") from None
            self.queues[q.name] = q


    def _publish(self, type_: str, call_id: str | None = None, **data: Any) -> None:
        ts = self.clock()
        self.figures.apply(type_, data, ts)
        self.bus.publish(Event(type=type_, call_id=call_id, data=data, ts=ts))

    def _move(self, agent: Agent, state: AgentState, reason: str = "", by: str = "") -> None:
        """Change an agent's state and say so: ``agent.state`` always, ``agent.pause`` when
        it stops being available (not ready, away) and ``agent.unpause`` (with the time
        paused) when it comes back."""
        old_reason, since = agent.reason, agent.since
        old = agent.move(state, reason, self.clock())
        extra = {"by": by} if by else {}
        self._publish("agent.state", agent.call_id, agent=agent.username, state=state.value,
                      previous=old.value, reason=agent.reason, extension=agent.extension,
                      **extra)
        if state in PAUSED and old not in PAUSED:
            self._publish("agent.pause", agent=agent.username, state=state.value,
                          reason=agent.reason, **extra)
        elif old in PAUSED and state not in PAUSED:
            self._publish("agent.unpause", agent=agent.username, state=state.value,
                          reason=old_reason, paused=round(agent.since - since, 3), **extra)

    def agent(self, username: str) -> Agent:
        agent = self.agents.get(username)
        if agent is None:
            raise AcdError(f"no agent {username!r} (not a member of any queue)",
                           Kind.NOT_FOUND)
        return agent

    def agent_on(self, extension: str) -> Agent | None:
        return next((a for a in self.agents.values()
                     if a.logged_in and a.extension == extension), None)

    def _waiting_in(self, queue: str) -> list[Queued]:
        return [w for w in self.waiting.values() if w.queue == queue]

    def logged_in(self, queue: str) -> int:
        return sum(1 for a in self.agents.values() if a.logged_in and queue in a.queues)

    def _available(self, agent: Agent) -> None:
        """The agent is READY (and its desk is there): the engine may offer it a call."""
        if agent.state is AgentState.READY and not agent.absent:
            self._dispatch(self.router.set_ready(agent.username, self.clock()))

    def _schedule(self, username: str, delay: float, fn: Callable[..., None], *args: Any) -> None:
        self._cancel_timer(username)
        self._timers[username] = self.clock.call_later(max(delay, 0), fn, *args)

    def _cancel_timer(self, username: str) -> None:
        timer = self._timers.pop(username, None)
        if timer is not None:
            timer.cancel()

    def _still_waiting(self, queued: Queued) -> bool:
        if queued.callback:
            return self.waiting.get(queued.call.id) is queued
        return not queued.call.ended and queued.call.state is CallState.QUEUED

    def _leave_waiting(self, queued: Queued) -> None:
        self.waiting.pop(queued.call.id, None)
        self.router.withdraw(queued.call.id)
        for timer in queued.timers:
            timer.cancel()
        queued.timers.clear()
        if queued.announcer is not None:
            queued.announcer.cancel()
            queued.announcer = None

    def _end_offer(self, queued: Queued, username: str, state: OfferState) -> AgentOffer | None:
        """The offer of ``queued`` to ``username`` ends (if it is still ringing): it leaves
        the call's offers in its final state, which the offer checks is allowed."""
        offer = queued.offers.pop(username, None)
        if offer is not None:
            offer.end(state)
        return offer

    # --- what one part asks of another (each defined in its own module) ----------------------
    def _dispatch(self, offer: Offer | None) -> None:
        """Ring the agents the routing engine chose (offers.py)."""
        raise NotImplementedError

    def _offer_failed(self, queued: Queued, agent: Agent, code: int, reason: str) -> None:
        """An offer was not taken: the next agent, the no-answer pause (offers.py)."""
        raise NotImplementedError

    def _release_offers(self, queued: Queued) -> None:
        """Withdraw every offer of ``queued`` (offers.py)."""
        raise NotImplementedError

    def _overflow(self, queued: Queued, reason: str) -> None:
        """Send a waiting caller on to the queue's overflow (rules.py)."""
        raise NotImplementedError

    def _call_back(self, queued: Queued, agent: Agent, line: Member | None = None) -> None:
        """A callback's turn: ring the agent, then the customer (callbacks.py)."""
        raise NotImplementedError

    async def enqueue(self, call: Call, queue_name: str, priority: int = 0,
                      on_refused: Callable[[str], None] | None = None,
                      min_level: int = 0, entered: float | None = None) -> None:
        """A call reaches a queue (rules.py)."""
        raise NotImplementedError

    def _announce(self, queued: Queued) -> None:
        """Tell a waiting caller its position (announcer.py)."""
        raise NotImplementedError

