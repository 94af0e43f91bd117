"""The recorder's file survives a crash: its header keeps up while recording, and
``repair_wav`` fixes what the last seconds before a kill left behind (no engine: the
recorder is fed frames directly, so every block boundary is known)."""

from __future__ import annotations

import struct
import wave
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from kefu.media.recorder import _BLOCK_FRAMES, _HEADER_EVERY, Recorder, repair_wav

from .audio import dominant_frequency, tone

pytestmark = pytest.mark.timeout(30)

FRAME = 160
BLOCK_BYTES = _BLOCK_FRAMES * FRAME * 4          # one second of 16-bit stereo


def _sizes(path: Path) -> tuple[int, int, int]:
    """(RIFF size, data size, file size) as they are on disk now."""
    raw = path.read_bytes()
    return struct.unpack_from("<I", raw, 4)[0], struct.unpack_from("<I", raw, 40)[0], len(raw)


def _stereo(seconds: float) -> np.ndarray:
    return np.stack([tone(440, seconds), tone(1000, seconds)], axis=1)


async def test_header_keeps_up_while_recording(tmp_path) -> None:
    """Never more than a few blocks behind the file, so a killed process leaves a WAV
    that players read almost to its end even without a repair."""
    path = tmp_path / "live.wav"
    with ThreadPoolExecutor(1) as io:
        rec = Recorder(path, [], [], io, on_close=lambda r: None)
        audio = _stereo(8.0)
        lags = []
        for i in range(0, len(audio), FRAME):
            rec.feed(audio[i:i + FRAME])
            if rec._last_write is not None:
                await rec._last_write
                riff, data, size = _sizes(path)
                assert riff == data + 36
                lags.append(size - 44 - data)
        assert max(lags) < _HEADER_EVERY * BLOCK_BYTES
        assert lags[-1] < len(audio) * 4 - 44      # not stuck at the first block
        # as a kill leaves it: the header's length is what a player sees
        with wave.open(str(path)) as w:
            assert w.getnframes() / 8000 >= 8.0 - _HEADER_EVERY
        await rec.close()
    info = sf.info(path)
    assert info.frames == rec.duration * 8000 == len(audio)
    assert _sizes(path)[2] == 44 + len(audio) * 4


def _wav_then_raw(path: Path, seconds_in_header: float, seconds_after: float) -> np.ndarray:
    """A 16-bit stereo WAV whose header counts ``seconds_in_header``, then more raw audio
    appended behind the header's back (a recording cut off by a crash)."""
    audio = _stereo(seconds_in_header + seconds_after)
    cut = int(seconds_in_header * 8000)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(audio[:cut].tobytes())
    with path.open("ab") as f:
        f.write(audio[cut:].tobytes())
    return audio


def test_repair_extends_the_header_to_the_audio_on_disk(tmp_path) -> None:
    path = tmp_path / "cut.wav"
    audio = _wav_then_raw(path, 1.0, 4.5)
    assert sf.info(path).duration == pytest.approx(1.0)
    assert repair_wav(path) == pytest.approx(5.5)
    data, rate = sf.read(path, dtype="int16")
    assert rate == 8000 and np.array_equal(data, audio)
    assert dominant_frequency(data[-8000:, 0]) == pytest.approx(440, abs=5)
    assert dominant_frequency(data[-8000:, 1]) == pytest.approx(1000, abs=5)
    before = path.stat().st_mtime_ns
    assert repair_wav(path) == pytest.approx(5.5)      # a second pass changes nothing
    assert path.stat().st_mtime_ns == before


def test_repair_counts_whole_frames_only(tmp_path) -> None:
    path = tmp_path / "torn.wav"
    _wav_then_raw(path, 0.5, 0.5)
    with path.open("ab") as f:
        f.write(b"\x01\x02\x03")                        # a torn last frame
    assert repair_wav(path) == pytest.approx(1.0)
    assert sf.info(path).frames == 8000
    assert _sizes(path)[1] == 8000 * 4


def test_repair_of_a_header_only_file_and_of_non_wavs(tmp_path) -> None:
    empty = tmp_path / "empty.wav"
    with ThreadPoolExecutor(1) as io:
        rec = Recorder(empty, [], [], io, on_close=lambda r: None)
        assert repair_wav(empty) == 0.0                  # killed before the first block
        rec._file.close()
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not a wav at all" * 10)
    assert repair_wav(junk) is None
    assert junk.read_bytes() == b"not a wav at all" * 10
    assert repair_wav(tmp_path / "missing.wav") is None
    assert repair_wav(tmp_path) is None                  # a directory: logged, not raised



async def _fed(path: Path, audio: np.ndarray, during: dict) -> Recorder:
    """Feed ``audio`` frame by frame; ``during``: frame index → what to do to the recorder."""
    with ThreadPoolExecutor(1) as io:
        rec = Recorder(path, [], [], io, on_close=lambda r: None)
        for n, i in enumerate(range(0, len(audio), FRAME)):
            if n in during:
                during[n](rec)
            rec.feed(audio[i:i + FRAME])
        await rec.close()
    return rec


async def test_a_pause_is_silence_in_place_and_the_clock_runs_on(tmp_path) -> None:
    """Paused from 1.0 s to 2.5 s: zeros exactly there, the tones before and after,
    and the file as long as what was fed (no gap, nothing dropped)."""
    path = tmp_path / "paused.wav"
    audio = _stereo(4.0)

    def pause(r: Recorder) -> None:
        r.paused = True

    def resume(r: Recorder) -> None:
        r.paused = False

    rec = await _fed(path, audio, {50: pause, 125: resume})
    data, rate = sf.read(path, dtype="int16")
    assert len(data) == len(audio) and rec.duration == 4.0
    assert not data[8000:20000].any()                      # the paused span: zeros
    for part in (data[800:7200], data[20800:31000]):
        assert dominant_frequency(part[:, 0], rate) == pytest.approx(440, abs=10)
        assert dominant_frequency(part[:, 1], rate) == pytest.approx(1000, abs=10)


async def test_a_beep_is_mixed_into_both_channels_for_its_frames_only(tmp_path) -> None:
    path = tmp_path / "beep.wav"
    silence = np.zeros((16000, 2), dtype=np.int16)
    beep = tone(1400, 0.2)                                  # 10 frames

    rec = await _fed(path, silence, {50: lambda r: r.beep(beep)})
    data, rate = sf.read(path, dtype="int16")
    assert rec.duration == 2.0
    assert not data[:8000].any() and not data[9600:].any()  # only where the beep is
    for ch in (0, 1):
        assert np.array_equal(data[8000:9600, ch], beep)
