"""Per-address protection of the SIP service: bans after repeated auth failures, and
token-bucket throttling of REGISTER and new INVITEs (what fail2ban and Kamailio's
pike/htable do for other PBXs, built in).

Pure logic with an injectable clock; the hooks live elsewhere:

* ``KefuTransactionManager.handleIncoming`` drops every packet from a banned address
  before sippy parses it, and the TCP/TLS listeners refuse its connections
  (``is_banned``); open connections are closed through ``on_ban`` listeners;
* the registrar and the INVITE path report digest failures (``auth_failed``);
* ``SipServer._dispatch`` asks ``throttle`` before a REGISTER or an out-of-dialog
  INVITE and answers ``503`` with ``Retry-After`` when it says so;
* the SIP TCP/TLS listeners and the HTTP server admit each connection through a
  :class:`ConnectionCap` (open connections per address; ``connection_cap``).

Called from the sippy thread, the asyncio loop and the HTTP API: every public method
takes the one lock.  Memory is bounded: idle entries are swept, and each table is capped.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Iterable

log = logging.getLogger(__name__)

Clock = Callable[[], float]

MAX_TRACKED = 100_000       # addresses per table (failures, buckets); the oldest go first
LOG_EVERY = 10.0            # seconds between "throttled" log lines per address and kind
REFUSED_LOG_EVERY = 60.0    # ... and between "connection refused" lines per address and service
KINDS = ("register", "invite")


def normalize(host: str) -> str:
    """The canonical text of an address (``[::1]`` and ``::0:1`` become ``::1``)."""
    host = str(host).strip().strip("[]")
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return host.lower()


def parse_networks(entries: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """``trusted`` entries (addresses or CIDRs) as networks; a bad entry raises ValueError
    naming it."""
    nets = []
    for entry in entries:
        try:
            nets.append(ipaddress.ip_network(str(entry).strip().strip("[]"), strict=False))
        except ValueError:
            raise ValueError(f"security.trusted: {entry!r} is not an IP address or CIDR") from None
    return nets


@dataclass
class Ban:
    address: str
    reason: str
    since: float            # clock time
    until: float

    def as_dict(self, now: float) -> dict:
        return {"address": self.address, "reason": self.reason,
                "remaining": max(0.0, round(self.until - now, 1))}


@dataclass
class _Bucket:
    tokens: float
    stamp: float


@dataclass
class _Throttled:
    last_log: float = -math.inf
    suppressed: int = 0


@dataclass
class GuardStats:
    bans_total: int = 0
    auth_failures: int = 0
    throttled: dict[str, int] = field(default_factory=lambda: {k: 0 for k in KINDS})
    dropped: int = 0         # packets and connections from banned addresses


class Guard:
    """Bans and throttles per source address.

    ``limit`` digest failures within ``window`` seconds ban the address for ``ban_seconds``;
    ``rates`` gives each kind (``register``, ``invite``) its requests per second, with a
    burst of one second's worth (at least 1).  ``trusted`` (addresses or CIDRs) are never
    banned or throttled.
    """

    def __init__(self, limit: int = 5, window: float = 60.0, ban_seconds: float = 600.0,
                 rates: dict[str, float] | None = None, trusted: Iterable[str] = (),
                 clock: Clock = time.monotonic) -> None:
        self.limit = int(limit)
        self.window = float(window)
        self.ban_seconds = float(ban_seconds)
        self.rates = {k: float(v) for k, v in (rates or {}).items()}
        self.trusted = parse_networks(trusted)
        self.clock = clock
        self.stats = GuardStats()
        self._lock = threading.Lock()
        self._bans: dict[str, Ban] = {}
        self._next_expiry = math.inf
        self._failures: dict[str, deque[float]] = {}
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self._throttled: dict[tuple[str, str], _Throttled] = {}
        self._on_ban: list[Callable[[str], None]] = []
        self._trust_cache: dict[str, bool] = {}
        self._caps: dict[str, ConnectionCap] = {}

    @classmethod
    def from_settings(cls, s, clock: Clock = time.monotonic) -> "Guard":
        """From a :class:`kefu.config.SecuritySettings`."""
        return cls(s.auth_fail_limit, s.auth_fail_window, s.ban_seconds,
                   {"register": s.register_rate, "invite": s.invite_rate}, s.trusted, clock)

    def on_ban(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(address)`` whenever an address is banned (outside the lock)."""
        self._on_ban.append(listener)

    # --- trust ------------------------------------------------------------------------------
    def is_trusted(self, host: str) -> bool:
        if not self.trusted:
            return False
        addr = normalize(host)
        hit = self._trust_cache.get(addr)
        if hit is None:
            try:
                ip = ipaddress.ip_address(addr)
                hit = any(ip in net for net in self.trusted)
            except ValueError:
                hit = False
            if len(self._trust_cache) > MAX_TRACKED:
                self._trust_cache.clear()
            self._trust_cache[addr] = hit
        return hit

    def trust(self, entries: Iterable[str]) -> None:
        """Add trusted addresses or CIDRs at run time (e.g. the trunks' carrier addresses);
        lifts any ban they have."""
        nets = parse_networks(entries)
        with self._lock:
            self.trusted = self.trusted + [n for n in nets if n not in self.trusted]
            self._trust_cache = {}
        for addr in [a for a in list(self._bans) if self.is_trusted(a)]:
            self.unban(addr, "trusted")

    # --- bans -------------------------------------------------------------------------------
    def is_banned(self, host: str) -> bool:
        """True if packets from ``host`` must be dropped (the hot path: cheap when no bans)."""
        if not self._bans:
            return False
        addr = normalize(host)
        with self._lock:
            now = self.clock()
            if now >= self._next_expiry:
                self._expire(now)
            if addr in self._bans:
                self.stats.dropped += 1
                return True
        return False

    def auth_failed(self, host: str, reason: str = "authentication failed") -> bool:
        """Count a digest failure from ``host``; True if it got the address banned."""
        addr = normalize(host)
        if self.is_trusted(addr):
            return False
        with self._lock:
            now = self.clock()
            self.stats.auth_failures += 1
            if addr in self._bans:
                return False
            times = self._failures.get(addr)
            if times is None:
                if len(self._failures) >= MAX_TRACKED:
                    self._sweep_failures(now)
                    if len(self._failures) >= MAX_TRACKED:
                        self._failures.pop(next(iter(self._failures)))
                times = self._failures[addr] = deque()
            times.append(now)
            while times and times[0] <= now - self.window:
                times.popleft()
            if len(times) < self.limit:
                return False
            del self._failures[addr]
            why = f"{len(times)} authentication failures in {self.window:g} s ({reason})"
            self._ban(addr, self.ban_seconds, why, now)
        self._notify(addr)
        return True

    def ban(self, host: str, seconds: float | None = None, reason: str = "banned by an administrator") -> bool:
        """Ban ``host`` now (for the API).  Trusted addresses are refused: False."""
        addr = normalize(host)
        if self.is_trusted(addr):
            return False
        with self._lock:
            self._ban(addr, self.ban_seconds if seconds is None else float(seconds), reason,
                      self.clock())
        self._notify(addr)
        return True

    def unban(self, host: str, reason: str = "lifted by an administrator") -> bool:
        """Lift a ban (for the API); False if ``host`` was not banned."""
        addr = normalize(host)
        with self._lock:
            ban = self._bans.pop(addr, None)
            self._failures.pop(addr, None)
            self._reset_expiry()
        if ban is None:
            return False
        log.warning("SIP guard: unbanned %s (%s)", addr, reason)
        return True

    def bans(self) -> list[dict]:
        """Active bans: ``[{"address", "reason", "remaining"}]``, soonest to expire first."""
        with self._lock:
            now = self.clock()
            self._expire(now)
            return [b.as_dict(now) for b in sorted(self._bans.values(), key=lambda b: b.until)]

    def _ban(self, addr: str, seconds: float, reason: str, now: float) -> None:
        """(lock held)"""
        known = self._bans.get(addr)
        until = now + seconds
        if known is not None and known.until >= until:
            return
        self._bans[addr] = Ban(addr, reason, now, until)
        self._next_expiry = min(self._next_expiry, until)
        self.stats.bans_total += 1
        log.warning("SIP guard: banned %s for %g s: %s", addr, seconds, reason)

    def _notify(self, addr: str) -> None:
        for listener in self._on_ban:
            try:
                listener(addr)
            except Exception:
                log.exception("SIP guard: ban listener failed")

    def _expire(self, now: float) -> None:
        """(lock held)"""
        for addr in [a for a, b in self._bans.items() if b.until <= now]:
            del self._bans[addr]
            log.warning("SIP guard: unbanned %s (ban expired)", addr)
        self._reset_expiry()

    def _reset_expiry(self) -> None:
        self._next_expiry = min((b.until for b in self._bans.values()), default=math.inf)

    # --- throttling -------------------------------------------------------------------------
    def throttle(self, host: str, kind: str) -> float | None:
        """Take a token for a ``kind`` request from ``host``.

        None: go ahead.  Else the whole seconds to put in ``Retry-After`` (at least 1).
        """
        rate = self.rates.get(kind)
        if not rate or rate <= 0:
            return None
        addr = normalize(host)
        if self.is_trusted(addr):
            return None
        burst = max(1.0, rate)
        key = (addr, kind)
        with self._lock:
            now = self.clock()
            bucket = self._buckets.get(key)
            if bucket is None:
                if len(self._buckets) >= MAX_TRACKED:
                    self._sweep_buckets(now)
                    if len(self._buckets) >= MAX_TRACKED:
                        self._buckets.pop(next(iter(self._buckets)))
                bucket = self._buckets[key] = _Bucket(burst, now)
            else:
                bucket.tokens = min(burst, bucket.tokens + (now - bucket.stamp) * rate)
                bucket.stamp = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return None
            self.stats.throttled[kind] = self.stats.throttled.get(kind, 0) + 1
            retry = max(1, math.ceil((1.0 - bucket.tokens) / rate))
            more = self._note(key, now, LOG_EVERY)
            if more is not None:
                log.warning("SIP guard: throttled %s from %s: over %g/s; 503 Retry-After %d%s",
                            kind.upper(), addr, rate, retry, more)
            return retry

    def _note(self, key: tuple[str, str], now: float, every: float) -> str | None:
        """(lock held) Whether to log an event of ``key`` now: None (suppressed, counted),
        else the suffix to log ("" or how many were suppressed since the last line)."""
        note = self._throttled.get(key)
        if note is None:
            if len(self._throttled) >= MAX_TRACKED:
                self._throttled.clear()
            note = self._throttled[key] = _Throttled()
        if now - note.last_log < every:
            note.suppressed += 1
            return None
        more = f" (and {note.suppressed} more since the last report)" if note.suppressed else ""
        note.last_log, note.suppressed = now, 0
        return more

    # --- connections ------------------------------------------------------------------------
    def connection_cap(self, service: str, limit: int) -> "ConnectionCap":
        """The per-address cap of open connections of ``service`` (``sip``: TCP and TLS
        together, ``http``), counted in :meth:`status`."""
        cap = self._caps[service] = ConnectionCap(self, service, limit)
        return cap

    def _refused(self, addr: str, service: str, limit: int) -> None:
        with self._lock:
            more = self._note((addr, "conn:" + service), self.clock(), REFUSED_LOG_EVERY)
        if more is not None:
            log.warning("guard: refused %s connections from %s: %d already open (the cap)%s",
                        service.upper(), addr, limit, more)

    # --- housekeeping -----------------------------------------------------------------------
    def sweep(self) -> None:
        """Expire bans (logging each) and forget idle counters; call about once a second."""
        with self._lock:
            now = self.clock()
            self._expire(now)
            self._sweep_failures(now)
            self._sweep_buckets(now)
            for key, n in list(self._throttled.items()):
                every = REFUSED_LOG_EVERY if key[1].startswith("conn:") else LOG_EVERY
                if now - n.last_log > 3 * every:
                    del self._throttled[key]

    def _sweep_failures(self, now: float) -> None:
        for addr in [a for a, t in self._failures.items() if not t or t[-1] <= now - self.window]:
            del self._failures[addr]

    def _sweep_buckets(self, now: float) -> None:
        """Drop buckets that have refilled: a new bucket would be identical."""
        for key in [k for k, b in self._buckets.items()
                    if b.tokens + (now - b.stamp) * self.rates.get(k[1], 0) >= max(1.0, self.rates.get(k[1], 0))]:
            del self._buckets[key]

    def status(self) -> dict:
        """Counters for /health."""
        with self._lock:
            self._expire(self.clock())
            return {"bans_active": len(self._bans), "bans_total": self.stats.bans_total,
                    "auth_failures": self.stats.auth_failures,
                    "throttled": dict(self.stats.throttled), "dropped": self.stats.dropped,
                    "connections": {name: cap.status() for name, cap in self._caps.items()}}


class ConnectionCap:
    """Open connections per address for one service; beyond ``limit`` a new connection is
    refused (the caller closes it at once), counted, and logged once per address (then at
    most every ``REFUSED_LOG_EVERY`` seconds, with how many more).  Trusted addresses are
    not capped.  Used on the asyncio loop only (both listeners and HTTP live there).
    """

    def __init__(self, guard: Guard, service: str, limit: int) -> None:
        self.guard = guard
        self.service = service
        self.limit = int(limit)
        self.refused = 0
        self.timed_out = 0        # closed by the transports' deadlines (counted for status)
        self._open: dict[str, int] = {}

    def admit(self, host: str) -> str | None:
        """Count a new connection from ``host``: the key to :meth:`release` it with, or
        None when refused."""
        addr = normalize(host)
        n = self._open.get(addr, 0)
        if n >= self.limit and not self.guard.is_trusted(addr):
            self.refused += 1
            self.guard._refused(addr, self.service, self.limit)
            return None
        self._open[addr] = n + 1
        return addr

    def release(self, addr: str) -> None:
        """A connection admitted as ``addr`` has closed."""
        n = self._open.get(addr, 0) - 1
        if n > 0:
            self._open[addr] = n
        else:
            self._open.pop(addr, None)

    def open(self, host: str | None = None) -> int:
        """Open connections from ``host``, or from everyone."""
        if host is None:
            return sum(self._open.values())
        return self._open.get(normalize(host), 0)

    def status(self) -> dict:
        return {"open": self.open(), "addresses": len(self._open), "limit": self.limit,
                "refused": self.refused, "timed_out": self.timed_out}
