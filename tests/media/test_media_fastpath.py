"""The fast path (per-packet relay of same-codec bridges) and symmetric RTP latching,
over real UDP sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import struct

import numpy as np
import pytest

from kefu.media import MediaEngine
from kefu.media.codecs import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode

from .audio import RtpPeer, band_energy, dominant_frequency, frames_of, rms, tone

pytestmark = pytest.mark.timeout(30)


ENGINE_PORTS = (27000, 27199)


async def _pair(engine, peers, codec_a="PCMU", pt_a=0, codec_b="PCMU", pt_b=0, dtmf=101):
    a, b = await engine.open_leg("a"), await engine.open_leg("b")
    pa, pb = await peers(), await peers()
    a.configure("127.0.0.1", pa.port, codec_a, pt_a, dtmf)
    b.configure("127.0.0.1", pb.port, codec_b, pt_b, dtmf)
    return a, b, pa, pb


async def _ticks(engine, n: int = 2) -> None:
    start = engine.ticks
    while engine.ticks < start + n:
        await asyncio.sleep(0.005)


def assert_one_stream(rx, max_gap_frames: int = 25) -> None:
    """One SSRC, sequence numbers without a gap, timestamps on the 160 grid, never backwards."""
    assert len({r.ssrc for r in rx}) == 1
    seqs = np.array([r.seq for r in rx])
    assert np.all((np.diff(seqs) % 65536) == 1)
    d = np.diff(np.array([r.ts for r in rx], dtype=np.int64)) % 2**32
    assert np.all(d % 160 == 0), sorted(set(d.tolist()))
    assert np.all((d >= 160) & (d <= 160 * max_gap_frames)), sorted(set(d.tolist()))


class _Stamped(RtpPeer):
    """A peer that notes the engine's tick count when each packet arrives."""

    engine: MediaEngine | None = None

    def datagram_received(self, data, addr):  # type: ignore[override]
        super().datagram_received(data, addr)
        self.received[-1].tick = self.engine.ticks  # type: ignore[attr-defined,union-attr]


async def test_bridge_relays_without_waiting_for_the_tick(engine, peers) -> None:
    a, b = await engine.open_leg("a"), await engine.open_leg("b")
    pa = await peers()
    loop = asyncio.get_running_loop()
    _, pb = await loop.create_datagram_endpoint(_Stamped, local_addr=("127.0.0.1", 0))
    pb.engine = engine
    try:
        a.configure("127.0.0.1", pa.port, "PCMU", 0, 101)
        b.configure("127.0.0.1", pb.port, "PCMU", 0, 97)  # another telephone-event pt: still relayed
        engine.bridge(a, b)
        await _ticks(engine)
        assert a.fast_path and b.fast_path and engine.stats["fast_legs"] == 2
        # 0x7f (µ-law "negative zero") would come back as 0xff through decode + encode:
        # a relayed packet keeps the caller's bytes exactly
        payloads = [bytes([0x7F, i]) * 80 for i in range(40)]
        sent_ticks = []
        for p in payloads:
            sent_ticks.append(engine.ticks)
            pa.send_frame(a.local_port, 0, p)
            pa.ts += 160
            await asyncio.sleep(0.011)
        await asyncio.sleep(0.1)
    finally:
        pb.close()
    got = [r for r in pb.received if r.pt == 0 and r.payload[:1] == b"\x7f"]
    assert [r.payload for r in got] == payloads
    assert {r.ssrc for r in got} == {b.ssrc}
    # relayed in the receive callback: most packets arrive before the engine ticks again
    same_tick = sum(r.tick == t for r, t in zip(got, sent_ticks))
    assert same_tick >= 0.5 * len(got)  # through the tick it would be none
    assert_one_stream(pb.received)


async def test_fast_bridge_tones_and_recording_both_sides(engine, peers, tmp_path) -> None:
    import soundfile as sf

    a, b, pa, pb = await _pair(engine, peers)
    engine.bridge(a, b)
    rec = engine.record(tmp_path / "r.wav", [a], [b])
    await asyncio.gather(
        pa.stream(a.local_port, 0, frames_of(tone(440, 1.0), ulaw_encode)),
        pb.stream(b.local_port, 0, frames_of(tone(1000, 1.0), ulaw_encode)),
    )
    assert a.fast_path and b.fast_path
    await asyncio.sleep(0.1)
    await rec.close()
    assert dominant_frequency(pb.audio(0, ulaw_decode)) == pytest.approx(440, abs=5)
    assert dominant_frequency(pa.audio(0, ulaw_decode)) == pytest.approx(1000, abs=5)
    assert len([r for r in pb.received if r.pt == 0]) >= 45
    data, _ = sf.read(tmp_path / "r.wav", dtype="int16")
    assert dominant_frequency(data[:, 0]) == pytest.approx(440, abs=5)
    assert dominant_frequency(data[:, 1]) == pytest.approx(1000, abs=5)
    assert band_energy(data[:, 0], 1000) < 0.01
    assert engine.stats["tick_errors"] == 0


async def test_switching_paths_keeps_one_continuous_stream(engine, peers) -> None:
    """Bridge (fast) -> hold on a player (mixed) -> bridge -> a prompt on top (mixed) -> bridge."""
    a, b, pa, pb = await _pair(engine, peers)
    engine.bridge(a, b)
    moh = engine.play_samples(None, tone(700, 0.5), loop=True)
    prompt_pcm = tone(1500, 0.3)
    streaming = asyncio.create_task(pa.stream(a.local_port, 0, frames_of(tone(440, 2.6), ulaw_encode)))
    await asyncio.sleep(0.4)
    assert b.fast_path
    engine.set_sources(b, [moh])
    assert not b.fast_path  # at once, before any tick
    await asyncio.sleep(0.5)
    assert not b.fast_path
    engine.bridge(a, b)
    await asyncio.sleep(0.5)
    assert b.fast_path
    prompt = engine.play_samples(b, prompt_pcm)
    assert not b.fast_path
    await asyncio.wait_for(prompt.done.wait(), 3)
    await asyncio.sleep(0.3)
    assert b.fast_path
    await streaming
    await asyncio.sleep(0.1)
    moh.stop()

    rx = pb.received
    assert_one_stream(rx)
    assert rx[0].marker
    audio = np.concatenate([ulaw_decode(r.payload) for r in rx])
    assert band_energy(audio, 700) > 0.1  # hold music was heard
    assert band_energy(audio, 1500) > 0.02  # and the prompt
    assert band_energy(audio, 440) > 0.3  # and the caller, before, between and after
    assert engine.stats["tick_errors"] == 0


async def test_different_codecs_take_the_mixed_path(engine, peers) -> None:
    a, b, pa, pb = await _pair(engine, peers, "PCMU", 0, "PCMA", 8)
    engine.bridge(a, b)
    await asyncio.gather(
        pa.stream(a.local_port, 0, frames_of(tone(440, 0.8), ulaw_encode)),
        pb.stream(b.local_port, 8, frames_of(tone(1000, 0.8), alaw_encode)),
    )
    assert not a.fast_path and not b.fast_path and engine.stats["fast_legs"] == 0
    await asyncio.sleep(0.1)
    assert dominant_frequency(pb.audio(8, alaw_decode)) == pytest.approx(440, abs=5)
    assert dominant_frequency(pa.audio(0, ulaw_decode)) == pytest.approx(1000, abs=5)


async def test_telephone_events_are_reported_not_relayed(engine, peers) -> None:
    a, b, pa, pb = await _pair(engine, peers)
    engine.bridge(a, b)
    got: list[str] = []
    a.on_dtmf = got.append
    silence = ulaw_encode(np.zeros(160, np.int16))
    for _ in range(5):
        pa.send_frame(a.local_port, 0, silence)
        pa.ts += 160
        await asyncio.sleep(0.02)
    assert b.fast_path
    start = pa.ts
    for k in range(1, 5):
        end = k == 4
        payload = struct.pack("!BBH", 5, (0x80 if end else 0) | 10, k * 160)
        for _ in range(3 if end else 1):
            pa.send_frame(a.local_port, 101, payload, marker=(k == 1), ts=start)
            await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)
    assert got == ["5"]
    assert not [r for r in pb.received if r.pt == 101]


async def test_send_dtmf_on_a_relayed_leg(engine, peers) -> None:
    """RFC 4733 out while the leg is fed by the fast path: audio muted, one stream."""
    a, b, pa, pb = await _pair(engine, peers)
    engine.bridge(a, b)
    streaming = asyncio.create_task(pa.stream(a.local_port, 0, frames_of(tone(440, 1.6), ulaw_encode)))
    await asyncio.sleep(0.3)
    assert b.fast_path
    await b.send_dtmf("7", duration_ms=100)
    await streaming
    await asyncio.sleep(0.1)
    rx = pb.received
    assert len({r.ssrc for r in rx}) == 1
    assert np.all((np.diff([r.seq for r in rx]) % 65536) == 1)
    events = [r for r in rx if r.pt == 101]
    assert len(events) == 7 and {r.payload[0] for r in events} == {7}
    first, last = rx.index(events[0]), rx.index(events[-1])
    assert not [r for r in rx[first:last] if r.pt == 0]  # nothing relayed during the digit
    after = [r for r in rx[last + 1 :] if r.pt == 0]
    assert after and any(rms(ulaw_decode(r.payload)) > 1000 for r in after)  # relaying resumed
    ts_after = [r.ts for r in rx[last + 1 :]]
    assert all(0 < (t - events[0].ts) % 2**32 < 2**31 for t in ts_after)  # no step back


async def test_relay_keeps_the_source_ptime(engine, peers) -> None:
    a, b, pa, pb = await _pair(engine, peers)
    engine.bridge(a, b)
    x = tone(440, 1.2)
    frames = [ulaw_encode(x[i : i + 240]) for i in range(0, x.size - 239, 240)]
    await _ticks(engine)
    for p in frames:
        pa.send_frame(a.local_port, 0, p)
        pa.ts += 240
        await asyncio.sleep(0.03)
    await asyncio.sleep(0.1)
    rx = [r for r in pb.received if len(r.payload) == 240]
    assert len(rx) == len(frames)
    assert set(np.diff([r.ts for r in rx]) % 2**32) == {240}
    assert dominant_frequency(pb.audio(0, ulaw_decode)) == pytest.approx(440, abs=5)


# ------------------------------------------------------------------ latching
async def test_latching_sends_to_where_the_peer_sends_from(engine, peers, caplog) -> None:
    a, b = await engine.open_leg("a"), await engine.open_leg("b")
    announced, actual, pb = await peers(), await peers(), await peers()
    a.configure("127.0.0.1", announced.port, "PCMU", 0, 101)  # what the SDP said
    b.configure("127.0.0.1", pb.port, "PCMU", 0, 101)
    engine.bridge(a, b)
    await asyncio.sleep(0.1)
    n_before = len(announced.received)
    with caplog.at_level(logging.INFO, logger="kefu.media.leg"):
        await asyncio.gather(
            actual.stream(a.local_port, 0, frames_of(tone(440, 0.8), ulaw_encode)),  # a NATed phone
            pb.stream(b.local_port, 0, frames_of(tone(1000, 0.8), ulaw_encode)),
        )
        await asyncio.sleep(0.1)
    assert a.remote == ("127.0.0.1", actual.port)
    assert dominant_frequency(actual.audio(0, ulaw_decode)) == pytest.approx(1000, abs=5)
    assert len(announced.received) <= n_before + 2  # nothing more once latched
    assert dominant_frequency(pb.audio(0, ulaw_decode)) == pytest.approx(440, abs=5)
    latched = [r for r in caplog.records if "symmetric RTP" in r.getMessage()]
    assert len(latched) == 1 and latched[0].levelno == logging.INFO


async def test_no_latching_on_foreign_payload_or_when_disabled(peers) -> None:
    eng = MediaEngine("127.0.0.1", 27200, 27299, latch=False)
    await eng.start()
    try:
        leg = await eng.open_leg()
        announced, actual = await peers(), await peers()
        leg.configure("127.0.0.1", announced.port, "PCMU", 0, 101)
        await actual.stream(leg.local_port, 0, frames_of(tone(440, 0.3), ulaw_encode))
        await asyncio.sleep(0.1)
        assert leg.remote == ("127.0.0.1", announced.port)
        assert len(announced.received) > 10 and not actual.received
    finally:
        await eng.stop()

    eng = MediaEngine("127.0.0.1", 27200, 27299)
    await eng.start()
    try:
        leg = await eng.open_leg()
        announced, stray = await peers(), await peers()
        leg.configure("127.0.0.1", announced.port, "PCMU", 0, 101)
        for _ in range(5):  # a payload type we did not negotiate: not a reason to move
            stray.send_frame(leg.local_port, 18, bytes(20))
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.05)
        assert leg.remote == ("127.0.0.1", announced.port)
        assert not stray.received
    finally:
        await eng.stop()


async def test_reconfigure_returns_to_the_sdp_address_then_relatches(engine, peers) -> None:
    leg = await engine.open_leg()
    announced, actual = await peers(), await peers()
    leg.configure("127.0.0.1", announced.port, "PCMU", 0, 101)
    actual.send_frame(leg.local_port, 0, bytes(160))
    await asyncio.sleep(0.1)
    assert leg.remote == ("127.0.0.1", actual.port)
    leg.configure("127.0.0.1", announced.port, "PCMU", 0, 101)  # re-INVITE
    assert leg.remote == ("127.0.0.1", announced.port)
    actual.send_frame(leg.local_port, 0, bytes(160))
    await asyncio.sleep(0.1)
    assert leg.remote == ("127.0.0.1", actual.port)
