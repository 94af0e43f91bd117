"""The agent desktop (#/desk) and the wallboard (#/wall), screens of the web shell, in a
real browser (Debian's Chromium, headless, through Playwright) against a real
``kefu serve``, with baresip phones for the agent's device and the callers.

The pages only use the public HTTP API and the events WebSocket, so these tests check
what a user sees: sign-in, agent login, states with reasons and a ticking clock, an offer
with the caller and the call-attached data (screen pop), call control from the keyboard,
wrap-up, the wallboard following state changes and supervisor actions, the English
switch.  They also write docs/img/desk.png and docs/img/wall.png.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from . import audio
from .browser import BROWSER_MARKS, screenshot
from .conftest import checked_pages, shell_browser, staffed, wait_for

pytestmark = BROWSER_MARKS

AGENTS = {"alice": "1001", "bob": "1002"}
MIC_TONE = 700          # what the browser's fake microphone plays
AGENT_PW = "agent-password-1"
SUPERVISOR = ("sue", "supervisor-password-1")
CALLER, SECOND_CALLER = "1003", "1004"

PAUSE_REASONS = ["break", "lunch", "meeting", "training", "after_call", "coaching"]
QUEUES = f"[acd]\npause_reasons = {json.dumps(PAUSE_REASONS)}\n" + """
[[queues]]
name = "sales"
number = "8001"
strategy = "longest_idle"
members = { alice = 5, bob = 3 }
ring_timeout = 20
wrap_up = 60

[[queues]]
name = "support"
number = "8002"
members = { alice = 1 }
wrap_up = 0
"""


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    yield from staffed(tmp_path_factory.mktemp("kefu-desk"), QUEUES, AGENTS, AGENT_PW, SUPERVISOR)


@pytest.fixture(scope="module")
def browser(kefu, tmp_path_factory):
    yield from shell_browser(kefu, tmp_path_factory.mktemp("mic"), MIC_TONE)


@pytest.fixture
def pages(browser, kefu):
    """New pages for this test; afterwards: no uncaught page errors, agents logged out."""
    with checked_pages(browser, kefu, AGENTS):
        yield browser.page


@pytest.fixture
def phones(phone):
    """The conftest's baresip factory (``phones(number, tone, answermode=…)``)."""
    return phone


def expect():
    from playwright.sync_api import expect as _expect
    return _expect


def sign_in(page, path: str, username: str, password: str) -> None:
    """The shell at the screen ``path`` ("/desk", "/wall"), signed in, the screen loaded."""
    page.goto(f"/#{path}")
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-submit")
    screen_ready(page, path)


def screen_ready(page, path: str) -> None:
    expect()(page.locator(f"{path.replace('/', '#')}[data-ready='1']")).to_be_visible()


def agent_login(page, extension: str, *, ready: bool, device: str = "phone",
                queues: list[str] | None = None, auto_answer: bool = False) -> None:
    page.fill("#extension", extension)
    page.check(f"input[name=device][value={device}]")
    page.locator("input[name=auto_answer]").set_checked(auto_answer)
    if ready:
        page.check("input[name=ready]")
    else:
        page.uncheck("input[name=ready]")
    if queues is not None:
        for box in page.locator("input[name=queue]").all():
            box.set_checked(box.get_attribute("value") in queues)
    page.click("#agent-login")
    expect()(page.locator("#agent-session")).to_be_visible()


def agent_state(kefu, username: str) -> dict:
    status, body = kefu.api("GET", f"/agents/{username}")
    assert status == 200, body
    return body


# --- tests -------------------------------------------------------------------------------

def test_pages_and_sign_in(kefu, pages):
    page = pages("/desk")                      # an old bookmark: the shell's desk route
    page.wait_for_function("location.pathname === '/' && location.hash === '#/desk'")
    expect()(page.locator("#login-form")).to_be_visible()
    expect()(page.locator("#desk")).to_have_count(0)
    # a wrong password is refused on the form
    page.fill("#login-username", "alice")
    page.fill("#login-password", "wrong-password")
    page.click("#login-submit")
    expect()(page.locator("#login-error")).to_have_text("用户名或密码错误")
    # the right one shows the desktop, with the agent's queues from its skills
    page.fill("#login-password", AGENT_PW)
    page.click("#login-submit")
    screen_ready(page, "/desk")
    assert page.title() == "坐席工作台 · 客服中心"
    expect()(page.locator("#me")).to_have_text("Alice")
    expect()(page.locator("#state-badge")).to_have_text("未签入")
    expect()(page.locator("input[name=queue]")).to_have_count(2)
    expect()(page.locator("input[name=device][value=webrtc]")).to_be_checked()   # the default
    expect()(page.locator("#shell-ws")).to_have_attribute("data-status", "open")
    # the token lives in sessionStorage: a reload stays signed in
    page.reload()
    screen_ready(page, "/desk")
    expect()(page.locator("#login-form")).to_have_count(0)
    # static files: ES modules with a JavaScript type, the shell's page uncached
    for module in ("/static/shell/screens/desk.js", "/static/crm/customer.js"):
        response = page.request.get(module)
        assert response.ok and "javascript" in response.headers["content-type"], module
    assert page.request.get("/").headers["cache-control"] == "no-cache"
    # an agent has no wallboard: its route (or the old URL) lands on the desk
    page.goto("/wall")
    page.wait_for_function("location.hash === '#/desk'")
    screen_ready(page, "/desk")
    expect()(page.locator("#wall")).to_have_count(0)
    # sign out: the token is revoked and the form is back
    page.click("#shell-logout")
    expect()(page.locator("#login-form")).to_be_visible()
    expect()(page.locator("#desk")).to_have_count(0)


def test_states_ticking_time_and_wallboard(kefu, pages):
    desk = pages()
    sign_in(desk, "/desk", "alice", AGENT_PW)
    wall = pages()
    sign_in(wall, "/wall", *SUPERVISOR)
    alice_row = wall.locator("#agent-table tr[data-agent=alice]")
    expect()(alice_row).to_have_attribute("data-state", "logged_out")
    expect()(wall.locator("#agent-table tr[data-agent=bob]")).to_be_visible()
    expect()(wall.locator("#queue-table tr[data-queue=sales]")).to_be_visible()
    expect()(wall.locator("#queue-table tr[data-queue=support]")).to_be_visible()

    agent_login(desk, AGENTS["alice"], ready=True, device="phone")
    expect()(desk.locator("#state-badge")).to_have_text("空闲")
    assert agent_state(kefu, "alice")["state"] == "ready"
    assert agent_state(kefu, "alice")["device"] == "phone"
    expect()(alice_row).to_have_attribute("data-state", "ready", timeout=3000)

    # not ready with a reason: the badge, the reason, a clock that ticks
    desk.select_option("#reason", "lunch")
    desk.click("#btn-not-ready")
    expect()(desk.locator("#state-label")).to_have_text("示忙")
    expect()(desk.locator("#state-reason")).to_have_text("午餐")
    body = agent_state(kefu, "alice")
    assert (body["state"], body["reason"]) == ("not_ready", "lunch")
    expect()(desk.locator("#state-clock")).to_have_text("00:01", timeout=3000)
    expect()(desk.locator("#state-clock")).to_have_text("00:02", timeout=3000)
    # the wallboard follows at once (events, not its 5 s poll)
    expect()(alice_row).to_have_attribute("data-state", "not_ready", timeout=2500)
    expect()(alice_row.locator(".badge")).to_have_text("示忙")
    expect()(alice_row.locator("td.in-state")).not_to_have_text("")

    desk.click("#btn-away")
    expect()(desk.locator("#state-badge")).to_have_text("离开")
    expect()(desk.locator("#state-clock")).to_have_text("00:00")
    expect()(alice_row).to_have_attribute("data-state", "away", timeout=2500)

    # the supervisor forces her ready, then not ready (meeting): the desktop follows
    alice_row.locator("button[data-act=ready]").click()
    expect()(desk.locator("#state-badge")).to_have_text("空闲", timeout=3000)
    wall.select_option("#force-reason", "meeting")
    alice_row.locator("button[data-act=not_ready]").click()
    expect()(desk.locator("#state-reason")).to_have_text("会议", timeout=3000)
    assert agent_state(kefu, "alice")["reason"] == "meeting"
    # ... and logs her out
    alice_row.locator("button[data-act=logout]").click()
    expect()(desk.locator("#agent-login-form")).to_be_visible(timeout=3000)
    expect()(desk.locator("#state-badge")).to_have_text("未签入")
    expect()(alice_row).to_have_attribute("data-state", "logged_out", timeout=3000)


def test_offer_screen_pop_call_control_and_wrap_up(kefu, pages, phones):
    alice_phone = phones(AGENTS["alice"], tone=1000, answermode="manual")
    caller = phones(CALLER, tone=440)
    desk = pages()
    sign_in(desk, "/desk", "alice", AGENT_PW)
    wall = pages()
    sign_in(wall, "/wall", *SUPERVISOR)
    agent_login(desk, AGENTS["alice"], ready=False, device="phone", queues=["sales"])
    expect()(desk.locator("#state-badge")).to_have_text("示忙")
    expect()(desk.locator("#state-reason")).to_have_text("刚签入")

    # a caller waits in sales; the IVR (here: the admin) attaches data to the call
    caller.dial(kefu.uri("8001"))
    caller.wait_established()
    waiting = wait_for(lambda: [c for c in kefu.api("GET", "/live-calls")[1]
                                if c["caller"] == CALLER], what="queued call")
    call_id = waiting[0]["call_id"]
    status, _ = kefu.api("PATCH", f"/live-calls/{call_id}/data",
                         {"order": "A-17", "vip": "gold"})
    assert status == 200
    expect()(wall.locator("#queue-table tr[data-queue=sales] td.waiting")).to_have_text("1", timeout=3000)

    # ready: the offer shows the caller, the queue and the attached data; the phone rings
    desk.click("#btn-ready")
    expect()(desk.locator("#offer-panel")).to_be_visible(timeout=5000)
    expect()(desk.locator("#offer-caller")).to_have_text(CALLER)
    expect()(desk.locator("#offer-queue")).to_have_text("sales")
    expect()(desk.locator("#offer-data")).to_contain_text("A-17")
    expect()(desk.locator("#offer-data")).to_contain_text("order")
    expect()(desk.locator("#offer-hint")).to_be_visible()      # a desk phone answers itself
    expect()(desk.locator("#state-badge")).to_have_text("振铃")
    # screen pop: an unknown number gives the new-customer form
    expect()(desk.locator("#customer-panel")).to_be_visible()
    expect()(desk.locator("#customer-form")).to_be_visible(timeout=5000)
    assert desk.locator("#customer-form input[name=number]").input_value() == CALLER
    desk.fill("#customer-form input[name=name]", "王小明")
    desk.fill("#customer-form input[name=company]", "示例公司")
    screenshot(desk, "desk.png")
    # still offered after the desktop's 3 s live-call poll: a call ringing the agent is
    # not yet its call
    desk.wait_for_timeout(3500)
    expect()(desk.locator("#offer-panel")).to_be_visible()
    expect()(desk.locator("#call-info")).to_have_text("当前无通话")

    alice_phone.wait_incoming(timeout=10)
    alice_phone.accept()
    alice_phone.wait_established()
    expect()(desk.locator("#offer-panel")).to_be_hidden(timeout=5000)
    expect()(desk.locator("#state-badge")).to_have_text("通话中")
    expect()(desk.locator("#call-other")).to_have_text(CALLER, timeout=5000)
    expect()(wall.locator("#agent-table tr[data-agent=alice]")).to_have_attribute(
        "data-state", "talking", timeout=3000)
    expect()(wall.locator(f"#call-table tr[data-call='{call_id}']")).to_be_visible(timeout=6000)

    # keyboard: F6 holds, F6 resumes
    desk.keyboard.press("F6")
    wait_for(lambda: agent_state(kefu, "alice")["state"] == "on_hold", what="on hold")
    expect()(desk.locator("#hold-label")).to_have_text("恢复", timeout=5000)
    desk.keyboard.press("F6")
    wait_for(lambda: agent_state(kefu, "alice")["state"] == "talking", what="resumed")
    expect()(desk.locator("#hold-label")).to_have_text("保持", timeout=5000)
    # DTMF from the keypad reaches the caller
    desk.click("#keypad button[data-digit='5']")
    wait_for(lambda: caller.dtmf_received() == "5", what="DTMF 5 at the caller")

    # a second caller waits: the wallboard shows it with a growing wait
    second = phones(SECOND_CALLER, tone=440)
    second.dial(kefu.uri("8001"))
    second.wait_established()
    second_id = wait_for(lambda: [c["call_id"] for c in kefu.api("GET", "/live-calls")[1]
                                  if c["caller"] == SECOND_CALLER], what="second call")[0]
    expect()(wall.locator(f"#call-table tr[data-call='{second_id}'] td.call-state")).to_have_text(
        "排队中", timeout=3000)
    expect()(wall.locator(f"#call-table tr[data-call='{call_id}'] td.call-state")).to_have_text(
        "通话中")
    row = wall.locator("#queue-table tr[data-queue=sales]")
    expect()(row.locator("td.waiting")).to_have_text("1")
    expect()(row.locator("td.longest")).not_to_have_text("00:00", timeout=4000)
    expect()(wall.locator("#t-waiting")).to_have_text("1")
    expect()(wall.locator("#t-talking")).to_have_text("1")
    screenshot(wall, "wall.png")

    # the supervisor listens in from 1005 (answers by itself), then force-releases the
    # waiting call
    phones("1005", tone=1300, answermode="auto")
    wall.select_option("#sup-with", "phone")          # monitor with: desk phone 1005
    wall.fill("#sup-ext", "1005")
    wall.locator(f"#call-table tr[data-call='{call_id}'] button[data-act=listen]").click()
    wait_for(lambda: any(m["number"] == "1005" and m["mode"] == "listen"
                         for c in kefu.api("GET", "/live-calls")[1] if c["call_id"] == call_id
                         for m in c["members"]), what="1005 listening")
    expect()(wall.locator(f"#call-table tr[data-call='{call_id}']")).to_have_attribute(
        "data-sup-mode", "listen", timeout=3000)
    expect()(wall.locator(f"#call-table tr[data-call='{call_id}'] .member.sup")).to_contain_text(
        "1005 监听")
    wall.select_option("#sup-with", "browser")
    wall.locator(f"#call-table tr[data-call='{second_id}'] button[data-act=release]").click()
    second.wait_closed()
    expect()(wall.locator(f"#call-table tr[data-call='{second_id}']")).to_have_count(0,
                                                                                  timeout=3000)

    # F4 hangs up; the wrap-up form comes (sales has 60 s of wrap-up)
    desk.keyboard.press("F4")
    caller.wait_closed()
    expect()(desk.locator("#state-badge")).to_have_text("话后处理", timeout=5000)
    expect()(desk.locator("#wrapup-panel")).to_be_visible()
    expect()(desk.locator("#wrapup-number")).to_have_text(CALLER)
    expect()(desk.locator("#call-info")).to_have_text("当前无通话")
    desk.select_option("#wrapup-form select[name=type]", "complaint")
    desk.select_option("#wrapup-form select[name=result]", "follow_up")
    desk.fill("#wrapup-form textarea[name=notes]", "订单 A-17 未送达")
    desk.click("#wrapup-form button[type=submit]")
    notes_ok = kefu.api("GET", f"/customers?number={CALLER}")[0] == 200
    if notes_ok:    # the notes endpoint is there: saving ends the wrap-up, the customer exists
        expect()(desk.locator("#wrapup-panel")).to_be_hidden(timeout=5000)
        customers = wait_for(lambda: kefu.api("GET", f"/customers?number={CALLER}")[1],
                             what="customer created by the note")
        assert (customers[0]["name"], customers[0]["company"]) == ("王小明", "示例公司")
    else:
        desk.click("#btn-wrapup-end")
        expect()(desk.locator("#wrapup-panel")).to_be_hidden(timeout=5000)
    expect()(desk.locator("#state-badge")).to_have_text("空闲", timeout=5000)
    body = agent_state(kefu, "alice")
    assert body["state"] == "ready" and body["answered"] == 1
    expect()(desk.locator("#stat-answered")).to_have_text("1", timeout=16000)


def test_click_to_call_consult_and_blind_transfer(kefu, pages, phones):
    alice_phone = phones(AGENTS["alice"], tone=1000, answermode="auto")
    customer = phones(CALLER, tone=440, answermode="auto")
    colleague = phones(SECOND_CALLER, tone=1300, answermode="auto")
    desk = pages()
    sign_in(desk, "/desk", "alice", AGENT_PW)
    agent_login(desk, AGENTS["alice"], ready=False, device="phone", queues=["sales"])
    # click-to-call: alice's phone rings first (auto-answers), then the customer
    desk.fill("#dial-to", CALLER)
    desk.click("#dial-form button")
    customer.wait_established()
    expect()(desk.locator("#call-other")).to_have_text(CALLER, timeout=5000)
    expect()(desk.locator("#state-badge")).to_have_text("通话中")
    call_id = desk.evaluate("window.kefuDesk.call.call_id")

    def members() -> set[str]:
        status, body = kefu.api("GET", f"/live-calls/{call_id}")
        return {m["number"] for m in body["members"]} if status == 200 else set()

    wait_for(lambda: members() >= {AGENTS["alice"], CALLER}, what="both in the call")
    # the transfer box suggests from the directory: agents by name, then extensions
    box = desk.locator("#transfer-form input[name=value]")
    desk.select_option("#transfer-form select[name=kind]", "agent")
    box.fill("bo")
    expect()(desk.locator("#transfer-options option[value=bob]")).to_have_count(1)
    assert desk.locator("#transfer-options option").count() == 1
    desk.select_option("#transfer-form select[name=kind]", "target")
    box.fill(SECOND_CALLER[:3])
    expect()(desk.locator(f"#transfer-options option[value='{SECOND_CALLER}']")).to_have_count(1)
    # consult (咨询) a colleague, then cancel: the colleague leaves, the customer stays
    box.fill(SECOND_CALLER)
    desk.click("#btn-consult")
    expect()(desk.locator("#consult-controls")).to_be_visible()
    colleague.wait_established()
    desk.click("#consult-controls button[data-consult=cancel]")
    colleague.wait_closed()
    expect()(desk.locator("#consult-controls")).to_be_hidden()
    wait_for(lambda: SECOND_CALLER not in members(), what="colleague gone")
    # blind transfer to the colleague: alice leaves, the customer talks to 1004
    desk.click("#transfer-form button[value=blind]")
    colleague.wait_established()
    alice_phone.wait_closed()
    wait_for(lambda: members() == {CALLER, SECOND_CALLER}, what="customer with colleague")
    expect()(desk.locator("#call-info")).to_have_text("当前无通话", timeout=5000)
    expect()(desk.locator("#wrapup-panel")).to_be_visible()
    expect()(desk.locator("#wrapup-number")).to_have_text(CALLER)
    # an agent who handed on a call it placed itself is back in the state it left at once
    expect()(desk.locator("#state-badge")).to_have_text("示忙", timeout=5000)
    customer.hangup()
    colleague.wait_closed()


def test_transfer_directory(kefu):
    """GET /directory: what a transfer needs of agents, queues and extensions, for anyone
    who handles calls; an agent learns no more of a colleague than name, extension, state."""
    status, body = kefu.api("POST", "/auth/login", {"username": "alice", "password": AGENT_PW})
    assert status == 200, body
    alice = body["token"]
    status, everything = kefu.api("GET", "/directory?limit=200", token=alice)
    assert status == 200, everything
    kinds = {(e["kind"], e["value"]) for e in everything}
    assert {("agent", "alice"), ("agent", "bob"), ("queue", "sales"), ("queue", "support"),
            ("extension", "1001"), ("extension", "1004")} <= kinds, kinds
    bob = next(e for e in everything if e["value"] == "bob")
    assert set(bob) == {"kind", "value", "label", "number", "state", "waiting"}, bob
    status, found = kefu.api("GET", "/directory?kind=queue&q=800", token=alice)
    assert status == 200 and {e["value"] for e in found} == {"sales", "support"}, found
    status, found = kefu.api("GET", "/directory?q=SAL", token=alice)
    assert [e["value"] for e in found] == ["sales"], found
    status, found = kefu.api("GET", "/directory?kind=agent&limit=1", token=alice)
    assert status == 200 and len(found) == 1
    assert kefu.api("GET", "/directory?kind=phone", token=alice)[0] == 422
    assert kefu.api("GET", "/directory?limit=0", token=alice)[0] == 422
    assert kefu.api("GET", "/directory", token="not-a-token")[0] == 401
    status, body = kefu.api("POST", "/users", {"username": "quinn", "password": AGENT_PW,
                                               "role": "qa"})
    assert status == 201, body
    qa = kefu.api("POST", "/auth/login", {"username": "quinn", "password": AGENT_PW})[1]["token"]
    assert kefu.api("GET", "/directory", token=qa)[0] == 403       # QA handles no calls


PACKETS_SENT = """async () => {
    let n = 0;
    (await window.kefuDesk.pc.getStats()).forEach(r => {
        if (r.type === "outbound-rtp" && r.kind === "audio") n += r.packetsSent; });
    return n; }"""


def packets_sent_in(page, seconds: float) -> int:
    """RTP packets the page's softphone sent over ``seconds`` (its own getStats)."""
    before = page.evaluate(PACKETS_SENT)
    time.sleep(seconds)
    return page.evaluate(PACKETS_SENT) - before


def test_webrtc_softphone_answers_by_click_and_f2(kefu, pages, phones):
    """device webrtc: the page opens its line (POST /lines), an offer is answered with a
    click (and the next one with F2) through the API, the caller hears the browser's
    microphone and the browser hears the caller; mute is local.  The idle line sends nothing; the microphone goes out from the
    offer until the call ends."""
    status, body = kefu.api("POST", "/lines", {"type": "offer", "sdp": "v=0 not an offer"})
    if status == 404 and body == {"detail": "Not Found"}:
        pytest.skip("this kefu has no /api/v1/lines yet")
    caller = phones(CALLER, tone=440)
    desk = pages()
    sign_in(desk, "/desk", "alice", AGENT_PW)
    agent_login(desk, AGENTS["alice"], ready=True, device="webrtc", queues=["support"])
    expect()(desk.locator("#line-state")).to_have_attribute("data-line", "connected",
                                                            timeout=15000)
    assert desk.evaluate("window.kefuDesk.pc.connectionState") == "connected"
    wait_for(lambda: agent_state(kefu, "alice")["state"] == "ready", what="alice ready")
    expect()(desk.locator("#state-badge")).to_have_text("空闲")
    assert desk.evaluate("window.kefuDesk.sending") is False
    assert packets_sent_in(desk, 1.0) == 0                  # idle: nothing goes out

    caller.dial(kefu.uri("8002"))
    caller.wait_established()
    expect()(desk.locator("#offer-panel")).to_be_visible(timeout=5000)
    expect()(desk.locator("#btn-answer")).to_be_enabled()
    expect()(desk.locator("#offer-hint")).to_be_hidden()
    desk.click("#btn-answer")
    expect()(desk.locator("#state-badge")).to_have_text("通话中", timeout=5000)
    expect()(desk.locator("#call-other")).to_have_text(CALLER, timeout=5000)
    assert desk.evaluate("window.kefuDesk.sending") is True
    assert packets_sent_in(desk, 1.0) > 40                  # 50 a second in a call
    time.sleep(1.5)
    received = desk.evaluate("""async () => {
        let n = 0;
        (await window.kefuDesk.pc.getStats()).forEach(r => {
            if (r.type === "inbound-rtp" && r.kind === "audio") n += r.packetsReceived; });
        return n; }""")
    assert received > 50, received
    # what the browser plays is the caller's tone: an FFT in the page (Web Audio)
    heard = desk.evaluate("""async () => {
        const ctx = new AudioContext();
        const an = ctx.createAnalyser();
        an.fftSize = 8192;
        ctx.createMediaStreamSource(document.querySelector("#remote-audio").srcObject)
           .connect(an);
        await new Promise((r) => setTimeout(r, 1000));
        const db = new Float32Array(an.frequencyBinCount);
        an.getFloatFrequencyData(db);
        let best = 1;
        for (let i = 2; i < db.length; i++) if (db[i] > db[best]) best = i;
        const hz = best * ctx.sampleRate / an.fftSize;
        await ctx.close();
        return [hz, db[best]]; }""")
    assert abs(heard[0] - 440) < 15 and heard[1] > -60, heard
    desk.click("#btn-mute")
    assert desk.evaluate("window.kefuDesk.muted") is True
    expect()(desk.locator("#btn-mute")).to_have_text("取消静音")
    desk.click("#btn-mute")
    desk.keyboard.press("F4")
    caller.wait_closed()
    samples, rate, _ = audio.read_wav(caller.received_wav_paths()[0])
    assert audio.has_tone(samples[-16000:], rate, MIC_TONE), audio.dominant_frequency(samples, rate)
    expect()(desk.locator("#state-badge")).to_have_text("空闲", timeout=5000)   # no wrap-up
    assert desk.evaluate("window.kefuDesk.lineState") == "connected"       # the line stays
    wait_for(lambda: desk.evaluate("window.kefuDesk.sending") is False, what="idle again")
    assert packets_sent_in(desk, 1.0) <= 1
    # the next offer is answered from the keyboard
    time.sleep(1.0)                 # baresip names its recordings by the second
    caller.dial(kefu.uri("8002"))
    caller.wait_established()
    expect()(desk.locator("#offer-panel")).to_be_visible(timeout=5000)
    desk.keyboard.press("F2")
    expect()(desk.locator("#state-badge")).to_have_text("通话中", timeout=5000)
    expect()(desk.locator("#call-other")).to_have_text(CALLER, timeout=5000)   # F4 needs it
    desk.keyboard.press("F4")
    caller.wait_closed()
    expect()(desk.locator("#state-badge")).to_have_text("空闲", timeout=5000)
    desk.click("#agent-logout")
    expect()(desk.locator("#line-state")).to_have_attribute("data-line", "idle")


def test_announcements_posted_and_acknowledged(kefu, pages):
    desk = pages()
    sign_in(desk, "/desk", "alice", AGENT_PW)
    wall = pages()
    sign_in(wall, "/wall", *SUPERVISOR)
    wall.fill("#announce-form input[name=title]", "系统维护通知")
    wall.fill("#announce-form textarea[name=body]", "今晚 22:00 升级电话系统,请提前保存工作。")
    wall.check("#announce-agents [data-agent=alice] input")      # from the directory's agents
    wall.click("#announce-form button[type=submit]")
    expect()(wall.locator("#announcements li").first).to_contain_text("系统维护通知", timeout=3000)
    # alice's desktop gets it from the event (well before its one-minute poll) and acks it
    item = desk.locator("#announcements li", has_text="系统维护通知")
    expect()(item).to_have_class("unread", timeout=3000)
    item.locator("button").click()
    expect()(item).to_have_class("acked", timeout=3000)
    expect()(item).to_contain_text("已确认")
    expect()(wall.locator("#announcements li").first).to_contain_text("✔ 1", timeout=3000)

    # to a group (技能组 = a queue): support's member alice gets it live, bob (sales
    # only) never sees it
    bob = pages()
    sign_in(bob, "/desk", "bob", AGENT_PW)
    expect()(bob.locator("#announcements li", has_text="系统维护通知")).to_have_count(0)
    wall.fill("#announce-form input[name=title]", "售后组例会")
    wall.fill("#announce-form textarea[name=body]", "周五 17:00 三楼会议室。")
    expect()(wall.locator("#announce-agents [data-agent=alice] input")).not_to_be_checked()
    wall.check("#announce-groups input[name=groups][value=support]")
    wall.click("#announce-form button[type=submit]")
    expect()(wall.locator("#announcements li").first).to_contain_text("售后组例会", timeout=3000)
    expect()(wall.locator("#announcements li").first.locator(
        ".ann-group[data-group=support]")).to_have_count(1)
    expect()(desk.locator("#announcements li", has_text="售后组例会")).to_have_class(
        "unread", timeout=3000)
    bob.reload()
    screen_ready(bob, "/desk")
    expect()(bob.locator("#announcements")).to_contain_text("暂无公告")
    expect()(bob.locator("#announcements li[data-id]")).to_have_count(0)


def test_configured_pause_reasons_reach_desk_and_wallboard(kefu, pages):
    """The pickers come from GET /choices: "coaching" is only in this server's config, shown
    as configured (no translation known); known reasons stay translated."""
    desk = pages()
    sign_in(desk, "/desk", "alice", AGENT_PW)
    reasons = desk.locator("#reason option")
    assert reasons.evaluate_all("options => options.map((o) => o.value)") == PAUSE_REASONS
    expect()(desk.locator("#reason option[value=coaching]")).to_have_text("coaching")
    expect()(desk.locator("#reason option[value=lunch]")).to_have_text("午餐")
    # and it is the reason the agent gives
    agent_login(desk, AGENTS["alice"], ready=True, device="phone")
    desk.select_option("#reason", "coaching")
    desk.click("#btn-not-ready")
    expect()(desk.locator("#state-reason")).to_have_text("coaching")
    assert agent_state(kefu, "alice")["reason"] == "coaching"
    wall = pages()
    sign_in(wall, "/wall", *SUPERVISOR)
    expect()(wall.locator("#force-reason option[value=coaching]")).to_have_text("coaching")


def test_english_switch(kefu, pages):
    page = pages()
    sign_in(page, "/desk", "bob", AGENT_PW)
    expect()(page.locator("#btn-ready")).to_have_text("示闲")
    page.click("#shell-lang")
    expect()(page.locator("#btn-ready")).to_have_text("Ready")
    expect()(page.locator("#btn-not-ready")).to_have_text("Not ready")
    expect()(page.locator("#agent-login")).to_have_text("Log in")
    expect()(page.locator("#state-badge")).to_have_text("Logged out")
    expect()(page.locator("#reason option[value=lunch]")).to_have_text("Lunch")
    expect()(page.locator("html")).to_have_attribute("lang", "en")
    assert page.title() == "Agent desktop · Contact centre"
    # remembered: a reload (and the wallboard) stay in English
    page.reload()
    screen_ready(page, "/desk")
    expect()(page.locator("#btn-ready")).to_have_text("Ready")
    expect()(page.locator("#help-panel")).to_contain_text("Hold / resume")
    agent_login(page, AGENTS["bob"], ready=False, device="phone")
    expect()(page.locator("#state-badge")).to_have_text("Not ready")
    expect()(page.locator("#state-reason")).to_have_text("Just logged in")
    page.click("#shell-lang")
    expect()(page.locator("#state-badge")).to_have_text("示忙")
    expect()(page.locator("#shell-lang")).to_have_text("English")
    assert re.fullmatch(r"\d\d:\d\d", page.locator("#state-time").inner_text())


SPECTRUM = """async (freqs) => {
    const ctx = new AudioContext();
    const an = ctx.createAnalyser();
    an.fftSize = 8192;
    ctx.createMediaStreamSource(document.querySelector("#remote-audio").srcObject).connect(an);
    await new Promise((r) => setTimeout(r, 1200));
    const db = new Float32Array(an.frequencyBinCount);
    an.getFloatFrequencyData(db);
    const near = (hz) => {
        const i = Math.round(hz * an.fftSize / ctx.sampleRate);
        return Math.max(db[i - 1], db[i], db[i + 1]);
    };
    const out = { max: Math.max(...db.slice(2)) };
    for (const f of freqs) out[f] = near(f);
    await ctx.close();
    return out; }"""


def _supervised_call(kefu, wall, caller, agent) -> tuple[dict, str]:
    """The caller rings the queue and the agent's phone answers: the call and its row on
    the wallboard."""
    caller.dial(kefu.uri("8002"))
    caller.wait_established()
    agent.wait_established()
    (call,) = wait_for(lambda: [c for c in kefu.api("GET", "/live-calls")[1]
                                if c["caller"] == CALLER], what="the call")
    return call, f"#call-table tr[data-call='{call['call_id']}']"


def _supervisor_mode(kefu, call: dict, mode: str) -> None:
    wait_for(lambda: any(m["number"] == SECOND_CALLER and m["mode"] == mode
                         for m in kefu.api("GET", f"/live-calls/{call['call_id']}")[1]["members"]),
             what=f"the supervisor's line in {mode} mode")


def _share(phone, freq: float, last: float | None = None) -> float:
    """The share of ``freq`` in what ``phone`` heard on its latest call (its last
    ``last`` seconds, or all of it)."""
    samples, rate, _ = audio.read_wav(phone.received_wav_paths()[-1])
    if last is not None:
        samples = samples[-int(last * rate):]
    return audio.tone_power_ratio(samples, rate, freq)


def _release(wall, row: str, *phones) -> None:
    wall.locator(f"{row} button[data-act=release]").click()
    for p in phones:
        p.wait_closed()


def test_supervisor_listens_whispers_and_barges_with_its_own_browser_audio(kefu, pages,
                                                                           phones):
    """The wallboard connects the supervisor's own WebRTC audio on its own (bound)
    extension.  First call: listen brings that line into the call (both voices heard in
    the page, by FFT), whisper reaches the agent and not the caller, force release ends
    the call.  Second call: barge lets the caller hear the supervisor's microphone."""
    agent = phones(AGENTS["alice"], tone=1000, answermode="auto")
    caller = phones(CALLER, tone=440)
    status, body = kefu.api("POST", "/agents/alice/login",
                            {"extension": AGENTS["alice"], "queues": ["support"], "ready": True})
    assert status == 200, body
    status, body = kefu.api("PUT", f"/users/{SUPERVISOR[0]}/extensions",
                            {"extensions": [SECOND_CALLER]})      # her own extension
    assert status == 200, body
    wall = pages()
    sign_in(wall, "/wall", *SUPERVISOR)
    wall.click("#sup-line")                           # no extension typed
    expect()(wall.locator("#sup-line")).to_have_attribute("data-line", "connected",
                                                          timeout=15000)
    call, row = _supervised_call(kefu, wall, caller, agent)
    wall.locator(f"{row} button[data-act=listen]").click()
    _supervisor_mode(kefu, call, "listen")
    time.sleep(1.0)
    heard = wall.evaluate(SPECTRUM, [440, 1000, MIC_TONE])
    assert heard["440"] > heard["max"] - 15 and heard["1000"] > heard["max"] - 15, heard
    assert heard["440"] > -70, heard
    wall.locator(f"{row} button[data-act=whisper]").click()
    _supervisor_mode(kefu, call, "whisper")
    time.sleep(2.0)
    _release(wall, row, caller, agent)
    assert _share(agent, MIC_TONE, 1.5) > 0.15                    # the agent heard it
    assert _share(agent, 440, 1.5) > 0.15                         # ... over the caller
    assert _share(caller, 1000) > 0.3                             # the caller heard the agent
    assert _share(caller, MIC_TONE) < 0.02                        # ... and never the whisper
    wait_for(lambda: agent_state(kefu, "alice")["state"] == "ready", what="alice ready again")

    time.sleep(1.0)                 # baresip names its recordings by the second
    call, row = _supervised_call(kefu, wall, caller, agent)
    wall.locator(f"{row} button[data-act=barge]").click()
    _supervisor_mode(kefu, call, "barge")
    time.sleep(2.0)
    _release(wall, row, caller, agent)
    assert _share(caller, MIC_TONE, 1.5) > 0.15                   # the caller heard it
    # the line went back home: still connected, ready for the next call
    assert wall.evaluate("window.kefuWall.line.state") == "connected"
    wall.click("#sup-line")                       # disconnect
    expect()(wall.locator("#sup-line")).to_have_attribute("data-line", "idle")


def test_desk_phone_auto_answer_is_asked_for_at_login(kefu, pages):
    desk = pages()
    sign_in(desk, "/desk", "bob", AGENT_PW)
    agent_login(desk, AGENTS["bob"], ready=False, device="phone", auto_answer=True)
    body = agent_state(kefu, "bob")
    assert body["device"] == "phone" and body["auto_answer"] is True, body
    desk.click("#agent-logout")
    wait_for(lambda: agent_state(kefu, "bob")["state"] == "logged_out", what="logged out")


def test_supervisor_sets_an_agents_skills_on_the_wallboard(kefu, pages):
    wall = pages()
    sign_in(wall, "/wall", *SUPERVISOR)
    wall.locator("#agent-table tr[data-agent=bob] button[data-act=skills]").click()
    form = wall.locator("#skills-form")
    expect()(form).to_be_visible()
    expect()(wall.locator("#skills-agent")).to_have_text("bob")
    assert form.locator("input[name=sales]").input_value() == "3"
    assert form.locator("input[name=support]").input_value() == ""      # not a member
    form.locator("input[name=support]").fill("4")
    form.locator("button[type=submit]").click()
    expect()(form).to_be_hidden(timeout=3000)
    try:
        assert agent_state(kefu, "bob")["skills"] == {"sales": 3, "support": 4}
        members = kefu.api("GET", "/directory?kind=agent&q=bob")[1]
        assert members and members[0]["value"] == "bob"
        # a level out of range is not sent (the form checks 0-100; the API refuses it too)
        wall.locator("#agent-table tr[data-agent=bob] button[data-act=skills]").click()
        form.locator("input[name=sales]").fill("101")
        form.locator("button[type=submit]").click()
        expect()(form.locator("input[name=sales]:invalid")).to_have_count(1)
        expect()(form).to_be_visible()
        wall.click("#skills-cancel")
        expect()(form).to_be_hidden()
        assert agent_state(kefu, "bob")["skills"] == {"sales": 3, "support": 4}
    finally:
        kefu.api("PUT", "/agents/bob/skills", {"skills": {"sales": 3}})


def test_error_toasts_show_the_reason_of_both_error_shapes(kefu, pages):
    """A 422's validation list (from the schema or raised by a route) and any other
    error's reason string read as one line: what the desk and wallboard toast."""
    status, body = kefu.api("POST", "/auth/login", {"username": SUPERVISOR[0],
                                                    "password": SUPERVISOR[1]}, token="")
    assert status == 200, body
    page = pages("/")
    texts = page.evaluate("""async (token) => {
        const m = await import("/static/shell/api.js");
        const text = (method, path, body) => m.api(method, path, body, { token })
            .then(() => "no error", (err) => m.errorText(err));
        return [await text("GET", "/customers/0"),
                await text("POST", "/announcements", { title: "t", groups: ["nope"] }),
                await text("GET", "/customers/7")];
    }""", body["token"])
    assert texts[0].startswith("422: customer_id: ") and "greater than" in texts[0], texts
    assert texts[1] == "422: groups name unknown queues: nope", texts
    assert texts[2] == "404: customer 7 does not exist", texts
