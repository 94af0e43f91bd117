"""Call control: what a phone, the API or (later) an agent desktop can do to a live call.

Each action is a change of the call's room (who hears whom) plus, where a new party is
needed, an :class:`~kefu.calls.attempt.Attempt` to reach it.  The switch calls these for
phone-initiated actions (re-INVITE hold, REFER); :class:`CallControl` exposes them by
call id for the HTTP API.  Refusals are :class:`~kefu.calls.errors.ControlError` with a
kind (never an HTTP code); ``ControlError`` and ``Refused`` are re-exported here.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from kefu.calls.call import Call, CallState, Disposition
from kefu.calls.room import Member, Mode
from kefu.media import MediaError

from kefu.calls.dialplan import CONFERENCE_PREFIX
from kefu.calls.errors import ControlError, Kind, Refused
from kefu.calls.protocol import Switchboard
from kefu.calls.recording import ACTIONS, NotNow

if TYPE_CHECKING:
    from kefu.calls.attempt import Attempt, Fork
    from kefu.media import Negotiated
    from kefu.media.webrtc import WebRtcLine

log = logging.getLogger(__name__)


# --- hold -------------------------------------------------------------------------------------

def set_hold(switch: Switchboard, call: Call, member: Member, holding: bool) -> None:
    """``member`` puts the others on hold (they hear music) or takes them off it."""
    member.holding = holding
    switch.remix(call)
    switch.publish(call, "call.hold" if holding else "call.resume", number=member.number)


# --- transfer ---------------------------------------------------------------------------------

async def transfer_blind(switch: Switchboard, call: Call, member: Member, target: str,
                         sip_done: bool = False) -> None:
    """``member`` hands the rest of the call to ``target`` and leaves at once.

    The target is routed first: one that cannot be reached at all raises
    :class:`Refused` with nobody removed (through the API), or, after a phone's REFER
    (whose dialog sippy already ended), leaves the others as they were."""
    remaining = [m for m in call.room.parties if m is not member]
    if not remaining:
        raise ControlError("nobody left to transfer")
    caller_id = remaining[0].number
    route = switch.route(caller_id, target)
    take = switch.destinations.get(route.kind)      # a queue, say: no phone is rung here
    try:
        dest = None if take else switch.destination(caller_id, target, exclude=call,
                                                    route=route)
    except Refused as exc:
        log.info("call %s: transfer to %s refused: %s", call.id, target, exc)
        if not sip_done:
            raise
        switch.dismiss(call, member, sip_done)
        return await _transfer_failed(switch, call)
    switch.publish(call, "call.transferred", by=member.number, target=target, mode="blind")
    call.room.waiting = True          # the others hear music while the target rings
    switch.end_segment(call)          # the target's part is the next segment
    switch.dismiss(call, member, sip_done)
    if take is not None:
        return await take(call, route)
    assert dest is not None
    number, stages, timeout = dest

    def answered(call: Call, attempt: "Attempt", fork: "Fork", answer: "Negotiated") -> None:
        call.room.waiting = False
        switch.join(call, Member(attempt.number, "callee", fork.sip, fork.rtp))
        switch.start_recording(call)

    def failed(call: Call, attempt: "Attempt", code: int, reason: str) -> None:
        switch.spawn(_transfer_failed(switch, call))

    switch.reach(call, number, stages, timeout, caller_id, answered, failed)


async def _transfer_failed(switch: Switchboard, call: Call) -> None:
    call.room.waiting = False
    if len(call.room.parties) < 2:
        await switch.end(call, Disposition.ANSWERED, "system", 200)
    else:
        switch.remix(call)


async def transfer_attended(switch: Switchboard, call: Call, member: Member, other: Call,
                            sip_done: bool = False) -> None:
    """``member`` talks in ``call`` and in ``other`` (its consultation call): the other
    parties of both calls are connected to each other and ``member`` leaves both."""
    mine = other.room.find(member.number)
    if mine is None:
        raise ControlError(f"{member.number} is not a party of call {other.id}")
    moving = [m for m in other.room.parties if m is not mine]
    if not moving:
        raise ControlError(f"call {other.id} has nobody to connect")
    switch.publish(call, "call.transferred", by=member.number, mode="attended",
                   target=",".join(m.number for m in moving), consult_call=other.id)
    switch.publish(other, "call.transferred", by=member.number, mode="attended",
                   into_call=call.id)
    switch.end_segment(call)
    for m in moving:                   # take them over without touching their dialogs
        other.remove(m)
        m.role = "callee"
        m.holding = False
        switch.join(call, m)
    switch.dismiss(call, member, sip_done)   # after a REFER sippy already hung it up
    switch.dismiss(other, mine)
    switch.start_recording(call)             # the next segment: the new parties
    switch.spawn(switch.end(other, Disposition.ANSWERED, "system", 200))


# --- consultation (咨询): ask someone while the caller waits, then transfer or conference ---

def consult(switch: Switchboard, call: Call, member: Member, target: str) -> None:
    """``member`` calls ``target`` inside the call while everyone else is held (music);
    then :func:`finish_consult` transfers, conferences or cancels."""
    if call.consult is not None or call.room.find_role("consult") is not None:
        raise ControlError(f"call {call.id} is already consulting")
    dest, stages, timeout = switch.destination(member.number, target, exclude=call)
    others = [m for m in call.room.parties if m is not member]
    for m in others:
        m.held = True
    switch.remix(call)
    switch.publish(call, "call.consult", by=member.number, target=target)

    def answered(call: Call, attempt: "Attempt", fork: "Fork", answer: "Negotiated") -> None:
        call.consult = None
        if call.ended:
            switch.drop_fork(fork)
            return
        switch.join(call, Member(attempt.number, "consult", fork.sip, fork.rtp))

    def failed(call: Call, attempt: "Attempt", code: int, reason: str) -> None:
        call.consult = None
        _unhold(switch, call)
        switch.publish(call, "call.party_failed", number=target, code=code, reason=reason)

    call.consult = switch.reach(call, dest, stages, timeout, member.number, answered, failed)


def finish_consult(switch: Switchboard, call: Call, member: Member, how: str) -> None:
    """``how``: ``transfer`` (``member`` leaves, the held parties talk to the consulted
    one), ``conference`` (everyone talks) or ``cancel`` (the consulted one leaves)."""
    consulted = call.room.find_role("consult")
    if how == "cancel" and call.consult is not None:       # still ringing
        switch.cancel(call.consult)
        call.consult = None
        _unhold(switch, call)
        switch.publish(call, "call.consult_end", by=member.number, how=how)
        return
    if consulted is None:
        raise ControlError(f"call {call.id} has no consultation to {how}")
    switch.publish(call, "call.consult_end", by=member.number, how=how,
                   target=consulted.number)
    if how == "cancel":
        switch.dismiss(call, consulted)
        _unhold(switch, call)
        return
    consulted.role = "callee" if how == "transfer" else "third"
    _unhold(switch, call)
    if how == "transfer":
        switch.publish(call, "call.transferred", by=member.number, target=consulted.number,
                       mode="consult")
        switch.end_segment(call)
        switch.dismiss(call, member)
        switch.start_recording(call)


def _unhold(switch: Switchboard, call: Call) -> None:
    for m in call.room.members:
        m.held = False
    switch.remix(call)


# --- more parties -----------------------------------------------------------------------------

def add_party(switch: Switchboard, call: Call, number: str, role: str = "third",
              mode: Mode = Mode.TALK, whisper_to: Member | None = None) -> "Attempt | None":
    """Dial ``number`` and let it join the call's room (three-way call, supervisor)."""
    caller_id = call.caller if role != "supervisor" else "kefu"
    line = switch.idle_line(number)
    if line is not None:                 # a persistent line (a supervisor's browser) joins
        switch.detach_from_home(line)
        line.role, line.mode, line.whisper_to = role, mode, whisper_to
        switch.join(call, line)
        return None
    dest, stages, timeout = switch.destination(caller_id, number, exclude=call)

    def answered(call: Call, attempt: "Attempt", fork: "Fork", answer: "Negotiated") -> None:
        if call.ended:
            switch.drop_fork(fork)
            return
        switch.join(call, Member(attempt.number, role, fork.sip, fork.rtp, mode=mode,
                                 whisper_to=whisper_to))

    def failed(call: Call, attempt: "Attempt", code: int, reason: str) -> None:
        switch.publish(call, "call.party_failed", number=number, code=code, reason=reason)

    return switch.reach(call, dest, stages, timeout, caller_id, answered, failed)


def set_mode(switch: Switchboard, call: Call, member: Member, mode: Mode,
             whisper_to: Member | None = None) -> None:
    """Listen, whisper (to one member) or barge in (talk to all)."""
    if mode is Mode.WHISPER and whisper_to is None:
        raise ControlError("whisper needs a member to whisper to", Kind.INVALID)
    member.mode, member.whisper_to = mode, whisper_to if mode is Mode.WHISPER else None
    switch.remix(call)
    switch.publish(call, "call.monitor", **member.describe())


# --- browsers' softphones ----------------------------------------------------------------------

class BrowserParty:
    """The dialog side of a browser's WebRTC line: what the switch hangs up."""

    def __init__(self, line: "WebRtcLine") -> None:
        self.line = line

    def hangup(self) -> None:
        asyncio.ensure_future(self.line.close())

    def dialog_id(self) -> None:
        return None

    def __repr__(self) -> str:
        return f"<BrowserParty {self.line.rtp}>"


async def _play_dtmf(call: Call, member: Member, digits: str) -> None:
    """Digits to one member; a member who leaves meanwhile just misses the rest."""
    try:
        await member.rtp.send_dtmf(digits)
    except MediaError as exc:
        log.info("call %s: DTMF to %s cut short: %s", call.id, member.number, exc)


# --- by call id, for the API -----------------------------------------------------------------

class CallControl:
    """The internal call-control API: actions on live calls by call id and number."""

    def __init__(self, switch: Switchboard) -> None:
        self.switch = switch
        self.line_owners: dict[str, str] = {}   # number → the user whose browser line it is

    def line_of(self, username: str) -> str | None:
        """The number of ``username``'s open browser line, if any."""
        return next((n for n, u in self.line_owners.items()
                     if u == username and n in self.switch.lines), None)

    def list(self) -> list[dict]:
        return [c.describe() for c in self.switch.calls.values() if not c.ended]

    def get(self, call_id: str) -> Call:
        call = self.switch.calls.get(call_id)
        if call is None or call.ended:
            raise ControlError(f"no live call {call_id}", Kind.NOT_FOUND)
        return call

    def member(self, call: Call, number: str) -> Member:
        member = call.room.find(number)
        if member is None:
            raise ControlError(f"{number} is not in call {call.id}", Kind.NOT_FOUND)
        return member

    def _connected(self, call_id: str) -> Call:
        call = self.get(call_id)
        if call.state is not CallState.CONNECTED:
            raise ControlError(f"call {call_id} is {call.state.value}, not connected")
        return call

    def hold(self, call_id: str, number: str, holding: bool = True) -> None:
        """``number`` holds, or resumes its own hold: only the holder ends a hold (a
        CONFLICT naming who holds otherwise)."""
        call = self._connected(call_id)
        member = self.member(call, number)
        if not holding and not member.holding:
            holders = [m.number for m in call.room.members if m.holding]
            raise ControlError(f"{number} does not hold call {call_id}; " + (
                f"held by {', '.join(holders)}" if holders else "nobody holds it"))
        set_hold(self.switch, call, member, holding)

    async def transfer(self, call_id: str, number: str, target: str | None = None,
                       consult_call_id: str | None = None) -> None:
        call = self._connected(call_id)
        member = self.member(call, number)
        if consult_call_id:
            await transfer_attended(self.switch, call, member, self._connected(consult_call_id))
        elif target:
            await transfer_blind(self.switch, call, member, target)
        else:
            raise ControlError("transfer needs a target or a consultation call", Kind.INVALID)

    def originate(self, first: str, to: str, data: dict | None = None,
                  line: Member | None = None) -> Call:
        """Click-to-call: ring ``first`` (or take its persistent ``line``), then dial ``to``;
        ``Refused`` when ``first`` cannot be rung."""
        return self.switch.originate(first, to, data=data, member=line)

    def send_dtmf(self, call_id: str, number: str, digits: str) -> None:
        """Digits as if ``number`` had pressed them: the other parties receive them, paced
        by the media clock after this returns."""
        call = self._connected(call_id)
        member = self.member(call, number)
        self.switch.publish(call, "call.dtmf_sent", number=number, digits=digits)
        for other in call.room.parties:
            if other is not member:
                self.switch.spawn(_play_dtmf(call, other, digits))

    def add_party(self, call_id: str, number: str) -> None:
        add_party(self.switch, self._connected(call_id), number)

    async def open_webrtc_line(self, number: str, offer_sdp: str, host: str,
                               owner: str | None = None) -> tuple[str, Call, Member]:
        """A browser's softphone (``owner``'s, a username) becomes ``number``'s persistent
        line; returns the SDP answer, the line's session call and its member.
        INVALID for an offer kefu cannot use, CONFLICT when ``number`` already has a
        line or is in a call."""
        from kefu.media.webrtc import WebRtcError, WebRtcLine

        if number in self.switch.lines or self.switch.busy(number):
            raise ControlError(f"{number} already has a line or is in a call")
        line = WebRtcLine(self.switch.media, host)
        try:
            answer = await line.open(offer_sdp)
        except WebRtcError as exc:
            raise ControlError(str(exc), Kind.INVALID) from None
        party = BrowserParty(line)
        session, member = self.switch.open_line(number, party, line.rtp)
        line.on_closed = lambda: self.switch.leg_ended(party)   # type: ignore[arg-type]
        if owner is not None:
            self.line_owners[number] = owner
        return answer, session, member

    def rooms(self) -> list[dict]:
        """Every conference room (``*8<room>``) with its members."""
        return [self.room(name) for name in sorted(self.switch.conferences)]

    def room(self, name: str) -> dict:
        """One conference room: how to dial it and who is in it (each member's call)."""
        room = self.switch.conferences.get(name)
        if room is None:
            raise ControlError(f"no conference room {name}", Kind.NOT_FOUND)
        calls = {c.a: c.id for c in self.switch.calls.values()
                 if c.conference == name and not c.ended}
        return {"room": name, "dial": CONFERENCE_PREFIX + name,
                "members": [{**m.describe(), "call_id": calls.get(m.sip)}
                            for m in room.members]}

    def consult(self, call_id: str, number: str, target: str) -> None:
        call = self._connected(call_id)
        consult(self.switch, call, self.member(call, number), target)

    def finish_consult(self, call_id: str, number: str, how: str) -> None:
        call = self._connected(call_id)
        finish_consult(self.switch, call, self.member(call, number), how)

    def monitor(self, call_id: str, supervisor: str, mode: Mode = Mode.LISTEN,
                target: str | None = None) -> None:
        """Bring a supervisor's phone into the call, or change how it takes part: a
        supervisor already in the room switches mode in place (same leg, no gap).  A
        browser line supervising another call leaves that one first (one click moves it)."""
        call = self._connected(call_id)
        whisper_to = self.member(call, target) if target else None
        present = call.room.find(supervisor)
        if present is not None:
            if present.role != "supervisor":
                raise ControlError(f"{supervisor} is a party of call {call_id}, not its "
                                   "supervisor")
            return set_mode(self.switch, call, present, mode, whisper_to)
        if mode is Mode.WHISPER and whisper_to is None:
            raise ControlError("whisper needs a target", Kind.INVALID)
        if supervisor in self.switch.lines:
            elsewhere = self.supervising(supervisor)
            if elsewhere is not None:
                self.switch.dismiss(elsewhere, self.member(elsewhere, supervisor))
        add_party(self.switch, call, supervisor, role="supervisor", mode=mode,
                  whisper_to=whisper_to)

    def supervising(self, number: str) -> Call | None:
        """The live call ``number`` supervises (listens, whispers or barges in), if any."""
        return next((c for c in self.switch.calls.values() if not c.ended
                     and any(m.number == number and m.role == "supervisor"
                             for m in c.room.members)), None)

    def stop_monitor(self, call_id: str, supervisor: str) -> None:
        """Take the supervisor out of the call (停止监控), leaving the call as it was: a
        browser line goes back to its session, a phone is hung up.  NOT_FOUND when
        ``supervisor`` does not supervise the call."""
        call = self.get(call_id)
        member = call.room.find(supervisor)
        if member is None or member.role != "supervisor":
            raise ControlError(f"{supervisor} does not supervise call {call_id}",
                               Kind.NOT_FOUND)
        self.switch.dismiss(call, member)

    async def recording(self, call_id: str, action: str, by: str) -> None:
        """Start, stop, pause or resume the call's recording on demand (``by``: the user);
        CONFLICT with the reason when it makes no sense now (not connected, already so,
        a rule that says never), INVALID for an unknown action."""
        if action not in ACTIONS:
            raise ControlError(f"action is one of {', '.join(ACTIONS)}", Kind.INVALID)
        call = self._connected(call_id)
        switch = self.switch
        try:
            if action == "start":
                switch.start_recording(call, by=by)
            elif action == "stop":
                await switch.stop_recording(call, by=by)
            elif action == "pause":
                switch.pause_recording(call, by)
            else:
                switch.resume_recording(call, by)
        except NotNow as exc:
            raise ControlError(f"cannot {action} the recording of call {call_id}: {exc}",
                               Kind.CONFLICT) from None

    async def hangup(self, call_id: str, number: str | None = None) -> None:
        """Force release (强拆): the whole call, or one member."""
        call = self.get(call_id)
        if number is None:
            await self.switch.end(call, Disposition.ANSWERED if call.state is CallState.CONNECTED
                                  else Disposition.FAILED, "system", 200)
            return
        member = self.member(call, number)
        self.switch.dismiss(call, member)
        self.switch.settle(call, member, by="system")
