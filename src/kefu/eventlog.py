"""The event log writer: every ``call.*``, ``queue.*``, ``agent.*`` and ``ivr.*`` event on
the bus goes to ``call_events`` (the ACD's history, like Asterisk's queue_log, beside the
calls', and each call's walk through IVR flows).

Writes happen in order on one worker thread so the asyncio loop (and with it the
20 ms media clock) never waits for the database.  Whatever queued up while a write
was running goes in the next transaction together, so a burst of calls costs a few
commits, not one per event.  When a call ends its CDR is derived from its events.
Then the ``after_write`` callbacks see each written event, on the same thread (the
recordings slice turns a call's recording events into its rows there).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Callable

from kefu.bus import Bus, Event

log = logging.getLogger(__name__)

MAX_BATCH = 500
LOGGED_PREFIXES = ("call.", "queue.", "agent.", "ivr.")  # calls, queues, agents, IVR walks


def _stored(event: Event) -> Event:
    """What goes to the database: call-attached data (up to 1 MiB) travels with offers on
    the bus, but the log keeps only its keys; ``call.data`` records its size once."""
    if "attached" not in event.data:
        return event
    data = dict(event.data)
    attached = data.pop("attached") or {}
    data["attached_keys"] = sorted(attached) if isinstance(attached, dict) else []
    return Event(type=event.type, call_id=event.call_id, data=data, ts=event.ts)


class EventLog:
    def __init__(self, store: Any, bus: Bus) -> None:
        self.store = store
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._task: asyncio.Task | None = None
        self.after_write: list[Callable[[Event], None]] = []
        """Called on the worker thread for each event once it is written (and, for
        ``call.ended``, once the call's CDR is derived); a failing one is logged."""
        self._unsubscribes = [bus.subscribe(self._queue.put_nowait, prefix=p)
                              for p in LOGGED_PREFIXES]

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
        events = [_stored(e) for e in events]
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
            for after in self.after_write:
                try:
                    after(event)
                except Exception:
                    log.exception("%s failed on event %s of call %s",
                                  getattr(after, "__qualname__", after), event.type,
                                  event.call_id)

    async def drain(self) -> None:
        """Wait until everything published so far is written."""
        await self._queue.join()

    async def stop(self) -> None:
        for unsubscribe in self._unsubscribes:
            unsubscribe()
        if self._task is not None:
            self._queue.put_nowait(None)
            await self._task
