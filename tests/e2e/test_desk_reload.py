"""The desk survives a reload; a closed tab logs out at once (issue 15), in a real browser
(headless Chromium through Playwright) against ``kefu serve``, with baresip callers.

- F5 during a call on the browser softphone: the caller stays connected (no BYE), hears
  the queue's music while the page is away and the agent's microphone again after; the
  reloaded desk reopens its line by itself and shows the same call.
- A reload while ready keeps the agent ready.
- A tab closed while ready is logged out within 2 s (the page-hide ``leave``), the next
  call goes to another agent, and the desk says why at the next sign-in.
"""

from __future__ import annotations

import time

import pytest

from . import audio
from .browser import BROWSER_MARKS
from .conftest import checked_pages, shell_browser, staffed, wait_for

pytestmark = BROWSER_MARKS

AGENTS = {"alice": "1001", "bob": "1002"}
AGENT_PW = "agent-password-1"
CALLER = "1003"
MIC_TONE = 700          # what the browser's fake microphone plays
CALLER_TONE = 440
MOH_TONE = 1300         # the queue's music

QUEUES = """
[[queues]]
name = "sales"
number = "8001"
strategy = "longest_idle"
members = {{ alice = 5, bob = 5 }}
ring_timeout = 20
wrap_up = 0
moh_file = "{moh}"
"""


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("kefu-reload")
    moh = audio.write_tone_wav(tmp / "moh.wav", MOH_TONE, 5)
    yield from staffed(tmp, QUEUES.format(moh=moh), AGENTS, AGENT_PW)


@pytest.fixture(scope="module")
def browser(kefu, tmp_path_factory):
    yield from shell_browser(kefu, tmp_path_factory.mktemp("mic"), MIC_TONE)


@pytest.fixture
def desk(browser, kefu):
    """Alice's desk: signed in, logged in on the browser softphone, ready, line up."""
    with checked_pages(browser, kefu, AGENTS):
        page = browser.page()
        page.goto("/#/desk")
        page.fill("#login-username", "alice")
        page.fill("#login-password", AGENT_PW)
        page.click("#login-submit")
        desk_ready(page)
        page.fill("#extension", AGENTS["alice"])
        page.check("input[name=device][value=webrtc]")
        page.check("input[name=ready]")
        page.click("#agent-login")
        line_up(page)
        wait_for(lambda: agent(kefu, "alice")["state"] == "ready", what="alice ready")
        yield page


def expect():
    from playwright.sync_api import expect as _expect
    return _expect


def desk_ready(page) -> None:
    expect()(page.locator("#desk[data-ready='1']")).to_be_visible(timeout=10000)


def line_up(page) -> None:
    expect()(page.locator("#line-state")).to_have_attribute("data-line", "connected",
                                                            timeout=15000)


def agent(kefu, username: str) -> dict:
    status, body = kefu.api("GET", f"/agents/{username}")
    assert status == 200, body
    return body


def states(kefu, since: float, username: str) -> list[str]:
    return [d["state"] for _, _, d in kefu.events(since, "agent.state")
            if d["agent"] == username]


def window(samples, rate: int, start: float, end: float):
    return audio.to_mono(samples)[max(int(start * rate), 0):max(int(end * rate), 0)]


def reload(page) -> float:
    """F5 (the beforeunload question is accepted); returns when the page began to go."""
    page.bring_to_front()
    at = time.time()
    page.reload(wait_until="commit")
    return at


def test_f5_during_a_call_keeps_the_caller_with_music_then_the_agent(kefu, desk, phone):
    caller = phone(CALLER, tone=CALLER_TONE)
    since = time.time()
    caller.dial(kefu.uri("8001"))
    caller.wait_established()
    t_caller = time.time()
    expect()(desk.locator("#offer-panel")).to_be_visible(timeout=5000)
    desk.click("#btn-answer")
    expect()(desk.locator("#call-other")).to_have_text(CALLER, timeout=5000)
    call_id = agent(kefu, "alice")["call_id"]
    time.sleep(2.0)                                           # they talk

    t_reload = reload(desk)
    desk_ready(desk)
    line_up(desk)                                             # reopened by itself, no click
    t_back = time.time()
    back = desk.evaluate("window.kefuDesk.back")
    print(f"reload → back landed {back['landed']:.0f} ms after navigation began; "
          f"line up again {t_back - t_reload:.2f} s after F5")
    assert back["status"] == 200
    expect()(desk.locator("#call-other")).to_have_text(CALLER, timeout=5000)   # same call
    a = agent(kefu, "alice")
    assert a["state"] == "talking" and a["call_id"] == call_id
    time.sleep(2.5)                                           # they talk again
    t_end = time.time()
    status, live = kefu.api("GET", f"/live-calls/{call_id}")
    assert status == 200 and live["state"] == "connected", live   # no BYE meanwhile
    lines = [d["state"] for _, _, d in kefu.events(since, "agent.line")
             if d["agent"] == "alice"]
    assert "lost" in lines and lines[-1] == "restored", lines
    assert "logged_out" not in states(kefu, since, "alice")
    caller.hangup()
    caller.wait_closed()

    samples, rate, _ = audio.read_wav(caller.received_wav_paths()[0])
    mono = audio.to_mono(samples)
    heard = (f"the caller's recording {len(mono) / rate:.2f} s (call {t_end - t_caller:.2f} "
             f"s; F5 at {t_reload - t_caller:.2f} s, line back at {t_back - t_caller:.2f} s): "
             + ", ".join(f"{audio.dominant_frequency(mono[i:i + rate // 4], rate):.0f}"
                         for i in range(0, len(mono), rate // 4)))
    before = window(samples, rate, t_reload - 1.5 - t_caller, t_reload - 0.2 - t_caller)
    after = window(samples, rate, t_back + 0.8 - t_caller, t_end - 0.3 - t_caller)
    assert audio.has_tone(before, rate, MIC_TONE), heard
    # music while the desk was away: a quarter second of it between F5 and a second after
    # the test saw the line back (a fast reload leaves a gap well under a second)
    quarter = rate // 4
    start, end = int((t_reload - t_caller) * rate), int((t_back + 1.0 - t_caller) * rate)
    gap = [mono[i:i + quarter] for i in range(max(start, 0), min(end, len(mono)) - quarter + 1,
                                              quarter // 2)]
    assert any(audio.has_tone(w, rate, MOH_TONE) for w in gap), heard
    assert audio.has_tone(after, rate, MIC_TONE), heard


def test_a_reload_while_ready_keeps_the_agent_ready(kefu, desk):
    since = time.time()
    t_reload = reload(desk)
    desk_ready(desk)
    line_up(desk)
    back = desk.evaluate("window.kefuDesk.back")
    print(f"ready: back landed {back['landed']:.0f} ms after navigation began; line up "
          f"{time.time() - t_reload:.2f} s after F5")
    wait_for(lambda: agent(kefu, "alice")["state"] == "ready", what="alice ready again")
    time.sleep(2.0)                                           # past [acd] leave_grace
    assert agent(kefu, "alice")["state"] == "ready"
    assert "logged_out" not in states(kefu, since, "alice")
    expect()(desk.locator("#state-badge")).to_have_text("空闲")


def test_a_reload_on_another_screen_brings_the_line_back_there(kefu, desk):
    """An agent working on the customers screen presses F5: the shell starts the desk's
    background part (no desk on screen), which reopens the line; the agent is ready
    again, never logged out."""
    desk.evaluate("location.hash = '#/customers'")
    expect()(desk.locator("#desk")).to_have_count(0)
    since = time.time()
    reload(desk)
    wait_for(lambda: desk.evaluate("window.kefuDesk?.lineState") == "connected",
             timeout=15, what="the line up again on the customers screen")
    wait_for(lambda: agent(kefu, "alice")["state"] == "ready", what="alice ready again")
    assert "logged_out" not in states(kefu, since, "alice")
    expect()(desk.locator("#desk")).to_have_count(0)


def test_a_closed_tab_is_logged_out_at_once_and_the_next_call_goes_to_another(
        kefu, browser, desk, phone):
    bob = phone(AGENTS["bob"], tone=CALLER_TONE)
    status, body = kefu.api("POST", "/agents/bob/login",
                            {"extension": AGENTS["bob"], "ready": True})
    assert status == 200, body
    caller = phone(CALLER, tone=CALLER_TONE)
    desk.bring_to_front()
    t_close = time.time()
    desk.close(run_before_unload=True)       # the beforeunload question is answered "leave"
    desk.wait_for_event("close")             # (sync Playwright answers it only while waiting)
    wait_for(lambda: agent(kefu, "alice")["state"] == "logged_out", timeout=5,
             what="alice logged out")
    took = time.time() - t_close
    print(f"closed tab: logged out {took:.2f} s after closing")
    assert took < 2.0
    assert agent(kefu, "alice")["last_logout"]["reason"] == "closed"
    since = time.time()
    caller.dial(kefu.uri("8001"))
    wait_for(lambda: kefu.events(since, "queue.offer"), what="an offer")
    assert kefu.events(since, "queue.offer")[0][2]["agents"] == ["bob"]
    bob.wait_incoming()
    caller.hangup()
    # alice signs in again: the desk says why she was logged out
    page = browser.page()
    page.goto("/#/desk")
    page.fill("#login-username", "alice")
    page.fill("#login-password", AGENT_PW)
    page.click("#login-submit")
    desk_ready(page)
    expect()(page.locator("#last-logout")).to_contain_text("工作台页面已关闭")
