"""A local SMTP server (aiosmtpd on 127.0.0.1) for the tests of what kefu mails: every
message it takes, parsed, with its recipients."""

from __future__ import annotations

import email
import email.policy
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any, Iterator

from aiosmtpd.controller import Controller

from .phones import find_free_ports


class Inbox:
    """The server's handler: ``mail`` holds (recipients, parsed message) of each mail."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.mail: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.mail.append((list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
        return "250 OK"


@contextmanager
def local_smtp() -> Iterator[Inbox]:
    """An SMTP server on a free loopback port while the block runs."""
    box = Inbox(find_free_ports(1)[0])
    ctl = Controller(box, hostname="127.0.0.1", port=box.port)
    ctl.start()
    try:
        yield box
    finally:
        ctl.stop()
