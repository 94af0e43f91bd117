"""Prompt audio: any uploaded WAV or MP3 (any rate, any channels) → 8 kHz mono 16-bit WAV,
the media engine's rate, so a prompt is converted once, not per call.

Decoding and resampling are PyAV's (FFmpeg's libraries inside the wheel aiortc already
brings), so no ffmpeg binary is needed. A broken upload raises :class:`PromptError` with
the reason, and :func:`store` writes nothing then.
"""

from __future__ import annotations

import io
import os
import tempfile
import wave
from pathlib import Path

import av
import numpy as np

RATE = 8000
MAX_SECONDS = 600
FORMATS = {"wav": "WAV", "mp3": "MP3"}
"""Container formats accepted (PyAV's names) → what the error message calls them."""


class PromptError(ValueError):
    """An upload that is no usable prompt; the message says why."""


def decode(data: bytes, *, formats: dict[str, str] = FORMATS) -> np.ndarray:
    """The audio in ``data`` as 8 kHz mono int16 samples."""
    chunks: list[np.ndarray] = []
    try:
        with av.open(io.BytesIO(data), mode="r") as container:
            kind = container.format.name.split(",")
            if not set(kind) & set(formats):
                raise PromptError(f"a {container.format.long_name} file; only "
                                  f"{' or '.join(formats.values())} are taken")
            if not container.streams.audio:
                raise PromptError("the file has no audio")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
            for frame in container.decode(container.streams.audio[0]):
                chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
                if sum(map(len, chunks)) > MAX_SECONDS * RATE:
                    raise PromptError(f"longer than {MAX_SECONDS} s")
            chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    except av.FFmpegError as e:
        raise PromptError(f"not a readable {' or '.join(formats.values())} file "
                          f"({e.strerror or e})") from None
    pcm = np.concatenate(chunks).astype(np.int16) if chunks else np.zeros(0, np.int16)
    if not len(pcm):
        raise PromptError("the file holds no sound")
    return pcm


def wav_bytes(pcm: np.ndarray) -> bytes:
    """8 kHz mono 16-bit WAV of ``pcm``."""
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(np.asarray(pcm, dtype="<i2").tobytes())
    return out.getvalue()


def write_atomically(path: Path, data: bytes) -> None:
    """Whole or not at all: a reader (or a crash) never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def store(data: bytes, path: Path) -> float:
    """Convert an upload and save it at ``path``; its duration in seconds. Nothing is
    written when the upload is refused."""
    pcm = decode(data)
    write_atomically(path, wav_bytes(pcm))
    return len(pcm) / RATE
