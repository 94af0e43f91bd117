"""The in-process event bus.

Every state change of a call or an agent is published here as an :class:`Event`;
subscribers (the event log writer, WebSockets, reports) consume them.  The bus is a
seam: a Redis implementation with the same two methods replaces it on multi-node sites.
Publishing is safe from any thread; handlers always run on the asyncio loop.

What each event type carries is declared in :mod:`kefu.events`; :func:`set_check` makes
every bus hold publishers to it (the tests and ``KEFU_CHECK_EVENTS=1`` do).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """One thing that happened. ``type`` is dotted, e.g. ``call.answered``."""

    type: str
    call_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    ts: float = field(default_factory=time.time)


Handler = Callable[[Event], Any]
Check = Callable[[Event], None]

_check: Check | None = None


def set_check(check: Check | None) -> Check | None:
    """Have every bus call ``check`` on each event before delivering it (None: stop);
    returns the previous one.  Off by default: the check costs a validation per event."""
    global _check
    previous, _check = _check, check
    return previous


class Bus(Protocol):
    def publish(self, event: Event) -> None: ...
    def subscribe(self, handler: Handler, prefix: str = "") -> Callable[[], None]: ...


class LocalBus:
    """Delivers events to subscribers on one asyncio loop, in publish order."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._loop = loop
        self._subs: list[tuple[str, Handler]] = []

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def subscribe(self, handler: Handler, prefix: str = "") -> Callable[[], None]:
        entry = (prefix, handler)
        self._subs.append(entry)
        return lambda: self._subs.remove(entry) if entry in self._subs else None

    def publish(self, event: Event) -> None:
        if _check is not None:
            _check(event)
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is None or running is loop:
            self._deliver(event)
        else:
            loop.call_soon_threadsafe(self._deliver, event)

    def _deliver(self, event: Event) -> None:
        for prefix, handler in list(self._subs):
            if not event.type.startswith(prefix):
                continue
            try:
                result = handler(event)
                if asyncio.iscoroutine(result):
                    asyncio.ensure_future(result)
            except Exception:  # a bad subscriber must not break the others
                log.exception("event handler %r failed on %s", handler, event.type)
