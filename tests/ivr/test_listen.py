"""Cutting utterances out of a caller's frames: where speech starts, ends, and what is kept."""

from __future__ import annotations

import numpy as np

from kefu.ivr.listen import Ear, Hearing

QUIET = np.zeros(160, np.int16)
LOUD = (3000 * np.sin(np.arange(160) * 0.3)).astype(np.int16)


def feed(ear: Ear, frames: list[np.ndarray]) -> list[np.ndarray]:
    return [u for f in frames if (u := ear.feed(f)) is not None]


def test_an_utterance_is_what_lies_between_the_quiet_with_its_lead() -> None:
    ear = Ear(start=3, end=5, lead=2)
    said = feed(ear, [QUIET] * 10 + [LOUD] * 20 + [QUIET] * 5)
    assert len(said) == 1
    assert len(said[0]) == (2 + 20 + 5) * 160          # lead, speech, the pause that ended it
    assert not np.any(said[0][:320]) and np.any(said[0][320:640])
    assert ear.state is Hearing.QUIET


def test_a_click_is_not_speech_and_a_short_pause_does_not_end_it() -> None:
    ear = Ear(start=3, end=5)
    assert feed(ear, [QUIET, LOUD, LOUD, QUIET] * 5) == []       # never three loud in a row
    said = feed(ear, [LOUD] * 5 + [QUIET] * 4 + [LOUD] * 5 + [QUIET] * 5)
    assert len(said) == 1 and ear.state is Hearing.QUIET


def test_a_caller_who_never_stops_is_cut_at_the_longest() -> None:
    ear = Ear(start=3, end=5, longest=1.0, lead=0)
    said = feed(ear, [LOUD] * 120)
    assert [len(u) for u in said] == [50 * 160, 50 * 160]


def test_every_utterance_is_found_in_turn() -> None:
    ear = Ear(start=2, end=3)
    assert len(feed(ear, ([LOUD] * 4 + [QUIET] * 6) * 3)) == 3
