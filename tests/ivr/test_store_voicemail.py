"""Voicemail storage, on SQLite and PostgreSQL: mailboxes with hashed PINs, messages and
their states, the follow-up marked done."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from kefu.ivr.service import DELETED, NEW, SAVED, Ivr, Mailboxes
from kefu.store import Conflict, Invalid, NotFound, Store


def _message(vm: Mailboxes, box: int, caller: str = "13800138000"):  # type: ignore[no-untyped-def]
    path = vm.new_path(box)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"RIFF....WAVE")
    return vm.add_message(box, call_id="c-1", caller=caller, duration=12.5, path=path)


def test_mailboxes_and_pins(ivr: Ivr, store: Store) -> None:
    vm = ivr.voicemail
    box = vm.create_mailbox("extension", "1001", "4321", "ann@example.com")
    assert (box.kind, box.owner, box.email) == ("extension", "1001", "ann@example.com")
    assert not hasattr(box, "pin_hash")
    with store._engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT pin_hash FROM ivr_mailboxes")).scalar_one()
    assert stored.startswith("$argon2") and "4321" not in stored
    assert vm.check_pin(box.id, "4321") and not vm.check_pin(box.id, "1234")
    vm.change_mailbox(box.id, pin="98765")
    assert vm.check_pin(box.id, "98765") and not vm.check_pin(box.id, "4321")
    assert vm.change_mailbox(box.id, email="").email == ""
    vm.create_mailbox("queue", "sales", "0000")
    vm.create_mailbox("flow", "hotline", "0000")
    assert [(b.kind, b.owner) for b in vm.mailboxes()] == [
        ("extension", "1001"), ("flow", "hotline"), ("queue", "sales")]
    assert [b.owner for b in vm.mailboxes("extension", ["1001", "1002"])] == ["1001"]
    assert vm.find_mailbox("queue", "sales") is not None
    assert vm.find_mailbox("queue", "nope") is None
    with pytest.raises(Conflict):
        vm.create_mailbox("extension", "1001", "1111")
    with pytest.raises(NotFound):
        vm.mailbox(999)


@pytest.mark.parametrize("args", [
    ("room", "1001", "1234"), ("extension", "1", "1234"), ("extension", "abc", "1234"),
    ("flow", "bad flow", "1234"), ("queue", "", "1234"), ("extension", "1001", "123"),
    ("extension", "1001", "12a4"), ("extension", "1001", "1" * 13),
    ("extension", "1001", "１２３４"), ("extension", "1001", "1234", "not-an-address"),
])
def test_bad_mailboxes_write_nothing(ivr: Ivr, args) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Invalid):
        ivr.voicemail.create_mailbox(*args)
    assert ivr.voicemail.mailboxes() == []


def test_messages_and_their_states(ivr: Ivr) -> None:
    vm = ivr.voicemail
    box = vm.create_mailbox("extension", "1001", "4321").id
    other = vm.create_mailbox("queue", "sales", "4321").id
    first = _message(vm, box)
    assert (first.status, first.done, first.duration, first.caller) == (NEW, False, 12.5,
                                                                        "13800138000")
    assert first.path.startswith("extension/1001/") and vm.file(first).read_bytes()[:4] == b"RIFF"
    second = _message(vm, box, caller="13900139000")
    _message(vm, other)
    assert [m.id for m in vm.messages([box])] == [second.id, first.id]
    assert vm.mark(first.id, SAVED).status == SAVED
    assert vm.mark(first.id, SAVED).status == SAVED              # as it is: no change
    assert vm.mark(second.id, DELETED).status == DELETED
    with pytest.raises(Conflict):
        vm.mark(second.id, SAVED)                                # deleted stays deleted
    with pytest.raises(Conflict):
        vm.mark(first.id, NEW)
    assert [m.id for m in vm.messages([box])] == [first.id]
    assert [m.id for m in vm.messages([box], statuses=(DELETED,))] == [second.id]
    assert len(vm.messages([box, other])) == 2
    done = vm.mark_done(first.id, "ann")
    assert done.done and done.done_by == "ann" and done.done_at is not None
    assert vm.mark_done(first.id, "bob") == done                 # kept who did it first
    with pytest.raises(NotFound):
        vm.mark(999, SAVED)
    with pytest.raises(Invalid):
        vm.mark(first.id, "archived")


def test_message_files_must_be_recorded_inside(ivr: Ivr, tmp_path: Path) -> None:
    vm = ivr.voicemail
    box = vm.create_mailbox("extension", "1001", "4321").id
    outside = tmp_path / "elsewhere.wav"
    outside.write_bytes(b"x")
    with pytest.raises(Invalid):
        vm.add_message(box, call_id="c", caller="1", duration=1, path=outside)
    with pytest.raises(Invalid):           # not recorded (yet)
        vm.add_message(box, call_id="c", caller="1", duration=1, path=vm.new_path(box))
    escape = vm.directory / ".." / "elsewhere.wav"
    with pytest.raises(Invalid):
        vm.add_message(box, call_id="c", caller="1", duration=1, path=escape)
    with pytest.raises(Invalid):
        _message_with(vm, box, duration=-1)
    with pytest.raises(NotFound):
        _message_with(vm, 999)
    assert vm.messages([box], statuses=(NEW, SAVED, DELETED)) == []


def _message_with(vm: Mailboxes, box: int, duration: float = 1.0) -> None:
    path = vm.directory / "extension" / "1001" / "given.wav"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    vm.add_message(box, call_id="c", caller="1", duration=duration, path=path)
