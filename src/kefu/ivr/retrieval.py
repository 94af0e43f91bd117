"""Phone retrieval of voicemail (the feature code, ``*98`` by default): a small explicit
state machine, pure like the flow engine (:mod:`kefu.ivr.engine`), so a test drives it
with events alone and the same runner (:class:`kefu.ivr.calls.Walk`) voices it.

States::

    ASK_BOX ─#─► ASK_PIN ─#─► CHECKING ─Opened(box)─► LISTENING ─#─► ENDED
       ▲                          │ Opened(None): wrong number or PIN
       └──────── (tries < 3) ─────┘   3rd time: "too many tries", ENDED

``ASK_BOX``: the mailbox number then ``#`` (``#`` alone: the caller's own extension);
``ASK_PIN``: the PIN then ``#``; ``CHECKING``: the adapter checks it (argon2 is slow: a
worker thread) and answers :class:`Opened`, the messages newest first.  A wrong number and
a wrong PIN sound the same.  ``LISTENING``: each message (optionally announced: its number,
caller, date and time) then the menu; keys, at any moment (they cut the prompt):
``1`` again, ``2`` save, ``3`` next, ``4`` previous, ``7`` delete, ``#`` goodbye.
No key for :data:`KEY_TIMEOUT` seconds repeats the question; :data:`WAITS` times: goodbye.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from . import steps as s
from .readout import read
from .records import DELETED, NEW, SAVED

TRIES = 3                 # wrong mailbox/PIN entries before the call ends
KEY_TIMEOUT = 10.0        # seconds to wait for a key after a question
WAITS = 3                 # questions left unanswered before the call ends
MAX_DIGITS = 16

PROMPTS: dict[str, dict[str, str]] = {
    "zh": {"box": "请输入信箱号码，以井号键结束；查听本机信箱请直接按井号键",
           "pin": "请输入密码，以井号键结束",
           "wrong": "信箱号码或密码错误", "locked": "错误次数过多，再见",
           "count": "新留言{new}条，已保存{saved}条",
           "none": "您没有留言",
           "header": "第{n}条，来自{caller}，{when}",
           "menu": "重听请按1，保存请按2，下一条请按3，上一条请按4，删除请按7，退出请按井号键",
           "saved": "留言已保存", "deleted": "留言已删除", "end": "没有更多留言",
           "first": "这是第一条留言", "invalid": "输入有误", "bye": "再见"},
    "en": {"box": "Enter the mailbox number, then the pound key; for your own mailbox, "
                  "just press pound",
           "pin": "Enter your PIN, then the pound key",
           "wrong": "Wrong mailbox number or PIN", "locked": "Too many tries. Goodbye",
           "count": "You have {new} new and {saved} saved messages",
           "none": "You have no messages",
           "header": "Message {n}, from {caller}, {when}",
           "menu": "To hear it again press 1, to save it 2, next message 3, previous 4, "
                   "delete 7, to leave press pound",
           "saved": "Message saved", "deleted": "Message deleted", "end": "No more messages",
           "first": "This is the first message", "invalid": "Invalid key", "bye": "Goodbye"},
}


# ---- what the machine adds to the flow engine's events and actions -------------------------

@dataclass(frozen=True)
class Heard:
    """A message as retrieval sees it: ``path`` its WAV, ``at`` when it was left (local)."""

    id: int
    caller: str
    at: dt.datetime
    path: str
    status: str


@dataclass(frozen=True)
class CheckPin:
    """Action: open mailbox ``box`` with ``pin``; the adapter answers :class:`Opened`."""

    box: str
    pin: str


@dataclass(frozen=True)
class Opened:
    """Event: the mailbox's id and messages (newest first); ``mailbox`` None: no such
    mailbox or a wrong PIN."""

    mailbox: int | None
    messages: tuple[Heard, ...] = ()


@dataclass(frozen=True)
class MarkMessage:
    """Action: move message ``id`` to ``status`` (saved, deleted)."""

    id: int
    status: str


def _when(lang: str, at: dt.datetime) -> str:
    """The day and time a message was left, short (no year: the TTS is slow enough)."""
    time = read(lang, "time", at.strftime("%H:%M")).text
    if lang == "zh":
        return f"{read(lang, 'number', at.month).text}月{read(lang, 'number', at.day).text}日{time}"
    return f"{at:%B} {at.day}, {time}"


class State(enum.Enum):
    ASK_BOX = "ask_box"
    ASK_PIN = "ask_pin"
    CHECKING = "checking"
    LISTENING = "listening"
    ENDED = "ended"


class Retrieval:
    """One caller at the voicemail: ``start()`` then ``handle(event)``, each answering
    actions (steps' Play, StopPlayback, StartTimer, CancelTimer, Hangup; CheckPin,
    MarkMessage).  ``announce``: read each message's number, caller, date and time."""

    def __init__(self, caller: str, lang: str = "zh", announce: bool = True) -> None:
        self.caller, self.lang, self.announce = caller, lang if lang in PROMPTS else "zh", announce
        self.state = State.ASK_BOX
        self.box = ""
        self.mailbox: int | None = None
        self.messages: list[Heard] = []
        self.index = 0
        self.tries = 0
        self._digits = ""
        self._waits = 0
        self._ids = 0
        self._play = 0                 # the Play whose end starts the wait for a key
        self._timer = 0
        self._closing = ""
        self._out: list[object] = []

    # ---- the machine's face ---------------------------------------------------------

    def start(self) -> list[object]:
        self._ask(State.ASK_BOX, ["box"])
        return self._flush()

    def handle(self, event: object) -> list[object]:
        if self.state is State.ENDED:
            if isinstance(event, s.PromptDone) and event.play == self._play and self._closing:
                self._play = 0          # the goodbye was heard: now hang up
                self._out.append(s.Hangup(self._closing))
            return self._flush()
        if isinstance(event, s.CallerHungUp):
            self._cancel_timer()
            self.state = State.ENDED
        elif isinstance(event, s.PromptDone) and event.play == self._play:
            self._play = 0
            self._arm()
        elif isinstance(event, s.Timeout) and event.timer == self._timer:
            self._timer = 0
            self._waited()
        elif isinstance(event, s.Digit):
            self._key(event.key)
        elif isinstance(event, Opened) and self.state is State.CHECKING:
            self._opened(event)
        return self._flush()

    @property
    def current(self) -> Heard | None:
        return self.messages[self.index] if 0 <= self.index < len(self.messages) else None

    # ---- states -----------------------------------------------------------------------

    def _key(self, key: str) -> None:
        if self._play:                         # a key cuts what is playing
            self._out.append(s.StopPlayback(self._play))
            self._play = 0
        self._cancel_timer()
        self._waits = 0
        if self.state in (State.ASK_BOX, State.ASK_PIN):
            if key != "#":
                self._digits = (self._digits + key)[:MAX_DIGITS]
                self._arm()
            elif self.state is State.ASK_BOX:
                self.box = self._digits or self.caller
                self._ask(State.ASK_PIN, ["pin"])
            else:
                self.state = State.CHECKING
                self._out.append(CheckPin(self.box, self._digits))
                self._digits = ""
        elif self.state is State.LISTENING:
            self._menu_key(key)

    def _opened(self, e: Opened) -> None:
        if e.mailbox is None:
            self.tries += 1
            if self.tries >= TRIES:
                self._bye(["wrong", "locked"], "pin_lockout")
            else:
                self._ask(State.ASK_BOX, ["wrong", "box"])
            return
        self.mailbox, self.messages, self.index = e.mailbox, list(e.messages), 0
        self.state = State.LISTENING
        if not self.messages:
            self._bye(["none", "bye"], "no_messages")
            return
        new = sum(m.status == NEW for m in self.messages)
        self._message([self._text("count", new=new, saved=len(self.messages) - new)])

    def _menu_key(self, key: str) -> None:
        m = self.current
        if key == "#":
            self._bye(["bye"], "done")
        elif key == "1" and m is not None:
            self._message([])
        elif key == "2" and m is not None:
            if m.status == NEW:
                self._out.append(MarkMessage(m.id, SAVED))
                self.messages[self.index] = Heard(m.id, m.caller, m.at, m.path, SAVED)
            self.index += 1
            self._message([self._text("saved")])
        elif key == "3" and m is not None:
            self.index += 1
            self._message([])
        elif key == "4":
            if self.index == 0:
                self._message([self._text("first")])
            else:
                self.index = min(self.index, len(self.messages)) - 1
                self._message([])
        elif key == "7" and m is not None:
            self._out.append(MarkMessage(m.id, DELETED))
            del self.messages[self.index]
            self._message([self._text("deleted")])
        else:
            self._say([self._text("invalid"), self._text("menu")])

    def _message(self, before: list[s.Item]) -> None:
        """Play the current message (after ``before``) and the menu; past the last one,
        say so and offer the menu."""
        m = self.current
        if m is None:
            self._say([*before, self._text("end"), self._text("menu")])
            return
        items = list(before)
        if self.announce:
            when = _when(self.lang, m.at)
            caller = read(self.lang, "digits", m.caller).text if m.caller.isdigit() \
                else (m.caller or "-")
            items.append(self._text("header", n=self.index + 1, caller=caller, when=when))
        items += [s.Item(path=m.path, lang=self.lang), self._text("menu")]
        self._say(items)

    def _waited(self) -> None:
        self._waits += 1
        if self._waits >= WAITS:
            self._bye(["bye"], "no_key")
        elif self.state is State.LISTENING:
            self._say([self._text("menu")])
        elif self.state is State.ASK_BOX:
            self._ask(State.ASK_BOX, ["box"])
        elif self.state is State.ASK_PIN:
            self._ask(State.ASK_PIN, ["pin"])

    # ---- helpers ----------------------------------------------------------------------

    def _ask(self, state: State, keys: list[str]) -> None:
        self.state, self._digits = state, ""
        self._say([self._text(k) for k in keys])

    def _bye(self, keys: list[str], reason: str) -> None:
        self._cancel_timer()
        self._say([self._text(k) for k in keys], barge_in=False)
        self._closing = reason                # at the prompt's end: Hangup(reason)
        self.state = State.ENDED

    def _say(self, items: list[s.Item], barge_in: bool = True) -> None:
        self._ids += 1
        self._play = self._ids
        self._out.append(s.Play(self._ids, tuple(items), barge_in))

    def _text(self, key: str, **values: object) -> s.Item:
        return s.Item(text=PROMPTS[self.lang][key].format(**values), lang=self.lang)

    def _arm(self) -> None:
        self._cancel_timer()
        self._ids += 1
        self._timer = self._ids
        self._out.append(s.StartTimer(self._ids, KEY_TIMEOUT))

    def _cancel_timer(self) -> None:
        if self._timer:
            self._out.append(s.CancelTimer(self._timer))
            self._timer = 0

    def _flush(self) -> list[object]:
        out, self._out = self._out, []
        return out
