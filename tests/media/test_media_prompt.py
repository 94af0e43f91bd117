"""The prompt path: a leg that hears only a player is sent the player's audio without
mixing; with G.711 the prompt is encoded once per codec and the payloads go out as
they are.  Over real UDP sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time

import G722
import numpy as np
import pytest
import soundfile as sf

from kefu.media.codecs import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode
from kefu.media.dtmf import detect_keys
from kefu.media.tick import MIX, PROMPT, RELAY

from .audio import band_energy, dominant_frequency, frames_of, rms, tone

pytestmark = pytest.mark.timeout(30)

ENCODE = {"PCMU": (0, ulaw_encode, ulaw_decode), "PCMA": (8, alaw_encode, alaw_decode)}


ENGINE_PORTS = (28000, 28099)


async def _ticks(engine, n: int = 2) -> None:
    start = engine.ticks
    while engine.ticks < start + n:
        await asyncio.sleep(0.005)


def _seq_continuous(rx) -> None:
    assert len({r.ssrc for r in rx}) == 1
    assert np.all((np.diff([r.seq for r in rx]) % 65536) == 1)


def _g722_decode(payloads: list[bytes]) -> np.ndarray:
    dec = G722.G722(8000, 64000)  # the engine's 8 kHz mode: the low sub-band
    return np.concatenate([np.frombuffer(dec.decode(p), np.int16) for p in payloads])


@pytest.mark.parametrize("codec", ["PCMU", "PCMA", "G722"])
async def test_prompt_arrives_as_is_at_the_clock_pace(engine, peers, tmp_path, codec) -> None:
    leg = await engine.open_leg("p")
    peer = await peers()
    pt = {"PCMU": 0, "PCMA": 8, "G722": 9}[codec]
    leg.configure("127.0.0.1", peer.port, codec, pt, 101)
    await _ticks(engine)
    assert leg.tick_path == PROMPT  # nothing routed: silence, through the prompt path too
    before = len(peer.received)
    assert before >= 1

    # an irregular signal, so that any reordering or repeat of frames shows
    rng = np.random.default_rng(3)
    pcm = (tone(600, 1.0, amp=6000) + rng.integers(-2000, 2000, 8000)).astype(np.int16)
    player = engine.play_samples(leg, pcm)
    rec = engine.record(tmp_path / "r.wav", [leg], [player])
    await _ticks(engine, 1)
    assert leg.tick_path == PROMPT and leg.tick_heard is player
    await asyncio.wait_for(player.done.wait(), 3)
    await _ticks(engine, 3)
    await rec.close()
    assert engine.stats["players"] == 0 and leg.tick_path == PROMPT and leg.tick_heard is not player

    rx = peer.received
    _seq_continuous(rx)
    assert np.all((np.diff([r.ts for r in rx]) % 2**32) == 160)  # one media clock throughout
    payloads = [r.payload for r in rx]
    if codec == "G722":
        heard = _g722_decode(payloads)
        voiced = [i for i in range(len(rx)) if rms(heard[i * 160 : (i + 1) * 160]) > 1500]
        assert 49 <= len(voiced) <= 51
        assert dominant_frequency(heard[voiced[5] * 160 : voiced[-5] * 160]) == pytest.approx(600, abs=5)
        first = voiced[0]
    else:
        _, encode, _ = ENCODE[codec]
        expect = frames_of(pcm, encode)
        first = payloads.index(expect[0])
        assert payloads[first : first + 50] == expect  # the prompt's own bytes, in order
        silence = encode(np.zeros(160, np.int16))
        assert set(payloads[:first]) == {silence} and set(payloads[first + 50 :]) == {silence}
    # the pace: one packet per 20 ms (loopback: arrival times follow the clock)
    t = np.array([r.t for r in rx[first : first + 50]])
    assert t[-1] - t[0] == pytest.approx(49 * 0.02, abs=0.06)
    assert np.percentile(np.diff(t), 90) < 0.03

    # the recorder heard the player on its right channel, the leg (silent) on its left
    data, _ = sf.read(tmp_path / "r.wav", dtype="int16")
    assert rms(data[:, 0]) == 0
    right = data[:, 1]
    start = int(np.argmax(np.abs(right) > 0))
    assert np.array_equal(right[start : start + 8000], pcm[: 8000])
    assert engine.stats["tick_errors"] == 0


async def test_one_encoding_per_prompt_and_codec(engine, peers, tmp_path) -> None:
    wav = tmp_path / "prompt.wav"
    sf.write(wav, tone(500, 0.4).astype(np.int16), 8000, subtype="PCM_16")
    legs = [await engine.open_leg(f"l{i}") for i in range(4)]
    ps = [await peers() for _ in legs]
    for i, (leg, p) in enumerate(zip(legs, ps)):
        codec = "PCMU" if i % 2 == 0 else "PCMA"
        leg.configure("127.0.0.1", p.port, codec, ENCODE[codec][0], 101)
    first = engine.play(legs[0], wav)
    await asyncio.wait_for(first.done.wait(), 3)
    players = [engine.play(leg, wav) for leg in legs]  # decoded already: shared samples
    assert all(p.encoded is first.encoded for p in players)
    await asyncio.gather(*(asyncio.wait_for(p.done.wait(), 3) for p in players))
    assert set(first.encoded) == {"PCMU", "PCMA"}
    for i, p in enumerate(ps):
        _, _, decode = ENCODE["PCMU" if i % 2 == 0 else "PCMA"]
        heard = p.audio(ENCODE["PCMU" if i % 2 == 0 else "PCMA"][0], decode, skip=0)
        assert dominant_frequency(heard) == pytest.approx(500, abs=5)
        assert sum(rms(decode(r.payload)) > 1000 for r in p.received) >= (40 if i == 0 else 20)


async def test_looping_stop_and_rfc4733_during_a_prompt(engine, peers) -> None:
    leg = await engine.open_leg("p")
    peer = await peers()
    leg.configure("127.0.0.1", peer.port, "PCMU", 0, 101)
    pcm = np.concatenate((tone(800, 0.1), np.zeros(800, np.int16)))  # 5 voiced + 5 silent frames
    player = engine.play_samples(leg, pcm, loop=True)
    await asyncio.sleep(0.5)
    await leg.send_dtmf("3", duration_ms=100)
    await asyncio.sleep(0.5)
    assert not player.done.is_set() and leg.tick_path == PROMPT
    player.stop()
    assert player.done.is_set()
    await _ticks(engine, 2)
    n = len(peer.received)
    await _ticks(engine, 3)
    rx = peer.received
    _seq_continuous(rx)
    assert all(rms(ulaw_decode(r.payload)) == 0 for r in rx[n:] if r.pt == 0)  # stopped
    events = [r for r in rx if r.pt == 101]
    assert len(events) == 7 and {r.payload[0] for r in events} == {3}
    first, last = rx.index(events[0]), rx.index(events[-1])
    assert not [r for r in rx[first:last] if r.pt == 0]  # the prompt is muted meanwhile
    audio = [r for r in rx if r.pt == 0]
    voiced = np.array([rms(ulaw_decode(r.payload)) > 1000 for r in audio])
    runs = np.flatnonzero(np.diff(voiced.astype(int)) == 1)
    assert len(runs) >= 4  # it looped (10 frames a pass)
    tss = [r.ts for r in rx if r.pt == 0]
    assert all(0 < (b - a) % 2**32 < 2**31 for a, b in zip(tss, tss[1:]))  # never backwards


async def test_inband_digits_are_exclusive_over_a_prompt(engine, peers) -> None:
    leg = await engine.open_leg("p")
    peer = await peers()
    leg.configure("127.0.0.1", peer.port, "PCMA", 8, None)  # no telephone-event: in-band
    prompt = engine.play_samples(leg, tone(440, 2.0, amp=6000))
    await asyncio.sleep(0.3)
    await leg.send_dtmf("47", duration_ms=100)
    assert leg.tick_heard is prompt or engine._plan.dirty  # back on the prompt (at the next tick)
    await asyncio.wait_for(prompt.done.wait(), 3)
    heard = peer.audio(8, alaw_decode, skip=0)
    n = heard.size // 160
    frames = heard[: n * 160].reshape(n, 160)
    keyed = detect_keys(frames) >= 0
    assert keyed.sum() >= 8
    spec = np.abs(np.fft.rfft(frames[keyed] * np.hanning(160), axis=1))
    assert spec[:, 8:10].max() < 0.1 * 6000 * 160 / 4  # no 440 Hz under the digits
    after = frames[np.flatnonzero(keyed)[-1] + 5 :]
    assert band_energy(after.ravel(), 440) > 0.8  # the prompt goes on afterwards


async def test_paths_of_a_bridged_leg_with_prompts_and_hold(engine, peers) -> None:
    """Relay -> prompt on top (mix) -> hold on a shared player (prompt) -> relay."""
    a, b = await engine.open_leg("a"), await engine.open_leg("b")
    pa, pb = await peers(), await peers()
    a.configure("127.0.0.1", pa.port, "PCMU", 0, 101)
    b.configure("127.0.0.1", pb.port, "PCMU", 0, 101)
    engine.bridge(a, b)
    await _ticks(engine)
    assert a.tick_path == b.tick_path == RELAY
    p = engine.play_samples(b, tone(1500, 0.2))
    await _ticks(engine)
    assert b.tick_path == MIX and a.tick_path == RELAY
    await asyncio.wait_for(p.done.wait(), 2)
    await _ticks(engine, 2)
    assert b.tick_path == RELAY
    moh = engine.play_samples(None, tone(700, 0.3), loop=True)
    engine.set_sources(a, [moh])
    engine.set_sources(b, [moh])
    await _ticks(engine)
    assert a.tick_path == b.tick_path == PROMPT and engine._plan.prompt[moh].keys() == {a, b}
    assert not a.fast_path and not b.fast_path
    engine.bridge(a, b)
    moh.stop()
    await _ticks(engine)
    assert a.tick_path == b.tick_path == RELAY and a.fast_path and b.fast_path
    assert engine.stats["tick_errors"] == 0


async def test_a_prompt_still_loading_plays_silence_then_the_prompt(engine, peers, tmp_path) -> None:
    wav = tmp_path / "slow.wav"
    sf.write(wav, tone(900, 0.5).astype(np.int16), 8000, subtype="PCM_16")
    leg = await engine.open_leg("p")
    peer = await peers()
    leg.configure("127.0.0.1", peer.port, "PCMU", 0, 101)
    t0 = time.monotonic()
    player = engine.play(leg, wav)  # decoded in a worker thread
    assert player.encoded == {}
    await asyncio.wait_for(player.done.wait(), 3)
    assert time.monotonic() - t0 >= 0.45
    assert "PCMU" in player.encoded
    assert dominant_frequency(peer.audio(0, ulaw_decode, skip=0)) == pytest.approx(900, abs=5)
