"""The mixer's plan (conference groups), conferences and transcoding bridges end to end."""

from __future__ import annotations

import asyncio

import G722
import numpy as np
import pytest

from kefu.media import MediaError
from kefu.media.codecs import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode
from kefu.media.mixer import build_plan, mix

from .audio import band_energy, brute, dominant_frequency, frames_of, tone

pytestmark = pytest.mark.timeout(30)



def test_plan_groups_conferences_and_matches_brute_force() -> None:
    rng = np.random.default_rng(7)
    n_legs, n_players = 12, 2
    frames = rng.integers(-20000, 20000, size=(n_legs + n_players, 160)).astype(np.int16)  # clips
    conf1 = [0, 1, 2, 3, 12]  # four legs and a player (an announcement) in one room
    conf2 = [4, 5, 6]
    lists = [[s for s in conf1 if s != i] for i in range(4)]
    lists += [[s for s in conf2 if s != i] for i in range(4, 7)]
    lists += [[8], [7], [0, 1, 2, 3], [9], [13]]  # a bridge, a supervisor, an echo test, hold
    lists += [[0, 4], [1]]  # a recorder's two channels
    plan = build_plan(lists, n_legs + n_players, n_self=n_legs)
    assert sorted(plan.g_members.tolist()) == list(range(7))
    assert np.array_equal(mix(frames, plan), brute(frames, lists))
    assert set(plan.used.tolist()) == set(range(14)) - {10, 11}


def test_two_members_are_not_a_group() -> None:
    plan = build_plan([[1], [0]], 2, n_self=2)
    assert plan.g_members.size == 0 and plan.single


ENGINE_PORTS = (27800, 27899)


async def test_four_way_conference(engine, peers) -> None:
    legs = [await engine.open_leg(f"c{i}") for i in range(4)]
    ps = [await peers() for _ in legs]
    for leg, p in zip(legs, ps):
        leg.configure("127.0.0.1", p.port, "PCMU", 0, 101)
    engine.conference(legs)
    for leg in legs:
        assert set(engine.sources_of(leg)) == set(legs) - {leg}
    freqs = [440, 700, 1000, 1500]
    await asyncio.gather(
        *(p.stream(leg.local_port, 0, frames_of(tone(f, 1.0, amp=5000), ulaw_encode))
          for leg, p, f in zip(legs, ps, freqs))
    )
    await asyncio.sleep(0.1)
    assert sorted(engine._plan.mix.g_members.tolist()) == [0, 1, 2, 3]  # one total, minus own
    assert not any(leg.fast_path for leg in legs)
    for i, p in enumerate(ps):
        heard = p.audio(0, ulaw_decode)
        assert band_energy(heard, freqs[i]) < 0.01, f"member {i} hears itself"
        for j, f in enumerate(freqs):
            if j != i:
                assert band_energy(heard, f) > 0.2, (i, f)
    assert engine.stats["tick_errors"] == 0

    engine.conference(legs[:2])  # two left: back to a plain (fast) bridge
    await asyncio.sleep(0.06)
    assert legs[0].fast_path and legs[1].fast_path
    with pytest.raises(MediaError):
        engine.conference([legs[0], "not a leg"])  # type: ignore[list-item]


async def test_pcmu_to_pcma_both_ways(engine, peers) -> None:
    a, b = await engine.open_leg("u"), await engine.open_leg("a")
    pa, pb = await peers(), await peers()
    a.configure("127.0.0.1", pa.port, "PCMU", 0, 101)
    b.configure("127.0.0.1", pb.port, "PCMA", 8, 101)
    engine.bridge(a, b)
    await asyncio.gather(
        pa.stream(a.local_port, 0, frames_of(tone(440, 1.0), ulaw_encode)),
        pb.stream(b.local_port, 8, frames_of(tone(1000, 1.0), alaw_encode)),
    )
    await asyncio.sleep(0.1)
    assert {r.pt for r in pa.received} == {0} and {r.pt for r in pb.received} == {8}
    to_b = pb.audio(8, alaw_decode)
    to_a = pa.audio(0, ulaw_decode)
    assert dominant_frequency(to_b) == pytest.approx(440, abs=5) and band_energy(to_b, 440) > 0.9
    assert dominant_frequency(to_a) == pytest.approx(1000, abs=5) and band_energy(to_a, 1000) > 0.9


async def test_pcma_to_g722_both_ways(engine, peers) -> None:
    a, b = await engine.open_leg("alaw"), await engine.open_leg("wide")
    pa, pb = await peers(), await peers()
    a.configure("127.0.0.1", pa.port, "PCMA", 8, 101)
    b.configure("127.0.0.1", pb.port, "G722", 9, 101)
    engine.bridge(a, b)
    enc = G722.G722(16000, 64000)  # a real wideband phone on b
    x16 = tone(1000, 1.0, rate=16000)
    b_frames = [enc.encode(x16[i : i + 320]) for i in range(0, x16.size, 320)]
    await asyncio.gather(
        pa.stream(a.local_port, 8, frames_of(tone(440, 1.0), alaw_encode)),
        pb.stream(b.local_port, 9, b_frames),
    )
    await asyncio.sleep(0.1)
    assert not a.fast_path and not b.fast_path
    dec = G722.G722(16000, 64000)
    to_b = np.concatenate([np.frombuffer(dec.decode(r.payload), np.int16) for r in pb.received if r.pt == 9])
    assert dominant_frequency(to_b[3200:], 16000) == pytest.approx(440, abs=5)
    to_a = pa.audio(8, alaw_decode)
    assert dominant_frequency(to_a) == pytest.approx(1000, abs=5) and band_energy(to_a, 1000) > 0.8


async def test_recorder_follows_new_parties(engine, peers, tmp_path) -> None:
    import soundfile as sf

    a, b, c = await engine.open_leg("a"), await engine.open_leg("b"), await engine.open_leg("c")
    pa, pb, pc = await peers(), await peers(), await peers()
    for leg, p in ((a, pa), (b, pb), (c, pc)):
        leg.configure("127.0.0.1", p.port, "PCMU", 0, 101)
    engine.bridge(a, b)
    rec = engine.record(tmp_path / "t.wav", [a], [b])
    sa = asyncio.create_task(pa.stream(a.local_port, 0, frames_of(tone(440, 1.2), ulaw_encode)))
    sb = asyncio.create_task(pb.stream(b.local_port, 0, frames_of(tone(1000, 0.6), ulaw_encode)))
    sc = asyncio.create_task(pc.stream(c.local_port, 0, frames_of(tone(1500, 1.2), ulaw_encode)))
    await sb
    engine.bridge(a, c)  # transferred to c
    engine.set_recording_sources(rec, [a], [c])
    await asyncio.gather(sa, sc)
    await rec.close()
    data, _ = sf.read(tmp_path / "t.wav", dtype="int16")
    right = data[:, 1]
    half = right.size // 2
    assert band_energy(right[:half - 1600], 1000) > 0.5
    assert band_energy(right[half + 1600 :], 1500) > 0.5
    with pytest.raises(MediaError):
        engine.set_recording_sources(rec, [a], [c])  # closed
