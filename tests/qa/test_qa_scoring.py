"""The scoring rule alone (pure): every kind's fractions, critical items on each kind, and
the score always within 0–100 whatever the answers and weights."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.qa.records import Criterion
from kefu.qa.scoring import check_answers, fraction, score
from kefu.store.errors import Invalid


@pytest.mark.parametrize("kind, value, expected", [
    ("yes_no", True, 1.0), ("yes_no", False, 0.0),
    ("scale_5", 1, 0.0), ("scale_5", 3, 0.5), ("scale_5", 5, 1.0),
    ("scale_10", 0, 0.0), ("scale_10", 7, 0.7), ("scale_10", 10, 1.0)])
def test_each_kind_of_answer_as_a_fraction(kind: str, value: object, expected: float) -> None:
    assert fraction(Criterion("c", "c", 1, kind), value) == pytest.approx(expected)


@pytest.mark.parametrize("kind, lowest, next_up", [
    ("yes_no", False, True), ("scale_5", 1, 2), ("scale_10", 0, 1)])
def test_a_critical_item_at_its_lowest_fails_the_call(kind: str, lowest: object,
                                                      next_up: object) -> None:
    criteria = [Criterion("a", "a", 3, "yes_no"), Criterion("k", "k", 1, kind, critical=True)]
    failed = score(criteria, {"a": True, "k": lowest})
    assert (failed.score, failed.failed, failed.failed_items) == (0.0, True, ("k",))
    passed = score(criteria, {"a": True, "k": next_up})
    assert not passed.failed and passed.score > 75


def test_out_of_range_answers_name_the_criterion() -> None:
    criteria = [Criterion("tone", "tone", 1, "scale_10")]
    for bad in (11, -1, 2.5, True, "7"):
        with pytest.raises(Invalid, match="criterion `tone`"):
            check_answers(criteria, {"tone": bad}, complete=True)


KINDS = {"yes_no": st.booleans(), "scale_5": st.integers(1, 5), "scale_10": st.integers(0, 10)}


@st.composite
def scored_card(draw: st.DrawFn) -> tuple[list[Criterion], dict[str, object]]:
    n = draw(st.integers(1, 8))
    criteria, answers = [], {}
    for i in range(n):
        kind = draw(st.sampled_from(sorted(KINDS)))
        weight = draw(st.floats(0, 100))
        criteria.append(Criterion(f"c{i}", f"c{i}", weight, kind, draw(st.booleans())))
        answers[f"c{i}"] = draw(KINDS[kind])
    if all(c.weight == 0 for c in criteria):
        criteria[0] = Criterion("c0", "c0", 1.0, criteria[0].kind, criteria[0].critical)
    return criteria, answers


@given(scored_card())
def test_the_score_stays_within_0_and_100(case: tuple[list[Criterion], dict[str, object]]) -> None:
    criteria, answers = case
    result = score(criteria, answers)
    assert 0.0 <= result.score <= 100.0
    assert result.failed == (result.failed_items != ())
    if result.failed:
        assert result.score == 0.0
