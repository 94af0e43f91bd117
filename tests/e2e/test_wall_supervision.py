"""Supervision from the wallboard in one click, in headless Chromium against a real
``kefu serve`` with baresip phones: the supervisor presses 监听 on a call row without
typing any extension (the page's own audio line opens on her bound extension), then
switches to 密语 and 强插 in place, then 停止监控; each step is checked by ear (FFT in the
page for what the supervisor hears, FFT of what each phone has received so far) and on
the row (the mode badge).  The customer's call goes on after "stop".  Also writes
docs/img/wall-supervise.png (1366×768)."""

from __future__ import annotations

import struct
import time

import numpy as np
import pytest

from . import audio
from .browser import BROWSER_MARKS, screenshot
from .conftest import shell_browser, staffed, wait_for
from .test_desktop import SPECTRUM

pytestmark = BROWSER_MARKS

AGENT, CALLER, SUP_EXT = "1001", "1003", "1004"
AGENT_TONE, CALLER_TONE, MIC_TONE = 1000, 440, 700   # MIC_TONE: the wallboard's microphone
SUPERVISOR = ("sue", "supervisor-password-1")
QUEUES = """
[[queues]]
name = "support"
number = "8002"
members = { alice = 1 }
wrap_up = 0
"""


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    yield from staffed(tmp_path_factory.mktemp("kefu-wallsup"), QUEUES, {"alice": AGENT},
                       "agent-password-1", SUPERVISOR, (SUP_EXT,))   # her own extension


@pytest.fixture(scope="module")
def browser(kefu, tmp_path_factory):
    yield from shell_browser(kefu, tmp_path_factory.mktemp("mic"), MIC_TONE, viewport=(1366, 768),
                             check=True)


def expect():
    from playwright.sync_api import expect as _expect
    return _expect


class Ear:
    """What a phone has received on its current call so far, read while the call goes on
    (baresip's dump WAV, whose header sizes are only written at the end)."""

    def __init__(self, phone) -> None:  # type: ignore[no-untyped-def]
        (self.path,) = wait_for(lambda: phone.received_wav_paths(wait=False)[-1:],
                                what=f"{phone}'s received audio")
        head = self.path.read_bytes()[:4096]
        fmt = head.index(b"fmt ")
        channels, self.rate = struct.unpack_from("<HI", head, fmt + 10)
        assert channels == 1 and struct.unpack_from("<H", head, fmt + 22)[0] == 16
        self.start = head.index(b"data") + 8
        self.mark = self.now()

    def now(self) -> int:
        return (self.path.stat().st_size - self.start) // 2

    def since_mark(self) -> np.ndarray:
        with open(self.path, "rb") as f:
            f.seek(self.start + 2 * self.mark)
            raw = f.read()
        return np.frombuffer(raw[: len(raw) // 2 * 2], dtype="<i2").astype(np.float64) / 32768

    def share(self, freq: float) -> float:
        """The share of ``freq`` in what was heard since the last ``reset``."""
        return audio.tone_power_ratio(self.since_mark(), self.rate, freq)

    def reset(self) -> None:
        self.mark = self.now()


def members(kefu, call_id: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {m["number"]: m["mode"] for m in kefu.api("GET", f"/live-calls/{call_id}")[1]["members"]}


def step(wall, row: str, act: str, ears: list[Ear], seconds: float = 2.5) -> None:
    """Press ``act`` on the row and let ``seconds`` of sound come after it."""
    wall.locator(f"{row} button[data-act={act}]").click()
    if act == "stop_monitor":
        expect()(wall.locator(f"{row}:not([data-sup-mode])")).to_have_count(1, timeout=5000)
    else:               # the first listen opens the line: getUserMedia, ICE, POST /lines
        expect()(wall.locator(row)).to_have_attribute("data-sup-mode", act, timeout=15000)
    time.sleep(0.5)                     # the new matrix is in the audio from here on
    for ear in ears:
        ear.reset()
    time.sleep(seconds)


def test_listen_whisper_barge_and_stop_in_one_click_each(kefu, browser, phone):
    agent = phone(AGENT, tone=AGENT_TONE, answermode="auto")
    caller = phone(CALLER, tone=CALLER_TONE)
    status, body = kefu.api("POST", "/agents/alice/login",
                            {"extension": AGENT, "queues": ["support"], "ready": True})
    assert status == 200, body
    wall = browser.page()
    wall.goto("/#/wall")
    wall.fill("#login-username", SUPERVISOR[0])
    wall.fill("#login-password", SUPERVISOR[1])
    wall.click("#login-submit")
    expect()(wall.locator("#wall[data-ready='1']")).to_be_visible()
    assert wall.locator("#sup-ext").count() == 0          # nothing to type: the browser line

    caller.dial(kefu.uri("8002"))
    caller.wait_established()
    agent.wait_established()
    (call,) = wait_for(lambda: [c for c in kefu.api("GET", "/live-calls")[1]
                                if c["caller"] == CALLER], what="the call")
    cid = call["call_id"]
    row = f"#call-table tr[data-call='{cid}']"
    ears = [Ear(agent), Ear(caller)]
    to_agent, to_caller = ears

    # 监听: one click opens the page's line on 1004 and brings it in; it hears both sides
    t0 = time.monotonic()
    step(wall, row, "listen", ears)
    print(f"listen: click to badge and sound {time.monotonic() - t0 - 3.0:.1f} s")
    expect()(wall.locator("#sup-line")).to_have_attribute("data-line", "connected")
    expect()(wall.locator(f"{row} .sup-mode")).to_have_text("监听")
    assert members(kefu, cid) == {CALLER: "talk", AGENT: "talk", SUP_EXT: "listen"}
    heard = wall.evaluate(SPECTRUM, [CALLER_TONE, AGENT_TONE, MIC_TONE])
    print("listen, the page:", heard)
    assert heard[str(CALLER_TONE)] > heard["max"] - 15 and heard[str(AGENT_TONE)] > heard["max"] - 15
    assert heard[str(CALLER_TONE)] > -70, heard
    assert to_agent.share(MIC_TONE) < 0.02 and to_caller.share(MIC_TONE) < 0.02
    wall.evaluate("window.firstPc = window.kefuWall.line.pc")

    # 密语: the agent hears the supervisor, the caller does not (same leg: no new line)
    step(wall, row, "whisper", ears)
    expect()(wall.locator(f"{row} .sup-mode")).to_have_text("密语")
    print("whisper:", to_agent.share(MIC_TONE), to_caller.share(MIC_TONE))
    assert to_agent.share(MIC_TONE) > 0.15 and to_agent.share(CALLER_TONE) > 0.15
    assert to_caller.share(MIC_TONE) < 0.02 and to_caller.share(AGENT_TONE) > 0.3

    # 强插: the caller hears the supervisor too
    step(wall, row, "barge", ears)
    expect()(wall.locator(f"{row} .sup-mode")).to_have_text("强插")
    expect()(wall.locator(f"{row} button[data-act=barge]")).to_have_attribute("aria-pressed", "true")
    screenshot(wall, "wall-supervise.png", full_page=False)
    print("barge:", to_agent.share(MIC_TONE), to_caller.share(MIC_TONE))
    assert to_caller.share(MIC_TONE) > 0.15 and to_agent.share(MIC_TONE) > 0.15
    assert members(kefu, cid)[SUP_EXT] == "barge"
    assert wall.evaluate("window.kefuWall.line.pc === window.firstPc")   # the same line

    # 停止监控: the supervisor is out, the caller and the agent still talk
    step(wall, row, "stop_monitor", ears)
    expect()(wall.locator(f"{row} .sup-mode")).to_have_count(0)
    expect()(wall.locator(f"{row} button[data-act=stop_monitor]")).to_have_count(0)
    assert members(kefu, cid) == {CALLER: "talk", AGENT: "talk"}
    print("stop:", to_agent.share(MIC_TONE), to_caller.share(MIC_TONE))
    assert to_agent.share(MIC_TONE) < 0.02 and to_caller.share(MIC_TONE) < 0.02
    assert to_agent.share(CALLER_TONE) > 0.3 and to_caller.share(AGENT_TONE) > 0.3
    heard = wall.evaluate(SPECTRUM, [CALLER_TONE, AGENT_TONE])
    print("stop, the page:", heard)
    assert heard[str(CALLER_TONE)] < -90 and heard[str(AGENT_TONE)] < -90, heard
    assert wall.evaluate("window.kefuWall.line.state") == "connected"   # the line stays up

    # the customer's call goes on until the caller hangs up
    assert not any(e.get("type") == "CALL_CLOSED" for e in caller.events)
    caller.hangup()
    caller.wait_closed()
    agent.wait_closed()
    expect()(wall.locator(row)).to_have_count(0, timeout=5000)
    kefu.api("POST", "/agents/alice/logout")
