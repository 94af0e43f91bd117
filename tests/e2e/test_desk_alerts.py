"""An offer cannot be missed, and the everyday desk fits 1366×768: in real Chromium
against a real ``kefu serve`` with a baresip caller and the browser softphone.

While an offer rings, the page plays the ring tone (what the page sends to its
AudioContext's speakers is tapped by an init script and its spectrum taken here: 440 +
480 Hz), flashes the tab title, counts down the time left to answer and, while the page
is hidden, raises a desktop notification (the context is granted ``notifications``).
Headless Chromium keeps every page "visible" (a second page brought to the front, a
minimised window: still visible), so the hidden page is made by an init script that
overrides ``document.visibilityState`` and fires ``visibilitychange``.  Answering stops
them all; a caller hanging up during the offer too.

At 1366×768 the answer, hang-up and wrap-up controls are in the viewport with nothing
to scroll, in offer, in call and in wrap-up (which shows the caller's number and counts
down); the three states are saved as docs/img/desk-offer.png, desk-call.png and
desk-wrapup.png.  During the call the agent picks another microphone: the line's sender
sends that one's track (no renegotiation), and another speaker: the call plays there;
both choices are kept.
"""

from __future__ import annotations

import base64
import os
import time
import shutil

import numpy as np
import pytest

from . import audio
from .browser import BROWSER_MARKS, screenshot
from .conftest import shell_browser, staffed, wait_for

pytestmark = [
    *BROWSER_MARKS,
    pytest.mark.skipif(shutil.which("baresip") is None and not os.environ.get("CI"),
                       reason="baresip not installed"),
]

AGENT, EXTENSION, AGENT_PW = "alice", "1001", "agent-password-1"
CALLER = "1003"
RING_TIMEOUT = 30
QUEUES = f"""
[[queues]]
name = "sales"
number = "8001"
members = {{ alice = 5 }}
ring_timeout = {RING_TIMEOUT}
wrap_up = 40
"""
DESK_TITLE = "坐席工作台 · 客服中心"

# What the page sends to its speakers: every node connected to an AudioContext's
# destination is also connected to a recorder (a ScriptProcessor: it hands the mixed
# samples to the page), kept as the last ~20 s in window.__played.  The page is hidden
# when window.__setHidden(true) says so.  Notifications are recorded as they are made.
INIT = """
(() => {
  const connect = AudioNode.prototype.connect;
  const recorders = new WeakMap();
  const played = window.__played = { rate: 0, chunks: [] };
  AudioNode.prototype.connect = function (target, ...rest) {
    const out = connect.call(this, target, ...rest);
    if (target instanceof AudioDestinationNode) {
      let rec = recorders.get(this.context);
      if (!rec) {
        rec = this.context.createScriptProcessor(4096, 1, 1);
        rec.onaudioprocess = (e) => {
          played.rate = e.inputBuffer.sampleRate;
          played.chunks.push({ at: performance.now(), x: e.inputBuffer.getChannelData(0).slice() });
          if (played.chunks.length > 240) played.chunks.shift();
        };
        connect.call(rec, this.context.destination);
        recorders.set(this.context, rec);
      }
      connect.call(this, rec);
    }
    return out;
  };
  let hidden = false;
  Object.defineProperty(Document.prototype, "visibilityState",
                        { get: () => (hidden ? "hidden" : "visible"), configurable: true });
  Object.defineProperty(Document.prototype, "hidden", { get: () => hidden, configurable: true });
  window.__setHidden = (on) => { hidden = on; document.dispatchEvent(new Event("visibilitychange")); };
  const title = Object.getOwnPropertyDescriptor(Document.prototype, "title");
  window.__titles = [];                      // every title the page sets, in order
  Object.defineProperty(Document.prototype, "title", { get: title.get, configurable: true,
    set(value) { window.__titles.push(value); title.set.call(this, value); } });
  const Real = window.Notification;
  window.__notes = [];
  window.Notification = class extends Real {
    constructor(title, options = {}) {
      super(title, options);
      const rec = { title, body: options.body, tag: options.tag, closed: false, note: this };
      window.__notes.push(rec);
      const close = this.close.bind(this);
      this.close = () => { rec.closed = true; close(); };
    }
  };
})();
"""


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    yield from staffed(tmp_path_factory.mktemp("kefu-desk-alerts"), QUEUES, {AGENT: EXTENSION}, AGENT_PW)


@pytest.fixture(scope="module")
def browser(kefu, tmp_path_factory):
    yield from shell_browser(kefu, tmp_path_factory.mktemp("mic"), 700, viewport=(1366, 768),
                             check=True)


def expect():
    from playwright.sync_api import expect as _expect
    return _expect


def played(page, seconds: float) -> tuple[np.ndarray, int]:
    """The last ``seconds`` of what the page sent to its speakers."""
    data, rate = page.evaluate("""(ms) => {
        const p = window.__played, since = performance.now() - ms;
        const chunks = p.chunks.filter((c) => c.at >= since);
        const all = new Float32Array(chunks.length * 4096);
        chunks.forEach((c, i) => all.set(c.x, i * 4096));
        let s = "";
        const bytes = new Uint8Array(all.buffer);
        for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode(...bytes.subarray(i, i + 8192));
        return [btoa(s), p.rate]; }""", seconds * 1000)
    assert rate, "the page made no AudioContext"
    return np.frombuffer(base64.b64decode(data), dtype="<f4").astype(np.float64), rate


def ringing_heard(page) -> bool:
    """The ring tone (440 + 480 Hz, 1 s in every 3) is in the last 3 s of the page's output."""
    x, rate = played(page, 3.0)
    return (audio.rms(x) > 0.05 and audio.tone_power_ratio(x, rate, 440, bw=12) > 0.3
            and audio.tone_power_ratio(x, rate, 480, bw=12) > 0.3)


def silent(page, seconds: float = 1.5) -> bool:
    x, _ = played(page, seconds)
    return x.size > 0 and audio.rms(x) < 1e-4


def in_view(page, *selectors: str) -> None:
    """Nothing to scroll, and each control's box inside the 1366×768 viewport."""
    sizes = page.evaluate("[document.scrollingElement.scrollHeight, innerHeight,"
                          " document.scrollingElement.scrollWidth, innerWidth]")
    assert sizes[0] <= sizes[1] and sizes[2] <= sizes[3], sizes
    for selector in selectors:
        box = page.locator(selector).bounding_box()
        assert box is not None, f"{selector} not shown"
        assert box["y"] >= 0 and box["y"] + box["height"] <= 768 and box["x"] + box["width"] <= 1366, (
            selector, box)


def test_an_offer_rings_notifies_flashes_counts_down_and_stops_on_answer(kefu, browser, phone):
    caller = phone(CALLER, tone=440)
    desk = browser.page(permissions=["microphone", "notifications"])
    desk.context.add_init_script(INIT)
    desk.goto("/#/desk")
    desk.fill("#login-username", AGENT)
    desk.fill("#login-password", AGENT_PW)
    desk.click("#login-submit")
    expect()(desk.locator("#desk[data-ready='1']")).to_be_visible(timeout=20000)
    desk.fill("#extension", EXTENSION)
    desk.check("input[name=device][value=webrtc]")
    desk.check("input[name=ready]")
    desk.click("#agent-login")       # the gesture: audio unlocked, notifications asked
    expect()(desk.locator("#line-state")).to_have_attribute("data-line", "connected", timeout=15000)
    expect()(desk.locator("#state-badge")).to_have_text("空闲")
    assert desk.evaluate("Notification.permission") == "granted"
    expect()(desk.locator("#mic-select")).to_be_visible()
    wait_for(lambda: desk.evaluate("Number(document.querySelector('#mic-level').value)") > 0.01,
             what="the microphone's level meter moving")
    assert desk.title() == DESK_TITLE
    in_view(desk, "#btn-ready", "#dial-to")

    # the agent is in another window: an offer comes
    desk.evaluate("window.__setHidden(true)")
    caller.dial(kefu.uri("8001"))
    caller.wait_established()
    expect()(desk.locator("#offer-panel")).to_be_visible(timeout=5000)
    call_id = desk.evaluate("window.kefuDesk.offer.call_id")
    t0 = time.monotonic()
    note = wait_for(lambda: desk.evaluate("window.__notes.map(({title, body, tag, closed}) =>"
                                          " ({title, body, tag, closed}))"), what="a notification")
    assert note == [{"title": "来电 — 请接听", "body": f"{CALLER} · sales",
                     "tag": f"kefu-offer-{call_id}", "closed": False}], note
    flash = "\n".join([f"📞 来电 {CALLER}", DESK_TITLE, f"📞 来电 {CALLER}"])   # once a second
    wait_for(lambda: flash in desk.evaluate("window.__titles.slice(-8).join('\\n')"),
             what="the flashing title")
    wait_for(lambda: ringing_heard(desk), what="the ring tone in the page's output", timeout=5)
    x, rate = played(desk, 3.0)
    print(f"ring: rms {audio.rms(x):.3f}, 440 Hz {audio.tone_power_ratio(x, rate, 440, bw=12):.2f},"
          f" 480 Hz {audio.tone_power_ratio(x, rate, 480, bw=12):.2f}")
    print(f"notification, title and ring checked in {time.monotonic() - t0:.1f} s")
    left = int(desk.locator("#offer-left").get_attribute("data-left"))
    assert RING_TIMEOUT - 5 <= left <= RING_TIMEOUT, left
    expect()(desk.locator("#offer-left")).to_have_attribute("data-left", str(left - 2), timeout=4000)

    # the page seen again: the notification goes; the ring can be muted and back
    desk.evaluate("window.__setHidden(false)")
    wait_for(lambda: desk.evaluate("window.__notes[0].closed"), what="the notification closed")
    # hidden again, on another screen: a new notification, whose click brings the desk back
    desk.evaluate("location.hash = '#/followups'")
    expect()(desk.locator("#desk")).to_have_count(0)
    desk.evaluate("window.__setHidden(true)")
    wait_for(lambda: desk.evaluate("window.__notes.length") == 2, what="the second notification")
    desk.evaluate("window.__notes[1].note.onclick()")
    expect()(desk.locator("#offer-panel")).to_be_visible()
    assert desk.evaluate("[location.hash, window.__notes[1].closed]") == ["#/desk", True]
    desk.evaluate("window.__setHidden(false)")
    desk.uncheck("#ring-on")
    wait_for(lambda: silent(desk, 0.5), what="the ring muted", timeout=2)
    desk.check("#ring-on")
    wait_for(lambda: ringing_heard(desk), what="the ring unmuted", timeout=5)
    assert desk.evaluate("JSON.parse(localStorage.getItem('kefu.ring')).on") is True

    # in offer: all at hand without scrolling
    in_view(desk, "#btn-answer", "#btn-reject", "#offer-caller", "#offer-left")
    desk.wait_for_timeout(300)
    screenshot(desk, "desk-offer.png", full_page=False)

    # answered: every alert stops
    desk.click("#btn-answer")
    expect()(desk.locator("#state-badge")).to_have_text("通话中", timeout=5000)
    expect()(desk.locator("#offer-left")).to_have_count(0)
    assert desk.evaluate("window.kefuDesk.ringing") is False
    assert desk.evaluate("window.kefuDesk.alert") is None
    assert desk.title() == DESK_TITLE
    titles = desk.evaluate("window.__titles.length")
    desk.wait_for_timeout(1500)
    assert desk.evaluate("window.__titles.length") == titles   # no more flashing
    assert silent(desk, 1.0)
    in_view(desk, "#btn-hangup", "#btn-hold", "#call-other")
    expect()(desk.locator("#keypad")).to_be_visible()
    expect()(desk.locator("#dial-form")).to_have_count(0)      # dialling is for idle times
    # another microphone during the call: the sender's track is replaced, sound goes on
    options = desk.locator("#mic-select option").evaluate_all("os => os.map((o) => o.value)")
    other = [o for o in options if o][-1]
    before = desk.evaluate("window.kefuDesk.pc.getSenders()[0].track.id")
    desk.select_option("#mic-select", other)
    wait_for(lambda: desk.evaluate("window.kefuDesk.pc.getSenders()[0].track?.getSettings().deviceId")
             == other, what="the sender on the chosen microphone")
    assert desk.evaluate("window.kefuDesk.pc.getSenders()[0].track.id") != before
    assert desk.evaluate("localStorage.getItem('kefu.mic')") == other
    sent = desk.evaluate("""async () => {
        const count = async () => { let n = 0; (await window.kefuDesk.pc.getStats()).forEach((r) => {
            if (r.type === "outbound-rtp" && r.kind === "audio") n += r.packetsSent; }); return n; };
        const a = await count(); await new Promise((r) => setTimeout(r, 1000)); return (await count()) - a; }""")
    assert sent > 40, sent
    # and another speaker: the call's <audio> plays there
    outputs = desk.locator("#speaker-select option").evaluate_all("os => os.map((o) => o.value)")
    speaker = [o for o in outputs if o][-1]
    desk.select_option("#speaker-select", speaker)
    wait_for(lambda: desk.evaluate("document.querySelector('#remote-audio').sinkId") == speaker,
             what="the call on the chosen speaker")
    assert desk.evaluate("localStorage.getItem('kefu.speaker')") == speaker
    screenshot(desk, "desk-call.png", full_page=False)

    # wrap-up: the caller's number, the time left, more time
    caller.hangup()
    caller.wait_closed()
    expect()(desk.locator("#wrapup-bar")).to_be_visible(timeout=5000)
    expect()(desk.locator("#wrapup-caller")).to_have_text(CALLER)
    expect()(desk.locator("#wrapup-caller")).to_have_attribute("title", f"通话编号: {call_id}")
    expect()(desk.locator("#keypad")).to_have_count(0)
    left = int(desk.locator("#wrapup-left").get_attribute("data-left"))
    assert 30 <= left <= 40, left
    expect()(desk.locator("#wrapup-left")).to_have_attribute("data-left", str(left - 1), timeout=3000)
    desk.click("#btn-wrapup-extend")
    wait_for(lambda: int(desk.locator("#wrapup-left").get_attribute("data-left")) > left + 20,
             what="30 s more")
    in_view(desk, "#wrapup-caller", "#wrapup-left", "#btn-wrapup-extend", "#btn-wrapup-end",
            "#wrapup-form button[type=submit]")
    screenshot(desk, "desk-wrapup.png", full_page=False)
    desk.click("#btn-wrapup-end")
    expect()(desk.locator("#state-badge")).to_have_text("空闲", timeout=5000)
    expect()(desk.locator("#dial-form")).to_be_visible()

    # an offer whose caller hangs up: the alerts stop too
    caller.dial(kefu.uri("8001"))
    caller.wait_established()
    expect()(desk.locator("#offer-panel")).to_be_visible(timeout=5000)
    wait_for(lambda: ringing_heard(desk), what="ringing again", timeout=5)
    caller.hangup()
    expect()(desk.locator("#offer-panel")).to_be_hidden(timeout=5000)
    assert desk.evaluate("window.kefuDesk.ringing") is False
    wait_for(lambda: silent(desk, 1.0), what="the ring stopped", timeout=3)
    assert desk.title() == DESK_TITLE
