"""Music on hold and sample players."""

from __future__ import annotations

import asyncio
import logging

import numpy as np
import pytest
import soundfile as sf

from kefu.media import MediaError
from kefu.media.codecs import ulaw_decode
from kefu.media.moh import MOH_NOTES, MOH_SECONDS, builtin_moh, load_moh

from .audio import RtpPeer, band_energy, dominant_frequency, rms, tone

pytestmark = pytest.mark.timeout(30)

NOTES = sorted(MOH_NOTES.values())


def note_share(x: np.ndarray) -> float:
    """Share of the signal's energy within 15 Hz of the melody's fundamentals."""
    return sum(band_energy(x, f, width=15) for f in NOTES)


def test_builtin_melody() -> None:
    x = builtin_moh()
    assert x.dtype == np.int16 and x.ndim == 1
    assert x.size == int(MOH_SECONDS * 8000) and 7.5 <= MOH_SECONDS <= 8.5
    assert 5000 < np.abs(x).max() < 20000 and rms(x) > 1000
    assert abs(int(x[0])) < 50 and abs(int(x[-1])) < 50  # loops without a click
    assert note_share(x) > 0.75
    for test_tone in (440, 600, 700, 1000):  # never mistaken for the held party's test tone
        assert band_energy(x, test_tone, width=20) < 0.02
    assert min(abs(dominant_frequency(x) - f) for f in NOTES) < 3
    # a melody, not a drone: every note is there, one after another
    window = [dominant_frequency(x[i : i + 1600]) for i in range(0, x.size - 1600, 2000)]
    for f in NOTES:
        assert any(abs(w - f) < 12 for w in window), f
    assert len({round(w) for w in window}) >= 4


def test_load_moh(tmp_path, caplog) -> None:
    assert np.array_equal(load_moh(None), builtin_moh())
    assert np.array_equal(load_moh(""), builtin_moh())
    wav = tmp_path / "m.wav"
    t = np.arange(48000) / 16000
    sf.write(wav, 0.4 * np.sin(2 * np.pi * 300 * t), 16000, subtype="PCM_16")
    pcm = load_moh(str(wav))
    assert pcm.dtype == np.int16 and pcm.size == 24000
    assert dominant_frequency(pcm) == pytest.approx(300, abs=3)
    with caplog.at_level(logging.ERROR, logger="kefu.media.moh"):
        assert np.array_equal(load_moh(tmp_path / "missing.wav"), builtin_moh())
    assert "missing.wav" in caplog.text


ENGINE_PORTS = (27600, 27699)


async def test_one_moh_player_for_many_listeners(engine) -> None:
    peers = [await RtpPeer.create() for _ in range(3)]
    try:
        legs = [await engine.open_leg(f"held{i}") for i in range(3)]
        for leg, p in zip(legs, peers):
            leg.configure("127.0.0.1", p.port, "PCMU", 0, 101)
        moh = engine.play_samples(None, builtin_moh(), loop=True)
        for leg in legs:
            engine.set_sources(leg, [moh])
        await asyncio.sleep(2.2)
        assert engine.stats["players"] == 1
        for p in peers:
            heard = p.audio(0, ulaw_decode)
            assert heard.size >= 1.5 * 8000
            assert note_share(heard) > 0.6
        # all three hear the same music at the same moment (one shared player)
        a, b = (np.concatenate([ulaw_decode(r.payload) for r in p.received[-30:-5]]) for p in peers[:2])
        assert np.corrcoef(a.astype(float), b.astype(float))[0, 1] > 0.95
        moh.stop()
        assert all(engine.sources_of(leg) == () for leg in legs)
    finally:
        for p in peers:
            p.close()


async def test_play_samples_once_and_looping(engine) -> None:
    p = await RtpPeer.create()
    try:
        leg = await engine.open_leg()
        leg.configure("127.0.0.1", p.port, "PCMU", 0, 101)
        once = engine.play_samples(leg, tone(600, 0.3))
        await asyncio.wait_for(once.done.wait(), 3)
        assert once.path is None and "samples" in repr(once)
        short = tone(900, 0.1)  # 5 frames, looped well past its end
        looping = engine.play_samples(leg, short, loop=True)
        await asyncio.sleep(0.6)
        assert not looping.done.is_set()
        looping.stop()
        await asyncio.sleep(0.05)
        voiced = [ulaw_decode(r.payload) for r in p.received if rms(ulaw_decode(r.payload)) > 500]
        assert len(voiced) >= 15 + 20
        freqs = [dominant_frequency(f) for f in voiced]  # 50 Hz resolution per frame
        assert all(abs(f - 600) <= 50 for f in freqs[:14])
        assert all(abs(f - 900) <= 50 for f in freqs[16:])
    finally:
        p.close()


async def test_play_samples_validation(engine) -> None:
    leg = await engine.open_leg()
    with pytest.raises(MediaError):
        engine.play_samples(leg, np.zeros(160, dtype=np.float32))
    with pytest.raises(MediaError):
        engine.play_samples(leg, np.zeros((2, 160), dtype=np.int16))
    empty = engine.play_samples(leg, np.zeros(0, dtype=np.int16))
    assert empty.done.is_set() and engine.stats["players"] == 0
    wide = engine.play_samples(None, np.array([70000, -70000, 5], dtype=np.int32))  # clipped, padded
    assert wide.pcm is not None and wide.pcm.size == 160 and wide.pcm[0] == 32767
    wide.stop()
