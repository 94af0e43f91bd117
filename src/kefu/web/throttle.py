"""Login throttling: growing delays, then a lockout, per username and per address.

Every wrong password costs an attacker time: after ``free`` failures (``FREE_TRIES`` for a
username; half its limit for an address, which a whole office may share) the next try
must wait ``BASE_DELAY * 2**(k - free)`` seconds from the k-th failure, and ``limit``
failures lock the name (or the address) out for ``lockout`` seconds.  A refused try is
answered without checking the password, so it costs kefu no argon2.  Tries being checked
count against the budget while they run (and once delays apply only one runs at a time),
so parallel requests cannot buy more guesses than sequential ones.

A success clears the username's record, never the address's: an attacker holding one
account must not reset its address by logging in between guesses.  Records are forgotten
once ``lockout`` seconds pass without a failure.  Pure logic over an injected clock;
state is per process (a restart forgets it).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any, Callable, Literal

log = logging.getLogger(__name__)

FREE_TRIES = 3           # failures before the first delay
BASE_DELAY = 1.0         # seconds after the FREE_TRIES-th failure; doubles with each one
MAX_RECORDS = 10_000     # names and addresses tracked; the oldest idle ones go first
RECENT = 100             # events kept for GET /auth/lockouts

Kind = Literal["username", "address"]


@dataclass
class _Record:
    failures: int = 0
    last: float = 0.0            # when the newest failure happened
    locked_until: float = 0.0
    pending: int = 0             # tries being checked now
    refused: int = 0             # tries answered 429 since the first failure


@dataclass(frozen=True)
class AuthEvent:
    """``failed`` (a wrong password or unknown user), ``lockout`` or ``unlock``."""

    ts: float
    type: str
    kind: Kind
    key: str
    failures: int
    username: str = ""
    address: str = ""
    by: str = ""


class LoginThrottle:
    def __init__(self, limit: int, address_limit: int, lockout: float,
                 clock: Callable[[], float] = time.time) -> None:
        self.limits: dict[Kind, int] = {"username": limit, "address": address_limit}
        self.free: dict[Kind, int] = {"username": FREE_TRIES,
                                      "address": max(FREE_TRIES, address_limit // 2)}
        self.lockout = lockout
        self.clock = clock
        self.recent: deque[AuthEvent] = deque(maxlen=RECENT)
        self._records: dict[tuple[Kind, str], _Record] = {}
        self._lock = threading.Lock()

    # --- the login route ---------------------------------------------------------------
    def begin(self, username: str, address: str) -> float | None:
        """None: go ahead and check the password (then call :meth:`end`).  Else the
        seconds to wait; the try is refused and must not be checked."""
        with self._lock:
            now = self.clock()
            keys = self._keys(username, address)
            wait = max(self._wait(self._record(k, now), k[0], now) for k in keys)
            if wait > 0:
                for k in keys:
                    if rec := self._records.get(k):
                        rec.refused += 1
                return wait
            for k in keys:
                self._record(k, now, create=True).pending += 1
            return None

    def end(self, username: str, address: str, ok: bool | None) -> list[AuthEvent]:
        """The outcome of a try :meth:`begin` let through (None: it could not be checked,
        e.g. the database is down: counted neither way); the events it caused."""
        events: list[AuthEvent] = []
        with self._lock:
            now = self.clock()
            for key in self._keys(username, address):
                rec = self._record(key, now, create=True)
                rec.pending = max(0, rec.pending - 1)
                if ok is None:
                    continue
                if ok:
                    if key[0] == "username" and rec.pending == 0:
                        del self._records[key]
                    continue
                rec.failures += 1
                rec.last = now
                if key[0] == "username":        # one per try, with the name's count
                    events.append(self._event("failed", key, rec, username, address, now))
                if rec.failures >= self.limits[key[0]] and rec.locked_until <= now:
                    rec.locked_until = now + self.lockout
                    events.append(self._event("lockout", key, rec, username, address, now))
                    log.warning("login: %s %r locked out for %g s after %d failures "
                                "(last try for %r from %s)", key[0], key[1], self.lockout,
                                rec.failures, username, address)
            self._prune(now)
        return events

    # --- admins ------------------------------------------------------------------------
    def status(self) -> list[dict[str, Any]]:
        """Every name and address with failures: count, lockout, how long a try waits."""
        with self._lock:
            now = self.clock()
            out = []
            for (kind, key), rec in list(self._records.items()):
                rec = self._record((kind, key), now)
                if rec.failures == 0:
                    continue
                out.append({"kind": kind, "key": key, "failures": rec.failures,
                            "last_failure": rec.last, "refused": rec.refused,
                            "locked_until": rec.locked_until if rec.locked_until > now else None,
                            "retry_after": retry_after(self._wait(rec, kind, now, busy=False))})
            return out

    def lift(self, kind: Kind, key: str, by: str = "") -> bool:
        """Forget ``key``'s failures (an admin unlocks it); False when it had none."""
        with self._lock:
            rec = self._records.get((kind, key))
            if rec is None or rec.failures == 0:
                return False
            rec.failures, rec.locked_until, rec.refused = 0, 0.0, 0
            self.recent.append(AuthEvent(self.clock(), "unlock", kind, key, 0, by=by))
            log.info("login: %s %r unlocked by %s", kind, key, by or "?")
            return True

    def events(self) -> list[dict[str, Any]]:
        """The recent events, newest first."""
        with self._lock:
            return [asdict(e) for e in reversed(self.recent)]

    # --- inside ------------------------------------------------------------------------
    @staticmethod
    def _keys(username: str, address: str) -> list[tuple[Kind, str]]:
        return [("username", username), ("address", address)]

    def _record(self, key: tuple[Kind, str], now: float, create: bool = False) -> _Record:
        """The key's record, its failures forgotten when served or stale."""
        rec = self._records.get(key)
        if rec is None:
            rec = _Record()
            if create:
                self._records[key] = rec
            return rec
        locked_out = rec.locked_until and now >= rec.locked_until
        if rec.failures and (locked_out or now - rec.last >= self.lockout):
            rec.failures, rec.locked_until, rec.refused = 0, 0.0, 0
        return rec

    def _wait(self, rec: _Record, kind: Kind, now: float, busy: bool = True) -> float:
        """Seconds before the key may try again (0: now).  ``busy``: count the tries
        being checked (for a new try, not for the admins' view)."""
        if rec.locked_until > now:
            return rec.locked_until - now
        free = self.free[kind]
        if rec.failures >= free:
            ready = rec.last + min(BASE_DELAY * 2 ** (rec.failures - free), self.lockout)
            if ready > now:
                return ready - now
        if busy and (rec.failures + rec.pending >= self.limits[kind]
                     or (rec.failures >= free and rec.pending)):
            return BASE_DELAY      # the budget is in use by tries still being checked
        return 0.0

    def _event(self, type_: str, key: tuple[Kind, str], rec: _Record, username: str,
               address: str, now: float) -> AuthEvent:
        event = AuthEvent(now, type_, key[0], key[1], rec.failures, username, address)
        self.recent.append(event)
        return event

    def _prune(self, now: float) -> None:
        if len(self._records) <= MAX_RECORDS:
            return
        for key in list(self._records):
            rec = self._record(key, now)
            if rec.pending == 0 and rec.failures == 0:
                del self._records[key]
        for key in list(self._records)[:len(self._records) - MAX_RECORDS]:
            if self._records[key].pending == 0 and self._records[key].locked_until <= now:
                del self._records[key]


def retry_after(wait: float) -> int:
    """``Retry-After`` in whole seconds, at least 1 when there is any wait."""
    return max(1, math.ceil(wait)) if wait > 0 else 0
