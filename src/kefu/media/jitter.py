"""Per-leg jitter buffer and loss concealment.

Policy (minimal added delay; a contact centre prefers a rare glitch to lag):

* Packets are kept by *extended* sequence number (16-bit wraparound unwrapped against
  the highest seen), so reordering inside the buffer is free.  Duplicates and packets
  whose turn has already passed ("late") are dropped and counted.
* Playout starts with the first packet: the 20 ms clock takes one frame per tick.  On a
  clean network each tick finds exactly the packet that arrived since the previous
  tick, so the added delay is the wait for the next tick: 0-20 ms, one frame.
* Tick finds the buffer empty (late or lost packet): *underrun*.  The caller conceals
  one frame and the playout point does **not** advance.  If the packet then turns up,
  it is played one tick later, i.e. the delay grows by one frame, only as much as the
  network's jitter demanded.
* Tick finds the expected packet missing but later ones present: the gap is skipped
  at once and the oldest present packet is played (the gap was a loss, or RFC 4733
  event packets sharing the sequence space); no frame is invented, so skipping also
  pays back delay added by earlier underruns.
* Shrinking: if the buffer never ran down to empty during a window of
  ``trim_window`` ticks (1 s), it is holding a surplus frame: the oldest frame is
  dropped.  Hard cap ``max_depth`` frames (200 ms) drops the oldest at once.
* A sequence jump of more than ``reset_gap`` either way restarts the buffer (peer
  restarted its stream).

:class:`Concealer` fills the frames the buffer cannot: repeat the last good frame at
-6 dB, then -12 dB, then silence (repeating longer only adds a buzz).
"""

from __future__ import annotations

import numpy as np

__all__ = ["JitterBuffer", "Concealer"]


class JitterBuffer:
    __slots__ = (
        "max_depth", "trim_window", "reset_gap",
        "_buf", "_next", "_high", "_win_min", "_win_n",
        "late", "duplicates", "skipped", "dropped", "underruns", "played",
    )

    def __init__(self, max_depth: int = 10, trim_window: int = 50, reset_gap: int = 100) -> None:
        self.max_depth = max_depth
        self.trim_window = trim_window
        self.reset_gap = reset_gap
        self._buf: dict[int, bytes] = {}
        self._next: int | None = None  # extended seq of the next frame to play
        self._high = 0
        self._win_min = 1 << 30
        self._win_n = 0
        self.late = 0
        self.duplicates = 0
        self.skipped = 0  # sequence numbers never played (lost, or non-audio packets)
        self.dropped = 0  # frames discarded to cut delay
        self.underruns = 0
        self.played = 0

    def reset(self) -> None:
        """Forget the stream (new SSRC); counters are kept."""
        self._buf.clear()
        self._next = None
        self._win_min = 1 << 30
        self._win_n = 0

    @property
    def depth(self) -> int:
        return len(self._buf)

    def put(self, seq: int, payload: bytes) -> bool:
        """Queue one packet's payload; False if it was a duplicate or too late."""
        nxt = self._next
        if nxt is None:
            self._next = self._high = seq
            self._buf[seq] = payload
            return True
        ext = self._high + ((seq - self._high + 0x8000) & 0xFFFF) - 0x8000
        if ext < nxt:
            if nxt - ext <= self.reset_gap:
                self.late += 1
                return False
            self._restart(ext)
        elif ext - nxt > self.reset_gap:
            self._restart(ext)
        buf = self._buf
        if ext in buf:
            self.duplicates += 1
            return False
        buf[ext] = payload
        if ext > self._high:
            self._high = ext
        if len(buf) > self.max_depth:
            oldest = min(buf)
            del buf[oldest]
            self._next = min(buf)
            self.dropped += 1
        return True

    def _restart(self, ext: int) -> None:
        self._buf.clear()
        self._next = self._high = ext

    def pop(self) -> bytes | None:
        """The next frame's payload for this tick, or None (conceal it)."""
        buf = self._buf
        if not buf:
            if self._next is not None:
                self.underruns += 1
            self._win_min = 0
            self._window()
            return None
        nxt = self._next
        payload = buf.pop(nxt, None)  # type: ignore[arg-type]
        if payload is None:
            first = min(buf)
            self.skipped += first - nxt  # type: ignore[operator]
            nxt = first
            payload = buf.pop(first)
        self._next = nxt + 1  # type: ignore[operator]
        self.played += 1
        depth = len(buf)
        if depth < self._win_min:
            self._win_min = depth
        self._window()
        return payload

    def _window(self) -> None:
        self._win_n += 1
        if self._win_n < self.trim_window:
            return
        buf = self._buf
        if self._win_min > 0 and buf:
            oldest = min(buf)
            del buf[oldest]
            self._next = oldest + 1
            self.dropped += 1
        self._win_n = 0
        self._win_min = 1 << 30


class Concealer:
    """Turns "no frame this tick" into a faded repeat, then silence (None)."""

    __slots__ = ("max_repeats", "last", "misses", "concealed")

    def __init__(self, max_repeats: int = 2) -> None:
        self.max_repeats = max_repeats
        self.last: np.ndarray | None = None
        """The last good frame (the tick's batch decode sets it inline, as :meth:`next`)."""
        self.misses = 0
        """Frames concealed since the last good one."""
        self.concealed = 0

    def reset(self) -> None:
        self.last = None
        self.misses = 0

    def next(self, frame: np.ndarray | None) -> np.ndarray | None:
        if frame is not None:
            self.last = frame
            self.misses = 0
            return frame
        if self.last is None:
            return None
        self.misses += 1
        if self.misses > self.max_repeats:
            self.last = None
            return None
        self.concealed += 1
        return self.last >> self.misses  # -6 dB per missed frame
