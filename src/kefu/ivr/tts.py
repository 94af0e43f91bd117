"""Text-to-speech behind an engine interface, with a disk cache.

An :class:`Engine` turns text into 8 kHz mono int16 samples in a voice. The default is
espeak-ng (Debian package ``espeak-ng``: Mandarin ``cmn``, English ``en-us``), run as a
process per text. :class:`TtsCache` keeps each rendering as a WAV file named by the hash
of (engine, voice, text), so a prompt is synthesised once, not per call, and the cache
survives restarts.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Protocol

import numpy as np

from .prompts import PromptError, decode, wav_bytes, write_atomically

VOICES = {"zh": "cmn", "en": "en-us"}
"""The flow's language → espeak-ng voice."""


class TtsError(RuntimeError):
    """The engine could not speak the text."""


class Engine(Protocol):
    name: str  # part of the cache key: another engine's rendering is another file

    def synthesise(self, text: str, voice: str) -> np.ndarray:
        """8 kHz mono int16 samples of ``text`` spoken in ``voice``."""
        ...


class EspeakNg:
    """espeak-ng as a subprocess: the text on stdin (UTF-8), a WAV on stdout, resampled
    to 8 kHz here."""

    name = "espeak-ng"

    def __init__(self, binary: str = "espeak-ng", speed: int = 150, timeout: float = 30.0) -> None:
        self.binary, self.speed, self.timeout = binary, speed, timeout

    def synthesise(self, text: str, voice: str) -> np.ndarray:
        try:
            proc = subprocess.run(
                [self.binary, "-v", voice, "-s", str(self.speed), "-b", "1", "--stdout", "--stdin"],
                input=text.encode("utf-8"), capture_output=True, timeout=self.timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as e:
            raise TtsError(f"espeak-ng did not run: {e}") from None
        if proc.returncode != 0:
            raise TtsError(f"espeak-ng failed ({proc.returncode}): "
                           f"{proc.stderr.decode(errors='replace').strip()}")
        try:
            return decode(proc.stdout, formats={"wav": "WAV"})
        except PromptError as e:
            raise TtsError(f"espeak-ng gave no usable audio for voice {voice!r}: {e}") from None


class TtsCache:
    """Renderings on disk under ``directory``, one WAV per (engine, voice, text)."""

    def __init__(self, engine: Engine, directory: Path) -> None:
        self.engine, self.directory = engine, Path(directory)

    def path(self, text: str, voice: str) -> Path:
        key = hashlib.sha256(json.dumps([self.engine.name, voice, text]).encode()).hexdigest()
        return self.directory / self.engine.name / key[:2] / f"{key}.wav"

    def render(self, text: str, voice: str) -> Path:
        """The WAV of ``text`` in ``voice``, synthesised only if not cached."""
        path = self.path(text, voice)
        if not path.exists():
            write_atomically(path, wav_bytes(self.engine.synthesise(text, voice)))
        return path
