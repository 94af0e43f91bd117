"""The one seam between sippy's event dispatcher thread and asyncio.

sippy runs its own dispatcher (``ED2``) and its objects may only be touched from that
thread.  Everything in kefu above the SIP layer runs on the asyncio loop.  This adapter
is the only place that crosses: :meth:`SipThread.call` runs a function on the sippy
thread, :meth:`SipThread.to_loop` runs one on the asyncio loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, Callable

from sippy.Core.EventDispatcher import ED2

log = logging.getLogger(__name__)

# sippy's dispatcher runs calls from other threads only on its next period: at its
# default 100 Hz a crossing costs up to 10 ms (two or three per call set-up).  Measured
# here: 500 Hz gives 1.8 ms p50 for under 1 % of a core more while idle.
DISPATCH_HZ = 500.0


class SipThread:
    """Owns the thread that runs ``ED2.loop()``."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    def start(self, setup: Callable[[], None]) -> None:
        """Start the dispatcher and run ``setup`` on it first (sockets, managers)."""

        def run() -> None:
            ED2.my_ident = threading.get_ident()  # sippy checks timers are armed here
            try:
                setup()
            except BaseException as exc:  # reported to start()'s caller
                self._error = exc
                self._ready.set()
                return
            self._ready.set()
            try:
                ED2.loop(freq=DISPATCH_HZ)
            except Exception:
                log.exception("sippy dispatcher stopped with an error")

        self._thread = threading.Thread(target=run, name="sippy", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error

    def call(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on the sippy thread (fire and forget)."""
        if threading.get_ident() == ED2.my_ident:
            fn(*args)
        else:
            ED2.callFromThread(fn, *args)

    def call_sync(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run ``fn(*args)`` on the sippy thread and return its result (blocking)."""
        if threading.get_ident() == ED2.my_ident:
            return fn(*args)
        return ED2.callFromThreadSync(fn, *args)

    def to_loop(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on the asyncio loop."""
        self.loop.call_soon_threadsafe(fn, *args)

    def stop(self, shutdown: Callable[[], None] | None = None) -> None:
        if self._thread is None or not self._thread.is_alive():
            return

        def halt() -> None:
            if shutdown is not None:
                try:
                    shutdown()
                except Exception:
                    log.exception("SIP shutdown failed")
            ED2.breakLoop()

        ED2.callFromThread(halt)
        self._thread.join(5)
