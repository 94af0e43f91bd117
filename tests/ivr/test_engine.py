"""The flow interpreter driven by events alone: a three-level menu, timeouts, invalid
input, barge-in, collect checks, a subflow, look-ups and their error branch, hand-offs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from kefu.ivr import steps as s
from kefu.ivr.engine import Session, State
from kefu.ivr.flowcheck import load
from kefu.ivr.variables import luhn

HOTLINE = Path(__file__).parent / "flows" / "hotline.yaml"
TUESDAY_10 = dt.datetime(2024, 10, 8, 10, 0)
SUNDAY_10 = dt.datetime(2024, 10, 6, 10, 0)
HOLIDAY_10 = dt.datetime(2024, 10, 1, 10, 0)
CARD = "4539578763621486"  # passes Luhn

PIN_CHECK = {"name": "pin_check", "start": "ask", "nodes": {
    "ask": {"type": "collect", "prompt": "请输入密码。", "into": "pin", "min_digits": 4,
            "max_digits": 4, "barge_in": False, "next": "judge"},
    "judge": {"type": "branch", "cases": [{"if": {"var": "pin", "eq": "1234"}, "goto": "ok"}],
              "else": "ask"},
    "ok": {"type": "set", "values": {"pin_ok": "yes"}, "next": "back"},
    "back": {"type": "return"}}}


def flows() -> dict[str, Any]:
    return {"hotline": load(HOTLINE.read_text(encoding="utf-8"), flows={"pin_check"}),
            "pin_check": load(PIN_CHECK)}


class Walk:
    """A caller's side of a session: every action kept, prompts finished on demand."""

    def __init__(self, name: str = "hotline", now: dt.datetime = TUESDAY_10, *,
                 all_flows: dict[str, Any] | None = None, **variables: str) -> None:
        self.session = Session(all_flows or flows(), name, lambda: now, variables=dict(variables))
        self.actions: list[s.Action] = list(self.session.start())

    def send(self, event: s.Event) -> list[s.Action]:
        out = self.session.handle(event)
        self.actions += out
        return out

    def last(self, kind: type) -> Any:
        return next(a for a in reversed(self.actions) if isinstance(a, kind))

    def heard(self) -> list[str]:
        """The texts of every Play so far, items joined."""
        return ["".join(i.text or i.file or "/".join(i.prompts) for i in a.items)
                for a in self.actions if isinstance(a, s.Play)]

    def done(self) -> list[s.Action]:
        return self.send(s.PromptDone(self.last(s.Play).id))

    def press(self, keys: str) -> None:
        for k in keys:
            self.send(s.Digit(k))

    def timeout(self) -> list[s.Action]:
        return self.send(s.Timeout(self.last(s.StartTimer).id))

    def events(self, type_: str | None = None) -> list[dict[str, Any]]:
        return [{"type": a.type, **a.data} for a in self.actions
                if isinstance(a, s.Emit) and (type_ is None or a.type == type_)]

    @property
    def state(self) -> State:
        return self.session.state


def test_three_level_menu_to_the_queue_with_collected_digits() -> None:
    w = Walk()
    assert w.heard() == ["欢迎致电客服热线。"]
    w.done()
    assert w.heard()[-1].startswith("查询账单请按1") and w.state is State.ASKING
    w.done()
    assert w.state is State.WAITING and w.last(s.StartTimer).seconds == 5.0
    w.press("1")
    w.done()
    w.press("1")
    w.done()
    w.press("2")
    assert w.heard()[-1] == "请输入订单号。"
    w.done()
    w.press("123456#")
    enqueue = w.last(s.Enqueue)
    assert enqueue == s.Enqueue("sales", 0, 0, {"order": "123456", "choice": "1"})
    assert w.last(s.StoreRecord).fields == {"order": "123456", "caller": ""}
    assert [(e["node"], e["key"], e["to"], e["said"]) for e in w.events("ivr.choice")] == [
        ("menu_main", "1", "menu_billing", "查询账单"),
        ("menu_billing", "1", "menu_account", "查询余额"),
        ("menu_account", "2", "get_order", "输入订单号")]
    assert w.events("ivr.digits")[0]["digits"] == "123456"
    assert w.events("ivr.exit") == [{"type": "ivr.exit", "flow": "hotline", "node": "sales_queue",
                                     "reason": "queue", "to": "sales"}]
    assert [e["node"] for e in w.events("ivr.node")] == [
        "greet", "route", "menu_main", "menu_billing", "menu_account", "get_order",
        "save_order", "sales_queue"]
    assert w.state is State.HANDED_OFF


def test_menu_back_to_the_upper_level() -> None:
    w = Walk()
    w.done()
    w.press("1")   # main → billing
    w.press("9")   # billing → back to main (barge-in during the prompt)
    assert [e["to"] for e in w.events("ivr.choice")] == ["menu_billing", "menu_main"]
    assert w.heard()[-1].startswith("查询账单请按1")


def test_vip_skips_the_menu() -> None:
    w = Walk(tier="vip1")
    w.done()
    assert w.last(s.Enqueue).queue == "vip" and w.last(s.Enqueue).priority == 10
    assert not w.events("ivr.choice")


@pytest.mark.parametrize("now", [SUNDAY_10, HOLIDAY_10, dt.datetime(2024, 10, 8, 18, 30)])
def test_after_hours_takes_a_message(now: dt.datetime) -> None:
    w = Walk(now=now)
    w.done()
    assert w.heard()[-1] == "现在是非工作时间，请留言。"
    w.done()
    assert w.last(s.RecordVoicemail) == s.RecordVoicemail("8001", 120)
    assert w.state is State.RECORDING
    w.send(s.Finished())
    assert w.last(s.Hangup).reason == "voicemail" and w.state is State.ENDED


def test_menu_timeouts_then_fallback() -> None:
    w = Walk()
    w.done()
    w.done()          # the menu prompt ends: the timer starts
    for _ in range(2):
        w.timeout()
        assert w.heard()[-1].startswith("查询账单请按1")  # asked again
        w.done()
    w.timeout()       # the third: retries (2) used up
    assert [e["attempt"] for e in w.events("ivr.timeout")] == [1, 2, 3]
    assert w.last(s.Enqueue).queue == "sales"  # the menu's fallback


def test_a_late_timeout_is_ignored() -> None:
    w = Walk()
    w.done()
    w.done()
    stale = w.last(s.StartTimer).id
    w.press("1")
    assert w.send(s.Timeout(stale)) == []


def test_invalid_key_replays_with_the_invalid_prompt() -> None:
    w = Walk()
    w.done()
    w.done()
    w.press("7")
    assert w.heard()[-1] == "输入有误，请重新输入。查询账单请按1，人工服务请按0。"
    assert w.events("ivr.invalid")[0]["digits"] == "7"
    w.done()
    w.press("0")
    assert w.last(s.Enqueue).queue == "sales"


def test_invalid_keys_until_fallback() -> None:
    w = Walk()
    w.done()
    for key in "785":
        w.done()
        w.press(key)
    assert len(w.events("ivr.invalid")) == 3
    assert w.last(s.Enqueue).queue == "sales"


def test_barge_in_on_a_play_carries_the_key_to_the_menu() -> None:
    w = Walk()
    greet = w.last(s.Play)
    assert greet.barge_in
    w.press("1")
    assert s.StopPlayback(greet.id) in w.actions
    # the menu took the typed-ahead key without playing its prompt
    assert w.events("ivr.choice")[0]["to"] == "menu_billing"
    assert w.heard() == ["欢迎致电客服热线。", "查询余额请按1，返回上一级请按9。"]
    assert w.send(s.PromptDone(greet.id)) == []  # the stopped prompt's late report


def test_barge_in_during_a_menu_prompt() -> None:
    w = Walk()
    w.done()
    menu = w.last(s.Play)
    w.press("1")
    assert s.StopPlayback(menu.id) in w.actions
    assert w.events("ivr.choice")[0]["key"] == "1"


def test_no_barge_in_drops_keys_while_the_prompt_plays() -> None:
    w = Walk(all_flows={"pin_check": load(PIN_CHECK)}, name="pin_check")
    w.press("12")                  # collect with barge_in false: dropped
    assert not any(isinstance(a, s.StopPlayback) for a in w.actions)
    w.done()
    w.press("1234")
    assert w.last(s.Hangup).reason == "flow_end"  # returned at the top: the call ends
    assert w.session.variables["pin"] == "1234" and w.session.variables["pin_ok"] == "yes"


def _to_card(w: Walk) -> None:
    w.done()
    w.press("11")      # main → billing → account (each by barge-in)
    w.press("1")       # account → get_id
    w.done()


def test_card_subflow_lookup_say_survey() -> None:
    w = Walk()
    _to_card(w)
    w.press(CARD + "#")
    assert w.events("ivr.digits")[0]["digits"] == CARD
    assert w.heard()[-1] == "请输入密码。"  # inside the subflow
    w.done()
    w.press("1234")
    assert w.events("ivr.return")[0]["from"] == "pin_check"
    lookup = w.last(s.DoLookup)
    assert lookup.kind == "http" and lookup.params == {"card": CARD} and lookup.timeout == 3.0
    assert w.state is State.LOOKING_UP
    w.send(s.LookupResult({"balance": "12.30", "other": 1}))
    assert w.heard()[-1] == "您的余额为十二元三角"
    assert w.events("ivr.say")[0]["text"] == "十二元三角"
    w.done()
    w.done()
    w.press("5")
    assert w.events("ivr.survey") == [{"type": "ivr.survey", "flow": "hotline", "node": "survey",
                                       "score": 5}]
    assert w.heard()[-1] == "再见。"
    w.done()
    assert w.last(s.Hangup).reason == "flow" and w.state is State.ENDED
    assert w.session.variables["survey_score"] == "5"


def test_wrong_card_number_is_asked_again() -> None:
    w = Walk()
    _to_card(w)
    bad = CARD[:-1] + str((int(CARD[-1]) + 1) % 10)
    w.press(bad + "#")
    assert w.events("ivr.invalid")[0]["problem"] == "check digit wrong"
    assert w.heard()[-1] == "卡号有误。请输入您的卡号，以井号键结束。"
    w.done()
    w.press("123#")
    assert "3 digits, 12-19 wanted" in w.events("ivr.invalid")[1]["problem"]


def test_collect_ends_on_timeout_after_enough_digits_or_at_max() -> None:
    w = Walk()
    _to_card(w)
    w.press(CARD)
    assert w.last(s.StartTimer).seconds == 3.0   # inter-digit
    w.timeout()
    assert w.events("ivr.digits")[0]["digits"] == CARD
    w2 = Walk()
    _to_card(w2)
    w2.press("4111111111111111110")              # 19 = max_digits: no # needed
    assert w2.events("ivr.digits")[0]["digits"] == "4111111111111111110"


@pytest.mark.parametrize("failure", [s.LookupFailed("connection refused"), "timeout"])
def test_lookup_error_plays_the_error_prompt_then_the_error_branch(failure: object) -> None:
    w = Walk()
    _to_card(w)
    w.press(CARD + "#")
    w.done()
    w.press("1234")
    if failure == "timeout":
        w.timeout()  # the backstop timer
    else:
        w.send(failure)  # type: ignore[arg-type]
    assert w.heard()[-1] == "系统繁忙，请稍后再试。"
    reason = "timeout" if failure == "timeout" else "connection refused"
    assert w.events("ivr.lookup")[-1] == {"type": "ivr.lookup", "flow": "hotline",
                                         "node": "lookup_balance", "ok": False, "error": reason}
    assert w.session.variables["error"] == reason
    w.done()
    assert w.last(s.Enqueue).queue == "sales"


def test_lookup_result_without_the_field_is_an_error() -> None:
    w = Walk()
    _to_card(w)
    w.press(CARD + "#")
    w.done()
    w.press("1234")
    w.send(s.LookupResult({"saldo": 3}))
    assert "no `balance`" in w.events("ivr.lookup")[-1]["error"]


def test_caller_hangs_up_in_a_menu() -> None:
    w = Walk()
    w.done()
    w.send(s.CallerHungUp())
    assert w.events("ivr.exit")[-1]["reason"] == "caller_hangup"
    assert w.state is State.ENDED
    assert w.send(s.Digit("1")) == [] and w.send(s.PromptDone(99)) == []


SMALL = {"name": "small", "language": "en", "start": "lang", "nodes": {
    "lang": {"type": "menu", "prompt": "中文请按1，English press 2",
             "choices": {"1": "zh", "2": "en"}},
    "zh": {"type": "set", "values": {"language": "zh"}, "next": "amount"},
    "en": {"type": "set", "values": {"language": "en"}, "next": "amount"},
    "amount": {"type": "say", "kind": "number", "value": "10010", "voice": "prompts",
               "next": "q"},
    "q": {"type": "queue", "queue": "sales", "fallback": "elsewhere"},
    "elsewhere": {"type": "transfer", "to": "flow:other"}}}
OTHER = {"name": "other", "start": "r", "nodes": {"r": {"type": "return"}}}


@pytest.mark.parametrize(("key", "lang", "prompts"), [
    ("1", "zh", ("1", "wan", "0", "1", "shi")), ("2", "en", ("10", "thousand", "10"))])
def test_language_choice_switches_the_voice(key: str, lang: str, prompts: tuple[str, ...]) -> None:
    w = Walk("small", all_flows={"small": load(SMALL), "other": load(OTHER)})
    w.done()
    w.press(key)
    item = w.last(s.Play).items[0]
    assert item.lang == lang and item.prompts == prompts


def test_queue_refused_takes_the_fallback_and_a_flow_transfer_jumps() -> None:
    w = Walk("small", all_flows={"small": load(SMALL), "other": load(OTHER)})
    w.done()
    w.press("2")
    w.done()
    assert w.state is State.HANDED_OFF
    w.send(s.Refused("queue full"))
    assert w.events("ivr.flow")[0]["to"] == "other"
    assert w.last(s.Hangup).reason == "flow_end"


def test_sent_by_an_agent_the_end_goes_back_with_the_results() -> None:
    session = Session({"pin_check": load(PIN_CHECK)}, "pin_check", lambda: TUESDAY_10,
                      variables={"caller": "13800138000"}, from_agent=True)
    first = session.start()
    play = next(a for a in first if isinstance(a, s.Play))
    session.handle(s.PromptDone(play.id))
    out: list[s.Action] = []
    for k in "1234":
        out += session.handle(s.Digit(k))
    back = next(a for a in out if isinstance(a, s.ReturnToAgent))
    assert back.variables["pin_ok"] == "yes" and back.variables["caller"] == "13800138000"
    assert not any(isinstance(a, s.Hangup) for a in out)


def test_flows_calling_each_other_forever_are_stopped() -> None:
    a = load({"name": "a", "start": "go", "nodes": {"go": {"type": "transfer", "to": "flow:b"}}})
    b = load({"name": "b", "start": "go", "nodes": {"go": {"type": "transfer", "to": "flow:a"}}})
    w = Walk("a", all_flows={"a": a, "b": b})
    assert w.events("ivr.error")[0]["error"] == "the flow runs in a loop"
    w.done()
    assert w.last(s.Hangup).reason == "error"


@pytest.mark.parametrize(("digits", "ok"), [
    (CARD, True), ("79927398713", True), ("79927398710", False), ("0", False), ("12a4", False)])
def test_luhn(digits: str, ok: bool) -> None:
    assert luhn(digits) is ok


SPOKEN = {"name": "spoken", "language": "en", "start": "main", "nodes": {
    "main": {"type": "menu", "prompt": "Say billing or press 1", "choices": {"1": "one", "2": "two"},
             "words": {"billing": "1", "sales": "2"}, "fallback": "bye"},
    "one": {"type": "hangup", "prompt": "Billing"},
    "two": {"type": "hangup", "prompt": "Sales"},
    "bye": {"type": "hangup"}}}


def test_a_menu_with_words_listens_and_a_phrase_heard_is_its_key() -> None:
    w = Walk("spoken", all_flows={"spoken": load(SPOKEN)})
    listen = w.last(s.Listen)
    assert listen.phrases == ("billing", "sales") and listen.lang == "en"
    prompt = w.last(s.Play).id
    out = w.send(s.Heard(listen.id, "sales"))          # spoken over the prompt
    assert s.StopPlayback(prompt) in out and s.StopListening(listen.id) in out
    assert w.heard()[-1] == "Sales"


def test_a_stale_or_empty_hearing_changes_nothing() -> None:
    w = Walk("spoken", all_flows={"spoken": load(SPOKEN)})
    listen = w.last(s.Listen)
    assert w.send(s.Heard(listen.id + 100, "billing")) == []
    out = w.send(s.Heard(listen.id, None))
    assert [a.type for a in out if isinstance(a, s.Emit)] == ["ivr.speech"]
    assert w.session.state is State.ASKING              # the prompt plays on
    w.done()
    w.send(s.Digit("1"))
    assert w.heard()[-1] == "Billing"


def test_a_menu_without_words_does_not_listen() -> None:
    w = Walk()
    assert not any(isinstance(a, s.Listen) for a in w.actions)
