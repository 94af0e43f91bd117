"""The SIP server: sippy's transaction manager plus kefu's request dispatch.

Out-of-dialog requests land in :meth:`SipServer._on_request` on the sippy thread:
REGISTER goes to the registrar, OPTIONS is answered, an INVITE is authenticated and
becomes an inbound :class:`SipLeg` handed to the :class:`CallHandler` on the asyncio
loop.  Requests inside a dialog are routed by sippy to their ``UA`` directly.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import sippy.Network_server
import sippy.SipTransactionManager
from sippy.SipAddress import SipAddress
from sippy.SipConf import MyPort, SipConf
from sippy.SipContact import SipContact
from sippy.SipURL import SipURL
from sippy.SipHeader import SipHeader
from sippy.SipGenericHF import SipGenericHF
from sippy.SipLogger import SipLogger
from sippy.UA import UA
from sippy.CCEvents import CCEventTry
from sippy.MsgBody import MsgBody
from sippy.Time.Timeout import Timeout

from kefu.config import LimitsSettings, SecuritySettings, SipSettings, TlsSettings, TrunkConfig
from kefu.sip.auth import AuthResult, Lookup, authenticate, challenge_header
from kefu.sip.guard import Guard
from kefu.sip.leg import SipLeg
from kefu.sip.locations import Binding, Locations
from kefu.sip.registrar import Notify, Registrar
from kefu.sip import sippy_fixes  # noqa: F401  (patches sippy's parser at import)
from kefu.sip.tcp import KefuTransactionManager, TcpTransport  # SIP over TCP
from kefu.sip.thread import SipThread
from kefu.sip.trunks import Trunks
from kefu.sip import mwi
from kefu.sip import tls as sip_tls

log = logging.getLogger(__name__)

ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO"
# methods kefu knows of but does not offer out of a dialog (405); any other is unknown (501)
KNOWN_METHODS = ("SUBSCRIBE", "NOTIFY", "MESSAGE", "REFER", "PUBLISH")
# SIP extensions kefu implements: a Require naming any other is answered 420 (RFC 3261 §8.2.2.3)
SUPPORTED: frozenset[str] = frozenset()
USER_AGENT = "kefu"


class CallHandler(Protocol):
    """Implemented by the call layer (kefu.calls): receives every new inbound call leg."""

    def incoming(self, leg: SipLeg) -> None: ...


class _Written(SipGenericHF):
    """A header sippy has no class for, sent under its name as written: sippy's generic
    one capitalises the first letter only ("Call-info", "Retry-after"), and some phones
    match header names literally."""

    def __init__(self, name: str, body: str) -> None:
        super().__init__(body, name)
        self.written = name

    def getCopy(self) -> _Written:
        return _Written(self.written, self.body)

    def getCanName(self, name, compact=False) -> str:
        return self.written


def _header(name: str, value: str) -> SipHeader:
    return SipHeader(name=name, body=_Written(name, value))


class _QuietLogger(SipLogger):
    """sippy's message logger, routed into Python logging at DEBUG."""

    def __init__(self) -> None:  # sippy's own logger opens files and threads; we don't
        self._log = logging.getLogger("kefu.sip.wire")

    def write(self, *args, **kwargs) -> None:
        if self._log.isEnabledFor(logging.DEBUG):
            self._log.debug("".join(str(a) for a in args))

    def shutdown(self) -> None:
        pass


def _log_sippy_error(msg: str, f=None, extra=None) -> None:
    """Replaces sippy's ``dump_exception`` (full traceback and raw message to stdout).

    A malformed packet is the peer's fault, not ours: one log line with the reason,
    never the message itself (it may carry credentials).
    """
    exc = sys.exc_info()[1]
    SipServer.bad_messages += 1
    log.warning("%s: %s: %s", msg, type(exc).__name__ if exc else "error", exc)


for _module in (sippy.SipTransactionManager, sippy.Network_server):
    _module.dump_exception = _log_sippy_error  # type: ignore[attr-defined]


class SipServer:
    bad_messages = 0    # malformed datagrams sippy could not parse (all servers)

    def __init__(self, settings: SipSettings, lookup: Lookup, handler: CallHandler,
                 notify: Notify | None = None, *, tls: TlsSettings | None = None,
                 security: SecuritySettings | None = None, data_dir: Path | None = None,
                 trunks: Trunks | None = None, limits: LimitsSettings | None = None) -> None:
        self.settings = settings
        self.limits = limits or LimitsSettings()
        self.lookup = lookup
        self.handler = handler
        self.locations = Locations()
        self.registrar = Registrar(settings, self.locations, lookup, notify)
        # bans and throttling per source address (kefu.sip.guard); the API may list and
        # lift bans with guard.bans() / guard.unban(address); /health: guard.status()
        self.guard = Guard.from_settings(security or SecuritySettings())
        self.registrar.on_auth_failure = self.guard.auth_failed
        self.guard.on_ban(self._close_connections)
        # open SIP TCP+TLS connections per address (refusals counted in guard.status())
        self.connection_cap = self.guard.connection_cap("sip", self.limits.sip_per_address)
        # SIP over TLS (kefu.sip.tls) when tls.enabled; None: not offered
        self.tls_settings = tls if tls is not None and tls.enabled else None
        self.data_dir = Path(data_dir) if data_dir is not None else Path("./data")
        self.tls_certificate: Path | None = None
        self.tls_fingerprint: str | None = None
        self._tls_context = None
        self._guard_timer: Timeout | None = None
        self.thread: SipThread | None = None
        self._config: dict = {}
        self._tm: KefuTransactionManager | None = None
        self.bad_requests = 0
        # carriers (kefu.sip.trunks): INVITEs from their addresses skip digest auth;
        # registrations to them start with the server; /health: trunks.status()
        self.trunks = trunks if trunks is not None else Trunks(())
        # voicemail's light (kefu.sip.mwi): phones' subscriptions, and the counts of an
        # extension's mailbox (new, old) the composition root answers; None: 0/0
        self.subscriptions = mwi.Subscriptions()
        self.mailbox_counts: Callable[[str], tuple[int, int]] | None = None

    # --- lifecycle -------------------------------------------------------------------------
    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        if self.tls_settings is not None:      # certificate problems stop start-up here
            t = self.tls_settings
            self._tls_context, self.tls_certificate, self.tls_fingerprint = sip_tls.load(
                t.cert_file, t.key_file, self.data_dir, self.settings.host)
            log.info("SIP/TLS certificate %s, SHA-256 fingerprint %s",
                     self.tls_certificate, self.tls_fingerprint)
        self.thread = SipThread(loop)
        self.thread.start(self._setup)
        log.info("SIP listening on udp:%s:%d", self.settings.host, self.settings.port)

    def _setup(self) -> None:
        SipConf.my_address = self.settings.host
        # a "my" port: Via and Contact take the port of the transport sending (5061 on TLS)
        SipConf.my_port = MyPort(self.settings.port)
        SipConf.my_uaname = USER_AGENT
        SipConf.allow_formats = (0, 8, 9, 101)
        self._config = {
            "_sip_address": self.settings.host,
            "_sip_port": self.settings.port,
            "_sip_logger": _QuietLogger(),
        }
        # SIP over TCP (kefu.sip.tcp): same host/port as UDP, sockets on the asyncio loop
        self._tm = KefuTransactionManager(self._config, self._on_request)
        self._tm.on_malformed = self._count_malformed
        lim = self.limits
        self._tm.start_tcp(self.thread.loop, self.settings.host, self.settings.port,
                           header_timeout=lim.header_timeout, unbound_idle=lim.sip_unbound_idle)
        # the guard sees every packet first, and refuses connections of banned addresses
        self._tm.banned = self.guard.is_banned
        self._guard_stream(self._tm.tcp)
        if self._tls_context is not None:
            self._tm.tls = sip_tls.TlsTransport(
                self.thread.loop, (self.settings.host, self.tls_settings.port),
                self._tm.handleIncoming, self._tls_context,
                header_timeout=lim.header_timeout, unbound_idle=lim.sip_unbound_idle)
            self._guard_stream(self._tm.tls)
        self._guard_timer = Timeout(self.guard.sweep, 1.0, -1)   # bans expire on time
        self._config["_sip_tm"] = self._tm
        self.trunks.start(self._config, self.settings.host, self.settings.port)

    def stop(self) -> None:
        if self.thread is not None:
            def shutdown() -> None:
                self.trunks.stop()
                if self._guard_timer is not None:
                    self._guard_timer.cancel()
                    self._guard_timer = None
                if self._tm:
                    self._tm.stop_tcp()  # SIP over TCP
                    self._tm.l4r.shutdown()
            self.thread.stop(shutdown)

    def _guard_stream(self, transport: TcpTransport) -> None:
        """Bans, the per-address cap and the registrations that keep connections open."""
        transport.refuse = self.guard.is_banned
        transport.cap = self.connection_cap
        transport.trusted = self.guard.is_trusted
        transport.bound = self._registered_peers

    def _registered_peers(self) -> list[tuple[str, int]]:
        """The TCP/TLS peers that registrations were made over (asyncio loop)."""
        return [b.source for bindings in self.locations.snapshot().values()
                for b in bindings if b.source_transport in ("tcp", "tls")]

    @staticmethod
    def _count_malformed() -> None:
        SipServer.bad_messages += 1

    def _close_connections(self, host: str) -> None:
        """A banned address keeps no TCP/TLS connection (any thread)."""
        tm = self._tm
        for transport in (tm.tcp, tm.tls) if tm is not None else ():
            if transport is not None:
                transport.drop_host(host)

    # --- requests (sippy thread) -----------------------------------------------------------
    def _on_request(self, req, sip_t):
        try:
            return self._dispatch(req, sip_t)
        except Exception:
            self.bad_requests += 1
            log.exception("could not handle %s from %s", _method(req), _source(req))
            return (req.genResponse(400, "Bad Request"), None, None)

    def _dispatch(self, req, sip_t):
        method = req.getMethod()
        for name in ("from", "to", "call-id", "cseq"):
            if req.countHFs(name) == 0:
                self.bad_requests += 1
                log.warning("%s from %s without %s header: 400", method, _source(req), name)
                return (req.genResponse(400, f"Bad Request (missing {name})"), None, None)
        cseq = req.getHFBody("cseq")
        if not 0 <= cseq.getCSeqNum() < 2**31:  # RFC 3261 §8.1.1.5
            self.bad_requests += 1
            log.warning("%s from %s with CSeq out of range: 400", method, _source(req))
            return (req.genResponse(400, "Bad Request (CSeq number)"), None, None)
        if cseq.getCSeqMethod() != method:
            self.bad_requests += 1
            log.warning("%s from %s with CSeq of another method: 400", method, _source(req))
            return (req.genResponse(400, "Bad Request (CSeq method)"), None, None)
        if method == "SUBSCRIBE" and _event(req) == "message-summary":
            return self._subscribe(req)          # voicemail's light (kefu.sip.mwi)
        if req.getHFBody("to").getTag() is not None:
            return (req.genResponse(481, "Call Leg/Transaction Does Not Exist"), None, None)
        unsupported = _unsupported(req)
        if unsupported:
            log.info("%s from %s requires %s: 420", method, _source(req), ", ".join(unsupported))
            resp = req.genResponse(420, "Bad Extension")
            resp.appendHeader(_header("Unsupported", ", ".join(unsupported)))
            return (resp, None, None)
        if method in ("REGISTER", "INVITE"):      # per-address token buckets (guard)
            retry = self.guard.throttle(req.getSource()[0], method.lower())
            if retry is not None:
                resp = req.genResponse(503, "Service Unavailable")
                resp.appendHeader(_header("Retry-After", str(retry)))
                return (resp, None, None)
        if method == "REGISTER":
            return (self.registrar.handle(req), None, None)
        if method == "OPTIONS":
            resp = req.genResponse(200, "OK")
            resp.appendHeader(SipHeader(name="allow", body=SipGenericHF(ALLOW)))
            return (resp, None, None)
        if method == "INVITE":
            return self._invite(req, sip_t)
        if method in ("BYE", "INFO", "UPDATE", "PRACK"):
            return (req.genResponse(481, "Call Leg/Transaction Does Not Exist"), None, None)
        if method in KNOWN_METHODS:
            resp = req.genResponse(405, "Method Not Allowed")
        else:                                               # RFC 3261 §8.2.1
            resp = req.genResponse(501, "Not Implemented")
        resp.appendHeader(SipHeader(name="allow", body=SipGenericHF(ALLOW)))
        return (resp, None, None)

    def _invite(self, req, sip_t):
        if req.countHFs("max-forwards") > 0 and req.getHFBody("max-forwards").getNum() <= 0:
            return (req.genResponse(483, "Too Many Hops"), None, None)
        # a carrier is known by its address; anyone else must authenticate as an extension
        trunk = self.trunks.match_source(req.getSource()[0])
        if trunk is not None:
            result = req.getHFBody("from").getUrl().username or ""
        else:
            result = authenticate(req, self.settings.realm, self.lookup)
        if result is AuthResult.CHALLENGE:
            resp = req.genResponse(401, "Unauthorized")
            resp.appendHeader(challenge_header(self.settings.realm))
            return (resp, None, None)
        if result is AuthResult.FORBIDDEN:
            callee = req.getRURI().username or ""
            self.guard.auth_failed(req.getSource()[0], f"INVITE to {callee!r}")
            return (req.genResponse(403, "Forbidden"), None, None)
        if req.countHFs("contact") == 0:
            return (req.genResponse(400, "Bad Request (missing Contact)"), None, None)
        callee = req.getRURI().username or ""
        if trunk is not None and trunk.username and callee == trunk.username:
            # sent to the contact kefu registered: the DID is in To
            callee = req.getHFBody("to").getUrl().username or callee
        from_hf = req.getHFBody("from")
        name = from_hf.getUri().name or ""
        leg = SipLeg(self.thread, "in", caller=result, callee=callee, caller_name=name)
        if trunk is not None:
            leg.trunk = trunk.name
            log.info("INVITE from trunk %s (%s): %r -> DID %r", trunk.name, _source(req),
                     result, callee)
        body = req.getBody()
        leg.remote_sdp = str(body) if body is not None else None
        ua = UA(self._config, event_cb=leg.on_sippy_event)
        ua.local_ua = None
        ua.lContact = _contact()
        leg.ua = ua
        rval = ua.recvRequest(req, sip_t)
        self.thread.to_loop(self.handler.incoming, leg)
        return rval

    # --- message waiting (any thread) ------------------------------------------------------
    def message_waiting(self, extension: str, new: int, old: int) -> None:
        """Tell ``extension``'s phones how many voicemail messages wait (:mod:`kefu.sip.mwi`):
        a NOTIFY message-summary in each subscription, and unsolicited to each other
        registered contact."""
        if self.thread is not None:     # the subscriptions live on the sippy thread
            self.thread.call(self._message_waiting, extension, new, old)

    def _message_waiting(self, extension: str, new: int, old: int) -> None:
        subs = self.subscriptions.of(extension)
        for sub in subs:
            self._notify_waiting(sub.contact, (sub.target, sub.transport), extension, new, old,
                                 sub)
        subscribed = {_bare(s.contact) for s in subs}
        for b in self.locations.lookup(extension):
            if _bare(b.contact) not in subscribed:
                self._notify_waiting(b.contact, ((b.host, b.port), b.transport), extension,
                                     new, old, None)

    def _subscribe(self, req):
        """SUBSCRIBE for message-summary (sippy thread): a phone's own mailbox, digest
        authenticated; 200 with kefu's tag, then the first NOTIFY (``Expires: 0``: the last)."""
        result = authenticate(req, self.settings.realm, self.lookup)
        if result is AuthResult.CHALLENGE:
            resp = req.genResponse(401, "Unauthorized")
            resp.appendHeader(challenge_header(self.settings.realm))
            return (resp, None, None)
        call_id = str(req.getHFBody("call-id"))
        tag = req.getHFBody("to").getTag()
        sub = self.subscriptions.get(call_id, tag) if tag is not None else None
        # a refresh or the end is sent to kefu's Contact: the subscription names the mailbox
        aor = sub.aor if sub is not None else req.getRURI().username or ""
        if result is AuthResult.FORBIDDEN or result != aor:
            if result is AuthResult.FORBIDDEN:
                self.guard.auth_failed(req.getSource()[0], f"SUBSCRIBE to {aor!r}")
            return (req.genResponse(403, "Forbidden"), None, None)
        expires = (req.getHFBody("expires").getNum() if req.countHFs("expires")
                   else self.settings.default_expires)
        expires = max(0, min(expires, self.settings.max_expires))
        if tag is not None:
            if sub is None:
                return (req.genResponse(481, "Subscription Does Not Exist"), None, None)
        else:
            if req.countHFs("contact") == 0:
                return (req.genResponse(400, "Bad Request (missing Contact)"), None, None)
            contact = str(req.getHFBody("contact").getUrl())
            binding = next((b for b in self.locations.lookup(aor)
                            if _bare(b.contact) == _bare(contact)), None)
            target, transport = (((binding.host, binding.port), binding.transport) if binding
                                 else (tuple(req.getSource()), "udp"))
            sub = mwi.Subscription(aor, call_id, req.getHFBody("from").getTag() or "",
                                   contact, target, transport, 0.0)
            self.subscriptions.add(sub)
        sub.expires_at = time.monotonic() + expires
        if expires == 0:
            self.subscriptions.remove(sub)
        resp = req.genResponse(200, "OK")
        resp.getHFBody("to").setTag(sub.local_tag)
        resp.appendHeader(_header("Expires", str(expires)))
        resp.appendHeader(SipHeader(name="contact", body=_contact()))
        # after the 200 has gone: the counts come from the loop (the mailboxes' database)
        assert self.thread is not None          # requests come only once started
        self.thread.to_loop(self._first_notify, sub, expires == 0)
        return (resp, None, None)

    def _first_notify(self, sub: mwi.Subscription, ending: bool) -> None:
        """The NOTIFY a subscription starts (or ends) with (asyncio loop)."""
        counts = (0, 0)
        if self.mailbox_counts is not None and not ending:
            try:
                counts = self.mailbox_counts(sub.aor)
            except Exception:           # the light shows nothing rather than the call failing
                log.exception("mailbox counts of %s", sub.aor)
        assert self.thread is not None
        self.thread.call(self._notify_waiting, sub.contact, (sub.target, sub.transport),
                         sub.aor, None if ending else counts[0], counts[1], sub, ending)

    def _notify_waiting(self, contact: str, target, aor: str, new: int | None, old: int,
                        sub: mwi.Subscription | None, ending: bool = False) -> None:
        if self._tm is None:
            return
        req = mwi.notify(aor, self.settings.host, self.settings.port, new, old, contact,
                         target, sub)
        for name, value in mwi.headers(sub, ending):
            req.appendHeader(_header(name, value))

        def answered(resp) -> None:
            if resp.scode >= 300:
                log.info("NOTIFY message-summary to %s: %d %s", contact, resp.scode,
                         resp.reason)
                if sub is not None and resp.scode == 481:
                    self.subscriptions.remove(sub)
        try:
            self._tm.newTransaction(req, answered)
        except Exception as e:      # a contact that cannot be reached: its light stays
            log.warning("NOTIFY message-summary to %s: %s", contact, e)

    # --- outbound legs (any thread) --------------------------------------------------------
    def dial(self, binding: Binding, leg: SipLeg, sdp: str) -> None:
        """Send an INVITE for ``leg`` to a registered contact."""
        leg.local_sdp = sdp
        user = _contact_user(binding.contact) or binding.aor

        def start() -> None:
            ua = UA(self._config, event_cb=leg.on_sippy_event,
                    nh_address=(binding.host, binding.port), nh_transport=binding.transport)
            ua.lContact = _contact()
            leg.ua = ua
            event = CCEventTry((None, leg.caller, user, MsgBody(sdp), None,
                                leg.caller_name or leg.caller), origin="kefu")
            if leg.headers:         # on the INVITE only (and its authenticated retry)
                event.extra_headers = tuple(_header(name, value) for name, value in leg.headers)
            ua.recvEvent(event)
        self.thread.call(start)

    def dial_trunk(self, trunk: TrunkConfig | str, number: str, caller_id: str, leg: SipLeg,
                   sdp: str) -> None:
        """Send an INVITE for ``leg`` to ``number`` over a carrier trunk.

        Goes to the trunk's host:port/transport; From is ``caller_id`` (host: the trunk's
        ``from_domain``, else kefu's address); the carrier's 401/407 are answered with the
        trunk's credentials by sippy's UA.  Outcomes arrive on ``leg.listener`` as for
        :meth:`dial`.
        """
        config = self.trunks.get(trunk) if isinstance(trunk, str) else trunk
        if config is None:
            raise KeyError(f"unknown trunk {trunk!r}")
        leg.local_sdp = sdp
        leg.trunk = config.name

        def start() -> None:
            try:
                ua = UA(self._config, event_cb=leg.on_sippy_event,
                        username=config.username or None, password=config.password or None,
                        nh_address=(config.host, config.port), nh_transport=config.transport)
                ua.lContact = _contact()
                leg.ua = ua
                event = _TrunkTry((None, caller_id, number, MsgBody(sdp), None,
                                   leg.caller_name or None), origin="kefu")
                event.from_domain = config.from_domain
                ua.recvEvent(event)
            except Exception as exc:   # e.g. a tls trunk while tls.enabled = false
                log.error("trunk %s: cannot send the INVITE: %s", config.name, exc)
                leg.ended = True
                if leg.listener is not None:
                    self.thread.to_loop(leg.listener.leg_failed, leg, 503,
                                        "Service Unavailable (trunk unusable)")
        self.thread.call(start)


class _TrunkTry(CCEventTry):
    """An outbound INVITE to a carrier: From host ``from_domain`` (when set), and no
    ``transport=udp`` in the R-URI (the default, and some carriers refuse the parameter)."""

    from_domain = ""

    def onUacSetupComplete(self, uac) -> None:
        if self.from_domain:
            url = uac.lUri.getUrl()
            url.host, url.port = self.from_domain, None
        if str(uac.rTarget.transport).lower() == "udp":
            uac.rTarget.transport = None

    def getCopy(self):
        cself = super().getCopy()
        cself.from_domain = self.from_domain
        return cself


def _contact() -> SipContact:
    """kefu's Contact, as sippy's default but without the display name "Anonymous"
    (some peers, sipp among them, copy the whole header into a Request-URI)."""
    url = SipURL(host=SipConf.my_address, port=SipConf.my_port, transport=SipConf.my_transport)
    return SipContact(address=SipAddress(url=url, hadbrace=True))


def _unsupported(req) -> list[str]:
    """The option tags of the request's Require headers kefu does not implement."""
    tags = []
    for hf in req.getHFs("require"):
        tags += [t.strip() for t in str(hf.getBody()).split(",") if t.strip()]
    return [t for t in tags if t.lower() not in SUPPORTED]


def _event(req) -> str:
    """The Event package a request names (no parameters), or ""."""
    if req.countHFs("event") == 0:
        return ""
    return str(req.getHFBody("event")).split(";")[0].strip().lower()


def _bare(uri: str) -> str:
    """A contact URI without brackets and parameters, to compare two."""
    return uri.strip().strip("<>").split(";")[0]


def _contact_user(uri: str) -> str | None:
    rest = uri.split(":", 1)[-1]
    return rest.split("@", 1)[0] if "@" in rest else None


def _method(req) -> str:
    try:
        return req.getMethod()
    except Exception:
        return "?"


def _source(req) -> str:
    try:
        return "%s:%s" % req.getSource()
    except Exception:
        return "?"
