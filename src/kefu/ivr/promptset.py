"""The recorded prompt set per language for read-outs (智能报读), and voicing a read-out.

A read-out is prompt names (:mod:`kefu.ivr.readout`); played as recordings, each name is a
short WAV. A site may upload them (the prompt store, same name and language); whatever is
not uploaded is generated with the TTS engine on first start, once, into the directory the
caller gives: ``<directory>/<lang>/<name>.wav`` and a ``manifest.json`` of what each file
says in which engine and voice, so a changed text or engine regenerates that prompt and
nothing else. Generated prompts are trimmed of the silence espeak-ng puts around words, so
joined with :data:`GAP` between them a number sounds like one phrase.

:func:`voice` gives the samples of a read-out either way (recorded prompts joined, or TTS
of the spelled-out text), so the adapter plays one buffer.
"""

from __future__ import annotations

import hashlib
import json
import wave
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Literal

import numpy as np

from .prompts import RATE, wav_bytes, write_atomically
from .readout import Readout, prompt_set, prompt_text
from .tts import VOICES, Engine, TtsCache

GAP = 0.06
"""Seconds of silence between two joined prompts."""

TRIM_LEVEL = 300
"""Samples quieter than this (of 32767) at a generated prompt's edges are cut."""

Uploaded = Callable[[str, str], Path | None]
"""(name, language) → the uploaded prompt's WAV, or None (the prompt store's lookup)."""


def read_wav(path: Path) -> np.ndarray:
    """8 kHz mono int16 samples of a WAV kefu wrote (generated or converted on upload)."""
    with wave.open(str(path), "rb") as w:
        if (w.getframerate(), w.getnchannels(), w.getsampwidth()) != (RATE, 1, 2):
            raise ValueError(f"{path}: not 8 kHz mono 16-bit")
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.int16)


def trim(pcm: np.ndarray, level: int = TRIM_LEVEL) -> np.ndarray:
    loud = np.flatnonzero(np.abs(pcm.astype(np.int32)) > level)
    return pcm[loud[0]:loud[-1] + 1] if len(loud) else pcm


class PromptSet:
    """The read-out prompts of every language, generated under ``directory`` where none is
    uploaded."""

    def __init__(self, engine: Engine, directory: Path, *, uploaded: Uploaded | None = None) -> None:
        self.engine, self.directory = engine, Path(directory)
        self.uploaded = uploaded or (lambda _name, _lang: None)

    def _key(self, lang: str, name: str) -> str:
        return hashlib.sha256(json.dumps([self.engine.name, VOICES[lang], prompt_text(lang, name)])
                              .encode()).hexdigest()[:16]

    def _manifest(self, lang: str) -> Path:
        return self.directory / lang / "manifest.json"

    def ensure(self, lang: str) -> list[str]:
        """Generate the prompts of ``lang`` that are neither uploaded nor generated already
        (from the same text, engine and voice); the names generated."""
        try:
            manifest: dict[str, str] = json.loads(self._manifest(lang).read_text())
        except (OSError, ValueError):
            manifest = {}
        made = []
        for name in prompt_set(lang):
            if self.uploaded(name, lang) is not None:
                continue
            key = self._key(lang, name)
            if manifest.get(name) == key and self.generated(lang, name).exists():
                continue
            pcm = trim(self.engine.synthesise(prompt_text(lang, name), VOICES[lang]))
            write_atomically(self.generated(lang, name), wav_bytes(pcm))
            manifest[name] = key
            made.append(name)
        if made:
            write_atomically(self._manifest(lang), json.dumps(manifest, indent=0, sort_keys=True).encode())
        return made

    def generated(self, lang: str, name: str) -> Path:
        return self.directory / lang / f"{name}.wav"

    def path(self, lang: str, name: str) -> Path:
        """The recording of ``name``: the uploaded one, else the generated one."""
        return self.uploaded(name, lang) or self.generated(lang, name)

    def missing(self, lang: str) -> list[str]:
        return [n for n in prompt_set(lang) if not self.path(lang, n).exists()]

    def join(self, lang: str, names: Iterable[str]) -> np.ndarray:
        """The prompts one after the other, :data:`GAP` of silence between them."""
        gap = np.zeros(int(GAP * RATE), np.int16)
        parts: list[np.ndarray] = []
        for name in names:
            if parts:
                parts.append(gap)
            parts.append(read_wav(self.path(lang, name)))
        return np.concatenate(parts) if parts else np.zeros(0, np.int16)


def voice(readout: Readout, how: Literal["prompts", "tts"], prompts: PromptSet,
          tts: TtsCache) -> np.ndarray:
    """The samples of a read-out: the recorded prompts joined, or TTS of its text (cached)."""
    if how == "prompts":
        return prompts.join(readout.lang, readout.prompts)
    return read_wav(tts.render(readout.text, VOICES[readout.lang]))
