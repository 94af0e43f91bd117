"""Playback by phone, the machine alone (:mod:`kefu.recordings.phone`): log-in and its
lockout, the agent / date / time questions, the list played in time order, and the keys
(6 next, 4 previous, 5 again, 0 pause, * back, # main menu); time is a fake clock that
the test moves by answering timers itself."""

from __future__ import annotations

import datetime as dt

import pytest

from kefu.calls.dialplan import DialPlan
from kefu.config import DialPlanSettings
from kefu.recordings import phone as p

TZ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 12, 3, 15, 0, tzinfo=TZ)


def clip(n: int, hour: int, minute: int = 0) -> p.Clip:
    return p.Clip(n, dt.datetime(2026, 12, 3, hour, minute, tzinfo=TZ), f"/rec/{n}.wav", 5.0)


class Phone:
    """Drives the machine as the runner would: keys, the end of what plays, timers."""

    def __init__(self) -> None:
        self.m = p.PhonePlayback(lambda: NOW)
        self.log: list[p.Action] = []
        self._take(self.m.start())

    def _take(self, actions: list[p.Action]) -> list[p.Action]:
        self.log += actions
        return actions

    def send(self, event: p.Event) -> list[p.Action]:
        return self._take(self.m.handle(event))

    def keys(self, digits: str) -> list[p.Action]:
        out: list[p.Action] = []
        for k in digits:
            out += self.send(p.Digit(k))
        return out

    @property
    def say(self) -> p.Say:
        return [a for a in self.log if isinstance(a, p.Say)][-1]

    def texts(self) -> list[str]:
        return [i.text for i in self.say.items if isinstance(i, p.Text)]

    def clips(self) -> list[int]:
        return [i.id for i in self.say.items if isinstance(i, p.Clip)]

    def done(self) -> list[p.Action]:
        """What plays now comes to its end."""
        return self.send(p.Done(self.say.id))

    def timeout(self) -> list[p.Action]:
        timer = [a for a in self.log if isinstance(a, p.StartTimer)][-1]
        return self.send(p.Timeout(timer.id))

    def login(self, found: tuple[p.Clip, ...] = ()) -> None:
        self.keys("1234#")
        [check] = [a for a in self.keys("5678#") if isinstance(a, p.CheckPin)]
        assert check == p.CheckPin("1234", "5678")
        self.send(p.Checked("quinn"))
        assert self.m.state is p.State.ASK_AGENT


def listening(clips: tuple[p.Clip, ...]) -> Phone:
    ph = Phone()
    ph.login()
    ph.keys("1001#")
    ph.keys("#")                      # today
    [search] = [a for a in ph.keys("#") if isinstance(a, p.Search)]   # the whole day
    ph.send(p.Found(clips))
    return ph


def test_login_then_agent_date_and_time_make_the_search() -> None:
    ph = Phone()
    assert ph.texts() == [p.PROMPTS["zh"]["id"]]
    ph.login()
    assert ph.m.inspector == "quinn" and ph.texts() == [p.PROMPTS["zh"]["agent"]]
    ph.keys("1001#")
    assert ph.texts() == [p.PROMPTS["zh"]["date"]]
    ph.keys("20261201#")
    assert ph.texts() == [p.PROMPTS["zh"]["time"]]
    [search] = [a for a in ph.keys("09301200#") if isinstance(a, p.Search)]
    since = dt.datetime(2026, 12, 1, 9, 30, tzinfo=TZ).timestamp()
    assert search == p.Search("1001", since, since + 150 * 60)
    assert ph.m.state is p.State.SEARCHING


def test_today_and_the_whole_day_by_pound_alone() -> None:
    ph = Phone()
    ph.login()
    ph.keys("7#")
    ph.keys("#")
    [search] = [a for a in ph.keys("#") if isinstance(a, p.Search)]
    midnight = dt.datetime(2026, 12, 3, tzinfo=TZ).timestamp()
    assert (search.since, search.until) == (midnight, midnight + 86400)


@pytest.mark.parametrize("date", ["2026130", "20261301", "20260230", "2026120"])
def test_a_wrong_date_is_asked_again(date: str) -> None:
    ph = Phone()
    ph.login()
    ph.keys("7#")
    ph.keys(date + "#")
    assert ph.m.state is p.State.ASK_DATE
    assert ph.texts() == [p.PROMPTS["zh"]["invalid"], p.PROMPTS["zh"]["date"]]


@pytest.mark.parametrize("span,ok", [("12000800", None), ("08000800", None),
                                     ("08601000", None), ("23002400", (1380, 1440)),
                                     ("24000100", None), ("0800", None), ("", (0, 1440))])
def test_time_ranges(span: str, ok: tuple[int, int] | None) -> None:
    assert p.span_of(span) == ok


def test_star_goes_back_one_question() -> None:
    ph = Phone()
    ph.login()
    ph.keys("7#")
    ph.keys("2026*")
    assert ph.m.state is p.State.ASK_AGENT
    ph.keys("8#")
    ph.keys("#")
    ph.keys("*")
    assert ph.m.state is p.State.ASK_DATE and ph.m.agent == "8"


def test_three_wrong_pins_say_locked_then_hang_up() -> None:
    ph = Phone()
    for attempt in range(3):
        ph.keys("1234#")
        ph.keys("0000#")
        assert ph.m.state is p.State.CHECKING
        out = ph.send(p.Checked(None))
        if attempt < 2:
            assert ph.texts() == [p.PROMPTS["zh"]["wrong"], p.PROMPTS["zh"]["id"]]
    assert ph.m.state is p.State.ENDED
    assert ph.texts() == [p.PROMPTS["zh"]["wrong"], p.PROMPTS["zh"]["locked"]]
    assert ph.say.barge_in is False and not any(isinstance(a, p.Hangup) for a in out)
    assert ph.keys("5") == []                    # the goodbye is heard whole
    assert ph.done() == [p.Hangup("pin_lockout")]


def test_recordings_play_in_time_order_one_after_the_other() -> None:
    ph = listening((clip(2, 14, 30), clip(1, 9, 5), clip(3, 11)))
    assert ph.texts()[0] == "共找到3条录音" and ph.texts()[1] == p.PROMPTS["zh"]["menu"]
    assert ph.texts()[2] == "第1条，09:05" and ph.clips() == [1]
    ph.done()
    assert ph.texts() == ["第2条，11:00"] and ph.clips() == [3]
    ph.done()
    assert ph.clips() == [2]
    ph.done()                                   # past the last one: the menu, a key awaited
    assert ph.texts() == [p.PROMPTS["zh"]["end"], p.PROMPTS["zh"]["menu"]]
    assert isinstance(ph.done()[-1], p.StartTimer)


def test_next_previous_and_again() -> None:
    ph = listening((clip(1, 9), clip(2, 10), clip(3, 11)))
    first = ph.say
    out = ph.keys("6")
    assert p.Stop(first.id) in out and ph.clips() == [2]
    ph.keys("6")
    assert ph.clips() == [3]
    ph.keys("4")
    assert ph.clips() == [2] and ph.texts() == ["第2条，10:00"]
    ph.keys("5")
    assert ph.clips() == [2]
    ph.keys("44")
    assert ph.clips() == [1] and ph.texts()[0] == p.PROMPTS["zh"]["first"]
    ph.keys("666")                              # past the end, then previous: the last
    assert ph.texts()[0] == p.PROMPTS["zh"]["end"]
    ph.keys("4")
    assert ph.clips() == [3]


def test_pause_and_continue_keep_the_recording() -> None:
    ph = listening((clip(1, 9), clip(2, 10)))
    say = ph.say
    out = ph.keys("0")
    assert out[0] == p.Pause(say.id) and isinstance(out[-1], p.StartTimer)
    assert out[-1].seconds == p.PAUSE_LIMIT and ph.m.paused
    out = ph.keys("0")
    assert p.Resume(say.id) in out and not ph.m.paused and ph.say is say
    ph.done()
    assert ph.clips() == [2]
    ph.keys("0")
    ph.timeout()                                # paused too long: goodbye
    assert ph.m.state is p.State.ENDED and ph.texts() == [p.PROMPTS["zh"]["bye"]]


def test_a_stray_key_does_not_cut_a_recording() -> None:
    ph = listening((clip(1, 9),))
    say = ph.say
    assert ph.keys("9") == [] and ph.say is say
    ph.done()
    ph.keys("9")
    assert ph.texts() == [p.PROMPTS["zh"]["invalid"], p.PROMPTS["zh"]["menu"]]


def test_star_back_to_the_time_range_and_pound_to_the_main_menu() -> None:
    ph = listening((clip(1, 9),))
    ph.keys("*")
    assert ph.m.state is p.State.ASK_TIME and ph.texts() == [p.PROMPTS["zh"]["time"]]
    [search] = [a for a in ph.keys("08000900#") if isinstance(a, p.Search)]
    assert search.agent == "1001"
    ph.send(p.Found((clip(1, 8, 15),)))
    ph.keys("#")
    assert ph.m.state is p.State.ASK_AGENT


def test_nothing_found_asks_for_another_time_range() -> None:
    ph = listening(())
    assert ph.m.state is p.State.ASK_TIME
    assert ph.texts() == [p.PROMPTS["zh"]["none"], p.PROMPTS["zh"]["time"]]


def test_silence_repeats_the_question_then_says_goodbye() -> None:
    ph = Phone()
    ph.done()
    for _ in range(p.WAITS - 1):
        ph.timeout()
        assert ph.texts() == [p.PROMPTS["zh"]["id"]]
        ph.done()
    ph.timeout()
    assert ph.texts() == [p.PROMPTS["zh"]["bye"]]
    assert ph.done() == [p.Hangup("no_key")]


def test_a_hang_up_ends_it_all() -> None:
    ph = listening((clip(1, 9),))
    ph.send(p.HungUp())
    assert ph.m.state is p.State.ENDED and ph.keys("6") == [] and ph.done() == []


def test_the_dial_plan_routes_the_access_code() -> None:
    plan = DialPlan(DialPlanSettings(), is_extension=lambda n: False)
    assert plan.outbound("1001", "*95").kind == "recordings"
    moved = DialPlan(DialPlanSettings(recordings_code="*77"), is_extension=lambda n: False)
    assert moved.outbound("1001", "*77").kind == "recordings"
    off = DialPlan(DialPlanSettings(recordings_code=""), is_extension=lambda n: False)
    assert off.outbound("1001", "*95").kind == "refuse"
    with pytest.raises(ValueError):
        DialPlanSettings(recordings_code="95")
    with pytest.raises(ValueError):
        DialPlanSettings(recordings_code="*98")      # the voicemail's
