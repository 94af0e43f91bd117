"""The event log writer: every ``call.*`` event on the bus goes to ``call_events``.

Writes happen in order on one worker thread so the asyncio loop (and with it the
20 ms media clock) never waits for the database.  When a call ends its CDR row is
derived from the events just written.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from kefu.bus import Bus, Event

log = logging.getLogger(__name__)


class EventLog:
    def __init__(self, store: Any, bus: Bus) -> None:
        self.store = store
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._task: asyncio.Task | None = None
        self._unsubscribe = bus.subscribe(self._queue.put_nowait, prefix="call.")

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="eventlog")

    async def _run(self) -> None:
        while (event := await self._queue.get()) is not None:
            try:
                await asyncio.to_thread(self._write, event)
            except Exception:
                log.exception("could not write event %s of call %s", event.type, event.call_id)
            finally:
                self._queue.task_done()
        self._queue.task_done()

    def _write(self, event: Event) -> None:
        self.store.append_event(event)
        if event.type == "call.ended" and event.call_id:
            self.store.derive_cdr(event.call_id)

    async def drain(self) -> None:
        """Wait until everything published so far is written."""
        await self._queue.join()

    async def stop(self) -> None:
        self._unsubscribe()
        if self._task is not None:
            self._queue.put_nowait(None)
            await self._task
