"""Whether a call is recorded, and the state of the segment being recorded: pure rules.

The policy: ``[recording]`` holds ordered ``rules``; the first whose every given
condition holds decides ``always`` or ``never``, else ``default`` does.  Without rules
every call is recorded under the policy name ``all`` (today's behaviour); a rule's
``name`` is the policy stored with the recording, ``default`` when no rule matched, and
``disabled`` with ``enabled = false``.

When it is applied: once per segment, when the call is *connected to the party that
answers for kefu*: the callee of a direct call, the agent the ACD connects a queued call
to (so ``agent`` and ``queue`` are known: they are not at answer time), the target of a
transfer (a new segment).  A call is never recorded while it only waits in a queue or
walks an IVR flow.

A segment: one file of a call.  After a transfer the call goes on in segment + 1 (a new
file, the same call id) so each segment has its own agent; a consultation call's
segments name the customer's call in ``linked_to``.  Pauses are spans of silence in the
file, in seconds from its start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kefu.config import RecordingRule, RecordingSettings

ALL = "all"            # the policy name without rules
DEFAULT = "default"    # no rule matched
DISABLED = "disabled"  # [recording] enabled = false
ON_DEMAND = "on_demand"  # started by hand (the API, the desk)
ACTIONS = ("start", "stop", "pause", "resume")   # on demand (the API, the desk)


@dataclass(frozen=True)
class Facts:
    """What a rule can match, as known when the policy is applied (at connect)."""
    caller: str
    callee: str
    direction: str                 # inbound | outbound | internal
    trunk: str | None = None       # the trunk the call came in or went out on
    agent: str | None = None       # the ACD's agent (username)
    queue: str | None = None


def direction(inbound_trunk: str | None, outbound_trunk: str | None) -> str:
    """From a trunk: inbound; to a trunk: outbound; else between extensions: internal."""
    if inbound_trunk:
        return "inbound"
    return "outbound" if outbound_trunk else "internal"


def matches(rule: "RecordingRule", facts: Facts) -> bool:
    """Every condition the rule gives holds (numbers: the regex matches the whole)."""
    return ((not rule.caller or re.fullmatch(rule.caller, facts.caller) is not None)
            and (not rule.callee or re.fullmatch(rule.callee, facts.callee) is not None)
            and (not rule.agent or rule.agent == facts.agent)
            and (not rule.queue or rule.queue == facts.queue)
            and (not rule.direction or rule.direction == facts.direction)
            and (not rule.trunk or rule.trunk == facts.trunk))


def decide(settings: "RecordingSettings", facts: Facts) -> tuple[bool, str]:
    """(record?, the policy name that decided)."""
    if not settings.enabled:
        return False, DISABLED
    if not settings.rules:
        return settings.default == "always", ALL if settings.default == "always" else DEFAULT
    for rule in settings.rules:
        if matches(rule, facts):
            return rule.record == "always", rule.name
    return settings.default == "always", DEFAULT


class NotNow(Exception):
    """A recording action that makes no sense in the segment's state (the API's 409)."""


@dataclass
class Segment:
    """One recorded file of a call and its pauses (seconds into the file)."""
    number: int
    policy: str
    linked_to: str | None = None
    paused: list[tuple[float, float]] = field(default_factory=list)
    paused_at: float | None = None

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    def pause(self, at: float) -> None:
        if self.paused_at is not None:
            raise NotNow("the recording is already paused")
        self.paused_at = at

    def resume(self, at: float) -> tuple[float, float]:
        if self.paused_at is None:
            raise NotNow("the recording is not paused")
        span = (round(self.paused_at, 3), round(max(at, self.paused_at), 3))
        self.paused.append(span)
        self.paused_at = None
        return span

    def spans(self, duration: float) -> list[tuple[float, float]]:
        """The paused spans at the file's close (one still open ends with the file)."""
        open_ = [(round(self.paused_at, 3), round(max(duration, self.paused_at), 3))] \
            if self.paused_at is not None else []
        return [*self.paused, *open_]
