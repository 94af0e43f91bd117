"""A call as an explicit state machine.

A call is born when an INVITE arrives and dies once, with one disposition.  Every
state change is published as an event; the CDR is derived from those events alone.

    ROUTING ──► RINGING ──► CONNECTED ──► ENDED
       │           │                        ▲
       ├──► PROMPT ┼────────────────────────┤   (PROMPT: kefu answers and plays)
       └───────────┴────────────────────────┘
"""

from __future__ import annotations

import enum
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kefu.media import Negotiated, Recorder, RtpLeg
    from kefu.sip.leg import SipLeg


class CallState(enum.Enum):
    ROUTING = "routing"
    RINGING = "ringing"
    PROMPT = "prompt"
    CONNECTED = "connected"
    ENDED = "ended"


TRANSITIONS: dict[CallState, set[CallState]] = {
    CallState.ROUTING: {CallState.RINGING, CallState.PROMPT, CallState.ENDED},
    CallState.RINGING: {CallState.CONNECTED, CallState.ENDED},
    CallState.PROMPT: {CallState.ENDED},
    CallState.CONNECTED: {CallState.ENDED},
    CallState.ENDED: set(),
}


class Disposition(str, enum.Enum):
    ANSWERED = "answered"
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    CANCELLED = "cancelled"
    NOT_FOUND = "not_found"
    UNAVAILABLE = "unavailable"
    FAILED = "failed"


class IllegalTransition(RuntimeError):
    pass


@dataclass
class Branch:
    """One attempt to reach the callee: a SIP leg out and its media endpoint."""

    sip: "SipLeg"
    rtp: "RtpLeg"
    answered: bool = False


@dataclass
class Call:
    caller: str
    callee: str
    caller_name: str = ""
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    state: CallState = CallState.ROUTING
    started: float = field(default_factory=time.time)
    a: "SipLeg | None" = None
    a_rtp: "RtpLeg | None" = None
    a_offer: "Negotiated | None" = None     # what the caller's SDP settled on
    branches: list[Branch] = field(default_factory=list)
    b: Branch | None = None
    recorder: "Recorder | None" = None
    ring_timer: Any = None
    ringing_sent: bool = False

    def transition(self, new: CallState) -> None:
        if new not in TRANSITIONS[self.state]:
            raise IllegalTransition(f"call {self.id}: {self.state.value} -> {new.value}")
        self.state = new

    @property
    def ended(self) -> bool:
        return self.state is CallState.ENDED

    def branch_of(self, leg: "SipLeg") -> Branch | None:
        return next((b for b in self.branches if b.sip is leg), None)

    def involves(self, number: str) -> bool:
        return not self.ended and number in (self.caller, self.callee)
