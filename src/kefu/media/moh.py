"""Music on hold: a built-in melody, or the site's own WAV file.

A fresh install must not put callers on hold into silence (they hang up, thinking
the line dropped), and must not ship a recording whose licence is unclear, so the
default is synthesised here: the opening two phrases of Beethoven's "Ode to Joy"
(public domain) in C major, eight seconds that loop seamlessly (every note starts
and ends at zero).  Each note is a soft organ-like tone, the fundamental plus two
quieter harmonics, with a short attack and a gentle decay.

Its dominant frequencies are the fundamentals in :data:`MOH_NOTES` (C4-G4, 261.63 to
392 Hz; E4 = 329.63 Hz is the most used note): at any moment the note playing
dominates the spectrum, and together they hold well over 75 % of the energy, which
is what tests look for on the far side.  The key is chosen so that no fundamental
is within 40 Hz of a DTMF frequency or of the usual test tones (440, 600, 700,
1000 Hz): hold music can neither fake a key press nor pass for the held party.

:func:`load_moh` is meant to run once at start-up; the engine plays the result with
one shared looping player (``MediaEngine.play_samples(None, pcm, loop=True)``) that
any number of held legs can hear.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from .codecs import MIX_RATE
from .player import as_frames, load_prompt

log = logging.getLogger(__name__)

__all__ = ["MOH_NOTES", "MOH_SECONDS", "builtin_moh", "load_moh"]

MOH_NOTES: dict[str, float] = {"C4": 261.63, "D4": 293.66, "E4": 329.63, "F4": 349.23, "G4": 392.00}
"""Note name -> fundamental (Hz) of every note the built-in melody uses."""

_BEAT = 0.25  # seconds per quarter note (240 bpm)
_MELODY: tuple[tuple[str, float], ...] = (
    # E E F G | G F E D | C C D E | E. D D-
    ("E4", 1), ("E4", 1), ("F4", 1), ("G4", 1), ("G4", 1), ("F4", 1), ("E4", 1), ("D4", 1),
    ("C4", 1), ("C4", 1), ("D4", 1), ("E4", 1), ("E4", 1.5), ("D4", 0.5), ("D4", 2),
    # E E F G | G F E D | C C D E | D. C C-
    ("E4", 1), ("E4", 1), ("F4", 1), ("G4", 1), ("G4", 1), ("F4", 1), ("E4", 1), ("D4", 1),
    ("C4", 1), ("C4", 1), ("D4", 1), ("E4", 1), ("D4", 1.5), ("C4", 0.5), ("C4", 2),
)
MOH_SECONDS = sum(beats for _, beats in _MELODY) * _BEAT
"""Length of one pass of the built-in melody (8.0 s)."""

_PEAK = 9000.0  # about -10 dBFS: clearly audible, never clipping in a mix


def _note(freq: float, seconds: float) -> np.ndarray:
    n = int(round(seconds * MIX_RATE))
    t = np.arange(n) / MIX_RATE
    wave = np.sin(2 * np.pi * freq * t) + 0.25 * np.sin(4 * np.pi * freq * t) + 0.1 * np.sin(6 * np.pi * freq * t)
    attack = np.minimum(1.0, t / 0.015)
    decay = np.exp(-1.6 * t / seconds)
    release = np.minimum(1.0, (seconds - t) / 0.03)  # back to zero before the next note
    return wave * attack * decay * np.clip(release, 0.0, 1.0)


def builtin_moh() -> np.ndarray:
    """The built-in melody: 8 kHz mono int16, :data:`MOH_SECONDS` long, loopable."""
    x = np.concatenate([_note(MOH_NOTES[name], beats * _BEAT) for name, beats in _MELODY])
    x *= _PEAK / np.abs(x).max()
    return as_frames(np.rint(x).astype(np.int16))


def load_moh(path: str | Path | None) -> np.ndarray:
    """The WAV (any rate, any channels) at ``path`` as 8 kHz int16; the built-in melody
    when ``path`` is empty or None, or when the file cannot be read (logged: a broken
    file must not leave callers on hold in silence).  Blocking: call it at start-up or
    in a thread."""
    if not path:
        return builtin_moh()
    try:
        pcm = load_prompt(path)
    except Exception as exc:
        log.error("cannot load music on hold %s (%s): using the built-in melody", path, exc)
        return builtin_moh()
    if pcm.size == 0:
        log.error("music on hold %s is empty: using the built-in melody", path)
        return builtin_moh()
    return pcm
