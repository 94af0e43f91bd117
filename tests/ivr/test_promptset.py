"""The read-out prompt sets generated with the real espeak-ng: complete, generated once,
overridden by uploads, and joined into audio that is speech of the expected length."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest

from ivrkit import wav
from kefu.ivr.prompts import RATE, store
from kefu.ivr.promptset import GAP, PromptSet, read_wav, voice
from kefu.ivr.readout import prompt_set, read
from kefu.ivr.tts import EspeakNg, TtsCache


class Counting:
    name = "espeak-ng"

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.inner = EspeakNg()

    def synthesise(self, text: str, voice: str) -> np.ndarray:
        self.texts.append(text)
        return self.inner.synthesise(text, voice)


def voiced(pcm: np.ndarray) -> float:
    """The share of 50 ms windows with speech in them."""
    n = len(pcm) // 400 * 400
    return float((np.abs(pcm[:n].reshape(-1, 400)).max(axis=1) > 1000).mean())


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, float]]:
    """Both languages generated once for the module (espeak-ng runs a process a prompt)."""
    d = tmp_path_factory.mktemp("sets")
    took = {}
    for lang in ("zh", "en"):
        t0 = time.monotonic()
        made = PromptSet(Counting(), d).ensure(lang)
        took[lang] = time.monotonic() - t0
        assert sorted(made) == sorted(prompt_set(lang))
    return d, took


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_set_is_complete_and_each_prompt_is_speech(generated: tuple[Path, dict[str, float]],
                                                       lang: str) -> None:
    d, took = generated
    ps = PromptSet(Counting(), d)
    assert ps.missing(lang) == []
    for name in prompt_set(lang):
        pcm = read_wav(ps.path(lang, name))
        assert 0.05 < len(pcm) / RATE < 2.0, name
        assert np.abs(pcm).max() > 3000, name
    print(f"{lang}: {len(prompt_set(lang))} prompts generated in {took[lang]:.1f} s")


def test_a_second_start_generates_nothing(generated: tuple[Path, dict[str, float]], tmp_path: Path) -> None:
    d = tmp_path / "copy"
    shutil.copytree(generated[0], d)
    engine = Counting()
    assert PromptSet(engine, d).ensure("zh") == [] and PromptSet(engine, d).ensure("en") == []
    assert engine.texts == []
    (d / "zh" / "bai.wav").unlink()  # a lost file is made again, alone
    assert PromptSet(engine, d).ensure("zh") == ["bai"] and engine.texts == ["百"]


def test_an_uploaded_prompt_overrides_the_generated_one(generated: tuple[Path, dict[str, float]],
                                                        tmp_path: Path) -> None:
    d = tmp_path / "copy"
    shutil.copytree(generated[0], d)
    up = tmp_path / "uploaded-yuan.wav"
    store(wav(44100, 2, 0.5), up)
    ps = PromptSet(Counting(), d, uploaded=lambda name, lang: up if (name, lang) == ("yuan", "zh") else None)
    assert ps.path("zh", "yuan") == up and ps.path("zh", "jiao") == d / "zh" / "jiao.wav"
    fresh = PromptSet(Counting(), tmp_path / "fresh", uploaded=ps.uploaded)
    fresh_made = fresh.ensure("zh")
    assert "yuan" not in fresh_made and len(fresh_made) == len(prompt_set("zh")) - 1
    joined = ps.join("zh", ["1", "yuan"])
    assert np.array_equal(joined[-len(read_wav(up)):], read_wav(up))  # the upload is what plays


@pytest.mark.parametrize(("lang", "kind", "value"), [
    ("zh", "money", "12345.67"), ("en", "money", "12345.67"), ("zh", "digits", "13800138000"),
    ("en", "date", "2024-03-05")])
def test_concatenated_readout_is_speech_of_the_summed_length(
        generated: tuple[Path, dict[str, float]], tmp_path: Path, lang: str, kind: str, value: str) -> None:
    ps = PromptSet(Counting(), generated[0])
    r = read(lang, kind, value)
    pcm = voice(r, "prompts", ps, TtsCache(EspeakNg(), tmp_path / "tts"))
    parts = sum(len(read_wav(ps.path(lang, n))) for n in r.prompts) / RATE
    expected = parts + GAP * (len(r.prompts) - 1)
    assert abs(len(pcm) / RATE - expected) < 0.01 and len(r.prompts) >= 5
    assert voiced(pcm) > 0.6, voiced(pcm)
    spoken = voice(r, "tts", ps, TtsCache(EspeakNg(), tmp_path / "tts"))
    assert voiced(spoken) > 0.4 and 0.4 < len(spoken) / len(pcm) < 2.5
