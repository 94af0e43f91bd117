"""Callbacks: a caller who pressed the callback key hangs up and keeps its place.

At its turn the agent is rung first, then the customer is dialled; a customer who does
not answer waits again (``callback_retry``) until ``callback_attempts`` tries are used
up.  Callbacks owed today survive a restart (they are rebuilt from the event log).
"""

from __future__ import annotations

import logging
from typing import Sequence

from kefu.bus import Event
from kefu.acd.agents import Agent, AgentState
from kefu.acd.routing import Waiting
from kefu.acd.offer import OfferState
from kefu.acd.core import PERMANENT_CODES, AcdCore, Queued
from kefu.calls.call import Call, Disposition
from kefu.calls.errors import Refused
from kefu.calls.room import Member

log = logging.getLogger(__name__)


class Callbacks(AcdCore):
    """Keeping a caller's place and calling it back."""

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
            self._end_offer(queued, agent.username, OfferState.ANSWERED)
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
        for username in list(queued.offers):
            self._end_offer(queued, username, OfferState.WITHDRAWN)
        queued.timers.append(self.clock.call_later(
            q.callback_retry, self._callback_again, queued))

    def _callback_again(self, queued: Queued) -> None:
        queued.timers.clear()
        if queued.entry is None or queued.queue not in self.queues:
            return
        self.waiting[queued.call.id] = queued
        self._dispatch(self.router.requeue(queued.entry, self.clock()))
