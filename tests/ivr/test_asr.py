"""Grammar-limited speech input with the real PocketSphinx (its English model from the wheel)
on espeak-ng English speech at the phone's 8 kHz."""

from __future__ import annotations

import numpy as np
import pytest

from kefu.ivr.asr import DIGITS, YES_NO, AsrError, Hearing, NullRecogniser, PocketSphinx, shipped_engines
from kefu.ivr.steps import Listen
from kefu.ivr.tts import EspeakNg


def said(text: str) -> np.ndarray:
    pcm = EspeakNg().synthesise(text, "en-us")
    pause = np.zeros(4000, np.int16)  # half a second each side, as a caller's turn has
    return np.concatenate([pause, pcm, pause])


@pytest.fixture(scope="module")
def asr() -> PocketSphinx:
    return PocketSphinx()


@pytest.mark.parametrize(("text", "phrases"), [
    ("two", DIGITS), ("yes", YES_NO), ("no", YES_NO),
    ("billing", ("billing", "operator", "sales")), ("operator", ("billing", "operator", "sales")),
    ("sales", ("billing", "operator", "sales"))])
def test_words_of_the_grammar_are_heard(asr: PocketSphinx, text: str, phrases: tuple[str, ...]) -> None:
    assert asr.recognise(said(text), phrases) == text


def test_the_answer_is_one_of_the_phrases_as_given(asr: PocketSphinx) -> None:
    assert asr.recognise(said("yes"), ("Yes", "No")) == "Yes"
    assert asr.recognise(np.zeros(8000, np.int16), YES_NO) is None  # silence: nothing heard


def test_a_word_outside_the_dictionary_is_refused(asr: PocketSphinx) -> None:
    with pytest.raises(AsrError, match="kefuqwx"):
        asr.recognise(said("yes"), ("yes", "kefuqwx"))


def test_the_null_engine_hears_nothing() -> None:
    assert NullRecogniser().recognise(said("yes"), YES_NO) is None


async def test_hearing_runs_the_engine_of_the_flows_language() -> None:
    made: list[str] = []

    class Fixed:
        name = "fixed"

        def recognise(self, pcm: np.ndarray, phrases: tuple[str, ...]) -> str | None:
            return phrases[-1]

    def make() -> Fixed:
        made.append("en")
        return Fixed()

    hearing = Hearing({"en": make})
    listen = Listen(1, ("yes", "no"), "en-us")
    assert await hearing(np.zeros(800, np.int16), listen) == "no"
    assert await hearing(np.zeros(800, np.int16), listen) == "no"
    assert made == ["en"]                                   # made once, on first use
    assert await hearing(np.zeros(800, np.int16), Listen(2, ("是",), "zh")) is None
    assert shipped_engines().keys() == {"en"}               # the asr extra is installed here


async def test_hearing_with_the_shipped_engine_on_an_utterance(asr: PocketSphinx) -> None:
    hearing = Hearing({"en": lambda: asr})
    assert await hearing(said("operator"), Listen(1, ("billing", "operator"), "en")) == "operator"
