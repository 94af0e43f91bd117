"""Audio helpers for end-to-end tests: write test tones, read recordings, check
by FFT that a recording holds an expected tone and not silence.

Only numpy and the standard library's ``wave`` are needed (``soundfile`` is
used as a fallback reader when it is installed, for formats ``wave`` rejects).
Samples are returned as float64 in [-1, 1).
"""

from __future__ import annotations

import os
import wave

import numpy as np

__all__ = [
    "write_tone_wav",
    "write_silence_wav",
    "read_wav",
    "to_mono",
    "dominant_frequency",
    "tone_power_ratio",
    "has_tone",
    "rms",
    "dbfs",
]


def _write_pcm16(path, samples: np.ndarray, rate: int) -> str:
    path = os.fspath(path)
    pcm = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(int(rate))
        w.writeframes(pcm.tobytes())
    return path


def write_tone_wav(path, freq_hz: float, seconds: float, rate: int = 8000,
                   amplitude: float = 0.3) -> str:
    """Write a mono 16-bit PCM WAV holding a sine of ``freq_hz``. Returns the path."""
    n = int(round(seconds * rate))
    t = np.arange(n, dtype=np.float64) / rate
    return _write_pcm16(path, amplitude * np.sin(2 * np.pi * freq_hz * t), rate)


def write_samples_wav(path, samples: np.ndarray, rate: int = 8000) -> str:
    """Write float samples (-1 to 1) as a mono 16-bit PCM WAV. Returns the path."""
    return _write_pcm16(path, samples, rate)


def write_silence_wav(path, seconds: float, rate: int = 8000) -> str:
    """Write a mono 16-bit PCM WAV of digital silence."""
    return _write_pcm16(path, np.zeros(int(round(seconds * rate))), rate)


def read_wav(path) -> tuple[np.ndarray, int, int]:
    """Read a WAV file: returns (samples, rate, channels).

    ``samples`` is float64 in [-1, 1): shape (n,) for mono, (n, channels) otherwise.
    """
    path = os.fspath(path)
    try:
        with wave.open(path, "rb") as w:
            ch, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
            raw = w.readframes(w.getnframes())
    except (wave.Error, EOFError) as exc:
        try:
            import soundfile  # optional
        except ImportError:
            raise ValueError(f"cannot read {path}: {exc}") from exc
        data, rate = soundfile.read(path, dtype="float64", always_2d=True)
        ch = data.shape[1]
        return (data[:, 0] if ch == 1 else data), int(rate), int(ch)
    if width == 2:
        x = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    elif width == 1:
        x = (np.frombuffer(raw, dtype=np.uint8).astype(np.float64) - 128.0) / 128.0
    elif width == 4:
        x = np.frombuffer(raw, dtype="<i4").astype(np.float64) / 2147483648.0
    elif width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        v = np.where(v & 0x800000, v - 0x1000000, v)
        x = v.astype(np.float64) / 8388608.0
    else:
        raise ValueError(f"unsupported sample width {width} in {path}")
    n = len(x) // ch
    x = x[: n * ch]
    if ch > 1:
        x = x.reshape(n, ch)
    return x, int(rate), int(ch)


def to_mono(samples: np.ndarray) -> np.ndarray:
    """Average the channels of a (n, ch) array; pass 1-D arrays through as float."""
    x = np.asarray(samples, dtype=np.float64)
    if x.dtype.kind in "iu":
        x = x / 32768.0
    return x.mean(axis=1) if x.ndim == 2 else x


def _as_float(samples) -> np.ndarray:
    a = np.asarray(samples)
    if a.dtype.kind in "iu":
        a = a.astype(np.float64) / 32768.0
    return to_mono(a.astype(np.float64, copy=False))


def _power_spectrum(samples, rate: int):
    x = _as_float(samples)
    if x.size < 16:
        raise ValueError("too few samples for a spectrum")
    x = x - x.mean()
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size))) ** 2
    freqs = np.fft.rfftfreq(x.size, d=1.0 / rate)
    return freqs, spec


def dominant_frequency(samples, rate: int) -> float:
    """Frequency (Hz) of the strongest spectral peak, ignoring DC (< 20 Hz)."""
    freqs, spec = _power_spectrum(samples, rate)
    spec = spec.copy()
    spec[freqs < 20.0] = 0.0
    if not spec.any():
        return 0.0
    return float(freqs[int(np.argmax(spec))])


def tone_power_ratio(samples, rate: int, freq: float, bw: float = 20.0) -> float:
    """Share of the signal energy (DC removed) within ``freq ± bw`` Hz; 0.0 for silence."""
    freqs, spec = _power_spectrum(samples, rate)
    spec[freqs < 20.0] = 0.0
    total = float(spec.sum())
    if total <= 1e-12:
        return 0.0
    band = (freqs >= freq - bw) & (freqs <= freq + bw)
    return float(spec[band].sum()) / total


def rms(samples) -> float:
    """Root-mean-square level of the samples (float scale, full scale = 1.0)."""
    x = _as_float(samples)
    return float(np.sqrt(np.mean(x * x))) if x.size else 0.0


def dbfs(samples) -> float:
    """RMS level in dBFS (-inf for silence)."""
    r = rms(samples)
    return 20 * np.log10(r) if r > 0 else float("-inf")


def has_tone(samples, rate: int, freq: float, min_ratio: float = 0.5,
             min_rms: float = 0.01, bw: float = 20.0) -> bool:
    """True when the samples are not (near-)silent and most energy is near ``freq``."""
    x = _as_float(samples)
    if x.size < 16 or rms(x) < min_rms:
        return False
    return tone_power_ratio(x, rate, freq, bw) >= min_ratio
