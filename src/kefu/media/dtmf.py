"""In-band DTMF: dual-tone detection and generation, for legs without RFC 4733.

Browsers behind aiortc and some trunks negotiate no telephone-event, so their
keypad digits arrive as tones inside the audio and ours must be sent the same way.

Detection is batched: once per tick, :func:`detect_keys` evaluates the eight DTMF
frequencies of every frame that needs it in one matrix product.  A single-bin DFT at
an arbitrary frequency is exactly what the Goertzel recurrence computes; as a
``(legs, 160) @ (160, 16)`` product it is one numpy call instead of a Python loop per
leg and sample.  A frame counts as a key when

* each group's strongest tone is loud enough (about -35 dBm0),
* the two tones carry most of the frame's energy (speech, noise and music spread
  theirs; this is what rejects them),
* each is at least 6 dB above the runner-up of its group, and
* the twist (high group over low group) is within +-8 dB.

:class:`KeyTracker` turns per-frame hits into key presses: a key is reported once,
after two consecutive frames (40 ms) agree, and released after two frames without
it, so a dropped frame in a long press does not repeat the digit.  Tones of 60 ms
or more are always caught; a 40 ms tone only when it happens to fill two frames.
"""

from __future__ import annotations

import numpy as np

from .codecs import FRAME_SAMPLES, MIX_RATE

__all__ = ["LOW_FREQS", "HIGH_FREQS", "KEYS", "detect_keys", "KeyTracker", "dtmf_samples"]

LOW_FREQS = (697.0, 770.0, 852.0, 941.0)
HIGH_FREQS = (1209.0, 1336.0, 1477.0, 1633.0)
KEYS = "123A456B789C*0#D"
"""Key at row r (low tone), column c (high tone) is ``KEYS[4 * r + c]``."""

_FREQS = np.array(LOW_FREQS + HIGH_FREQS)
_t = np.arange(FRAME_SAMPLES) / MIX_RATE
_BASIS = np.concatenate(
    (np.cos(2 * np.pi * np.outer(_t, _FREQS)), np.sin(2 * np.pi * np.outer(_t, _FREQS))), axis=1
).astype(np.float32)  # (160, 16): cosines then sines

# A tone of amplitude A fills a bin with |X|^2 = (A N / 2)^2 and carries A^2 N / 2 of
# energy, so 2 |X|^2 / N estimates that tone's energy in the frame.
_MIN_AMPLITUDE = 250.0  # per tone, 16-bit scale: about -39 dBm0
_MIN_ENERGY = _MIN_AMPLITUDE**2 * FRAME_SAMPLES / 2
_MIN_SHARE = 0.75  # both tones' share of the frame's energy
_PEAK_RATIO = 10 ** (6 / 10)  # over the second-best tone of the same group
_MAX_TWIST = 10 ** (8 / 10)


def detect_keys(frames: np.ndarray) -> np.ndarray:
    """``frames`` (n, 160) int16 -> (n,) int: index into :data:`KEYS`, -1 for none."""
    n = frames.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    x = frames.astype(np.float32)
    x -= x.mean(axis=1, keepdims=True)
    y = x @ _BASIS
    p = (y[:, :8] ** 2 + y[:, 8:] ** 2) * (2.0 / FRAME_SAMPLES)  # energy estimate per tone
    energy = np.einsum("ij,ij->i", x, x)
    low, high = p[:, :4], p[:, 4:]
    r = low.argmax(axis=1)
    c = high.argmax(axis=1)
    lo_sorted = np.sort(low, axis=1)
    hi_sorted = np.sort(high, axis=1)
    pl, ph = lo_sorted[:, -1], hi_sorted[:, -1]
    ok = (
        (pl >= _MIN_ENERGY)
        & (ph >= _MIN_ENERGY)
        & (pl + ph >= _MIN_SHARE * energy)
        & (pl >= _PEAK_RATIO * lo_sorted[:, -2])
        & (ph >= _PEAK_RATIO * hi_sorted[:, -2])
        & (ph <= _MAX_TWIST * pl)
        & (pl <= _MAX_TWIST * ph)
    )
    return np.where(ok, 4 * r + c, -1)


class KeyTracker:
    """Debounces one leg's per-frame hits into key presses (see module doc)."""

    __slots__ = ("key", "cand", "run", "miss")

    MIN_FRAMES = 2
    RELEASE_FRAMES = 2

    def __init__(self) -> None:
        self.key = -1  # the key being held (already reported)
        self.cand = -1  # the key the last frames agree on
        self.run = 0
        self.miss = 0

    @property
    def idle(self) -> bool:
        return self.key < 0 and self.cand < 0

    def update(self, hit: int) -> str | None:
        """Feed one frame's hit (-1: none); returns a digit when a press is recognised."""
        if hit >= 0 and hit == self.cand:
            self.run += 1
        else:
            self.cand = hit
            self.run = 1 if hit >= 0 else 0
        if self.key >= 0:
            if hit == self.key:
                self.miss = 0
                return None
            self.miss += 1
            if self.miss < self.RELEASE_FRAMES:
                return None
            self.key = -1
        if self.cand >= 0 and self.run >= self.MIN_FRAMES:
            self.key = self.cand
            self.miss = 0
            return KEYS[self.key]
        return None


# levels per tone, 16-bit scale: 0 dBm0 is a sine of peak 22272 in G.711's 16-bit range
_LOW_AMPLITUDE = 22272 * 10 ** (-10 / 20)  # -10 dBm0
_HIGH_AMPLITUDE = 22272 * 10 ** (-8 / 20)  # -8 dBm0: a little forward twist, like phones


def dtmf_samples(digits: str, tone_ms: int = 100, gap_ms: int = 60) -> np.ndarray:
    """8 kHz int16: for each digit, its dual tone for ``tone_ms`` then ``gap_ms`` silence.

    Raises ValueError for a character that is not a DTMF key.
    """
    n_tone = int(tone_ms * MIX_RATE // 1000)
    n_gap = int(gap_ms * MIX_RATE // 1000)
    t = np.arange(n_tone) / MIX_RATE
    parts = []
    for ch in digits.upper():
        k = KEYS.find(ch)
        if k < 0 or not ch:
            raise ValueError(f"not a DTMF digit: {ch!r}")
        lo, hi = LOW_FREQS[k // 4], HIGH_FREQS[k % 4]
        wave = _LOW_AMPLITUDE * np.sin(2 * np.pi * lo * t) + _HIGH_AMPLITUDE * np.sin(2 * np.pi * hi * t)
        parts.append(np.rint(wave).astype(np.int16))
        parts.append(np.zeros(n_gap, dtype=np.int16))
    if not parts:
        return np.zeros(0, dtype=np.int16)
    return np.concatenate(parts)
