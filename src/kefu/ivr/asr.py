"""Speech input (ASR) for ``menu`` and ``collect``, limited to a grammar: the menu's own
words, yes/no, digits.

:class:`Recogniser` is the engine interface: 8 kHz mono int16 samples of one utterance and
the phrases allowed → the phrase heard, or None. :class:`PocketSphinx` is the engine
shipped: the ``pocketsphinx`` wheel from PyPI carries its US English acoustic model and
dictionary, so English works with nothing else installed; the utterance is resampled to the
model's 16 kHz (a phone call has nothing above 4 kHz, which costs accuracy) and decoded
against a JSGF grammar of exactly the allowed phrases. Mandarin needs a site to install
CMU Sphinx's Mandarin model (``cmusphinx-zh-cn-5.2``: ``zh_cn.cd_cont_5000`` and its
``zh_cn.dic``, from the CMU Sphinx downloads, not a registry) and pass its paths as
``model``/``dictionary``; :class:`NullRecogniser` (hears nothing: the flow's DTMF path
goes on) stands in where no engine is set up.
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

import av
import numpy as np

from .prompts import RATE
from .steps import Listen

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
YES_NO = ("yes", "no")

MODEL_RATE = 16000


class AsrError(ValueError):
    """A grammar the engine cannot take (a word outside its dictionary); says which."""


class Recogniser(Protocol):
    name: str

    def recognise(self, pcm: np.ndarray, phrases: Sequence[str]) -> str | None:
        """The one of ``phrases`` spoken in ``pcm`` (8 kHz mono int16), or None."""
        ...


class NullRecogniser:
    """No speech input: every utterance is unheard, so the flow falls back to its keys."""

    name = "none"

    def recognise(self, pcm: np.ndarray, phrases: Sequence[str]) -> str | None:
        return None


def upsample(pcm: np.ndarray, rate: int = MODEL_RATE) -> np.ndarray:
    """8 kHz → ``rate`` with FFmpeg's resampler (PyAV), as the acoustic model expects."""
    r = av.AudioResampler(format="s16", layout="mono", rate=rate)
    frame = av.AudioFrame.from_ndarray(np.asarray(pcm, np.int16).reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = RATE
    out = [f.to_ndarray().reshape(-1) for f in (*r.resample(frame), *r.resample(None))]
    return np.concatenate(out).astype(np.int16) if out else np.zeros(0, np.int16)


def _words(phrase: str) -> list[str]:
    return re.findall(r"[a-z']+", phrase.lower())


class PocketSphinx:
    """CMU PocketSphinx, a grammar per set of phrases (built once, kept). One decoder, used
    by one thread at a time: call it from a worker thread, never the event loop."""

    name = "pocketsphinx"

    def __init__(self, *, model: Path | None = None, dictionary: Path | None = None) -> None:
        from pocketsphinx import Decoder  # the import loads the native library: only when used

        kw = {"hmm": str(model)} if model else {}
        if dictionary:
            kw["dict"] = str(dictionary)
        self._decoder = Decoder(loglevel="FATAL", **kw)
        self._grammars: dict[tuple[str, ...], str] = {}
        self._lock = threading.Lock()

    def _grammar(self, phrases: Sequence[str]) -> str:
        key = tuple(" ".join(_words(p)) for p in phrases)
        if not all(key):
            raise AsrError("a phrase has no words")
        name = self._grammars.get(key)
        if name is None:
            unknown = sorted({w for p in key for w in p.split() if self._decoder.lookup_word(w) is None})
            if unknown:
                raise AsrError(f"not in the dictionary: {', '.join(unknown)}")
            name = f"g{len(self._grammars)}"
            alternatives = " | ".join(key)
            self._decoder.add_jsgf_string(name, f"#JSGF V1.0;\ngrammar {name};\npublic <s> = {alternatives} ;\n")
            self._grammars[key] = name
        return name

    def recognise(self, pcm: np.ndarray, phrases: Sequence[str]) -> str | None:
        with self._lock:
            d = self._decoder
            d.activate_search(self._grammar(phrases))
            d.start_utt()
            d.process_raw(upsample(pcm).tobytes(), full_utt=True)
            d.end_utt()
            hyp = d.hyp()
        heard = " ".join(_words(hyp.hypstr)) if hyp is not None else ""
        for p in phrases:
            if " ".join(_words(p)) == heard:
                return p
        return None


class Hearing:
    """Speech input on calls (``kefu.ivr.calls.Hear``): the engine for the flow's language,
    made on first use on a worker thread (loading a model takes a while) and run there;
    a language without an engine hears nothing, so the caller's keys go on."""

    def __init__(self, engines: Mapping[str, Callable[[], Recogniser]]) -> None:
        self._makers = dict(engines)
        self._made: dict[str, Recogniser] = {}
        self._lock = threading.Lock()

    @property
    def languages(self) -> list[str]:
        return sorted(self._makers)

    def _engine(self, lang: str) -> Recogniser | None:
        with self._lock:
            engine = self._made.get(lang)
            if engine is None and lang in self._makers:
                engine = self._made[lang] = self._makers[lang]()
            return engine

    def _recognise(self, pcm: np.ndarray, listen: Listen) -> str | None:
        engine = self._engine(listen.lang.split("-")[0].lower())
        return engine.recognise(pcm, listen.phrases) if engine is not None else None

    async def __call__(self, pcm: np.ndarray, listen: Listen) -> str | None:
        return await asyncio.to_thread(self._recognise, pcm, listen)


def shipped_engines() -> dict[str, Callable[[], Recogniser]]:
    """What works with nothing but kefu's packages: English, when the ``asr`` extra
    (``pocketsphinx``) is installed."""
    return {"en": PocketSphinx} if importlib.util.find_spec("pocketsphinx") else {}
