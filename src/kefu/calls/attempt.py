"""Reaching one destination: forks in parallel, stages one after another.

An extension with two registered phones is one stage of two forks (both ring, the
first to answer wins).  A trunk route is one stage per trunk (the next trunk is tried
when one answers 5xx or 408, or gives no response in time).  The callee of a new call,
a blind-transfer target, a third party and a supervisor's phone are all reached by an
``Attempt``; what happens on answer is the caller's business (``on_answer``).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from kefu.media import MediaEngine, RtpLeg
    from kefu.sip.leg import SipLeg

log = logging.getLogger(__name__)

# (leg, sdp) -> sends the INVITE for that leg
Dialer = Callable[["SipLeg", str], None]
FAILOVER_CODES = frozenset({408, 480, 500, 502, 503, 504})


@dataclass(eq=False)
class Fork:
    sip: "SipLeg"
    rtp: "RtpLeg"
    ringing: bool = False
    failed: int | None = None          # final SIP code, once it failed


@dataclass
class Stage:
    dialers: list[Dialer]
    no_response_timeout: float | None = None   # trunks: no 1xx within this → next stage


@dataclass(eq=False)
class Attempt:
    number: str                                  # what is being reached, for logs/events
    stages: list[Stage]
    ring_timeout: float
    on_ringing: Callable[["Attempt"], None]
    on_answer: Callable[["Attempt", Fork, str | None], None]
    on_fail: Callable[["Attempt", int, str], None]
    caller_id: str = ""                          # who the destination sees calling
    caller_name: str = ""
    headers: tuple[tuple[str, str], ...] = ()   # extra INVITE headers (auto-answer)
    forks: list[Fork] = field(default_factory=list)
    done: bool = False
    _stage: int = -1
    _timer: asyncio.TimerHandle | None = None
    _ring_timer: asyncio.TimerHandle | None = None
    _last: tuple[int, str] = (480, "Temporarily Unavailable")


class Dialing:
    """Runs attempts: opens media, sends INVITEs, follows answers and failures.

    ``new_leg(attempt)`` makes an outbound SipLeg whose listener is the switch; the switch
    forwards leg events of forks to :meth:`ringing`, :meth:`answered`, :meth:`failed`.
    """

    def __init__(self, media: "MediaEngine", offer_sdp: Callable[["RtpLeg"], str],
                 new_leg: Callable[[Attempt], "SipLeg"]) -> None:
        self.media = media
        self.offer_sdp = offer_sdp
        self.new_leg = new_leg
        self._by_leg: dict["SipLeg", tuple[Attempt, Fork]] = {}

    def owns(self, leg: "SipLeg") -> bool:
        return leg in self._by_leg

    async def start(self, attempt: Attempt) -> None:
        attempt._ring_timer = asyncio.get_running_loop().call_later(
            attempt.ring_timeout, self._give_up, attempt, 480, "No Answer")
        await self._next_stage(attempt)

    async def _next_stage(self, attempt: Attempt) -> None:
        self._cancel_timer(attempt)
        attempt._stage += 1
        if attempt.done:
            return
        if attempt._stage >= len(attempt.stages):
            await self._drop(attempt)
            attempt.on_fail(attempt, *attempt._last)
            return
        stage = attempt.stages[attempt._stage]
        for dial in stage.dialers:
            rtp = await self.media.open_leg(f"out-{attempt.number}")
            leg = self.new_leg(attempt)
            fork = Fork(leg, rtp)
            attempt.forks.append(fork)
            self._by_leg[leg] = (attempt, fork)
            try:
                dial(leg, self.offer_sdp(rtp))
            except Exception as exc:  # a dialer that cannot even start is a failed fork
                log.warning("dialing %s failed: %s", attempt.number, exc)
                fork.failed = 500
        if stage.no_response_timeout is not None:
            attempt._timer = asyncio.get_running_loop().call_later(
                stage.no_response_timeout, self._no_response, attempt)
        if all(f.failed for f in self._stage_forks(attempt)):
            await self._next_stage(attempt)

    def _stage_forks(self, attempt: Attempt) -> list[Fork]:
        n = len(attempt.stages[attempt._stage].dialers)
        return attempt.forks[-n:]

    # --- events from the switch ---------------------------------------------------------
    def ringing(self, leg: "SipLeg") -> None:
        attempt, fork = self._by_leg[leg]
        fork.ringing = True
        self._cancel_timer(attempt)
        if not attempt.done:
            attempt.on_ringing(attempt)

    def answered(self, leg: "SipLeg", sdp: str | None) -> None:
        attempt, fork = self._by_leg[leg]
        if attempt.done:
            leg.hangup()          # a second fork answered late
            return
        attempt.done = True
        self._cancel_timer(attempt)
        self._cancel_ring_timer(attempt)
        for other in attempt.forks:
            if other is not fork:
                other.sip.hangup()
        asyncio.ensure_future(self._release(attempt, keep=fork))
        attempt.on_answer(attempt, fork, sdp)

    def failed(self, leg: "SipLeg", code: int, reason: str) -> None:
        attempt, fork = self._by_leg[leg]
        fork.failed = code
        if attempt.done:
            return
        attempt._last = (code, reason)
        if all(f.failed for f in self._stage_forks(attempt)):
            if code in FAILOVER_CODES or code >= 500:
                asyncio.ensure_future(self._next_stage(attempt))
            else:  # busy, declined, not found: no point in trying elsewhere
                asyncio.ensure_future(self._stop(attempt, code, reason))

    def cancel(self, attempt: Attempt) -> None:
        """The caller went away: cancel every fork."""
        if not attempt.done:
            self._drop(attempt)

    def _drop(self, attempt: Attempt) -> asyncio.Future:
        """Stop ``attempt`` now (timers, forks); its media is released in the background."""
        attempt.done = True
        self._cancel_timer(attempt)
        self._cancel_ring_timer(attempt)
        for fork in attempt.forks:
            fork.sip.hangup()
        return asyncio.ensure_future(self._release(attempt, keep=None))

    # --- internals -----------------------------------------------------------------------
    def _no_response(self, attempt: Attempt) -> None:
        attempt._timer = None
        forks = self._stage_forks(attempt)
        if attempt.done or any(f.ringing for f in forks):
            return
        log.info("attempt %s: no response from stage %d, trying the next", attempt.number,
                 attempt._stage)
        for fork in forks:
            fork.failed = fork.failed or 408
            fork.sip.hangup()
        attempt._last = (408, "Request Timeout")
        asyncio.ensure_future(self._next_stage(attempt))

    def _give_up(self, attempt: Attempt, code: int, reason: str) -> None:
        attempt._ring_timer = None
        if not attempt.done:
            log.info("attempt %s: no answer within %.0f s", attempt.number, attempt.ring_timeout)
            asyncio.ensure_future(self._stop(attempt, 408, "No Answer"))

    async def _stop(self, attempt: Attempt, code: int, reason: str) -> None:
        if attempt.done:
            return
        await self._drop(attempt)
        attempt.on_fail(attempt, code, reason)

    async def _release(self, attempt: Attempt, keep: Fork | None) -> None:
        for fork in attempt.forks:
            if fork is keep:
                continue
            self._by_leg.pop(fork.sip, None)
            await self.media.close_leg(fork.rtp)
        if keep is not None:
            self._by_leg.pop(keep.sip, None)
        attempt.forks = [keep] if keep is not None else []

    def _cancel_timer(self, attempt: Attempt) -> None:
        if attempt._timer is not None:
            attempt._timer.cancel()
            attempt._timer = None

    def _cancel_ring_timer(self, attempt: Attempt) -> None:
        if attempt._ring_timer is not None:
            attempt._ring_timer.cancel()
            attempt._ring_timer = None
