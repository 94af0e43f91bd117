"""Taps: what a set of sources sends, handed over frame by frame as the clock ticks.

Speech input needs the caller's audio while the caller speaks: a :class:`~.recorder.Recorder`
hands its audio to a file a second at a time, too late to hear where an utterance ends.
A tap is planned like a recorder (its sources are one mix row, the other row empty) and
calls ``on_frame`` with each 20 ms frame (160 int16 samples, a copy) on the clock's tick,
so the callback must be cheap (an energy sum, an append); heavier work goes elsewhere.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import numpy as np

from .mixer import Source

log = logging.getLogger(__name__)

__all__ = ["Tap"]


class Tap:
    """``on_frame`` hears the sum of ``sources``; :meth:`close` stops it (idempotent)."""

    def __init__(self, sources: list[Source], on_frame: Callable[[np.ndarray], None],
                 on_close: Callable[[Tap], None]) -> None:
        self.left = sources
        self.right: list[Source] = []
        self.rows: tuple[list[int], list[int]] | None = None   # the tick plan's, as a recorder's
        self._on_frame = on_frame
        self._on_close = on_close
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    def forget(self, source: Source) -> None:
        """A source went away (the caller hung up): the tap hears the rest, or silence."""
        self.left = [s for s in self.left if s is not source]
        self.rows = None

    def feed(self, stereo: np.ndarray) -> None:
        """One tick: the left channel of ``stereo`` (160, 2) is what the sources sent."""
        try:
            self._on_frame(stereo[:, 0].copy())
        except Exception:       # a listener's bug must not stop the clock's tick
            log.exception("tap callback failed; the tap is closed")
            self.close()

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._on_close(self)

    def __repr__(self) -> str:
        return f"<Tap of {len(self.left)} source(s){' closed' if self._closed else ''}>"
