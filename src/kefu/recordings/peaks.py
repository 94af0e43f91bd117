"""A recording's waveform: the peak level of each channel over ``points`` equal spans, so a
browser draws it without downloading the file.  Read in blocks with soundfile (WAV, FLAC,
Ogg Opus alike); cached in memory by path, modification time and points."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from kefu.store.errors import Invalid

BLOCK = 65536          # frames read at a time
MAX_POINTS = 4000
CACHED = 256           # waveforms kept


@dataclass(frozen=True)
class Peaks:
    """Per span, the largest absolute sample in [0, 1]; mono files give the same twice."""
    duration: float
    left: list[float]
    right: list[float]


def compute(path: Path, points: int) -> Peaks:
    """The waveform of ``path`` in ``points`` spans (fewer if the file has fewer frames)."""
    with soundfile.SoundFile(str(path)) as f:
        frames, rate, channels = f.frames, f.samplerate, f.channels
        points = max(1, min(points, frames or 1))
        span = frames / points if frames else 1.0
        peaks = np.zeros((points, 2), dtype=np.float32)
        done = 0
        for block in f.blocks(blocksize=BLOCK, dtype="float32", always_2d=True):
            n = len(block)
            # each frame's span, then the maximum per span present in this block
            spans = np.minimum(((np.arange(done, done + n)) / span).astype(np.int64),
                               points - 1)
            level = np.abs(block[:, :2] if channels >= 2 else
                           np.repeat(block[:, :1], 2, axis=1))
            starts = np.concatenate(([0], np.flatnonzero(np.diff(spans)) + 1))
            at = spans[starts]
            peaks[at] = np.maximum(peaks[at], np.maximum.reduceat(level, starts, axis=0))
            done += n
    rounded = np.round(np.minimum(peaks, 1.0), 4)
    return Peaks(round(frames / rate, 3) if rate else 0.0,
                 rounded[:, 0].tolist(), rounded[:, 1].tolist())


class PeakCache:
    """:func:`compute` behind a small LRU keyed by path, mtime and points (thread-safe)."""

    def __init__(self, size: int = CACHED) -> None:
        self._size = size
        self._kept: OrderedDict[tuple[str, int, int], Peaks] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: Path, points: int) -> Peaks:
        key = (str(path), path.stat().st_mtime_ns, points)
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        try:
            peaks = compute(path, points)
        except (RuntimeError, soundfile.SoundFileError) as exc:   # not audio, or truncated
            raise Invalid(f"cannot read the recording's audio: {exc}") from exc
        with self._lock:
            self._kept[key] = peaks
            while len(self._kept) > self._size:
                self._kept.popitem(last=False)
        return peaks
