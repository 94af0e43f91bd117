"""The recordings' file operations: compression keeps both channels (a tone found by FFT in
each after the FLAC/Opus round trip), hashing in blocks, copies between tiers verified."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from kefu.recordings import files

RATE = 8000
LEFT_HZ, RIGHT_HZ = 440.0, 1200.0


def tone_wav(path: Path, seconds: float = 3.0, left: float = LEFT_HZ,
             right: float = RIGHT_HZ) -> Path:
    """A stereo 8 kHz 16-bit WAV as the recorder writes: the customer's tone left, the
    agent's right."""
    t = np.arange(int(seconds * RATE)) / RATE
    stereo = np.stack([np.sin(2 * np.pi * left * t), np.sin(2 * np.pi * right * t)], axis=1)
    sf.write(path, (8000 * stereo).astype(np.int16), RATE, subtype="PCM_16")
    return path


def peak_hz(samples: np.ndarray, rate: int = RATE) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum))])


@pytest.mark.parametrize("codec", ["flac", "opus"])
def test_compression_keeps_each_channel_s_tone(tmp_path: Path, codec: str) -> None:
    wav = tone_wav(tmp_path / "call.wav")
    out = files.compress(wav, codec)
    assert out == tmp_path / f"call{files.SUFFIXES[codec]}" and out.is_file()
    assert wav.is_file()                         # removing it is the caller's step
    assert not list(tmp_path.glob("*.part"))
    audio, rate = sf.read(out, dtype="float64")
    assert rate == RATE and audio.shape[1] == 2
    middle = audio[RATE // 2: RATE // 2 + RATE]  # one second, away from the codec's edges
    assert abs(peak_hz(middle[:, 0]) - LEFT_HZ) < 5
    assert abs(peak_hz(middle[:, 1]) - RIGHT_HZ) < 5
    assert files.duration_of(out) == pytest.approx(3.0, abs=0.05)
    assert out.stat().st_size < wav.stat().st_size


def test_flac_is_lossless(tmp_path: Path) -> None:
    wav = tone_wav(tmp_path / "call.wav")
    out = files.compress(wav, "flac")
    assert np.array_equal(sf.read(wav, dtype="int16")[0], sf.read(out, dtype="int16")[0])


def test_wav_is_kept_as_it_is(tmp_path: Path) -> None:
    wav = tone_wav(tmp_path / "call.wav")
    assert files.compress(wav, "wav") == wav


def test_the_hash_is_sha256_of_the_whole_file(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    data = np.random.default_rng(1).bytes(3 * files.BLOCK + 17)   # more than one block
    big.write_bytes(data)
    assert files.sha256_of(big) == hashlib.sha256(data).hexdigest()


def test_a_copy_gets_its_name_only_with_the_right_hash(tmp_path: Path) -> None:
    (tmp_path / "live").mkdir()
    src = tone_wav(tmp_path / "live" / "a.wav")
    sha = files.sha256_of(src)
    dst = tmp_path / "archive" / "2026" / "a.wav"
    files.copy_verified(src, dst, sha)
    assert files.sha256_of(dst) == sha and src.is_file()
    files.copy_verified(src, dst, sha)           # again (a resumed run): kept as it is
    other = tmp_path / "archive" / "b.wav"
    with pytest.raises(files.FileCorrupt):
        files.copy_verified(src, other, "0" * 64)
    assert not other.exists() and not list(other.parent.glob("*.part"))
