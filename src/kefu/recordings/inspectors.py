"""Inspectors' phone access (质检员话机提取): the digits an inspector keys as their ID and
an argon2 hash of their PIN, in ``recording_inspectors``.

A PIN is short, so guessing is stopped by a lockout rather than by the hash alone: after
:data:`LOCK_AFTER` wrong PINs in a row for one ID, or from one phone, that ID or phone is
refused for :data:`LOCK_SECONDS`, even with the right PIN (and a locked ID sounds the same
as a wrong PIN: the caller learns nothing).  The count is kept in memory: a restart
forgets it, which costs a guesser a restart of the server per three tries.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select

from kefu.store.credentials import default_hasher
from kefu.store.db import Database
from kefu.store.errors import Conflict, Invalid, NotFound
from kefu.users.service import Users

from .models import InspectorRow

INSPECTOR_ROLES = ("qa", "supervisor", "admin")
"""Who may be given phone access: the roles that may hear others' recordings."""
CODE = re.compile(r"[0-9]{2,16}")
PIN = re.compile(r"[0-9]{4,16}")
LOCK_AFTER = 3           # wrong PINs in a row before the ID (or the phone) is locked
LOCK_SECONDS = 900.0     # how long a lock lasts
_KEPT = 10_000           # failure counts remembered at most (oldest dropped first)


@dataclass(frozen=True)
class Inspector:
    """An inspector's phone access (never the PIN or its hash)."""

    username: str
    code: str
    updated_at: float


@dataclass
class _Failures:
    count: int = 0
    locked_until: float = 0.0


class Inspectors:
    """Set, clear and check inspectors' phone access.  ``users`` (None in some tests):
    checks that a username is a user of an inspecting role; ``clock``: now, for the
    lockout (a fake in tests).  Thread-safe: checks run on worker threads."""

    def __init__(self, db: Database, users: Users | None = None, *,
                 hasher: PasswordHasher | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._db, self._users, self._clock = db, users, clock
        self._hasher = hasher or default_hasher()
        self._failures: dict[str, _Failures] = {}
        self._lock = threading.Lock()
        self._dummy: str | None = None

    # --- admin side -------------------------------------------------------------------
    def set(self, username: str, code: str, pin: str) -> Inspector:
        """Give ``username`` phone access as ``code`` with ``pin`` (replacing any it had).
        Invalid: not digits, or not an inspecting user; Conflict: another has the code."""
        if not CODE.fullmatch(code or ""):
            raise Invalid("code must be 2-16 digits")
        if not PIN.fullmatch(pin or ""):
            raise Invalid("pin must be 4-16 digits")
        if self._users is not None:
            user = self._users.user_named(username)
            if user is None:
                raise NotFound(f"user {username} does not exist")
            if user.role not in INSPECTOR_ROLES:
                raise Invalid(f"{username} is a {user.role}: only {', '.join(INSPECTOR_ROLES)}"
                              " may play recordings by phone")
        pin_hash = self._hasher.hash(pin)
        with self._db.tx() as s:
            other = s.scalar(select(InspectorRow).where(InspectorRow.code == code))
            if other is not None and other.username != username:
                raise Conflict(f"code {code} belongs to another inspector")
            row = s.scalar(select(InspectorRow).where(InspectorRow.username == username))
            if row is None:
                row = InspectorRow(username=username, code=code, pin_hash=pin_hash,
                                   updated_at=self._clock())
                s.add(row)
            else:
                row.code, row.pin_hash, row.updated_at = code, pin_hash, self._clock()
            s.flush()
            found = Inspector(row.username, row.code, row.updated_at)
        with self._lock:               # a new PIN: the ID's lock is lifted
            self._failures.pop(f"code:{code}", None)
        return found

    def clear(self, username: str) -> None:
        """Take ``username``'s phone access away; NotFound when there was none."""
        with self._db.tx() as s:
            done = s.execute(delete(InspectorRow).where(InspectorRow.username == username))
            if not getattr(done, "rowcount", 0):
                raise NotFound(f"{username} has no phone access")

    def get(self, username: str) -> Inspector | None:
        with self._db.tx(write=False) as s:
            row = s.scalar(select(InspectorRow).where(InspectorRow.username == username))
            return Inspector(row.username, row.code, row.updated_at) if row else None

    # --- the phone side ---------------------------------------------------------------
    def check(self, code: str, pin: str, phone: str = "") -> str | None:
        """The inspector's username when ``pin`` opens ``code`` and neither the code nor
        ``phone`` (the calling extension) is locked; else None, and the failure counts."""
        keys = [f"code:{code}"] + ([f"phone:{phone}"] if phone else [])
        if self.locked(code, phone):
            return None
        with self._db.tx(write=False) as s:
            row = s.scalar(select(InspectorRow).where(InspectorRow.code == code))
            username, stored = (row.username, row.pin_hash) if row else (None, None)
        if stored is None:             # the same work as a wrong PIN: no timing tell
            stored = self._dummy or self._hasher.hash("kefu-no-such-inspector")
            self._dummy = stored
        try:
            ok = self._hasher.verify(stored, pin) and username is not None
        except (VerificationError, InvalidHashError):
            ok = False
        if ok and self._users is not None:      # a user since removed or demoted
            user = self._users.user_named(username or "")
            ok = user is not None and user.role in INSPECTOR_ROLES
        with self._lock:
            if ok:
                for key in keys:
                    self._failures.pop(key, None)
                return username
            now = self._clock()
            for key in keys:
                f = self._failures.pop(key, None) or _Failures()
                f.count += 1
                if f.count >= LOCK_AFTER:
                    f.count, f.locked_until = 0, now + LOCK_SECONDS
                self._failures[key] = f          # to the end: the newest
            while len(self._failures) > _KEPT:
                self._failures.pop(next(iter(self._failures)))
        return None

    def locked(self, code: str, phone: str = "") -> bool:
        """Whether ``code`` or ``phone`` is locked now."""
        now = self._clock()
        with self._lock:
            return any((f := self._failures.get(k)) is not None and f.locked_until > now
                       for k in (f"code:{code}", f"phone:{phone}"))
