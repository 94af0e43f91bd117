"""The reports screens in headless Chromium against a real ``kefu serve``.

A day of events (tests/reports/scenario.py: figures worked out by hand there) is written
to the server's log and folded into the summary tables; the admin opens #/reports, picks the agent
summary for that day and sees its charts drawn on canvases (pixels of the Excel palette's
first colour on the bar chart) and its table (ann answered 3, bob 2, total 5), sorts by a
column both ways, drills into bob's detail and comes back, and saves the Excel file (a
zip: "PK", named after the report); then creates a scheduled report and sees it listed,
its delivery log, a 422's reason and a 409 (no mail server) said in words; an agent
has its own three reports and no schedules.
Writes docs/img/reports.png (1366×768)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from .browser import BROWSER_MARKS, expect, screenshot, session_on, shell_server

pytestmark = BROWSER_MARKS

ADMIN = ("admin", "admin-password-1")        # conftest's admin
AGENT = ("amy", "agent-password-1", "1001")
DAY = "2026-12-01"
# the reports' zone UTC, as the scenario's day; a mail server named (nothing is sent: the
# schedule's first slot is tomorrow), so schedules may be saved
EXTRA = '[reports]\ntimezone = "UTC"\n\n[smtp]\nhost = "127.0.0.1"\nport = 2\n'
SCENARIO = Path(__file__).resolve().parents[1] / "reports" / "scenario.py"


def _scenario():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("reports_scenario", SCENARIO)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    from kefu.config import QueueConfig, ReportsSettings
    from kefu.reports.summary import Summaries
    from kefu.store import Store
    with shell_server(tmp_path_factory.mktemp("kefu-reports-pages"), AGENT, extra=EXTRA) as server:
        store = Store(f"sqlite:///{server.data_dir / 'kefu.db'}")
        try:
            store.append_events(_scenario().day())
            # folded as the server's consumer would (its cursor is in the database)
            level = QueueConfig.model_fields["service_level"].default
            Summaries(store.db, lambda _q: level, ReportsSettings().short_abandon).sync()
        finally:
            store.close()
        yield server


@pytest.fixture
def browser(kefu):
    with session_on(kefu) as session:
        yield session


def signed_in(browser, username: str, password: str):
    page = browser.page("/", viewport={"width": 1366, "height": 768})
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-submit")
    expect()(page.locator("#shell-nav")).to_be_visible()
    return page


def go(page, path: str) -> None:
    page.evaluate("(p) => { location.hash = '#' + p; }", path)
    page.wait_for_function("(p) => location.hash === '#' + p", arg=path)


def cells(page, key: str) -> list[str]:
    return page.locator(f"#rp-table tbody td[data-key={key}]").all_inner_texts()


# the drawn pixels of each chart canvas, and those of the palette's first colour (#4472C4)
INKED = """() => [...document.querySelectorAll('#rp-charts canvas')].map((c) => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let ink = 0, blue = 0;
  for (let i = 0; i < d.length; i += 4) {
    if (d[i + 3] > 200 && (d[i] < 230 || d[i + 1] < 230 || d[i + 2] < 230)) ink++;
    if (d[i + 3] > 200 && Math.abs(d[i] - 0x44) < 8 && Math.abs(d[i + 1] - 0x72) < 8 && Math.abs(d[i + 2] - 0xC4) < 8) blue++;
  }
  return [ink, blue];
})"""


def test_the_agent_summary_charts_table_drill_and_excel(kefu, browser) -> None:
    page = signed_in(browser, *ADMIN)
    nav = set(page.locator("#shell-nav a").evaluate_all("(as) => as.map((a) => a.dataset.path)"))
    assert {"/reports", "/reports/schedules"} <= nav
    go(page, "/reports")
    status, listed = kefu.api("GET", "/reports")                  # the seven and the KPIs
    assert status == 200 and len(listed) >= 7, listed
    expect()(page.locator("#rp-list .rp-pick")).to_have_count(len(listed))
    page.click("#rp-list button[data-name=agent_summary]")
    expect()(page.locator("#rp-title")).to_have_text("座席话务统计报表")
    page.fill("#rp-filter input[name=from]", DAY)
    page.fill("#rp-filter input[name=to]", DAY)
    page.click("#rp-run")
    rows = page.locator("#rp-table tbody tr.rp-row")
    expect()(rows).to_have_count(2)
    assert cells(page, "agent") == ["ann", "bob"]
    assert cells(page, "agent_answered") == ["3", "2"]
    assert cells(page, "aht")[1] == "01:05"                      # bob: (70 + 60) / 2 s, m:ss
    totals = page.locator("#rp-totals")
    expect()(totals.locator("td[data-key=agent]")).to_have_text("合计")
    expect()(totals.locator("td[data-key=agent_answered]")).to_have_text("5")
    # the charts: bar, pie, column, each a canvas with ink; the bars in the palette's blue
    charts = page.locator("#rp-charts .rp-chart")
    expect()(charts).to_have_count(3)
    assert charts.evaluate_all("(cs) => cs.map((c) => c.dataset.kind)") == ["bar", "pie", "column"]
    page.wait_for_function("document.querySelectorAll('#rp-charts canvas').length === 3")
    inked = page.evaluate(INKED)
    assert all(ink > 500 for ink, _ in inked), inked
    assert inked[0][1] > 200, inked
    screenshot(page, "reports.png", full_page=False)
    # sorting: a click on 接听 ascending, again descending; the totals stay last
    header = page.locator("#rp-table th[data-key=agent_answered] button")
    header.click()
    assert cells(page, "agent") == ["bob", "ann"]
    expect()(page.locator("#rp-table th[data-key=agent_answered]")).to_have_attribute("aria-sort", "ascending")
    header.click()
    assert cells(page, "agent") == ["ann", "bob"]
    page.locator("#rp-table th[data-key=agent] button").click()
    page.locator("#rp-table th[data-key=agent] button").click()
    assert cells(page, "agent") == ["bob", "ann"]
    expect()(totals.locator("td[data-key=agent_answered]")).to_have_text("5")
    # drill into bob's detail, then back to the summary
    rows.filter(has_text="bob").first.click()
    expect()(page.locator("#rp-viewer[data-depth='2']")).to_be_visible()
    expect()(page.locator("#rp-title")).to_have_text("座席话务统计详细表")
    expect()(page.locator("#rp-table tbody tr.rp-row").first).to_be_visible()
    assert set(cells(page, "agent")) == {"bob"}
    assert cells(page, "what").count("connect") == 2
    page.click("#rp-back")
    expect()(page.locator("#rp-title")).to_have_text("座席话务统计报表")
    expect()(rows).to_have_count(2)
    # English second: the titles, headers and charts follow the shell's language
    page.click("#shell-lang")
    expect()(page.locator("#rp-title")).to_have_text("Agent traffic summary")
    expect()(page.locator("#rp-table th[data-key=agent_answered]")).to_contain_text("Answered")
    expect()(page.locator("#rp-totals td[data-key=agent]")).to_have_text("Total")
    page.wait_for_function("document.querySelectorAll('#rp-charts canvas').length === 3")
    page.click("#shell-lang")
    expect()(page.locator("#rp-title")).to_have_text("座席话务统计报表")
    # the Excel file, fetched with the token and saved under the server's name
    with page.expect_download() as download:
        page.click("#rp-xlsx")
    assert download.value.suggested_filename.startswith("座席话务统计报表-")
    assert download.value.suggested_filename.endswith(".xlsx")
    data = Path(download.value.path()).read_bytes()
    assert data[:2] == b"PK" and len(data) > 5000
    with page.expect_download() as csv_file:
        page.click("#rp-csv")
    assert csv_file.value.suggested_filename == "座席话务统计报表.csv"
    text = Path(csv_file.value.path()).read_text("utf-8-sig")
    assert text.splitlines()[-1].startswith("合计,")
    # every report of the list opens in the viewer with its table, the range carried over
    for name in [e["name"] for e in listed]:
        page.click(f"#rp-list button[data-name={name}]")
        expect()(page.locator(f"#rp-table[data-report={name}]")).to_be_visible()
        expect()(page.locator("#rp-filter input[name=from]")).to_have_value(DAY)
    browser.check()


def test_a_schedule_is_created_listed_and_its_log_opens(kefu, browser) -> None:
    page = signed_in(browser, *ADMIN)
    go(page, "/reports/schedules")
    expect()(page.locator("#rp-sched-table")).to_be_visible()
    page.click("#rp-sched-new")
    form = page.locator("#rp-sched-form")
    form.locator("select[name=report]").select_option("agent_summary")
    form.locator("select[name=frequency]").select_option("weekly")
    form.locator("select[name=weekday]").select_option("0")
    form.locator("input[name=at]").fill("08:30")
    form.locator("input[name=recipients]").fill("boss@example.com, ops@example.com")
    form.locator("input[name=weekday][value='1']").check()        # the report's filter: Mondays
    page.click("#rp-sched-save")
    expect()(form).to_have_count(0)
    row = page.locator("#rp-sched-table tbody tr[data-id]")
    expect()(row).to_have_count(1)
    expect()(row).to_contain_text("座席话务统计报表")
    expect()(row).to_contain_text("每周 一 08:30")
    expect()(row).to_contain_text("boss@example.com, ops@example.com")
    status, listed = kefu.api("GET", "/report-schedules")
    assert status == 200 and len(listed) == 1, listed
    saved = listed[0]
    assert (saved["report"], saved["frequency"], saved["weekday"], saved["at"], saved["filters"]) == \
        ("agent_summary", "weekly", 0, "08:30", {"weekdays": "1"})
    row.locator("button.log").click()
    expect()(page.locator("#rp-deliveries td.muted")).to_have_count(1)
    # a bad address: the API's 422 reason shows in the form, nothing is saved
    page.click("#rp-sched-new")
    form.locator("select[name=report]").select_option("abandon")
    form.locator("input[name=recipients]").fill("not-an-address")
    page.click("#rp-sched-save")
    expect()(page.locator("#rp-sched-problem")).to_contain_text("recipients")
    assert len(kefu.api("GET", "/report-schedules")[1]) == 1
    # a server without a mail server answers 409: the form says so in words
    from kefu.reports.schedule import NO_SMTP
    page.route("**/api/v1/report-schedules", lambda route: route.fulfill(
        status=409, json={"detail": NO_SMTP}) if route.request.method == "POST" else route.continue_())
    form.locator("input[name=recipients]").fill("boss@example.com")
    page.click("#rp-sched-save")
    expect()(page.locator("#rp-sched-problem")).to_contain_text("服务器未配置邮件服务器")
    expect()(page.locator("#rp-sched-problem")).to_contain_text("[smtp] host")
    assert len(kefu.api("GET", "/report-schedules")[1]) == 1
    browser.check()


def test_an_agent_has_its_own_reports_only(kefu, browser) -> None:
    page = signed_in(browser, *AGENT[:2])
    nav = set(page.locator("#shell-nav a").evaluate_all("(as) => as.map((a) => a.dataset.path)"))
    assert "/reports" in nav and "/reports/schedules" not in nav
    go(page, "/reports")
    picks = page.locator("#rp-list .rp-pick")
    expect()(picks).to_have_count(3)
    assert picks.evaluate_all("(bs) => bs.map((b) => b.dataset.name)") == \
        ["agent_summary", "agent_detail", "service_time"]
    # not an agent's screen: back to its first one, not the schedules
    page.evaluate("() => { location.hash = '#/reports/schedules'; }")
    page.wait_for_function("location.hash !== '#/reports/schedules'")
    expect()(page.locator("#rp-schedules")).to_have_count(0)
    browser.check()
