"""HTTP connections that cannot pile up: a request-header deadline and a per-address cap.

uvicorn's own timer (``timeout_keep_alive``) only starts after a response, so a client
that opens a connection and never finishes its request headers holds a descriptor for
ever; a few hundred such connections exhaust kefu's descriptors and with them SIP and
media.  :func:`protocol` makes uvicorn's h11 protocol class with two additions:

* ``connection_made`` admits the connection through the per-address
  :class:`~kefu.sip.guard.ConnectionCap` (refused: closed at once, counted and logged by
  the guard) and arms the header deadline;
* the deadline is disarmed once a request's headers are complete and re-armed when bytes
  of a next request arrive on a kept-alive connection; when it fires the connection is
  closed.  A WebSocket upgrade stays counted until the WebSocket closes.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from kefu.sip.guard import ConnectionCap

log = logging.getLogger(__name__)


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with the header deadline and the cap (see the module)."""

    cap: ConnectionCap | None = None
    header_timeout: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._admitted: str | None = None
        self._deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self.cap is not None:
            self._admitted = self.cap.admit(self.client[0] if self.client else "")
            if self._admitted is None:       # counted and logged by the guard
                transport.close()
                return
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)
        self._release()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # still no complete request line and headers (a new or kept-alive connection)?
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            if self._deadline is None:
                self._arm()
        else:
            self._disarm()

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        self._disarm()
        super().handle_websocket_upgrade(event)
        ws = self.transport.get_protocol()
        lost = ws.connection_lost

        def connection_lost(exc: Exception | None) -> None:
            try:
                lost(exc)
            finally:
                self._release()

        ws.connection_lost = connection_lost  # type: ignore[method-assign]

    def _arm(self) -> None:
        self._deadline = self.loop.call_later(self.header_timeout, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        if self.conn.their_state is not h11.IDLE or self.transport.is_closing():
            return
        # half-open connections come by the hundred in an attack: not one INFO line each
        log.debug("HTTP %s: no complete request headers within %g s; closing",
                  self.client, self.header_timeout)
        if self.cap is not None:
            self.cap.timed_out += 1
        self.transport.close()

    def _release(self) -> None:
        if self._admitted is not None and self.cap is not None:
            self.cap.release(self._admitted)
        self._admitted = None


def protocol(cap: ConnectionCap | None, header_timeout: float) -> type[GuardedH11Protocol]:
    """The protocol class to give ``uvicorn.Config(http=...)``."""
    return type("KefuH11Protocol", (GuardedH11Protocol,),
                {"cap": cap, "header_timeout": float(header_timeout)})
