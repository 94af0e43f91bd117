"""The customer screens in headless Chromium (1366×768) against a real ``kefu serve``:
the list with its search, a customer's page, the custom fields' admin screen and the
import, each for the roles that may open it.

The screens load for each role and fit the screen, a customer is found by a number
written another way and opened, the forms check what the browser can check before
asking; then search, custom fields, duplicates, merge, delete, export and import.  Writes docs/img/crm-customers.png,
crm-customer.png and crm-import.png."""

from __future__ import annotations

import csv
import io
import urllib.error
import urllib.request

import pytest

from .browser import BROWSER_MARKS, expect, open_screen, screenshot, session_on, shell_server

pytestmark = BROWSER_MARKS

AGENT = ("amy", "agent-password-1", "1001")
SUPERVISOR = ("sam", "supervisor-password-1")
INSPECTOR = ("quinn", "inspector-password-1")
ADMIN = ("admin", "admin-password-1")              # conftest's admin
SMALL = (1366, 768)


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    from .conftest import add_user
    with shell_server(tmp_path_factory.mktemp("kefu-crm-pages"), AGENT) as server:
        add_user(server, SUPERVISOR[0], SUPERVISOR[1], role="supervisor")
        add_user(server, INSPECTOR[0], INSPECTOR[1], role="qa")
        yield server


@pytest.fixture
def browser(kefu):
    with session_on(kefu) as session:
        session.viewport = {"width": SMALL[0], "height": SMALL[1]}
        yield session


@pytest.fixture
def full_api(kefu):
    """The customers' API answers (search, fields, duplicates, merge, import…)."""
    status, body = kefu.api("GET", "/customers/search?q=x")
    assert status == 200, body


def signed_in(browser, username: str, password: str):
    page = browser.page("/")
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-submit")
    expect()(page.locator("#shell-nav")).to_be_visible()
    page.dialogs = []
    page.on("dialog", lambda d: page.dialogs.append(d.message))   # browser.py accepts them
    return page


def nav_paths(page) -> list[str]:
    return page.locator("#shell-nav a").evaluate_all("links => links.map(a => a.dataset.path)")


def fits(page, screen: str = "section.crm") -> None:
    """The screen is no wider than the 1366-pixel display and nothing in it overflows
    (the shell's navigation bar is the shell's: an admin's is wider in English)."""
    right, overflow = page.locator(screen).first.evaluate(
        "el => [el.getBoundingClientRect().right, el.scrollWidth - el.clientWidth]")
    assert right <= SMALL[0] and overflow <= 0, f"{screen} ends at {right} px, overflows {overflow} px"


def served(kefu, path: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{kefu.http_port}{path}", timeout=10):
            return True
    except urllib.error.HTTPError:
        return False


def a_customer(kefu, number: str, name: str, **more) -> dict:
    status, body = kefu.api("POST", "/customers", {"number": number, "name": name, **more})
    assert status == 201, body
    return body


def test_the_screens_load_for_each_role_and_the_forms_check_before_asking(kefu, browser):
    found = a_customer(kefu, "13800138000", "张三")

    # an agent: the list, but no import, no fields, no export
    page = signed_in(browser, AGENT[0], AGENT[1])
    assert "/customers" in nav_paths(page)
    assert "/customers/import" not in nav_paths(page) and "/crm/fields" not in nav_paths(page)
    open_screen(page, "/customers")
    expect()(page.locator("#crm-list")).to_be_visible()
    expect()(page.locator("#crm-export-csv")).to_have_count(0)
    expect()(page.locator("#crm-import-link")).to_have_count(0)
    # found by the number written another way, and opened
    page.fill("#crm-filter input[name=q]", "+86 138-0013-8000")
    page.click("#crm-filter button[type=submit]")
    row = page.locator(f"#crm-table tr[data-id='{found['id']}']")
    expect()(row).to_contain_text("张三")
    expect()(row).to_contain_text("+8613800138000")
    fits(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= SMALL[0]
    row.click()
    screen = page.locator(f"#crm-customer[data-id='{found['id']}']")
    expect()(screen).to_have_attribute("data-state", "ready")
    expect()(page.locator("#crm-customer-form input[name=name]")).to_have_value("张三")
    expect()(page.locator("#crm-customer-form input[name='numbers.0.number']")).to_have_value("+8613800138000")
    expect()(page.locator("#crm-delete")).to_have_count(0)           # agents do not delete
    # the desk's timeline component below, when this kefu has it; else nothing, no error
    if served(kefu, "/static/crm/timeline.js"):
        expect()(page.locator(f"#crm-timeline .timeline[data-customer='{found['id']}']")).to_be_visible()
    else:
        expect()(page.locator("#crm-timeline")).to_have_count(0)
    fits(page)
    # a customer route typed by hand that is no customer: back to the list
    page.evaluate("location.hash = '#/customers/abc'")
    page.wait_for_function("location.hash === '#/customers'")
    # not the agent's screen: the import
    page.evaluate("location.hash = '#/customers/import'")
    page.wait_for_function("location.hash === '#/customers'")

    # a new customer: the browser's own checks, nothing sent
    page.click("#crm-new")
    expect()(page.locator("#crm-customer[data-id='new']")).to_have_attribute("data-state", "ready")
    posted: list[str] = []
    page.on("request", lambda r: r.method == "POST" and "/customers" in r.url and posted.append(r.url))
    page.fill("#crm-customer-form input[name='numbers.0.number']", "")
    page.click("#crm-save")
    expect()(page.locator("#crm-customer-form [data-for=name]")).to_have_text("请至少填写姓名或一个号码")
    emails = page.locator("#crm-customer-form input[name='emails-new']")
    emails.fill("not-an-email")
    emails.press("Enter")
    expect()(page.locator("#crm-customer-form [data-for='emails-new']")).to_have_text(
        "not-an-email 不是有效的邮箱地址")
    expect()(page.locator("[data-name=emails] .crm-chip")).to_have_count(0)
    emails.fill("zhang@example.cn")
    emails.press("Enter")
    expect()(page.locator("[data-name=emails] .crm-chip[data-value='zhang@example.cn']")).to_be_visible()
    tags = page.locator("#crm-customer-form input[name='tags-new']")
    tags.fill("vip")
    tags.press("Enter")
    expect()(page.locator("[data-name=tags] .crm-chip[data-value=vip]")).to_be_visible()
    page.click("[data-name=tags] .crm-chip[data-value=vip] button")
    expect()(page.locator("[data-name=tags] .crm-chip")).to_have_count(0)
    page.click("#crm-add-number")
    expect()(page.locator("#crm-phones .crm-phone")).to_have_count(2)
    assert posted == []
    fits(page)

    # an inspector reads only
    qa = signed_in(browser, *INSPECTOR)
    qa.evaluate(f"location.hash = '#/customers/{found['id']}'")
    expect()(qa.locator("#crm-customer")).to_have_attribute("data-state", "ready")
    expect()(qa.locator("#crm-customer-form input[name=name]")).to_be_disabled()
    expect()(qa.locator("#crm-save")).to_have_count(0)
    qa.evaluate("location.hash = '#/customers'")
    expect()(qa.locator("#crm-new")).to_have_count(0)

    # a supervisor: the import (the upload waits for a file), the export; not the fields
    sup = signed_in(browser, *SUPERVISOR)
    assert "/customers/import" in nav_paths(sup) and "/crm/fields" not in nav_paths(sup)
    open_screen(sup, "/customers")
    expect()(sup.locator("#crm-export-xlsx")).to_be_visible()
    open_screen(sup, "/customers/import")
    expect()(sup.locator("#crm-import-upload")).to_be_disabled()
    expect()(sup.locator("#crm-import-help")).to_contain_text("姓名")
    sup.set_input_files("#crm-import-form input[type=file]", files=[
        {"name": "customers.csv", "mimeType": "text/csv", "buffer": "姓名,电话\n李四,13900139000\n".encode()}])
    expect()(sup.locator("#crm-import-upload")).to_be_enabled()
    fits(sup)

    # an admin: the fields' screen
    admin = signed_in(browser, *ADMIN)
    assert {"/customers", "/customers/import", "/crm/fields"} <= set(nav_paths(admin))
    open_screen(admin, "/crm/fields")
    expect()(admin.locator("#crm-fields")).to_be_visible()
    admin.click("#shell-lang")
    expect()(admin.locator("#shell-nav a[data-path='/crm/fields']")).to_have_text("Customer fields")
    fits(admin)


def test_a_supervisor_edits_a_customer_merges_a_duplicate_and_deletes(kefu, browser, full_api):
    status, _ = kefu.api("POST", "/crm/fields", {"name": "level", "label": "会员级别", "kind": "choice",
                                                 "choices": ["普通", "金卡"], "required": False, "position": 0})
    assert status == 201
    keep = a_customer(kefu, "13700137000", "王五", emails=["wang@example.cn"], company="星辰")
    twin = a_customer(kefu, "137-0013-7000", "王五 ", emails=["wu@example.cn"], tags=["老客户"])
    page = signed_in(browser, *SUPERVISOR)
    open_screen(page, "/customers")
    page.fill("#crm-filter input[name=q]", "wang@example.cn")
    page.click("#crm-filter button[type=submit]")
    expect()(page.locator(f"#crm-table tr[data-id='{keep['id']}']")).to_be_visible()
    expect()(page.locator(f"#crm-table tr[data-id='{twin['id']}']")).to_have_count(0)
    # the likely duplicates across all customers: the two, for the same number
    page.click("#crm-duplicates-link")
    group = page.locator("#crm-all-duplicates .crm-group", has=page.locator(f"tr[data-id='{twin['id']}']"))
    expect()(group).to_contain_text("号码相同")
    group.locator(f"tr[data-id='{keep['id']}'] a").click()
    page.wait_for_function(f"location.hash === '#/customers/{keep['id']}/duplicates'")
    expect()(page.locator("#crm-customer")).to_have_attribute("data-state", "ready")

    # a number that is none: the API's reason at that number
    page.click("#crm-add-number")
    page.fill("#crm-customer-form input[name='numbers.1.number']", "12ab")
    page.click("#crm-save")
    expect()(page.locator("#crm-customer-form [data-for='numbers.1']")).to_contain_text("12ab")
    # then right: a work number, a tag, the custom field
    page.fill("#crm-customer-form input[name='numbers.1.number']", "010 6552 9988")
    page.select_option("#crm-customer-form select[name='numbers.1.label']", "work")
    page.fill("#crm-customer-form input[name='tags-new']", "vip")
    page.press("#crm-customer-form input[name='tags-new']", "Enter")
    page.select_option("#crm-customer-form select[name='fields.level']", "金卡")
    page.fill("#crm-customer-form input[name=birthday]", "1985-06-01")
    page.click("#crm-save")
    expect()(page.locator(".toast", has_text="客户已保存")).to_be_visible()
    status, got = kefu.api("GET", f"/customers/{keep['id']}")
    assert status == 200
    assert [p["number"] for p in got["phones"]] == ["+8613700137000", "+861065529988"], got
    assert got["phones"][1]["label"] == "work", got
    assert got["tags"] == ["vip"] and got["fields"] == {"level": "金卡"}
    assert got["birthday"] == "1985-06-01"

    # the twin (same number) is offered with its reason, and merged in
    dup = page.locator(f"#crm-duplicates-table tr[data-id='{twin['id']}']")
    expect()(dup).to_contain_text("号码相同")
    screenshot(page, "crm-customer.png", full_page=False)
    fits(page)
    dup.locator("input[name=merge]").check()
    page.click("#crm-merge")
    expect()(page.locator(".toast", has_text="已合并")).to_be_visible()
    assert any(f"#{twin['id']}" in m and f"#{keep['id']}" in m for m in page.dialogs), page.dialogs
    assert kefu.api("GET", f"/customers/{twin['id']}")[0] == 404
    status, got = kefu.api("GET", f"/customers/{keep['id']}")
    assert "wu@example.cn" in got["emails"] and "老客户" in got["tags"], got
    expect()(page.locator("[data-name=emails] .crm-chip[data-value='wu@example.cn']")).to_be_visible()

    # the export of what the list shows
    page.click("#crm-back")
    expect()(page.locator(f"#crm-table tr[data-id='{keep['id']}']")).to_contain_text("vip")
    screenshot(page, "crm-customers.png", full_page=False)
    with page.expect_download() as download:
        page.click("#crm-export-csv")
    assert download.value.suggested_filename == "customers.csv"
    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert "王五" in text

    # deleted (no history: no second question)
    page.click(f"#crm-table tr[data-id='{keep['id']}'] a")
    expect()(page.locator("#crm-customer")).to_have_attribute("data-state", "ready")
    page.click("#crm-delete")
    page.wait_for_function("location.hash === '#/customers'")
    assert kefu.api("GET", f"/customers/{keep['id']}")[0] == 404


def test_an_admin_defines_orders_and_deletes_custom_fields(kefu, browser, full_api):
    page = signed_in(browser, *ADMIN)
    open_screen(page, "/crm/fields")
    for name, label, kind in (("Bad Name", "坏", "text"), ("region", "区域", "choice"),
                              ("contract_end", "合同到期", "date")):
        page.click("#crm-field-new")
        page.fill("#crm-field-form input[name=name]", name)
        page.fill("#crm-field-form input[name=label]", label)
        page.select_option("#crm-field-form select[name=kind]", kind)
        if kind == "choice":
            page.fill("#crm-field-form textarea[name=choices]", "华北\n华南")
        page.click("#crm-field-save")
        if name == "Bad Name":
            expect()(page.locator("#crm-field-form [data-for=name]")).to_contain_text("小写字母开头")
            page.click("#crm-field-form button:not([type=submit])")
    rows = page.locator("#crm-fields-table tbody tr[data-name]")
    expect()(page.locator("#crm-fields-table tr[data-name=contract_end]")).to_be_visible()
    names = rows.evaluate_all("rs => rs.map(r => r.dataset.name)")
    page.click("#crm-fields-table tr[data-name=contract_end] button.up")
    expect()(rows.nth(names.index("contract_end") - 1)).to_have_attribute("data-name", "contract_end")
    page.click("#crm-fields-table tr[data-name=region] button.edit")
    page.fill("#crm-field-form input[name=label]", "销售区域")
    page.click("#crm-field-save")
    expect()(page.locator("#crm-fields-table tr[data-name=region]")).to_contain_text("销售区域")
    page.click("#crm-fields-table tr[data-name=region] button.delete")
    expect()(page.locator("#crm-fields-table tr[data-name=region]")).to_have_count(0)
    # the customer page shows the date field as a date input
    page.evaluate("location.hash = '#/customers/new'")
    expect()(page.locator("#crm-customer-form input[name='fields.contract_end']")).to_have_attribute("type", "date")


def test_a_supervisor_imports_a_file_and_reads_the_bad_rows(kefu, browser, full_api, tmp_path):
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["姓名", "电话", "邮箱", "标签"])
    w.writerow(["赵六", "13600136000", "zhao@example.cn", "导入"])
    w.writerow(["钱七", "not a number", "", ""])
    w.writerow(["孙八", "13500135000", "bad-email", ""])
    w.writerow(["周九", "13400134000", "", ""])
    path = tmp_path / "客户.csv"
    path.write_text(out.getvalue(), encoding="utf-8-sig")
    page = signed_in(browser, *SUPERVISOR)
    open_screen(page, "/customers/import")
    page.set_input_files("#crm-import-form input[type=file]", str(path))
    page.click("#crm-import-upload")
    progress = page.locator("#crm-import-progress")
    expect()(progress).to_have_attribute("data-state", "done", timeout=30_000)
    expect()(page.locator("#crm-import-summary")).to_have_text("新建 2,更新 0,失败 2")
    expect()(page.locator("#crm-import-errors tbody tr")).to_have_count(2)
    expect()(page.locator("#crm-import-errors tbody")).to_contain_text("not a number")
    fits(page)
    screenshot(page, "crm-import.png", full_page=False)
    with page.expect_download() as download:
        page.click("#crm-import-errors-csv")
    assert download.value.suggested_filename == "errors.csv"
    assert "bad-email" in open(download.value.path(), encoding="utf-8-sig").read()
    status, found = kefu.api("GET", "/customers?number=136-0013-6000")
    assert status == 200 and found[0]["name"] == "赵六" and found[0]["tags"] == ["导入"]


def test_a_customer_with_history_is_deleted_only_by_an_admin_who_insists(kefu, browser, full_api):
    status, body = kefu.api("POST", "/calls/crm-pages-1/notes", {
        "number": "13300133000", "type": "inquiry", "result": "resolved", "name": "有记录"})
    assert status == 201, body
    cid = body["customer"]["id"]
    sup = signed_in(browser, *SUPERVISOR)
    sup.evaluate(f"location.hash = '#/customers/{cid}'")
    expect()(sup.locator("#crm-customer")).to_have_attribute("data-state", "ready")
    sup.click("#crm-delete")
    expect()(sup.locator(".toast.error")).to_contain_text("409")
    assert kefu.api("GET", f"/customers/{cid}")[0] == 200
    admin = signed_in(browser, *ADMIN)
    admin.evaluate(f"location.hash = '#/customers/{cid}'")
    expect()(admin.locator("#crm-customer")).to_have_attribute("data-state", "ready")
    admin.click("#crm-delete")
    admin.wait_for_function("location.hash === '#/customers'")
    assert len(admin.dialogs) == 2 and "有记录" in admin.dialogs[0], admin.dialogs
    assert kefu.api("GET", f"/customers/{cid}")[0] == 404


def test_the_list_pages_through_a_tag_and_filters_export_the_same(kefu, browser, full_api):
    for i in range(23):
        a_customer(kefu, f"1590015{i:04d}", f"批量{i:02d}", tags=["批量"])
    page = signed_in(browser, *SUPERVISOR)
    open_screen(page, "/customers")
    page.select_option("#crm-limit", "20")
    page.fill("#crm-filter input[name=tag]", "批量")
    page.click("#crm-filter button[type=submit]")
    expect()(page.locator("#crm-range")).to_have_text("第 1–20 条,共 23 条")
    expect()(page.locator("#crm-table tbody tr.crm-row")).to_have_count(20)
    page.click("#crm-next")
    expect()(page.locator("#crm-range")).to_have_text("第 21–23 条,共 23 条")
    expect()(page.locator("#crm-next")).to_be_disabled()
    with page.expect_download() as download:
        page.click("#crm-export-csv")
    rows = list(csv.reader(open(download.value.path(), encoding="utf-8-sig")))
    assert len(rows) == 1 + 23, rows[:3]                 # the filter's customers, not all
