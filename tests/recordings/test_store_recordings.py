"""The recordings' metadata: saved once per segment, found by search, scored and tagged,
and the audit trail; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from kefu.recordings.service import Recording, Recordings, Search
from kefu.store.errors import Invalid, NotFound


def segment(call_id: str = "c1", segment: int = 1, **kw: object) -> Recording:
    values: dict[str, object] = dict(
        id=0, call_id=call_id, segment=segment, journey=call_id, caller="13800138000",
        callee="800", started_at=1000.0, duration=60.0, agent="ann", queue="sales",
        customer_id=None, direction="inbound", disposition="answered", policy="all",
        tier="live", path=f"/rec/{call_id}-{segment}.wav", codec="wav", size=None,
        sha256=None, state="done")
    values.update(kw)
    return Recording(**values)  # type: ignore[arg-type]


def test_a_segment_saved_twice_is_one_row_updated(recordings: Recordings) -> None:
    first = recordings.save(segment(state="recording", duration=0.0))
    second = recordings.save(segment(duration=61.5, paused=((3.0, 9.5),)))
    assert second.id == first.id
    got = recordings.get(first.id)
    assert (got.state, got.duration, got.paused) == ("done", 61.5, ((3.0, 9.5),))


def test_a_journey_lists_its_segments_in_order(recordings: Recordings) -> None:
    recordings.save(segment("c1", 2, started_at=1100.0, agent="bob"))
    recordings.save(segment("c1", 1))
    recordings.save(segment("c2", 1, journey="c1", started_at=1050.0, agent="bob"))
    recordings.save(segment("c3", 1, started_at=2000.0))
    assert [(r.call_id, r.segment) for r in recordings.for_call("c2")] == [
        ("c1", 1), ("c2", 1), ("c1", 2)]


def test_search_filters_pages_and_sorts(recordings: Recordings) -> None:
    for i in range(30):
        recordings.save(segment(f"c{i}", started_at=1000.0 + i, duration=float(i),
                                agent="ann" if i % 2 else "bob", caller=f"1380000{i:04d}"))
    page = recordings.search(Search(agent="ann", min_duration=10), limit=5)
    assert page.total == 10 and [r.duration for r in page.items] == [29, 27, 25, 23, 21]
    assert recordings.search(Search(number="13800000012")).total == 1
    assert recordings.search(Search(agents=("bob",), since=1020)).total == 5
    ascending = recordings.search(Search(), sort="duration", descending=False, limit=2)
    assert [r.duration for r in ascending.items] == [0, 1]
    with pytest.raises(Invalid):
        recordings.search(Search(), sort="path")


def test_scores_and_tags_are_searched_by(recordings: Recordings) -> None:
    a, b = recordings.save(segment("a")), recordings.save(segment("b"))
    recordings.set_score(a.id, 92.5)
    recordings.set_score(b.id, 40.0)
    recordings.set_tags(b.id, ["complaint", "bad_example", "complaint"])
    assert recordings.get(b.id).tags == ("bad_example", "complaint")
    assert [r.call_id for r in recordings.search(Search(min_score=90)).items] == ["a"]
    assert [r.call_id for r in recordings.search(Search(tags=("complaint",))).items] == ["b"]
    assert recordings.save(segment("a", duration=5.0)).qa_score == 92.5   # kept on update
    with pytest.raises(NotFound):
        recordings.set_tags(999, ["x"])


def test_the_audit_trail_holds_each_action(recordings: Recordings) -> None:
    rec = recordings.save(segment())
    recordings.audit("qa1", "play", rec.id, "127.0.0.1")
    recordings.audit("sue", "download", rec.id, "127.0.0.2")
    log = recordings.audit_log(recording_id=rec.id)
    assert [(e.username, e.action) for e in log] == [("sue", "download"), ("qa1", "play")]
    with pytest.raises(Invalid):
        recordings.audit("qa1", "listen", rec.id, "127.0.0.1")
