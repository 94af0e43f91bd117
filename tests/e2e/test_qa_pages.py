"""Quality inspection in headless Chromium against a real ``kefu serve``: an inspector
(role ``qa``) writes a scorecard (a bad one first: the problem names the criterion), finds
a recording (a row and a WAV made directly), scores it on the scoring page with a comment
at a time position, and submits; the agent signs in, sees the score and the comment, and
acknowledges.  The score is on the recording (search by score finds it); the call is put
on the good-example list (and tagged), the summary shows it, the agent finds it.  Writes
docs/img/qa-scoring.png and docs/img/qa-mine.png.

The player is the recordings slice's (a ticket for the audio, the waveform from the
server's peaks), the comments drawn on it as markers."""

from __future__ import annotations

import json
import time

import pytest
import yaml

from .audio import write_tone_wav
from .browser import BROWSER_MARKS, expect, open_screen, screenshot, session_on, shell_server

pytestmark = BROWSER_MARKS

AGENT = ("amy", "agent-password-1", "1001")
INSPECTOR = ("quinn", "inspector-password-1")

CARD = {"name": "热线标准", "description": "",
        "sections": [
            {"title": "开场", "criteria": [
                {"key": "greeting", "label": "标准问候语", "weight": 1, "kind": "yes_no"},
                {"key": "identity", "label": "核实身份", "weight": 0, "kind": "yes_no",
                 "critical": True}]},
            {"title": "服务", "criteria": [
                {"key": "courtesy", "label": "礼貌用语", "weight": 2, "kind": "scale_5"},
                {"key": "solved", "label": "问题解决", "weight": 2, "kind": "scale_10"}]}]}


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    from .conftest import add_user
    with shell_server(tmp_path_factory.mktemp("kefu-qa-pages"), AGENT) as server:
        add_user(server, INSPECTOR[0], INSPECTOR[1], role="qa")
        yield server


@pytest.fixture
def browser(kefu):
    with session_on(kefu) as session:
        yield session


def a_recording(server, call_id: str = "qa-call-1") -> int:
    """A recorded call of amy's: the WAV (a 440 Hz tone, 20 s) and its row, written
    directly (as the recorder and the recordings slice would)."""
    from kefu.recordings.service import Recording, Recordings
    from kefu.store import Store
    path = server.data_dir / "recordings" / f"{call_id}.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_tone_wav(path, 440, 20.0)
    store = Store(f"sqlite:///{server.data_dir / 'kefu.db'}")
    try:
        rec = Recordings(store.db).save(Recording(
            id=0, call_id=call_id, segment=1, journey=call_id, caller="13800138000",
            callee="800", started_at=time.time() - 3600, duration=20.0, agent=AGENT[0],
            queue="support", customer_id=None, direction="inbound", disposition="answered",
            policy="all", tier="live", path=str(path), codec="wav",
            size=path.stat().st_size, sha256=None, state="done"))
    finally:
        store.close()
    return rec.id


def signed_in(browser, username: str, password: str):
    page = browser.page("/")
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-submit")
    expect()(page.locator("#shell-nav")).to_be_visible()
    return page


def test_an_inspector_scores_a_call_and_the_agent_acknowledges(kefu, browser):
    rec_id = a_recording(kefu)
    status, _ = kefu.api("POST", f"/recordings/{rec_id}/ticket")
    assert status == 200                 # the inspector may hear it (no groups: all)
    page = signed_in(browser, *INSPECTOR)

    # the scorecard: a bad weight is refused naming the criterion, then saved
    open_screen(page, "/qa/scorecards")
    bad = json.loads(json.dumps(CARD))
    bad["sections"][1]["criteria"][0]["weight"] = 500
    page.fill("#qa-card-text", json.dumps(bad, ensure_ascii=False))
    page.click("#qa-card-save")
    expect()(page.locator("#qa-card-problem")).to_contain_text(
        "criterion `courtesy`: weight must be a number from 0 to 100")
    page.fill("#qa-card-text", yaml.safe_dump(CARD, allow_unicode=True))   # YAML works too
    page.click("#qa-card-save")
    expect()(page.locator("#qa-cards tr[data-name='热线标准']")).to_have_attribute("data-version", "1")
    expect()(page.locator("#qa-card-problem")).to_have_text("")

    # find amy's call and score it
    open_screen(page, "/qa/inspect")
    expect()(page.locator("#qa-card option")).to_have_count(1)
    page.fill("#qa-search input[name=agent]", AGENT[0])
    page.click("#qa-search button[type=submit]")
    page.click(f"#qa-recordings tr[data-id='{rec_id}'] button.score")
    scoring = page.locator("#qa-eval")
    expect()(scoring).to_have_attribute("data-state", "draft")
    player = page.locator(".qa-player")
    expect()(player).to_have_attribute("data-state", "ready")   # the recordings' player
    page.wait_for_function("document.querySelector('.qa-player audio').duration > 19")
    expect()(player.locator("canvas").first).to_be_visible()     # its waveform
    for key, value in (("greeting", "yes"), ("identity", "yes"), ("courtesy", "4")):
        page.select_option(f"#qa-answers select[name={key}]", value)
    expect()(page.locator("#qa-total")).to_have_text("—")          # not all answered yet
    page.select_option("#qa-answers select[name=solved]", "5")
    # greeting 1×1 + courtesy 0.75×2 + solved 0.5×2 = 3.5 of 5
    expect()(page.locator("#qa-total")).to_have_text("70")
    page.fill("#qa-comment input[name=at]", "12.5")
    page.fill("#qa-comment input[name=text]", "没有主动核实客户身份")
    page.click("#qa-comment button[type=submit]")
    expect()(page.locator("#qa-comments li[data-at='12.5']")).to_contain_text("00:12")
    screenshot(page, "qa-scoring.png")
    page.click("#qa-submit")
    expect()(scoring).to_have_attribute("data-state", "submitted")

    # a good example for trainers (tagged on the recording), and the summary
    page.select_option("#qa-example select[name=kind]", "good")
    page.fill("#qa-example input[name=note]", "礼貌用语规范")
    page.click("#qa-example button[type=submit]")
    expect()(page.locator(".toast", has_text="已加入培训案例")).to_be_visible()
    open_screen(page, "/qa/summary")
    expect()(page.locator("#qa-by-agent tr[data-key=amy] .mean")).to_have_text("70")
    expect()(page.locator("#qa-by-criterion tr[data-key=courtesy] .mean")).to_have_text("75")
    status, found = kefu.api("GET", f"/recordings/{rec_id}")
    assert status == 200 and found["qa_score"] == 70.0 and found["tags"] == ["good_example"], found

    # the agent sees the score and the comment, and acknowledges
    agent = signed_in(browser, AGENT[0], AGENT[1])
    open_screen(agent, "/qa/mine")
    card = agent.locator("#qa-mine article").first
    expect()(card).to_have_attribute("data-state", "submitted")
    expect()(card.locator(".score")).to_have_text("70")
    expect()(card.locator(".comments li")).to_contain_text("没有主动核实客户身份")
    expect()(card.locator(".comments li .at")).to_have_text("00:12")
    expect()(card.locator("tr[data-key=courtesy]")).to_contain_text("4")
    screenshot(agent, "qa-mine.png")
    card.locator("button.ack").click()
    expect()(card).to_have_attribute("data-state", "acknowledged")
    expect()(card.locator("button.ack")).to_have_count(0)
    status, evaluations = kefu.api("GET", f"/qa/evaluations?recording_id={rec_id}")
    assert [e["state"] for e in evaluations] == ["acknowledged"], evaluations
    open_screen(agent, "/qa/examples")
    expect()(agent.locator(f"#qa-good-examples tr[data-id='{rec_id}']")).to_contain_text("礼貌用语规范")


def test_a_dispute_goes_back_to_the_inspector_who_revises(kefu, browser):
    """Scored through the API (by the admin, an inspector too); the agent disputes in the
    browser with a reason; the admin sees the reason on the scoring page, changes an
    answer and revises; the agent sees the new score."""
    rec_id = a_recording(kefu, "qa-call-2")
    status, cards = kefu.api("GET", "/qa/scorecards")
    if not cards:
        status, card = kefu.api("POST", "/qa/scorecards", CARD)
        cards = [card]
    status, ev = kefu.api("POST", "/qa/evaluations",
                          {"recording_id": rec_id, "scorecard_id": cards[0]["id"]})
    assert status == 201, ev
    status, ev = kefu.api("POST", f"/qa/evaluations/{ev['id']}/submit", {"answers": {
        "greeting": True, "identity": True, "courtesy": 1, "solved": 10}})
    assert (status, ev["score"]) == (200, 60.0), ev

    agent = signed_in(browser, AGENT[0], AGENT[1])
    open_screen(agent, "/qa/mine")
    card = agent.locator(f"#qa-mine article[data-id='{ev['id']}']")
    expect()(card.locator(".score")).to_have_text("60")
    card.locator("input.reason").fill("我全程使用了礼貌用语")
    card.locator("button.dispute").click()
    expect()(card).to_have_attribute("data-state", "disputed")

    page = signed_in(browser, "admin", "admin-password-1")
    open_screen(page, "/qa/inspect")
    page.click(f"#qa-my-evaluations tr[data-id='{ev['id']}'] a")
    expect()(page.locator("#qa-dispute")).to_contain_text("我全程使用了礼貌用语")
    page.select_option("#qa-answers select[name=courtesy]", "5")
    page.fill("#qa-resolution", "复听确认,已更正")
    page.click("#qa-revise")
    expect()(page.locator("#qa-eval")).to_have_attribute("data-state", "revised")
    expect()(page.locator("#qa-total")).to_have_text("100")

    agent.reload()
    expect()(agent.locator("#shell-nav")).to_be_visible()
    open_screen(agent, "/qa/mine")
    card = agent.locator(f"#qa-mine article[data-id='{ev['id']}']")
    expect()(card).to_have_attribute("data-state", "revised")
    expect()(card.locator(".score")).to_have_text("100")
    expect()(card.locator(".notes")).to_contain_text("复听确认,已更正")
