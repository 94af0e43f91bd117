"""Stereo call recorders.

Left and right channels are each the sum of what a set of sources *sends* (e.g. the
caller left, the agent right), 16-bit 8 kHz WAV.  The 20 ms tick only copies two
frames into a preallocated block; a full block (1 s) is handed to the engine's single
I/O thread, which appends it to the file.  One thread keeps each file's writes in
order and keeps disk latency off the clock.

Recorders started together (a load test, a burst of calls) would all flush in the
same tick, making that tick long and delaying every packet behind it; so each
recorder's first block is cut short by a rotating offset, spreading the flushes of
many recorders evenly over the 50 ticks of a second.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import wave
from concurrent.futures import Executor
from pathlib import Path
from typing import Callable

import numpy as np

from .codecs import FRAME_SAMPLES, MIX_RATE
from .errors import MediaError
from .mixer import Source

log = logging.getLogger(__name__)

__all__ = ["Recorder"]

_BLOCK_FRAMES = 50  # flush once a second
_stagger = itertools.count()


class Recorder:
    def __init__(
        self,
        path: Path,
        left: list[Source],
        right: list[Source],
        io: Executor,
        on_close: Callable[[Recorder], None],
    ) -> None:
        self.path = path
        self.left = left
        self.right = right
        self._io = io
        self._on_close = on_close
        try:
            self._file = open(path, "wb")  # opened here, not by wave: errors surface now, cleanly
        except OSError as exc:
            raise MediaError(f"cannot record to {path}: {exc}") from exc
        wav = wave.open(self._file, "wb")
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(MIX_RATE)
        self._wav: wave.Wave_write = wav
        self._block = np.zeros((_BLOCK_FRAMES * FRAME_SAMPLES, 2), dtype=np.int16)
        self._n = next(_stagger) % _BLOCK_FRAMES  # frames in the current block; see module doc
        self._start = self._n  # the first block begins here
        self._frames = 0  # frames fed in total
        self._closed = False
        self._rows: tuple[list[int], list[int]] | None = None  # the tick plan's rows of left, right
        self._last_write: asyncio.Future[None] | None = None
        self.error: BaseException | None = None

    @property
    def duration(self) -> float:
        """Seconds recorded so far."""
        return self._frames * FRAME_SAMPLES / MIX_RATE

    @property
    def closed(self) -> bool:
        return self._closed

    def _forget(self, source: Source) -> None:
        """A source went away: its channel carries on with whatever is left."""
        self.left = [s for s in self.left if s is not source]
        self.right = [s for s in self.right if s is not source]
        self._rows = None

    def _feed(self, stereo: np.ndarray) -> None:
        """One tick: ``stereo`` is (160, 2), left and right."""
        i = self._n * FRAME_SAMPLES
        self._block[i : i + FRAME_SAMPLES] = stereo
        self._n += 1
        self._frames += 1
        if self._n == _BLOCK_FRAMES:
            self._flush()

    def _flush(self) -> None:
        start, self._start = self._start, 0
        if self._n <= start:
            self._n = 0
            return
        data = self._block[start * FRAME_SAMPLES : self._n * FRAME_SAMPLES].tobytes()
        self._n = 0
        loop = asyncio.get_running_loop()
        self._last_write = loop.run_in_executor(self._io, self._write, data)

    def _write(self, data: bytes) -> None:  # I/O thread
        if self.error is not None:
            return
        try:
            self._wav.writeframesraw(data)
        except Exception as exc:  # disk full, file removed...
            self.error = exc
            log.error("recording %s failed: %s", self.path, exc)

    def _close_file(self) -> None:  # I/O thread
        try:
            self._wav.close()  # patches the header's sizes
        except Exception as exc:
            if self.error is None:
                self.error = exc
        finally:
            self._file.close()

    async def close(self) -> float:
        """Stop recording, flush and close the file; returns its duration in seconds."""
        if not self._closed:
            self._closed = True
            self._on_close(self)
            self._flush()
            await asyncio.get_running_loop().run_in_executor(self._io, self._close_file)
            if self.error is not None:
                raise MediaError(f"recording {self.path} failed: {self.error}") from self.error
        return self.duration

    def __repr__(self) -> str:
        return f"<Recorder {self.path} {self.duration:.2f}s{' closed' if self._closed else ''}>"
