"""The IVR on calls in process: the real adapter (:mod:`kefu.ivr.calls`) and ACD over the
fake switch and a clock the test moves.  Prompts "play" at once (the fake switch's
players are done when made), so a test presses keys and lets timers run out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fake_clock import FakeClock
from fake_switch import FakeSwitch, incoming, run

from kefu.acd.service import Acd
from kefu.bus import Event, LocalBus
from kefu.calls.call import Call, CallState, Disposition
from kefu.calls.dialplan import Route
from kefu.config import QueueConfig, Settings
from kefu.events import check
from kefu.ivr import steps as s
from kefu.ivr.calls import IvrCalls
from kefu.ivr.flowcheck import load
from kefu.ivr.records import PublishedFlow

HOTLINE = """\
name: hotline
start: greet
nodes:
  greet: {type: play, prompt: 欢迎致电, next: main}
  main:
    type: menu
    prompt: 账单请按1，技术支持请按2
    choices: {"1": billing, "2": support}
    into: choice
    invalid_prompt: 输入有误
    retries: 1
    fallback: bye
  billing:
    type: menu
    prompt: 查询请按1，返回请按9
    choices: {"1": account, "9": main}
    into: sub
    fallback: bye
  account:
    type: collect
    prompt: 请输入四位账号
    into: account
    min_digits: 4
    max_digits: 4
    next: to_sales
  to_sales:
    type: queue
    queue: sales
    priority: 5
    data: {account: "${account}", path: "${choice}${sub}", customer: "${customer_name}"}
    fallback: busy
  busy: {type: play, prompt: 坐席忙，请稍后再拨, next: bye}
  support: {type: queue, queue: nowhere, fallback: bye}
  bye: {type: hangup, prompt: 再见}
"""


class Spoken:
    """Sounds that speak nothing: each item's text (or file name) as a path."""

    def __init__(self) -> None:
        self.items: list[s.Item] = []

    async def files(self, item: s.Item) -> list[Path]:
        self.items.append(item)
        return [Path(item.file or item.text or "-")]


class Line:
    """One ACD, one IVR, their fake switch and clock, and what they published."""

    def __init__(self, **sales: Any) -> None:
        self.settings = Settings(queues=[QueueConfig(name="sales", number="600",
                                                     members={"alice": 1}, **sales)])
        self.clock = FakeClock()
        self.bus = LocalBus()
        self.events: list[Event] = []
        self.bus.subscribe(self.events.append)
        self.switch = FakeSwitch({"1001": "free", "600": "queue:sales"}, bus=self.bus,
                                 clock=self.clock)
        self.acd = Acd(self.settings, self.switch, self.bus, clock=self.clock)
        self.published: dict[str, PublishedFlow] = {}
        self.publish(HOTLINE)
        self.sounds = Spoken()
        self.stored: list[s.StoreRecord] = []
        self.ivr = IvrCalls(self.switch, self.bus, lambda: dict(self.published), self.sounds,
                            self.clock, queues=self.acd,
                            customer=lambda n: {"customer_name": "王芳", "tier": "vip"}
                            if n == "2001" else {},
                            store=lambda call, flow, a: self.stored.append(a))
        self.switch.destinations.update(queue=self.acd.take, flow=self.ivr.take)
        run(self.acd.start())

    def publish(self, text: str) -> None:
        flow = load(text)
        version = self.published[flow.name].version + 1 if flow.name in self.published else 1
        self.published[flow.name] = PublishedFlow(flow.name, version, flow)

    def dial(self, caller: str = "2001", flow: str = "hotline") -> Call:
        call = incoming(self.switch, caller, "800")
        run(self.ivr.take(call, Route(kind="flow", flow=flow)))
        return call

    def press(self, call: Call, keys: str) -> None:
        for key in keys:
            self.switch.publish(call, "call.dtmf", digit=key, leg="caller", number=call.caller)

    def ivr_events(self, type_: str) -> list[dict[str, Any]]:
        found = [e for e in self.events if e.type == type_]
        for e in found:
            check(e)                    # as declared in kefu.events
        return [e.data for e in found]

    def said(self) -> list[str]:
        return [i.text or "" for i in self.sounds.items]


@pytest.fixture
def line() -> Line:
    return Line()


def test_a_menu_walk_queues_the_caller_with_what_the_flow_learned(line: Line) -> None:
    line.acd.login("alice", "1001", ready=True)
    call = line.dial()
    assert call.state is CallState.HOSTED and line.said() == ["欢迎致电", "账单请按1，技术支持请按2"]
    line.press(call, "1")
    line.press(call, "1")
    line.press(call, "4321")
    assert call.state is CallState.QUEUED and call.queue == "sales"
    assert call.data == {"account": "4321", "path": "11", "customer": "王芳"}
    assert call.id not in line.ivr.walks
    (entered,) = line.ivr_events("queue.entered")
    assert entered["priority"] == 5
    (offer,) = line.ivr_events("queue.offer")
    assert offer["agents"] == ["alice"] and offer["attached"]["account"] == "4321"
    assert line.switch.ringing("1001")
    assert [e["node"] for e in line.ivr_events("ivr.node")] == [
        "greet", "main", "billing", "account", "to_sales"]
    assert line.ivr_events("ivr.exit") == [{"flow": "hotline", "node": "to_sales",
                                            "reason": "queue", "to": "sales"}]
    assert line.ivr_events("ivr.start")[0]["version"] == 1
    for type_ in {e.type for e in line.events if e.type.startswith("ivr.")}:
        line.ivr_events(type_)


def test_an_invalid_key_plays_the_invalid_prompt_and_asks_again(line: Line) -> None:
    call = line.dial()
    line.press(call, "7")
    assert line.said()[-2:] == ["输入有误", "账单请按1，技术支持请按2"]
    assert line.ivr_events("ivr.invalid")[0]["digits"] == "7"
    line.press(call, "8")               # retries used up: the fallback says goodbye
    assert line.said()[-1] == "再见"
    assert call.ended
    assert line.ivr_events("ivr.exit")[-1]["reason"] == "hangup"


def test_silence_times_out_then_falls_back(line: Line) -> None:
    call = line.dial()
    line.clock.advance(4.9)
    assert not line.ivr_events("ivr.timeout")
    line.clock.advance(0.2)
    assert line.ivr_events("ivr.timeout") == [{"flow": "hotline", "node": "main", "attempt": 1}]
    line.clock.advance(5.1)
    assert call.ended and line.said()[-1] == "再见"


def test_a_queue_that_does_not_exist_takes_the_nodes_fallback(line: Line) -> None:
    call = line.dial()
    line.press(call, "2")
    assert line.ivr_events("ivr.refused")[0]["reason"] == "no queue 'nowhere'"
    assert call.ended and line.said()[-1] == "再见"


def test_hanging_up_inside_the_flow_ends_the_walk_and_its_timers(line: Line) -> None:
    call = line.dial()
    line.press(call, "1")
    line.switch.hang_up(call)
    assert call.id not in line.ivr.walks
    assert line.ivr_events("ivr.exit")[-1] == {"flow": "hotline", "node": "billing",
                                                "reason": "caller_hangup"}
    n = len(line.events)
    line.clock.advance(60)
    assert len(line.events) == n        # no timer of the gone call fires


def test_a_new_version_does_not_change_a_call_in_progress(line: Line) -> None:
    call = line.dial()
    line.publish(HOTLINE.replace("账单请按1，技术支持请按2", "新菜单"))
    later = line.dial("2002")
    line.press(call, "7")               # the first call still hears its own version's menu
    assert line.said()[-1] == "账单请按1，技术支持请按2"
    assert "新菜单" in line.said()
    versions = [e["version"] for e in line.ivr_events("ivr.start")]
    assert versions == [1, 2] and not later.ended


def test_the_customer_look_up_on_entry_fills_the_variables(line: Line) -> None:
    line.dial("2001")
    unknown = line.dial("2099")
    walk = line.ivr.walks[unknown.id]
    assert walk.session.variables["customer_name"] == ""
    assert walk.session.variables["caller"] == "2099"


def test_a_flow_with_no_published_version_is_refused(line: Line) -> None:
    call = line.dial(flow="missing")
    assert call.ended and not line.ivr_events("ivr.start")
    assert ("call.ended", {"disposition": "not_found", "hangup_by": "system",
                           "sip_code": 404}) in line.switch.events


TRANSFER = """\
name: desk
start: ask
nodes:
  ask:
    type: menu
    prompt: 转接请按1
    choices: {"1": to_alice, "2": to_nobody}
  to_alice: {type: transfer, to: "1001", fallback: sorry}
  to_nobody: {type: transfer, to: "1999", fallback: sorry}
  sorry: {type: hangup, prompt: 无法接通}
"""


def test_a_transfer_node_rings_the_number_and_connects_the_caller(line: Line) -> None:
    line.publish(TRANSFER)
    call = line.dial(flow="desk")
    line.press(call, "1")
    assert line.switch.ringing("1001") and call.room.waiting
    line.switch.answer("1001")
    assert call.state is CallState.CONNECTED and call.id not in line.ivr.walks
    assert [m.number for m in call.room.parties] == ["2001", "1001"]


def test_a_transfer_that_fails_takes_the_fallback(line: Line) -> None:
    line.publish(TRANSFER)
    call = line.dial(flow="desk")
    line.press(call, "1")
    line.switch.refuse("1001", 486, "Busy Here")
    assert line.ivr_events("ivr.refused")[0]["reason"] == "486 Busy Here"
    assert call.ended and line.said()[-1] == "无法接通"
    other = line.dial("2002", flow="desk")
    line.press(other, "2")                # no such number: refused before ringing
    assert other.ended and line.ivr_events("ivr.refused")[1]["reason"] == "Not Found"


def test_a_call_transferred_into_a_flow_is_not_answered_again(line: Line) -> None:
    line.acd.login("alice", "1001", ready=True)
    call = incoming(line.switch, "2001", "1002")
    call.a_rtp = object()                 # type: ignore[assignment]
    call.transition(CallState.RINGING)
    call.transition(CallState.CONNECTED)
    call.room.waiting = True              # what a blind transfer leaves: music
    run(line.ivr.take(call, Route(kind="flow", flow="hotline")))
    assert not call.room.waiting and ("call.answered", {}) not in line.switch.events
    line.press(call, "1")
    line.press(call, "1")
    line.press(call, "5555")
    assert call.state is CallState.QUEUED and call.data["account"] == "5555"


def test_a_prompt_that_cannot_be_played_does_not_stall_the_flow(line: Line) -> None:
    def broken(call: Call, path: Path) -> Any:
        raise OSError(f"{path}: no such file")
    line.switch.play_prompt = broken      # type: ignore[method-assign]
    call = line.dial()
    assert line.ivr.walks[call.id].session.state.value == "waiting"   # the menu waits
    line.press(call, "1")
    assert [e["node"] for e in line.ivr_events("ivr.node")][-1] == "billing"


def test_a_full_queue_sends_the_caller_back_to_the_nodes_fallback() -> None:
    """The ACD refuses the caller a ``queue`` node sent (full, no overflow): the call
    stays up and the flow goes on at the node's fallback."""
    line = Line(max_length=1)
    first = incoming(line.switch, "2002", "600")
    run(line.acd.take(first, Route(kind="queue", queue="sales")))
    call = line.dial()
    line.press(call, "1")
    line.press(call, "1")
    line.press(call, "4321")
    assert line.ivr_events("queue.refused") == [{"queue": "sales", "reason": "full",
                                                 "caller": "2001"}]
    assert line.ivr_events("ivr.refused")[0]["reason"] == "queue 'sales' full"
    assert line.said()[-2:] == ["坐席忙，请稍后再拨", "再见"]
    assert call.ended and call.queue is None and first.queue == "sales"


def test_an_empty_queue_without_overflow_refuses_back_into_the_flow() -> None:
    line = Line(join_empty=False)
    call = line.dial()
    line.press(call, "1")
    line.press(call, "1")
    line.press(call, "432")
    assert call.id in line.ivr.walks and not line.ivr_events("queue.refused")
    line.press(call, "1")
    assert line.ivr_events("ivr.refused")[0]["reason"] == "queue 'sales' empty"
    assert [e["node"] for e in line.ivr_events("ivr.node")][-2:] == ["busy", "bye"]


def test_a_queues_overflow_sends_the_waiting_caller_into_a_flow() -> None:
    line = Line(max_wait=10, overflow="flow:hotline")
    call = incoming(line.switch, "2001", "600")
    run(line.acd.take(call, Route(kind="queue", queue="sales")))
    assert call.state is CallState.QUEUED and call.room.waiting
    line.clock.advance(10.1)
    assert line.ivr_events("queue.overflow")[0]["destination"] == "flow:hotline"
    assert call.state is CallState.HOSTED and not call.room.waiting and call.queue is None
    assert call.id in line.ivr.walks and line.said() == ["欢迎致电", "账单请按1，技术支持请按2"]
    line.press(call, "2")               # the flow runs on: support's queue is missing
    assert call.ended and line.said()[-1] == "再见"


DEMO = Path(__file__).resolve().parents[2] / "src/kefu/ivr/demo/hotline.yaml"


def test_the_demo_hotline_reads_out_today_in_both_languages(line: Line) -> None:
    line.publish(DEMO.read_text(encoding="utf-8"))
    call = line.dial()
    today = line.ivr.walks[call.id].session.variables["today"]
    assert today == dt.datetime.fromtimestamp(line.clock()).astimezone().date().isoformat()
    line.press(call, "1")
    said = line.said()
    assert "今天是" in said and "Today is" in said
    assert said.index("今天是") < said.index("Today is")
    assert line.ivr_events("ivr.node")[-1]["node"] == "main"      # back to the menu
    line.press(call, "2")               # no queue "service" here: the busy message
    assert line.said()[-2:] == ["坐席忙，请稍后再拨。All our agents are busy, please call again "
                                "later.", "再见。Goodbye."]
    assert call.ended


SPOKEN = """\
name: spoken
language: en
start: main
nodes:
  main:
    type: menu
    prompt: Say billing or press 1, say operator or press 2
    choices: {"1": one, "2": two}
    words: {billing: "1", operator: "2"}
    into: choice
    timeout: 5
    fallback: bye
  one: {type: hangup, prompt: Billing}
  two: {type: hangup, prompt: Operator}
  bye: {type: hangup}
"""
LOUD = np.full(160, 3000, np.int16)
QUIET = np.zeros(160, np.int16)


def speak(line: Line, call: Call, frames: int = 20) -> None:
    """The caller says something: loud frames, then the pause that ends an utterance."""
    tap = line.switch.listening[call.id]
    for frame in [LOUD] * frames + [QUIET] * 40:
        tap.on_frame(frame)


def test_a_word_of_the_menu_counts_as_its_key(line: Line) -> None:
    heard: list[s.Listen] = []

    async def hear(pcm: np.ndarray, listen: s.Listen) -> str | None:
        heard.append(listen)
        assert len(pcm) >= 20 * 160
        return "operator"
    line.ivr.hear = hear
    line.publish(SPOKEN)
    call = line.dial(flow="spoken")
    speak(line, call)
    assert heard and heard[0].phrases == ("billing", "operator") and heard[0].lang == "en"
    assert line.ivr_events("ivr.speech")[-1]["heard"] == "operator"
    assert line.ivr_events("ivr.choice")[-1] == {"flow": "spoken", "node": "main", "key": "2",
                                                 "to": "two", "said": "operator"}
    assert line.switch.listening[call.id].closed      # the menu is over: no more listening


def test_speech_not_heard_leaves_the_keys_and_a_key_still_works(line: Line) -> None:
    async def hear(pcm: np.ndarray, listen: s.Listen) -> str | None:
        return None
    line.ivr.hear = hear
    line.publish(SPOKEN)
    call = line.dial(flow="spoken")
    speak(line, call)
    assert line.ivr_events("ivr.speech")[-1]["heard"] is None
    assert not line.ivr_events("ivr.choice")
    line.press(call, "1")
    assert line.ivr_events("ivr.choice")[-1]["key"] == "1"


def test_without_a_speech_engine_a_menu_with_words_takes_keys(line: Line) -> None:
    line.publish(SPOKEN)
    call = line.dial(flow="spoken")
    assert call.id not in line.switch.listening
    line.press(call, "2")
    assert line.ivr_events("ivr.choice")[-1]["key"] == "2"


def test_hanging_up_while_listening_stops_the_tap(line: Line) -> None:
    async def hear(pcm: np.ndarray, listen: s.Listen) -> str | None:
        return None
    line.ivr.hear = hear
    line.publish(SPOKEN)
    call = line.dial(flow="spoken")
    tap = line.switch.listening[call.id]
    run(line.switch.end(call, Disposition.ANSWERED, "caller", 200))
    assert tap.closed and call.id not in line.ivr.walks


def test_a_new_calls_database_reads_run_through_offload(line: Line) -> None:
    """The flows snapshot and the customer look-up block (the database): kefu hands them to
    a worker thread through ``offload``, so neither may run outside it."""
    inside, seen = [False], []

    async def offload(fn, *args):  # type: ignore[no-untyped-def]
        inside[0] = True
        try:
            return fn(*args)
        finally:
            inside[0] = False

    flows, customer = line.ivr.flows, line.ivr.customer
    assert customer is not None
    line.ivr.offload = offload
    line.ivr.flows = lambda: (seen.append(("flows", inside[0])), flows())[1]
    line.ivr.customer = lambda n: (seen.append(("customer", inside[0])), customer(n))[1]
    call = line.dial("2001")
    assert sorted(seen) == [("customer", True), ("flows", True)]
    assert line.ivr.walks[call.id].session.variables["tier"] == "vip"
