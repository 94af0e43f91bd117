"""What a call in a flow hears (:mod:`kefu.ivr.sounds`): an uploaded prompt by name (the
call's language first), TTS text from the cache (synthesised once), a read-out's recorded
prompts from the prompt set (generated on first use)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from ivrkit import wav
from kefu.ivr.promptset import PromptSet
from kefu.ivr.service import Ivr
from kefu.ivr.sounds import Sounds
from kefu.ivr.steps import Item
from kefu.ivr.tts import TtsCache
from kefu.store.errors import NotFound


class Beeps:
    """A TTS engine that says every text as a short tone, counting what it was asked."""

    name = "beeps"

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    def synthesise(self, text: str, voice: str) -> np.ndarray:
        self.texts.append((text, voice))
        return (np.sin(np.arange(800) / 3) * 8000).astype(np.int16)


@pytest.fixture
def sounds(ivr: Ivr, tmp_path: Path) -> tuple[Sounds, Beeps]:
    engine = Beeps()
    return Sounds(TtsCache(engine, tmp_path / "tts"),
                  PromptSet(engine, tmp_path / "readout"), ivr.prompts), engine


def files(sounds: Sounds, item: Item) -> list[Path]:
    return asyncio.run(sounds.files(item))


def test_tts_text_is_rendered_once_in_the_languages_voice(sounds: tuple[Sounds, Beeps]) -> None:
    s, engine = sounds
    (first,) = files(s, Item(text="您好", lang="zh"))
    (again,) = files(s, Item(text="您好", lang="zh"))
    (english,) = files(s, Item(text="hello", lang="en"))
    assert first == again and first.exists() and english != first
    assert engine.texts == [("您好", "cmn"), ("hello", "en-us")]


def test_a_cached_rendering_is_found_without_a_worker_thread(
        sounds: tuple[Sounds, Beeps], monkeypatch: pytest.MonkeyPatch) -> None:
    s, engine = sounds
    (first,) = files(s, Item(text="您好", lang="zh"))

    def no_thread(*_args: object) -> None:
        raise AssertionError("a worker thread")

    monkeypatch.setattr(asyncio, "to_thread", no_thread)
    (again,) = files(s, Item(text="您好", lang="zh"))         # a stat on the loop
    assert again == first and engine.texts == [("您好", "cmn")]
    with pytest.raises(AssertionError, match="a worker thread"):
        files(s, Item(text="新的", lang="zh"))                  # synthesis: off the loop


def test_an_uploaded_prompt_is_found_by_name_in_the_calls_language_first(
        sounds: tuple[Sounds, Beeps], ivr: Ivr) -> None:
    s, _ = sounds
    ivr.prompts.upload("welcome", "en", wav(), "admin")
    (only_en,) = files(s, Item(file="welcome", lang="zh"))   # no zh one: any language
    ivr.prompts.upload("welcome", "zh", wav(), "admin")
    (zh,) = files(s, Item(file="welcome", lang="zh"))
    assert only_en.exists() and zh.exists() and zh != only_en
    with pytest.raises(NotFound):
        files(s, Item(file="nothing", lang="zh"))


def test_read_out_prompts_come_from_the_generated_set(sounds: tuple[Sounds, Beeps]) -> None:
    s, engine = sounds
    paths = files(s, Item(prompts=("1", "2"), lang="zh"))
    assert [p.name for p in paths] == ["1.wav", "2.wav"] and all(p.exists() for p in paths)
    asked = len(engine.texts)
    files(s, Item(prompts=("3",), lang="zh"))
    assert len(engine.texts) == asked      # the set was generated once
