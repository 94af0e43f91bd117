"""DTMF sent as SIP INFO inside a dialog (phones set to "SIP INFO" DTMF).

Two bodies are in use (neither has an RFC; both predate RFC 6086 Info Packages, so
they arrive as "legacy" INFO without an ``Info-Package`` header):

* ``application/dtmf-relay`` (Cisco's)::

      Signal=5
      Duration=160

* ``application/dtmf``: the key alone (``5``).

A key is one of ``0-9 * # A-D``; some phones send the RFC 4733 event code instead
(``10`` for ``*``, ``11`` for ``#``, ``12``-``15`` for ``A``-``D``).

sippy answers every INFO with 200 itself and passes the body on without its type;
:class:`ConnectedState` replaces that: it answers as RFC 3261 §8.2.3 asks and hands a
recognised digit to the dialog's event callback as a :class:`DtmfInfo` event.  The
answers:

* no body (some phones use INFO as a keep-alive): 200, nothing to do;
* a DTMF body: 200 and the digit; the flash-hook signal (``!``, event 16): 200 only;
* a DTMF body kefu cannot read (``Signal=X``): 400 with the reason;
* any other type: 415 with ``Accept`` listing the two DTMF types, unless its
  ``Content-Disposition`` says ``handling=optional`` (then 200, ignored).  A 415 leaves
  the dialog up (RFC 3261 §12.2.1.2) and tells the sender, rather than a 200 claiming
  its body was understood.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sippy.CCEvents import CCEventInfo
from sippy.SipGenericHF import SipGenericHF
from sippy.SipHeader import SipHeader
from sippy.UA import UA
from sippy.UaStateConnected import UaStateConnected

log = logging.getLogger(__name__)

DTMF_TYPES = ("application/dtmf-relay", "application/dtmf")
KEYS = "0123456789*#ABCD"          # by RFC 4733 event code
FLASH = ("!", "16")                # the flash-hook "signal": not a key


@dataclass(frozen=True)
class InfoDigit:
    """One key press read from an INFO body; ``duration_ms`` when the body gave one."""

    digit: str
    duration_ms: int | None = None


class InfoRefused(ValueError):
    """The INFO gets ``code`` (400 or 415) instead of 200."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


def parse_info(content_type: str | None, body: str, optional: bool = False
               ) -> InfoDigit | None:
    """The digit an INFO carries, None when it carries nothing for kefu, or
    :class:`InfoRefused`.  ``optional``: the body's Content-Disposition has
    ``handling=optional`` (an unknown type is then ignored, not refused)."""
    if not body.strip():
        return None
    ctype = (content_type or "").split(";", 1)[0].strip().lower()
    if ctype not in DTMF_TYPES:
        if optional:
            return None
        raise InfoRefused(415, "Unsupported Media Type")
    duration = None
    if ctype == "application/dtmf-relay":
        fields = {}
        for line in body.splitlines():
            name, sep, value = line.partition("=")
            if sep:
                fields[name.strip().lower()] = value.strip()
        signal = fields.get("signal")
        if signal is None:
            raise InfoRefused(400, "Bad Request (no Signal in dtmf-relay)")
        try:
            duration = int(fields["duration"]) if "duration" in fields else None
        except ValueError:
            duration = None          # the key still counts; the relay uses its default
        if duration is not None and duration <= 0:
            duration = None
    else:
        signal = body.strip()
    if signal in FLASH:
        return None
    key = _key(signal)
    if key is None:
        raise InfoRefused(400, "Bad Request (not a DTMF key)")
    return InfoDigit(key, duration)


def _key(signal: str) -> str | None:
    if len(signal) == 1 and signal.upper() in KEYS:
        return signal.upper()
    if signal.isdigit() and 10 <= int(signal) < len(KEYS):
        return KEYS[int(signal)]
    return None


class DtmfInfo(CCEventInfo):
    """An INFO that carried a key press; ``getData()`` is its :class:`InfoDigit`."""

    name = "DtmfInfo"


class ConnectedState(UaStateConnected):
    """sippy's connected dialog state, with INFO answered by :func:`parse_info`."""

    def _recvRequestInfo(self, req):
        body = req.getBody()
        ctype = body.mtype.name if body is not None and body.mtype is not None else None
        optional = any("handling=optional" in str(hf).replace(" ", "").lower()
                       for hf in req.getHFBodys("content-disposition"))
        try:
            found = parse_info(ctype, str(body) if body is not None else "", optional)
        except InfoRefused as exc:
            log.info("INFO (%s) in dialog %s: %d %s", ctype, self.ua.cId, exc.code, exc.reason)
            resp = req.genResponse(exc.code, exc.reason, server=self.ua.local_ua)
            if exc.code == 415:
                resp.appendHeader(SipHeader(name="accept",
                                            body=SipGenericHF(", ".join(DTMF_TYPES))))
            self.ua.global_config["_sip_tm"].sendResponse(resp)
            return None
        req.sendResponse(200, "OK")
        if found is not None:
            self.ua.equeue.append(DtmfInfo(found, rtime=req.rtime, origin=self.ua.origin))
        return None

    recv_request_handlers = {**UaStateConnected.recv_request_handlers,
                             "INFO": _recvRequestInfo}


# every dialog reaches its connected state through ``ua.UaStateConnected``
UA.UaStateConnected = ConnectedState
