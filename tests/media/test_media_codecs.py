"""G.711 against known values (ITU-T G.711 / G.191 conventions), G.722 round trips."""

from __future__ import annotations

import warnings

import G722
import numpy as np
import pytest

from kefu.media import MediaError, codec_by_name
from kefu.media.codecs import (
    ALAW_DECODE,
    ULAW_DECODE,
    alaw_decode,
    alaw_encode,
    ulaw_decode,
    ulaw_encode,
)

from .audio import band_energy, dominant_frequency, tone

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    try:
        import audioop
    except ImportError:  # Python >= 3.13
        audioop = None


def enc(f, *values: int) -> bytes:
    return f(np.array(values, dtype=np.int16))


def test_ulaw_known_values() -> None:
    assert enc(ulaw_encode, 0) == b"\xff"
    assert enc(ulaw_encode, -1) == b"\x7f"  # negative zero
    assert enc(ulaw_encode, 32767) == b"\x80"
    assert enc(ulaw_encode, -32768) == b"\x00"
    assert enc(ulaw_encode, 100, 1000, -1000) == bytes([0xF2, 0xCE, 0x4E])  # by hand: segment 0 mant 13; segment 3 mant 1
    assert ulaw_decode(b"\xff\x7f\x80\x00").tolist() == [0, 0, 32124, -32124]


def test_alaw_known_values() -> None:
    assert enc(alaw_encode, 0) == b"\xd5"
    assert enc(alaw_encode, -1) == b"\x55"
    assert enc(alaw_encode, 32767) == b"\xaa"
    assert enc(alaw_encode, -32768) == b"\x2a"
    assert alaw_decode(b"\xd5\x55\xaa\x2a").tolist() == [8, -8, 32256, -32256]


def test_tables_shape() -> None:
    assert ULAW_DECODE.shape == ALAW_DECODE.shape == (256,)
    x = np.arange(-32768, 32768, dtype=np.int16)
    assert len(ulaw_encode(x)) == len(alaw_encode(x)) == 65536


@pytest.mark.skipif(audioop is None, reason="audioop removed from this Python")
def test_against_stdlib_audioop() -> None:
    codes = bytes(range(256))
    assert ulaw_decode(codes).tobytes() == audioop.ulaw2lin(codes, 2)
    assert alaw_decode(codes).tobytes() == audioop.alaw2lin(codes, 2)
    x = np.arange(-32768, 32768, dtype=np.int16)
    assert alaw_encode(x) == audioop.lin2alaw(x.tobytes(), 2)
    pos = np.arange(0, 32768, dtype=np.int16)  # audioop floors negatives differently from G.191
    assert ulaw_encode(pos) == audioop.lin2ulaw(pos.tobytes(), 2)


def test_decode_encode_is_identity() -> None:
    codes = bytes(range(256))
    assert alaw_encode(alaw_decode(codes)) == codes
    back = ulaw_encode(ulaw_decode(codes))
    assert [i for i in range(256) if back[i] != i] == [0x7F]  # -0 comes back as +0


def test_encode_is_monotonic() -> None:
    x = np.arange(-32768, 32768, dtype=np.int16)
    for e, d in ((ulaw_encode, ulaw_decode), (alaw_encode, alaw_decode)):
        y = d(e(x)).astype(np.int32)
        assert np.all(np.diff(y) >= 0)
        assert np.max(np.abs(y - x)) <= 1024  # the top segment's step


@pytest.mark.parametrize("name", ["PCMU", "PCMA"])
def test_g711_tone_round_trip(name: str) -> None:
    c = codec_by_name(name)
    x = tone(440, 0.5)
    payload = c.encode(x[:160])
    assert len(payload) == 160
    y = np.concatenate([c.decode(c.encode(x[i : i + 160])) for i in range(0, x.size, 160)])
    noise = (y.astype(float) - x) ** 2
    snr = 10 * np.log10(np.mean(x.astype(float) ** 2) / np.mean(noise))
    assert snr > 30
    assert dominant_frequency(y) == pytest.approx(440, abs=5)


def test_g722_round_trip_keeps_tone() -> None:
    c = codec_by_name("g722")
    assert (c.name, c.payload_type, c.clock_rate, c.audio_rate) == ("G722", 9, 8000, 16000)
    x = tone(1000, 1.0)
    out = []
    for i in range(0, x.size, 160):
        payload = c.encode(x[i : i + 160])
        assert len(payload) == 160  # 64 kbit/s * 20 ms
        out.append(c.decode(payload))
    y = np.concatenate(out)
    assert y.dtype == np.int16 and y.size == x.size
    assert dominant_frequency(y[800:]) == pytest.approx(1000, abs=5)
    assert band_energy(y[800:], 1000) > 0.95
    assert np.std(y[800:]) == pytest.approx(np.std(x), rel=0.1)  # gain kept


def test_g722_interoperates_with_a_16k_peer() -> None:
    """What we send decodes as a 1 kHz tone at 16 kHz; what a 16 kHz peer sends decodes for us."""
    ours = codec_by_name("G722")
    peer_dec = G722.G722(16000, 64000)
    x = tone(1000, 1.0)
    wide = np.concatenate(
        [np.frombuffer(peer_dec.decode(ours.encode(x[i : i + 160])), np.int16) for i in range(0, x.size, 160)]
    )
    assert wide.size == 2 * x.size
    assert dominant_frequency(wide[1600:], 16000) == pytest.approx(1000, abs=5)

    peer_enc = G722.G722(16000, 64000)
    x16 = tone(1000, 1.0, rate=16000)
    y = np.concatenate([ours.decode(peer_enc.encode(x16[i : i + 320])) for i in range(0, x16.size, 320)])
    assert y.size == 8000
    assert dominant_frequency(y[800:]) == pytest.approx(1000, abs=5)


def test_codec_instances_are_per_leg() -> None:
    a, b = codec_by_name("G722"), codec_by_name("G722")
    assert a is not b and a._enc is not b._enc
    with pytest.raises(MediaError):
        codec_by_name("OPUS")
