"""The IVR on live calls: the switch's destination for ``flow`` routes.

:class:`IvrCalls` is registered with the switch for the ``flow`` route kind (as the ACD is
for ``queue``): it answers the caller, fixes the flow versions the call will walk (the
published ones when it starts: a flow published meanwhile changes only later calls), and
runs a :class:`Walk`, which carries the pure interpreter's (:mod:`kefu.ivr.engine`)
actions to the switch and the caller's keys, timers and look-up results back as events.

What it does not own is injected, so ``ivr`` names neither the ACD nor the CRM (siblings in
the layers contract): the queues (:class:`Queues`, the ACD satisfies it), the customer
look-up on entry, the sounds (TTS cache, uploaded prompts, prompt sets), the clock.

Keys come from the bus (``call.dtmf`` on the caller's leg), the caller's hang-up from
``call.ended``: the same events the ACD listens to.

Self-service (坐席与IVR互动): :meth:`IvrCalls.send` takes the caller of an agent's connected
call into a flow (CONNECTED → HOSTED) while the agent's member stays in the room, held
(it hears music, the caller hears only the prompts; the agent hears no digits).  A
``return`` brings the caller back to that member (HOSTED → CONNECTED) with the flow's own
variables merged into the call-attached data; any other way out of the flow (a queue, a
transfer) first lets the agent go, and a hang-up ends the call for both.  ``ivr.sent`` and
``ivr.back`` name the agent, so its desk follows.  Every ``ivr.*`` event the engine
emits is published on the bus, and the event log keeps it in ``call_events``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from kefu.bus import Bus, Event
from kefu.calls.call import Call, CallState, Disposition
from kefu.calls.dialplan import Route
from kefu.calls.errors import ControlError, Kind, Refused
from kefu.calls.protocol import Calls, Listening
from kefu.calls.room import Member

from . import steps as s
from .engine import Session
from .flow import BUILTINS
from .listen import Ear
from .records import PublishedFlow
from .taking import Desk, Taking

log = logging.getLogger(__name__)


class Timer(Protocol):
    def cancel(self) -> object: ...


class Clock(Protocol):
    """Now and timers: :class:`kefu.acd.clock.LoopClock` in kefu, a fake in tests."""

    def __call__(self) -> float: ...

    def call_later(self, delay: float, fn: Callable[..., Any], *args: Any) -> Timer: ...

    def start(self, coro: Any) -> Timer: ...


class Queues(Protocol):
    """Where a ``queue`` node hands the caller: the ACD."""

    @property
    def queues(self) -> Mapping[str, Any]: ...

    def set_data(self, call: Call, data: dict, merge: bool = True) -> dict: ...

    async def enqueue(self, call: Call, queue_name: str, priority: int = 0,
                      on_refused: Callable[[str], None] | None = None,
                      min_level: int = 0) -> None: ...


class Sounds(Protocol):
    """The files that voice one :class:`~kefu.ivr.steps.Item`, in order."""

    async def files(self, item: s.Item) -> list[Path]: ...


Hear = Callable[[np.ndarray, s.Listen], Awaitable[str | None]]
"""One utterance (8 kHz int16) and what listens for it → the phrase heard, or None (speech
input: :mod:`kefu.ivr.asr` on a worker thread in kefu)."""
Customer = Callable[[str], Mapping[str, str]]
"""Caller number → the customer's variables (tier, customer_id/name/owner); {}: unknown."""
Store = Callable[[Call, PublishedFlow, s.StoreRecord], object]
Lookup = Callable[[s.DoLookup], Awaitable[s.LookupResult | s.LookupFailed]]
Offload = Callable[..., Awaitable[Any]]
"""``offload(fn, *args)``: ``fn(*args)`` off the event loop (``asyncio.to_thread``);
inline by default (the tests' fakes run without a loop)."""


async def _inline(fn: Callable[..., Any], *args: Any) -> Any:
    return fn(*args)


class IvrCalls:
    """Runs every call routed to a flow; ``walks``: the calls inside a flow now, by id."""

    def __init__(self, switch: Calls, bus: Bus, flows: Callable[[], Mapping[str, PublishedFlow]],
                 sounds: Sounds, clock: Clock, *, queues: Queues | None = None,
                 customer: Customer | None = None, store: Store | None = None,
                 lookup: Lookup | None = None, hear: Hear | None = None,
                 offload: Offload | None = None, voicemail: Desk | None = None) -> None:
        self.switch, self.bus, self.flows, self.sounds, self.clock = switch, bus, flows, sounds, clock
        self.queues, self.customer, self.store, self.lookup = queues, customer, store, lookup
        self.hear, self.voicemail = hear, voicemail
        self.offload = offload or _inline
        self.walks: dict[str, Walk] = {}
        bus.subscribe(self._on_call_event, prefix="call.")

    async def take(self, call: Call, route: Route) -> None:
        """The switch's destination for ``flow`` routes (dialled, a DID, a transfer, a
        queue's overflow): a new call is answered here; a transferred one (CONNECTED) or
        one a queue sent on (QUEUED, back to HOSTED) is already."""
        flows, found = await self.offload(self._entry, call.caller)
        if call.ended:
            return
        published = flows.get(route.flow)
        if published is None:
            log.info("call %s: flow %r has no published version", call.id, route.flow)
            if call.state is CallState.ROUTING:
                return await self.switch.fail(call, 404, "Not Found (no such flow)",
                                              Disposition.NOT_FOUND)
            return await self.switch.end(call, Disposition.FAILED, "system", 404)
        if not await self.host(call):
            return
        self._walk(call, published, flows, found)

    def send(self, call: Call, flow: str, by: str, agent: str) -> None:
        """Self-service: the caller of ``call`` walks ``flow`` while ``by`` (the member of
        agent ``agent``, a username) stays in the call, held with music; ``return`` brings
        the caller back to it.  ``ControlError``: no such flow or party (NOT_FOUND), a
        call that is not a connected two-party call with its caller, or a hold (CONFLICT)."""
        flows, found = self._entry(call.caller)
        published = flows.get(flow)
        if published is None:
            raise ControlError(f"flow {flow!r} has no published version", Kind.NOT_FOUND)
        if call.state is not CallState.CONNECTED or call.id in self.walks:
            raise ControlError(f"call {call.id} is {call.state.value}, not connected")
        member = call.room.find(by)
        if member is None:
            raise ControlError(f"{by} is not in call {call.id}", Kind.NOT_FOUND)
        caller = call.room.member_of(call.a)
        if caller is None or caller is member or len(call.room.parties) != 2:
            raise ControlError("only the caller of a two-party call can be sent into a flow")
        if any(m.holding or m.held for m in call.room.members):
            raise ControlError(f"call {call.id} is on hold: resume it first")
        call.transition(CallState.HOSTED)
        member.held = True             # hears music; neither side hears the other
        self.switch.remix(call)
        walk = self._walk(call, published, flows, found, agent=member, agent_name=agent)
        walk.tell("ivr.sent", by=by)
        walk.start()

    def _walk(self, call: Call, published: PublishedFlow, flows: Mapping[str, PublishedFlow],
              found: Mapping[str, str], agent: Member | None = None,
              agent_name: str = "") -> "Walk":
        """A walk of ``published`` for ``call``, started at once unless an agent sent it."""
        # ``today``: the date the call started, for a flow that declares it (read out by
        # ``say`` kind date: the demo hotline)
        today = dt.datetime.fromtimestamp(self.clock()).astimezone().date().isoformat()
        variables = {"caller": call.caller, "called": call.callee, "call_id": call.id,
                     "today": today} | dict(found)
        walk = Walk(self, call, published, {n: p.flow for n, p in flows.items()}, variables,
                    agent, agent_name)
        self.walks[call.id] = walk
        if agent is None:
            walk.start()
        return walk

    def _entry(self, caller: str) -> tuple[Mapping[str, PublishedFlow], dict[str, str]]:
        """What a new call needs from the database: the published flows and the caller's
        customer variables.  Run through ``offload`` (a worker thread in kefu), so 200
        callers arriving do not hold up the event loop and with it everyone's prompts."""
        found: dict[str, str] = {}
        if self.customer is not None:
            try:
                found = dict(self.customer(caller))
            except Exception:          # a customer look-up failing must not drop the call
                log.exception("customer look-up of %s failed", caller)
        return self.flows(), found

    async def host(self, call: Call) -> bool:
        """Answer ``call`` for prompts (a new one); one transferred here or sent on by a
        queue is answered already: its music stops.  False: the caller left meanwhile."""
        if call.state is CallState.ROUTING:
            await self.switch.answer_hosted(call)
            if call.ended:
                return False
            assert call.a is not None and call.a_rtp is not None     # answered just now
            self.switch.join(call, Member(call.caller, "caller", call.a, call.a_rtp), quiet=True)
        else:                          # transferred here, or a queue's overflow
            if call.state is CallState.QUEUED:
                call.transition(CallState.HOSTED)
            if call.room.waiting:      # the prompts, not the music
                call.room.waiting = False
                self.switch.remix(call)
        return True

    def _on_call_event(self, event: Event) -> None:
        walk = self.walks.get(event.call_id or "")
        if walk is None:
            return
        if event.type == "call.dtmf" and event.data.get("leg") == "caller":
            walk.feed(s.Digit(str(event.data.get("digit", ""))))
        elif event.type == "call.ended":
            walk.let_agent_go("caller_hangup" if event.data.get("hangup_by") == "caller"
                              else "ended")
            walk.feed(s.CallerHungUp())
            walk.close()
        elif (event.type == "call.member_left" and walk.agent is not None
              and event.data.get("number") == walk.agent.number):
            walk.let_agent_go("agent_hangup")   # the caller finishes the flow alone


class Walk:
    """One call inside a flow: the engine's session and what its actions started (prompts
    playing, timers, a look-up), so the caller hanging up can stop them all."""

    def __init__(self, owner: IvrCalls, call: Call, published: PublishedFlow,
                 flows: Mapping[str, Any], variables: dict[str, str],
                 agent: Member | None = None, agent_name: str = "", *,
                 session: Any = None) -> None:
        """``session``: another machine of the engine's shape (``start``, ``handle``)."""
        self.owner, self.call, self.published = owner, call, published
        self.agent, self.agent_name = agent, agent_name   # who sent the caller here
        # not the flow's own results: what the call started with, the built-in variables
        self.seeded = frozenset(variables) | BUILTINS
        self.session = session if session is not None else \
            Session(flows, published.name, self._now, variables=variables,
                    from_agent=agent is not None)
        self._events: deque[s.Event] = deque()
        self._busy = False
        self._timers: dict[int, Timer] = {}
        self._plays: dict[int, Timer] = {}
        self._work: Timer | None = None
        self._tap: tuple[int, Listening] | None = None   # the Listen running and its tap
        self._taking: Taking | None = None   # a voicemail message being recorded
        self._held: list[s.Emit] = []         # the exit while the message is saved
        self.closed = False

    def _now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.owner.clock()).astimezone()

    def start(self) -> None:
        flow = self.published.flow
        self._publish("ivr.start", {"flow": flow.name, "node": flow.start,
                                    "version": self.published.version,
                                    "caller": self.call.caller})
        self.begin()

    def begin(self) -> None:
        """Run the session's first actions."""
        self._busy = True
        try:
            self._do(self.session.start())
        finally:
            self._busy = False
        self._drain()

    def feed(self, event: s.Event) -> None:
        """Hand ``event`` to the engine; one reported while actions are being carried out
        (a prompt that ends at once) waits its turn, so the engine sees events in order."""
        if self._taking is not None and isinstance(event, s.Digit):
            self._taking.key(event.key)     # ``#`` ends the message; others are dropped
        elif not self.closed:
            self._events.append(event)
            self._drain()

    def _drain(self) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            while self._events and not self.closed:
                self._do(self.session.handle(self._events.popleft()))
        finally:
            self._busy = False

    def close(self) -> None:
        """The call left the flow: stop what still runs for it."""
        if self.owner.walks.get(self.call.id) is self:
            del self.owner.walks[self.call.id]
        self.closed = True
        if self._taking is not None:   # a message left by hanging up is kept
            self._taking.stop("hangup")
        for timer in [*self._timers.values(), *self._plays.values()]:
            timer.cancel()
        if self._work is not None:
            self._work.cancel()
        if self._tap is not None:
            self._tap[1].close()
            self._tap = None
        self._timers.clear()
        self._plays.clear()

    # ---- actions -----------------------------------------------------------------

    def _do(self, actions: list[s.Action]) -> None:
        for action in actions:
            handler = _HANDLERS[type(action)]
            handler(self, action)

    def publish(self, type_: str, data: Mapping[str, Any]) -> None:
        self._publish(type_, data)

    def _publish(self, type_: str, data: Mapping[str, Any]) -> None:
        self.owner.bus.publish(Event(type=type_, call_id=self.call.id, data=dict(data),
                                     ts=self.owner.clock()))

    def _emit(self, a: s.Emit) -> None:
        if a.type == "ivr.voicemail" and self.owner.voicemail is not None:
            return                      # the Taking's, with the message, is published
        if a.type == "ivr.exit" and self._taking is not None:
            self._held.append(a)        # after the message's event, as the engine orders them
            return
        self._publish(a.type, a.data)

    # ---- the agent who sent the caller here ------------------------------------------

    def tell(self, type_: str, **data: Any) -> None:
        """An ``ivr.sent`` / ``ivr.back`` event naming the agent, for its desk."""
        self._publish(type_, {"flow": self.published.name, "agent": self.agent_name, **data})

    def let_agent_go(self, reason: str) -> None:
        """The caller will not come back to the agent (``reason``): an agent still in the
        call leaves it (its leg hung up, a persistent line back home), and the ACD frees
        it as after any call; on a hang-up the call's end does that."""
        agent, self.agent = self.agent, None
        if agent is None:
            return
        self.tell("ivr.back", reason=reason)
        if reason in ("ended", "caller_hangup", "agent_hangup") or self.call.ended:
            return
        if agent in self.call.room.members:
            self.owner.switch.dismiss(self.call, agent)

    def _return(self, a: s.ReturnToAgent) -> None:
        """The flow ended at a ``return``: the caller talks to its agent again, the flow's
        own variables (not the ones the call started with) merged into the call's data;
        with the agent gone, the call ends as a flow's end does."""
        agent, call = self.agent, self.call
        if agent is None or call.ended or agent not in call.room.members:
            return self._hangup(s.Hangup("no agent to return to"))
        self.close()
        self.agent = None
        results = {k: v for k, v in a.variables.items() if k not in self.seeded}
        call.transition(CallState.CONNECTED)
        agent.held = False
        self.owner.switch.remix(call)
        if self.owner.queues is not None and results:
            try:
                self.owner.queues.set_data(call, results)
            except Exception as e:      # too large: the caller comes back all the same
                log.warning("call %s: the flow's results not attached: %s", call.id, e)
        self.tell("ivr.back", reason="returned", keys=sorted(results))

    def _play(self, a: s.Play) -> None:
        self._plays[a.id] = self.owner.clock.start(self._playing(a))

    async def _playing(self, a: s.Play) -> None:
        player = None
        try:
            for item in a.items:
                try:
                    files = await self.owner.sounds.files(item)
                except Exception as e:    # a prompt that cannot be voiced is skipped, logged
                    log.warning("call %s: cannot voice %r: %s", self.call.id, item, e)
                    continue
                for path in files:
                    if self.call.ended:
                        return
                    try:
                        player = self.owner.switch.play_prompt(self.call, path)
                    except Exception as e:   # a lost or unreadable file: the next one
                        log.warning("call %s: cannot play %s: %s", self.call.id, path, e)
                        continue
                    await player.done.wait()
                    player = None
        except asyncio.CancelledError:
            if player is not None and hasattr(player, "stop"):
                player.stop()
            raise
        self._plays.pop(a.id, None)
        self.feed(s.PromptDone(a.id))

    def _stop(self, a: s.StopPlayback) -> None:
        task = self._plays.pop(a.id, None)
        if task is not None:
            task.cancel()

    def _start_timer(self, a: s.StartTimer) -> None:
        self._timers[a.id] = self.owner.clock.call_later(a.seconds, self._timeout, a.id)

    def _timeout(self, timer: int) -> None:
        self._timers.pop(timer, None)
        self.feed(s.Timeout(timer))

    def _cancel_timer(self, a: s.CancelTimer) -> None:
        timer = self._timers.pop(a.id, None)
        if timer is not None:
            timer.cancel()

    def _lookup(self, a: s.DoLookup) -> None:
        self._work = self.owner.clock.start(self._looking_up(a))

    async def _looking_up(self, a: s.DoLookup) -> None:
        lookup = self.owner.lookup
        result: s.Event = (await lookup(a) if lookup is not None
                           else s.LookupFailed("no look-ups in this kefu"))
        self._work = None
        self.feed(result)

    def _listen(self, a: s.Listen) -> None:
        """Speech input: the caller's audio, cut into utterances on the tick, each heard on
        the engine's thread; no engine (or no audio): the keys alone go on."""
        if self.owner.hear is None:
            return
        ear = Ear()

        def on_frame(frame: np.ndarray) -> None:
            said = ear.feed(frame)
            if said is not None and not self.closed:
                self.owner.clock.start(self._hearing(a, said))
        try:
            self._tap = (a.id, self.owner.switch.listen(self.call, on_frame))
        except Exception as e:
            log.warning("call %s: cannot listen: %s", self.call.id, e)

    async def _hearing(self, a: s.Listen, said: np.ndarray) -> None:
        assert self.owner.hear is not None
        try:
            phrase = await self.owner.hear(said, a)
        except Exception as e:      # an engine failing is an utterance not heard
            log.warning("call %s: speech input failed: %s", self.call.id, e)
            phrase = None
        self.feed(s.Heard(a.id, phrase))

    def _stop_listening(self, a: s.StopListening) -> None:
        if self._tap is not None and self._tap[0] == a.id:
            self._tap[1].close()
            self._tap = None

    def _store(self, a: s.StoreRecord) -> None:
        if self.owner.store is None:
            return
        try:
            self.owner.store(self.call, self.published, a)
        except Exception:           # the caller goes on; the record's loss is logged
            log.exception("call %s: could not store %s", self.call.id, a.record)

    def _voicemail(self, a: s.RecordVoicemail) -> None:
        desk = self.owner.voicemail
        box = desk.find(a.mailbox) if desk is not None else None
        if desk is None or box is None:
            log.warning("call %s: no voicemail box %r here: the call ends", self.call.id,
                        a.mailbox)
            self._hangup(s.Hangup("voicemail unavailable"))
            return
        self._taking = Taking(self, desk, box, a)
        self._taking.start()

    def recorded(self, taking: Taking) -> None:
        """The message is over (saved or not): the flow goes on, unless the caller left."""
        if self._taking is taking:
            self._taking = None
            held, self._held = self._held, []
            for a in held:
                self._publish(a.type, a.data)
            if not self.call.ended and not self.closed:
                self.feed(s.Finished())

    def _enqueue(self, a: s.Enqueue) -> None:
        queues = self.owner.queues
        if queues is None or a.queue not in queues.queues:
            self.feed(s.Refused(f"no queue {a.queue!r}"))
            return
        try:
            queues.set_data(self.call, dict(a.data))
        except Exception as e:          # too large: the flow's fallback, not a dropped call
            self.feed(s.Refused(str(e)))
            return
        self.close()
        self.let_agent_go("queue")
        if self.call.state is CallState.HOSTED:
            self.call.transition(CallState.QUEUED)

        def refused(why: str) -> None:
            self._back_from_queue(f"queue {a.queue!r} {why}")

        self.owner.switch.spawn(queues.enqueue(self.call, a.queue, a.priority,
                                               on_refused=refused, min_level=a.min_level))

    def _back_from_queue(self, reason: str) -> None:
        """The queue would not take the caller (full, or no agents and no overflow): the
        walk resumes and the engine takes the ``queue`` node's fallback."""
        if self.call.ended:
            return
        if self.call.state is CallState.QUEUED:
            self.call.transition(CallState.HOSTED)
        self.closed = False
        self.owner.walks[self.call.id] = self
        self.feed(s.Refused(reason))

    def _transfer(self, a: s.TransferTo) -> None:
        switch, call = self.owner.switch, self.call
        self.let_agent_go("transfer")
        route = switch.route(call.caller, a.target)
        if route.kind == "queue":
            return self._enqueue(s.Enqueue(route.queue, 0, 0, {}))
        if route.kind == "flow":      # a number that runs a flow: start it afresh
            self.close()
            switch.spawn(self.owner.take(call, route))
            return
        try:
            dest, stages, timeout = switch.destination(call.caller, a.target, exclude=call,
                                                       route=route)
        except Refused as e:
            self.feed(s.Refused(e.reason))
            return

        def answered(c: Call, attempt: Any, fork: Any, answer: Any) -> None:
            if c.ended or c.state not in (CallState.HOSTED, CallState.CONNECTED):
                switch.drop_fork(fork)
                return
            self.close()
            if c.state is CallState.HOSTED:
                c.transition(CallState.CONNECTED)
            c.room.waiting = False
            switch.join(c, Member(attempt.number, "callee", fork.sip, fork.rtp))
            switch.start_recording(c)

        def failed(c: Call, attempt: Any, code: int, reason: str) -> None:
            c.room.waiting = False
            switch.remix(c)
            self.feed(s.Refused(f"{code} {reason}"))

        call.room.waiting = True      # the caller hears music while the target rings
        switch.remix(call)
        switch.reach(call, dest, stages, timeout, call.caller, answered, failed)

    def _hangup(self, a: s.Hangup) -> None:
        self.close()
        self.let_agent_go("ended")
        if not self.call.ended:
            self.owner.switch.spawn(self.owner.switch.end(self.call, Disposition.ANSWERED,
                                                          "system", 200))


_HANDLERS: dict[type, Callable[[Walk, Any], None]] = {
    s.Emit: Walk._emit, s.Play: Walk._play, s.StopPlayback: Walk._stop,
    s.StartTimer: Walk._start_timer, s.CancelTimer: Walk._cancel_timer,
    s.DoLookup: Walk._lookup, s.StoreRecord: Walk._store, s.RecordVoicemail: Walk._voicemail,
    s.Enqueue: Walk._enqueue, s.TransferTo: Walk._transfer, s.Hangup: Walk._hangup,
    s.Listen: Walk._listen, s.StopListening: Walk._stop_listening,
    s.ReturnToAgent: Walk._return,
}
"""Each action of the engine, and what carries it out."""
