"""The search's number prefix (an index range on SQLite, LIKE on PostgreSQL) and its
capped count, on both backends."""

from __future__ import annotations

import pytest

from kefu.recordings import service
from kefu.recordings.service import Recordings, Search

from test_store_recordings import segment


def test_a_number_prefix_matches_caller_or_callee_and_nothing_else(
        recordings: Recordings) -> None:
    for i, (caller, callee) in enumerate((("13800138000", "800"), ("+8613800138000", "801"),
                                          ("1380", "1001"), ("2_8%", "13899"),
                                          ("139", "1002"))):
        recordings.save(segment(f"c{i}", caller=caller, callee=callee))

    def found(prefix: str) -> list[str]:
        return sorted(r.call_id for r in recordings.search(Search(number=prefix)).items)

    assert found("138") == ["c0", "c2", "c3"]           # c3 by its callee
    assert found("1380") == ["c0", "c2"]
    assert found("13800138000") == ["c0"]
    assert found("+86") == ["c1"]
    assert found("2_") == ["c3"] and found("2%") == [] and found("_") == []
    assert found("9") == [] and found("80") == ["c0", "c1"]


def test_the_count_stops_at_its_cap(recordings: Recordings,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(6):
        recordings.save(segment(f"c{i}", agent="ann" if i < 3 else "bob"))
    monkeypatch.setattr(service, "COUNT_CAP", 4)
    page = recordings.search(Search(), limit=2)
    assert (page.total, page.capped, len(page.items)) == (4, True, 2)
    page = recordings.search(Search(agent="ann"))
    assert (page.total, page.capped) == (3, False)


def test_many_matches_walk_the_time_index_and_find_the_same(
        recordings: Recordings, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(12):
        rec = recordings.save(segment(f"c{i}", started_at=1000.0 + (i * 7) % 12,
                                      duration=float(i)))
        recordings.set_score(rec.id, float(i * 10))
        if i % 2:
            recordings.set_tags(rec.id, ["complaint"])
    wanted = Search(min_score=20, max_duration=10, tags=("complaint",))
    exact = recordings.search(wanted, limit=3)
    monkeypatch.setattr(service, "COUNT_CAP", 2)        # now "many" match
    walked = recordings.search(wanted, limit=3)
    assert walked.capped and [r.call_id for r in walked.items] == [
        r.call_id for r in exact.items] == ["c5", "c3", "c9"]
