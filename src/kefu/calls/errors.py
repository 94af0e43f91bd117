"""The calls layer's errors: what kind of refusal, never an HTTP code.

Call control, the ACD and the agent state machine raise :class:`ControlError` with a
:class:`Kind`; the web layer turns each kind into its HTTP status in one table
(``kefu.web.app``), as it does for the store's errors, and a CLI or another protocol
could answer the same kinds its own way.  :class:`Refused` keeps the SIP answer that
refused a destination (SIP is this layer's own language) and derives its kind from it.
"""

from __future__ import annotations

import enum


class Kind(enum.Enum):
    """Why an action was refused."""

    NOT_FOUND = "not_found"        # no such call, party, agent, queue or number
    CONFLICT = "conflict"          # it does not fit the current state (busy, not connected…)
    INVALID = "invalid"            # the request itself is wrong (unknown reason, bad level…)
    FORBIDDEN = "forbidden"        # the caller may not call that number
    TOO_LARGE = "too_large"        # over a size limit (call-attached data)


class ControlError(Exception):
    """An action that does not fit the call's (or agent's) current shape."""

    def __init__(self, message: str, kind: Kind = Kind.CONFLICT) -> None:
        super().__init__(message)
        self.kind = kind


NO_SUCH_NUMBER = frozenset({404, 410, 484, 604})    # SIP answers meaning "no such number"


class Refused(ControlError):
    """A destination cannot be reached at all (no attempt is made): ``code`` and
    ``reason`` are the SIP answer.  Its kind: NOT_FOUND when the number does not exist,
    FORBIDDEN when the caller may not call it (403), CONFLICT when it exists but cannot
    take a call now (busy, not registered)."""

    def __init__(self, code: int, reason: str, number: str = "") -> None:
        kind = Kind.NOT_FOUND if code in NO_SUCH_NUMBER else \
            Kind.FORBIDDEN if code == 403 else Kind.CONFLICT
        super().__init__(f"{number + ': ' if number else ''}{code} {reason}", kind)
        self.code, self.reason = code, reason
