"""Agent sessions: log in and out, devices and persistent lines, states, wrap-up.

An agent's life on the ACD between log-in and log-out: which device it uses (a phone, a
phone on a persistent line 常连接, or the browser), the states it chooses (ready, not
ready with a reason, away), its queues and skill levels (a supervisor may change them
while kefu runs), its own calls (click-to-call) and the wrap-up after each queue call.
The states themselves are :mod:`kefu.acd.agents`' state machine.

A browser desk may go away and come back (a reload, a frozen tab, a lost network): its
line's loss (:meth:`Sessions.line_lost`) or the page's own word (:meth:`Sessions.leave`)
starts a grace period in which the agent keeps its call and state (an idle agent is
offered nothing) and the desk's next line is re-bound to the same member; only after it
is the call re-queued (or ended) and the agent logged out, the reason kept for the next
sign-in.
"""

from __future__ import annotations

from kefu.acd.agents import IDLE, IN_CALL, Agent, AgentState
from kefu.acd.routing import RoutingError
from kefu.acd.offer import OfferState
from kefu.acd.core import AcdCore, AcdError, Queued
from kefu.calls.call import Call, Disposition
from kefu.calls.errors import Kind, Refused
from kefu.calls.room import Member


class Sessions(AcdCore):
    """Agents' log-in, states, devices and wrap-up."""

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
        if agent is None or agent.device != "webrtc":
            return
        if agent.line is member:              # the desk came back: its line re-bound
            agent.session = session
            self._publish("agent.line", session.id, agent=agent.username, state="restored",
                          extension=extension, device=agent.device)
            self._present(agent)
            return
        if agent.line is not None:
            return
        agent.session = session
        self._line_opened(agent, member, agent.want_ready)

    def logout(self, username: str, by: str = "", reason: str = "") -> None:
        """Log the agent out; ``reason`` (the ACD's, e.g. ``line_lost``) is kept in
        ``last_logout`` for its next sign-in."""
        agent = self.agent(username)
        if not agent.logged_in:
            raise AcdError(f"agent {username} is not logged in")
        self._cancel_timer(username)
        self._cancel_grace(agent)
        agent.absent, agent.resume = "", None
        offered = self.waiting.get(agent.call_id or "") \
            if agent.state is AgentState.RESERVED else None
        session, agent.session, agent.line = agent.session, None, None
        if session is not None and not session.ended:
            self.switch.spawn(self.switch.end(session, Disposition.ANSWERED, "system", 200))
        released = self.router.logout(username)
        self._move(agent, AgentState.LOGGED_OUT, by=by)
        if offered is not None and username in offered.offers:   # stop ringing it
            offer = self._end_offer(offered, username, OfferState.WITHDRAWN)
            if offer is not None and offer.attempt is not None:
                self.switch.cancel(offer.attempt)
            if not offered.offers and offered.entry is not None and \
                    self._still_waiting(offered):
                released.append(offered.entry)
        agent.last_logout = {"at": self.clock(), "reason": reason or None, "by": by or None}
        self._publish("agent.logout", agent=username, extension=agent.extension,
                      **({"by": by} if by else {}), **({"reason": reason} if reason else {}))
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

    def _wrap_up_over(self, agent: Agent) -> None:
        self._timers.pop(agent.username, None)
        if agent.state is AgentState.WRAP_UP:
            self.set_state(agent.username, AgentState.READY, by="timer")

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

    # --- a browser desk that goes away and comes back -----------------------------------------
    def line_lost(self, extension: str) -> bool:
        """The browser line on ``extension`` went away (a reload, a lost network).  True
        when the agent logged in there keeps it for ``acd.reconnect_grace``: its member
        stays, absent, in the call it is in, the agent keeps its state (an idle one is
        offered nothing meanwhile), and the desk's next line is re-bound to it."""
        agent = self.agent_on(extension)
        grace = self.settings.acd.reconnect_grace
        if agent is None or agent.device != "webrtc" or agent.line is None or grace <= 0:
            return False
        if agent.absent != "lost":           # (its desk said it was leaving a call: running)
            self._absent(agent, "lost", grace)
        return True

    def leave(self, username: str) -> Agent:
        """The agent's desk says it is closing (page-hide): an idle agent is offered
        nothing from now on and is logged out after ``acd.leave_grace`` unless the page
        comes back (:meth:`back`, a reload); an agent in a call (or its wrap-up) gets the
        line's grace period, as if its line were lost: its member is absent at once, so
        the customer hears music rather than a page that is no longer there."""
        agent = self._desk(username)
        if agent.absent == "lost":
            return agent
        if agent.state in IDLE or agent.state is AgentState.RESERVED:
            self._absent(agent, "leaving", self.settings.acd.leave_grace)
            return agent
        self._absent(agent, "lost", self.settings.acd.reconnect_grace)
        if agent.line is not None and agent.device == "webrtc":
            self.switch.line_lost(agent.line)
        return agent

    def back(self, username: str) -> Agent:
        """The desk is there again (the reloaded page's first word): a desk that only
        said it was leaving is back at once; one whose line is gone waits for its new
        line (:meth:`attach_line`)."""
        agent = self._desk(username)
        line = agent.line
        if agent.absent == "leaving" or (agent.absent and line is not None
                                         and not line.absent):
            self._present(agent)
        return agent

    def _desk(self, username: str) -> Agent:
        agent = self.agent(username)
        if not agent.logged_in:
            raise AcdError(f"agent {username} is not logged in")
        return agent

    def _absent(self, agent: Agent, why: str, grace: float) -> None:
        """Start (or restart) the agent's grace period; an idle or offered agent becomes
        NOT_READY ``reconnecting``, its idle state kept to give back."""
        if agent.state is AgentState.RESERVED:
            self._withdraw_offer(agent)
        elif agent.state in IDLE and agent.resume is None and not (
                agent.state is AgentState.NOT_READY and agent.reason == "reconnecting"):
            agent.resume = (agent.state, agent.reason)
            self._cancel_timer(agent.username)        # a back-off: nothing to offer anyway
            self.router.set_busy(agent.username)
            self._move(agent, AgentState.NOT_READY, "reconnecting", by="acd")
        agent.absent = why
        self._cancel_grace(agent)
        self._grace[agent.username] = self.clock.call_later(grace, self._grace_over, agent)
        session = agent.session
        self._publish("agent.line", session.id if session is not None else None,
                      agent=agent.username, state="lost" if why == "lost" else why,
                      extension=agent.extension, device=agent.device, grace=grace)

    def _withdraw_offer(self, agent: Agent) -> None:
        """The call offered to an agent whose desk went away goes to the next agent."""
        self._cancel_timer(agent.username)
        queued = self.waiting.get(agent.call_id or "")
        agent.call_id = agent.queue = None
        agent.resume = (AgentState.READY, "")
        self.router.set_busy(agent.username)
        self._move(agent, AgentState.NOT_READY, "reconnecting", by="acd")
        if queued is None or self._end_offer(queued, agent.username,
                                             OfferState.WITHDRAWN) is None:
            return
        if not queued.offers and queued.entry is not None and self._still_waiting(queued):
            self._dispatch(self.router.requeue(queued.entry, self.clock()))

    def _present(self, agent: Agent) -> None:
        """The desk is back: the grace period ends and an idle agent gets its state back
        (a ready one is offered calls again)."""
        self._cancel_grace(agent)
        agent.absent = ""
        resume, agent.resume = agent.resume, None
        if resume is not None and agent.state is AgentState.NOT_READY \
                and agent.reason == "reconnecting":
            state, reason = resume
            self._move(agent, state, reason, by="acd")
        self._available(agent)

    def _cancel_grace(self, agent: Agent) -> None:
        timer = self._grace.pop(agent.username, None)
        if timer is not None:
            timer.cancel()

    def _grace_over(self, agent: Agent) -> None:
        """The desk did not come back: its call goes back to its queue at its old place
        (or ends, if it was not a queue call) and the agent is logged out."""
        self._grace.pop(agent.username, None)
        if not agent.logged_in or not agent.absent:
            return
        lost = agent.absent == "lost"
        if lost:
            self._drop_call(agent)
        self.logout(agent.username, by="acd", reason="line_lost" if lost else "closed")

    def _drop_call(self, agent: Agent) -> None:
        call_id = agent.call_id
        if call_id is None or agent.state not in IN_CALL:
            return
        call = self.switch.calls.get(call_id)
        talking = self.talking.pop(call_id, None)
        self._outbound.pop(call_id, None)
        agent.call_id = agent.queue = None        # its member leaving is not its doing
        if call is None or call.ended:
            return
        if talking is None:                       # not a queue call: it ends
            self.switch.spawn(self.switch.end(call, Disposition.ANSWERED, "system", 200))
            return
        now = self.clock()
        started = talking.connected or agent.since
        self._publish("queue.complete", call_id, queue=talking.queue, agent=agent.username,
                      by="line_lost", talk=round(now - started, 3),
                      wait=round(started - talking.entered, 3))
        self.switch.end_segment(call)
        member = agent.line
        if member is not None and member in call.room.members:
            self.switch.dismiss(call, member, sip_done=True)
        entry = talking.entry
        self.switch.spawn(self.enqueue(call, talking.queue,
                                       entry.base_priority if entry is not None else 0,
                                       min_level=entry.min_level if entry is not None else 0,
                                       entered=talking.entered))
