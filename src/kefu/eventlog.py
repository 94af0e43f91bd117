"""The event log writer: every ``call.*`` event on the bus goes to ``call_events``.

Writes happen in order on one worker thread so the asyncio loop (and with it the
20 ms media clock) never waits for the database.  Whatever queued up while a write
was running goes in the next transaction together, so a burst of calls costs a few
commits, not one per event.  When a call ends its CDR is derived from its events.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from kefu.bus import Bus, Event

log = logging.getLogger(__name__)

MAX_BATCH = 500


class EventLog:
    def __init__(self, store: Any, bus: Bus) -> None:
        self.store = store
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._task: asyncio.Task | None = None
        self._unsubscribe = bus.subscribe(self._queue.put_nowait, prefix="call.")

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="eventlog")

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            batch = [await self._queue.get()]
            while not self._queue.empty() and len(batch) < MAX_BATCH:
                batch.append(self._queue.get_nowait())
            stopping = None in batch
            events = [e for e in batch if e is not None]
            try:
                if events:
                    await asyncio.to_thread(self._write, events)
            except Exception:
                log.exception("could not write %d events (first: %s of call %s)",
                              len(events), events[0].type, events[0].call_id)
            finally:
                for _ in batch:
                    self._queue.task_done()

    def _write(self, events: list[Event]) -> None:
        try:
            self.store.append_events(events)
        except Exception:
            if len(events) == 1:
                raise
            for event in events:  # one bad event must not cost the others their place
                try:
                    self.store.append_event(event)
                except Exception:
                    log.exception("could not write event %s of call %s", event.type,
                                  event.call_id)
        for event in events:
            if event.type == "call.ended" and event.call_id:
                try:
                    self.store.derive_cdr(event.call_id)
                except Exception:
                    log.exception("could not derive the CDR of call %s", event.call_id)

    async def drain(self) -> None:
        """Wait until everything published so far is written."""
        await self._queue.join()

    async def stop(self) -> None:
        self._unsubscribe()
        if self._task is not None:
            self._queue.put_nowait(None)
            await self._task
