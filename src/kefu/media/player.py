"""Players: a sound file or a sample array as a mixer source.

Files of any rate/channel count that ``soundfile`` reads are mixed down to mono and
resampled to 8 kHz once, in a worker thread (a long prompt must not stall the 20 ms
clock); until then the player is silent.  Sample arrays (music on hold, in-band DTMF)
are ready at once.  A player is a :class:`~.mixer.Source`, so besides being added to
one leg by ``MediaEngine.play`` it can be routed to any number of listeners: one
looping music-on-hold player serves every caller on hold, and costs one frame slice
per tick however many hear it.

A leg that hears nothing but one player (a prompt, hold) is fed without the mixer
(see :mod:`.tick`): for the stateless G.711 codecs the samples are encoded once per
codec, cut into 20 ms payloads (:meth:`Player.payloads`, shared by every player of
the same decoded prompt file), and each tick sends the next payload as it is.

An *exclusive* player replaces, while it plays, everything else its leg hears: a
phone mutes its microphone while a key is pressed, and in-band DTMF must reach the
far end's detector without speech on top.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np
import soundfile as sf

from .codecs import FRAME_SAMPLES, MIX_RATE
from .dsp import resample, to_int16
from .mixer import Source

if TYPE_CHECKING:
    from .leg import RtpLeg

log = logging.getLogger(__name__)

__all__ = ["Player", "load_prompt", "as_frames"]

_SILENCE = np.zeros(FRAME_SAMPLES, dtype=np.int16)
_SILENCE.setflags(write=False)


def load_prompt(path: str | Path) -> np.ndarray:
    """The file as 8 kHz mono int16, zero-padded to whole 20 ms frames (blocking)."""
    data, rate = sf.read(str(path), dtype="float64", always_2d=True)
    mono = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    if rate != MIX_RATE:
        mono = resample(mono, rate, MIX_RATE)
    return as_frames(to_int16(mono * 32767.0))


def as_frames(pcm: np.ndarray) -> np.ndarray:
    """int16 samples zero-padded to whole 20 ms frames (a contiguous copy if needed)."""
    pcm = np.ascontiguousarray(pcm, dtype=np.int16)
    pad = (-pcm.shape[0]) % FRAME_SAMPLES
    if pad:
        pcm = np.concatenate((pcm, np.zeros(pad, dtype=np.int16)))
    return pcm


class Player(Source):
    """Plays one file or sample array; ``done`` is set when it ends or is stopped."""

    __slots__ = ("path", "name", "loop", "listener", "exclusive", "done", "error", "pcm", "_pos",
                 "finished", "_on_end", "encoded", "slot", "tick_need", "tick_frame")

    def __init__(
        self, path: Path | None, loop: bool, listener: RtpLeg | None, on_end: Callable[[Player], None],
        pcm: np.ndarray | None = None, name: str = "", exclusive: bool = False,
        encoded: dict[str, list[bytes]] | None = None,
    ) -> None:
        self.path = path
        """The file played, None for a sample array."""
        self.name = name or (path.name if path is not None else "samples")
        self.loop = loop
        self.exclusive = exclusive
        """While playing, the listener hears this player only (see module doc)."""
        self.listener = listener
        """The leg this player was started on (None for a free-standing source)."""
        self.done = asyncio.Event()
        self.error: BaseException | None = None
        self.pcm: np.ndarray | None = pcm
        """The samples (None until loaded); the tick slices this tick's frame from them."""
        self._pos = 0
        self.finished = False
        """The last frame went out (or it was stopped): the tick then stops it."""
        self._on_end = on_end
        self.encoded: dict[str, list[bytes]] = {} if encoded is None else encoded
        """Codec name -> the audio as that codec's 20 ms payloads, plus one of silence at
        the end (see :meth:`payloads`); shared by every player of the same samples."""
        # declared here, written only by the engine's tick plan (:mod:`.tick`)
        self.slot = -1
        """Row in the tick's frame array, -1: none."""
        self.tick_need = False
        """A mix row or recorder hears it: its frame goes in the array."""
        self.tick_frame = -1
        """The frame this tick played (index into the payloads), -1: silence."""

    @property
    def position(self) -> float:
        """Seconds played so far (within the current loop pass)."""
        return self._pos / MIX_RATE

    def stop(self) -> None:
        """Stop now; idempotent."""
        self._end()

    def _end(self) -> None:
        if self.done.is_set():
            return
        self.finished = True
        self.done.set()
        self._on_end(self)

    def loaded(self, fut: asyncio.Future[np.ndarray]) -> None:
        if fut.cancelled():
            self._end()
            return
        exc = fut.exception()
        if exc is not None:
            self.error = exc
            log.error("cannot load prompt %s: %s", self.path, exc)
            self._end()
            return
        pcm = fut.result()
        if pcm.shape[0] == 0:
            self._end()
            return
        self.pcm = pcm

    def payloads(self, name: str, table: np.ndarray) -> list[bytes]:
        """The whole sample array encoded once with a stateless (table) codec, cut into
        20 ms payloads; the last entry is a frame of silence, so index -1 plays silence."""
        enc = self.encoded.get(name)
        if enc is None:
            pcm = self.pcm
            silence = table[np.zeros(FRAME_SAMPLES, dtype=np.uint16)].tobytes()
            if pcm is None:  # not loaded yet: silence (and nothing cached)
                return [silence]
            data = table[pcm.view(np.uint16)].tobytes()
            enc = [data[i : i + FRAME_SAMPLES] for i in range(0, len(data), FRAME_SAMPLES)]
            enc.append(silence)
            self.encoded[name] = enc
        return enc

    def frame_at(self, k: int) -> np.ndarray:
        """Frame ``k`` of the samples (as ``tick_frame`` counts them), silence for -1."""
        pcm = self.pcm
        if k < 0 or pcm is None:
            return _SILENCE
        return pcm[k * FRAME_SAMPLES : (k + 1) * FRAME_SAMPLES]

    def step(self) -> int:
        """Advance by one frame (once per tick): the index of the frame to play, -1 for
        silence (not loaded yet, or over)."""
        pcm = self.pcm
        if pcm is None or self.finished:
            return -1
        pos = self._pos
        nxt = pos + FRAME_SAMPLES
        if nxt >= pcm.shape[0]:
            if self.loop:
                nxt = 0
            else:
                self.finished = True  # the engine ends it after this frame went out
        self._pos = nxt
        return pos // FRAME_SAMPLES

    def pull(self) -> np.ndarray | None:
        """Next frame (None: silence), called once per tick."""
        k = self.step()
        return None if k < 0 else self.pcm[k * FRAME_SAMPLES : (k + 1) * FRAME_SAMPLES]  # type: ignore[index]

    def __repr__(self) -> str:
        return f"<Player {self.name} loop={self.loop} done={self.done.is_set()}>"
