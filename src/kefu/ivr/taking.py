"""Voicemail on live calls: taking a message (the flow's ``voicemail`` node) and what
follows a new or changed message (the owner's email, the phone's message-waiting light).

:class:`Desk` is the voicemail side the telephony adapter is given: it finds the mailbox
a node names, saves a message, mails it and tells the phones.  :class:`Taking` is one
message being recorded, a small state machine driven by the :class:`~kefu.ivr.calls.Walk`:

``BEEP`` (the beep plays) → ``RECORDING`` (what the caller says goes to the WAV at
:meth:`Mailboxes.new_path`) → ``SAVING`` (the file closed, the message added) → ``DONE``.

Recording stops on ``#``, after :data:`SILENCE_SECONDS` quiet seconds in a row (the
caller's frames through ``Calls.listen``, the tap speech input uses), at the
node's ``max_seconds``, or when the caller hangs up (the message is kept: most callers end
a message that way).  Shorter than :data:`MIN_SECONDS`, or not one loud frame, is nothing
said: the file goes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import enum
import logging
import wave
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from kefu.calls.call import Call
from kefu.calls.protocol import Listening, Recording

from . import steps as s
from .listen import FRAME_SECONDS
from .records import MAILBOX_KINDS, NEW, SAVED, Mailbox, Message
from .retrieval import Heard, Opened
from .voicemail import Mailboxes

log = logging.getLogger(__name__)

SILENCE_LEVEL = 200.0      # RMS (int16) of a frame below this (about -44 dBFS) is quiet
SILENCE_SECONDS = 5        # quiet seconds in a row that end a message
MIN_SECONDS = 1.0          # a shorter message is nothing said: not kept
BEEP_HZ, BEEP_SECONDS = 1000, 0.4


class Mail(Protocol):
    """Sends the owner the message (:class:`kefu.ivr.delivery.Mailer`)."""

    async def send_voicemail(self, to: str, mailbox: Mailbox, message: Message,
                             wav: Path) -> None: ...


class Walk(Protocol):
    """What a message needs of the call's walk (:class:`kefu.ivr.calls.Walk`): its call,
    its owner (switch and clock), where the flow is, and to be told the message is over."""

    call: Call
    owner: Any
    session: Any

    def publish(self, type_: str, data: dict[str, Any]) -> None: ...

    def recorded(self, taking: Taking) -> None: ...


Waiting = Callable[[str, int, int], None]
"""The message-waiting indication: extension, new and old (saved) messages."""
Offload = Callable[..., Awaitable[Any]]
"""Runs blocking work away from the event loop (``asyncio.to_thread``)."""


def beep(path: Path) -> Path:
    """The tone before the recording, written once (8 kHz mono WAV)."""
    if not path.is_file():
        t = np.arange(int(8000 * BEEP_SECONDS)) / 8000
        pcm = (np.sin(2 * np.pi * BEEP_HZ * t) * 12000).astype("<i2")
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_suffix(".part")
        with wave.open(str(part), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(8000)
            w.writeframes(pcm.tobytes())
        part.replace(path)
    return path


class Desk:
    """The voicemail the adapter uses: ``mail`` (none: no emails) and ``waiting`` (none:
    no message-waiting indication) are the site's."""

    def __init__(self, mailboxes: Mailboxes, beep_file: Path, *, mail: Mail | None = None,
                 waiting: Waiting | None = None, offload: Offload = asyncio.to_thread) -> None:
        self.mailboxes, self.mail, self.waiting = mailboxes, mail, waiting
        self.offload = offload
        self.beep = beep(beep_file)
        # any change, whoever makes it (a call, the phone, the web page), lights the phones
        mailboxes.on_change = self.changed

    async def open(self, number: str, pin: str) -> Opened:
        """Phone retrieval: extension ``number``'s mailbox and its messages, newest first,
        when ``pin`` opens it (argon2, off the loop); else ``Opened(None)``."""
        return await self.offload(self._open, number, pin)

    def _open(self, number: str, pin: str) -> Opened:
        try:
            box = self.mailboxes.find_mailbox("extension", number)
        except Exception:              # not an extension number at all
            box = None
        if box is None or not self.mailboxes.check_pin(box.id, pin):
            return Opened(None)
        return Opened(box.id, tuple(
            Heard(m.id, m.caller, dt.datetime.fromtimestamp(m.created_at).astimezone(),
                  str(self.mailboxes.file(m)), m.status)
            for m in self.mailboxes.messages([box.id])))

    def find(self, name: str) -> Mailbox | None:
        """The mailbox a node names: ``kind:owner``, or an owner tried as an extension,
        a queue, then a flow."""
        kind, _, owner = name.partition(":")
        if owner and kind in MAILBOX_KINDS:
            return self.mailboxes.find_mailbox(kind, owner)
        for kind in MAILBOX_KINDS:
            try:
                box = self.mailboxes.find_mailbox(kind, name)
            except Exception:          # not a valid owner of that kind
                box = None
            if box is not None:
                return box
        return None

    def changed(self, mailbox: Mailbox) -> None:
        """A message came, was heard or deleted: an extension's phones learn the counts."""
        if self.waiting is None or mailbox.kind != "extension":
            return
        try:
            self.waiting(mailbox.owner, *self._counts(mailbox))
        except Exception:              # the light is a nicety: never the call's problem
            log.exception("mailbox %s: message-waiting indication failed", mailbox.id)

    def counts(self, extension: str) -> tuple[int, int]:
        """New and saved messages of ``extension``'s mailbox (a phone subscribing)."""
        try:
            box = self.mailboxes.find_mailbox("extension", extension)
        except Exception:              # not an extension number
            box = None
        return self._counts(box) if box is not None else (0, 0)

    def _counts(self, mailbox: Mailbox) -> tuple[int, int]:
        messages = self.mailboxes.messages([mailbox.id])
        return sum(m.status == NEW for m in messages), sum(m.status == SAVED for m in messages)

    async def send(self, mailbox: Mailbox, message: Message) -> None:
        """The owner's email with the WAV (a worker thread; a failure is logged)."""
        if self.mail is None or not mailbox.email:
            return
        try:
            await self.mail.send_voicemail(mailbox.email, mailbox, message,
                                           self.mailboxes.file(message))
            log.info("voicemail %d mailed to %s", message.id, mailbox.email)
        except Exception as e:
            log.warning("voicemail %d: the email to %s failed: %s", message.id,
                        mailbox.email, e)


class Phase(enum.Enum):
    BEEP = "beep"
    RECORDING = "recording"
    SAVING = "saving"
    DONE = "done"


class Taking:
    """One message being recorded for ``walk``'s caller into ``mailbox``."""

    def __init__(self, walk: Walk, desk: Desk, mailbox: Mailbox, action: s.RecordVoicemail
                 ) -> None:
        self.walk, self.desk, self.mailbox, self.action = walk, desk, mailbox, action
        self.flow, self.node = walk.session.flow.name, walk.session.node
        self.phase = Phase.BEEP
        self.path = desk.mailboxes.new_path(mailbox.id)
        self.recording: Recording | None = None
        self.message: Message | None = None
        self._tap: Listening | None = None   # the caller's frames, for silence
        self._quiet = 0                      # quiet 20 ms frames in a row
        self._heard = False                  # any loud frame at all
        self._timers: list[Any] = []
        self._beep: Any = None

    @property
    def _owner(self) -> Any:
        return self.walk.owner

    def start(self) -> None:
        self._beep = self._owner.clock.start(self._beeping())

    async def _beeping(self) -> None:
        try:
            player = self._owner.switch.play_prompt(self.walk.call, self.desk.beep)
            await player.done.wait()
        except Exception as e:         # no beep is no reason to lose the message
            log.warning("call %s: no beep: %s", self.walk.call.id, e)
        self._beep = None
        if self.phase is Phase.BEEP and not self.walk.call.ended:
            self._record()

    def _record(self) -> None:
        call, clock = self.walk.call, self._owner.clock
        try:
            self.recording = self._owner.switch.record_caller(call, self.path)
        except Exception:
            log.exception("call %s: cannot record a message to %s", call.id, self.path)
            self.phase = Phase.DONE
            self.walk.recorded(self)
            return
        self.phase = Phase.RECORDING
        log.info("call %s: recording a message for mailbox %d to %s", call.id,
                 self.mailbox.id, self.path)
        try:      # the same tap of the caller's audio speech input uses
            self._tap = self._owner.switch.listen(call, self._frame)
        except Exception as e:         # no silence detection: # and max_seconds still end it
            log.warning("call %s: the message cannot be listened to: %s", call.id, e)
        self._timers = [clock.call_later(self.action.max_seconds, self.stop, "max_seconds"),
                        clock.call_later(1.0, self._listen)]

    def _frame(self, frame: np.ndarray) -> None:
        """One 20 ms frame of the caller (the media clock's tick: counting only)."""
        loud = float(np.sqrt(np.mean(np.square(frame, dtype=np.float64)))) >= SILENCE_LEVEL
        self._quiet = 0 if loud else self._quiet + 1
        self._heard = self._heard or loud

    def _listen(self) -> None:
        """Once a second: quiet long enough ends the message."""
        if self.phase is not Phase.RECORDING:
            return
        if self._quiet >= SILENCE_SECONDS / FRAME_SECONDS:
            self.stop("silence")
        else:
            self._timers.append(self._owner.clock.call_later(1.0, self._listen))

    def key(self, key: str) -> None:
        if key == "#" and self.phase is Phase.RECORDING:
            self.stop("key")

    def stop(self, reason: str) -> None:
        """End the recording (``key``, ``silence``, ``max_seconds``, ``hangup``)."""
        if self.phase is Phase.BEEP:
            if self._beep is not None:
                self._beep.cancel()
            self.phase = Phase.DONE
            self._finish(reason)
            return
        if self.phase is not Phase.RECORDING:
            return
        self.phase = Phase.SAVING
        for timer in self._timers:
            timer.cancel()
        if self._tap is not None:
            self._tap.close()
        self._owner.clock.start(self._save(reason))

    async def _save(self, reason: str) -> None:
        call, recording = self.walk.call, self.recording
        assert recording is not None
        try:
            duration = await recording.close()
        except Exception:
            log.exception("call %s: the message's recording failed", call.id)
            duration = 0.0
        silent = self._tap is not None and not self._heard
        if duration >= MIN_SECONDS and not silent and self.path.is_file():
            try:
                self.message = self.desk.mailboxes.add_message(
                    self.mailbox.id, call_id=call.id, caller=call.caller,
                    duration=round(min(duration, 3600.0), 2), path=self.path)
            except Exception:
                log.exception("call %s: the message could not be saved", call.id)
        else:
            log.info("call %s: %.1f s recorded%s (%s): nothing said, not kept", call.id,
                     duration, ", all quiet" if silent else "", reason)
            self.path.unlink(missing_ok=True)
        self.phase = Phase.DONE
        if self.message is not None:
            log.info("call %s: voicemail %d, %.1f s, for mailbox %d (%s)", call.id,
                     self.message.id, self.message.duration, self.mailbox.id, reason)
            self._owner.clock.start(self.desk.send(self.mailbox, self.message))
        self._finish(reason)

    def _finish(self, reason: str) -> None:
        message = self.message
        self.walk.publish("ivr.voicemail", {
            "flow": self.flow, "node": self.node, "mailbox": self.mailbox.id,
            "message_id": message.id if message else None,
            "duration": message.duration if message else 0.0, "reason": reason})
        self.walk.recorded(self)
