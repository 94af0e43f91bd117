"""The composition root's SLA watch: ``tick`` on a worker thread at each interval, a failed
tick logged and the watch going on."""

from __future__ import annotations

import asyncio
import threading

from kefu.app import every


class _Ticking:
    def __init__(self) -> None:
        self.threads: list[str] = []

    def tick(self) -> int:
        self.threads.append(threading.current_thread().name)
        if len(self.threads) == 1:
            raise RuntimeError("database away")
        return 0


async def test_watch_ticks_off_the_loop_and_survives_a_failure(caplog) -> None:  # type: ignore[no-untyped-def]
    fake = _Ticking()
    task = asyncio.create_task(every(0.01, fake.tick, "tickets: the SLA watch"))
    for _ in range(200):
        await asyncio.sleep(0.01)
        if len(fake.threads) >= 3:
            break
    task.cancel()
    assert len(fake.threads) >= 3
    assert threading.main_thread().name not in fake.threads
    assert "the SLA watch failed" in caplog.text
