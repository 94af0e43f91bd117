"""Playback by phone on calls: the switch's destination for ``recordings`` routes (the
access code a phone dials, ``dialplan.recordings_code``).

:class:`PhoneListen` answers the inspector and runs a
:class:`~kefu.recordings.phone.PhonePlayback` in a :class:`Line`: the machine's actions
carried to the switch (prompts, recordings, timers, hang-up), the phone's keys and
hang-up (``call.dtmf`` / ``call.ended`` on the bus) and the look-ups' answers fed back.

The IVR is a sibling in the layers, so what it owns is injected by ``app.py``: ``voice``
(text → the WAVs that speak it: the IVR's TTS cache) and ``spell`` (numbers and times as
words: ``kefu.ivr.readout``).  Recordings are decoded off the loop (``soundfile``: WAV
today, FLAC or Opus once compressed) into 8 kHz mono and played as samples, so a pause
resumes where it stopped; every recording that starts playing is audited
(``phone_play``, from ``phone:<extension>``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from kefu.bus import Bus, Event
from kefu.calls.call import Call, CallState, Disposition
from kefu.calls.dialplan import Route
from kefu.calls.protocol import Switchboard
from kefu.calls.room import Member
from kefu.media.codecs import MIX_RATE
from kefu.media.dsp import resample, to_int16
from kefu.users.service import Users

from . import phone as p
from .inspectors import Inspectors
from .records import Search
from .service import Recordings

log = logging.getLogger(__name__)

Voice = Callable[[str, str], Awaitable[list[Path]]]
"""``voice(text, lang)``: the WAV files that speak ``text``."""
Access = Callable[[str], "tuple[str, ...] | None"]
"""Inspector's username → the agents whose recordings they may hear (None: all)."""
MAX_CLIPS = 200            # recordings one search plays at most
PLAYABLE = ("done", "interrupted")


def decode(path: str | Path) -> np.ndarray:
    """The file as 8 kHz mono int16 (blocking: a worker thread).  Read in blocks as
    float32, so an hour's stereo recording costs about its mono samples in memory, not
    the 460 MB of reading it whole as float64."""
    with sf.SoundFile(str(path)) as f:
        rate = f.samplerate
        parts = [b.mean(axis=1) for b in f.blocks(blocksize=1 << 16, dtype="float32",
                                                   always_2d=True)]
    mono = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
    if rate != MIX_RATE:
        mono = resample(mono.astype(np.float64), rate, MIX_RATE)
    return to_int16(mono * 32767.0)


def agent_of(users: Users | None, digits: str) -> str:
    """The agent the inspector keyed: the user named ``digits``, else the agent bound to
    extension ``digits``, else the digits as they are (an agent column holding them)."""
    if users is None or users.user_named(digits) is not None:
        return digits
    for username, numbers in users.extension_bindings().items():
        if digits in numbers:
            return username
    return digits


@dataclass
class PhoneListen:
    """The ``recordings`` destination: one :class:`Line` per inspector calling."""

    switch: Switchboard
    bus: Bus
    recordings: Recordings
    inspectors: Inspectors
    voice: Voice
    users: Users | None = None
    spell: p.Spell = p._plain
    access: Access | None = None
    lang: str = "zh"

    def __post_init__(self) -> None:
        self.lines: dict[str, Line] = {}
        self.bus.subscribe(self._on_call_event, prefix="call.")

    async def __call__(self, call: Call, route: Route, /) -> None:
        if call.state is CallState.ROUTING:
            await self.switch.answer_hosted(call)
            if call.ended:
                return
            assert call.a is not None and call.a_rtp is not None
            self.switch.join(call, Member(call.caller, "caller", call.a, call.a_rtp), quiet=True)
        line = Line(self, call)
        self.lines[call.id] = line
        log.info("call %s: %s at the recordings by phone", call.id, call.caller)
        line.feed(None)

    def _on_call_event(self, event: Event) -> None:
        line = self.lines.get(event.call_id or "")
        if line is None:
            return
        if event.type == "call.dtmf" and event.data.get("leg") == "caller":
            line.feed(p.Digit(str(event.data.get("digit", ""))))
        elif event.type == "call.ended":
            line.feed(p.HungUp())
            line.close()

    # --- what the machine asks of the store, off the loop --------------------------------
    def search(self, inspector: str, keyed: str, since: float, until: float
               ) -> tuple[p.Clip, ...]:
        agent = agent_of(self.users, keyed)
        agents = self.access(inspector) if self.access is not None else None
        page = self.recordings.search(Search(agent=agent, since=since, until=until - 1e-3,
                                             agents=agents),
                                      0, MAX_CLIPS, "started_at", descending=False)
        return tuple(p.Clip(r.id, dt.datetime.fromtimestamp(r.started_at).astimezone(),
                            str(self.recordings.file(r)), r.duration)
                     for r in page.items if r.state in PLAYABLE)


class Line:
    """One inspector's call: the machine, and what its actions started (a Say playing,
    timers, a look-up), so a hang-up stops them all."""

    def __init__(self, owner: PhoneListen, call: Call) -> None:
        self.owner, self.call = owner, call
        self.machine = p.PhonePlayback(lambda: dt.datetime.now().astimezone(), owner.lang,
                                       owner.spell)
        self.address = f"phone:{call.caller}"[:64]
        self._events: list[p.Event | None] = []
        self._busy = False
        self._plays: dict[int, Playback] = {}
        self._timers: dict[int, asyncio.TimerHandle] = {}
        self._work: asyncio.Task[Any] | None = None
        self._audits: set[asyncio.Task[None]] = set()   # held: the loop keeps weak ones
        self.closed = False

    def feed(self, event: p.Event | None) -> None:
        """Hand ``event`` to the machine (None: start it), in order."""
        if self.closed:
            return
        self._events.append(event)
        if self._busy:
            return
        self._busy = True
        try:
            while self._events and not self.closed:
                e = self._events.pop(0)
                self._do(self.machine.start() if e is None else self.machine.handle(e))
        finally:
            self._busy = False

    def close(self) -> None:
        if self.owner.lines.get(self.call.id) is self:
            del self.owner.lines[self.call.id]
        self.closed = True
        for play in self._plays.values():
            play.stop()
        for timer in self._timers.values():
            timer.cancel()
        if self._work is not None:
            self._work.cancel()
        self._plays.clear()
        self._timers.clear()

    def _do(self, actions: list[p.Action]) -> None:
        loop = asyncio.get_running_loop()
        for a in actions:
            if isinstance(a, p.Say):
                self._plays[a.id] = Playback(self, a)
            elif isinstance(a, p.Stop):
                if (play := self._plays.pop(a.play, None)) is not None:
                    play.stop()
            elif isinstance(a, p.Pause):
                if (play := self._plays.get(a.play)) is not None:
                    play.pause()
            elif isinstance(a, p.Resume):
                if (play := self._plays.get(a.play)) is not None:
                    play.resume()
            elif isinstance(a, p.StartTimer):
                self._timers[a.id] = loop.call_later(a.seconds, self._timeout, a.id)
            elif isinstance(a, p.CancelTimer):
                if (timer := self._timers.pop(a.id, None)) is not None:
                    timer.cancel()
            elif isinstance(a, p.CheckPin):
                self._work = asyncio.ensure_future(self._check(a))
            elif isinstance(a, p.Search):
                self._work = asyncio.ensure_future(self._search(a))
            elif isinstance(a, p.Hangup):
                self._hangup(a.reason)

    def _timeout(self, timer: int) -> None:
        self._timers.pop(timer, None)
        self.feed(p.Timeout(timer))

    async def _check(self, a: p.CheckPin) -> None:
        """argon2 is slow on purpose: a worker thread."""
        username = await asyncio.to_thread(self.owner.inspectors.check, a.code, a.pin,
                                           self.call.caller)
        self._work = None
        if username is None:
            log.info("call %s: wrong inspector ID or PIN from %s (%d of %d)", self.call.id,
                     self.call.caller, self.machine.tries + 1, p.TRIES)
        else:
            log.info("call %s: inspector %s logged in from %s", self.call.id, username,
                     self.call.caller)
        self.feed(p.Checked(username))

    async def _search(self, a: p.Search) -> None:
        assert self.machine.inspector is not None
        try:
            clips = await asyncio.to_thread(self.owner.search, self.machine.inspector,
                                            a.agent, a.since, a.until)
        except Exception:       # the store failing: heard as nothing found
            log.exception("call %s: recordings search failed", self.call.id)
            clips = ()
        self._work = None
        log.info("call %s: %s searched agent %s: %d recordings", self.call.id,
                 self.machine.inspector, a.agent, len(clips))
        self.feed(p.Found(clips))

    def played(self, clip: p.Clip) -> None:
        """A recording starts playing: audited (off the loop; a failure is logged)."""
        who = self.machine.inspector or "?"

        async def audit() -> None:
            try:
                await asyncio.to_thread(self.owner.recordings.audit, who, "phone_play",
                                        clip.id, self.address)
            except Exception:
                log.exception("call %s: could not audit the play of %d", self.call.id,
                              clip.id)
        task = asyncio.ensure_future(audit())
        self._audits.add(task)
        task.add_done_callback(self._audits.discard)

    def _hangup(self, reason: str) -> None:
        if reason == "pin_lockout":
            log.warning("call %s: %s entered a wrong inspector ID or PIN %d times: hung up",
                        self.call.id, self.call.caller, p.TRIES)
        self.close()
        if not self.call.ended:
            self.owner.switch.spawn(self.owner.switch.end(self.call, Disposition.ANSWERED,
                                                          "system", 200))


class Playback:
    """One :class:`~kefu.recordings.phone.Say` on the call: its items in order, each
    file decoded off the loop and played as samples; ``pause`` stops the sound and keeps
    the place, ``resume`` goes on from it."""

    def __init__(self, line: Line, say: p.Say) -> None:
        self.line, self.say = line, say
        self._running = asyncio.Event()
        self._running.set()
        self._player: Any = None
        self._task = asyncio.ensure_future(self._run())

    def stop(self) -> None:
        self._task.cancel()
        if self._player is not None:
            self._player.stop()

    def pause(self) -> None:
        self._running.clear()
        if self._player is not None:
            self._player.stop()

    def resume(self) -> None:
        self._running.set()

    async def _run(self) -> None:
        line, call = self.line, self.line.call
        try:
            for item in self.say.items:
                if isinstance(item, p.Text):
                    try:
                        files = await line.owner.voice(item.text, item.lang)
                    except Exception as e:    # a prompt that cannot be voiced is skipped
                        log.warning("call %s: cannot voice %r: %s", call.id, item.text, e)
                        continue
                else:
                    files = [Path(item.path)]
                for path in files:
                    try:
                        pcm = await asyncio.to_thread(decode, path)
                    except Exception as e:    # a lost or unreadable file: the next one
                        log.warning("call %s: cannot play %s: %s", call.id, path, e)
                        continue
                    if isinstance(item, p.Clip):
                        line.played(item)
                    await self._samples(pcm)
                    if call.ended:
                        return
        finally:
            self._player = None
        line._plays.pop(self.say.id, None)
        line.feed(p.Done(self.say.id))

    async def _samples(self, pcm: np.ndarray) -> None:
        """Play ``pcm`` to the caller, through pauses, to its end."""
        switch, call = self.line.owner.switch, self.line.call
        at = 0
        while at < len(pcm) and not call.ended and call.a_rtp is not None:
            await self._running.wait()
            self._player = switch.media.play_samples(call.a_rtp, pcm[at:])
            try:
                await self._player.done.wait()
            finally:
                player, self._player = self._player, None
            if self._running.is_set():
                return                   # played to its end
            at += int(round(player.position * MIX_RATE))   # paused: go on from here
