"""The WebRTC softphone line, end to end, with aiortc standing in for the browser (the
Chromium desktop tests drive the same API): the agent's line comes up at log-in, a
baresip caller is answered through the API, and each side hears the other (FFT)."""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time

import numpy as np
import pytest

from . import audio
from .conftest import add_user, start_kefu, stop_kefu, wait_for
from .test_acd import AGENT_PW, AGENTS, CALLERS, QUEUES

aiortc = pytest.importorskip("aiortc")
pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("baresip") is None and not os.environ.get("CI"),
                                 reason="baresip not installed")]


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    server = start_kefu(tmp_path_factory.mktemp("kefu-webrtc"), extra=QUEUES)
    for username, extension in AGENTS.items():
        add_user(server, username, AGENT_PW, extensions=[extension])
    add_user(server, "sue", AGENT_PW, role="supervisor")
    for number in CALLERS[:2]:
        server.api("POST", "/extensions", {"number": number, "password": f"pw-{number}-secret"})
    yield server
    log = stop_kefu(server)
    assert "Traceback" not in log, log


class Browser:
    """An aiortc peer on its own event loop thread, playing a tone, keeping what it hears."""

    def __init__(self, freq: float) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.freq = freq
        self.heard: list[np.ndarray] = []
        self.pc = None

    def run(self, coro, timeout: float = 15):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def offer(self) -> str:
        return self.run(self._offer())

    async def _offer(self) -> str:
        import fractions

        import av

        freq = self.freq

        class Tone(aiortc.MediaStreamTrack):
            kind = "audio"

            def __init__(self) -> None:
                super().__init__()
                self.n = 0

            async def recv(self):  # type: ignore[override]
                await asyncio.sleep(0.02)
                t = (np.arange(960) + self.n * 960) / 48000
                pcm = (8000 * np.sin(2 * np.pi * freq * t)).astype(np.int16)
                frame = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16",
                                                   layout="mono")
                frame.sample_rate, frame.pts = 48000, self.n * 960
                frame.time_base = fractions.Fraction(1, 48000)
                self.n += 1
                return frame

        self.pc = pc = aiortc.RTCPeerConnection(aiortc.RTCConfiguration(iceServers=[]))
        pc.addTrack(Tone())

        @pc.on("track")
        def on_track(track):  # type: ignore[no-untyped-def]
            async def read() -> None:
                try:
                    while True:
                        frame = await track.recv()
                        step = max(1, frame.sample_rate // 8000)
                        self.heard.append(frame.to_ndarray().reshape(-1)[::step])
                except aiortc.mediastreams.MediaStreamError:
                    pass                            # the line closed
            asyncio.ensure_future(read())

        await pc.setLocalDescription(await pc.createOffer())
        return pc.localDescription.sdp

    def answer(self, sdp: str) -> None:
        self.run(self.pc.setRemoteDescription(
            aiortc.RTCSessionDescription(sdp=sdp, type="answer")))

    def recent(self, seconds: float) -> np.ndarray:
        frames = self.heard[-int(seconds * 50):]
        return np.concatenate(frames) if frames else np.zeros(0, dtype=np.int16)

    def close(self) -> None:
        if self.loop.is_closed() or not self.loop.is_running():
            return
        if self.pc is not None:
            self.run(self.pc.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def browser():
    made: list[Browser] = []

    def make(freq: float) -> Browser:
        b = Browser(freq)
        made.append(b)
        return b

    yield make
    for b in made:
        b.close()


def token_of(kefu, username: str) -> str:
    status, body = kefu.api("POST", "/auth/login", {"username": username, "password": AGENT_PW})
    assert status == 200, body
    return body["token"]


def test_agent_answers_on_its_browser_line(kefu, browser, phone):
    token = token_of(kefu, "alice")
    since = time.time()
    status, body = kefu.api("POST", "/lines", {"type": "offer", "sdp": "v=0 nothing"},
                            token=token)
    assert status == 409, body                     # not logged in with device webrtc
    status, body = kefu.api("POST", "/agents/alice/login",
                            {"extension": "1001", "queues": ["sales"], "ready": True,
                             "device": "webrtc"}, token=token)
    assert status == 200 and body["state"] == "not_ready", body
    status, body = kefu.api("POST", "/lines", {"type": "offer", "sdp": "v=0 nothing"},
                            token=token)
    assert status == 422, body                     # an unusable offer: a reason, no line
    b = browser(1000)
    status, body = kefu.api("POST", "/lines", {"type": "offer", "sdp": b.offer()}, token=token)
    assert status == 200 and "PCMU/8000" in body["sdp"], body
    b.answer(body["sdp"])
    wait_for(lambda: kefu.api("GET", "/agents/alice")[1]["state"] == "ready", what="ready")

    caller = phone(CALLERS[0], 440)
    caller.dial(kefu.uri("8001"))
    caller.wait_established()
    wait_for(lambda: kefu.events(since, "queue.offer"), what="offer")
    t0 = time.monotonic()
    status, body = kefu.api("POST", "/agents/alice/answer", token=token)
    assert status == 200 and body["state"] == "talking", body
    # two-way audio soon after the answer: the browser hears the caller's tone
    wait_for(lambda: b.recent(0.3).size and audio.has_tone(b.recent(0.3), 8000, 440),
             timeout=5, what="caller's tone at the browser")
    print(f"answer to audio at the browser: {(time.monotonic() - t0) * 1000:.0f} ms")
    time.sleep(2.0)
    caller.hangup()
    caller.wait_closed()
    samples, rate, _ = audio.read_wav(caller.received_wav_paths()[0])
    assert audio.has_tone(samples[-12000:], rate, 1000)        # the browser's tone
    wait_for(lambda: kefu.api("GET", "/agents/alice")[1]["state"] in ("ready", "wrap_up"),
             what="after the call")
    status, agent = kefu.api("GET", "/agents/alice")
    assert agent["persistent_line"] and agent["device"] == "webrtc"

    # the browser goes away: the line closes and the agent is logged out
    b.close()
    wait_for(lambda: kefu.api("GET", "/agents/alice")[1]["state"] == "logged_out",
             timeout=40, what="logged out after the browser left")


def _share(b: Browser, freq: float, seconds: float = 1.0) -> float:
    return audio.tone_power_ratio(b.recent(seconds), 8000, freq)


def test_supervisor_listens_whispers_barges_and_releases_from_the_browser(kefu, browser,
                                                                           phone):
    """The supervisor's own browser line: listen hears both sides, whisper reaches only
    the agent, barge reaches the caller too, force release ends the call."""
    alice_token, sue_token = token_of(kefu, "alice"), token_of(kefu, "sue")
    kefu.api("POST", "/agents/alice/login", {"extension": "1001", "queues": ["sales"],
                                             "ready": True, "device": "webrtc"},
             token=alice_token)
    agent = browser(1000)
    status, body = kefu.api("POST", "/lines", {"type": "offer", "sdp": agent.offer()},
                            token=alice_token)
    assert status == 200, body
    agent.answer(body["sdp"])
    sup = browser(700)
    status, body = kefu.api("POST", "/lines", {"type": "offer", "sdp": sup.offer()},
                            token=sue_token)
    assert status == 409 and "no extension of its own" in body["detail"], body
    status, body = kefu.api("POST", "/lines", {"type": "offer", "sdp": sup.offer(),
                                               "extension": "1004"}, token=sue_token)
    assert status == 200, body
    sup.answer(body["sdp"])
    wait_for(lambda: kefu.api("GET", "/agents/alice")[1]["state"] == "ready", what="ready")

    caller = phone(CALLERS[1], 440)
    caller.dial(kefu.uri("8001"))
    caller.wait_established()
    wait_for(lambda: kefu.api("GET", "/agents/alice")[1]["state"] == "reserved", what="offer")
    assert kefu.api("POST", "/agents/alice/answer", token=alice_token)[0] == 200
    (call,) = [c for c in kefu.api("GET", "/live-calls")[1] if c["caller"] == CALLERS[1]]
    cid = call["call_id"]

    def monitor(mode: str, target: str | None = None) -> None:
        status, body = kefu.api("POST", f"/live-calls/{cid}/monitor",
                                {"supervisor": "1004", "mode": mode, "target": target},
                                token=sue_token)
        assert status == 202, body
        time.sleep(1.5)

    monitor("listen")
    assert _share(sup, 440) > 0.2 and _share(sup, 1000) > 0.2       # hears both sides
    assert _share(agent, 700) < 0.05                                 # nobody hears it
    monitor("whisper", "1001")
    assert _share(agent, 700) > 0.2 and _share(agent, 440) > 0.2     # the agent hears it
    monitor("barge")
    barged_at = time.monotonic()
    time.sleep(0.5)
    status, _ = kefu.api("DELETE", f"/live-calls/{cid}", token=sue_token)    # 强拆
    assert status == 204
    caller.wait_closed()
    samples, rate, _ = audio.read_wav(caller.received_wav_paths()[0])
    tail = samples[-int(1.5 * rate):]
    assert audio.tone_power_ratio(tail, rate, 700) > 0.15, time.monotonic() - barged_at
    # both browser lines are back home, still up
    assert kefu.api("GET", "/agents/alice")[1]["persistent_line"]
    status, body = kefu.api("POST", "/lines", {"type": "offer", "sdp": "v=0 not an offer",
                                               "extension": "1004"}, token=sue_token)
    assert status == 409, body                     # 1004 still has its line
    assert kefu.api("DELETE", "/lines/1004", token=alice_token)[0] == 403
    assert kefu.api("DELETE", "/lines/1004", token=sue_token)[0] == 204
