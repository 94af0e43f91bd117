"""Where each extension can be reached: the registrar's bindings.

Written by the registrar on the sippy thread, read by call routing on the asyncio loop,
hence the lock.  Expired bindings are dropped lazily whenever they are looked at.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


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

    @property
    def transport(self) -> str:
        """``tcp`` when the contact asks for it, else ``udp``."""
        return "tcp" if ";transport=tcp" in self.contact.lower() else "udp"

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
