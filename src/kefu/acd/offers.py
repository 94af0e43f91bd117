"""Offers: ringing the agents the routing engine chose, and what their answer means.

An offer is a waiting call put to one agent: its phone rings (or, on a persistent line,
its desk shows it).  The agent answers (connected), declines, lets it ring out (the next
agent; after ``acd.no_answer_limit`` in a row the agent is paused with reason
``no_answer``), or the offer is withdrawn (the caller left, the agent logged out,
another agent of a ring-all answered first).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kefu.acd.agents import Agent, AgentState
from kefu.acd.routing import Offer
from kefu.acd.offer import DECLINE_CODE, AgentOffer, OfferState
from kefu.acd.core import BUSY_CODES, AcdCore, AcdError, Queued
from kefu.calls.call import Call, CallState
from kefu.calls.errors import Refused
from kefu.calls.room import Member

if TYPE_CHECKING:
    from kefu.calls.attempt import Fork
    from kefu.media import Negotiated


class Offers(AcdCore):
    """Offering waiting calls to agents."""

    def answer(self, username: str) -> Agent:
        """The agent takes the call offered to it, on its persistent line."""
        agent, queued = self._offered(username)
        if agent.line is None:
            raise AcdError(f"agent {username} has no persistent line: answer on the phone")
        self._cancel_timer(username)
        if queued.callback:
            self._call_back(queued, agent, agent.line)
        else:
            self._end_offer(queued, username, OfferState.ANSWERED)
            self._connect(queued, agent, agent.line)
        return agent

    def reject(self, username: str) -> Agent:
        """The agent declines the offer: the call goes to the next agent, the agent backs
        off (``acd.busy_backoff``) and counts a refusal toward the no-answer pause."""
        agent, queued = self._offered(username)
        attempt = queued.offers[username].attempt
        if attempt is not None:
            self.switch.cancel(attempt)
        self._offer_failed(queued, agent, DECLINE_CODE, "Declined")
        return agent

    def _offered(self, username: str) -> tuple[Agent, Queued]:
        agent = self.agent(username)
        queued = self.waiting.get(agent.call_id or "") if agent.state is AgentState.RESERVED \
            else None
        if queued is None or username not in queued.offers:
            raise AcdError(f"agent {username} has no call offered")
        return agent, queued

    def _dispatch(self, offer: Offer | None) -> None:
        if offer is None:
            return
        queued: Queued = offer.entry.data
        for slot in offer.agents:
            agent = self.agents[slot.id]
            agent.call_id, agent.queue = queued.call.id, queued.queue
            self._move(agent, AgentState.RESERVED)
            queued.offers[agent.username] = AgentOffer(agent.username)
        self._publish("queue.offer", queued.call.id, queue=queued.queue,
                      agents=[a.id for a in offer.agents], caller=queued.call.caller,
                      wait=round(self.clock() - queued.entered, 3),
                      callback=queued.callback or None, attached=queued.call.data,
                      timeout=self.queues[queued.queue].ring_timeout)
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
        attempt = self.switch.reach(
            call, number, stages, q.ring_timeout, call.caller,
            on_answer=lambda c, attempt, fork, answer: self._agent_answered(
                queued, agent, fork, answer),
            on_fail=lambda c, attempt, code, reason: self._offer_failed(
                queued, agent, code, reason),
            headers=self._auto_answer_headers() if agent.auto_answer else ())
        if (offer := queued.offers.get(agent.username)) is not None:
            offer.attempt = attempt

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
        self._end_offer(queued, agent.username, OfferState.ANSWERED)
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
        call.after = self.queues[queued.queue].survey   # the agent hanging up: the survey
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
        if self._end_offer(queued, agent.username, AgentOffer.failure(code)) is None:
            return
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

    def _back_off_over(self, agent: Agent) -> None:
        self._timers.pop(agent.username, None)
        self._available(agent)

    def _release(self, agent: Agent) -> None:
        """An offer to ``agent`` ended without a call and without the agent's fault."""
        if agent.state is AgentState.RESERVED:
            agent.call_id = agent.queue = None
            self._move(agent, AgentState.READY)
            self._available(agent)

    def _release_offers(self, queued: Queued) -> None:
        """Stop ringing the other agents (ring-all, or the caller left)."""
        for username, offer in list(queued.offers.items()):
            if offer.attempt is not None:
                self.switch.cancel(offer.attempt)
            elif self.agents[username].line is not None:
                self._cancel_timer(username)
            self._end_offer(queued, username, OfferState.WITHDRAWN)
            agent = self.agents[username]
            if agent.call_id == queued.call.id:
                self._release(agent)
