"""Small DSP helpers shared by players and recorders (numpy only)."""

from __future__ import annotations

import numpy as np

__all__ = ["resample", "to_int16"]


def resample(x: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Band-limited resampling of a whole float signal by FFT.

    Prompts are loaded once, off the event loop, so an O(n log n) exact method beats a
    cheap streaming filter: truncating (or zero-padding) the spectrum is an ideal
    low-pass, so downsampling a 48 kHz prompt to 8 kHz does not alias.  The signal is
    treated as periodic; for prompts the ends are quiet, for loops that is even right.
    """
    if src_rate <= 0 or dst_rate <= 0:
        raise ValueError("sample rates must be positive")
    x = np.asarray(x, dtype=np.float64)
    if src_rate == dst_rate or x.size == 0:
        return x.copy()
    n = x.shape[0]
    m = max(1, int(round(n * dst_rate / src_rate)))
    spec = np.fft.rfft(x)
    keep = min(spec.shape[0], m // 2 + 1)
    out_spec = np.zeros(m // 2 + 1, dtype=np.complex128)
    out_spec[:keep] = spec[:keep]
    out: np.ndarray = np.fft.irfft(out_spec, m) * (m / n)
    return out


def to_int16(x: np.ndarray) -> np.ndarray:
    """Round and clip to int16."""
    out: np.ndarray = np.clip(np.rint(x), -32768, 32767).astype(np.int16)
    return out
