"""Voicemail storage (语音信箱): mailboxes of extensions, queues and flows, and their
messages with the follow-up an agent marks done.

No SMTP and no telephony here: the call side records the WAV at :meth:`Mailboxes.new_path`
and hands it to :meth:`Mailboxes.add_message`; email and phone retrieval come with the
telephony adapter.  PINs are argon2 hashes, as users' passwords are; checking one runs
outside any transaction (argon2 is slow on purpose).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from kefu.store.checks import MAX_USERNAME, check_choice, check_number, check_text
from kefu.store.credentials import default_hasher
from kefu.store.db import Database
from kefu.store.errors import Conflict, Invalid, NotFound

from . import repo
from .flowstore import check_name
from .models import MailboxRow, MessageRow
from .records import (MAILBOX_KINDS, MAX_EMAIL, MESSAGE_MOVES, MESSAGE_STATUSES, NEW,
                      PIN_DIGITS, Mailbox, Message)

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _check_owner(kind: str, owner: str) -> None:
    check_choice("kind", kind, MAILBOX_KINDS)
    if kind == "extension":
        check_number(owner)
    elif kind == "flow":
        check_name(owner)
    else:
        check_text("queue", owner, 64, required=True)


def _check_pin(pin: object) -> None:
    low, high = PIN_DIGITS
    if not isinstance(pin, str) or not pin.isascii() or not pin.isdigit() \
            or not low <= len(pin) <= high:
        raise Invalid(f"PIN must be {low} to {high} digits")


def _check_email(email: str) -> None:
    check_text("email", email, MAX_EMAIL)
    if email and not _EMAIL.fullmatch(email):
        raise Invalid(f"email {email!r} is not an address")


class Mailboxes:
    """Mailboxes and messages over the shared :class:`Database`; message files live under
    ``directory`` (``<kind>/<owner>/<uuid>.wav``)."""

    def __init__(self, db: Database, directory: Path, *,
                 hasher: PasswordHasher | None = None) -> None:
        self._db = db
        self.directory = Path(directory)
        self._hasher = hasher or default_hasher()
        self.on_change: Callable[[Mailbox], None] | None = None
        """Called after a message is added or changes state, whoever did it (a call,
        the phone, the web page): the voicemail desk sets it (:mod:`kefu.ivr.taking`)."""

    # ---- mailboxes

    def create_mailbox(self, kind: str, owner: str, pin: str, email: str = "") -> Mailbox:
        _check_owner(kind, owner)
        _check_pin(pin)
        _check_email(email)
        now = time.time()
        row = MailboxRow(kind=kind, owner=owner, pin_hash=self._hasher.hash(pin), email=email,
                         created_at=now, updated_at=now)
        return self._db.add(row, repo.to_mailbox, f"the {kind} {owner} has a mailbox already")

    def change_mailbox(self, mailbox_id: int, *, pin: str | None = None,
                       email: str | None = None) -> Mailbox:
        if pin is not None:
            _check_pin(pin)
        if email is not None:
            _check_email(email)
        pin_hash = self._hasher.hash(pin) if pin is not None else None
        with self._db.tx() as s:
            row = self._mailbox(s, mailbox_id)
            if pin_hash is not None:
                row.pin_hash = pin_hash
            if email is not None:
                row.email = email
            row.updated_at = time.time()
            return repo.to_mailbox(row)

    def mailboxes(self, kind: str | None = None,
                  owners: list[str] | None = None) -> list[Mailbox]:
        """The mailboxes (of one kind, of these owners)."""
        if kind is not None:
            check_choice("kind", kind, MAILBOX_KINDS)
        with self._db.tx(write=False) as s:
            return repo.mailboxes(s, kind, owners)

    def mailbox(self, mailbox_id: int) -> Mailbox:
        with self._db.tx(write=False) as s:
            return repo.to_mailbox(self._mailbox(s, mailbox_id))

    def find_mailbox(self, kind: str, owner: str) -> Mailbox | None:
        """The mailbox a flow's ``voicemail`` node or the phone's feature code names."""
        with self._db.tx(write=False) as s:
            row = repo.mailbox_of(s, kind, owner)
            return repo.to_mailbox(row) if row else None

    def check_pin(self, mailbox_id: int, pin: str) -> bool:
        """True when ``pin`` opens the mailbox (phone retrieval)."""
        with self._db.tx(write=False) as s:
            stored = self._mailbox(s, mailbox_id).pin_hash
        try:
            return self._hasher.verify(stored, pin)
        except (VerificationError, InvalidHashError):
            return False

    # ---- messages

    def new_path(self, mailbox_id: int) -> Path:
        """Where the recorder writes the next message of this mailbox."""
        box = self.mailbox(mailbox_id)
        return self.directory / box.kind / box.owner / f"{uuid.uuid4().hex}.wav"

    def add_message(self, mailbox_id: int, *, call_id: str, caller: str, duration: float,
                    path: Path) -> Message:
        """Record a message whose WAV is at ``path`` (inside the voicemail directory);
        it starts new, its follow-up not done."""
        check_text("call_id", call_id, 128, required=True)
        check_text("caller", caller, 255)
        if not isinstance(duration, (int, float)) or not 0 <= duration <= 3600:
            raise Invalid("duration must be 0 to 3600 seconds")
        relative = self._inside(path)
        if not path.is_file():
            raise Invalid(f"message file {relative} does not exist")
        with self._db.tx() as s:
            self._mailbox(s, mailbox_id)
            row = MessageRow(mailbox_id=mailbox_id, call_id=call_id, caller=caller,
                             created_at=time.time(), duration=float(duration),
                             path=relative, status=NEW, done=False)
            s.add(row)
            s.flush()
            message = repo.to_message(row)
        self._changed(mailbox_id)
        return message

    def messages(self, mailbox_ids: list[int], *,
                 statuses: tuple[str, ...] = ("new", "saved")) -> list[Message]:
        """The mailboxes' messages in these states, newest first."""
        for status in statuses:
            check_choice("status", status, MESSAGE_STATUSES)
        with self._db.tx(write=False) as s:
            return repo.messages(s, mailbox_ids, statuses)

    def message(self, message_id: int) -> Message:
        with self._db.tx(write=False) as s:
            return repo.to_message(self._message(s, message_id))

    def file(self, message: Message) -> Path:
        """The message's WAV on disk."""
        return self.directory / message.path

    def mark(self, message_id: int, status: str) -> Message:
        """Move a message along :data:`MESSAGE_MOVES` (marking it as it is: no change)."""
        check_choice("status", status, MESSAGE_STATUSES)
        with self._db.tx() as s:
            row = self._message(s, message_id)
            moved = row.status != status
            if moved:
                if status not in MESSAGE_MOVES[row.status]:
                    raise Conflict(f"message {message_id} is {row.status}; it cannot "
                                   f"become {status}")
                row.status = status
            message = repo.to_message(row)
        if moved:
            self._changed(message.mailbox_id)
        return message

    def mark_done(self, message_id: int, by: str) -> Message:
        """The follow-up is done (kept who and when; a second mark changes nothing)."""
        check_text("by", by, MAX_USERNAME, required=True)
        with self._db.tx() as s:
            row = self._message(s, message_id)
            if not row.done:
                row.done, row.done_by, row.done_at = True, by, time.time()
            return repo.to_message(row)

    # ---- helpers

    def _changed(self, mailbox_id: int) -> None:
        """A message came or moved (committed): tell ``on_change`` (the phones' light)."""
        if self.on_change is not None:
            self.on_change(self.mailbox(mailbox_id))

    def _inside(self, path: Path) -> str:
        try:
            return Path(path).resolve().relative_to(self.directory.resolve()).as_posix()
        except ValueError:
            raise Invalid(f"message file {path} is outside the voicemail directory") from None

    @staticmethod
    def _mailbox(s: Session, mailbox_id: int) -> MailboxRow:
        row = s.get(MailboxRow, mailbox_id)
        if row is None:
            raise NotFound(f"mailbox {mailbox_id} does not exist")
        return row

    @staticmethod
    def _message(s: Session, message_id: int) -> MessageRow:
        row = s.get(MessageRow, message_id)
        if row is None:
            raise NotFound(f"voicemail message {message_id} does not exist")
        return row
