"""Text-to-speech with the real espeak-ng, its disk cache, and the conversion of uploaded
prompts (WAV and MP3 made here) to 8 kHz mono; broken uploads store nothing."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile

from kefu.ivr.prompts import RATE, PromptError, store
from kefu.ivr.tts import VOICES, EspeakNg, TtsCache, TtsError


def rms(pcm: np.ndarray) -> float:
    return float(np.sqrt(np.mean(pcm.astype(np.float64) ** 2)))


def read_wav(path: Path) -> tuple[wave._wave_params, np.ndarray]:
    with wave.open(str(path), "rb") as w:
        return w.getparams(), np.frombuffer(w.readframes(w.getnframes()), "<i2")


@pytest.mark.parametrize(("lang", "text", "low", "high"), [
    ("zh", "您的余额为十二元三角", 1.0, 6.0),
    ("en", "twelve dollars and thirty cents", 1.0, 4.0),
])
def test_espeak_speaks(lang: str, text: str, low: float, high: float) -> None:
    pcm = EspeakNg().synthesise(text, VOICES[lang])
    assert pcm.dtype == np.int16
    assert low < len(pcm) / RATE < high
    assert rms(pcm) > 500  # speech, not silence
    loud = np.abs(pcm[: len(pcm) // 400 * 400].reshape(-1, 400)).max(axis=1) > 1000
    assert loud.mean() > 0.3  # voiced through much of it (50 ms windows)


def test_the_voices_differ() -> None:
    e = EspeakNg()
    zh, en = e.synthesise("一二三", "cmn"), e.synthesise("一二三", "en-us")
    assert len(zh) != len(en) or not np.array_equal(zh, en)


def test_an_unknown_voice_is_an_error() -> None:
    with pytest.raises(TtsError, match="espeak-ng"):
        EspeakNg().synthesise("hello", "xx-nonsense")


class Counting:
    """An engine that counts its calls (espeak-ng underneath)."""

    name = "espeak-ng"

    def __init__(self) -> None:
        self.calls = 0
        self.inner = EspeakNg()

    def synthesise(self, text: str, voice: str) -> np.ndarray:
        self.calls += 1
        return self.inner.synthesise(text, voice)


def test_cache_renders_once_and_survives_a_restart(tmp_path: Path) -> None:
    engine = Counting()
    cache = TtsCache(engine, tmp_path)
    first = cache.render("欢迎致电", "cmn")
    assert cache.render("欢迎致电", "cmn") == first and engine.calls == 1
    params, pcm = read_wav(first)
    assert (params.framerate, params.nchannels, params.sampwidth) == (8000, 1, 2)
    assert rms(pcm) > 500
    restarted = TtsCache(engine, tmp_path)  # a new process: only the disk is shared
    assert restarted.render("欢迎致电", "cmn") == first and engine.calls == 1
    other = restarted.render("欢迎致电", "en-us")
    assert other != first and engine.calls == 2
    assert not list(tmp_path.rglob(".part-*"))


def tone(rate: int, channels: int, seconds: float, hz: float = 440.0) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    mono = (0.5 * 32767 * np.sin(2 * np.pi * hz * t)).astype(np.int16)
    return np.repeat(mono[:, None], channels, axis=1)


def peak_hz(pcm: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(pcm.astype(np.float64)))
    return float(np.argmax(spectrum) * RATE / len(pcm))


def test_a_44k_stereo_wav_becomes_8k_mono(tmp_path: Path) -> None:
    buf = io.BytesIO()
    soundfile.write(buf, tone(44100, 2, 1.5), 44100, format="WAV", subtype="PCM_16")
    seconds = store(buf.getvalue(), tmp_path / "welcome.wav")
    params, pcm = read_wav(tmp_path / "welcome.wav")
    assert (params.framerate, params.nchannels, params.sampwidth) == (8000, 1, 2)
    assert abs(seconds - 1.5) < 0.02 and abs(len(pcm) / RATE - 1.5) < 0.02
    assert abs(peak_hz(pcm) - 440) < 5
    assert rms(pcm) > 5000


def make_mp3(rate: int, channels: int, seconds: float) -> bytes:
    out = io.BytesIO()
    layout = "stereo" if channels == 2 else "mono"
    with av.open(out, mode="w", format="mp3") as container:
        stream = container.add_stream("libmp3lame", rate=rate, layout=layout)
        samples = tone(rate, channels, seconds)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout=layout)
        frame.sample_rate = rate
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out.getvalue()


def test_an_mp3_becomes_8k_mono(tmp_path: Path) -> None:
    data = make_mp3(22050, 2, 2.0)
    assert data[:3] == b"ID3" or data[0] == 0xFF
    seconds = store(data, tmp_path / "menu.wav")
    params, pcm = read_wav(tmp_path / "menu.wav")
    assert (params.framerate, params.nchannels) == (8000, 1)
    assert 1.9 < seconds < 2.2  # the encoder's padding adds a little
    assert abs(peak_hz(pcm) - 440) < 5


def flac() -> bytes:
    buf = io.BytesIO()
    soundfile.write(buf, tone(16000, 1, 0.5), 16000, format="FLAC")
    return buf.getvalue()


def empty_wav() -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
    return buf.getvalue()


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "not a readable WAV or MP3 file"),
    (np.random.default_rng(1).bytes(4000), "not a readable WAV or MP3 file"),
    (b"RIFF\x10\x00\x00\x00WAVEfmt " + b"\x00" * 8, "not a readable WAV or MP3 file"),
    (flac(), "only WAV or MP3 are taken"),
    (empty_wav(), "no sound"),
])
def test_a_broken_upload_is_refused_and_nothing_stored(tmp_path: Path, data: bytes, reason: str) -> None:
    with pytest.raises(PromptError, match=reason):
        store(data, tmp_path / "prompts" / "x.wav")
    assert not (tmp_path / "prompts" / "x.wav").exists()
    assert not list(tmp_path.rglob("*.wav")) and not list(tmp_path.rglob(".part-*"))
