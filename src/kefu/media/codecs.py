"""Audio codecs for RTP legs, converting to and from the mixer's internal format.

The mixer works in narrowband: 8000 Hz mono int16, 20 ms frames of 160 samples.
Every codec decodes *to* and encodes *from* that format, so the mixer never cares
what a leg speaks on the wire.

* PCMU / PCMA (G.711) are stateless; both directions are single numpy table lookups
  (65536-entry int16->byte encode tables, 256-entry decode tables) built once at import
  from the G.711 segment rules.
* G.722 (payload type 9) is wideband: 16 kHz audio, but its RTP clock is 8000 Hz
  (an RFC 3551 quirk), so timestamps still step 160 per 20 ms and a packet is 160
  bytes.  Audio is resampled 16k<->8k: we run the ``G722`` package in its 8 kHz mode,
  where the codec's own QMF band-split filter bank does the resampling (the encoder
  takes our 8 kHz signal as the low sub-band and codes a silent high band; the decoder
  returns only the low sub-band).  A peer therefore hears a correct, gain-matched
  signal band-limited to 4 kHz.  The codec is stateful (ADPCM predictors), so each
  leg gets its own encoder and decoder: always create instances via
  :func:`codec_by_name`, never share one between legs.
"""

from __future__ import annotations

from typing import ClassVar

import G722
import numpy as np

from .errors import MediaError

MIX_RATE = 8000
"""Sample rate of the mixer, recorders and players (Hz)."""
FRAME_SAMPLES = 160
"""Samples per 20 ms frame at :data:`MIX_RATE`."""
FRAME_SECONDS = 0.02
"""Duration of one frame / one clock tick."""

__all__ = [
    "MIX_RATE",
    "FRAME_SAMPLES",
    "FRAME_SECONDS",
    "Codec",
    "Pcmu",
    "Pcma",
    "G722Codec",
    "STATIC_PAYLOAD_TYPES",
    "codec_by_name",
    "supported_codecs",
    "ulaw_encode",
    "ulaw_decode",
    "alaw_encode",
    "alaw_decode",
    "ULAW_ENCODE",
    "ULAW_DECODE",
    "ALAW_ENCODE",
    "ALAW_DECODE",
]


def _bit_length(v: np.ndarray) -> np.ndarray:
    """Vectorised int.bit_length for positive integers (frexp is exact on ints)."""
    return np.frexp(v.astype(np.float64))[1].astype(np.int32)


def _ulaw_tables() -> tuple[np.ndarray, np.ndarray]:
    bias, clip = 0x84, 32635
    x = np.arange(-32768, 32768, dtype=np.int32)
    sign = np.where(x < 0, 0x80, 0)
    # negatives use the ones' complement magnitude, as ITU-T G.191's reference coder does
    mag = np.minimum(np.where(x < 0, -x - 1, x), clip) + bias
    exp = _bit_length(mag >> 7) - 1
    mant = (mag >> (exp + 3)) & 0x0F
    codes = (~(sign | (exp << 4) | mant)) & 0xFF
    enc = np.empty(65536, dtype=np.uint8)
    enc[x & 0xFFFF] = codes  # index by the int16 bit pattern seen as uint16

    u = (~np.arange(256, dtype=np.int32)) & 0xFF
    e = (u >> 4) & 0x07
    m = u & 0x0F
    val = (((m << 3) + bias) << e) - bias
    dec = np.where(u & 0x80, -val, val).astype(np.int16)
    return enc, dec


def _alaw_tables() -> tuple[np.ndarray, np.ndarray]:
    x = np.arange(-32768, 32768, dtype=np.int32)
    x13 = x >> 3  # A-law codes 13-bit magnitudes
    mask = np.where(x13 >= 0, 0xD5, 0x55)
    v = np.where(x13 >= 0, x13, -x13 - 1)
    seg = np.maximum(_bit_length(np.maximum(v, 1)) - 5, 0)
    aval = np.where(seg == 0, v >> 1, (seg << 4) | ((v >> np.maximum(seg, 1)) & 0x0F))
    enc = np.empty(65536, dtype=np.uint8)
    enc[x & 0xFFFF] = (aval ^ mask) & 0xFF

    a = np.arange(256, dtype=np.int32) ^ 0x55
    s = (a >> 4) & 0x07
    m = a & 0x0F
    mag = np.where(s == 0, (m << 4) + 8, ((m << 4) + 0x108) << np.maximum(s - 1, 0))
    dec = np.where(a & 0x80, mag, -mag).astype(np.int16)
    return enc, dec


ULAW_ENCODE, ULAW_DECODE = _ulaw_tables()
ALAW_ENCODE, ALAW_DECODE = _alaw_tables()


def _as_pcm(pcm: np.ndarray) -> np.ndarray:
    if pcm.dtype != np.int16 or not pcm.flags.c_contiguous:
        pcm = np.ascontiguousarray(pcm, dtype=np.int16)
    return pcm


def ulaw_encode(pcm: np.ndarray) -> bytes:
    return ULAW_ENCODE[_as_pcm(pcm).view(np.uint16)].tobytes()


def ulaw_decode(payload: bytes) -> np.ndarray:
    return ULAW_DECODE[np.frombuffer(payload, dtype=np.uint8)]


def alaw_encode(pcm: np.ndarray) -> bytes:
    return ALAW_ENCODE[_as_pcm(pcm).view(np.uint16)].tobytes()


def alaw_decode(payload: bytes) -> np.ndarray:
    return ALAW_DECODE[np.frombuffer(payload, dtype=np.uint8)]


class Codec:
    """One leg's codec: ``encode`` 8 kHz int16 -> payload, ``decode`` payload -> 8 kHz int16."""

    name: ClassVar[str]
    payload_type: ClassVar[int]
    """The static RTP payload type (RFC 3551)."""
    clock_rate: ClassVar[int] = 8000
    """The RTP timestamp clock (8000 for all three, even G.722)."""
    audio_rate: ClassVar[int] = 8000
    """The codec's native audio rate on the wire."""
    encode_table: ClassVar[np.ndarray | None] = None
    """For stateless table codecs: lets the mixer encode many legs in one lookup."""
    decode_table: ClassVar[np.ndarray | None] = None
    """Likewise for decoding."""

    def encode(self, pcm: np.ndarray) -> bytes:
        raise NotImplementedError

    def decode(self, payload: bytes) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}/{self.clock_rate} pt={self.payload_type}>"


class Pcmu(Codec):
    """G.711 µ-law."""

    name = "PCMU"
    payload_type = 0
    encode_table = ULAW_ENCODE
    decode_table = ULAW_DECODE

    def encode(self, pcm: np.ndarray) -> bytes:
        return ULAW_ENCODE[_as_pcm(pcm).view(np.uint16)].tobytes()

    def decode(self, payload: bytes) -> np.ndarray:
        return ULAW_DECODE[np.frombuffer(payload, dtype=np.uint8)]


class Pcma(Codec):
    """G.711 A-law."""

    name = "PCMA"
    payload_type = 8
    encode_table = ALAW_ENCODE
    decode_table = ALAW_DECODE

    def encode(self, pcm: np.ndarray) -> bytes:
        return ALAW_ENCODE[_as_pcm(pcm).view(np.uint16)].tobytes()

    def decode(self, payload: bytes) -> np.ndarray:
        return ALAW_DECODE[np.frombuffer(payload, dtype=np.uint8)]


class G722Codec(Codec):
    """G.722 at 64 kbit/s, bridged to the 8 kHz mixer by the codec's QMF (see module doc)."""

    name = "G722"
    payload_type = 9
    audio_rate = 16000

    def __init__(self) -> None:
        # separate states: encoder and decoder predictors must not interfere
        self._enc = G722.G722(8000, 64000)
        self._dec = G722.G722(8000, 64000)

    def encode(self, pcm: np.ndarray) -> bytes:
        data: bytes = self._enc.encode(_as_pcm(pcm))
        return data

    def decode(self, payload: bytes) -> np.ndarray:
        if not payload:
            return np.zeros(0, dtype=np.int16)
        return np.frombuffer(self._dec.decode(payload), dtype=np.int16)


_CODECS: dict[str, type[Codec]] = {"PCMU": Pcmu, "PCMA": Pcma, "G722": G722Codec}

STATIC_PAYLOAD_TYPES: dict[str, int] = {name: cls.payload_type for name, cls in _CODECS.items()}


def supported_codecs() -> tuple[str, ...]:
    return tuple(_CODECS)


def codec_by_name(name: str) -> Codec:
    """A fresh, independent codec instance (one per leg; G.722 keeps state)."""
    try:
        cls = _CODECS[name.upper()]
    except KeyError:
        raise MediaError(f"unsupported codec {name!r} (have {', '.join(_CODECS)})") from None
    return cls()
