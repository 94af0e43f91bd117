"""Where each extension can be reached: the registrar's bindings.

Written by the registrar on the sippy thread, read by call routing on the asyncio loop,
hence the lock.  Expired bindings are dropped lazily whenever they are looked at.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from dataclasses import dataclass

_RFC1918 = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


def is_private(host: str) -> bool:
    """True for an RFC 1918 IPv4 address (what phones behind NAT put in their Contact)."""
    try:
        ip = ipaddress.ip_address(str(host).strip("[]"))
    except ValueError:
        return False
    return ip.version == 4 and any(ip in net for net in _RFC1918)


def _same_host(a: str, b: str) -> bool:
    a, b = str(a).strip("[]"), str(b).strip("[]")
    try:
        return ipaddress.ip_address(a) == ipaddress.ip_address(b)
    except ValueError:
        return a.lower() == b.lower()


def behind_nat(contact: tuple, source: tuple, rport: bool, stream: bool) -> bool:
    """Whether requests for ``contact`` (host, port) must go to ``source`` instead.

    True when the Contact is not where the message came from, and either the phone asked
    for symmetric responses (``rport`` in its Via, RFC 3581) or the Contact is an RFC 1918
    address.  On TCP/TLS only the host counts: the source port of a connection is ephemeral.
    """
    same = _same_host(contact[0], source[0])
    if same and (stream or int(contact[1]) == int(source[1])):
        return False
    return rport or is_private(contact[0])


@dataclass(frozen=True)
class Binding:
    aor: str                    # the extension number
    contact: str                # the Contact URI, e.g. sip:1001@127.0.0.1:5080;transport=udp
    host: str                   # where to send requests for this contact
    port: int
    expires_at: float           # time.monotonic() deadline
    call_id: str
    cseq: int
    source: tuple[str, int]     # where the REGISTER came from
    nated: bool = False         # behind NAT: host/port are the source, not the Contact's
    source_transport: str = ""  # udp/tcp/tls the REGISTER came over

    @property
    def transport(self) -> str:
        """``tls``/``tcp`` when the contact asks for it (or a ``sips:`` URI), else ``udp``;
        behind NAT, the transport the REGISTER came over."""
        if self.nated and self.source_transport:
            return self.source_transport
        contact = self.contact.lower()
        if ";transport=tls" in contact or contact.startswith("sips:"):
            return "tls"
        return "tcp" if ";transport=tcp" in contact else "udp"

    def remaining(self, now: float | None = None) -> int:
        return max(0, int(round(self.expires_at - (now or time.monotonic()))))


class Locations:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._bindings: dict[str, dict[str, Binding]] = {}

    def lookup(self, aor: str) -> list[Binding]:
        now = time.monotonic()
        with self._lock:
            current = self._bindings.get(aor, {})
            for contact in [c for c, b in current.items() if b.expires_at <= now]:
                del current[contact]
            return list(current.values())

    def get(self, aor: str, contact: str) -> Binding | None:
        return next((b for b in self.lookup(aor) if b.contact == contact), None)

    def put(self, binding: Binding) -> None:
        with self._lock:
            self._bindings.setdefault(binding.aor, {})[binding.contact] = binding

    def remove(self, aor: str, contact: str | None = None) -> None:
        """Remove one contact, or all of ``aor``'s when contact is None."""
        with self._lock:
            if contact is None:
                self._bindings.pop(aor, None)
            else:
                self._bindings.get(aor, {}).pop(contact, None)

    def count(self) -> int:
        return sum(len(self.lookup(aor)) for aor in list(self._bindings))

    def snapshot(self) -> dict[str, list[Binding]]:
        return {aor: bs for aor in list(self._bindings) if (bs := self.lookup(aor))}
