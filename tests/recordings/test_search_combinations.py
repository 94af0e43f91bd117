"""Search combinations over 300 generated recordings, on SQLite and PostgreSQL: every
combination of filters the page offers answers exactly what a plain Python filter over the
same rows says, in the same order, page by page."""

from __future__ import annotations

import itertools
import random

from kefu.recordings.service import Recording, Recordings, Search

from test_store_recordings import segment

AGENTS = ("ann", "bob", "cat", "dan")
QUEUES = ("sales", "support", None)
TAGS = ("complaint", "good_example", "vip")


def generated(recordings: Recordings, n: int = 300) -> list[Recording]:
    rnd = random.Random(13)
    saved = []
    for i in range(n):
        rec = recordings.save(segment(
            f"g{i}", started_at=1_000_000.0 + rnd.randrange(0, 14 * 86400),
            duration=float(rnd.randrange(0, 900)), agent=rnd.choice(AGENTS),
            queue=rnd.choice(QUEUES), caller=f"13{rnd.randrange(10**8, 10**9)}",
            callee=rnd.choice(("800", "801", "1001")),
            customer_id=rnd.choice((None, 1, 2)),
            disposition=rnd.choice(("answered", "interrupted"))))
        if rnd.random() < 0.5:
            rec = recordings.set_score(rec.id, float(rnd.randrange(0, 101)))
        if rnd.random() < 0.4:
            rec = recordings.set_tags(rec.id, rnd.sample(TAGS, rnd.randrange(1, 3)))
        saved.append(rec)
    return saved


def matches(rec: Recording, s: Search) -> bool:
    """The search's meaning, written plainly."""
    def within(value: float | None, low: float | None, high: float | None) -> bool:
        if low is None and high is None:
            return True
        return value is not None and (low is None or value >= low) and (
            high is None or value <= high)
    return all((
        s.agent is None or rec.agent == s.agent,
        s.agents is None or rec.agent in s.agents,
        s.queue is None or rec.queue == s.queue,
        s.customer_id is None or rec.customer_id == s.customer_id,
        s.disposition is None or rec.disposition == s.disposition,
        not s.number or rec.caller.startswith(s.number) or rec.callee.startswith(s.number),
        within(rec.started_at, s.since, s.until),
        within(rec.duration, s.min_duration, s.max_duration),
        within(rec.qa_score, s.min_score, s.max_score),
        set(s.tags) <= set(rec.tags)))


def test_every_combination_answers_what_a_plain_filter_says(recordings: Recordings) -> None:
    rows = generated(recordings)
    rnd = random.Random(7)
    choices = {
        "agent": [dict(agent=a) for a in AGENTS],
        "agents": [dict(agents=("ann", "cat")), dict(agents=())],
        "queue": [dict(queue="sales"), dict(queue="support")],
        "number": [dict(number="13"), dict(number="801"), dict(number=rows[5].caller[:6])],
        "time": [dict(since=1_000_000.0 + 3 * 86400, until=1_000_000.0 + 9 * 86400),
                 dict(since=1_000_000.0 + 12 * 86400)],
        "duration": [dict(min_duration=60.0), dict(min_duration=120.0, max_duration=300.0)],
        "score": [dict(min_score=80.0), dict(max_score=40.0)],
        "tags": [dict(tags=("complaint",)), dict(tags=("vip", "good_example"))],
        "customer": [dict(customer_id=1)],
        "disposition": [dict(disposition="interrupted")],
    }
    tried = 0
    for size in (0, 1, 2, 3):
        for keys in itertools.combinations(sorted(choices), size):
            options = [rnd.choice(choices[k]) for k in keys]
            filters: dict = {}
            for o in options:
                filters.update(o)
            search = Search(**filters)
            sort = rnd.choice(("started_at", "duration", "agent"))
            descending = rnd.random() < 0.5
            expected = sorted((r for r in rows if matches(r, search)),
                              key=lambda r: (getattr(r, sort), r.id), reverse=descending)
            got: list[Recording] = []
            offset = 0
            while True:
                page = recordings.search(search, offset, 40, sort, descending)
                assert page.total == len(expected), (filters, sort)
                got += page.items
                offset += 40
                if offset >= page.total:
                    break
            assert [r.id for r in got] == [r.id for r in expected], (filters, sort, descending)
            tried += 1
    assert tried == 1 + 10 + 45 + 120
