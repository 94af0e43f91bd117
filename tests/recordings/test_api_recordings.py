"""The recordings API in process: search with every filter, bad input, access by role
(agents on other agents' calls, groups), playback by ticket with range requests, the
waveform, and the audit log with its CSV export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pytest
import soundfile

from kefu.config import RecordingsSettings
from kefu.recordings.access import Tickets
from kefu.recordings.service import Recording, Recordings

from test_store_recordings import segment

URL = "/api/v1/recordings"


def wav(path: Path, seconds: float = 2.0, tone_at: float = 1.0) -> str:
    """A stereo 8 kHz WAV: silence, a loud left burst at ``tone_at`` s, quiet right."""
    frames = int(seconds * 8000)
    x = np.zeros((frames, 2), dtype=np.int16)
    at = int(tone_at * 8000)
    x[at:at + 800, 0] = 20000
    x[:, 1] = 1000
    soundfile.write(str(path), x, 8000, subtype="PCM_16")
    return str(path)


@pytest.fixture
def recs(api) -> Recordings:  # type: ignore[no-untyped-def]
    r: Recordings = api.ctx.recordings
    return r


@pytest.fixture
def three(recs: Recordings, tmp_path: Path) -> list[Recording]:
    """ann's call in sales, the agent user's own call in sales, bob's in support."""
    return [recs.save(segment("c1", agent="ann", queue="sales", started_at=1000.0,
                              duration=30.0, caller="13800138000", customer_id=7,
                              path=wav(tmp_path / "c1.wav"))),
            recs.save(segment("c2", agent="agent", queue="sales", started_at=2000.0,
                              duration=90.0, caller="13900139000", disposition="transferred",
                              path=wav(tmp_path / "c2.wav"))),
            recs.save(segment("c3", agent="bob", queue="support", started_at=3000.0,
                              duration=300.0, caller="02155550000",
                              path=wav(tmp_path / "c3.wav")))]


def ids(api, role: str = "admin", **params: object) -> list[str]:  # type: ignore[no-untyped-def]
    r = api.client.get(URL, params=params, headers=api.as_(role))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] >= len(body["items"])
    return [i["call_id"] for i in body["items"]]


def test_search_by_every_filter(api, recs: Recordings, three: list[Recording]) -> None:
    recs.set_score(three[0].id, 95.0)
    recs.set_score(three[2].id, 40.0)
    recs.set_tags(three[2].id, ["complaint", "bad_example"])
    assert ids(api) == ["c3", "c2", "c1"]
    assert ids(api, agent="ann") == ["c1"]
    assert ids(api, number="139") == ["c2"]
    assert ids(api, number="800") == ["c3", "c2", "c1"]          # the callee's number
    assert ids(api, since=1500, until=2500) == ["c2"]
    assert ids(api, queue="sales") == ["c2", "c1"]
    assert ids(api, customer_id=7) == ["c1"]
    assert ids(api, min_duration=60, max_duration=100) == ["c2"]
    assert ids(api, disposition="transferred") == ["c2"]
    assert ids(api, min_score=90) == ["c1"]
    assert ids(api, max_score=50) == ["c3"]
    assert ids(api, tags=["complaint", "bad_example"]) == ["c3"]
    assert ids(api, tags=["complaint", "good_example"]) == []
    assert ids(api, call_id="c2") == ["c2"]
    assert ids(api, sort="duration", descending=False) == ["c1", "c2", "c3"]
    assert ids(api, sort="agent", descending=False, offset=1, limit=1) == ["c1"]  # agent, ann
    r = api.client.get(URL, params={"limit": 1}, headers=api.as_("admin")).json()
    assert r["total"] == 3 and len(r["items"]) == 1


@pytest.mark.parametrize("params, reason", [
    ({"sort": "path"}, "sort must be one of"),
    ({"since": 20, "until": 10}, "since/until"),
    ({"min_duration": 20, "max_duration": 10}, "min_duration/max_duration"),
    ({"number": "12ab"}, "number"),
    ({"limit": 0}, "limit"),
    ({"limit": 501}, "limit"),
    ({"offset": -1}, "offset"),
    ({"customer_id": "x"}, "customer_id"),
    ({"min_score": -1}, "min_score"),
    ({"tags": "x" * 33}, "tags"),
])
def test_bad_search_input_is_a_422_with_a_reason(api, params: dict, reason: str) -> None:
    r = api.client.get(URL, params=params, headers=api.as_("admin"))
    assert r.status_code == 422 and reason in r.text, r.text


def test_one_recording_its_journey_and_tags(api, recs: Recordings,
                                            three: list[Recording]) -> None:
    later = recs.save(segment("c1", 2, agent="bob", started_at=1100.0, journey="c1"))
    r = api.client.get(f"{URL}/{three[0].id}", headers=api.as_("qa"))
    assert r.status_code == 200 and r.json()["agent"] == "ann" and "path" not in r.json()
    r = api.client.get(f"{URL}/{three[0].id}/segments", headers=api.as_("supervisor"))
    assert [(s["call_id"], s["segment"]) for s in r.json()] == [("c1", 1), ("c1", 2)]
    assert later.id in [s["id"] for s in r.json()]
    r = api.client.put(f"{URL}/{three[0].id}/tags", json={"tags": ["good_example"]},
                       headers=api.as_("qa"))
    assert r.status_code == 200 and r.json()["tags"] == ["good_example"]
    r = api.client.put(f"{URL}/{three[0].id}/tags", json={"tags": ["x" * 40]},
                       headers=api.as_("qa"))
    assert r.status_code == 422 and recs.get(three[0].id).tags == ("good_example",)
    assert api.client.get(f"{URL}/99999", headers=api.as_("admin")).status_code == 404
    assert api.client.get(f"{URL}/0", headers=api.as_("admin")).status_code == 422
    assert api.client.get(URL).status_code == 401


def test_agents_hear_nothing_unless_the_site_allows_it(api, recs: Recordings,
                                                       three: list[Recording]) -> None:
    r = api.client.get(URL, headers=api.as_("agent"))
    assert r.status_code == 403 and "does not let agents" in r.json()["detail"]
    r = api.client.post(f"{URL}/{three[1].id}/ticket", headers=api.as_("agent"))
    assert r.status_code == 403


def test_agents_hear_only_their_own_calls(api, recs: Recordings,
                                          three: list[Recording]) -> None:
    recs.settings = RecordingsSettings(agents_hear_own=True)
    assert ids(api, "agent") == ["c2"]
    assert ids(api, "agent", agent="ann") == []            # a filter cannot widen it
    own, other = three[1].id, three[0].id
    assert api.client.get(f"{URL}/{own}", headers=api.as_("agent")).status_code == 200
    for method, path in (("get", f"{URL}/{other}"), ("get", f"{URL}/{other}/segments"),
                         ("get", f"{URL}/{other}/peaks"), ("post", f"{URL}/{other}/ticket")):
        r = api.client.request(method, path, headers=api.as_("agent"))
        assert r.status_code == 403, (path, r.text)
        assert r.json()["detail"] == "agents hear only their own calls"
    r = api.client.put(f"{URL}/{own}/tags", json={"tags": ["mine"]}, headers=api.as_("agent"))
    assert r.status_code == 403                             # tagging is the inspectors'
    assert api.client.post(f"{URL}/{own}/ticket", headers=api.as_("agent")).status_code == 200


def test_supervisors_and_inspectors_hear_their_groups(api, recs: Recordings,
                                                      three: list[Recording]) -> None:
    members = {"sales": {"ann", "agent"}, "support": {"bob"}}
    recs.members = lambda queues: set().union(*(members.get(q, set()) for q in queues))
    assert ids(api, "qa") == ["c3", "c2", "c1"]              # no group: every queue
    r = api.client.put(f"{URL}/scopes/qa", json={"queues": ["support"]},
                       headers=api.as_("admin"))
    assert r.status_code == 200 and r.json() == {"username": "qa", "queues": ["support"]}
    assert ids(api, "qa") == ["c3"]
    assert ids(api, "supervisor") == ["c3", "c2", "c1"]      # another user's group is theirs
    r = api.client.get(f"{URL}/{three[0].id}", headers=api.as_("qa"))
    assert r.status_code == 403 and "outside your groups" in r.json()["detail"]
    assert api.client.get(f"{URL}/scopes/qa", headers=api.as_("admin")).json()["queues"] == [
        "support"]
    for role in ("qa", "supervisor", "agent"):            # only admins set groups
        assert api.client.put(f"{URL}/scopes/qa", json={"queues": []},
                              headers=api.as_(role)).status_code == 403
    r = api.client.put(f"{URL}/scopes/qa", json={"queues": [""]}, headers=api.as_("admin"))
    assert r.status_code == 422 and recs.scope("qa") == ("support",)
    api.client.put(f"{URL}/scopes/qa", json={"queues": []}, headers=api.as_("admin"))
    assert ids(api, "qa") == ["c3", "c2", "c1"]


def ticket(api, rec: Recording, role: str = "qa") -> dict:  # type: ignore[no-untyped-def]
    r = api.client.post(f"{URL}/{rec.id}/ticket", headers=api.as_(role))
    assert r.status_code == 200, r.text
    return r.json()


def test_playback_by_ticket_with_ranges_is_audited_once(api, recs: Recordings,
                                                        three: list[Recording]) -> None:
    rec = three[0]
    size = Path(rec.path).stat().st_size
    urls = ticket(api, rec)
    assert urls["audio"].startswith(f"{URL}/{rec.id}/audio?ticket=")
    whole = api.client.get(urls["audio"])                    # no bearer header
    assert whole.status_code == 200 and whole.headers["content-type"] == "audio/wav"
    assert whole.content == Path(rec.path).read_bytes()
    assert whole.headers["accept-ranges"] == "bytes"
    part = api.client.get(urls["audio"], headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and len(part.content) == 100
    assert part.headers["content-range"] == f"bytes 100-199/{size}"
    assert part.content == Path(rec.path).read_bytes()[100:200]
    beyond = api.client.get(urls["audio"], headers={"Range": f"bytes={size + 10}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
    log = recs.audit_log(recording_id=rec.id)
    assert [(e.username, e.action, e.address) for e in log] == [("qa", "play", "testclient")]
    down = api.client.get(urls["download"])
    assert down.status_code == 200 and down.content == Path(rec.path).read_bytes()
    assert down.headers["content-disposition"].startswith('attachment; filename="c1-1.wav"')
    api.client.get(urls["download"])
    second = ticket(api, rec)                                # a new ticket: a new play
    api.client.get(second["audio"], headers={"Range": "bytes=0-1"})
    assert [e.action for e in recs.audit_log(recording_id=rec.id)] == [
        "play", "download", "play"]


def test_a_ticket_is_for_one_recording_and_a_short_while(api, recs: Recordings,
                                                         three: list[Recording]) -> None:
    urls = ticket(api, three[0])
    signed = urls["audio"].split("ticket=")[1]
    other = api.client.get(f"{URL}/{three[1].id}/audio", params={"ticket": signed})
    assert other.status_code == 403 and "another recording" in other.text
    forged = signed[:-1] + ("0" if signed[-1] != "0" else "1")
    assert api.client.get(f"{URL}/{three[0].id}/audio",
                          params={"ticket": forged}).status_code == 403
    assert api.client.get(f"{URL}/{three[0].id}/audio").status_code == 422
    now = [1000.0]
    recs.tickets = Tickets(ttl=300, clock=lambda: now[0])
    urls = ticket(api, three[0])
    now[0] += 301
    r = api.client.get(urls["audio"])
    assert r.status_code == 403 and "expired" in r.text
    assert recs.audit_log() == []                            # nothing refused is audited


def test_media_types_by_codec_and_missing_files(api, recs: Recordings,
                                                three: list[Recording]) -> None:
    flac = Path(three[0].path).with_suffix(".flac")
    soundfile.write(str(flac), soundfile.read(three[0].path, dtype="int16")[0], 8000)
    recs.update(three[0].id, path=str(flac), codec="flac")
    r = api.client.get(ticket(api, three[0])["audio"])
    assert r.status_code == 200 and r.headers["content-type"] == "audio/flac"
    recs.update(three[1].id, state="deleted")
    r = api.client.post(f"{URL}/{three[1].id}/ticket", headers=api.as_("admin"))
    assert r.status_code == 404 and "deleted" in r.text
    Path(three[2].path).unlink()
    assert api.client.post(f"{URL}/{three[2].id}/ticket",
                           headers=api.as_("admin")).status_code == 404


def test_the_waveform_is_drawn_from_the_file(api, three: list[Recording]) -> None:
    r = api.client.get(f"{URL}/{three[0].id}/peaks", params={"points": 20},
                       headers=api.as_("supervisor"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["duration"] == 2.0 and len(body["left"]) == len(body["right"]) == 20
    loud = [i for i, v in enumerate(body["left"]) if v > 0.5]
    assert loud == [10]                                      # the burst at 1.0 s of 2.0 s
    assert all(abs(v - 1000 / 32768) < 1e-3 for v in body["right"])
    assert api.client.get(f"{URL}/{three[0].id}/peaks", params={"points": 0},
                          headers=api.as_("admin")).status_code == 422
    Path(three[1].path).write_bytes(b"not a wav file at all")
    r = api.client.get(f"{URL}/{three[1].id}/peaks", headers=api.as_("admin"))
    assert r.status_code == 422 and "cannot read" in r.text


def test_admins_read_and_export_the_audit_log(api, recs: Recordings,
                                              three: list[Recording]) -> None:
    api.client.get(ticket(api, three[0], "supervisor")["audio"])
    recs.audit("=cmd|' /C calc'!A0", "download", three[1].id, "10.0.0.9", "@SUM(1+1)")
    r = api.client.get(f"{URL}/audit", headers=api.as_("admin"))
    assert [(e["username"], e["action"]) for e in r.json()] == [
        ("=cmd|' /C calc'!A0", "download"), ("supervisor", "play")]
    r = api.client.get(f"{URL}/audit", params={"username": "supervisor"},
                       headers=api.as_("admin"))
    assert [e["recording_id"] for e in r.json()] == [three[0].id]
    r = api.client.get(f"{URL}/audit", params={"recording": three[1].id},
                       headers=api.as_("admin"))
    assert [e["address"] for e in r.json()] == ["10.0.0.9"]
    for role in ("supervisor", "qa", "agent"):
        assert api.client.get(f"{URL}/audit", headers=api.as_(role)).status_code == 403
        assert api.client.get(f"{URL}/audit.csv", headers=api.as_(role)).status_code == 403
    r = api.client.get(f"{URL}/audit.csv", headers=api.as_("admin"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff"))))
    assert rows[0] == ["id", "time", "username", "action", "recording_id", "address", "detail"]
    assert [row[2:4] for row in rows[1:]] == [["supervisor", "play"],
                                              ["'=cmd|' /C calc'!A0", "download"]]
    assert rows[2][6] == "'@SUM(1+1)"
    assert recs.audit_log(limit=1)[0].action == "export"     # the export is audited too
    r = api.client.get(f"{URL}/audit", params={"since": 5, "until": 1},
                       headers=api.as_("admin"))
    assert r.status_code == 422


def test_archived_and_deleted_recordings_through_the_api(api, recs: Recordings,
                                                         three: list[Recording],
                                                         tmp_path: Path) -> None:
    """After `kefu recordings archive` a recording is found and plays from the archive
    tier as before; after `retain` it is gone from search and playback is a 404."""
    from kefu.recordings.lifecycle import Lifecycle
    old = three[0]                                   # started 1000 s before the others
    archive = Lifecycle(recs, RecordingsSettings(archive_after_days=1), tmp_path,
                        tmp_path / "archive", clock=lambda: old.started_at + 500 + 86400)
    assert archive.archive() == 1                    # only c1 is old enough
    moved = recs.get(old.id)
    assert moved.tier == "archive" and Path(moved.path).is_relative_to(tmp_path / "archive")
    assert not Path(old.path).exists()
    assert ids(api, number="1380") == ["c1"]
    urls = ticket(api, moved)
    got = api.client.get(urls["audio"])
    assert got.status_code == 200 and got.content == Path(moved.path).read_bytes()
    retain = Lifecycle(recs, RecordingsSettings(retain_days=2), tmp_path, tmp_path / "archive",
                       clock=lambda: old.started_at + 500 + 2 * 86400)
    assert retain.retain() == 1
    assert ids(api, number="1380") == [] and not Path(moved.path).exists()
    assert api.client.get(urls["download"]).status_code == 404
    assert [e.action for e in recs.audit_log(recording_id=old.id)] == [
        "delete", "play", "archive"]
