"""Pure file operations on recordings: compress, hash, copy between tiers.

Nothing here touches the database; :mod:`kefu.recordings.lifecycle` decides the order of
file steps and row updates so that a crash at any point leaves something a second run
finishes.  Every file is written under a ``.part`` name, fsynced, then renamed into place
(and its directory fsynced): a name that exists is a complete file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import soundfile as sf

__all__ = ["FileCorrupt", "SUFFIXES", "compress", "copy_verified", "duration_of", "fsync_dir",
           "sha256_of", "target_of"]

BLOCK = 1 << 20
"""Bytes read at a time when hashing: a long call's file never sits whole in memory."""

SUFFIXES = {"wav": ".wav", "flac": ".flac", "opus": ".opus"}
"""The file name's suffix per codec (Opus is in an OGG container; ``.opus`` is its name)."""

_FORMATS = {"flac": ("FLAC", "PCM_16"), "opus": ("OGG", "OPUS")}
_FRAMES = 8000 * 16  # frames compressed at a time (16 s at 8 kHz)
PART = ".part"


class FileCorrupt(OSError):
    """A copy's hash is not the one recorded: nothing was switched, the source stays."""


def sha256_of(path: Path) -> str:
    """The file's SHA-256, hex, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(BLOCK):
            digest.update(block)
    return digest.hexdigest()


def fsync_dir(path: Path) -> None:
    """Make a rename or unlink in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def _publish(part: Path, final: Path) -> None:
    """``part`` (complete) becomes ``final``, durably."""
    _fsync(part)
    os.replace(part, final)
    fsync_dir(final.parent)


def target_of(wav: Path, codec: str) -> Path:
    """Where ``wav`` compressed with ``codec`` goes: beside it, the codec's suffix."""
    return wav.with_suffix(SUFFIXES[codec])


def compress(wav: Path, codec: str) -> Path:
    """Write ``wav`` (stereo: customer left, agent right) in ``codec`` beside it and
    return the new file, complete and fsynced; the WAV is left for the caller to remove.
    ``wav`` itself is returned for ``codec == "wav"``.  Both channels are kept as they are."""
    if codec == "wav":
        return wav
    fmt, subtype = _FORMATS[codec]
    final = target_of(wav, codec)
    part = final.with_name(final.name + PART)
    with sf.SoundFile(wav) as src, \
            sf.SoundFile(part, "w", samplerate=src.samplerate, channels=src.channels,
                         format=fmt, subtype=subtype) as dst:
        for block in src.blocks(blocksize=_FRAMES, dtype="int16"):
            dst.write(block)
    _publish(part, final)
    return final


def duration_of(path: Path) -> float:
    """Seconds of audio in a WAV, FLAC or Opus file."""
    info = sf.info(str(path))
    return info.frames / info.samplerate if info.samplerate else 0.0


def copy_verified(src: Path, dst: Path, sha256: str) -> None:
    """Copy ``src`` to ``dst`` (another tier, perhaps another mount): the copy is written
    under a ``.part`` name, fsynced and hashed; only a copy whose hash is ``sha256`` gets
    the name ``dst``.  A ``dst`` left by an earlier run with the right hash is kept."""
    if dst.exists() and sha256_of(dst) == sha256:
        return
    dst.parent.mkdir(parents=True, exist_ok=True)
    part = dst.with_name(dst.name + PART)
    shutil.copyfile(src, part)
    _fsync(part)
    got = sha256_of(part)
    if got != sha256:
        part.unlink(missing_ok=True)
        raise FileCorrupt(f"{src}: copy's SHA-256 {got} is not the recorded {sha256}")
    _publish(part, dst)


def unlink(path: Path) -> None:
    """Remove ``path`` (gone already is fine), durably."""
    try:
        path.unlink()
    except FileNotFoundError:
        return
    fsync_dir(path.parent)
