"""The switch: routes inbound legs to extensions as a B2BUA with anchored media.

It implements the SIP layer's ``CallHandler`` (new inbound legs) and ``LegListener``
(what every leg does next), owns the :class:`Call` state machines, sets the media
matrix (a two-party bridge), records, and publishes every state change on the bus.
Everything here runs on the asyncio loop.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from datetime import datetime
from pathlib import Path
from typing import Callable

from kefu.bus import Bus, Event
from kefu.config import Settings
from kefu.cti.call import Branch, Call, CallState, Disposition
from kefu.media import (DTMF_PT, MediaEngine, Negotiated, RtpLeg, SdpError, build_sdp,
                        negotiate, offer_formats, parse_sdp)
from kefu.sip.leg import SipLeg
from kefu.sip.server import SipServer

log = logging.getLogger(__name__)

PROMPT_TEST_CODE = "*97"           # answers and plays <data_dir>/prompts/test.wav

# What a callee's final failure means for the caller and the CDR.
FAILURES: dict[int, tuple[int, str, Disposition]] = {
    486: (486, "Busy Here", Disposition.BUSY),
    600: (486, "Busy Here", Disposition.BUSY),
    603: (603, "Decline", Disposition.BUSY),
    404: (404, "Not Found", Disposition.NOT_FOUND),
    480: (480, "Temporarily Unavailable", Disposition.UNAVAILABLE),
    408: (480, "No Answer", Disposition.NO_ANSWER),
    487: (487, "Request Terminated", Disposition.CANCELLED),
}


class Switch:
    def __init__(self, settings: Settings, sip: SipServer, media: MediaEngine, bus: Bus,
                 directory: Callable[[str], object | None]) -> None:
        self.settings = settings
        self.sip = sip
        self.media = media
        self.bus = bus
        self.directory = directory
        self.calls: dict[str, Call] = {}
        self._by_leg: dict[SipLeg, Call] = {}
        self._sdp_session = random.randint(1, 2**31)
        self._tasks: set[asyncio.Task] = set()

    # --- status -----------------------------------------------------------------------------
    def active_calls(self) -> int:
        return sum(1 for c in self.calls.values() if not c.ended)

    # --- CallHandler ------------------------------------------------------------------------
    def incoming(self, leg: SipLeg) -> None:
        call = Call(caller=leg.caller, callee=leg.callee, caller_name=leg.caller_name, a=leg)
        leg.listener = self
        self.calls[call.id] = call
        self._by_leg[leg] = call
        self._publish(call, "call.started", caller=call.caller, callee=call.callee,
                      caller_name=call.caller_name)
        self._spawn(self._route(call))

    async def _route(self, call: Call) -> None:
        assert call.a is not None
        try:
            offer = negotiate(parse_sdp(call.a.remote_sdp or ""))
        except SdpError as exc:
            log.warning("call %s: unusable SDP from %s: %s", call.id, call.caller, exc)
            return await self._fail(call, 488, "Not Acceptable Here", Disposition.FAILED)
        call.a_offer = offer
        if call.callee == PROMPT_TEST_CODE:
            return await self._prompt(call, offer)
        if self.directory(call.callee) is None:
            return await self._fail(call, 404, "Not Found", Disposition.NOT_FOUND)
        bindings = self.sip.locations.lookup(call.callee)
        if not bindings:
            return await self._fail(call, 480, "Temporarily Unavailable", Disposition.UNAVAILABLE)
        if self.busy_elsewhere(call):
            return await self._fail(call, 486, "Busy Here", Disposition.BUSY)
        call.a_rtp = await self._open_rtp(call, offer)
        if call.ended:
            return await self._release_media(call)
        for binding in bindings:
            rtp = await self.media.open_leg(f"{call.id}-b")
            leg = SipLeg(self.sip.thread, "out", caller=call.caller, callee=call.callee,
                         caller_name=call.caller_name)
            leg.listener = self
            self._by_leg[leg] = call
            call.branches.append(Branch(sip=leg, rtp=rtp))
            sdp = build_sdp(self.settings.rtp.host, rtp.local_port, offer_formats(), DTMF_PT,
                            self._sdp_session, 1)
            self.sip.dial(binding, leg, sdp)
        call.transition(CallState.RINGING)
        call.ring_timer = asyncio.get_running_loop().call_later(
            self.settings.sip.ring_timeout, self._ring_timeout, call)

    def busy_elsewhere(self, call: Call) -> bool:
        """True when the callee already takes part in another call (no call waiting yet)."""
        return any(c is not call and c.involves(call.callee) for c in self.calls.values())

    async def _open_rtp(self, call: Call, offer: Negotiated) -> RtpLeg:
        rtp = await self.media.open_leg(f"{call.id}-a")
        rtp.configure(offer.remote_host, offer.remote_port, offer.codec_name,
                      offer.payload_type, offer.dtmf_pt)
        rtp.on_dtmf = lambda digit: self._dtmf(call, "caller", digit)
        return rtp

    def _answer_sdp(self, rtp: RtpLeg, offer: Negotiated) -> str:
        return build_sdp(self.settings.rtp.host, rtp.local_port, offer.formats, offer.dtmf_pt,
                         self._sdp_session, 1, offer.answer_direction)

    # --- LegListener ------------------------------------------------------------------------
    def leg_ringing(self, leg: SipLeg) -> None:
        call = self._by_leg.get(leg)
        if call is None or call.state is not CallState.RINGING or call.ringing_sent:
            return
        call.ringing_sent = True
        call.a.ring()
        self._publish(call, "call.ringing")

    def leg_answered(self, leg: SipLeg, sdp: str | None) -> None:
        call = self._by_leg.get(leg)
        if call is None or leg is call.a:
            return
        branch = call.branch_of(leg)
        if branch is None:
            return
        if call.state is not CallState.RINGING:
            leg.hangup()  # a second fork answered late
            return
        try:
            answer = negotiate(parse_sdp(sdp or ""))
        except SdpError as exc:
            log.warning("call %s: callee answered with unusable SDP: %s", call.id, exc)
            leg.hangup()
            self._spawn(self._fail(call, 488, "Not Acceptable Here", Disposition.FAILED,
                                   hangup_by="callee"))
            return
        branch.answered = True
        call.b = branch
        branch.rtp.configure(answer.remote_host, answer.remote_port, answer.codec_name,
                             answer.payload_type, answer.dtmf_pt)
        branch.rtp.on_dtmf = lambda digit: self._dtmf(call, "callee", digit)
        self._cancel_ring_timer(call)
        for other in call.branches:
            if other is not branch:
                other.sip.hangup()
        call.transition(CallState.CONNECTED)
        call.a.answer(self._answer_sdp(call.a_rtp, call.a_offer))
        self.media.bridge(call.a_rtp, branch.rtp)
        if self.settings.recording.enabled:
            call.recorder = self.media.record(self._recording_path(call), left=[call.a_rtp],
                                              right=[branch.rtp])
        self._publish(call, "call.answered")
        self._spawn(self._drop_branches(call, keep=branch))

    def leg_failed(self, leg: SipLeg, code: int, reason: str) -> None:
        call = self._by_leg.get(leg)
        if call is None or call.ended:
            return
        if leg is call.a:
            return
        if call.state is not CallState.RINGING:
            return
        branch = call.branch_of(leg)
        if branch is None:
            return
        branch.sip.ended = True
        if all(b.sip.ended for b in call.branches):
            out_code, out_reason, disposition = FAILURES.get(
                code, (code if 400 <= code < 700 else 500, reason, Disposition.FAILED))
            self._spawn(self._fail(call, out_code, out_reason, disposition, hangup_by="callee"))

    def leg_ended(self, leg: SipLeg) -> None:
        call = self._by_leg.get(leg)
        if call is None or call.ended:
            return
        if leg is call.a:
            if call.state is CallState.CONNECTED or call.state is CallState.PROMPT:
                self._spawn(self._end(call, Disposition.ANSWERED, "caller", 200))
            else:  # CANCEL before answer
                self._spawn(self._end(call, Disposition.CANCELLED, "caller", 487))
            return
        if call.b is not None and leg is call.b.sip:
            self._spawn(self._end(call, Disposition.ANSWERED, "callee", 200))

    def leg_updated(self, leg: SipLeg, sdp: str | None) -> None:
        """A re-INVITE: keep the media where it is and answer with the same SDP."""
        if leg.local_sdp:
            leg.answer(leg.local_sdp)

    # --- endings ----------------------------------------------------------------------------
    def _ring_timeout(self, call: Call) -> None:
        call.ring_timer = None
        if call.state is CallState.RINGING:
            log.info("call %s: no answer within %.0f s", call.id, self.settings.sip.ring_timeout)
            self._spawn(self._fail(call, 480, "No Answer", Disposition.NO_ANSWER,
                                   hangup_by="system"))

    async def _fail(self, call: Call, code: int, reason: str, disposition: Disposition,
                    hangup_by: str = "system") -> None:
        if call.ended:
            return
        call.a.reject(code, reason)
        await self._end(call, disposition, hangup_by, code)

    async def _end(self, call: Call, disposition: Disposition, hangup_by: str,
                   sip_code: int) -> None:
        if call.ended:
            return
        call.transition(CallState.ENDED)
        self._cancel_ring_timer(call)
        call.a.hangup()
        for branch in call.branches:
            branch.sip.hangup()
        if call.recorder is not None:
            recorder, call.recorder = call.recorder, None
            duration = await recorder.close()
            self._publish(call, "call.recording", path=str(recorder.path), duration=duration)
        await self._release_media(call)
        self._publish(call, "call.ended", disposition=disposition.value, hangup_by=hangup_by,
                      sip_code=sip_code)
        self.calls.pop(call.id, None)
        for leg in [call.a, *(b.sip for b in call.branches)]:
            self._by_leg.pop(leg, None)

    async def _release_media(self, call: Call) -> None:
        legs = [call.a_rtp, *(b.rtp for b in call.branches)]
        call.a_rtp = None
        for rtp in legs:
            if rtp is not None:
                await self.media.close_leg(rtp)
        call.branches = [b for b in call.branches if b is call.b]

    async def _drop_branches(self, call: Call, keep: Branch) -> None:
        for branch in [b for b in call.branches if b is not keep]:
            await self.media.close_leg(branch.rtp)
            self._by_leg.pop(branch.sip, None)
        call.branches = [keep]

    def _cancel_ring_timer(self, call: Call) -> None:
        if call.ring_timer is not None:
            call.ring_timer.cancel()
            call.ring_timer = None

    # --- the prompt test code ---------------------------------------------------------------
    async def _prompt(self, call: Call, offer: Negotiated) -> None:
        wav = Path(self.settings.data_dir) / "prompts" / "test.wav"
        if not wav.exists():
            return await self._fail(call, 404, "Not Found (no test prompt)", Disposition.NOT_FOUND)
        call.a_rtp = await self._open_rtp(call, offer)
        call.transition(CallState.PROMPT)
        call.a.answer(self._answer_sdp(call.a_rtp, offer))
        self._publish(call, "call.answered")
        player = self.media.play(call.a_rtp, wav)
        await player.done.wait()
        await asyncio.sleep(0.2)
        await self._end(call, Disposition.ANSWERED, "system", 200)

    # --- helpers ----------------------------------------------------------------------------
    def _dtmf(self, call: Call, side: str, digit: str) -> None:
        self._publish(call, "call.dtmf", digit=digit, leg=side)
        other = (call.b.rtp if call.b else None) if side == "caller" else call.a_rtp
        if other is not None and other.dtmf_pt is not None and call.state is CallState.CONNECTED:
            self._spawn(other.send_dtmf(digit))  # relay RFC 4733 end to end

    def _recording_path(self, call: Call) -> Path:
        day = datetime.now().strftime("%Y/%m/%d")
        path = self.settings.recordings_dir / day / f"{call.id}.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def _publish(self, call: Call, type_: str, **data) -> None:
        self.bus.publish(Event(type=type_, call_id=call.id, data=data, ts=time.time()))

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("call task failed", exc_info=task.exception())

    async def hangup_all(self) -> None:
        for call in list(self.calls.values()):
            await self._end(call, Disposition.ANSWERED if call.state is CallState.CONNECTED
                            else Disposition.FAILED, "system", 503)
