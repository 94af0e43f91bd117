"""A WebRTC line: an aiortc client stands in for the browser, an RTP peer for a phone;
each hears the other's tone through the media engine (checked by FFT)."""

from __future__ import annotations

import asyncio
import fractions

import numpy as np
import pytest

from kefu.media.codecs import ulaw_decode, ulaw_encode
from kefu.media.webrtc import WebRtcError, WebRtcLine, restrict_ice

from .audio import dominant_frequency, frames_of, tone

aiortc = pytest.importorskip("aiortc")
ENGINE_PORTS = (27000, 27199)


class ToneTrack(aiortc.MediaStreamTrack):
    """A browser microphone playing a tone: 48 kHz frames every 20 ms (what Chrome sends)."""

    kind = "audio"

    def __init__(self, freq: float) -> None:
        super().__init__()
        self.freq, self.n = freq, 0

    async def recv(self):  # type: ignore[override]
        import av

        await asyncio.sleep(0.02)
        t = (np.arange(960) + self.n * 960) / 48000
        pcm = (8000 * np.sin(2 * np.pi * self.freq * t)).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate, frame.pts = 48000, self.n * 960
        frame.time_base = fractions.Fraction(1, 48000)
        self.n += 1
        return frame


async def _browser(freq: float):
    pc = aiortc.RTCPeerConnection(aiortc.RTCConfiguration(iceServers=[]))
    pc.addTrack(ToneTrack(freq))
    heard: list[np.ndarray] = []

    @pc.on("track")
    def on_track(track):  # type: ignore[no-untyped-def]
        async def read() -> None:
            while True:
                frame = await track.recv()
                heard.append(frame.to_ndarray().reshape(-1)[:: max(1, frame.sample_rate // 8000)])
        asyncio.ensure_future(read())

    await pc.setLocalDescription(await pc.createOffer())
    return pc, heard


async def test_browser_and_phone_hear_each_other(engine, peers):
    restrict_ice(["127.0.0.1"])
    pc, heard = await _browser(440)
    line = WebRtcLine(engine, "127.0.0.1")
    answer = await line.open(pc.localDescription.sdp)
    assert "PCMU/8000" in answer and "127.0.0.1" in answer
    assert "opus" not in answer.lower()
    await pc.setRemoteDescription(aiortc.RTCSessionDescription(sdp=answer, type="answer"))

    phone = await peers()
    leg = await engine.open_leg("phone")
    leg.configure("127.0.0.1", phone.port, "PCMU", 0, None)
    engine.bridge(line.rtp, leg)
    await phone.stream(leg.local_port, 0, frames_of(tone(1000, 2.0), ulaw_encode))
    await asyncio.sleep(0.3)

    browser_heard = np.concatenate(heard[-40:]) if heard else np.zeros(0)
    assert browser_heard.size > 4000, "the browser received no audio"
    assert abs(dominant_frequency(browser_heard.astype(np.float64)) - 1000) < 30
    phone_heard = phone.audio(0, ulaw_decode)
    assert abs(dominant_frequency(phone_heard) - 440) < 30
    assert line.frames_in > 50 and line.frames_out > 50
    # the browser's packets reach the leg as sent: its jitter buffer sees no gap
    assert line.rtp.stats["packets_in"] == line.frames_in
    assert line.rtp.stats["packets_lost"] == 0
    # aiortc's receiver statistics are kept: kefu's RTCP receiver reports reach the browser
    reports = await _wait_for_receiver_report(pc)
    assert reports and reports[0].packetsLost == 0

    closed = asyncio.Event()
    line.on_closed = closed.set
    await pc.close()                                   # the browser goes away
    await asyncio.wait_for(closed.wait(), 10)
    assert line.rtp.closed
    await engine.close_leg(leg)


async def _wait_for_receiver_report(pc, timeout: float = 5.0) -> list:
    """The browser's view of kefu's RTCP receiver reports (sent every 0.5-1.5 s)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while True:
        stats = await pc.getStats()
        found = [s for s in stats.values() if s.type == "remote-inbound-rtp"]
        if found or loop.time() > end:
            return found
        await asyncio.sleep(0.2)


async def test_an_offer_without_audio_is_refused(engine):
    restrict_ice(["127.0.0.1"])
    pc = aiortc.RTCPeerConnection(aiortc.RTCConfiguration(iceServers=[]))
    pc.createDataChannel("x")
    await pc.setLocalDescription(await pc.createOffer())
    line = WebRtcLine(engine, "127.0.0.1")
    with pytest.raises(WebRtcError, match="no audio"):
        await line.open(pc.localDescription.sdp)
    assert engine.ports_in_use == 0
    with pytest.raises(WebRtcError):
        await WebRtcLine(engine, "127.0.0.1").open("v=0\r\nnot sdp")
    assert engine.ports_in_use == 0
    await pc.close()
