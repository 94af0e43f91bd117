"""A call as an explicit state machine.

A call is born when an INVITE arrives and dies once, with one disposition.  Every
state change is published as an event; the CDR is derived from those events alone.

    ROUTING ──► RINGING ──► CONNECTED ──► ENDED
       │           │           ▲   │        ▲
       │           │           │   ▼        │
       ├──► QUEUED ┼───────────┴─ QUEUED ───┤   (QUEUED: answered, waiting for an agent)
       ├──► HOSTED ┼────────────────────────┤   (HOSTED: kefu answers: prompt, conference, IVR;
       │           │                        │    an IVR goes on to QUEUED or CONNECTED, and
       │           │                        │    a queue's overflow into a flow back to HOSTED;
       │           │                        │    CONNECTED ⇄ HOSTED: an agent's caller in a
       │           │                        │    self-service flow and back)
       └───────────┴────────────────────────┘

Who talks to whom once connected is the call's :class:`~kefu.calls.room.Room`; transfers,
three-way calls and supervision change the room, not the state.
"""

from __future__ import annotations

import enum
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kefu.calls.room import Member, Room

if TYPE_CHECKING:
    from kefu.calls.attempt import Attempt
    from kefu.calls.recording import Segment
    from kefu.media import Negotiated, Recorder, RtpLeg
    from kefu.sip.leg import SipLeg


class CallState(enum.Enum):
    ROUTING = "routing"
    RINGING = "ringing"
    HOSTED = "hosted"
    QUEUED = "queued"
    CONNECTED = "connected"
    ENDED = "ended"


TRANSITIONS: dict[CallState, set[CallState]] = {
    CallState.ROUTING: {CallState.RINGING, CallState.HOSTED, CallState.QUEUED, CallState.ENDED},
    CallState.RINGING: {CallState.CONNECTED, CallState.ENDED},
    # an IVR flow (HOSTED) hands its caller to a queue or rings a transfer target
    CallState.HOSTED: {CallState.QUEUED, CallState.CONNECTED, CallState.ENDED},
    # a queue's overflow may send its caller into an IVR flow
    CallState.QUEUED: {CallState.CONNECTED, CallState.HOSTED, CallState.ENDED},
    # an agent sends its caller into a flow (self-service) and gets it back (HOSTED → CONNECTED)
    CallState.CONNECTED: {CallState.QUEUED, CallState.HOSTED, CallState.ENDED},
    CallState.ENDED: set(),
}


class Disposition(str, enum.Enum):
    ANSWERED = "answered"
    ABANDONED = "abandoned"           # the caller hung up while waiting in a queue
    CALLBACK = "callback"             # the caller left a queue to be called back
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    CANCELLED = "cancelled"
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"
    FAILED = "failed"
    INTERRUPTED = "interrupted"       # kefu stopped without ending it (a crash); closed at start


class IllegalTransition(RuntimeError):
    pass


@dataclass(eq=False)
class Call:
    caller: str
    callee: str
    caller_name: str = ""
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    state: CallState = CallState.ROUTING
    started: float = field(default_factory=time.time)
    a: "SipLeg | None" = None                # the caller's dialog
    a_rtp: "RtpLeg | None" = None
    a_offer: "Negotiated | None" = None      # what the caller's SDP settled on
    room: Room = field(default_factory=Room)
    attempts: list["Attempt"] = field(default_factory=list)   # destinations being reached
    recorder: "Recorder | None" = None
    segment: "Segment | None" = None         # the recording's segment being written
    segments: int = 0                        # recorded segments so far (files)
    record_refused: str | None = None        # the rule that said never (no on-demand start)
    announced: bool = False                  # the recording notice was played
    ringing_sent: bool = False
    conference: str | None = None            # the shared room a HOSTED call joined
    data: dict = field(default_factory=dict)  # call-attached data (IVR, API); ≤ 1 MiB JSON
    queue: str | None = None                 # the ACD queue the call waits in or came from
    agent: str | None = None                 # the agent (username) it is connected to
    consult: "Attempt | None" = None         # reaching a consultation party
    line: bool = False                       # a persistent line's session, not a conversation
    caller_left: bool = False                # the caller's dialog left the room (transfer, hang-up)
    after: str = ""                          # where the caller goes when the other side hangs
    #                                          up first (a queue's survey: flow:<name>); once

    def transition(self, new: CallState) -> None:
        if new not in TRANSITIONS[self.state]:
            raise IllegalTransition(f"call {self.id}: {self.state.value} -> {new.value}")
        self.state = new

    @property
    def ended(self) -> bool:
        return self.state is CallState.ENDED

    def involves(self, number: str) -> bool:
        """True while ``number`` takes part in (or is being reached by) this call: a member
        of its room, a destination being reached, the caller until its dialog leaves, the
        dialled number until the call is routed.  Whoever left is no longer in it."""
        if self.ended:
            return False
        return (any(m.number == number for m in self.room.members)
                or any(a.number == number and not a.done for a in self.attempts)
                or (number == self.caller and not self.caller_left)
                or (number == self.callee and self.state is CallState.ROUTING))

    def remove(self, member: Member) -> None:
        """``member`` leaves the room; the caller's dialog leaving means the caller left."""
        self.room.remove(member)
        if self.a is not None and member.sip is self.a:
            self.caller_left = True

    def goes_on(self) -> bool:
        """Whether the call still holds (or is about to hold) a conversation after someone
        left: two parties, or someone being reached, or others waiting for a target."""
        return (len(self.room.parties) >= 2 or self.room.waiting
                or any(not a.done for a in self.attempts))

    def hands_on(self) -> bool:
        """Whether the caller, left alone on a connected call by the other side, goes on
        to ``after`` (a queue's survey flow) instead of the call ending."""
        return bool(self.after) and self.state is CallState.CONNECTED and not self.caller_left

    def describe(self) -> dict:
        return {"call_id": self.id, "caller": self.caller, "callee": self.callee,
                "state": self.state.value, "started": self.started,
                "queue": self.queue, "agent": self.agent, "line": self.line,
                "members": [m.describe() for m in self.room.members],
                "dialing": [a.number for a in self.attempts if not a.done],
                "recording": (None if self.segment is None else
                              "paused" if self.segment.is_paused else "recording")}
