"""The ACD: queues of callers, agents and their states, offers, wrap-up and callbacks.

The routing engine (:mod:`kefu.acd.routing`) decides who gets which call; this module
does what the decisions mean on the switch: answers callers into a queue (music,
announcements), rings agents' devices, connects the one who answers, follows every
agent through its state machine (:mod:`kefu.acd.agents`), and enforces queue rules
(maximum wait and length with overflow, leave and callback keys, join/leave when empty,
no-answer pause, back-off).  Every change is an ``agent.*`` or ``queue.*`` event on the
bus, beside the switch's ``call.*`` events; the event log stores them all.

It learns what happens to calls from the bus (``call.ended``, ``call.member_left``,
``call.dtmf``, ``call.hold``), the same events everyone else sees.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from kefu.bus import Bus, Event
from kefu.events import visible
from kefu.config import ConfigError, QueueConfig, Settings
from kefu.acd.agents import IDLE, Agent, AgentState
from kefu.acd.clock import Clock, LoopClock, Timer
from kefu.calls.call import Call, CallState, Disposition
from kefu.calls.errors import ControlError, Kind, Refused
from kefu.acd.figures import DayFigures
from kefu.calls.room import Member
from kefu.acd.routing import Offer, Router, RoutingError, Waiting
from kefu.calls.protocol import Calls

if TYPE_CHECKING:
    from kefu.calls.attempt import Attempt, Fork
    from kefu.calls.dialplan import Route
    from kefu.media import Negotiated

log = logging.getLogger(__name__)

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
    offers: dict[str, "Attempt | None"] = field(default_factory=dict)   # agent → attempt
    callback: str = ""                # the number to call back (the caller hung up)
    attempts: int = 0                 # callbacks: tries so far to reach the customer
    connected: float = 0.0            # when an agent answered
    timers: list[Timer] = field(default_factory=list)
    announcer: Timer | None = None    # the next position announcement (or the one playing)
    entry: Waiting | None = None


class Acd:
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
        self.figures = DayFigures(lambda name: getattr(self.queues.get(name), "service_level",
                                                       QueueConfig.service_level), self.clock)
        self.agents: dict[str, Agent] = {}
        self.waiting: dict[str, Queued] = {}       # call id (or callback id) → Queued
        self.talking: dict[str, Queued] = {}       # call id → Queued, once an agent answered
        self.last_agent: dict[str, str] = {}       # caller number → agent who served it
        self._moh: dict[str, Any] = {}
        self._outbound: dict[str, tuple[Agent, AgentState, str]] = {}   # click-to-call
        self._timers: dict[str, Timer] = {}   # agent → back-off / wrap-up / ring timeout
        self._due: tuple[Timer, float] | None = None   # when a preference runs out next
        for i, q in enumerate(settings.queues):
            try:
                self.router.add_queue(q.name, q.strategy, q.priority)
            except RoutingError as exc:
                raise ConfigError(f"queues[{i}].strategy: {exc}") from None
            self.queues[q.name] = q
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

    # --- events -------------------------------------------------------------------------------
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

    def _restore_callbacks(self, today: Sequence[Event]) -> None:
        """Callbacks asked for today and not yet done wait again, in their old places.

        Per original call: ``queue.callback`` (or ``queue.callback_retry``) last means it
        still waits; ``queue.callback_connect`` last means the agent was calling the
        customer (done, or cut off by the restart: not called twice); ``callback_failed``
        means given up.
        """
        entered: dict[str, Event] = {}
        last: dict[str, Event] = {}
        for event in today:
            if event.type == "queue.entered" and event.call_id:
                entered[event.call_id] = event
            elif event.type == "queue.callback" and event.call_id:
                last[event.call_id] = event
            elif event.type in ("queue.callback_connect", "queue.callback_retry",
                                "queue.callback_failed"):
                if original := event.data.get("original_call"):
                    last[original] = event
        now = self.clock()
        for call_id, event in last.items():
            queue = event.data.get("queue")
            if event.type not in ("queue.callback", "queue.callback_retry") or \
                    queue not in self.queues or call_id in self.waiting:
                continue
            first = entered.get(call_id)
            since = first.ts if first is not None else event.ts
            priority = int(first.data.get("priority") or 0) if first is not None else 0
            call = Call(caller=event.data["number"], callee=self.queues[queue].number,
                        id=call_id)
            queued = Queued(call, queue, since, callback=event.data["number"],
                            attempts=int(event.data.get("attempt") or 0))
            queued.entry = Waiting(call_id, queue, since, priority, data=queued,
                                   base_priority=priority)
            self.waiting[call_id] = queued
            self._dispatch(self.router.enqueue(queued.entry, now))
            log.info("acd: the callback to %s (queue %s) waits again after a restart",
                     queued.callback, queue)

    def set_skills(self, username: str, skills: dict[str, int], by: str = "") -> Agent:
        """A supervisor changes an agent's queues and skill levels while kefu runs.

        It takes effect at once: a logged-in agent joins new queues (and may be offered a
        call waiting there) and leaves dropped ones.  It is logged as ``agent.skills``,
        which a restart replays (:meth:`restore`): from then on it overrides the config
        file's ``members`` for this agent.
        """
        if unknown := sorted(set(skills) - set(self.queues)):
            raise AcdError(f"no queue {', '.join(map(repr, unknown))}", Kind.INVALID)
        if bad := [q for q, level in skills.items() if not 0 <= level <= 100]:
            raise AcdError(f"skill level must be 0-100 ({', '.join(bad)})", Kind.INVALID)
        agent = self._apply_skills(username, skills)
        self._publish("agent.skills", None, agent=username, skills=dict(skills),
                      **({"by": by} if by else {}))
        return agent

    def _apply_skills(self, username: str, skills: dict[str, int]) -> Agent:
        agent = self.agents.get(username)
        if agent is None:
            agent = self.agents[username] = Agent(username, dict(skills))
        offer = self.router.set_skills(username, skills, join=agent.logged_in)
        agent.skills = dict(skills)
        if agent.logged_in:
            agent.queues = sorted(self.router.agents[username].queues)
        for name, q in self.queues.items():      # the queues' member lists say the same
            if name in skills:
                q.members[username] = skills[name]
            else:
                q.members.pop(username, None)
        self._dispatch(offer)
        return agent

    def _publish(self, type_: str, call_id: str | None = None, **data: Any) -> None:
        ts = self.clock()
        self.figures.apply(type_, data, ts)
        self.bus.publish(Event(type=type_, call_id=call_id, data=data, ts=ts))

    def describe(self, agent: Agent) -> dict[str, Any]:
        """The agent's state and today's figures (what ``/agents`` shows)."""
        figures = self.figures.agent(agent.username)
        return {**agent.describe(self.clock()), "answered": figures.answered,
                "talk_time": round(figures.talk_time, 3)}

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

    # --- agents: API ------------------------------------------------------------------------------
    def agent(self, username: str) -> Agent:
        agent = self.agents.get(username)
        if agent is None:
            raise AcdError(f"no agent {username!r} (not a member of any queue)",
                           Kind.NOT_FOUND)
        return agent

    def login(self, username: str, extension: str, queues: list[str] | None = None,
              ready: bool = False, by: str = "", persistent: bool = False,
              device: str = "phone", auto_answer: bool = False) -> Agent:
        """Log an agent in on ``extension`` (its device), to ``queues`` (None: all).

        ``persistent``: kefu calls the phone now and keeps that line open (常连接); offers
        then do not ring, the agent answers (or rejects) through the API and is connected
        at once.  The agent becomes ready once the line is up.

        ``device="webrtc"``: the agent's browser is its phone; the line comes up when the
        desktop posts its WebRTC offer (``/api/v1/lines``, :meth:`attach_line`).

        ``auto_answer``: offers ring the phone with ``Call-Info: …;answer-after=0`` and
        ``Alert-Info: …;info=alert-autoanswer``, which desk phones that support them
        answer by themselves (the agent works from the desktop, hands free)."""
        if device not in ("phone", "webrtc"):
            raise AcdError(f"unknown device {device!r} (phone or webrtc)", Kind.INVALID)
        agent = self.agent(username)
        if agent.logged_in:
            raise AcdError(f"agent {username} is already logged in on {agent.extension}")
        other = self.agent_on(extension)
        if other is not None:
            raise AcdError(f"extension {extension} is in use by agent {other.username}")
        if not self.switch.is_extension(extension):
            raise AcdError(f"no extension {extension}", Kind.INVALID)
        try:
            self.router.login(username, queues)
        except RoutingError as exc:
            raise AcdError(str(exc), Kind.INVALID) from None
        agent.extension = extension
        agent.queues = sorted(self.router.agents[username].queues)
        agent.no_answers = 0
        self._publish("agent.login", agent=username, extension=extension, queues=agent.queues,
                      **({"by": by} if by else {}))
        agent.device, agent.want_ready, agent.auto_answer = device, ready, auto_answer
        if device == "webrtc":
            self._move(agent, AgentState.NOT_READY, "connecting")
            line = self.switch.idle_line(extension)
            if line is not None:                     # the browser's line is already up
                self.attach_line(extension, line.home, line)
            return agent
        if persistent:
            self._open_line(agent, ready)
            return agent
        self._move(agent, AgentState.NOT_READY, "login")
        if ready:
            self.set_state(username, AgentState.READY)
        return agent

    def _open_line(self, agent: Agent, ready: bool) -> None:
        def opened(session: Call, member: Member) -> None:
            if agent.session is session:
                self._line_opened(agent, member, ready)

        def failed(code: int, reason: str) -> None:
            if agent.session is None or not agent.logged_in:
                return
            agent.session = None
            self._publish("agent.line", agent=agent.username, state="failed", code=code,
                          reason=reason)
            self.logout(agent.username, by="acd")

        self._move(agent, AgentState.NOT_READY, "connecting")
        try:
            agent.session = self.switch.open_session(agent.extension, opened, failed)
        except Refused as exc:
            self.router.logout(agent.username)
            self._move(agent, AgentState.LOGGED_OUT, by="acd")
            agent.extension, agent.queues = "", []
            raise AcdError(f"cannot open a line to the phone: {exc}", Kind.CONFLICT) from None

    def _line_opened(self, agent: Agent, member: Member, ready: bool) -> None:
        agent.line = member
        self._publish("agent.line", member.home.id, agent=agent.username, state="open",
                      extension=agent.extension, device=agent.device)
        if ready and agent.state is AgentState.NOT_READY:
            self.set_state(agent.username, AgentState.READY)

    def attach_line(self, extension: str, session: Call, member: Member) -> None:
        """A browser's WebRTC line came up on ``extension``: if an agent logged in there
        with ``device="webrtc"`` waits for it, it becomes that agent's line."""
        agent = self.agent_on(extension)
        if agent is None or agent.device != "webrtc" or agent.line is not None:
            return
        agent.session = session
        self._line_opened(agent, member, agent.want_ready)

    def logout(self, username: str, by: str = "") -> None:
        agent = self.agent(username)
        if not agent.logged_in:
            raise AcdError(f"agent {username} is not logged in")
        self._cancel_timer(username)
        offered = self.waiting.get(agent.call_id or "") \
            if agent.state is AgentState.RESERVED else None
        session, agent.session, agent.line = agent.session, None, None
        if session is not None and not session.ended:
            self.switch.spawn(self.switch.end(session, Disposition.ANSWERED, "system", 200))
        released = self.router.logout(username)
        self._move(agent, AgentState.LOGGED_OUT, by=by)
        if offered is not None and username in offered.offers:   # stop ringing it
            attempt = offered.offers.pop(username)
            if attempt is not None:
                self.switch.cancel(attempt)
            if not offered.offers and offered.entry is not None and \
                    self._still_waiting(offered):
                released.append(offered.entry)
        self._publish("agent.logout", agent=username, extension=agent.extension,
                      **({"by": by} if by else {}))
        agent.extension, agent.queues = "", []
        for entry in released:
            self._dispatch(self.router.requeue(entry, self.clock()))
        for q in self.queues.values():
            if q.leave_empty and not self.logged_in(q.name):
                for queued in self._waiting_in(q.name):
                    self._overflow(queued, "empty")

    def set_state(self, username: str, state: AgentState, reason: str = "", by: str = "") -> Agent:
        """READY, NOT_READY (with a configured reason) or AWAY, while not in a call."""
        agent = self.agent(username)
        if not agent.logged_in:
            raise AcdError(f"agent {username} is not logged in")
        if state not in IDLE:
            raise AcdError(f"an agent cannot choose {state.value}", Kind.INVALID)
        if agent.state not in IDLE and agent.state is not AgentState.WRAP_UP:
            raise AcdError(f"agent {username} is {agent.state.value}; finish the call first")
        if state is AgentState.NOT_READY:
            if reason not in self.settings.acd.pause_reasons and reason != "no_answer":
                raise AcdError(f"unknown not-ready reason {reason!r} (reasons: "
                               f"{', '.join(self.settings.acd.pause_reasons)})",
                               Kind.INVALID)
        self._cancel_timer(username)
        if agent.state is AgentState.WRAP_UP:
            self._publish("agent.wrap_up_end", agent.call_id, agent=username,
                          **({"by": by} if by else {}))
            agent.call_id = agent.queue = None
        was_ready = agent.state is AgentState.READY
        if state is AgentState.READY:
            agent.no_answers = 0
        self._move(agent, state, reason, by)
        if state is AgentState.READY and not was_ready:
            self._available(agent)
        elif state is not AgentState.READY:
            self.router.set_busy(username)
        return agent

    def end_wrap_up(self, username: str, by: str = "") -> Agent:
        agent = self.agent(username)
        if agent.state is not AgentState.WRAP_UP:
            raise AcdError(f"agent {username} is not in wrap-up")
        return self.set_state(username, AgentState.READY, by=by)

    def extend_wrap_up(self, username: str, seconds: float) -> Agent:
        agent = self.agent(username)
        if agent.state is not AgentState.WRAP_UP:
            raise AcdError(f"agent {username} is not in wrap-up")
        agent.wrap_up_until = max(agent.wrap_up_until, self.clock()) + seconds
        self._schedule(username, agent.wrap_up_until - self.clock(), self._wrap_up_over, agent)
        self._publish("agent.wrap_up_extended", agent.call_id, agent=username,
                      until=agent.wrap_up_until)
        return agent

    def answer(self, username: str) -> Agent:
        """The agent takes the call offered to it, on its persistent line."""
        agent, queued = self._offered(username)
        if agent.line is None:
            raise AcdError(f"agent {username} has no persistent line: answer on the phone")
        self._cancel_timer(username)
        if queued.callback:
            self._call_back(queued, agent, agent.line)
        else:
            queued.offers.pop(username, None)
            self._connect(queued, agent, agent.line)
        return agent

    def reject(self, username: str) -> Agent:
        """The agent declines the offer: the call goes to the next agent, the agent backs
        off (``acd.busy_backoff``) and counts a refusal toward the no-answer pause."""
        agent, queued = self._offered(username)
        attempt = queued.offers.get(username)
        if attempt is not None:
            self.switch.cancel(attempt)
        self._offer_failed(queued, agent, 603, "Declined")
        return agent

    def _offered(self, username: str) -> tuple[Agent, Queued]:
        agent = self.agent(username)
        queued = self.waiting.get(agent.call_id or "") if agent.state is AgentState.RESERVED \
            else None
        if queued is None or username not in queued.offers:
            raise AcdError(f"agent {username} has no call offered")
        return agent, queued

    def outbound(self, extension: str, call: Call) -> None:
        """An agent placed a call itself (click-to-call): busy for the queues until it
        ends, then back in the state it left."""
        agent = self.agent_on(extension)
        if agent is None or agent.state not in IDLE:
            return
        self._outbound[call.id] = (agent, agent.state, agent.reason)
        agent.call_id = call.id
        self.router.set_busy(agent.username)
        self._move(agent, AgentState.TALKING)

    def agent_on(self, extension: str) -> Agent | None:
        return next((a for a in self.agents.values()
                     if a.logged_in and a.extension == extension), None)

    def _waiting_in(self, queue: str) -> list[Queued]:
        return [w for w in self.waiting.values() if w.queue == queue]

    def logged_in(self, queue: str) -> int:
        return sum(1 for a in self.agents.values() if a.logged_in and queue in a.queues)

    # --- agents: internals ------------------------------------------------------------------------
    def _available(self, agent: Agent) -> None:
        """The agent is READY: the engine may offer it a call."""
        if agent.state is AgentState.READY:
            self._dispatch(self.router.set_ready(agent.username, self.clock()))

    def _schedule(self, username: str, delay: float, fn: Callable[..., None], *args: Any) -> None:
        self._cancel_timer(username)
        self._timers[username] = self.clock.call_later(max(delay, 0), fn, *args)

    def _cancel_timer(self, username: str) -> None:
        timer = self._timers.pop(username, None)
        if timer is not None:
            timer.cancel()

    def _wrap_up_over(self, agent: Agent) -> None:
        self._timers.pop(agent.username, None)
        if agent.state is AgentState.WRAP_UP:
            self.set_state(agent.username, AgentState.READY, by="timer")

    def _back_off_over(self, agent: Agent) -> None:
        self._timers.pop(agent.username, None)
        self._available(agent)

    # --- calls into queues --------------------------------------------------------------------------
    async def take(self, call: Call, route: "Route") -> None:
        """The switch's destination for ``queue`` routes (dialled, a DID, a transfer)."""
        await self.enqueue(call, route.queue)

    async def enqueue(self, call: Call, queue_name: str, priority: int = 0) -> None:
        """A call reaches a queue (dialled, a DID, an overflow or a transfer)."""
        q = self.queues[queue_name]
        waiting = len(self._waiting_in(queue_name))
        full = q.max_length and waiting >= q.max_length
        empty = not q.join_empty and not self.logged_in(queue_name)
        if (full or empty) and not q.overflow:
            self._publish("queue.refused", call.id, queue=queue_name,
                          reason="full" if full else "empty", caller=call.caller)
            if call.state is CallState.ROUTING:
                return await self.switch.fail(call, 486 if full else 480,
                                              "Busy Here (queue full)" if full else
                                              "Temporarily Unavailable (no agents)",
                                              Disposition.BUSY if full else
                                              Disposition.UNAVAILABLE)
            return await self.switch.end(call, Disposition.BUSY, "system", 486)
        if call.state is CallState.ROUTING:
            await self.switch.answer_hosted(call, CallState.QUEUED)
            if call.ended:
                return
            self.switch.join(call, Member(call.caller, "caller", call.a, call.a_rtp), quiet=True)
        elif call.state is CallState.CONNECTED:       # transferred to the queue
            call.transition(CallState.QUEUED)
            call.agent = None
        call.queue = queue_name
        call.room.moh = self._moh.get(queue_name)
        call.room.waiting = True
        self.switch.remix(call)
        if full or empty:
            self._publish("queue.overflow", call.id, queue=queue_name,
                          reason="full" if full else "empty", wait=0.0, position=waiting + 1)
            return self._send_on(call, q.overflow)
        now = self.clock()
        queued = Queued(call, queue_name, now)
        self.waiting[call.id] = queued
        entry = Waiting(call.id, queue_name, now, priority + self._tier_priority(call, q),
                        data=queued, base_priority=priority)
        if q.strategy == "customer" or q.prefer_timeout:
            preferred = call.data.get("owner") or self.last_agent.get(call.caller)
            if preferred in self.agents:
                entry.preferred, entry.prefer_until = preferred, now + q.prefer_timeout
        queued.entry = entry
        offer = self.router.enqueue(entry, now)
        queued.position = 1 if offer else self.router.position(call.id)
        self._publish("queue.entered", call.id, queue=queue_name, caller=call.caller,
                      position=queued.position, priority=entry.priority,
                      preferred=entry.preferred)
        if q.max_wait:
            queued.timers.append(self.clock.call_later(
                q.max_wait, self._max_wait, queued))
        if q.announce_interval:
            queued.announcer = self.clock.call_later(q.announce_interval, self._announce, queued)
        self._watch_due()
        self._dispatch(offer)

    def _tier_priority(self, call: Call, q: QueueConfig) -> int:
        tier = call.data.get("tier")
        return q.tiers.get(tier, 0) if isinstance(tier, str) else 0

    def _watch_due(self) -> None:
        """Wake up when a call's wait for its preferred agent is over."""
        due = self.router.next_due()
        if due is None or (self._due is not None and self._due[1] <= due):
            return
        if self._due is not None:
            self._due[0].cancel()
        self._due = self.clock.call_later(max(due - self.clock(), 0), self._run_due), due

    def _run_due(self) -> None:
        self._due = None
        for offer in self.router.due(self.clock()):
            self._dispatch(offer)
        self._watch_due()

    # --- offers -----------------------------------------------------------------------------------
    def _dispatch(self, offer: Offer | None) -> None:
        if offer is None:
            return
        queued: Queued = offer.entry.data
        for slot in offer.agents:
            agent = self.agents[slot.id]
            agent.call_id, agent.queue = queued.call.id, queued.queue
            self._move(agent, AgentState.RESERVED)
            queued.offers[agent.username] = None
        self._publish("queue.offer", queued.call.id, queue=queued.queue,
                      agents=[a.id for a in offer.agents], caller=queued.call.caller,
                      wait=round(self.clock() - queued.entered, 3),
                      callback=queued.callback or None, attached=queued.call.data)
        for slot in offer.agents:
            self._ring(queued, self.agents[slot.id])

    def _ring(self, queued: Queued, agent: Agent) -> None:
        if agent.line is not None:       # nothing rings: the desktop shows the offer
            q = self.queues[queued.queue]
            self._schedule(agent.username, q.ring_timeout, self._offer_failed, queued, agent,
                           408, "No Answer")
            return
        if queued.callback:
            return self._call_back(queued, agent)
        call, q = queued.call, self.queues[queued.queue]
        try:
            number, stages, _ = self.switch.destination(call.caller, agent.extension,
                                                        exclude=call)
        except Refused as exc:
            return self._offer_failed(queued, agent, exc.code, exc.reason)
        queued.offers[agent.username] = self.switch.reach(
            call, number, stages, q.ring_timeout, call.caller,
            on_answer=lambda c, attempt, fork, answer: self._agent_answered(
                queued, agent, fork, answer),
            on_fail=lambda c, attempt, code, reason: self._offer_failed(
                queued, agent, code, reason),
            headers=self._auto_answer_headers() if agent.auto_answer else ())

    def _auto_answer_headers(self) -> tuple[tuple[str, str], ...]:
        """The two ways desk phones are told to pick up by themselves (BroadSoft/Polycom
        ``answer-after`` and Cisco/Yealink ``alert-autoanswer``)."""
        host = self.settings.sip.host
        return (("Call-Info", f"<sip:{host}>;answer-after=0"),
                ("Alert-Info", f"<http://{host}/>;info=alert-autoanswer"))

    def _agent_answered(self, queued: Queued, agent: Agent, fork: "Fork",
                        answer: "Negotiated") -> None:
        """The agent's phone answered the offer."""
        call = queued.call
        queued.offers.pop(agent.username, None)
        if call.ended or call.state is not CallState.QUEUED:
            self.switch.drop_fork(fork)
            self._release(agent)
            return
        self._connect(queued, agent, Member(agent.extension, "agent", fork.sip, fork.rtp))

    def _connect(self, queued: Queued, agent: Agent, member: Member) -> None:
        """Put the agent's member (a new leg, or its persistent line) into the call."""
        call = queued.call
        self._release_offers(queued)
        self._leave_waiting(queued)
        now = self.clock()
        call.transition(CallState.CONNECTED)
        call.agent = agent.username
        call.room.waiting = False
        self.switch.detach_from_home(member)
        member.role = "agent"
        self.switch.join(call, member, quiet=True)
        self.switch.start_recording(call)
        self.talking[call.id] = queued
        agent.no_answers = 0
        self.router.answered(agent.username)
        self.last_agent[call.caller] = agent.username
        self._move(agent, AgentState.TALKING)
        wait = now - queued.entered
        queued.connected = now
        self._publish("queue.connect", call.id, queue=queued.queue, agent=agent.username,
                      extension=agent.extension, caller=call.caller, wait=round(wait, 3),
                      position=queued.position)

    def _offer_failed(self, queued: Queued, agent: Agent, code: int, reason: str) -> None:
        if agent.username not in queued.offers:
            return
        del queued.offers[agent.username]
        if agent.line is not None:
            self._cancel_timer(agent.username)
        if agent.state is not AgentState.RESERVED:
            return
        self._publish("queue.ring_no_answer", queued.call.id, queue=queued.queue,
                      agent=agent.username, code=code, reason=reason)
        agent.no_answers += 1
        agent.call_id = agent.queue = None
        if agent.no_answers >= self.settings.acd.no_answer_limit:
            self._move(agent, AgentState.NOT_READY, "no_answer", by="acd")
        else:
            self._move(agent, AgentState.READY)
            q = self.queues[queued.queue]
            delay = self.settings.acd.busy_backoff if code in BUSY_CODES else q.retry
            self._schedule(agent.username, delay, self._back_off_over, agent)
        if queued.offers or queued.entry is None or not self._still_waiting(queued):
            return
        q = self.queues[queued.queue]
        if q.max_wait and not queued.callback and self.clock() - queued.entered >= q.max_wait:
            self._overflow(queued, "max_wait")
        else:
            self._dispatch(self.router.requeue(queued.entry, self.clock()))

    def _still_waiting(self, queued: Queued) -> bool:
        if queued.callback:
            return self.waiting.get(queued.call.id) is queued
        return not queued.call.ended and queued.call.state is CallState.QUEUED

    def _release(self, agent: Agent) -> None:
        """An offer to ``agent`` ended without a call and without the agent's fault."""
        if agent.state is AgentState.RESERVED:
            agent.call_id = agent.queue = None
            self._move(agent, AgentState.READY)
            self._available(agent)

    def _release_offers(self, queued: Queued) -> None:
        """Stop ringing the other agents (ring-all, or the caller left)."""
        for username, attempt in list(queued.offers.items()):
            if attempt is not None:
                self.switch.cancel(attempt)
            elif self.agents[username].line is not None:
                self._cancel_timer(username)
            queued.offers.pop(username, None)
            agent = self.agents[username]
            if agent.call_id == queued.call.id:
                self._release(agent)

    def _leave_waiting(self, queued: Queued) -> None:
        self.waiting.pop(queued.call.id, None)
        self.router.withdraw(queued.call.id)
        for timer in queued.timers:
            timer.cancel()
        queued.timers.clear()
        if queued.announcer is not None:
            queued.announcer.cancel()
            queued.announcer = None

    # --- queue rules ---------------------------------------------------------------------------
    def _max_wait(self, queued: Queued) -> None:
        if self.waiting.get(queued.call.id) is queued and not queued.offers:
            self._overflow(queued, "max_wait")
        elif self.waiting.get(queued.call.id) is queued:    # ringing an agent: let it ring
            queued.timers.append(self.clock.call_later(
                1.0, self._max_wait, queued))

    def _overflow(self, queued: Queued, reason: str) -> None:
        q = self.queues[queued.queue]
        self._release_offers(queued)
        position = self.router.position(queued.call.id)
        self._leave_waiting(queued)
        self._publish("queue.overflow", queued.call.id, queue=queued.queue, reason=reason,
                      wait=round(self.clock() - queued.entered, 3), position=position,
                      destination=q.overflow or None)
        if queued.callback:
            return
        self._send_on(queued.call, q.overflow)

    def _send_on(self, call: Call, number: str) -> None:
        """An answered call leaves its queue for ``number`` (another queue, an extension…)."""
        if not number:
            self.switch.spawn(self.switch.end(call, Disposition.BUSY, "system", 486))
            return
        route = self.switch.route(call.caller, number)
        if route.kind == "queue":
            self.switch.spawn(self.enqueue(call, route.queue))
            return
        try:
            dest, stages, timeout = self.switch.destination(call.caller, number, exclude=call,
                                                            route=route)
        except Refused as exc:
            log.info("call %s: overflow to %s refused: %s", call.id, number, exc)
            self.switch.spawn(self.switch.end(call, Disposition.FAILED, "system", exc.code))
            return

        def answered(c: Call, attempt: "Attempt", fork: "Fork", answer: "Negotiated") -> None:
            if c.ended or c.state is not CallState.QUEUED:
                self.switch.drop_fork(fork)
                return
            c.transition(CallState.CONNECTED)
            c.room.waiting = False
            self.switch.join(c, Member(attempt.number, "callee", fork.sip, fork.rtp))
            self.switch.start_recording(c)

        def failed(c: Call, attempt: "Attempt", code: int, reason: str) -> None:
            self.switch.spawn(self.switch.end(c, Disposition.FAILED, "callee", code))

        call.queue = None
        self.switch.reach(call, dest, stages, timeout, call.caller, answered, failed)

    def _callback(self, queued: Queued) -> None:
        """The caller pressed the callback key: hang up, keep the place, call back later."""
        call = queued.call
        queued.callback = call.caller
        if queued.announcer is not None:
            queued.announcer.cancel()
            queued.announcer = None
        for timer in queued.timers:
            timer.cancel()
        queued.timers.clear()
        self._publish("queue.callback", call.id, queue=queued.queue, number=call.caller,
                      position=self.router.position(call.id),
                      wait=round(self.clock() - queued.entered, 3))
        self.switch.spawn(self.switch.end(call, Disposition.CALLBACK, "caller", 200))

    def _call_back(self, queued: Queued, agent: Agent, line: Member | None = None) -> None:
        """The callback's turn: ring the agent (or take its persistent ``line``), then dial
        the customer."""
        original = queued.call

        def agent_answered(call: Call) -> None:
            queued.offers.pop(agent.username, None)
            self._leave_waiting(queued)
            call.queue, call.agent = queued.queue, agent.username
            self.talking[call.id] = Queued(call, queued.queue, queued.entered, queued.position,
                                           callback=queued.callback, connected=self.clock())
            agent.no_answers = 0
            agent.call_id = call.id
            self._move(agent, AgentState.TALKING)
            self._publish("queue.callback_connect", call.id, queue=queued.queue,
                          agent=agent.username, number=queued.callback,
                          original_call=original.id,
                          wait=round(self.clock() - queued.entered, 3))

        def agent_failed(call: Call, code: int, reason: str) -> None:
            self._offer_failed(queued, agent, code, reason)

        def customer_missed(call: Call, code: int, reason: str) -> None:
            self._callback_missed(queued, call, code, reason)

        def customer_answered(call: Call) -> None:
            # the callback is connected: an answered call of the agent's, like a queue.connect
            self.router.answered(agent.username)
            self._publish("queue.callback_answered", call.id, queue=queued.queue,
                          agent=agent.username, number=queued.callback,
                          original_call=original.id)

        try:
            call = self.switch.originate(agent.extension, queued.callback,
                                         caller_id=self.queues[queued.queue].number,
                                         data=original.data, member=line,
                                         on_first=agent_answered, on_first_failed=agent_failed,
                                         on_second_failed=customer_missed,
                                         on_second=customer_answered)
        except Refused as exc:
            return self._offer_failed(queued, agent, exc.code, exc.reason)
        agent.call_id = call.id

    def _callback_missed(self, queued: Queued, call: Call, code: int, reason: str) -> None:
        """The customer did not answer the callback (busy, no answer, unreachable): it
        goes back to its queue after ``callback_retry`` seconds, keeping its place, until
        ``callback_attempts`` tries are used up.  A number that cannot exist (404, 484…)
        is not tried again."""
        q = self.queues[queued.queue]
        queued.attempts += 1
        data = {"queue": queued.queue, "number": queued.callback, "attempt": queued.attempts,
                "code": code, "reason": reason, "original_call": queued.call.id}
        if queued.attempts >= q.callback_attempts or code in PERMANENT_CODES:
            self._publish("queue.callback_failed", call.id, **data)
            return
        self._publish("queue.callback_retry", call.id, **data, retry_in=q.callback_retry)
        queued.offers.clear()
        queued.timers.append(self.clock.call_later(
            q.callback_retry, self._callback_again, queued))

    def _callback_again(self, queued: Queued) -> None:
        queued.timers.clear()
        if queued.entry is None or queued.queue not in self.queues:
            return
        self.waiting[queued.call.id] = queued
        self._dispatch(self.router.requeue(queued.entry, self.clock()))

    # --- announcements ------------------------------------------------------------------------------
    def _prompts_dir(self) -> Path:
        d = self.settings.acd.prompts_dir
        return Path(d) if d else Path(self.settings.data_dir) / "prompts" / "queue"

    def announcement(self, position: int, wait_minutes: int) -> list[Path]:
        """The prompt files that say a position and an estimated wait (missing: none)."""
        d = self._prompts_dir()
        files = [d / "position.wav", *(d / "digits" / f"{c}.wav" for c in str(position))]
        if wait_minutes > 0:
            files += [d / "wait.wav", *(d / "digits" / f"{c}.wav" for c in str(wait_minutes)),
                      d / "minutes.wav"]
        return [f for f in files if f.exists()]

    def estimated_wait(self, queued: Queued) -> float:
        q = queued.queue
        agents = max(self.logged_in(q), 1)
        return self.router.position(queued.call.id) * self.figures.queue(q).handle_time() / agents

    def _announce(self, queued: Queued) -> None:
        """``announce_interval`` is over: say the caller's position (as a task the caller
        leaving or being connected cancels), then wait the interval again."""
        queued.announcer = self.clock.start(self._announce_once(queued))

    async def _announce_once(self, queued: Queued) -> None:
        q = self.queues[queued.queue]
        call = queued.call
        if not (call.ended or call.state is not CallState.QUEUED or queued.offers):
            position = self.router.position(call.id)
            minutes = math.ceil(self.estimated_wait(queued) / 60)
            files = self.announcement(position, minutes)
            self._publish("queue.announce", call.id, queue=queued.queue, position=position,
                          wait_minutes=minutes)
            if files and call.a_rtp is not None:
                await self._play_announcement(call, files)
        queued.announcer = self.clock.call_later(q.announce_interval, self._announce, queued)

    async def _play_announcement(self, call: Call, files: list[Path]) -> None:
        call.room.waiting = False        # the caller hears the prompts, not the music
        self.switch.remix(call)
        try:
            for f in files:
                if call.ended or call.state is not CallState.QUEUED:
                    break
                player = self.switch.play_prompt(call, f)
                await player.done.wait()
        finally:
            if not call.ended and call.state is CallState.QUEUED:
                call.room.waiting = True
                self.switch.remix(call)

    # --- what happens to calls (from the bus) --------------------------------------------------------
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
                    self.logout(agent.username, by="acd")
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

    def _outbound_over(self, call_id: str) -> None:
        """An agent's own call ended (or it left it): back to the state it had before."""
        outbound = self._outbound.pop(call_id, None)
        if outbound is None:
            return
        agent, state, reason = outbound
        if agent.state in (AgentState.TALKING, AgentState.ON_HOLD) and agent.call_id == call_id:
            agent.call_id = None
            self._move(agent, state, reason)
            self._available(agent)

    def _member_left(self, event: Event) -> None:
        agent = self.agent_on(str(event.data.get("number", "")))
        if agent is None or agent.call_id != event.call_id or agent.state not in (
                AgentState.TALKING, AgentState.ON_HOLD):
            return
        talking = self.talking.get(event.call_id)  # type: ignore[arg-type]
        call = self.switch.calls.get(event.call_id)  # type: ignore[arg-type]
        if call is None or call.ended:
            return
        if not call.goes_on():        # the call ends too: call.ended finishes the agent
            return
        if talking is not None:      # the agent transferred the caller or left a conference
            self._after_call(agent, talking, "transfer")
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

    def _after_call(self, agent: Agent, talking: Queued, by: str) -> None:
        now = self.clock()
        started = talking.connected or agent.since
        talk = now - started
        self.router.talked(agent.username, talk)
        self._publish("queue.complete", talking.call.id, queue=talking.queue,
                      agent=agent.username, by=by, talk=round(talk, 3),
                      wait=round(started - talking.entered, 3))
        self.talking.pop(talking.call.id, None)
        wrap_up = self.queues[talking.queue].wrap_up
        if wrap_up > 0:
            agent.wrap_up_until = now + wrap_up
            self._move(agent, AgentState.WRAP_UP)
            self._publish("agent.wrap_up_start", talking.call.id, agent=agent.username,
                          until=agent.wrap_up_until)
            self._schedule(agent.username, wrap_up, self._wrap_up_over, agent)
        else:
            agent.call_id = agent.queue = None
            self._move(agent, AgentState.READY)
            self._available(agent)

    # --- call-attached data ---------------------------------------------------------------------------
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

    def _reprioritise(self, queued: Queued) -> None:
        """The call's data changed (a VIP tier learned while it waits): its priority is
        worked out again from when it joined, so it moves up (or down) the queue."""
        entry = queued.entry
        assert entry is not None
        priority = entry.base_priority + self._tier_priority(queued.call,
                                                             self.queues[queued.queue])
        if priority == entry.priority or entry.parked:
            return
        self.router.withdraw(entry.id)
        entry.priority = priority
        offer = self.router.enqueue(entry, self.clock())
        self._publish("queue.priority", entry.id, queue=queued.queue, priority=priority,
                      position=self.router.position(entry.id))
        self._dispatch(offer)

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

    def visible_to(self, username: str, event: Event) -> bool:
        """Which live events an agent's desktop receives (:func:`kefu.events.visible`):
        its own state and offers, the calls it is in, and queue figures."""
        agent = self.agents.get(username)
        return visible("agent", username, event,
                       lambda: agent.call_id if agent is not None else None)

    # --- status --------------------------------------------------------------------------------------
    def queue_status(self, name: str) -> dict:
        if name not in self.queues:
            raise AcdError(f"no queue {name!r}", Kind.NOT_FOUND)
        q, figures, now = self.queues[name], self.figures.queue(name), self.clock()
        waiting = self._waiting_in(name)
        agents = [a for a in self.agents.values() if a.logged_in and name in a.queues]
        return {
            "name": name, "number": q.number, "strategy": q.strategy,
            "waiting": len(waiting),
            "callbacks_waiting": sum(1 for w in waiting if w.callback),
            "longest_wait": round(max((now - w.entered for w in waiting), default=0.0), 3),
            "agents_logged_in": len(agents),
            "agents_ready": sum(1 for a in agents if a.state is AgentState.READY),
            "agents_talking": sum(1 for a in agents if a.state in (AgentState.TALKING,
                                                                 AgentState.ON_HOLD)),
            "entered": figures.entered, "answered": figures.answered,
            "abandoned": figures.abandoned, "overflowed": figures.overflowed,
            "callbacks": figures.callbacks, "callbacks_connected": figures.callbacks_connected,
            "service_level": figures.service_level,
            "service_level_seconds": q.service_level,
            "calls": sorted(({"call_id": w.call.id, "caller": w.call.caller,
                              "position": self.router.position(w.call.id),
                              "wait": round(now - w.entered, 3), "callback": bool(w.callback),
                              "ringing": sorted(w.offers)} for w in waiting),
                            key=lambda c: (c["position"] == 0, c["position"])),
        }
