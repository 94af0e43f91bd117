"""Playback by phone (话机方式提取): an inspector dials the access code
(``dialplan.recordings_code``, ``*95``), logs in and hears an agent's recordings of one
day and time range.  A pure, explicit state machine like the IVR's voicemail retrieval: a
test drives it with events alone and :mod:`kefu.recordings.listen` voices it on a call.

States::

    ASK_ID ─#─► ASK_PIN ─#─► CHECKING ─Checked(user)─► ASK_AGENT ─#─► ASK_DATE ─#─► ASK_TIME
      ▲                         │ Checked(None)           ▲  ◄─*──        ◄─*──       │ #
      └──── (tries < 3) ────────┘ 3rd: "locked", ENDED    │ #                         ▼
                                                          └──────── PLAYING ◄─Found─ SEARCHING
                                                              * (to ASK_TIME) ┘

* ``ASK_ID`` / ``ASK_PIN``: the inspector's code and PIN, each ended by ``#``; a wrong
  one sounds the same either way; :data:`TRIES` wrong ones end the call (the service
  locks the code: :mod:`kefu.recordings.inspectors`).
* ``ASK_AGENT``: the agent's username digits or extension, then ``#``.
* ``ASK_DATE``: ``YYYYMMDD`` then ``#``; ``#`` alone: today.
* ``ASK_TIME``: ``HHMMHHMM`` (from, to; ``2400`` is the day's end) then ``#``; ``#``
  alone: the whole day.  ``*`` in ASK_DATE / ASK_TIME: back to the question before.
* ``PLAYING``: "N recordings", then each in time order: "number n, hh:mm" and its audio,
  one after the other; after the last, the menu.  Keys (they cut what plays):
  ``6`` next, ``4`` previous, ``5`` again from the start, ``0`` pause / continue,
  ``*`` back to the time range, ``#`` main menu (another agent).  Other keys are
  ignored while a recording plays (a slip must not cut it), answered "invalid" otherwise.

No key for :data:`KEY_TIMEOUT` seconds after a question repeats it; :data:`WAITS` times:
goodbye.  A pause lasts at most :data:`PAUSE_LIMIT` seconds.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass

TRIES = 3
KEY_TIMEOUT = 10.0
WAITS = 3
PAUSE_LIMIT = 300.0
MAX_DIGITS = 16
KEYS = {"next": "6", "previous": "4", "again": "5", "pause": "0", "back": "*", "main": "#"}

PROMPTS: dict[str, dict[str, str]] = {
    "zh": {"id": "请输入质检员工号，以井号键结束",
           "pin": "请输入密码，以井号键结束",
           "wrong": "工号或密码错误", "locked": "错误次数过多，请稍后再试，再见",
           "agent": "请输入坐席工号或分机号，以井号键结束",
           "date": "请输入日期，年月日共八位数字，以井号键结束；今天请直接按井号键",
           "time": "请输入时间段，开始和结束时间各四位数字，以井号键结束；全天请直接按井号键",
           "count": "共找到{count}条录音",
           "none": "没有找到录音",
           "header": "第{n}条，{when}",
           "menu": "下一条请按6，上一条请按4，重听请按5，暂停或继续请按0，"
                   "返回上一级请按星号键，返回主菜单请按井号键",
           "end": "没有更多录音", "first": "这是第一条录音",
           "invalid": "输入有误", "bye": "再见"},
    "en": {"id": "Enter your inspector ID, then the pound key",
           "pin": "Enter your PIN, then the pound key",
           "wrong": "Wrong ID or PIN", "locked": "Too many tries. Try again later. Goodbye",
           "agent": "Enter the agent's ID or extension, then the pound key",
           "date": "Enter the date as eight digits, year month day, then the pound key; "
                   "for today, just press pound",
           "time": "Enter the time range, four digits from and four digits to, then the "
                   "pound key; for the whole day, just press pound",
           "count": "{count} recordings found",
           "none": "No recordings found",
           "header": "Recording {n}, {when}",
           "menu": "Next 6, previous 4, again 5, pause or continue 0, back star, "
                   "main menu pound",
           "end": "No more recordings", "first": "This is the first recording",
           "invalid": "Invalid key", "bye": "Goodbye"},
}


# ---- events in ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Digit:
    key: str


@dataclass(frozen=True)
class Timeout:
    timer: int


@dataclass(frozen=True)
class Done:
    """What :class:`Say` ``play`` played is over (a stopped one's late report is ignored)."""

    play: int


@dataclass(frozen=True)
class HungUp:
    pass


@dataclass(frozen=True)
class Checked:
    """The ID and PIN checked: the inspector's username, None when refused."""

    username: str | None


@dataclass(frozen=True)
class Clip:
    """A recording as the phone plays it: ``at`` when it started (local time)."""

    id: int
    at: dt.datetime
    path: str
    duration: float


@dataclass(frozen=True)
class Found:
    """The search's answer: the recordings in time order."""

    clips: tuple[Clip, ...]


Event = Digit | Timeout | Done | HungUp | Checked | Found


# ---- actions out ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Text:
    text: str
    lang: str


@dataclass(frozen=True)
class Say:
    """Play ``items`` (texts to speak, recordings) in order, then report :class:`Done`;
    ``barge_in`` False: the goodbye is heard whole."""

    id: int
    items: tuple[Text | Clip, ...]
    barge_in: bool = True


@dataclass(frozen=True)
class Stop:
    play: int


@dataclass(frozen=True)
class Pause:
    """Hold ``play`` where it is (:class:`Resume` goes on from there)."""

    play: int


@dataclass(frozen=True)
class Resume:
    play: int


@dataclass(frozen=True)
class StartTimer:
    id: int
    seconds: float


@dataclass(frozen=True)
class CancelTimer:
    id: int


@dataclass(frozen=True)
class CheckPin:
    """Check ``code`` and ``pin``; the runner answers :class:`Checked`."""

    code: str
    pin: str


@dataclass(frozen=True)
class Search:
    """Find agent ``agent``'s (the digits keyed) recordings that started in
    [``since``, ``until``) (epoch seconds); the runner answers :class:`Found`."""

    agent: str
    since: float
    until: float


@dataclass(frozen=True)
class Hangup:
    reason: str


Action = Say | Stop | Pause | Resume | StartTimer | CancelTimer | CheckPin | Search | Hangup

Spell = Callable[[str, str, str], str]
"""``spell(lang, kind, value)``: a number or time as words (``kefu.ivr.readout`` in kefu)."""


def _plain(lang: str, kind: str, value: str) -> str:
    return value


def day_of(digits: str, today: dt.date) -> dt.date | None:
    """The date keyed: ``YYYYMMDD``, or nothing for ``today``; None: not a date."""
    if not digits:
        return today
    if len(digits) != 8 or not digits.isdigit():
        return None
    try:
        return dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return None


def span_of(digits: str) -> tuple[int, int] | None:
    """The time range keyed, ``HHMMHHMM``, as minutes of the day [from, to); nothing: the
    whole day; None: not a range (to must follow from; ``2400`` is the day's end)."""
    if not digits:
        return 0, 24 * 60
    if len(digits) != 8 or not digits.isdigit():
        return None
    minutes = []
    for part in (digits[:4], digits[4:]):
        h, m = int(part[:2]), int(part[2:])
        if m > 59 or h > 24 or (h == 24 and m):
            return None
        minutes.append(h * 60 + m)
    start, end = minutes
    return (start, end) if start < end and start < 24 * 60 else None


class State(enum.Enum):
    ASK_ID = "ask_id"
    ASK_PIN = "ask_pin"
    CHECKING = "checking"
    ASK_AGENT = "ask_agent"
    ASK_DATE = "ask_date"
    ASK_TIME = "ask_time"
    SEARCHING = "searching"
    PLAYING = "playing"
    ENDED = "ended"


_QUESTION = {State.ASK_ID: "id", State.ASK_PIN: "pin", State.ASK_AGENT: "agent",
             State.ASK_DATE: "date", State.ASK_TIME: "time"}
_BACK = {State.ASK_DATE: State.ASK_AGENT, State.ASK_TIME: State.ASK_DATE,
         State.ASK_AGENT: State.ASK_AGENT, State.ASK_PIN: State.ASK_ID,
         State.ASK_ID: State.ASK_ID}


class PhonePlayback:
    """One inspector on the phone: ``start()`` then ``handle(event)``, each answering a
    list of actions.  ``now``: local time now (the date "today" is that of).
    ``spell``: read numbers and times as words."""

    def __init__(self, now: Callable[[], dt.datetime], lang: str = "zh",
                 spell: Spell = _plain) -> None:
        self.now, self.spell = now, spell
        self.lang = lang if lang in PROMPTS else "zh"
        self.state = State.ASK_ID
        self.code = ""
        self.inspector: str | None = None
        self.agent = ""
        self.day: dt.date | None = None
        self.clips: list[Clip] = []
        self.index = 0
        self.tries = 0
        self.paused = False
        self._digits = ""
        self._waits = 0
        self._ids = 0
        self._play = 0          # the Say playing (0: none)
        self._playing_clip = False   # ... and whether it holds a recording
        self._timer = 0
        self._closing = ""
        self._out: list[Action] = []

    @property
    def current(self) -> Clip | None:
        return self.clips[self.index] if 0 <= self.index < len(self.clips) else None

    # ---- the machine's face ---------------------------------------------------------------

    def start(self) -> list[Action]:
        self._ask(State.ASK_ID)
        return self._flush()

    def handle(self, event: Event) -> list[Action]:
        if self.state is State.ENDED:
            if isinstance(event, Done) and event.play == self._play and self._closing:
                self._play = 0            # the goodbye was heard: now hang up
                self._out.append(Hangup(self._closing))
            return self._flush()
        if isinstance(event, HungUp):
            self._cancel_timer()
            self.state = State.ENDED
        elif isinstance(event, Done) and event.play == self._play:
            self._done()
        elif isinstance(event, Timeout) and event.timer == self._timer:
            self._timer = 0
            self._waited()
        elif isinstance(event, Digit):
            self._key(event.key)
        elif isinstance(event, Checked) and self.state is State.CHECKING:
            self._checked(event.username)
        elif isinstance(event, Found) and self.state is State.SEARCHING:
            self._found(event.clips)
        return self._flush()

    # ---- states ---------------------------------------------------------------------------

    def _key(self, key: str) -> None:
        if self.state is State.PLAYING:
            return self._playing_key(key)
        if self.state not in _QUESTION:
            return                      # checking or searching: keys wait for nothing
        self._cut()
        self._waits = 0
        if key == "*":
            return self._ask(_BACK[self.state])
        if key != "#":
            self._digits = (self._digits + key)[:MAX_DIGITS]
            return self._arm()
        digits, self._digits = self._digits, ""
        if self.state is State.ASK_ID:
            self.code = digits
            self._ask(State.ASK_PIN)
        elif self.state is State.ASK_PIN:
            self.state = State.CHECKING
            self._out.append(CheckPin(self.code, digits))
        elif self.state is State.ASK_AGENT:
            if not digits:
                return self._ask(State.ASK_AGENT)
            self.agent = digits
            self._ask(State.ASK_DATE)
        elif self.state is State.ASK_DATE:
            day = day_of(digits, self.now().date())
            if day is None:
                return self._ask(State.ASK_DATE, invalid=True)
            self.day = day
            self._ask(State.ASK_TIME)
        else:
            span = span_of(digits)
            if span is None:
                return self._ask(State.ASK_TIME, invalid=True)
            self._search(*span)

    def _checked(self, username: str | None) -> None:
        if username is None:
            self.tries += 1
            if self.tries >= TRIES:
                return self._bye(["wrong", "locked"], "pin_lockout")
            return self._ask(State.ASK_ID, before=["wrong"])
        self.inspector = username
        self._ask(State.ASK_AGENT)

    def _search(self, start: int, end: int) -> None:
        assert self.day is not None
        tz = self.now().tzinfo
        midnight = dt.datetime.combine(self.day, dt.time(0), tzinfo=tz)
        since = midnight + dt.timedelta(minutes=start)
        until = midnight + dt.timedelta(minutes=end)
        self.state = State.SEARCHING
        self._out.append(Search(self.agent, since.timestamp(), until.timestamp()))

    def _found(self, clips: tuple[Clip, ...]) -> None:
        self.clips = sorted(clips, key=lambda c: (c.at, c.id))
        self.index = 0
        if not self.clips:
            return self._ask(State.ASK_TIME, before=["none"])
        self.state = State.PLAYING
        self._clip([self._text("count", count=self._n(len(self.clips))), self._text("menu")])

    def _playing_key(self, key: str) -> None:
        if key == KEYS["pause"] and self._play and self._playing_clip:
            self._pause()
            return
        if key not in KEYS.values():
            if not self._playing_clip:  # at the menu: say so; during a recording: ignored
                self._cut()
                self._say([self._text("invalid"), self._text("menu")])
            return
        self._cut()
        self._waits = 0
        if key == KEYS["next"]:
            self.index = min(self.index + 1, len(self.clips))
            self._clip([])
        elif key == KEYS["previous"]:
            if self.index == 0:
                self._clip([self._text("first")])
            else:
                self.index = min(self.index, len(self.clips)) - 1
                self._clip([])
        elif key == KEYS["again"]:
            self.index = min(self.index, len(self.clips) - 1)
            self._clip([])
        elif key == KEYS["back"]:
            self._ask(State.ASK_TIME)
        elif key == KEYS["main"]:
            self._ask(State.ASK_AGENT)
        else:                           # 0 with nothing playing: the menu again
            self._say([self._text("menu")])

    def _pause(self) -> None:
        self._cancel_timer()
        if self.paused:
            self.paused = False
            self._out.append(Resume(self._play))
        else:
            self.paused = True
            self._out.append(Pause(self._play))
            self._arm(PAUSE_LIMIT)

    def _clip(self, before: list[Text]) -> None:
        """Play the current recording (after ``before``), announced; past the last one,
        say so and offer the menu."""
        m = self.current
        if m is None:
            self._say([*before, self._text("end"), self._text("menu")])
            return
        when = self.spell(self.lang, "time", m.at.strftime("%H:%M"))
        header = self._text("header", n=self._n(self.index + 1), when=when)
        self._say([*before, header, m])
        self._playing_clip = True

    def _done(self) -> None:
        """What played is over: after a recording the next one follows; after a question
        the wait for a key starts."""
        self._play = 0
        if self.state is State.PLAYING and self._playing_clip:
            self._playing_clip = False
            self.index += 1
            self._clip([])
        else:
            self._arm()

    def _waited(self) -> None:
        self._waits += 1
        if self.paused or self._waits >= WAITS:
            self._bye(["bye"], "no_key")
        elif self.state is State.PLAYING:
            self._say([self._text("menu")])
        elif self.state in _QUESTION:
            self._ask(self.state)

    # ---- helpers --------------------------------------------------------------------------

    def _ask(self, state: State, before: Sequence[str] = (), invalid: bool = False) -> None:
        self._cut()
        self.state, self._digits = state, ""
        keys = [*before, *(["invalid"] if invalid else []), _QUESTION[state]]
        self._say([self._text(k) for k in keys])

    def _bye(self, keys: list[str], reason: str) -> None:
        self._cut()
        self._cancel_timer()
        self._say([self._text(k) for k in keys], barge_in=False)
        self._closing = reason            # at the prompt's end: Hangup(reason)
        self.state = State.ENDED

    def _cut(self) -> None:
        """Stop what plays (a key cuts it) and the wait for a key."""
        if self._play:
            self._out.append(Stop(self._play))
            self._play = 0
        self._playing_clip = False
        self.paused = False
        self._cancel_timer()

    def _say(self, items: list[Text | Clip], barge_in: bool = True) -> None:
        self._ids += 1
        self._play = self._ids
        self._playing_clip = False
        self._out.append(Say(self._ids, tuple(items), barge_in))

    def _text(self, key: str, **values: object) -> Text:
        return Text(PROMPTS[self.lang][key].format(**values), self.lang)

    def _n(self, n: int) -> str:
        return self.spell(self.lang, "number", str(n))

    def _arm(self, seconds: float = KEY_TIMEOUT) -> None:
        self._cancel_timer()
        self._ids += 1
        self._timer = self._ids
        self._out.append(StartTimer(self._ids, seconds))

    def _cancel_timer(self) -> None:
        if self._timer:
            self._out.append(CancelTimer(self._timer))
            self._timer = 0

    def _flush(self) -> list[Action]:
        out, self._out = self._out, []
        return out
