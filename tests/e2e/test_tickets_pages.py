"""The tickets screens in headless Chromium against a real ``kefu serve``.

Every tickets screen opens for the roles that have it (and not for the others) without
an error in the page; the workflow editor draws a new type's diagram as it is edited; the
voicemail page's 转工单 opens the ticket form prefilled from the message.  An agent creates a complaint from the list, the admin
moves it through the built-in workflow with the transitions the API lists (a dialog asks
for the required assignee), writes an internal note and a reply (they look different),
uploads an attachment, sees the activity; a change made elsewhere shows without a reload;
the board offers only the listed transitions; a ticket is made of a voicemail; the
workflow editor shows the API's 422 problem, saves a type, and asks where a dropped state's
open tickets go; the statistics count the complaint.  Writes docs/img/tickets-{list,detail,board,stats,workflow}.png."""

from __future__ import annotations

import time

import pytest

from .audio import write_tone_wav
from .browser import BROWSER_MARKS, expect, screenshot, session_on, shell_server

pytestmark = BROWSER_MARKS

ADMIN = ("admin", "admin-password-1")        # conftest's admin
AGENT = ("amy", "agent-password-1", "1001")
SUPERVISOR = ("sam", "supervisor-password-1")
SCREENS = {"/tickets": "#tk-list", "/tickets/board": "#tk-board-screen",
           "/tickets/types": "#tk-types-screen", "/tickets/stats": "#tk-stats-screen"}
ROLE_SCREENS = {"admin": set(SCREENS), "supervisor": {"/tickets", "/tickets/board", "/tickets/stats"},
                "agent": {"/tickets", "/tickets/board"}}


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    from .conftest import add_user
    with shell_server(tmp_path_factory.mktemp("kefu-tickets-pages"), AGENT) as server:
        add_user(server, SUPERVISOR[0], SUPERVISOR[1], role="supervisor")
        yield server


@pytest.fixture
def browser(kefu):
    with session_on(kefu) as session:
        yield session


@pytest.fixture
def tickets_api(kefu):
    """The tickets API answers (the built-in types are seeded)."""
    status, types = kefu.api("GET", "/ticket-types")
    assert status == 200 and {"complaint", "inquiry"} <= {t["name"] for t in types}, types


def signed_in(browser, username: str, password: str):
    page = browser.page("/")
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-submit")
    expect()(page.locator("#shell-nav")).to_be_visible()
    return page


def go(page, path: str) -> None:
    page.evaluate("(p) => { location.hash = '#' + p; }", path)
    page.wait_for_function("(p) => location.hash === '#' + p", arg=path)


def a_voicemail(server, caller: str = "13912345678") -> int:
    """A message in extension 1001's mailbox (a 3 s tone), written directly as the
    recorder would; its id."""
    from kefu.ivr.voicemail import Mailboxes
    from kefu.store import Store
    status, boxes = server.api("GET", "/ivr/voicemail/mailboxes")
    box = next((b for b in boxes or [] if b["owner"] == AGENT[2]), None) if status == 200 else None
    if box is None:
        status, box = server.api("POST", "/ivr/voicemail/mailboxes",
                                 {"kind": "extension", "owner": AGENT[2], "pin": "1234"})
        assert status == 201, box
    store = Store(f"sqlite:///{server.data_dir / 'kefu.db'}")
    try:
        boxes = Mailboxes(store.db, server.data_dir / "voicemail")
        path = boxes.new_path(box["id"])
        path.parent.mkdir(parents=True, exist_ok=True)
        write_tone_wav(path, 440, 3.0)
        message = boxes.add_message(box["id"], call_id=f"vm-{time.time()}", caller=caller,
                                    duration=3.0, path=path)
    finally:
        store.close()
    return message.id


# --- always: the screens open ------------------------------------------------------------------

@pytest.mark.parametrize("who", ["admin", "supervisor", "agent"])
def test_the_screens_open_for_their_roles_without_page_errors(kefu, browser, who):
    user = {"admin": ADMIN, "supervisor": SUPERVISOR, "agent": AGENT[:2]}[who]
    page = signed_in(browser, *user)
    nav = set(page.locator("#shell-nav a").evaluate_all("(as) => as.map((a) => a.dataset.path)"))
    assert {p for p in SCREENS if p in nav} == ROLE_SCREENS[who], nav
    for path in ROLE_SCREENS[who]:
        go(page, path)
        expect()(page.locator(SCREENS[path])).to_be_visible()
    for path in set(SCREENS) - ROLE_SCREENS[who]:          # not this role's: back to the list
        page.evaluate("(p) => { location.hash = '#' + p; }", path)
        page.wait_for_function("location.hash === '#/tickets'")
        expect()(page.locator("#tk-list")).to_be_visible()
    go(page, "/tickets/424242")                            # one ticket: missing, or not found
    expect()(page.locator("#tk-page[data-id='424242'] #tk-missing")).to_be_visible()
    page.click("#tk-back")
    expect()(page.locator("#tk-list")).to_be_visible()
    page.click("#tk-new")
    expect()(page.locator("#tk-create")).to_be_visible()
    page.click("#tk-create-cancel")
    expect()(page.locator("#tk-table")).to_be_visible()
    page.click("#shell-lang")                              # English second
    expect()(page.locator("#shell-nav a[data-path='/tickets']")).to_have_text("Tickets")
    page.click("#shell-lang")
    expect()(page.locator("#shell-nav a[data-path='/tickets']")).to_have_text("工单")
    browser.check()


def test_the_workflow_editor_draws_a_new_type_as_it_is_edited(kefu, browser):
    page = signed_in(browser, *ADMIN)
    go(page, "/tickets/types")
    page.click("#tk-new-type")
    editor = page.locator("#tk-type-editor")
    expect()(editor).to_be_visible()
    diagram = page.locator("#tk-diagram")
    expect()(diagram.locator("g.node")).to_have_count(2)
    expect()(diagram.locator("g.node.initial")).to_have_attribute("data-state", "open")
    expect()(diagram.locator("g.edge[data-from=open][data-to=closed]")).to_have_count(1)
    # a waiting state, and a transition into it from open
    page.click("#tk-add-state")
    row = page.locator("#tk-states tbody tr").nth(2)
    row.locator("input[name=name]").fill("waiting_parts")
    row.locator("input[name=label_zh]").fill("等配件")
    row.locator("select[name=kind]").select_option("waiting")
    expect()(diagram.locator("g.node.waiting[data-state=waiting_parts]")).to_contain_text("等配件")
    page.click("#tk-add-transition")
    tr = page.locator("#tk-transitions-edit tbody tr").nth(1)
    tr.locator("input[name=name]").fill("wait")
    tr.locator("input[name=label_zh]").fill("等待配件")
    tr.locator("select[name=to]").select_option("waiting_parts")
    edge = diagram.locator("g.edge[data-transition=wait]")
    expect()(edge).to_have_attribute("data-from", "open")
    expect()(edge).to_contain_text("等待配件")
    # renaming a state: the transitions and the diagram follow it
    page.locator("#tk-states tbody tr").nth(0).locator("input[name=name]").fill("doing")
    expect()(diagram.locator("g.edge[data-from=doing]")).to_have_count(2)
    expect()(page.locator("#tk-initial")).to_have_value("doing")
    # a removed state: its transition's target shows as unknown, the diagram leaves it out
    page.locator("#tk-states tbody tr").nth(2).locator("button.remove").click()
    expect()(diagram.locator("g.node")).to_have_count(2)
    expect()(diagram.locator("g.edge[data-transition=wait]")).to_have_count(0)
    expect()(tr.locator("select[name=to]")).to_have_value("waiting_parts")
    page.set_viewport_size({"width": 1366, "height": 768})
    browser.check()


def test_voicemail_opens_the_ticket_form_prefilled(kefu, browser):
    vm = a_voicemail(kefu, "13912345678")
    page = signed_in(browser, *ADMIN)
    go(page, "/ivr/voicemail")
    page.click(f"#ivr-voicemail tr[data-id='{vm}'] button.to-ticket")
    form = page.locator("#tk-create")
    expect()(form).to_be_visible()
    expect()(form.locator("#tk-create-voicemail")).to_have_text(f"#{vm}")
    expect()(form.locator("input[name=number]")).to_have_value("13912345678")
    page.click("#tk-create-cancel")
    expect()(form).to_have_count(0)
    browser.check()


# --- with the tickets API ------------------------------------------------------------------------

def ticket_of(kefu, ticket_id: int, token: str | None = None) -> dict:
    status, ticket = kefu.api("GET", f"/tickets/{ticket_id}", token=token)
    assert status == 200, ticket
    return ticket


def types_of(kefu) -> dict[str, dict]:
    status, types = kefu.api("GET", "/ticket-types")
    assert status == 200, types
    return {t["name"]: t for t in types}


def test_a_complaint_from_the_list_through_its_workflow(kefu, browser, tickets_api, tmp_path):
    agent = signed_in(browser, *AGENT[:2])
    go(agent, "/tickets")
    agent.click("#tk-new")
    form = agent.locator("#tk-create")
    form.locator("#tk-create-type").select_option("complaint")
    form.locator("input[name=title]").fill("宽带三天无法上网")
    form.locator("textarea[name=description]").fill("客户多次报修未果,要求上门")
    form.locator("select[name=priority]").select_option("high")
    form.locator("input[name=number]").fill("13800138000")
    agent.click("#tk-create-submit")
    detail = agent.locator("#tk-page")
    expect()(detail).to_be_visible()
    ticket_id = int(detail.get_attribute("data-id"))
    ticket = ticket_of(kefu, ticket_id)
    assert (ticket["type"], ticket["title"], ticket["priority"], ticket["created_by"]) == \
        ("complaint", "宽带三天无法上网", "high", AGENT[0]), ticket
    expect()(detail).to_have_attribute("data-state", ticket["state"])

    # the admin: the transitions the API lists for it, as buttons; assign asks for the assignee
    page = signed_in(browser, *ADMIN)
    go(page, f"/tickets/{ticket_id}")
    listed = [tr["name"] for tr in ticket_of(kefu, ticket_id)["transitions"]]
    buttons = page.locator("#tk-transitions button[data-transition]")
    expect()(buttons).to_have_count(len(listed))
    assert buttons.evaluate_all("(bs) => bs.map((b) => b.dataset.transition)") == listed
    assign = next(tr for tr in ticket_of(kefu, ticket_id)["transitions"] if "assignee" in tr["required"])
    page.click(f"#tk-transitions button[data-transition='{assign['name']}']")
    dialog = page.locator("#tk-transition")
    dialog.locator("input[name=assignee]").fill("")
    dialog.locator("textarea[name=comment]").fill("请尽快处理")
    dialog.locator("input[name=assignee]").fill(AGENT[0])
    page.click("#tk-transition-submit")
    expect()(dialog).to_have_count(0)
    expect()(page.locator("#tk-page")).to_have_attribute("data-state", assign["to"])
    expect()(page.locator("#tk-fields")).to_contain_text(AGENT[0])
    expect()(page.locator("#tk-activity tr[data-action=transition]")).to_have_count(1)

    # an internal note and a reply to the customer look different
    page.fill("#tk-comment textarea[name=body]", "内部:已联系装维")
    page.click("#tk-comment button[type=submit]")
    expect()(page.locator("#tk-comments li.internal", has_text="内部:已联系装维")).to_have_count(1)
    page.fill("#tk-comment textarea[name=body]", "您好,师傅明天上午上门")
    page.uncheck("#tk-comment input[name=internal]")
    page.click("#tk-comment button[type=submit]")
    expect()(page.locator("#tk-comments li.public", has_text="师傅明天上午上门")).to_have_count(1)
    styles = page.locator("#tk-comments li.internal, #tk-comments li.public").evaluate_all(
        "(ls) => ls.map((l) => getComputedStyle(l).backgroundColor)")
    assert len(set(styles)) == 2, styles

    # an attachment, uploaded and listed; it downloads
    note = tmp_path / "现场照片说明.txt"
    note.write_text("光猫 LOS 灯红\n", encoding="utf-8")
    page.set_input_files("#tk-upload", str(note))
    item = page.locator("#tk-attachments li[data-id]")
    expect()(item).to_contain_text("现场照片说明.txt")
    with page.expect_download() as got:
        item.locator("a.download").click()
    assert got.value.suggested_filename == "现场照片说明.txt"
    screenshot(page, "tickets-detail.png")

    # a change made elsewhere (the API) shows without a reload
    status, _ = kefu.api("PATCH", f"/tickets/{ticket_id}", {"priority": "urgent"})
    assert status == 200
    expect()(page.locator("#tk-fields .tk-prio")).to_have_class("tk-prio urgent")

    # the list: the row with its state and priority; the agent's "mine" finds it
    go(agent, "/tickets")
    agent.check("#tk-filter input[name=mine]")
    agent.click("#tk-search")
    row = agent.locator(f"#tk-table tr[data-id='{ticket_id}']")
    expect()(row).to_contain_text("宽带三天无法上网")
    expect()(row).to_have_attribute("data-state", assign["to"])
    clock = ticket_of(kefu, ticket_id)["sla"]["resolution"]          # its SLA badge
    expect()(row.locator(".tk-sla[data-which=resolution]")).to_have_attribute("data-state", clock["state"])
    agent.set_viewport_size({"width": 1366, "height": 768})
    screenshot(agent, "tickets-list.png", full_page=False)

    # the board: the card in its state's column; only the transitions the API lists
    go(page, "/tickets/board")
    page.select_option("#tk-board-type", "complaint")
    card = page.locator(f"#tk-board .tk-column[data-state='{assign['to']}'] .tk-card[data-id='{ticket_id}']")
    expect()(card).to_contain_text("宽带三天无法上网")
    card.click()
    listed = [tr["name"] for tr in ticket_of(kefu, ticket_id)["transitions"]]
    expect()(page.locator("#tk-move button[data-transition]")).to_have_count(len(listed))
    page.set_viewport_size({"width": 1366, "height": 768})
    screenshot(page, "tickets-board.png", full_page=False)
    page.click("#tk-move-close")
    # dragged onto a state no listed transition reaches: refused here, the card stays
    unreachable = next(s["name"] for s in types_of(kefu)["complaint"]["workflow"]["states"]
                       if s["name"] != assign["to"] and s["name"] not in {tr["to"] for tr in
                                                                         ticket_of(kefu, ticket_id)["transitions"]})
    card.drag_to(page.locator(f"#tk-board .tk-column[data-state='{unreachable}']"))
    expect()(page.locator(".toast.error")).to_be_visible()
    expect()(page.locator("#tk-transition")).to_have_count(0)
    # dragged onto the state one listed transition reaches: its dialog, and the card moves
    way = next(tr for tr in ticket_of(kefu, ticket_id)["transitions"] if tr["to"] != assign["to"])
    card.drag_to(page.locator(f"#tk-board .tk-column[data-state='{way['to']}']"))
    dialog = page.locator(f"#tk-transition[data-transition='{way['name']}']")
    expect()(dialog).to_be_visible()
    if "comment" in way["required"]:
        dialog.locator("textarea[name=comment]").fill("开始处理")
    page.click("#tk-transition-submit")
    expect()(page.locator(f"#tk-board .tk-column[data-state='{way['to']}'] .tk-card[data-id='{ticket_id}']")).to_be_visible()
    assert ticket_of(kefu, ticket_id)["state"] == way["to"]

    # statistics: the complaint counted
    sup = signed_in(browser, *SUPERVISOR)
    go(sup, "/tickets/stats")
    expect()(sup.locator("#tk-by-type tr[data-key=complaint] .total")).not_to_have_text("0")
    sup.set_viewport_size({"width": 1366, "height": 768})
    screenshot(sup, "tickets-stats.png", full_page=False)
    browser.check()


def test_a_ticket_made_of_a_voicemail(kefu, browser, tickets_api):
    vm = a_voicemail(kefu, "13700001111")
    page = signed_in(browser, *ADMIN)
    go(page, "/ivr/voicemail")
    page.click(f"#ivr-voicemail tr[data-id='{vm}'] button.to-ticket")
    form = page.locator("#tk-create")
    form.locator("input[name=title]").fill("留言回电")
    page.click("#tk-create-submit")
    expect()(form).to_have_count(0)
    status, page_ = kefu.api("GET", "/tickets?q=%E7%95%99%E8%A8%80%E5%9B%9E%E7%94%B5")
    assert status == 200 and page_["items"], page_
    ticket = page_["items"][0]
    assert ticket["voicemail_id"] == vm and ticket["number"].endswith("13700001111"), ticket
    browser.check()


def test_the_workflow_editor_saves_and_maps_dropped_states(kefu, browser, tickets_api):
    page = signed_in(browser, *ADMIN)
    go(page, "/tickets/types")
    page.click("#tk-new-type")
    page.fill("#tk-type-editor input[name=name]", "repair")
    page.fill("#tk-type-editor input[name=label_zh]", "报修")
    page.fill("#tk-type-editor input[name=label_en]", "Repair")
    page.click("#tk-add-state")
    row = page.locator("#tk-states tbody tr").nth(2)
    row.locator("input[name=name]").fill("onsite")
    row.locator("input[name=label_zh]").fill("上门")
    row.locator("input[name=label_en]").fill("On site")
    page.click("#tk-add-transition")
    tr = page.locator("#tk-transitions-edit tbody tr").nth(1)
    tr.locator("input[name=name]").fill("dispatch")
    tr.locator("input[name=label_zh]").fill("派工")
    tr.locator("input[name=label_en]").fill("Dispatch")
    tr.locator("select[name=to]").select_option("onsite")
    # a transition into a state that is then removed: the API's problem names it
    row.locator("button.remove").click()
    page.click("#tk-type-save")
    expect()(page.locator("#tk-type-problems")).to_contain_text("onsite")
    page.click("#tk-add-state")
    row = page.locator("#tk-states tbody tr").nth(2)
    row.locator("input[name=name]").fill("onsite")
    row.locator("input[name=label_zh]").fill("上门")
    row.locator("input[name=label_en]").fill("On site")
    page.check("#tk-transitions-edit tr[data-transition=close] input[data-from=onsite]")   # its way out
    page.click("#tk-type-save")
    expect()(page.locator("#tk-types tr[data-name=repair]")).to_have_attribute("data-version", "1")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.evaluate("document.querySelector('#tk-type-editor').scrollIntoView(); window.scrollBy(0, -110)")
    screenshot(page, "tickets-workflow.png", full_page=False)

    # an open ticket in "onsite"; dropping the state asks where it goes
    status, ticket = kefu.api("POST", "/tickets", {"type": "repair", "title": "空调不制冷", "description": ""})
    assert status == 201, ticket
    status, ticket = kefu.api("POST", f"/tickets/{ticket['id']}/transitions", {"transition": "dispatch"})
    assert status == 200 and ticket["state"] == "onsite", ticket
    page.click("#tk-types tr[data-name=repair] button.edit")
    page.locator("#tk-transitions-edit tr[data-transition=dispatch] button.remove").click()
    page.locator("#tk-states tr[data-state=onsite] button.remove").click()
    mapping = page.locator("#tk-state-map label[data-state=onsite] select")
    expect()(mapping).to_be_visible()
    page.click("#tk-type-save")                               # no mapping: the API refuses
    expect()(page.locator("#tk-type-problems")).to_contain_text("onsite")
    mapping.select_option("open")
    page.click("#tk-type-save")
    expect()(page.locator("#tk-types tr[data-name=repair]")).to_have_attribute("data-version", "2")
    assert ticket_of(kefu, ticket["id"])["state"] == "open"
    browser.check()
