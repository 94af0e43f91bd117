"""The registrar (RFC 3261 §10): REGISTER with digest auth, expiry, refresh, removal.

Runs on the sippy thread.  An extension may have several contacts (desk phone and
softphone); each is kept until it expires, is removed with ``expires=0`` or all of
them with ``Contact: *``.
"""

from __future__ import annotations

import logging
import time
from typing import Callable

from sippy.SipContact import SipContact
from sippy.SipHeader import SipHeader
from sippy.SipGenericHF import SipGenericHF

from kefu.config import SipSettings
from kefu.sip.auth import AuthResult, Lookup, authenticate, challenge_header
from kefu.sip.locations import Binding, Locations, behind_nat

log = logging.getLogger(__name__)

Notify = Callable[[str, str, dict], None]   # (event type, aor, data)


class Registrar:
    # told of every failed digest (wrong password, unknown user): (source host, reason);
    # the server points it at its Guard
    on_auth_failure: Callable[[str, str], object] = staticmethod(lambda host, reason: None)

    def __init__(self, settings: SipSettings, locations: Locations, lookup: Lookup,
                 notify: Notify | None = None) -> None:
        self.settings = settings
        self.locations = locations
        self.lookup = lookup
        self.notify = notify or (lambda *a: None)

    def handle(self, req):
        """Return the response to a REGISTER request."""
        to_user = req.getHFBody("to").getUrl().username
        result = authenticate(req, self.settings.realm, self.lookup)
        if result is AuthResult.CHALLENGE:
            resp = req.genResponse(401, "Unauthorized")
            resp.appendHeader(challenge_header(self.settings.realm))
            return resp
        if result is AuthResult.FORBIDDEN:
            self.notify("registration.failed", to_user or "", {"source": list(req.getSource())})
            self.on_auth_failure(req.getSource()[0], f"REGISTER for {to_user!r}")
            return req.genResponse(403, "Forbidden")
        if result != to_user:
            log.warning("REGISTER: %s may not register %r", result, to_user)
            return req.genResponse(403, "Forbidden (user does not match To)")
        return self._update(req, to_user)

    def _update(self, req, aor: str):
        s = self.settings
        default = s.default_expires
        if req.countHFs("expires") > 0:
            try:
                default = req.getHFBody("expires").getNum()
            except Exception:
                return req.genResponse(400, "Bad Request (Expires)")
        contacts = req.getHFBodys("contact")
        call_id = str(req.getHFBody("call-id"))
        cseq = req.getHFBody("cseq").getCSeqNum()
        if any(c.asterisk for c in contacts):
            if default != 0 or len(contacts) != 1:
                return req.genResponse(400, "Bad Request (Contact: * needs Expires: 0)")
            self.locations.remove(aor)
            self.notify("registration.removed", aor, {"contact": "*"})
            return self._ok(req, aor)
        now = time.monotonic()
        source, transport = req.getSource(ver=2)
        source, transport = tuple(source), str(transport or "udp").lower()
        rport = "rport" in req.getHFBody("via").params
        for contact in contacts:
            url = contact.getUrl()
            raw = contact.address.getParam("expires")
            try:
                expires = int(raw) if raw is not None else int(default)
            except ValueError:
                return req.genResponse(400, "Bad Request (expires parameter)")
            if 0 < expires < s.min_expires:
                resp = req.genResponse(423, "Interval Too Brief")
                resp.appendHeader(SipHeader(name="min-expires", body=SipGenericHF(str(s.min_expires))))
                return resp
            uri = str(url)
            known = self.locations.get(aor, uri)
            if known is not None and known.call_id == call_id and cseq <= known.cseq:
                return req.genResponse(400, "Bad Request (out of order CSeq)")
            if expires == 0:
                self.locations.remove(aor, uri)
                self.notify("registration.removed", aor, {"contact": uri})
                continue
            expires = min(expires, s.max_expires)
            host, port = url.getAddr()
            if url.port is None and (";transport=tls" in uri.lower() or uri.lower().startswith("sips:")):
                port = 5061                                    # RFC 3261 §19.1.2
            nated = behind_nat((host, port), source, rport, transport in ("tcp", "tls"))
            if nated:     # like Kamailio's fix_nated_register: reach it where it came from
                host, port = source
                log.info("REGISTER %s: contact %s is behind NAT; using %s:%s", aor, uri, *source)
            self.locations.put(Binding(aor=aor, contact=uri, host=str(host), port=int(port),
                                       expires_at=now + expires, call_id=call_id, cseq=cseq,
                                       source=source, nated=nated, source_transport=transport))
            if known is None:
                self.notify("registration.added", aor, {"contact": uri, "expires": expires})
        return self._ok(req, aor)

    def _ok(self, req, aor: str):
        resp = req.genResponse(200, "OK")
        now = time.monotonic()
        for b in self.locations.lookup(aor):
            contact = SipContact(body=f"<{b.contact}>;expires={b.remaining(now)}")
            resp.appendHeader(SipHeader(name="contact", body=contact))
        return resp
