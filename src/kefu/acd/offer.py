"""One offer: a waiting call put to one agent, as an explicit state machine.

::

    RINGING ──► ANSWERED     the agent took it (its phone, or the desk on a persistent line)
       │───► DECLINED      the agent rejected it (603: from the desk, or the phone)
       │───► NO_ANSWER     it rang out, or the phone was busy or unreachable
       └───► WITHDRAWN     the ACD took it back: the caller left or overflowed, the agent
                           logged out, another agent answered first (ring-all)

An offer ends once; ending it again, or in another way, is a bug and raises
:class:`IllegalOffer`, like :class:`~kefu.calls.call.Call`'s transitions.  Only DECLINED
and NO_ANSWER are the agent's doing (back-off, the no-answer pause).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kefu.calls.attempt import Attempt


class OfferState(str, enum.Enum):
    RINGING = "ringing"
    ANSWERED = "answered"
    DECLINED = "declined"
    NO_ANSWER = "no_answer"
    WITHDRAWN = "withdrawn"


TRANSITIONS: dict[OfferState, frozenset[OfferState]] = {
    OfferState.RINGING: frozenset({OfferState.ANSWERED, OfferState.DECLINED,
                                   OfferState.NO_ANSWER, OfferState.WITHDRAWN}),
    OfferState.ANSWERED: frozenset(),
    OfferState.DECLINED: frozenset(),
    OfferState.NO_ANSWER: frozenset(),
    OfferState.WITHDRAWN: frozenset(),
}
DECLINE_CODE = 603          # SIP "Decline": what a rejected offer is reported as


class IllegalOffer(RuntimeError):
    """An offer moved in a way the machine does not allow (a bug, not a request)."""


@dataclass(eq=False)
class AgentOffer:
    """The call offered to ``agent``; ``attempt`` rings its phone (None on a persistent
    line, or before the phone is rung)."""

    agent: str
    attempt: "Attempt | None" = None
    state: OfferState = OfferState.RINGING

    def end(self, state: OfferState) -> None:
        if state not in TRANSITIONS[self.state]:
            raise IllegalOffer(f"offer to {self.agent}: {self.state.value} -> {state.value}")
        self.state = state

    @staticmethod
    def failure(code: int) -> OfferState:
        """How an offer the agent did not take ends, by the SIP answer."""
        return OfferState.DECLINED if code == DECLINE_CODE else OfferState.NO_ANSWER
