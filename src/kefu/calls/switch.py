"""The switch: a B2BUA with anchored media that connects calls to their destinations.

It implements the SIP layer's ``CallHandler`` (new inbound legs) and ``LegListener``
(what every leg does next), owns the :class:`Call` state machines and their rooms,
reaches destinations through :class:`~kefu.calls.attempt.Dialing`, records, and publishes
every state change on the bus.  Call-control actions (hold, transfer, conference,
supervision) live in :mod:`kefu.calls.control` and use the primitives here.  Everything
runs on the asyncio loop.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Coroutine

import numpy as np

from kefu.bus import Bus, Event
from kefu.config import Settings
from kefu.calls.attempt import Attempt, Dialing, Fork, Stage
from kefu.calls import control
from kefu.calls.errors import ControlError, Kind, Refused
from kefu.calls.call import Call, CallState, Disposition
from kefu.calls.destinations import RINGING_KINDS, Destination, hand_on
from kefu.calls.dialplan import CONFERENCE_PREFIX, PROMPT_TEST_CODE, DialPlan, Route
from kefu.calls.room import Member, Mode, Room
from kefu.calls import recording
from kefu.calls.recording import Facts, NotNow, Segment
from kefu.media.moh import load_moh
from kefu.media.tap import Tap
from kefu.media import (DTMF_PT, MediaEngine, MediaError, Negotiated, Player, Recorder,
                        RtpLeg, SdpError, build_sdp, negotiate, offer_formats, parse_sdp)
from kefu.sip.leg import SipLeg
from kefu.sip.server import SipServer

log = logging.getLogger(__name__)

TRUNK_NO_RESPONSE = 5.0            # seconds without any answer before the next trunk
INFO_DTMF_MS = (60, 1000, 100)     # a SIP INFO key's relayed length: min, max, default
# the recording beep ([recording] beep_every): 200 ms of 1400 Hz, quiet
BEEP = (3000 * np.sin(2 * np.pi * 1400 * np.arange(1600) / 8000)).astype(np.int16)

# What a destination's final failure means for the caller and the CDR.
FAILURES: dict[int, tuple[int, str, Disposition]] = {
    486: (486, "Busy Here", Disposition.BUSY),
    600: (486, "Busy Here", Disposition.BUSY),
    603: (603, "Decline", Disposition.BUSY),
    404: (404, "Not Found", Disposition.NOT_FOUND),
    403: (403, "Forbidden", Disposition.FAILED),
    480: (480, "Temporarily Unavailable", Disposition.UNAVAILABLE),
    408: (480, "No Answer", Disposition.NO_ANSWER),
    487: (487, "Request Terminated", Disposition.CANCELLED),
}


def failure(code: int, reason: str) -> tuple[int, str, Disposition]:
    return FAILURES.get(code, (code if 400 <= code < 700 else 500, reason, Disposition.FAILED))


class Switch:
    def __init__(self, settings: Settings, sip: SipServer, media: MediaEngine, bus: Bus,
                 dialplan: DialPlan) -> None:
        self.settings = settings
        self.sip = sip
        self.media = media
        self.bus = bus
        self.dialplan = dialplan
        self.calls: dict[str, Call] = {}
        self.conferences: dict[str, Room] = {}
        self.moh: Any = None                       # shared music-on-hold source
        self._by_leg: dict[SipLeg, Call] = {}
        self._sdp_session = random.randint(1, 2**31)
        self._tasks: set[asyncio.Task] = set()
        self.dialing = Dialing(media, self._offer_sdp, self._new_out_leg)
        # route kind → the handler that takes such calls (see register); other kinds ring
        self.destinations: dict[str, Destination] = {"prompt": self._host_prompt,
                                                     "conference": self._host_conference}
        self.lines: dict[str, Member] = {}         # number → its persistent line's member
        self.speak: Callable[[str], Path] | None = None   # text → a WAV (the app's TTS)
        self.announcement: Path | None = None      # played when recording starts
        self._closing: dict[str, set[asyncio.Task]] = {}   # call id → segments being closed
        self._beepers: dict[Recorder, asyncio.Task] = {}   # [recording] beep_every timers

    def register(self, kind: str, handler: Destination) -> None:
        """Let ``handler`` take every call routed to ``kind`` (the ACD: ``queue``)."""
        if kind in RINGING_KINDS or kind in self.destinations:
            raise ValueError(f"route kind {kind!r} already has a destination")
        self.destinations[kind] = handler

    async def start(self) -> None:
        """Start the shared music-on-hold player; have the recording notice ready."""
        self.moh = self.music(self.settings.media.moh_file or None)
        self.announcement = await asyncio.get_running_loop().run_in_executor(
            None, self._resolve_announcement)

    def music(self, file: str | None) -> Any:
        """A looped music source rooms can mix in (``file``; None: the built-in tune)."""
        return self.media.play_samples(None, load_moh(file), loop=True)

    def play_prompt(self, call: Call, path: Path) -> Player:
        """Play ``path`` to the call's caller (kefu answered it); ``done`` is set at its end."""
        return self.media.play(call.a_rtp, path)

    def record_caller(self, call: Call, path: Path) -> Recorder:
        """Record what the caller sends (in both channels: a mono player hears it at full
        level) to ``path``, apart from the call's own recording; the caller closes it."""
        if call.a_rtp is None:
            raise MediaError(f"call {call.id} has no media to record")
        path.parent.mkdir(parents=True, exist_ok=True)
        return self.media.record(path, left=[call.a_rtp], right=[call.a_rtp])

    def listen(self, call: Call, on_frame: Callable[[np.ndarray], None]) -> Tap:
        """Hand what the caller sends to ``on_frame``, 20 ms at a time (speech input)."""
        if call.a_rtp is None:
            raise ControlError(f"call {call.id} has no audio of its caller yet", Kind.CONFLICT)
        return self.media.tap([call.a_rtp], on_frame)

    # --- status -----------------------------------------------------------------------------
    def active_calls(self) -> int:
        return sum(1 for c in self.calls.values() if not c.ended)

    def busy(self, number: str, exclude: Call | None = None) -> bool:
        """True when ``number`` already takes part in a call (no call waiting yet)."""
        return any(c is not exclude and c.involves(number) for c in self.calls.values())

    def is_extension(self, number: str) -> bool:
        """True when ``number`` is one of kefu's extensions."""
        return bool(self.dialplan.is_extension(number))

    def call_of(self, leg: SipLeg) -> Call | None:
        return self._by_leg.get(leg)

    # --- CallHandler ------------------------------------------------------------------------
    def incoming(self, leg: SipLeg) -> None:
        call = Call(caller=leg.caller, callee=leg.callee, caller_name=leg.caller_name, a=leg)
        leg.listener = self
        self.calls[call.id] = call
        self._by_leg[leg] = call
        self.publish(call, "call.started", caller=call.caller, callee=call.callee,
                     caller_name=call.caller_name, trunk=getattr(leg, "trunk", None))
        self.spawn(self._route(call))

    async def _route(self, call: Call) -> None:
        assert call.a is not None
        try:
            offer = negotiate(parse_sdp(call.a.remote_sdp or ""))
        except SdpError as exc:
            log.warning("call %s: unusable SDP from %s: %s", call.id, call.caller, exc)
            return await self.fail(call, 488, "Not Acceptable Here", Disposition.FAILED)
        call.a_offer = offer
        route = self._incoming_route(call)
        take = self.destinations.get(route.kind)
        if take is not None:
            return await take(call, route)
        await self._ring(call, route, offer)

    def _incoming_route(self, call: Call) -> Route:
        """The codes a phone dials (test prompt, conference rooms), else the dial plan."""
        callee, trunk = call.callee, getattr(call.a, "trunk", None)
        if callee == PROMPT_TEST_CODE and not trunk:
            return Route(kind="prompt")
        if callee.startswith(CONFERENCE_PREFIX) and callee[2:].isdigit():
            return Route(kind="conference", room=callee[2:])
        return self._route_for(call.caller, callee, trunk)

    async def _ring(self, call: Call, route: Route, offer: Negotiated) -> None:
        """Ring the extension or trunks ``route`` names, or refuse the call as it says."""
        try:
            number, stages, ring_timeout = self.destination(
                call.caller, call.callee, trunk=getattr(call.a, "trunk", None), exclude=call,
                route=route)
        except Refused as exc:
            code, reason, disposition = failure(exc.code, exc.reason)
            return await self.fail(call, code, reason, disposition)
        call.a_rtp = await self._open_rtp(call, offer)
        if call.ended:
            return await self._release_media(call)
        call.transition(CallState.RINGING)
        self.reach(call, number, stages, ring_timeout, caller_id=call.caller,
                   on_answer=self._callee_answered, on_fail=self._callee_failed)

    def originate(self, first: str, second: str, caller_id: str | None = None,
                  data: dict | None = None,
                  on_first: Callable[[Call], None] | None = None,
                  on_first_failed: Callable[[Call, int, str], None] | None = None,
                  member: Member | None = None,
                  on_second_failed: Callable[[Call, int, str], None] | None = None,
                  on_second: Callable[[Call], None] | None = None) -> Call:
        """A call kefu places itself: ring ``first`` (an agent's phone: click-to-call, a
        queue callback), showing ``second``; once it answers, reach ``second``, showing
        ``caller_id`` (default ``first``).

        ``first`` becomes the call's caller (``call.a``) and hears music while ``second``
        rings.  ``member``: ``first`` is an agent already on a persistent line (its
        session's member), so nothing rings it.  Raises :class:`Refused` when ``first``
        cannot be reached at all.  ``on_second_failed(call, code, reason)``: ``second`` was
        not reached (the call then ends); ``on_second(call)``: it answered.
        """
        if member is None:
            number, stages, timeout = self.destination(first, first)
        call = Call(caller=first, callee=second, data=dict(data or {}))
        self.calls[call.id] = call
        self.publish(call, "call.started", caller=first, callee=second, caller_name="",
                     trunk=None, originated=True)

        def first_answered(call: Call, attempt: Attempt | None, fork: Fork | None,
                           answer: Negotiated | None) -> None:
            if call.ended:
                if fork is not None:
                    self.drop_fork(fork)
                return
            if fork is not None:
                first_member = Member(first, "caller", fork.sip, fork.rtp)
                call.a_offer = answer
            else:
                assert member is not None
                self.detach_from_home(member)
                member.role = "caller"
                first_member = member
            call.a, call.a_rtp = first_member.sip, first_member.rtp
            call.transition(CallState.RINGING)
            call.room.waiting = True
            self.join(call, first_member, quiet=True)
            if on_first is not None:
                on_first(call)
            try:
                dest, stages2, timeout2 = self.destination(first, second, exclude=call)
            except Refused as exc:
                code, _, disposition = failure(exc.code, exc.reason)
                if on_second_failed is not None:
                    on_second_failed(call, code, exc.reason)
                self.spawn(self.end(call, disposition, "system", code))
                return
            self.reach(call, dest, stages2, timeout2, caller_id or first,
                       on_answer=second_answered, on_fail=second_failed)

        def first_failed(call: Call, attempt: Attempt, code: int, reason: str) -> None:
            if on_first_failed is not None:
                on_first_failed(call, code, reason)
            self.spawn(self.end(call, failure(code, reason)[2], "caller", code))

        def second_answered(call: Call, attempt: Attempt, fork: Fork,
                            answer: Negotiated) -> None:
            if call.state is not CallState.RINGING:
                self.drop_fork(fork)
                return
            self.connect_callee(call, attempt, fork)
            if on_second is not None:
                on_second(call)

        def second_failed(call: Call, attempt: Attempt, code: int, reason: str) -> None:
            if on_second_failed is not None:
                on_second_failed(call, code, reason)
            self.spawn(self.end(call, failure(code, reason)[2], "callee", code))

        if member is not None:
            first_answered(call, None, None, None)
        else:
            self.reach(call, number, stages, timeout, caller_id=second,
                       on_answer=first_answered, on_fail=first_failed)
        return call

    def open_session(self, number: str, on_open: Callable[[Call, Member], None],
                     on_fail: Callable[[int, str], None]) -> Call:
        """A persistent line (常连接) to ``number``, an agent's phone: rung once at log-in,
        then kept open; calls take the agent's member and give it back when they end
        (``Member.home``), so an answered call is connected at once."""
        dest, stages, timeout = self.destination(number, number)
        session = self._session(number)

        def answered(call: Call, attempt: Attempt, fork: Fork, answer: Negotiated) -> None:
            if call.ended:
                self.drop_fork(fork)
                return
            call.a_offer = answer
            on_open(call, self._line_up(call, number, fork.sip, fork.rtp))

        def failed(call: Call, attempt: Attempt, code: int, reason: str) -> None:
            on_fail(code, reason)
            self.spawn(self.end(call, failure(code, reason)[2], "callee", code))

        self.reach(session, dest, stages, timeout, caller_id="kefu", on_answer=answered,
                   on_fail=failed)
        return session

    def open_line(self, number: str, party: Any, rtp: RtpLeg) -> tuple[Call, Member]:
        """A persistent line whose media already exists: a browser's WebRTC session
        (``party`` hangs it up; its ``rtp`` is the engine leg standing for the browser)."""
        session = self._session(number, webrtc=True)
        return session, self._line_up(session, number, party, rtp)

    def _session(self, number: str, **extra: Any) -> Call:
        """The call a persistent line lives in, from kefu to ``number``."""
        session = Call(caller="kefu", callee=number, line=True)
        self.calls[session.id] = session
        self.publish(session, "call.started", caller="kefu", callee=number, caller_name="",
                     trunk=None, session=True, **extra)
        return session

    def _line_up(self, session: Call, number: str, party: Any, rtp: RtpLeg) -> Member:
        session.a, session.a_rtp = party, rtp
        session.transition(CallState.HOSTED)
        member = Member(number, "line", party, rtp, home=session)
        self.join(session, member, quiet=True)
        self.lines[number] = member
        self.publish(session, "call.answered", callee=number)
        return member

    def line_lost(self, member: Member) -> None:
        """A persistent line's media went away but its owner may come back (a browser
        reloading): the member stays where it is, absent (not heard; whoever is left
        alone hears music), until :meth:`rebind_line` or the session's end."""
        member.absent = True
        call = self._by_leg.get(member.sip)
        if call is not None and not call.ended:
            self.remix(call)

    def rebind_line(self, member: Member, party: Any, rtp: RtpLeg) -> Call | None:
        """Give a persistent-line member a new dialog and media leg (the browser's new
        line after a reload): it stays in the call it is in (its session, or a call it
        answered), heard and hearing again; the old leg is closed.  Returns that call."""
        old_sip, old_rtp = member.sip, member.rtp
        call = self._by_leg.pop(old_sip, None)
        home = member.home
        if home is not None and home.a is old_sip:
            home.a, home.a_rtp = party, rtp
        member.sip, member.rtp, member.absent = party, rtp, False
        if old_rtp is not rtp:
            self.spawn(self.media.close_leg(old_rtp))
        if call is None or call.ended:
            return None
        self._by_leg[party] = call
        rtp.on_dtmf = lambda digit, m=member: self._dtmf(
            call, m, digit, relay=m.rtp.dtmf_pt is not None)
        self.remix(call)
        return call

    def idle_line(self, number: str) -> Member | None:
        """``number``'s persistent line, when it is open and not in a call."""
        member = self.lines.get(number)
        home = member.home if member is not None else None
        if home is None or home.ended or member not in home.room.members:
            return None
        return member

    def detach_from_home(self, member: Member) -> None:
        """Take a persistent-line member out of its idle session (to join a call)."""
        home = member.home
        if home is not None and member in home.room.members:
            home.remove(member)
            self.remix(home)

    def destination(self, caller: str, dialed: str, trunk: str | None = None,
                    exclude: Call | None = None, route: Route | None = None
                    ) -> tuple[str, list[Stage], float]:
        """Where ``dialed`` leads: (number, stages of dialers, ring timeout), or Refused."""
        route = route or self._route_for(caller, dialed, trunk)
        kind = route.kind
        if kind == "refuse":
            raise Refused(route.code, route.reason, dialed)
        if kind == "extension":
            number = route.extension
            bindings = self.sip.locations.lookup(number)
            if not bindings:
                raise Refused(480, "Temporarily Unavailable (not registered)", dialed)
            if self.busy(number, exclude):
                raise Refused(486, "Busy Here", dialed)
            dialers = [self._contact_dialer(b) for b in bindings]
            return number, [Stage(dialers)], self.settings.sip.ring_timeout
        if kind == "trunk":
            stages = [Stage([self._trunk_dialer(t)], no_response_timeout=TRUNK_NO_RESPONSE)
                      for t in route.targets]
            return dialed, stages, self.settings.sip.ring_timeout
        raise Refused(404, f"Not Found (a {kind})", dialed)

    def handler(self, route: Route) -> Destination | None:
        """Who takes calls routed like ``route`` (see :meth:`register`); None: rung."""
        return self.destinations.get(route.kind)

    def route(self, caller: str, dialed: str) -> Route:
        """The dial plan's answer for ``dialed`` (queues included)."""
        return self._route_for(caller, dialed, None)

    def _route_for(self, caller: str, dialed: str, trunk: str | None) -> Route:
        if trunk:
            return self.dialplan.inbound(trunk, dialed)
        return self.dialplan.outbound(caller, dialed)

    def _contact_dialer(self, binding) -> Callable[[SipLeg, str], None]:
        return lambda leg, sdp: self.sip.dial(binding, leg, sdp)

    def _trunk_dialer(self, target) -> Callable[[SipLeg, str], None]:
        def dial(leg: SipLeg, sdp: str) -> None:
            leg.trunk = target.trunk
            self.sip.dial_trunk(target.trunk, target.number, target.caller_id or leg.caller,
                                leg, sdp)
        return dial

    def reach(self, call: Call, number: str, stages: list[Stage], ring_timeout: float,
              caller_id: str, on_answer: Callable[[Call, Attempt, Fork, Negotiated], None],
              on_fail: Callable[[Call, Attempt, int, str], None],
              headers: tuple[tuple[str, str], ...] = ()) -> Attempt:
        """Start reaching ``number`` for ``call``; the callbacks get the outcome."""
        def answered(attempt: Attempt, fork: Fork, sdp: str | None) -> None:
            self._by_leg[fork.sip] = call
            try:
                answer = negotiate(parse_sdp(sdp or ""))
                fork.rtp.configure(answer.remote_host, answer.remote_port, answer.codec_name,
                                   answer.payload_type, answer.dtmf_pt)
            except Exception as exc:
                log.warning("call %s: %s answered with unusable SDP: %s", call.id, number, exc)
                self.drop_fork(fork)
                return on_fail(call, attempt, 488, "Not Acceptable Here")
            on_answer(call, attempt, fork, answer)

        attempt = Attempt(number=number, stages=stages, ring_timeout=ring_timeout,
                          on_ringing=lambda a: self._attempt_ringing(call, a),
                          on_answer=answered,
                          on_fail=lambda a, code, reason: on_fail(call, a, code, reason),
                          caller_id=caller_id,
                          caller_name=call.caller_name if caller_id == call.caller else "",
                          headers=headers)
        call.attempts.append(attempt)
        self.spawn(self.dialing.start(attempt))
        return attempt

    def _new_out_leg(self, attempt: Attempt) -> SipLeg:
        leg = SipLeg(self.sip.thread, "out", caller=attempt.caller_id, callee=attempt.number,
                     caller_name=attempt.caller_name, headers=attempt.headers)
        leg.listener = self
        return leg

    def _offer_sdp(self, rtp: RtpLeg) -> str:
        return build_sdp(self.settings.rtp.host, rtp.local_port, offer_formats(), DTMF_PT,
                         self._sdp_session, 1)

    async def _open_rtp(self, call: Call, offer: Negotiated) -> RtpLeg:
        rtp = await self.media.open_leg(f"{call.id}-a")
        rtp.configure(offer.remote_host, offer.remote_port, offer.codec_name,
                      offer.payload_type, offer.dtmf_pt)
        return rtp

    def answer_sdp(self, rtp: RtpLeg, offer: Negotiated) -> str:
        return build_sdp(self.settings.rtp.host, rtp.local_port, offer.formats, offer.dtmf_pt,
                         self._sdp_session, 1, offer.answer_direction)

    # --- the callee of a new call ---------------------------------------------------------
    def _attempt_ringing(self, call: Call, attempt: Attempt) -> None:
        if call.state is CallState.RINGING and not call.ringing_sent and attempt is call.attempts[0]:
            call.ringing_sent = True
            call.a.ring()
            self.publish(call, "call.ringing")

    def _callee_answered(self, call: Call, attempt: Attempt, fork: Fork,
                         answer: Negotiated) -> None:
        if call.state is not CallState.RINGING:
            self.drop_fork(fork)
            return
        call.a.answer(self.answer_sdp(call.a_rtp, call.a_offer))
        self.join(call, Member(call.caller, "caller", call.a, call.a_rtp))
        self.connect_callee(call, attempt, fork)

    def connect_callee(self, call: Call, attempt: Attempt, fork: Fork) -> None:
        """The destination of a ringing call answered: it joins, the call is connected."""
        call.transition(CallState.CONNECTED)
        call.room.waiting = False
        self.join(call, Member(attempt.number, "callee", fork.sip, fork.rtp), quiet=True)
        self.start_recording(call)
        self.publish(call, "call.answered", callee=attempt.number)

    def cancel(self, attempt: Attempt) -> None:
        """Stop reaching (CANCEL every fork still ringing); its ``on_fail`` is not called."""
        self.dialing.cancel(attempt)

    def drop_fork(self, fork: Fork) -> None:
        """An answered leg nobody wants any more (the call ended, another fork won)."""
        fork.sip.hangup()
        self.spawn(self.media.close_leg(fork.rtp))

    # --- recording (the rules: kefu.calls.recording) -----------------------------------------
    def start_recording(self, call: Call, by: str | None = None) -> None:
        """Start a segment: ``by`` None: the policy decides (at connect to the party that
        answers: callee, agent, transfer target; a call not recorded publishes
        ``call.recording_skipped`` naming the rule); ``by``: on demand, raising
        :class:`NotNow` while recording or when a rule said never.  The caller left,
        everyone else right."""
        if call.ended or call.recorder is not None:
            if by is not None:
                raise NotNow("the call is already being recorded")
            return
        if by is None:
            record, policy = recording.decide(self.settings.recording, self._facts(call))
            call.record_refused = None if record or policy in (
                recording.DEFAULT, recording.DISABLED) else policy
            if not record:
                self.publish(call, "call.recording_skipped", policy=policy,
                             segment=call.segments + 1)
                return
        elif call.record_refused:
            raise NotNow(f"the recording policy {call.record_refused!r} says never for this call")
        else:
            policy = recording.ON_DEMAND
        call.segments += 1
        segment = Segment(call.segments, policy, self._journey(call))
        call.recorder = self.media.record(self._recording_path(call, segment.number),
                                          left=[], right=[])
        call.segment = segment
        # where it goes, for a restart after a crash (call.recording comes at its end)
        self.publish(call, "call.recording_started", path=str(call.recorder.path),
                     segment=segment.number, policy=policy, linked_to=segment.linked_to,
                     agent=self._agent(call), by=by,
                     parties=[m.number for m in call.room.parties if m.sip is not call.a])
        self.remix(call)
        self._announce(call)
        every = self.settings.recording.beep_every
        if every:
            self._beepers[call.recorder] = asyncio.ensure_future(
                self._beeping(call, call.recorder, every))

    def end_segment(self, call: Call) -> None:
        """A transfer: the segment being recorded ends here (closed in the background);
        the next starts when the new party is connected (:meth:`start_recording`)."""
        rec, segment = self._detach_segment(call)
        if rec is not None and segment is not None:
            task = asyncio.ensure_future(self._close(call, rec, segment))
            self._closing.setdefault(call.id, set()).add(task)
            task.add_done_callback(lambda t: self._segment_closed(call.id, t))

    def _segment_closed(self, call_id: str, task: asyncio.Task) -> None:
        tasks = self._closing.get(call_id)
        if tasks is not None:
            tasks.discard(task)
            if not tasks:
                del self._closing[call_id]
        self._task_done(task)

    async def stop_recording(self, call: Call, by: str | None = None) -> None:
        """Close the segment being recorded (on demand: :class:`NotNow` when none is)."""
        if call.recorder is None:
            if by is not None:
                raise NotNow("the call is not being recorded")
            return
        await self._close_segment(call, by)

    async def _close_segment(self, call: Call, by: str | None = None) -> None:
        rec, segment = self._detach_segment(call)
        if rec is not None and segment is not None:
            await self._close(call, rec, segment, by)

    def _detach_segment(self, call: Call) -> tuple[Recorder | None, Segment | None]:
        """Take the segment off the call at once: the next one may start now."""
        rec, segment = call.recorder, call.segment
        call.recorder, call.segment = None, None
        beeper = self._beepers.pop(rec, None) if rec is not None else None
        if beeper is not None:
            beeper.cancel()
        return rec, segment

    async def _close(self, call: Call, rec: Recorder, segment: Segment,
                     by: str | None = None) -> None:
        duration = await rec.close()
        self.publish(call, "call.recording", path=str(rec.path), duration=duration,
                     segment=segment.number, paused=segment.spans(duration), by=by)

    def pause_recording(self, call: Call, by: str) -> None:
        """Silence in the file from now (its clock runs on); NotNow when not recording
        or already paused."""
        rec, segment = self._recording(call)
        at = round(rec.duration, 3)
        segment.pause(at)
        rec.paused = True
        self.publish(call, "call.recording_paused", segment=segment.number, at=at, by=by)

    def resume_recording(self, call: Call, by: str) -> None:
        rec, segment = self._recording(call)
        _, at = segment.resume(round(rec.duration, 3))
        rec.paused = False
        self.publish(call, "call.recording_resumed", segment=segment.number, at=at, by=by)

    @staticmethod
    def _recording(call: Call) -> tuple[Recorder, Segment]:
        """The segment being recorded (NotNow when none is)."""
        if call.recorder is None or call.segment is None:
            raise NotNow("the call is not being recorded")
        return call.recorder, call.segment

    def _facts(self, call: Call) -> Facts:
        inbound = getattr(call.a, "trunk", None)
        outbound = next((t for m in call.room.parties if m.sip is not call.a
                         for t in [getattr(m.sip, "trunk", None)] if t), None)
        return Facts(caller=call.caller, callee=call.callee,
                     direction=recording.direction(inbound, outbound),
                     trunk=inbound or outbound, agent=self._agent(call), queue=call.queue)

    @staticmethod
    def _agent(call: Call) -> str | None:
        """The ACD's agent while its member is in the call (not after it transferred)."""
        return call.agent if any(m.role == "agent" for m in call.room.parties) else None

    def _journey(self, call: Call) -> str | None:
        """The customer's call this one consults for: another live call one of its
        parties is in (an agent holding its customer while it calls a colleague)."""
        numbers = {m.number for m in call.room.parties}
        for other in self.calls.values():
            if (other is not call and not other.ended and not other.line
                    and other.conference is None and other.state is CallState.CONNECTED
                    and any(m.number in numbers for m in other.room.parties)):
                return other.segment.linked_to if other.segment and other.segment.linked_to \
                    else other.id
        return None

    def _announce(self, call: Call) -> None:
        """The notice (``[recording] announce``), once per call, to every party."""
        if self.announcement is None or call.announced:
            return
        call.announced = True
        for m in call.room.parties:
            try:
                self.media.play(m.rtp, self.announcement)
            except MediaError as exc:
                log.warning("call %s: cannot announce the recording: %s", call.id, exc)

    async def _beeping(self, call: Call, rec: Recorder, every: float) -> None:
        """Every ``every`` seconds a short tone, heard by every party and in the file
        (a beep while paused is left out: the span stays silence)."""
        while True:
            await asyncio.sleep(every)
            if rec.closed or call.recorder is not rec:
                return
            if rec.paused:
                continue
            rec.beep(BEEP)
            for m in call.room.parties:
                try:
                    self.media.play_samples(m.rtp, BEEP)
                except MediaError:
                    pass   # a party leaving as it beeps

    def _resolve_announcement(self) -> Path | None:
        """``[recording] announce``: a WAV (under data_dir/prompts unless absolute), or
        text spoken by :attr:`speak`; None when there is none or it cannot be had."""
        text = self.settings.recording.announce.strip()
        if not text:
            return None
        if text.lower().endswith(".wav"):
            path = Path(text)
            path = path if path.is_absolute() else Path(self.settings.data_dir) / "prompts" / path
            if path.is_file():
                return path
            log.warning("recording announcement %s does not exist: none is played", path)
            return None
        if self.speak is None:
            log.warning("no text-to-speech for the recording announcement: none is played")
            return None
        try:
            return self.speak(text)
        except Exception as exc:
            log.warning("cannot speak the recording announcement: %s", exc)
            return None

    def _callee_failed(self, call: Call, attempt: Attempt, code: int, reason: str) -> None:
        if call.ended or call.state is not CallState.RINGING:
            return
        out_code, out_reason, disposition = failure(code, reason)
        self.spawn(self.fail(call, out_code, out_reason, disposition, hangup_by="callee"))

    # --- rooms ------------------------------------------------------------------------------
    def join(self, call: Call, member: Member, quiet: bool = False) -> None:
        """Add a member to the call's room and route its media."""
        self._by_leg[member.sip] = call
        # digits from the media leg are relayed when they came as RFC 4733 events; in-band
        # ones already travel in the audio
        member.rtp.on_dtmf = lambda digit, m=member: self._dtmf(
            call, m, digit, relay=m.rtp.dtmf_pt is not None)
        call.room.add(member)
        self.remix(call)
        if not quiet:
            self.publish(call, "call.member_joined", **member.describe())

    def leave(self, call: Call, member: Member) -> None:
        call.remove(member)
        self._by_leg.pop(member.sip, None)
        self.spawn(self.media.close_leg(member.rtp))
        self.publish(call, "call.member_left", number=member.number, role=member.role)
        self.remix(call)

    def remix(self, call: Call) -> None:
        """Re-apply the room's matrix and point the recorder at who is there now."""
        call.room.apply(self.media, call.room.moh or self.moh)
        if call.recorder is not None:
            parties = [m for m in call.room.parties if not m.absent]
            left = [m.rtp for m in parties if m.sip is call.a]
            right = [m.rtp for m in parties if m.sip is not call.a]
            self.media.set_recording_sources(call.recorder, left, right)

    # --- LegListener ------------------------------------------------------------------------
    def leg_ringing(self, leg: SipLeg) -> None:
        if self.dialing.owns(leg):
            self.dialing.ringing(leg)

    def leg_answered(self, leg: SipLeg, sdp: str | None) -> None:
        if self.dialing.owns(leg):
            self.dialing.answered(leg, sdp)

    def leg_failed(self, leg: SipLeg, code: int, reason: str) -> None:
        if self.dialing.owns(leg):
            self.dialing.failed(leg, code, reason)

    def leg_ended(self, leg: SipLeg) -> None:
        if self.dialing.owns(leg):  # a fork that was answered and hung up at once
            self.dialing.failed(leg, 487, "Ended")
            return
        call = self._by_leg.get(leg)
        if call is None or call.ended:
            return
        member = call.room.member_of(leg)
        if member is None and leg is call.a:  # CANCEL before answer
            return self.spawn(self.end(call, Disposition.CANCELLED, "caller", 487))
        if member is not None:
            self.party_left(call, member, by="caller" if leg is call.a else "callee")

    def party_left(self, call: Call, member: Member, by: str) -> None:
        """A member's dialog is gone; the call ends when it no longer holds a conversation."""
        self.leave(call, member)
        if member.home is not None and member.home is not call:   # its session is gone too
            self.spawn(self.end(member.home, Disposition.ANSWERED, by, 200))
        self.settle(call, member, by)

    def dismiss(self, call: Call, member: Member, sip_done: bool = False) -> None:
        """Take ``member`` out of ``call``: an agent on a persistent line goes back to its
        session, anyone else is hung up (unless its dialog is already gone)."""
        if member.home is not None and member.home is not call:
            self.detach(call, member)
            return
        if not sip_done:
            member.sip.hangup()
        self.leave(call, member)

    def detach(self, call: Call, member: Member) -> None:
        """Move a persistent-line member back to its session call, dialog and media intact."""
        call.remove(member)
        self.publish(call, "call.member_left", number=member.number, role=member.role)
        self.remix(call)
        home = member.home
        member.holding, member.mode, member.whisper_to = False, Mode.TALK, None
        member.held, member.role = False, "line"
        self._by_leg[member.sip] = home
        home.room.add(member)
        self.remix(home)

    def settle(self, call: Call, member: Member, by: str) -> None:
        """After ``member`` left: end the call if it no longer holds a conversation."""
        if member.sip is call.a and call.state in (CallState.HOSTED, CallState.QUEUED,
                                                   CallState.RINGING):
            # the caller left a prompt, a queue, or a call still reaching its callee
            disposition = {CallState.QUEUED: Disposition.ABANDONED,
                           CallState.RINGING: Disposition.CANCELLED}.get(call.state,
                                                                         Disposition.ANSWERED)
            self.spawn(self.end(call, disposition, by, 200))
            return
        if call.state is CallState.HOSTED:
            return
        if not call.goes_on() and not hand_on(self, call, member):
            self.spawn(self.end(call, Disposition.ANSWERED, by, 200))

    def leg_updated(self, leg: SipLeg, sdp: str | None) -> None:
        """A re-INVITE: follow the new media address and hold/resume, answer in kind."""
        call = self._by_leg.get(leg)
        member = call.room.member_of(leg) if call else None
        try:
            offer = negotiate(parse_sdp(sdp or ""))
        except SdpError as exc:
            log.warning("re-INVITE with unusable SDP: %s", exc)
            if leg.local_sdp:
                leg.answer(leg.local_sdp)
            return
        if member is None:
            if leg.local_sdp:
                leg.answer(leg.local_sdp)
            return
        if offer.direction != "inactive" and offer.remote_host not in ("0.0.0.0", ""):
            member.rtp.configure(offer.remote_host, offer.remote_port, offer.codec_name,
                                 offer.payload_type, offer.dtmf_pt)
        leg.answer(self.answer_sdp(member.rtp, offer))
        holding = offer.direction in ("sendonly", "inactive")
        if holding != member.holding:
            control.set_hold(self, call, member, holding)

    def leg_referred(self, leg: SipLeg, target: str, replaces: str | None) -> None:
        """A phone transferred its call (REFER); sippy already accepted it and hung up."""
        call = self._by_leg.get(leg)
        member = call.room.member_of(leg) if call else None
        if call is None or member is None:
            return
        if replaces:
            other = self.call_by_dialog(replaces)
            if other is not None:
                self.spawn(control.transfer_attended(self, call, member, other, sip_done=True))
                return
            log.warning("call %s: REFER with Replaces of an unknown dialog", call.id)
        self.spawn(control.transfer_blind(self, call, member, target, sip_done=True))

    def leg_dtmf(self, leg: SipLeg, digit: str, duration_ms: int | None) -> None:
        """A key pressed on a phone that sends DTMF as SIP INFO: the same digit event as
        RFC 4733 or in-band DTMF, relayed to the others (the audio does not carry it)."""
        call = self._by_leg.get(leg)
        member = call.room.member_of(leg) if call else None
        if call is None or member is None or call.ended:
            log.info("INFO DTMF %r on %r, no party of a call: ignored", digit, leg)
            return
        low, high, default = INFO_DTMF_MS
        self._dtmf(call, member, digit, relay=True,
                   duration_ms=min(max(duration_ms or default, low), high))

    def call_by_dialog(self, call_id: str) -> Call | None:
        for leg, call in self._by_leg.items():
            if leg.dialog_id() == call_id and not call.ended:
                return call
        return None

    # --- endings ----------------------------------------------------------------------------
    async def fail(self, call: Call, code: int, reason: str, disposition: Disposition,
                   hangup_by: str = "system") -> None:
        if call.ended:
            return
        if call.a is not None:
            call.a.reject(code, reason)
        await self.end(call, disposition, hangup_by, code)

    async def end(self, call: Call, disposition: Disposition, hangup_by: str,
                  sip_code: int) -> None:
        if call.ended:
            return
        call.transition(CallState.ENDED)
        for attempt in call.attempts:
            self.cancel(attempt)
        for member in [m for m in call.room.members if m.home is not None and m.home is not call]:
            self.detach(call, member)          # agents on persistent lines go back home
        if call.a is not None and self._by_leg.get(call.a, call) is call:   # not taken over
            call.a.hangup()
        if call.conference is None:
            for member in list(call.room.members):
                member.sip.hangup()
        await self._close_segment(call)
        # a segment a transfer ended is reported before the call's end
        await asyncio.gather(*self._closing.get(call.id, ()), return_exceptions=True)
        await self._release_media(call)
        for number, line in list(self.lines.items()):
            if line.home is call:
                del self.lines[number]
        self.publish(call, "call.ended", disposition=disposition.value, hangup_by=hangup_by,
                     sip_code=sip_code)
        self.calls.pop(call.id, None)
        for leg in [leg for leg, c in self._by_leg.items() if c is call]:
            self._by_leg.pop(leg, None)

    async def _release_media(self, call: Call) -> None:
        shared = self.conferences.get(call.conference) if call.conference else None
        moved = self._by_leg.get(call.a, call) is not call   # the caller joined another call
        legs = {None if moved else call.a_rtp} | {m.rtp for m in call.room.members
                                                  if shared is None or m.sip is call.a}
        if shared is not None:
            for m in [m for m in shared.members if m.sip is call.a]:
                shared.remove(m)
            shared.apply(self.media, self.moh)
            if not shared.members:
                self.conferences.pop(call.conference, None)
        call.a_rtp = None
        for rtp in legs:
            if rtp is not None:
                await self.media.close_leg(rtp)

    # --- calls kefu answers itself ------------------------------------------------------------
    async def answer_hosted(self, call: Call, state: CallState = CallState.HOSTED) -> None:
        """kefu answers the caller itself (a prompt, a conference room, a queue)."""
        call.a_rtp = await self._open_rtp(call, call.a_offer)
        call.transition(state)
        call.a.answer(self.answer_sdp(call.a_rtp, call.a_offer))
        self.publish(call, "call.answered")

    async def _host_prompt(self, call: Call, route: Route) -> None:
        wav = Path(self.settings.data_dir) / "prompts" / "test.wav"
        if not wav.exists():
            return await self.fail(call, 404, "Not Found (no test prompt)", Disposition.NOT_FOUND)
        await self.answer_hosted(call)
        try:
            player = self.play_prompt(call, wav)
        except MediaError as exc:
            log.warning("call %s: %s", call.id, exc)
            return await self.end(call, Disposition.FAILED, "system", 500)
        await player.done.wait()
        await asyncio.sleep(0.2)
        await self.end(call, Disposition.ANSWERED, "system", 200)

    async def _host_conference(self, call: Call, route: Route) -> None:
        room = route.room
        await self.answer_hosted(call)
        call.room = self.conferences.setdefault(room, Room())
        call.conference = room
        self.join(call, Member(call.caller, "conference", call.a, call.a_rtp))

    # --- helpers ----------------------------------------------------------------------------
    def _dtmf(self, call: Call, member: Member, digit: str, relay: bool,
              duration_ms: int = 100) -> None:
        """``member`` pressed ``digit``: publish it, and (``relay``) in a connected call
        send it to the other parties, each as RFC 4733 events if it negotiated them, else
        in-band."""
        side = "caller" if member.sip is call.a else "callee"
        # as it was when pressed: the digit that ends a flow (connecting the caller) is
        # the flow's, not the agent's to hear
        connected = call.state is CallState.CONNECTED
        self.publish(call, "call.dtmf", digit=digit, leg=side, number=member.number)
        if not connected or not relay:
            return
        for other in call.room.parties:
            if other is not member:
                self.spawn(other.rtp.send_dtmf(digit, duration_ms))

    def _recording_path(self, call: Call, segment: int = 1) -> Path:
        day = datetime.now().strftime("%Y/%m/%d")
        name = call.id if segment == 1 else f"{call.id}-{segment}"
        path = self.settings.recordings_dir / day / f"{name}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def publish(self, call: Call, type_: str, **data) -> None:
        self.bus.publish(Event(type=type_, call_id=call.id, data=data, ts=time.time()))

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("call task failed", exc_info=task.exception())

    async def hangup_all(self) -> None:
        for call in list(self.calls.values()):
            await self.end(call, Disposition.ANSWERED if call.state is CallState.CONNECTED
                           else Disposition.FAILED, "system", 503)

