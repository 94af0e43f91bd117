"""The recordings screens in headless Chromium against a real ``kefu serve`` holding real
recording rows: the search (every filter sent under the API's names, the agent and
number filters narrowing the real results, sortable columns, pages, duration and time
formatted, QA score and tags shown); a recording's page: the waveform drawn from the
server's peaks (pixels on both channels' canvases), the paused span marked, play (the
audio's clock advances, by Range requests), speed 2× (the clock runs about twice as
fast), seeking by a click on the waveform and by the skip button, download, and the
customer's journey (click the second segment: its player loads); the player as a
component of another page (markers at times, seek from outside, the time reported out);
the audit page for admins with its CSV export, hidden from inspectors.  Writes
docs/img/recordings.png.

The routes the recordings API adds beside search and get (ticket, audio, peaks,
segments, audit) are served by this test while they are not on the server: fixed JSON
through the browser's request interception and a WAV over a small HTTP server of the
test's own that answers Range requests (as the real audio URL does).  Once the server has
a route (its OpenAPI lists it) the test leaves it to the server: the rows point at a real
WAV in the data directory."""

from __future__ import annotations

import json
import math
import re
import struct
import threading
import time
import urllib.request
import wave
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from .browser import BROWSER_MARKS, expect, open_screen, screenshot, session_on, shell_server

pytestmark = BROWSER_MARKS

ADMIN = ("admin", "admin-password-1")       # conftest's admin
AGENT = ("amy", "agent-password-1", "1001")
INSPECTOR = ("qi", "inspector-password-1")
RATE = 8000
SECONDS = 20.0
PAUSED = (8.0, 11.0)                        # the paused span: silence in the file


def write_wav(path: Path) -> None:
    """Stereo 8 kHz 16-bit like the recorder's, a conversation of tones in turns of 2.5 s:
    440 Hz on the left (the customer) then 1 kHz on the right (the agent), in syllables
    (a 3 Hz envelope); silence in ``PAUSED``."""
    frames = bytearray()
    for i in range(int(SECONDS * RATE)):
        at = i / RATE
        quiet = PAUSED[0] <= at < PAUSED[1]
        envelope = 0.0 if quiet else 0.25 + 0.75 * abs(math.sin(math.pi * 3 * at))
        customer = int(at / 2.5) % 2 == 0
        left = int(envelope * 14000 * math.sin(2 * math.pi * 440 * at)) if customer else 0
        right = 0 if customer else int(envelope * 9000 * math.sin(2 * math.pi * 1000 * at))
        frames += struct.pack("<hh", left, right)
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(bytes(frames))


def peaks_of(path: Path, points: int) -> dict:
    """What GET …/peaks answers: each channel's loudest sample per slice, 0..1."""
    with wave.open(str(path)) as w:
        n = w.getnframes()
        samples = struct.unpack(f"<{2 * n}h", w.readframes(n))
    left, right = samples[0::2], samples[1::2]
    step = max(1, n // points)

    def channel(xs: tuple[int, ...]) -> list[float]:
        return [round(max(abs(x) for x in xs[i:i + step]) / 32768, 4) for i in range(0, n, step)]
    return {"duration": n / RATE, "left": channel(left), "right": channel(right)}


@contextmanager
def audio_server(path: Path) -> Iterator[Any]:
    """The audio URL's stand-in: GET /audio answers with the WAV, 206 for a Range request;
    /download as an attachment.  ``server.ranges`` lists the Range headers seen."""
    body = path.read_bytes()
    ranges: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            start, end = 0, len(body) - 1
            asked = self.headers.get("Range")
            if asked and self.path.startswith("/audio"):
                ranges.append(asked)
                first, _, last = asked.removeprefix("bytes=").partition("-")
                start = int(first or 0)
                end = min(int(last), end) if last else end
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{end}/{len(body)}")
            else:
                self.send_response(200)
            self.send_header("Content-Type", "audio/wav")
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Length", str(end - start + 1))
            if self.path.startswith("/download"):
                self.send_header("Content-Disposition", 'attachment; filename="recording.wav"')
            self.end_headers()
            try:
                self.wfile.write(body[start:end + 1])
            except (BrokenPipeError, ConnectionResetError):   # the player moved on
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.ranges = ranges  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def save_recordings(kefu: Any, wav: Path) -> dict[str, Any]:
    """The rows: a call in two segments (amy, then bob after a transfer), another of
    bob's, and 22 more so the results have pages.  Returns them by name."""
    from kefu.recordings.records import Recording
    from kefu.recordings.service import Recordings
    from kefu.store import Store

    now = time.time()
    base = dict(customer_id=None, direction="inbound", disposition="answered", policy="all",
                tier="live", path=str(wav), codec="wav", size=wav.stat().st_size, sha256=None,
                state="done", paused=(PAUSED,))
    store = Store(f"sqlite:///{(kefu.data_dir / 'kefu.db').resolve()}")
    recordings = Recordings(store.db)
    try:
        out = {
            "first": recordings.save(Recording(
                id=0, call_id="call-a", segment=1, journey="call-a", caller="13800138000",
                callee="800", started_at=now - 3600, duration=SECONDS, agent="amy", queue="sales",
                **base)),
            "second": recordings.save(Recording(
                id=0, call_id="call-a", segment=2, journey="call-a", caller="13800138000",
                callee="1002", started_at=now - 3580, duration=SECONDS, agent="bob", queue="sales",
                **base)),
            "other": recordings.save(Recording(
                id=0, call_id="call-b", segment=1, journey="call-b", caller="13900000000",
                callee="800", started_at=now - 7200, duration=45.0, agent="bob", queue="support",
                **base)),
        }
        recordings.set_score(out["first"].id, 92.0)
        out["first"] = recordings.set_tags(out["first"].id, ["表扬", "投诉"])
        for i in range(22):
            recordings.save(Recording(
                id=0, call_id=f"call-n{i}", segment=1, journey=f"call-n{i}", caller=f"1370000{i:04d}",
                callee="800", started_at=now - 86400 - 60 * i, duration=30.0 + i, agent="cat",
                queue="sales", **base))
    finally:
        store.close()
    return out


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    from .conftest import add_user
    with shell_server(tmp_path_factory.mktemp("kefu-recordings-pages"), AGENT) as server:
        add_user(server, INSPECTOR[0], INSPECTOR[1], role="qa")
        yield server


@pytest.fixture(scope="module")
def wav(kefu) -> Path:
    path = kefu.data_dir / "recordings" / "call-a-1.wav"
    write_wav(path)
    return path


@pytest.fixture(scope="module")
def rows(kefu, wav) -> dict[str, Any]:
    return save_recordings(kefu, wav)


@pytest.fixture(scope="module")
def audio(wav):
    with audio_server(wav) as server:
        yield server


ROUTES = {"ticket": "/api/v1/recordings/{recording_id}/ticket",
          "peaks": "/api/v1/recordings/{recording_id}/peaks",
          "segments": "/api/v1/recordings/{recording_id}/segments",
          "audit": "/api/v1/recordings/audit"}


def missing_routes(kefu: Any) -> list[str]:
    """The recordings routes this test serves because the server has not got them."""
    with urllib.request.urlopen(f"http://127.0.0.1:{kefu.http_port}/api/v1/openapi.json") as r:
        paths = json.load(r)["paths"]
    return [name for name, path in ROUTES.items() if path not in paths]


def serve_missing_routes(context: Any, kefu: Any, rows: dict[str, Any], audio: Any, wav: Path) -> list[str]:
    """Answer, in the browser, the recordings routes the server does not have yet; the
    names of those served."""
    from kefu.recordings.schemas import RecordingOut

    base = f"http://127.0.0.1:{audio.server_address[1]}"
    journey = [RecordingOut.of(rows["first"]).model_dump(), RecordingOut.of(rows["second"]).model_dump()]
    audit = [{"id": 2, "at": time.time() - 60, "username": "qi", "action": "play",
              "recording_id": rows["first"].id, "address": "127.0.0.1", "detail": ""},
             {"id": 1, "at": time.time() - 120, "username": "admin", "action": "download",
              "recording_id": rows["other"].id, "address": "127.0.0.1", "detail": "wav"}]
    csv = "id,at,username,action,recording_id,address,detail\n2,0,qi,play,1,127.0.0.1,\n"
    answers = {
        "ticket": lambda q: {"audio": f"{base}/audio?t=1", "download": f"{base}/download?t=1",
                             "expires": time.time() + 300},
        "peaks": lambda q: peaks_of(wav, int(q.get("points", ["800"])[0])),
        "segments": lambda q: journey,
        "audit": lambda q: audit,
    }
    missing = missing_routes(kefu)

    def handle(route: Any) -> None:
        url = urlsplit(route.request.url)
        parts = url.path.split("/")          # ['', 'api', 'v1', 'recordings', x, y?]
        q = parse_qs(url.query)
        if url.path == "/api/v1/recordings/audit.csv":
            return route.fulfill(status=200, body=csv, content_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": 'attachment; filename="audit.csv"'})
        name = "audit" if parts[4] == "audit" else parts[5]
        return route.fulfill(status=200, json=answers[name](q))

    def wanted(url: str) -> bool:
        path = urlsplit(url).path
        if not path.startswith("/api/v1/recordings/"):
            return False
        tail = path.split("/")[4:]
        if tail[0] in ("audit", "audit.csv"):
            return "audit" in missing
        return len(tail) == 2 and tail[1] in missing

    if missing:
        context.route(wanted, handle)
    return missing


@pytest.fixture
def browser(kefu):
    with session_on(kefu) as session:
        yield session


def signed_in(browser: Any, kefu: Any, rows: Any, audio: Any, wav: Path, username: str, password: str):
    page = browser.page()
    serve_missing_routes(page.context, kefu, rows, audio, wav)
    page.goto("/")
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-submit")
    expect()(page.locator("#shell-nav")).to_be_visible()
    return page


def searches(page: Any) -> list[dict[str, list[str]]]:
    """Record the search requests the page makes: their query strings, parsed."""
    seen: list[dict[str, list[str]]] = []
    page.on("request", lambda r: urlsplit(r.url).path == "/api/v1/recordings"
            and seen.append(parse_qs(urlsplit(r.url).query)))
    return seen


def media(page: Any, prop: str) -> float:
    return float(page.evaluate(f"document.querySelector('#player-audio').{prop}"))



def waveform(page: Any, within: str = "") -> dict:
    """The waveform's canvases (in wavesurfer's shadow root): their size and how many of
    their pixels are painted; and the regions drawn over it."""
    return page.evaluate("""(within) => {
      const root = document.querySelector(`${within} #player-wave`).firstElementChild.shadowRoot;
      const canvases = [...root.querySelectorAll('.canvases canvas')].map((c) => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < d.length; i += 4) if (d[i]) painted++;
        return { width: c.width, height: c.height, top: c.getBoundingClientRect().top, painted };
      });
      const regions = [...root.querySelectorAll('[part~=region], [part~=marker]')].map((r) => r.textContent);
      return { canvases, regions };
    }""", within)


def test_search_filters_sorts_and_pages(browser, kefu, rows, audio, wav):
    page = signed_in(browser, kefu, rows, audio, wav, *INSPECTOR)
    sent = searches(page)
    page.wait_for_function("location.hash === '#/recordings'")        # the inspector's first screen
    expect()(page.locator("#shell-nav a[data-path='/recordings/audit']")).to_have_count(0)
    expect()(page.locator("#rec-range")).to_have_text("第 1–25 条,共 25 条")
    first = page.locator(f"#rec-table tr[data-id='{rows['first'].id}']")
    expect()(first.locator("td").nth(5)).to_have_text("00:20")              # duration formatted
    expect()(first.locator(".rec-score")).to_have_text("92")
    expect()(first.locator(".rec-tag")).to_have_text(["投诉", "表扬"])
    expect()(first.locator("td").nth(6)).to_have_text("已接听")
    started = page.locator(f"#rec-table tr[data-id='{rows['other'].id}'] td").first.inner_text()
    assert ":" in started and "." not in started.split()[-1], started    # a local time, no epoch
    expect()(page.locator(f"#rec-table tr[data-id='{rows['other'].id}'] td[data-seconds='45']")).to_have_text("00:45")

    # every filter goes out under the API's name
    form = page.locator("#rec-filter")
    values = {"agent": "bob", "number": "139", "queue": "support", "since": "2026-12-01T08:00",
              "until": "2026-12-02T18:30", "customer_id": "7", "min_duration": "10",
              "max_duration": "600", "min_score": "60", "max_score": "95", "tags": "表扬, 投诉"}
    for name, value in values.items():
        form.locator(f"input[name={name}]").fill(value)
    form.locator("select[name=disposition]").select_option("answered")
    form.locator("button[type=submit]").click()
    deadline = time.monotonic() + 5
    while "queue" not in (sent[-1] if sent else {}) and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    q = sent[-1]

    def local(text: str) -> str:         # the browser's local time, as the page sends it
        return str(int(time.mktime(time.strptime(text, "%Y-%m-%dT%H:%M"))))
    assert q == {
        "agent": ["bob"], "number": ["139"], "queue": ["support"],
        "since": [local(values["since"])], "until": [local(values["until"])],
        "customer_id": ["7"], "min_duration": ["10"], "max_duration": ["600"], "disposition": ["answered"],
        "min_score": ["60"], "max_score": ["95"], "tags": ["表扬", "投诉"],
        "sort": ["started_at"], "descending": ["true"], "offset": ["0"], "limit": ["50"]}, q

    # the agent and number filters narrow the server's results
    form.locator("button[type=reset]").click()
    expect()(page.locator("#rec-range")).to_have_text("第 1–25 条,共 25 条")
    form.locator("input[name=agent]").fill("bob")
    form.locator("button[type=submit]").click()
    expect()(page.locator("#rec-table tbody tr")).to_have_count(2)
    form.locator("input[name=number]").fill("139")
    form.locator("button[type=submit]").click()
    expect()(page.locator("#rec-table tbody tr")).to_have_count(1)
    expect()(page.locator(f"#rec-table tr[data-id='{rows['other'].id}']")).to_be_visible()
    form.locator("button[type=reset]").click()

    # a column sorts, a second click reverses
    page.click("#rec-table th[data-sort=duration] button")
    expect()(page.locator("#rec-table th[data-sort=duration]")).to_have_attribute("aria-sort", "descending")
    page.wait_for_timeout(300)
    assert sent[-1]["sort"] == ["duration"] and sent[-1]["descending"] == ["true"], sent[-1]
    page.click("#rec-table th[data-sort=duration] button")
    expect()(page.locator("#rec-table th[data-sort=duration]")).to_have_attribute("aria-sort", "ascending")
    page.wait_for_timeout(300)
    assert sent[-1]["descending"] == ["false"], sent[-1]

    # pages
    page.select_option("#rec-limit", "20")
    expect()(page.locator("#rec-range")).to_have_text("第 1–20 条,共 25 条")
    expect()(page.locator("#rec-table tbody tr")).to_have_count(20)
    expect()(page.locator("#rec-prev")).to_be_disabled()
    page.click("#rec-next")
    expect()(page.locator("#rec-range")).to_have_text("第 21–25 条,共 25 条")
    expect()(page.locator("#rec-table tbody tr")).to_have_count(5)
    expect()(page.locator("#rec-next")).to_be_disabled()
    assert sent[-1]["offset"] == ["20"] and sent[-1]["limit"] == ["20"], sent[-1]

    # English second
    page.click("#shell-lang")
    expect()(page.locator("#rec-table th[data-sort=duration]")).to_contain_text("Length")
    expect()(page.locator("#rec-range")).to_have_text("21–25 of 25")
    page.click("#shell-lang")

    # a route below that names no recording: back to the search
    page.evaluate("location.hash = '#/recordings/audit'")           # an admin's screen
    page.wait_for_function("location.hash === '#/recordings'")


def test_the_player_plays_seeks_changes_speed_and_switches_segments(browser, kefu, rows, audio, wav):
    page = signed_in(browser, kefu, rows, audio, wav, *ADMIN)
    first, second = rows["first"].id, rows["second"].id
    open_screen(page, "/recordings")
    page.click(f"#rec-table tr[data-id='{first}'] a")
    page.wait_for_function(f"location.hash === '#/recordings/{first}'")
    expect()(page.locator("#player[data-state=ready]")).to_be_visible()
    expect()(page.locator("#player-time")).to_have_text("00:00 / 00:20")
    expect()(page.locator("#rec-details")).to_contain_text("13800138000")

    # the waveform: both channels painted, the paused span marked
    page.wait_for_function("""() => {
      const root = document.querySelector('#player-wave').firstElementChild?.shadowRoot;
      return root && root.querySelectorAll('.canvases canvas').length >= 2;
    }""")
    drawn = waveform(page)
    canvases = drawn["canvases"]
    assert len(canvases) >= 2 and all(c["painted"] > 500 for c in canvases), canvases
    assert len({c["top"] for c in canvases}) >= 2, canvases          # one above the other
    assert drawn["regions"] == ["暂停录音"], drawn["regions"]

    # play: the audio clock advances (fetched by Range requests)
    page.click("#player-play")
    page.wait_for_function("document.querySelector('#player-audio').currentTime > 1.0", timeout=10000)
    expect()(page.locator("#player")).to_have_attribute("data-playing", "1")
    expect()(page.locator("#player-play")).to_have_text("暂停")
    if "ticket" in missing_routes(kefu):          # the test's audio server
        assert audio.ranges, "the audio was not fetched by Range requests"

    # speed 2×: the clock runs about twice as fast as the wall clock
    page.select_option("#player-rate", "2")
    assert media(page, "playbackRate") == 2
    t0, w0 = media(page, "currentTime"), time.monotonic()
    page.wait_for_timeout(1500)
    t1, w1 = media(page, "currentTime"), time.monotonic()
    speed = (t1 - t0) / (w1 - w0)
    assert 1.5 < speed < 2.5, speed
    page.select_option("#player-rate", "1")
    page.click("#player-play")
    expect()(page.locator("#player")).to_have_attribute("data-playing", "0")

    # seek: a click at three quarters of the waveform, then back 5 s
    box = page.locator("#player-wave").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.25)
    page.wait_for_function("Math.abs(document.querySelector('#player-audio').currentTime - 15) < 0.6")
    expect()(page.locator("#player-time")).to_have_text(re.compile(r"00:1[45] / 00:20"))
    page.click("#player-back")
    page.wait_for_function("Math.abs(document.querySelector('#player-audio').currentTime - 10) < 0.6")
    page.focus("#player")                                   # the keys: ← back 5 s, → forward
    page.keyboard.press("ArrowLeft")
    page.wait_for_function("Math.abs(document.querySelector('#player-audio').currentTime - 5) < 0.6")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("Math.abs(document.querySelector('#player-audio').currentTime - 10) < 0.6")
    screenshot(page, "recordings.png")

    # download: the ticket's download URL, saved as a file
    with page.expect_download() as download:
        page.click("#player-download")
    assert download.value.suggested_filename.endswith(".wav"), download.value.suggested_filename

    # the journey: both segments, this one current; the second opens its own player
    segments = page.locator("#rec-segments tbody tr")
    expect()(segments).to_have_count(2)
    expect()(page.locator(f"#rec-segments tr[data-id='{first}']")).to_have_class("current")
    page.click(f"#rec-segments tr[data-id='{second}'] a")
    page.wait_for_function(f"location.hash === '#/recordings/{second}'")
    expect()(page.locator(f"#player[data-id='{second}'][data-state=ready]")).to_be_visible()
    expect()(page.locator(f"#rec-segments tr[data-id='{second}']")).to_have_class("current")
    expect()(page.locator("#rec-details")).to_contain_text("bob")
    assert media(page, "currentTime") == 0
    page.click("#rec-back")
    expect()(page.locator("#rec-search")).to_be_visible()


def test_the_audit_page_is_for_admins_with_a_csv_export(browser, kefu, rows, audio, wav):
    page = signed_in(browser, kefu, rows, audio, wav, *ADMIN)
    open_screen(page, "/recordings/audit")
    if "audit" in missing_routes(kefu):         # the test's two entries
        expect()(page.locator("#audit-table tbody tr")).to_have_count(2)
    expect()(page.locator("#audit-table tr[data-action=play]").first).to_contain_text("播放")
    expect()(page.locator("#audit-table tr[data-action=download]").first).to_contain_text("下载")
    asked: list[str] = []
    page.on("request", lambda r: "/recordings/audit" in r.url and asked.append(r.url))
    page.fill("#audit-filter input[name=username]", "qi")
    page.fill("#audit-filter input[name=recording]", str(rows["first"].id))
    page.click("#audit-filter button[type=submit]")
    page.wait_for_timeout(300)
    assert asked and parse_qs(urlsplit(asked[-1]).query) == {
        "username": ["qi"], "recording": [str(rows["first"].id)], "offset": ["0"], "limit": ["100"]}, asked
    with page.expect_download() as download:
        page.click("#audit-csv")
    assert download.value.suggested_filename == "recordings-audit.csv"
    assert "username" in Path(download.value.path()).read_text("utf-8").splitlines()[0]
    assert "/recordings/audit.csv?username=qi" in asked[-1], asked

    agent = signed_in(browser, kefu, rows, audio, wav, AGENT[0], AGENT[1])
    expect()(agent.locator("#shell-nav a[data-path='/recordings']")).to_have_count(0)


RENDER_PLAYER = """async ([id, markers]) => {
  const { render } = await import("preact");
  const { html } = await import("htm/preact");
  const { Player } = await import("/static/recordings/player.js");
  let box = document.getElementById("qa-box");
  if (!box) {
    box = Object.assign(document.createElement("div"), { id: "qa-box" });
    document.body.append(box);
    window.qa = { times: [], handle: null };
  }
  render(html`<${Player} id=${id} markers=${markers} onTime=${(t) => window.qa.times.push(t)}
                         onReady=${(h) => { window.qa.handle = h; }} />`, box);
}"""


def test_the_player_is_a_component_other_pages_use(browser, kefu, rows, audio, wav):
    """What the QA scoring page relies on: a recording id in, the current time out,
    seeking from outside, markers at times (and changed later)."""
    page = signed_in(browser, kefu, rows, audio, wav, *INSPECTOR)
    expect()(page.locator("#rec-search")).to_be_visible()
    rid = rows["first"].id
    page.evaluate(RENDER_PLAYER, [rid, [{"at": 3, "label": "开场白"}, {"at": 12, "end": 14, "label": "承诺"}]])
    expect()(page.locator(f"#qa-box #player[data-id='{rid}'][data-state=ready]")).to_be_visible()
    page.wait_for_function("window.qa.handle !== null")
    assert waveform(page, "#qa-box")["regions"] == ["暂停录音", "开场白", "承诺"]
    assert page.evaluate("window.qa.handle.duration()") == SECONDS
    page.evaluate("window.qa.handle.seek(12.5)")
    page.wait_for_function("Math.abs(document.querySelector('#qa-box audio').currentTime - 12.5) < 0.05")
    assert 12.5 in page.evaluate("window.qa.times")                   # the time reported out
    expect()(page.locator("#qa-box #player-time")).to_have_text("00:12 / 00:20")
    page.evaluate("window.qa.handle.play()")
    page.wait_for_function("window.qa.times.some((t) => t > 13)")
    page.evaluate("window.qa.handle.pause()")
    # a comment added: the markers change, the player stays
    page.evaluate(RENDER_PLAYER, [rid, [{"at": 3, "label": "开场白"}, {"at": 16, "label": "结束语"}]])
    page.wait_for_function("""() => [...document.querySelector('#qa-box #player-wave').firstElementChild
        .shadowRoot.querySelectorAll('[part~=region], [part~=marker]')].map((r) => r.textContent)
        .join('|') === '暂停录音|开场白|结束语'""")
    assert page.evaluate("document.querySelector('#qa-box audio').currentTime") > 13
