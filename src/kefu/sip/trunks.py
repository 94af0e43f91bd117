"""SIP trunks: which source addresses are carriers, and kefu's registrations to them.

:class:`Trunks` is built from the ``[[trunks]]`` settings.  :meth:`Trunks.match_source`
tells the server that an INVITE comes from a carrier (it is then accepted without digest
authentication); :meth:`Trunks.start` (sippy thread) registers to every trunk with
``register = true`` through sippy's ``SipRegistrationAgent``: digest auth to the carrier's
401/407, refresh before the granted expiry, retry after failures, and a status per trunk
for ``/health`` (:meth:`Trunks.status`, any thread).
"""

from __future__ import annotations

import ipaddress
import logging
import time
from typing import Callable, Iterable, Iterator

from sippy.SipHeader import SipHeader
from sippy.SipRegistrationAgent import SipRegistrationAgent
from sippy.SipURL import SipURL
from sippy.Time.Timeout import Timeout

from kefu.config import TrunkConfig

log = logging.getLogger(__name__)

Notify = Callable[[str, str, dict], None]       # (event type, trunk name, data)

MAX_AUTH_TRIES = 3          # challenges answered in a row before the carrier is refusing us


def refresh_after(granted: float) -> float:
    """Seconds after a successful REGISTER to send the next one: well before expiry."""
    return max(0.5, granted - min(60.0, granted * 0.2))


class _Registration(SipRegistrationAgent):
    """sippy's agent with the answer handling kefu needs.

    Over the stock ``gotreply``: the refresh goes out before the registration expires (not
    at the moment it does), the refresh timer can be cancelled, a 407 is answered with a
    ``Proxy-Authorization`` header, 423 raises the interval to the carrier's Min-Expires,
    and every outcome is reported to :class:`Trunks`.
    """

    def __init__(self, owner: "Trunks", trunk: TrunkConfig, config: dict,
                 contact_host: str, contact_port: int) -> None:
        domain = trunk.from_domain or trunk.host
        aor = SipURL(username=trunk.username, host=domain,
                     port=None if trunk.from_domain else trunk.port)
        transport = None if trunk.transport == "udp" else trunk.transport
        contact = SipURL(username=trunk.username, host=contact_host, port=contact_port,
                         transport=transport)
        super().__init__(config, aor, contact, user=trunk.username, passw=trunk.password,
                         exp=trunk.expires, target=((trunk.host, trunk.port), trunk.transport))
        # sippy writes the expires param into the dict only; setParam makes it go out
        self.rmsg.getHFBody("contact").address.setParam("expires", str(trunk.expires))
        self.owner = owner
        self.trunk = trunk
        self.contact_url = contact
        self.timer = None

    def schedule(self, delay: float) -> None:
        if self.timer is not None:
            self.timer.cancel()
        self.timer = Timeout(self._fire, delay)

    def _fire(self) -> None:
        self.timer = None
        self.doregister()

    def stopregister(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        super().stopregister()

    def gotreply(self, resp) -> None:
        if self.dead or resp.scode < 200:
            return
        code, reason = resp.scode, resp.reason
        if 200 <= code < 300:
            self.atries = 0
            granted = self._granted(resp)
            self.schedule(refresh_after(granted))
            self.owner._registered(self.trunk, code, reason, granted, refresh_after(granted))
            return
        if code in (401, 407) and self.atries < MAX_AUTH_TRIES and self._answer(resp, code):
            return
        if code == 423 and resp.countHFs("min-expires") > 0 and self.atries < MAX_AUTH_TRIES:
            try:
                wanted = int(str(resp.getHFBody("min-expires")).strip())
            except ValueError:
                wanted = 0
            if self.exp < wanted <= 86400:
                log.info("trunk %s: carrier wants registrations of at least %d s",
                         self.trunk.name, wanted)
                self.exp = wanted
                self.rmsg.getHFBody("contact").address.setParam("expires", str(wanted))
                self.atries += 1
                self.doregister()
                return
        self.atries = 0
        self.schedule(self.owner.retry)
        self.owner._failed(self.trunk, code, reason, self.owner.retry)

    def _answer(self, resp, code: int) -> bool:
        """Repeat the REGISTER with credentials for the challenge in ``resp``."""
        name = "www-authenticate" if code == 401 else "proxy-authenticate"
        if not (self.user and self.passw) or resp.countHFs(name) == 0:
            return False
        for challenge in resp.getHFBodys(name):
            supported, qop = challenge.supportedAlgorithm()
            if supported:
                break
        else:
            return False
        auth = challenge.genAuthHF(self.user, self.passw, "REGISTER", str(self.rmsg.ruri),
                                   qop=qop)
        for old in self.rmsg.getHFs("authorization") + self.rmsg.getHFs("proxy-authorization"):
            self.rmsg.removeHeader(old)
        self.rmsg.appendHeader(SipHeader(body=auth))   # Authorization / Proxy-Authorization
        self.atries += 1
        self.doregister()
        return True

    def _granted(self, resp) -> int:
        """The interval the carrier granted to our contact (its Contact, Expires, or ours)."""
        mine = self.contact_url
        first = None
        try:
            for contact in resp.getHFBodys("contact"):
                if contact.asterisk:
                    continue
                url = contact.getUrl()
                value = contact.address.params.get("expires")
                if value is None:
                    continue
                if first is None:
                    first = value
                if (url.username == mine.username and str(url.host) == str(mine.host)
                        and url.getPort() == mine.getPort()):
                    return max(1, int(value))
            if first is not None:
                return max(1, int(first))
            if resp.countHFs("expires") > 0:
                return max(1, resp.getHFBody("expires").getNum())
        except (ValueError, TypeError, AttributeError):
            log.info("trunk %s: unparsable expiry in the carrier's 2xx", self.trunk.name)
        return self.exp


class _State:
    """What /health shows for one trunk (replaced whole, so readers see a consistent copy)."""

    __slots__ = ("registered", "last_code", "last_reason", "expires_at", "next_refresh")

    def __init__(self, registered: bool = False, last_code: int | None = None,
                 last_reason: str = "", expires_at: float | None = None,
                 next_refresh: float | None = None) -> None:
        self.registered = registered
        self.last_code = last_code
        self.last_reason = last_reason
        self.expires_at = expires_at
        self.next_refresh = next_refresh


class Trunks:
    """The configured trunks.  ``retry``: seconds before a failed registration is retried."""

    def __init__(self, configs: Iterable[TrunkConfig], *, retry: float = 60.0,
                 notify: Notify | None = None) -> None:
        self.configs: dict[str, TrunkConfig] = {}
        for t in configs:
            self.configs[t.name] = t
        self.retry = retry
        self.notify: Notify = notify or (lambda *a: None)
        self._sources = [(ipaddress.ip_network(src, strict=False), t)
                         for t in self.configs.values() for src in t.inbound_sources]
        self._agents: dict[str, _Registration] = {}
        self._state: dict[str, _State] = {t.name: _State() for t in self.configs.values()
                                          if t.register}

    def __iter__(self) -> Iterator[TrunkConfig]:
        return iter(self.configs.values())

    def __len__(self) -> int:
        return len(self.configs)

    def get(self, name: str) -> TrunkConfig | None:
        return self.configs.get(name)

    def match_source(self, ip: str) -> TrunkConfig | None:
        """The trunk whose ``inbound_sources`` hold ``ip``, or None."""
        try:
            addr = ipaddress.ip_address(str(ip).strip("[]"))
        except ValueError:
            return None
        if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
            addr = addr.ipv4_mapped
        for net, trunk in self._sources:
            if addr.version == net.version and addr in net:
                return trunk
        return None

    # --- registrations (sippy thread) -----------------------------------------------------
    def start(self, config: dict, contact_host: str, contact_port: int) -> None:
        """Register to every trunk with ``register = true``; ``config`` holds ``_sip_tm``."""
        for trunk in self.configs.values():
            if not trunk.register or trunk.name in self._agents:
                continue
            agent = _Registration(self, trunk, config, contact_host, contact_port)
            self._agents[trunk.name] = agent
            log.info("trunk %s: registering to %s:%d/%s as %s", trunk.name, trunk.host,
                     trunk.port, trunk.transport, trunk.username)
            agent.doregister()

    def stop(self) -> None:
        for agent in self._agents.values():
            agent.stopregister()
        self._agents.clear()

    def _registered(self, trunk: TrunkConfig, code: int, reason: str, granted: float,
                    refresh_in: float) -> None:
        now = time.time()
        before = self._state.get(trunk.name)
        was = before is not None and before.registered
        self._state[trunk.name] = _State(True, code, reason, now + granted, now + refresh_in)
        if was:
            log.debug("trunk %s: registration refreshed (%d s)", trunk.name, granted)
        else:
            log.info("trunk %s: registered (%d %s, %d s, refresh in %.0f s)",
                     trunk.name, code, reason, granted, refresh_in)
            self.notify("trunk.registered", trunk.name, {"code": code, "expires": granted})

    def _failed(self, trunk: TrunkConfig, code: int, reason: str, retry_in: float) -> None:
        now = time.time()
        before = self._state.get(trunk.name) or _State()
        # a failed refresh leaves the old registration valid until it expires
        still = before.registered and before.expires_at is not None and now < before.expires_at
        self._state[trunk.name] = _State(still, code, reason, before.expires_at if still else None,
                                         now + retry_in)
        log.warning("trunk %s: registration failed: %d %s (retry in %.0f s)",
                    trunk.name, code, reason, retry_in)
        self.notify("trunk.registration_failed", trunk.name, {"code": code, "reason": reason})

    # --- status (any thread) --------------------------------------------------------------
    def status(self) -> dict:
        """``{name: {...}}`` for every trunk; registration fields for ``register = true``."""
        now = time.time()
        out: dict[str, dict] = {}
        for t in self.configs.values():
            item: dict = {"host": t.host, "port": t.port, "transport": t.transport,
                          "register": t.register}
            st = self._state.get(t.name)
            if st is not None:
                registered = st.registered and st.expires_at is not None and now < st.expires_at
                item.update(registered=registered, last_code=st.last_code,
                            last_reason=st.last_reason, expires_at=st.expires_at,
                            next_refresh=st.next_refresh)
            out[t.name] = item
        return out
