"""Who may find and hear which recordings: the one rule, in one place.

- ``admin``: every recording.
- ``supervisor`` and ``qa`` (the inspector): their groups.  A group is the queues set for
  them (``recording_scopes``); they hear the recordings of those queues' agents.  No queue
  set: every recording (a small site's default).
- ``agent``: only recordings of their own calls, and only if the site allows it
  (``[recordings] agents_hear_own``).
- anyone else: none.

:func:`visible_agents` turns the rule into the search's ``agents`` filter;
:func:`check` applies it to one recording.  A denial is :class:`Denied` with its reason
(the API answers 403).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
from typing import Callable, Iterable

from .records import Recording

ALL = None
"""visible_agents' answer when every recording may be seen."""


class Denied(Exception):
    """The caller may not see this (the reason is the message)."""


def visible_agents(username: str, role: str, scope: tuple[str, ...],
                   members: Callable[[Iterable[str]], Iterable[str]],
                   agents_hear_own: bool) -> tuple[str, ...] | None:
    """The agents whose recordings ``username`` may see (None: all of them).

    ``scope``: the queues set for the user; ``members(queues)``: those queues' agents."""
    if role == "admin":
        return ALL
    if role in ("supervisor", "qa"):
        return ALL if not scope else tuple(sorted(set(members(scope))))
    if role == "agent":
        if not agents_hear_own:
            raise Denied("this site does not let agents hear recordings")
        return (username,)
    raise Denied(f"role {role} may not see recordings")


def check(username: str, rec: Recording, agents: tuple[str, ...] | None) -> None:
    """Raise :class:`Denied` unless ``rec`` is among what ``agents`` (from
    :func:`visible_agents` for ``username``) lets the caller see."""
    if agents is ALL or rec.agent in agents:
        return
    if agents == (username,):
        raise Denied("agents hear only their own calls")
    raise Denied("this recording is outside your groups (its agent is in none of your "
                 "queues)")


class Tickets:
    """Short-lived signed permissions to fetch one recording's audio without a bearer
    header (an ``<audio>`` element or a download link cannot send one).

    A ticket names the recording, the user it was issued to (the audit log's "who") and
    its expiry, signed with HMAC-SHA256 under a secret made for this process (a restart
    voids every ticket).  :meth:`first_use` says whether a ticket is used for an action
    for the first time: a player's many range requests are one play in the audit log."""

    def __init__(self, ttl: float = 300.0, clock: Callable[[], float] = time.time) -> None:
        self.ttl = ttl
        self._clock = clock
        self._secret = secrets.token_bytes(32)
        self._used: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def issue(self, recording_id: int, username: str) -> tuple[str, float]:
        """A ticket for ``recording_id`` and when it expires."""
        expires = round(self._clock() + self.ttl, 3)
        body = base64.urlsafe_b64encode(
            f"{recording_id}:{expires!r}:{username}".encode()).decode().rstrip("=")
        return f"{body}.{self._sign(body)}", expires

    def check(self, ticket: str, recording_id: int) -> str:
        """The user a valid ticket for ``recording_id`` was issued to; :class:`Denied`
        for a forged, expired or other recording's ticket."""
        body, _, signature = ticket.partition(".")
        if not hmac.compare_digest(signature.encode(), self._sign(body).encode()):
            raise Denied("the ticket is not valid")
        try:
            text = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
            rid, expires, username = text.split(":", 2)
            if int(rid) != recording_id:
                raise Denied("the ticket is for another recording")
            if float(expires) < self._clock():
                raise Denied("the ticket has expired: ask for a new one")
        except (ValueError, UnicodeDecodeError) as exc:
            raise Denied("the ticket is not valid") from exc
        return username

    def first_use(self, ticket: str, action: str) -> bool:
        """True the first time ``ticket`` is used for ``action`` (play, download)."""
        now = self._clock()
        with self._lock:
            for key in [k for k, at in self._used.items() if at < now - 2 * self.ttl]:
                del self._used[key]
            if (ticket, action) in self._used:
                return False
            self._used[(ticket, action)] = now
            return True

    def _sign(self, body: str) -> str:
        return hmac.new(self._secret, body.encode(), hashlib.sha256).hexdigest()
