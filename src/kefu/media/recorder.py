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

A process killed mid-call (``kill -9``, a power cut) must still leave a file every player
reads in full: each block is flushed to the OS as it is written, and the header's RIFF
and data sizes are rewritten in place every few blocks (two ``pwrite``s, on the I/O
thread, never in the tick).  :func:`repair_wav` fixes at start what the last seconds
before a crash left behind.

Pausing (a card number read out) keeps the clock: the tick writes zeros instead of the
sources, so the file's time stays the call's time; a beep is a few frames of tone added to
both channels (see :meth:`Recorder.beep`).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import struct
from concurrent.futures import Executor
from pathlib import Path
from typing import Callable

import numpy as np

from .codecs import FRAME_SAMPLES, MIX_RATE
from .errors import MediaError
from .mixer import Source

log = logging.getLogger(__name__)

__all__ = ["Recorder", "repair_wav"]

_BLOCK_FRAMES = 50  # flush once a second
_HEADER_EVERY = 3   # blocks (seconds) between rewrites of the header's sizes
_stagger = itertools.count()

_CHANNELS, _SAMPLE_BYTES = 2, 2
_FRAME_BYTES = _CHANNELS * _SAMPLE_BYTES
_HEADER = struct.Struct("<4sI4s4sIHHIIHH4sI")  # RIFF, WAVE, a 16-byte PCM fmt chunk, data


def _header(data_bytes: int) -> bytes:
    return _HEADER.pack(b"RIFF", _HEADER.size - 8 + data_bytes, b"WAVE", b"fmt ", 16, 1,
                        _CHANNELS, MIX_RATE, MIX_RATE * _FRAME_BYTES, _FRAME_BYTES,
                        8 * _SAMPLE_BYTES, b"data", data_bytes)


def _patch_sizes(fd: int, data_at: int, data_bytes: int) -> None:
    """Rewrite a WAV's RIFF and data chunk sizes in place (the file position stays)."""
    os.pwrite(fd, struct.pack("<I", data_at - 8 + data_bytes), 4)
    os.pwrite(fd, struct.pack("<I", data_bytes), data_at - 4)


def repair_wav(path: str | Path) -> float | None:
    """Make a PCM WAV's header agree with what its file holds; the seconds of audio it
    holds, or None when it is not a WAV this can read (missing, another format).

    For recordings cut off by a crash: the data chunk is taken to run to the end of the
    file (whole frames only), as the recorder writes nothing after it.
    """
    try:
        with open(path, "r+b") as f:
            head = f.read(4096)
            size = os.fstat(f.fileno()).st_size
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                return None
            at, rate, align = 12, 0, 0
            while at + 8 <= len(head):
                chunk, length = struct.unpack_from("<4sI", head, at)
                if chunk == b"fmt " and at + 24 <= len(head):
                    rate, _, align = struct.unpack_from("<IIH", head, at + 12)
                elif chunk == b"data":
                    break
                at += 8 + length + (length & 1)
            else:
                return None
            if not rate or not align:
                return None
            data_at = at + 8
            data_bytes = max(0, size - data_at) // align * align
            riff, data = (struct.unpack_from("<I", head, i)[0] for i in (4, at + 4))
            if (riff, data) != (data_at - 8 + data_bytes, data_bytes):
                _patch_sizes(f.fileno(), data_at, data_bytes)
                log.info("recording %s: header said %d bytes of audio, the file holds %d; "
                         "repaired", path, data, data_bytes)
            return data_bytes / (rate * align)
    except OSError as exc:
        log.warning("cannot repair recording %s: %s", path, exc)
        return None


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
            self._file = open(path, "wb")  # opened here: errors surface now, cleanly
        except OSError as exc:
            raise MediaError(f"cannot record to {path}: {exc}") from exc
        try:
            self._file.write(_header(0))
            self._file.flush()  # a valid (empty) WAV from the start
        except OSError as exc:
            self._file.close()
            raise MediaError(f"cannot record to {path}: {exc}") from exc
        self._data_bytes = 0  # written after the header (I/O thread)
        self._unpatched = 0  # blocks written since the header's sizes were last set
        self._block = np.zeros((_BLOCK_FRAMES * FRAME_SAMPLES, 2), dtype=np.int16)
        self._n = next(_stagger) % _BLOCK_FRAMES  # frames in the current block; see module doc
        self._start = self._n  # the first block begins here
        self._frames = 0  # frames fed in total
        self._closed = False
        self.paused = False
        """While set, the tick writes silence: the file's clock runs on, with no gap."""
        self._beep: np.ndarray | None = None   # (frames, 160) still to mix in, see beep
        self._beep_i = 0
        self.rows: tuple[list[int], list[int]] | None = None
        """The tick plan's frame rows of the left and right sources (set and read by the
        plan, cleared by :meth:`forget`); None: not planned yet."""
        self._last_write: asyncio.Future[None] | None = None
        self.error: BaseException | None = None

    @property
    def duration(self) -> float:
        """Seconds recorded so far."""
        return self._frames * FRAME_SAMPLES / MIX_RATE

    @property
    def closed(self) -> bool:
        return self._closed

    def forget(self, source: Source) -> None:
        """A source went away: its channel carries on with whatever is left."""
        self.left = [s for s in self.left if s is not source]
        self.right = [s for s in self.right if s is not source]
        self.rows = None

    def feed(self, stereo: np.ndarray) -> None:
        """One tick: ``stereo`` is (160, 2), left and right; silence while paused."""
        i = self._n * FRAME_SAMPLES
        frame = self._block[i : i + FRAME_SAMPLES]
        if self.paused:
            frame.fill(0)
        else:
            frame[:] = stereo
            if self._beep is not None:
                self._beep_frame(frame)
        self._n += 1
        self._frames += 1
        if self._n == _BLOCK_FRAMES:
            self._flush()

    def beep(self, tone: np.ndarray) -> None:
        """Mix ``tone`` (8 kHz int16, whole frames) into both channels from the next tick."""
        self._beep, self._beep_i = tone.reshape(-1, FRAME_SAMPLES), 0

    def _beep_frame(self, frame: np.ndarray) -> None:
        assert self._beep is not None
        mixed = frame.astype(np.int32)
        mixed += self._beep[self._beep_i][:, None]
        np.minimum(mixed, 32767, out=mixed)     # saturate (np.clip costs 5x as much)
        np.maximum(mixed, -32768, out=mixed)
        frame[:] = mixed
        self._beep_i += 1
        if self._beep_i == len(self._beep):
            self._beep = None

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
            self._file.write(data)
            self._file.flush()  # to the OS now: a killed process loses nothing written
            self._data_bytes += len(data)
            self._unpatched += 1
            if self._unpatched >= _HEADER_EVERY:
                self._patch()
        except Exception as exc:  # disk full, file removed...
            self.error = exc
            log.error("recording %s failed: %s", self.path, exc)

    def _patch(self) -> None:  # I/O thread
        _patch_sizes(self._file.fileno(), _HEADER.size, self._data_bytes)
        self._unpatched = 0

    def _close_file(self) -> None:  # I/O thread
        try:
            self._file.flush()
            self._patch()
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
