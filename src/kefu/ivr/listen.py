"""Where a caller's utterance starts and ends, from 20 ms frames of the caller's audio.

Speech input (:mod:`kefu.ivr.asr`) decodes one utterance against a grammar; the call gives
a stream. :class:`Ear` cuts it by energy: speech starts after ``start`` loud frames in a
row (a click is not a word), ends after ``end`` quiet frames (the pause after a phrase) or
at ``longest`` seconds; the ``lead`` frames before the start are kept, so the first
consonant is not cut off. Pure and cheap: it runs on the media clock's tick.
"""

from __future__ import annotations

from collections import deque
from enum import StrEnum

import numpy as np

FRAME_SECONDS = 0.02


class Hearing(StrEnum):
    QUIET = "quiet"
    SPEECH = "speech"


class Ear:
    """Feed it frames; :meth:`feed` answers an utterance's samples when one has ended."""

    def __init__(self, *, level: float = 500.0, start: int = 3, end: int = 35,
                 longest: float = 6.0, lead: int = 10) -> None:
        self.level = level          # RMS (int16) above which a frame is speech
        self.start, self.end, self.lead = start, end, lead
        self.longest = int(longest / FRAME_SECONDS)
        self.state = Hearing.QUIET
        self._before: deque[np.ndarray] = deque(maxlen=lead + start)
        self._frames: list[np.ndarray] = []
        self._loud = 0
        self._quiet = 0

    def feed(self, frame: np.ndarray) -> np.ndarray | None:
        loud = float(np.sqrt(np.mean(np.square(frame, dtype=np.float64)))) >= self.level
        if self.state is Hearing.QUIET:
            self._before.append(frame)
            self._loud = self._loud + 1 if loud else 0
            if self._loud >= self.start:
                self.state, self._quiet = Hearing.SPEECH, 0
                self._frames = list(self._before)
                self._before.clear()
            return None
        self._frames.append(frame)
        self._quiet = 0 if loud else self._quiet + 1
        if self._quiet >= self.end or len(self._frames) >= self.longest:
            said = np.concatenate(self._frames)
            self.state, self._frames, self._loud = Hearing.QUIET, [], 0
            return said
        return None
