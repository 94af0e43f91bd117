"""An agent as an explicit state machine.

::

    LOGGED_OUT ──login──► NOT_READY ◄──────────────┐ (reason: break, lunch, no_answer…)
                            │  ▲                   │
                         ready │ pause             │
                            ▼  │                   │
       ┌──────────────────► READY ◄──── AWAY       │
       │                    │  ▲                   │
       │             offer  │  │ no answer / reject│
       │                    ▼  │                   │
       │                  RESERVED ────────────────┘ (N offers unanswered)
       │                    │ answer
       │                    ▼
       │   WRAP_UP ◄──── TALKING ◄──► ON_HOLD
       └────┘ end / time up

Any state may go to LOGGED_OUT (log out, or a supervisor logs the agent out), and
NOT_READY/READY/AWAY may be chosen whenever the agent is not in a call.  Each change is
published by the ACD as an ``agent.state`` event; the routing engine only learns
whether the agent is READY.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field
from typing import Any

from kefu.calls.errors import ControlError


class AgentState(str, enum.Enum):
    LOGGED_OUT = "logged_out"
    READY = "ready"
    NOT_READY = "not_ready"
    AWAY = "away"
    RESERVED = "reserved"            # a call is being offered (the device rings)
    TALKING = "talking"
    ON_HOLD = "on_hold"
    WRAP_UP = "wrap_up"              # after-call work


IDLE = {AgentState.READY, AgentState.NOT_READY, AgentState.AWAY}
IN_CALL = {AgentState.RESERVED, AgentState.TALKING, AgentState.ON_HOLD}
S = AgentState
TRANSITIONS: dict[AgentState, set[AgentState]] = {
    S.LOGGED_OUT: {S.NOT_READY, S.READY},
    S.READY: {S.NOT_READY, S.AWAY, S.RESERVED, S.TALKING, S.LOGGED_OUT},
    S.NOT_READY: {S.READY, S.AWAY, S.TALKING, S.LOGGED_OUT},
    S.AWAY: {S.READY, S.NOT_READY, S.TALKING, S.LOGGED_OUT},
    S.RESERVED: {S.READY, S.NOT_READY, S.TALKING, S.LOGGED_OUT},
    S.TALKING: {S.ON_HOLD, S.WRAP_UP, S.READY, S.NOT_READY, S.LOGGED_OUT},
    S.ON_HOLD: {S.TALKING, S.WRAP_UP, S.READY, S.NOT_READY, S.LOGGED_OUT},
    S.WRAP_UP: {S.READY, S.NOT_READY, S.AWAY, S.TALKING, S.LOGGED_OUT},
}


class AgentStateError(ControlError):
    """A state change that the machine does not allow (a CONFLICT)."""


@dataclass(eq=False)
class Agent:
    username: str
    skills: dict[str, int]                          # queue → level (membership)
    name: str = ""
    extension: str = ""                             # the device, while logged in
    queues: list[str] = field(default_factory=list)  # queues logged into
    state: AgentState = AgentState.LOGGED_OUT
    reason: str = ""                                # why NOT_READY
    since: float = field(default_factory=time.time)
    call_id: str | None = None                      # the call offered or in progress
    queue: str | None = None                        # the queue of that call
    no_answers: int = 0                             # offers in a row not answered
    wrap_up_until: float = 0.0
    device: str = "phone"                           # phone (SIP) or webrtc (the browser)
    auto_answer: bool = False                       # offers tell the phone to pick up itself
    want_ready: bool = False                        # go ready once the line is up
    session: Any = None                             # the persistent line's call (常连接)
    line: Any = None                                # its member, while the line is open
    absent: str = ""                                # its browser desk went away: "lost"
    #                                                 (the line) or "leaving" (page-hide)
    resume: tuple[AgentState, str] | None = None    # the idle state to give back then
    last_logout: dict | None = None                 # {at, reason, by}: shown at sign-in

    def move(self, new: AgentState, reason: str = "", now: float | None = None) -> AgentState:
        """Change state (``IllegalTransition`` if not allowed); returns the old state."""
        if new not in TRANSITIONS[self.state] and new is not self.state:
            raise AgentStateError(f"agent {self.username} is {self.state.value}; "
                                  f"cannot become {new.value}")
        old = self.state
        self.state = new
        self.reason = reason if new is AgentState.NOT_READY else ""
        self.since = time.time() if now is None else now
        return old

    @property
    def logged_in(self) -> bool:
        return self.state is not AgentState.LOGGED_OUT

    def describe(self, now: float | None = None) -> dict:
        now = time.time() if now is None else now
        return {"username": self.username, "name": self.name, "extension": self.extension,
                "state": self.state.value, "reason": self.reason,
                "since": self.since, "in_state": round(now - self.since, 3),
                "queues": list(self.queues), "skills": dict(self.skills),
                "call_id": self.call_id, "queue": self.queue,
                "wrap_up_until": self.wrap_up_until or None,
                "persistent_line": self.line is not None, "device": self.device,
                "auto_answer": self.auto_answer, "absent": self.absent or None,
                "last_logout": self.last_logout}
