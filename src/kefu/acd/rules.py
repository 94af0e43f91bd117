"""Queue rules: how a call joins a queue and when it leaves it for somewhere else.

Joining (answered into music, refused or sent on when the queue is closed — outside its
``hours`` — full or nobody is logged in), priorities (the queue's, the customer's tier, a tier learned while waiting),
the wait for a preferred agent, maximum wait, and overflow to another number, queue or
IVR flow.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from kefu.config import QueueConfig
from kefu.acd.routing import Waiting
from kefu.acd.core import AcdCore, Queued
from kefu.calls.call import Call, CallState, Disposition
from kefu.calls.errors import Refused
from kefu.calls.room import Member

if TYPE_CHECKING:
    from kefu.calls.attempt import Attempt, Fork
    from kefu.calls.dialplan import Route
    from kefu.media import Negotiated

log = logging.getLogger(__name__)

_REFUSALS: dict[str, tuple[int, str, Disposition]] = {
    "full": (486, "Busy Here (queue full)", Disposition.BUSY),
    "empty": (480, "Temporarily Unavailable (no agents)", Disposition.UNAVAILABLE),
    "closed": (480, "Temporarily Unavailable (queue closed)", Disposition.UNAVAILABLE),
}
"""A queue turning a call away with nowhere to send it: the SIP answer and disposition."""


class QueueRules(AcdCore):
    """Joining, priorities, maximum wait and overflow."""

    async def take(self, call: Call, route: "Route") -> None:
        """The switch's destination for ``queue`` routes (dialled, a DID, a transfer)."""
        await self.enqueue(call, route.queue)

    async def enqueue(self, call: Call, queue_name: str, priority: int = 0,
                      on_refused: Callable[[str], None] | None = None,
                      min_level: int = 0, entered: float | None = None) -> None:
        """A call reaches a queue (dialled, a DID, an overflow, a transfer or an IVR flow);
        ``min_level``: only members at that skill level or above are offered it (an IVR
        ``queue`` node's; a call no member qualifies for waits, to ``max_wait``'s overflow).
        ``entered``: the call comes back with its first entry time, so its old place
        (a call whose agent's desk never came back: :mod:`kefu.acd.sessions`).

        A full queue, or one nobody is logged in to, without an overflow refuses the call:
        it ends, unless ``on_refused`` is given (an IVR flow sent it): then that is told
        why (``full``/``empty``) and goes on with the call, which stays up."""
        q = self.queues[queue_name]
        waiting = len(self._waiting_in(queue_name))
        why = self._turned_away(q, queue_name, waiting)
        to = q.closed if why == "closed" else q.overflow
        if why and not to:
            self._publish("queue.refused", call.id, queue=queue_name, reason=why,
                          caller=call.caller)
            if on_refused is not None:
                return on_refused(why)
            code, reason, disposition = _REFUSALS[why]
            if call.state is CallState.ROUTING:
                return await self.switch.fail(call, code, reason, disposition)
            return await self.switch.end(call, disposition, "system", code)
        if call.state is CallState.ROUTING:
            await self.switch.answer_hosted(call, CallState.QUEUED)
            if call.ended:
                return
            assert call.a is not None and call.a_rtp is not None     # answered just now
            self.switch.join(call, Member(call.caller, "caller", call.a, call.a_rtp), quiet=True)
        elif call.state is CallState.CONNECTED:       # transferred to the queue
            call.transition(CallState.QUEUED)
            call.agent = None
        call.queue = queue_name
        call.room.moh = self._moh.get(queue_name)
        call.room.waiting = True
        self.switch.remix(call)
        if why:
            self._publish("queue.overflow", call.id, queue=queue_name, reason=why, wait=0.0,
                          position=waiting + 1, destination=to)
            return self._send_on(call, to)
        now = self.clock()
        queued = Queued(call, queue_name, now if entered is None else entered)
        self.waiting[call.id] = queued
        entry = Waiting(call.id, queue_name, queued.entered, priority + self._tier_priority(call, q),
                        data=queued, base_priority=priority, min_level=min_level)
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

    def _turned_away(self, q: QueueConfig, queue_name: str, waiting: int) -> str | None:
        """Why a call may not wait in the queue now: ``closed`` (outside its hours, the
        server's local time), ``full``, ``empty`` (nobody logged in, join_empty off)."""
        if q.hours is not None and not q.hours.is_open(dt.datetime.fromtimestamp(self.clock())):
            return "closed"
        if q.max_length and waiting >= q.max_length:
            return "full"
        if not q.join_empty and not self.logged_in(queue_name):
            return "empty"
        return None

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
        """An answered call leaves its queue for ``number``: another queue, a flow
        (``flow:<name>``, handed to the switch's handler for it), or a number rung."""
        if not number:
            self.switch.spawn(self.switch.end(call, Disposition.BUSY, "system", 486))
            return
        route = self.switch.route(call.caller, number)
        if route.kind == "queue":
            self.switch.spawn(self.enqueue(call, route.queue))
            return
        take = self.switch.handler(route)
        if take is not None:          # a flow (flow:<name>): its handler answers for it
            call.queue = None
            self.switch.spawn(take(call, route))
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
