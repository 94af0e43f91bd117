"""The engine end to end over real UDP sockets on 127.0.0.1 (no mocks)."""

from __future__ import annotations

import asyncio
import os
import socket
import struct

import G722
import numpy as np
import pytest
import soundfile as sf

from kefu.media import MediaEngine, MediaError
from kefu.media.codecs import alaw_decode, alaw_encode, ulaw_decode, ulaw_encode

from .audio import band_energy, dominant_frequency, frames_of, rms, rtp, tone

pytestmark = pytest.mark.timeout(30)


ENGINE_PORTS = (24000, 25999)


@pytest.fixture
async def mixed_engine():
    """Every packet through the 20 ms tick (no fast path): jitter buffer, concealment."""
    eng = MediaEngine("127.0.0.1", 26400, 26499, fast_path=False)
    await eng.start()
    yield eng
    await eng.stop()


async def _pair(engine, peers, codec_a="PCMU", pt_a=0, codec_b="PCMU", pt_b=0):
    a, b = await engine.open_leg("a"), await engine.open_leg("b")
    pa, pb = await peers(), await peers()
    a.configure("127.0.0.1", pa.port, codec_a, pt_a, 101)
    b.configure("127.0.0.1", pb.port, codec_b, pt_b, 101)
    return a, b, pa, pb


def assert_continuous(rx) -> None:
    assert len({r.ssrc for r in rx}) == 1
    seqs = np.array([r.seq for r in rx])
    tss = np.array([r.ts for r in rx], dtype=np.int64)
    assert np.all((np.diff(seqs) % 65536) == 1)
    assert np.all((np.diff(tss) % 2**32) == 160)
    assert rx[0].marker


async def test_bridge_tones_cross_and_recording(engine, peers, tmp_path) -> None:
    a, b, pa, pb = await _pair(engine, peers)
    engine.bridge(a, b)
    rec = engine.record(tmp_path / "call.wav", [a], [b])
    await asyncio.gather(
        pa.stream(a.local_port, 0, frames_of(tone(440, 1.2), ulaw_encode)),
        pb.stream(b.local_port, 0, frames_of(tone(1000, 1.2), ulaw_encode)),
    )
    await asyncio.sleep(0.1)
    seconds = await rec.close()

    heard_by_b = pb.audio(0, ulaw_decode)
    heard_by_a = pa.audio(0, ulaw_decode)
    assert dominant_frequency(heard_by_b) == pytest.approx(440, abs=5)
    assert dominant_frequency(heard_by_a) == pytest.approx(1000, abs=5)
    assert band_energy(heard_by_b, 440) > 0.9 and band_energy(heard_by_b, 1000) < 0.01
    assert rms(heard_by_b) > 1000

    assert_continuous(pb.received)
    assert {r.ssrc for r in pb.received} == {b.ssrc}
    assert a.packets_in == b.packets_in == 60
    assert a.packets_lost == b.packets_lost == 0
    assert a.late == 0

    data, rate = sf.read(tmp_path / "call.wav", dtype="int16")
    info = sf.info(tmp_path / "call.wav")
    assert (rate, info.channels, info.subtype) == (8000, 2, "PCM_16")
    assert data.shape[0] / 8000 == pytest.approx(seconds, abs=0.001)
    assert 1.1 < seconds < 2.0
    assert dominant_frequency(data[:, 0]) == pytest.approx(440, abs=5)
    assert dominant_frequency(data[:, 1]) == pytest.approx(1000, abs=5)
    assert band_energy(data[:, 0], 1000) < 0.01 and band_energy(data[:, 1], 440) < 0.01


async def test_transcoding_g722_to_pcma(engine, peers) -> None:
    a, b, pa, pb = await _pair(engine, peers, "G722", 9, "PCMA", 8)
    engine.bridge(a, b)
    wide_enc = G722.G722(16000, 64000)  # a real wideband phone on leg a
    x16 = tone(440, 1.0, rate=16000)
    a_frames = [wide_enc.encode(x16[i : i + 320]) for i in range(0, x16.size, 320)]
    await asyncio.gather(
        pa.stream(a.local_port, 9, a_frames),
        pb.stream(b.local_port, 8, frames_of(tone(1000, 1.0), alaw_encode)),
    )
    await asyncio.sleep(0.1)
    assert all(len(r.payload) == 160 for r in pa.received)
    assert dominant_frequency(pb.audio(8, alaw_decode)) == pytest.approx(440, abs=5)
    wide_dec = G722.G722(16000, 64000)
    heard_by_a = np.concatenate(
        [np.frombuffer(wide_dec.decode(r.payload), np.int16) for r in pa.received if r.pt == 9]
    )
    assert dominant_frequency(heard_by_a[3200:], 16000) == pytest.approx(1000, abs=5)


async def test_conference_matrix_and_no_self_hearing(engine, peers) -> None:
    legs = [await engine.open_leg(n) for n in "abcd"]
    ps = [await peers() for _ in legs]
    for leg, p in zip(legs, ps):
        leg.configure("127.0.0.1", p.port, "PCMU", 0, None)
    a, b, c, d = legs
    engine.set_sources(a, [b, c])
    engine.set_sources(b, [a, c])
    engine.set_sources(c, [a, b])
    engine.set_sources(d, [d])  # d asked to hear itself (echo test)
    freqs = [440, 1000, 700, 1500]
    await asyncio.gather(
        *(p.stream(leg.local_port, 0, frames_of(tone(f, 1.0, amp=6000), ulaw_encode))
          for leg, p, f in zip(legs, ps, freqs))
    )
    await asyncio.sleep(0.1)
    heard = [p.audio(0, ulaw_decode) for p in ps]
    for i, others in ((0, (1000, 700)), (1, (440, 700)), (2, (440, 1000))):
        own = freqs[i]
        assert band_energy(heard[i], own) < 0.01, f"leg {i} hears itself"
        for f in others:
            assert band_energy(heard[i], f) > 0.3
    assert dominant_frequency(heard[3]) == pytest.approx(1500, abs=5)
    assert engine.stats["tick_errors"] == 0


async def test_unrouted_leg_gets_silence(engine, peers) -> None:
    a, b, pa, pb = await _pair(engine, peers)  # not bridged
    await pa.stream(a.local_port, 0, frames_of(tone(440, 0.5), ulaw_encode))
    await asyncio.sleep(0.05)
    assert len(pa.received) >= 20 and len(pb.received) >= 20
    assert rms(pa.audio(0, ulaw_decode, skip=0)) == 0
    assert rms(pb.audio(0, ulaw_decode, skip=0)) == 0


async def test_rfc4733_in_reports_each_digit_once(engine, peers) -> None:
    a, b, pa, pb = await _pair(engine, peers)
    got: list[str] = []
    a.on_dtmf = got.append
    silence = ulaw_encode(np.zeros(160, np.int16))

    async def audio(n: int) -> None:
        for _ in range(n):
            pa.send_frame(a.local_port, 0, silence)
            pa.ts += 160
            await asyncio.sleep(0.02)

    async def digit(code: int, lose_end: bool = False) -> None:
        start = pa.ts
        for k in range(1, 5):
            end = k == 4
            if end and lose_end:
                pa.seq += 3  # all three end packets lost in the network
                break
            payload = struct.pack("!BBH", code, (0x80 if end else 0) | 10, k * 160)
            for _ in range(3 if end else 1):
                pa.send_frame(a.local_port, 101, payload, marker=(k == 1), ts=start)
                await asyncio.sleep(0.02)
        pa.ts = start + 7 * 160
        return start

    await audio(3)
    ts1 = await digit(1)
    await audio(2)
    await digit(2)
    # a straggling copy of "1"'s end packet arrives late: must not count again
    pa.send_frame(a.local_port, 101, struct.pack("!BBH", 1, 0x80 | 10, 640), ts=ts1)
    await audio(2)
    await digit(3, lose_end=True)
    await audio(12)  # audio resumes: "3" is reported although its end never came
    await digit(11)
    await audio(2)
    assert "".join(got) == "123#"
    assert a.stats["dtmf_in"] == 4


async def test_send_dtmf_out(engine, peers) -> None:
    a, b, pa, pb = await _pair(engine, peers)
    await asyncio.sleep(0.1)
    await a.send_dtmf("19#", duration_ms=100)
    await asyncio.sleep(0.1)
    rx = pa.received
    assert np.all((np.diff([r.seq for r in rx]) % 65536) == 1)
    assert len({r.ssrc for r in rx}) == 1
    events = [r for r in rx if r.pt == 101]
    by_ts: dict[int, list] = {}
    for r in events:
        by_ts.setdefault(r.ts, []).append(r)
    assert len(by_ts) == 3
    codes = []
    for pkts in by_ts.values():
        fields = [struct.unpack("!BBH", r.payload[:4]) for r in pkts]
        codes.append(fields[0][0])
        assert [r.marker for r in pkts] == [True] + [False] * 6
        assert [f[2] for f in fields] == [160, 320, 480, 640, 800, 800, 800]
        assert [bool(f[1] & 0x80) for f in fields] == [False] * 4 + [True] * 3
        assert all(f[1] & 0x3F == 10 for f in fields)
        assert len({f[0] for f in fields}) == 1
    assert codes == [1, 9, 11]
    # audio is muted while the digits go out and resumes with a marker afterwards
    first = rx.index(events[0])
    last = rx.index(events[-1])
    between = [r for r in rx[first:last] if r.pt == 0]
    assert between and all(rms(ulaw_decode(r.payload)) == 0 for r in between)
    after = [r for r in rx[last + 1 :] if r.pt == 0]
    assert [r.marker for r in after[:3]] == [False, False, True]  # muted gap, then a new talkspurt
    assert all(rms(ulaw_decode(r.payload)) == 0 for r in after[:2])
    # event timestamps sit on the media clock
    t0 = rx[first].ts
    assert all((r.ts - t0) % 160 == 0 for r in rx[first:])
    assert a.stats["dtmf_out"] == 3


async def test_send_dtmf_errors(engine, peers) -> None:
    leg = await engine.open_leg()
    with pytest.raises(MediaError, match="not configured"):
        await leg.send_dtmf("1")
    p = await peers()
    leg.configure("127.0.0.1", p.port, "PCMU", 0, None)  # no telephone-event: in-band
    with pytest.raises(MediaError, match="not a DTMF digit"):
        await leg.send_dtmf("1x")
    leg.configure("127.0.0.1", p.port, "PCMU", 0, 101)
    with pytest.raises(MediaError, match="not a DTMF digit"):
        await leg.send_dtmf("1x")


def _write_wav(path, freq: float, seconds: float, rate: int = 16000) -> None:
    t = np.arange(int(seconds * rate)) / rate
    mono = 0.3 * np.sin(2 * np.pi * freq * t)
    sf.write(path, np.stack([mono, mono], axis=1), rate, subtype="PCM_16")


async def test_player_into_leg(engine, peers, tmp_path) -> None:
    wav = tmp_path / "prompt.wav"
    _write_wav(wav, 600, 0.6)  # 16 kHz stereo: must be mixed down and resampled
    a, b, pa, pb = await _pair(engine, peers)
    player = engine.play(a, wav)
    await asyncio.wait_for(player.done.wait(), 3)
    await asyncio.sleep(0.06)
    heard = pa.audio(0, ulaw_decode, skip=0)
    assert dominant_frequency(heard) == pytest.approx(600, abs=5)
    voiced = sum(1 for r in pa.received if rms(ulaw_decode(r.payload)) > 500)
    assert 28 <= voiced <= 31  # 0.6 s = 30 frames
    assert engine.stats["players"] == 0

    looping = engine.play(a, wav, loop=True)
    await asyncio.sleep(1.0)
    assert not looping.done.is_set()
    looping.stop()
    assert looping.done.is_set()


async def test_shared_player_as_music_on_hold(engine, peers, tmp_path) -> None:
    wav = tmp_path / "moh.wav"
    _write_wav(wav, 800, 0.5, rate=44100)
    a, b, pa, pb = await _pair(engine, peers)
    moh = engine.play(None, wav, loop=True)
    engine.set_sources(a, [moh])
    engine.set_sources(b, [moh])
    await asyncio.sleep(0.8)
    moh.stop()
    assert engine.sources_of(a) == ()
    for p in (pa, pb):
        assert dominant_frequency(p.audio(0, ulaw_decode)) == pytest.approx(800, abs=5)


async def test_prompts_are_decoded_once_until_the_file_changes(engine, peers, tmp_path) -> None:
    engine.PROMPT_RECHECK = 0  # stat the file on every play (by default, once a second at most)
    wav = tmp_path / "prompt.wav"
    _write_wav(wav, 600, 0.4)
    a, b, pa, pb = await _pair(engine, peers)
    first = engine.play(a, wav)
    await asyncio.wait_for(first.done.wait(), 3)
    # same size and mtime, other bytes: the cached decode is what plays
    st = wav.stat()
    wav.write_bytes(b"\0" * st.st_size)
    os.utime(wav, ns=(st.st_atime_ns, st.st_mtime_ns))
    pa.received.clear()
    second = engine.play(a, wav)
    await asyncio.wait_for(second.done.wait(), 3)
    await asyncio.sleep(0.06)
    assert dominant_frequency(pa.audio(0, ulaw_decode, skip=0)) == pytest.approx(600, abs=5)
    # a changed file is read again (and this one is no WAV any more)
    os.utime(wav, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    with pytest.raises(MediaError):
        engine.play(a, wav)


async def test_play_missing_file_raises(engine, tmp_path) -> None:
    leg = await engine.open_leg()
    with pytest.raises(MediaError):
        engine.play(leg, tmp_path / "nope.wav")


def _socket_fds() -> int:
    n = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            n += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
        except OSError:
            pass
    return n


async def test_open_close_50_legs_frees_everything(engine) -> None:
    before = _socket_fds()
    legs = [await engine.open_leg(f"l{i}") for i in range(50)]
    ports = [leg.local_port for leg in legs]
    assert len(set(ports)) == 50 and all(p % 2 == 0 for p in ports)
    assert engine.ports_in_use == engine.legs == 50
    assert _socket_fds() == before + 50
    for i in range(0, 50, 2):  # some of them in a live matrix
        engine.bridge(legs[i], legs[i + 1])
    await asyncio.sleep(0.05)
    for leg in legs:
        await engine.close_leg(leg)
    assert engine.ports_in_use == 0 and engine.legs == 0
    assert _socket_fds() == before
    for port in ports:  # really free
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", port))
        s.close()
    assert engine.stats["tick_errors"] == 0


async def test_port_range_exhaustion() -> None:
    eng = MediaEngine("127.0.0.1", 26100, 26103)  # two even ports
    try:
        l1, _ = await eng.open_leg(), await eng.open_leg()
        with pytest.raises(MediaError, match="no free RTP port"):
            await eng.open_leg()
        await eng.close_leg(l1)
        l3 = await eng.open_leg()
        assert l3.local_port == l1.local_port
    finally:
        await eng.stop()
    assert eng.ports_in_use == 0


async def test_closing_a_leg_mid_call(engine, peers, tmp_path) -> None:
    a, b, pa, pb = await _pair(engine, peers)
    engine.bridge(a, b)
    rec = engine.record(tmp_path / "r.wav", [a], [b])
    stream_a = asyncio.create_task(pa.stream(a.local_port, 0, frames_of(tone(440, 0.8), ulaw_encode)))
    stream_b = asyncio.create_task(pb.stream(b.local_port, 0, frames_of(tone(1000, 0.8), ulaw_encode)))
    await asyncio.sleep(0.3)
    await engine.close_leg(b)
    await engine.close_leg(b)  # idempotent
    n_b = len(pb.received)
    await asyncio.gather(stream_a, stream_b)
    assert len(pb.received) <= n_b + 1
    assert engine.sources_of(a) == ()
    assert rec.right == []
    seconds = await rec.close()
    assert seconds > 0.7
    assert engine.stats["tick_errors"] == 0
    with pytest.raises(MediaError):
        engine.bridge(a, b)
    with pytest.raises(MediaError):
        b.configure("127.0.0.1", pb.port, "PCMU", 0, None)


async def test_bad_packets_are_counted_not_fatal(engine, peers) -> None:
    a, b, pa, pb = await _pair(engine, peers)
    pa.send(a.local_port, b"\x00" * 5)
    pa.send(a.local_port, b"\x40" + b"\x00" * 20)  # RTP version 1
    pa.send(a.local_port, rtp(72, 1, 0, 1, b"\x00" * 8))  # RTCP (SR, pt 200)
    pa.send(a.local_port, rtp(18, 1, 0, 1, b"\x00" * 20))  # a codec we did not negotiate
    await asyncio.sleep(0.1)
    assert a.stats["invalid"] == 2
    assert a.stats["ignored"] == 2
    assert engine.stats["tick_errors"] == 0


async def test_configure_validation(engine) -> None:
    leg = await engine.open_leg()
    with pytest.raises(MediaError):
        leg.configure("not-an-ip", 4000, "PCMU", 0, None)
    with pytest.raises(MediaError):
        leg.configure("127.0.0.1", 0, "PCMU", 0, None)
    with pytest.raises(MediaError):
        leg.configure("127.0.0.1", 4000, "GSM", 3, None)
    with pytest.raises(MediaError):
        leg.configure("127.0.0.1", 4000, "PCMU", 0, 0)
    other = MediaEngine("127.0.0.1", 26200, 26210)
    stranger = await other.open_leg()
    try:
        with pytest.raises(MediaError):
            engine.set_sources(leg, [stranger])
    finally:
        await other.stop()


async def test_clock_does_not_drift(engine) -> None:
    await asyncio.sleep(0.1)
    t0, n0 = asyncio.get_running_loop().time(), engine.ticks
    await asyncio.sleep(2.0)
    t1, n1 = asyncio.get_running_loop().time(), engine.ticks
    assert abs((n1 - n0) - (t1 - t0) / 0.02) <= 3


async def test_other_ptime_and_network_loss(mixed_engine, peers) -> None:
    """30 ms packets are re-cut into 20 ms frames; lost packets are counted and concealed."""
    engine = mixed_engine
    a, b, pa, pb = await _pair(engine, peers)
    engine.bridge(a, b)
    x = tone(440, 1.5)
    frames = [ulaw_encode(x[i : i + 240]) for i in range(0, x.size - 239, 240)]
    start = asyncio.get_running_loop().time()
    for i, payload in enumerate(frames):
        delay = start + i * 0.03 - asyncio.get_running_loop().time()
        if delay > 0:
            await asyncio.sleep(delay)
        if i % 10 == 5:  # every tenth packet lost on the way
            pa.seq += 1
        else:
            pa.send_frame(a.local_port, 0, payload)
        pa.ts += 240
    await asyncio.sleep(0.1)
    heard = pb.audio(0, ulaw_decode, skip=0.3)
    assert dominant_frequency(heard) == pytest.approx(440, abs=5)
    assert band_energy(heard, 440, width=60) > 0.8
    assert a.packets_lost == 5
    assert a.stats["concealed"] >= 1
    assert engine.stats["tick_errors"] == 0


async def test_record_into_missing_directory_fails(engine, tmp_path) -> None:
    leg = await engine.open_leg()
    with pytest.raises(MediaError, match="cannot record"):
        engine.record(tmp_path / "no" / "such" / "dir.wav", [leg], [])


async def test_stop_closes_everything(tmp_path) -> None:
    before = _socket_fds()
    eng = MediaEngine("127.0.0.1", 26300, 26399)
    await eng.start()
    legs = [await eng.open_leg() for _ in range(4)]
    eng.bridge(legs[0], legs[1])
    rec = eng.record(tmp_path / "x.wav", [legs[0]], [legs[1]])
    await asyncio.sleep(0.3)
    await eng.stop()
    assert not eng.running and eng.ports_in_use == 0
    assert rec.closed and sf.info(tmp_path / "x.wav").duration == pytest.approx(rec.duration, abs=0.001)
    assert _socket_fds() == before


async def test_a_leg_that_hears_nothing_sends_silence_unless_told_not_to(engine, peers):
    """Phones get a steady stream of silence; a browser's idle line gets nothing."""
    phone, browser = await peers(), await peers()
    a = await engine.open_leg("phone")
    b = await engine.open_leg("browser")
    b.send_silence = False
    a.configure("127.0.0.1", phone.port, "PCMU", 0, None)
    b.configure("127.0.0.1", browser.port, "PCMU", 0, None)
    engine.set_sources(a, [])
    engine.set_sources(b, [])
    await asyncio.sleep(0.5)
    assert len(phone.received) > 15 and rms(phone.audio(0, ulaw_decode, skip=0)) < 0.001
    assert browser.received == []
    source = await peers()
    c = await engine.open_leg("source")
    c.configure("127.0.0.1", source.port, "PCMU", 0, None)
    engine.set_sources(b, [c, a])                      # hears something: it is sent
    await source.stream(c.local_port, 0, frames_of(tone(700, 0.6), ulaw_encode))
    await asyncio.sleep(0.1)
    assert len(browser.received) > 15
    assert abs(dominant_frequency(browser.audio(0, ulaw_decode)) - 700) < 20


async def test_a_coupled_leg_talks_to_its_peer_without_a_socket(engine, peers):
    """A peer in this process (a WebRTC line) exchanges packets with its leg directly,
    with no socket in between."""
    with pytest.raises(MediaError, match="configure"):
        (await engine.open_leg("early")).couple(lambda data: None)
    phone = await peers()
    a = await engine.open_leg("phone")
    a.configure("127.0.0.1", phone.port, "PCMU", 0, None)
    b = await engine.open_leg("coupled")
    b.configure("127.0.0.1", b.local_port, "PCMU", 0, None)
    got: list[bytes] = []
    feed = b.couple(got.append)
    engine.bridge(a, b)
    stream = asyncio.create_task(phone.stream(a.local_port, 0, frames_of(tone(1000, 0.6), ulaw_encode)))
    for k, frame in enumerate(frames_of(tone(440, 0.6), ulaw_encode)):
        feed(rtp(0, 100 + k, 160 * k, 0x1234, frame))
        await asyncio.sleep(0.02)
    await stream
    await asyncio.sleep(0.1)
    assert b.stats["packets_in"] == 30 and b.stats["packets_lost"] == 0
    assert abs(dominant_frequency(phone.audio(0, ulaw_decode)) - 440) < 20
    heard = np.concatenate([ulaw_decode(p[12:]) for p in got])
    assert abs(dominant_frequency(heard) - 1000) < 20
    await engine.close_leg(b)
    feed(rtp(0, 200, 0, 0x1234, b"\xff" * 160))          # after close: ignored
    assert b.stats["packets_in"] == 30
