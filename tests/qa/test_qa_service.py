"""The QA service on SQLite and PostgreSQL: the scoring rule, template versions, the
evaluation state machine, samples, summaries and the example lists."""

from __future__ import annotations

import pytest

from kefu.qa.service import Qa, week_label, week_start
from kefu.recordings.service import Recordings, Search
from kefu.store.errors import Conflict, Invalid, NotFound

from qakit import GOOD, card, recording


def scored(qa: Qa, recordings: Recordings, answers: dict, call_id: str = "c1",
           **kw: object):
    rec = recordings.save(recording(call_id, **kw))
    sc = qa.scorecards()[0] if qa.scorecards() else qa.save_scorecard(card(), "quinn")
    ev = qa.start(rec.id, sc.id, "quinn")
    return qa.submit(ev.id, "quinn", answers)


def test_the_scoring_rule_weights_scales_and_critical_items(qa: Qa,
                                                            recordings: Recordings) -> None:
    qa.save_scorecard(card(), "quinn")
    assert scored(qa, recordings, GOOD, "full").score == 100.0
    # greeting no (0 of 1), courtesy 4 of 1–5 (0.75 × 2), solved 5 of 10 (0.5 × 2): 2.5 / 5
    half = scored(qa, recordings, {**GOOD, "greeting": False, "courtesy": 4, "solved": 5},
                  "half")
    assert (half.score, half.failed) == (50.0, False)
    # the critical item failed: 0 whatever the rest
    failed = scored(qa, recordings, {**GOOD, "identity": False}, "failed")
    assert (failed.score, failed.failed) == (0.0, True)
    # the score is on the recording: search by score finds it
    assert [r.call_id for r in recordings.search(Search(min_score=40, max_score=60)).items] \
        == ["half"]
    assert recordings.get(failed.recording_id).qa_score == 0.0


@pytest.mark.parametrize("change, problem", [
    ({"sections": []}, "sections: at least one section"),
    ({"sections": [{"title": "a", "criteria": [
        {"key": "greeting", "weight": -1, "kind": "yes_no"}]}]},
     "criterion `greeting`: weight must be a number from 0 to 100"),
    ({"sections": [{"title": "a", "criteria": [
        {"key": "tone", "weight": 1, "kind": "stars"}]}]},
     "criterion `tone`: kind must be one of yes_no, scale_5, scale_10"),
    ({"sections": [{"title": "a", "criteria": [{"key": "x", "weight": 1}]},
                   {"title": "b", "criteria": [{"key": "x", "weight": 1}]}]},
     "criterion `x`: the key is used twice"),
    ({"sections": [{"title": "a", "criteria": [{"key": "x", "weight": 0}]}]},
     "at least one criterion needs a weight above 0"),
    ({"sections": [{"title": "a", "criteria": [{"key": "Bad Key"}]}]},
     "section `a` criterion 1: key must be"),
])
def test_a_bad_template_is_refused_naming_the_criterion(qa: Qa, change: dict,
                                                        problem: str) -> None:
    with pytest.raises(Invalid) as err:
        qa.save_scorecard(card(**change), "quinn")
    assert problem in str(err.value)
    assert qa.scorecards() == []


def test_answers_are_checked_naming_the_criterion(qa: Qa, recordings: Recordings) -> None:
    sc = qa.save_scorecard(card(), "quinn")
    ev = qa.start(recordings.save(recording()).id, sc.id, "quinn")
    for answers, problem in (({"courtesy": 6}, "criterion `courtesy`: answer a whole number "
                                                "from 1 to 5"),
                             ({"greeting": "yes"}, "criterion `greeting`: answer true"),
                             ({"smile": True}, "criterion `smile`: not on this scorecard")):
        with pytest.raises(Invalid, match=problem):
            qa.answer(ev.id, answers, "quinn")
    draft = qa.answer(ev.id, {"greeting": True}, "quinn")
    assert draft.score is None                       # partial: no total yet
    with pytest.raises(Invalid, match="criterion `identity`: not answered"):
        qa.submit(ev.id, "quinn")
    assert qa.evaluation(ev.id).state == "draft"     # nothing half-written
    assert recordings.get(ev.recording_id).qa_score is None
    assert qa.answer(ev.id, GOOD, "quinn").score == 100.0   # complete: the total shows


def test_editing_a_used_template_makes_a_new_version(qa: Qa, recordings: Recordings) -> None:
    v1 = qa.save_scorecard(card(), "quinn")
    # unused: edited in place
    v1b = qa.save_scorecard(card(description="changed"), "quinn")
    assert (v1b.id, v1b.version, v1b.description) == (v1.id, 1, "changed")
    ev = qa.submit(qa.start(recordings.save(recording()).id, v1.id, "quinn").id, "quinn", GOOD)
    # used: a new version, the evaluation keeps version 1
    sections = card()["sections"]
    sections[1]["criteria"].append({"key": "closing", "weight": 1, "kind": "yes_no"})
    v2 = qa.save_scorecard(card(sections=sections), "sam")
    assert (v2.version, v2.author) == (2, "sam") and v2.id != v1.id
    assert [c.version for c in qa.versions("热线标准")] == [1, 2]
    assert [(c.name, c.version) for c in qa.scorecards()] == [("热线标准", 2)]
    kept = qa.evaluation(ev.id)
    assert kept.scorecard_id == v1.id and kept.score == 100.0
    assert "closing" not in [c.key for c in qa.scorecard(v1.id).criteria()]
    assert qa.scorecard(v1.id).used and not qa.scorecard(v2.id).used


def test_the_state_machine_submit_dispute_revise_acknowledge(qa: Qa,
                                                             recordings: Recordings) -> None:
    sc = qa.save_scorecard(card(), "quinn")
    rec = recordings.save(recording(agent="ann"))
    ev = qa.start(rec.id, sc.id, "quinn")
    assert qa.start(rec.id, sc.id, "quinn").id == ev.id       # the same draft again
    assert qa.start(rec.id, sc.id, "sam").id != ev.id         # another inspector's own
    qa.comment(ev.id, 12.5, "没有核实身份", "quinn")
    qa.comment(ev.id, 3.0, "问候语标准", "quinn")
    # agents see nothing of a draft, and nothing of other agents'
    assert qa.evaluations(agent="ann", states=("submitted",)) == []
    with pytest.raises(NotFound):
        qa.acknowledge(ev.id, "ann")
    ev = qa.submit(ev.id, "quinn", {**GOOD, "courtesy": 3})
    assert (ev.state, ev.score) == ("submitted", 80.0)
    assert [(c.at, c.text) for c in qa.evaluation(ev.id, agent="ann").comments] == [
        (3.0, "问候语标准"), (12.5, "没有核实身份")]
    with pytest.raises(NotFound):
        qa.evaluation(ev.id, agent="bob")
    with pytest.raises(NotFound):
        qa.dispute(ev.id, "bob", "not mine")
    with pytest.raises(Invalid, match="reason"):
        qa.dispute(ev.id, "ann", "  ")
    with pytest.raises(Conflict, match="submitted: cannot revise"):
        qa.revise(ev.id, "quinn", GOOD)
    ev = qa.dispute(ev.id, "ann", "我用了礼貌用语")
    assert ev.state == "disputed"
    with pytest.raises(Conflict):
        qa.acknowledge(ev.id, "ann")            # the inspector answers first
    with pytest.raises(Conflict):
        qa.answer(ev.id, GOOD, "quinn")         # a submitted score changes only by revising
    ev = qa.revise(ev.id, "quinn", GOOD, "复听后更正")
    assert (ev.state, ev.score) == ("revised", 100.0)
    assert recordings.get(rec.id).qa_score == 100.0
    ev = qa.acknowledge(ev.id, "ann")
    assert ev.state == "acknowledged"
    assert [(h.action, h.state, h.by, h.note, h.score) for h in ev.history] == [
        ("create", "draft", "quinn", "", None),
        ("submit", "submitted", "quinn", "", 80.0),
        ("dispute", "disputed", "ann", "我用了礼貌用语", 80.0),
        ("revise", "revised", "quinn", "复听后更正", 100.0),
        ("acknowledge", "acknowledged", "ann", "", 100.0)]
    with pytest.raises(Conflict):
        qa.dispute(ev.id, "ann", "again")       # acknowledged is final


def test_an_upheld_dispute_keeps_the_score(qa: Qa, recordings: Recordings) -> None:
    ev = scored(qa, recordings, {**GOOD, "solved": 0})
    qa.dispute(ev.id, "ann", "客户问题已解决")
    ev = qa.uphold(ev.id, "quinn", "客户再次来电,问题未解决")
    assert (ev.state, ev.score) == ("upheld", 60.0)
    with pytest.raises(Conflict):
        qa.dispute(ev.id, "ann", "still")
    assert qa.acknowledge(ev.id, "ann").state == "acknowledged"
    assert [e.id for e in qa.evaluations(agent="ann", states=("acknowledged",))] == [ev.id]


def test_a_random_sample_per_agent_per_week(qa: Qa, recordings: Recordings) -> None:
    monday = week_start(1_000_000.0)
    for i in range(12):                         # this week: ann 6, bob 4, cat 2 (one live)
        agent = ("ann", "bob", "ann", "cat", "ann", "bob")[i % 6]
        recordings.save(recording(f"w{i}", agent=agent, started_at=monday + 3600 * (i + 1),
                                  state="recording" if i == 3 else "done"))
    recordings.save(recording("last-week", agent="cat", started_at=monday - 3600))
    recordings.save(recording("no-agent", agent=None, started_at=monday + 60))
    sample = qa.sample(3, monday + 86400 * 3, seed=7)
    assert {a: len(v) for a, v in sample.items()} == {"ann": 3, "bob": 3, "cat": 1}
    for agent, recs in sample.items():
        assert all(r.agent == agent and monday <= r.started_at < monday + 7 * 86400
                   and r.state == "done" for r in recs)
    assert sample == qa.sample(3, monday, seed=7)           # the seed repeats the draw
    # already evaluated recordings are not drawn again
    sc = qa.save_scorecard(card(), "quinn")
    evaluated = {r.id for r in sample["ann"]}
    for rec_id in evaluated:
        qa.start(rec_id, sc.id, "quinn")
    again = qa.sample(6, monday, seed=1)
    assert len(again["ann"]) == 3 and not evaluated & {r.id for r in again["ann"]}
    assert list(qa.sample(5, monday, agents=["bob"])) == ["bob"]
    with pytest.raises(Invalid):
        qa.sample(0, monday)


def test_summaries_by_agent_criterion_queue_and_week(qa: Qa, recordings: Recordings) -> None:
    monday = week_start(1_000_000.0)
    qa.save_scorecard(card(), "quinn")
    scored(qa, recordings, GOOD, "a1", agent="ann", queue="sales", started_at=monday + 10)
    scored(qa, recordings, {**GOOD, "greeting": False, "courtesy": 4, "solved": 5}, "a2",
           agent="ann", queue="support", started_at=monday + 7 * 86400 + 10)
    scored(qa, recordings, {**GOOD, "identity": False}, "b1", agent="bob", queue="sales",
           started_at=monday + 20)
    draft = qa.start(recordings.save(recording("b2", agent="bob")).id,
                     qa.scorecards()[0].id, "quinn")
    qa.answer(draft.id, GOOD, "quinn")          # drafts do not count
    s = qa.summary()
    assert [(f.key, f.count, f.mean, f.failed) for f in s.by_agent] == [
        ("ann", 2, 75.0, 0), ("bob", 1, 0.0, 1)]
    assert [(f.key, f.count, f.mean) for f in s.by_queue] == [
        ("sales", 2, 50.0), ("support", 1, 50.0)]
    assert [(f.key, f.count, f.mean) for f in s.by_week] == [
        (week_label(monday), 2, 50.0), (week_label(monday + 7 * 86400), 1, 50.0)]
    by_criterion = {f.key: (f.count, f.mean, f.failed, f.label) for f in s.by_criterion}
    assert by_criterion["greeting"] == (3, 66.7, 0, "标准问候语")
    assert by_criterion["identity"] == (3, 66.7, 1, "核实身份")
    assert by_criterion["courtesy"] == (3, 91.7, 0, "礼貌用语")
    # a time range: the first week only
    assert [f.key for f in qa.summary(monday, monday + 7 * 86400).by_week] == [week_label(monday)]


def test_good_and_bad_examples_are_listed_and_tagged(qa: Qa, recordings: Recordings) -> None:
    qa.save_scorecard(card(), "quinn")
    good = scored(qa, recordings, GOOD, "g", agent="ann")
    bad = scored(qa, recordings, {**GOOD, "identity": False}, "b", agent="bob")
    recordings.set_tags(bad.recording_id, ["complaint"])
    unscored = recordings.save(recording("u"))
    with pytest.raises(Conflict, match="score it first"):
        qa.mark_example(unscored.id, "good", "", "quinn")
    with pytest.raises(Invalid):
        qa.mark_example(good.recording_id, "great", "", "quinn")
    qa.mark_example(good.recording_id, "good", "开场白标准,可作培训", "quinn")
    qa.mark_example(bad.recording_id, "good", "", "quinn")
    qa.mark_example(bad.recording_id, "bad", "未核实身份", "quinn")     # moved to bad
    assert [(e.recording_id, e.note, e.agent, e.score) for e in qa.examples("good")] == [
        (good.recording_id, "开场白标准,可作培训", "ann", 100.0)]
    assert [(e.recording_id, e.kind) for e in qa.examples("bad")] == [(bad.recording_id, "bad")]
    assert recordings.get(bad.recording_id).tags == ("bad_example", "complaint")
    assert [r.call_id for r in recordings.search(Search(tags=("good_example",))).items] == ["g"]
    qa.unmark_example(bad.recording_id)
    assert recordings.get(bad.recording_id).tags == ("complaint",)
    assert qa.examples("bad") == []
    with pytest.raises(NotFound):
        qa.unmark_example(bad.recording_id)
