"""Position announcements: every ``announce_interval`` a waiting caller hears its place
in the queue and the estimated wait, from prompt files (``acd.prompts_dir``), instead of
the music for as long as they play.
"""

from __future__ import annotations

import math
from pathlib import Path

from kefu.acd.core import AcdCore, Queued
from kefu.calls.call import Call, CallState


class Announcer(AcdCore):
    """Telling waiting callers their position and wait."""

    def _prompts_dir(self) -> Path:
        d = self.settings.acd.prompts_dir
        return Path(d) if d else Path(self.settings.data_dir) / "prompts" / "queue"

    def announcement(self, position: int, wait_minutes: int) -> list[Path]:
        """The prompt files that say a position and an estimated wait (missing: none)."""
        d = self._prompts_dir()
        files = [d / "position.wav", *(d / "digits" / f"{c}.wav" for c in str(position))]
        if wait_minutes > 0:
            files += [d / "wait.wav", *(d / "digits" / f"{c}.wav" for c in str(wait_minutes)),
                      d / "minutes.wav"]
        return [f for f in files if f.exists()]

    def estimated_wait(self, queued: Queued) -> float:
        q = queued.queue
        agents = max(self.logged_in(q), 1)
        return self.router.position(queued.call.id) * self.figures.queue(q).handle_time() / agents

    def _announce(self, queued: Queued) -> None:
        """``announce_interval`` is over: say the caller's position (as a task the caller
        leaving or being connected cancels), then wait the interval again."""
        queued.announcer = self.clock.start(self._announce_once(queued))

    async def _announce_once(self, queued: Queued) -> None:
        q = self.queues[queued.queue]
        call = queued.call
        if not (call.ended or call.state is not CallState.QUEUED or queued.offers):
            position = self.router.position(call.id)
            minutes = math.ceil(self.estimated_wait(queued) / 60)
            files = self.announcement(position, minutes)
            self._publish("queue.announce", call.id, queue=queued.queue, position=position,
                          wait_minutes=minutes)
            if files and call.a_rtp is not None:
                await self._play_announcement(call, files)
        queued.announcer = self.clock.call_later(q.announce_interval, self._announce, queued)

    async def _play_announcement(self, call: Call, files: list[Path]) -> None:
        call.room.waiting = False        # the caller hears the prompts, not the music
        self.switch.remix(call)
        try:
            for f in files:
                if call.ended or call.state is not CallState.QUEUED:
                    break
                player = self.switch.play_prompt(call, f)
                await player.done.wait()
        finally:
            if not call.ended and call.state is CallState.QUEUED:
                call.room.waiting = True
                self.switch.remix(call)
