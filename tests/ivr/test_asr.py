"""Grammar-limited speech input with the real PocketSphinx (its English model from the wheel)
on espeak-ng English speech at the phone's 8 kHz."""

from __future__ import annotations

import numpy as np
import pytest

from kefu.ivr.asr import DIGITS, YES_NO, AsrError, NullRecogniser, PocketSphinx
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
