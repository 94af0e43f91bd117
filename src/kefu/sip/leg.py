"""A SIP call leg: one dialog of the B2BUA, wrapping a sippy ``UA``.

The caller's leg (inbound, UAS) and each callee's leg (outbound, UAC) are separate
dialogs; media never flows through the peers' SDP, it is anchored on kefu.  Actions
(ring, answer, reject, hang up) may be called from the asyncio loop; they are carried
to the sippy thread.  What the peer does comes back to the :class:`LegListener`
on the asyncio loop, key presses sent as SIP INFO (:mod:`kefu.sip.info`) included.
"""

from __future__ import annotations

import itertools
import logging
from typing import Protocol

from sippy.CCEvents import (CCEventConnect, CCEventDisconnect, CCEventFail, CCEventRing,
                            CCEventTry, CCEventUpdate)
from sippy.MsgBody import MsgBody

from kefu.sip.info import DtmfInfo
from kefu.sip.thread import SipThread

log = logging.getLogger(__name__)
_ids = itertools.count(1)


class LegListener(Protocol):
    """What the call layer hears from a leg (always on the asyncio loop)."""

    def leg_ringing(self, leg: "SipLeg") -> None: ...
    def leg_answered(self, leg: "SipLeg", sdp: str | None) -> None: ...
    def leg_failed(self, leg: "SipLeg", code: int, reason: str) -> None: ...
    def leg_ended(self, leg: "SipLeg") -> None: ...
    def leg_updated(self, leg: "SipLeg", sdp: str | None) -> None: ...
    def leg_referred(self, leg: "SipLeg", target: str, replaces: str | None) -> None: ...
    def leg_dtmf(self, leg: "SipLeg", digit: str, duration_ms: int | None) -> None: ...


class SipLeg:
    """One dialog.  ``direction`` is ``in`` for the caller's leg, ``out`` for a callee's."""

    def __init__(self, thread: SipThread, direction: str, *, caller: str = "", callee: str = "",
                 caller_name: str = "", headers: tuple[tuple[str, str], ...] = ()) -> None:
        self.id = f"leg{next(_ids)}"
        self.thread = thread
        self.direction = direction
        self.caller = caller
        self.callee = callee
        self.caller_name = caller_name
        self.headers = headers         # extra headers of an outgoing INVITE (name, value)
        self.remote_sdp: str | None = None
        self.local_sdp: str | None = None
        self.listener: LegListener | None = None
        self.ua = None                 # sippy UA, touched on the sippy thread only
        self.ended = False
        self.trunk: str | None = None  # the carrier trunk this leg runs over, if any

    def __repr__(self) -> str:
        return f"<SipLeg {self.id} {self.direction} {self.caller}->{self.callee}>"

    def dialog_id(self) -> str | None:
        """The SIP Call-ID of this dialog (what a Replaces header names)."""
        ua = self.ua
        return str(ua.cId) if ua is not None and ua.cId is not None else None

    # --- actions (any thread) ------------------------------------------------------------
    def ring(self) -> None:
        self._send(CCEventRing, (180, "Ringing", None))

    def answer(self, sdp: str) -> None:
        self.local_sdp = sdp
        self._send(CCEventConnect, (200, "OK", MsgBody(sdp)))

    def reject(self, code: int, reason: str) -> None:
        self.ended = True
        self._send(CCEventFail, (code, reason))

    def hangup(self) -> None:
        """BYE when connected, CANCEL while ringing out, 480 if still unanswered in."""
        if self.ended:
            return
        self.ended = True
        self._send(CCEventDisconnect, None)

    def _send(self, event_cls, data) -> None:
        def deliver() -> None:
            if self.ua is not None:
                self.ua.recvEvent(event_cls(data, origin="kefu"))
        self.thread.call(deliver)

    # --- from sippy (sippy thread) ---------------------------------------------------------
    def on_sippy_event(self, event, ua) -> None:
        listener = self.listener
        if listener is None:
            return
        to_loop = self.thread.to_loop
        if isinstance(event, CCEventTry):
            return  # the INVITE itself: the server already announced this leg
        if isinstance(event, CCEventRing):
            to_loop(listener.leg_ringing, self)
        elif isinstance(event, CCEventConnect):
            code, _reason, body = event.getData()
            if code == "ACK":
                return  # ACK of our 200 OK
            self.remote_sdp = str(body) if body is not None else None
            to_loop(listener.leg_answered, self, self.remote_sdp)
        elif isinstance(event, CCEventFail):
            code, reason = event.getData()[:2]
            self.ended = True
            to_loop(listener.leg_failed, self, int(code), str(reason))
        elif isinstance(event, CCEventDisconnect):
            if self.ended:
                return
            self.ended = True
            refer_to = event.getData()
            if refer_to is not None and hasattr(refer_to, "getUrl"):
                # sippy accepted a REFER (202) and hangs this dialog up: a transfer
                url = refer_to.getUrl()
                replaces = (url.headers or {}).get("Replaces")
                to_loop(listener.leg_referred, self, url.username or "",
                        replaces.split(";", 1)[0] if replaces else None)
            else:
                to_loop(listener.leg_ended, self)
        elif isinstance(event, DtmfInfo):
            press = event.getData()
            to_loop(listener.leg_dtmf, self, press.digit, press.duration_ms)
        elif isinstance(event, CCEventUpdate):
            body = event.getData()
            self.remote_sdp = str(body) if body is not None else self.remote_sdp
            to_loop(listener.leg_updated, self, self.remote_sdp)
