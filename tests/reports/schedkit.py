"""The scheduled reports' test kit: a local SMTP server (aiosmtpd) that keeps what it is
sent, a port nothing listens on, and the schedules over a store with a fake clock."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import socket
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller

from kefu.config import SmtpSettings
from kefu.mail import Mailer
from kefu.reports.records import Report
from kefu.reports.schedule import ReportSchedules
from kefu.store.db import Database
from kefu.users.service import User
from reportkit import AGENTS

SHANGHAI = ZoneInfo("Asia/Shanghai")           # no daylight saving time
BOSS = User(id=1, username="boss", display_name="Boss", role="supervisor", created_at=0.0)


def local(*args: int) -> float:
    """Epoch seconds of a wall-clock time in Shanghai."""
    return dt.datetime(*args, tzinfo=SHANGHAI).timestamp()  # type: ignore[misc]


def free_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """What the local SMTP server was handed: (envelope sender, recipients, message)."""

    def __init__(self) -> None:
        self.mail: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.mail.append((envelope.mail_from, list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    yield inbox, port
    ctl.stop()


class Engine:
    """The injected ``render``: the hand-made report, with the filters it was asked for
    (as the engine's are) and every call kept; ``fail`` makes it raise."""

    def __init__(self, report: Report = AGENTS) -> None:
        self.report, self.calls, self.fail = report, [], False   # type: ignore[var-annotated]

    def __call__(self, name: str, filters: dict[str, Any]) -> Report:
        self.calls.append((name, dict(filters)))
        if self.fail:
            raise RuntimeError("the engine broke")
        return Report(**{**self.report.__dict__, "filters": filters})


def schedules(db: Database, clock: Any, port: int | None, engine: Engine | None,
              ) -> ReportSchedules:
    mailer = Mailer(SmtpSettings(host="127.0.0.1", port=port, sender="kefu@cc.test",
                                 timeout=3)) if port else None
    return ReportSchedules(db, render=engine, mailer=mailer, tz=SHANGHAI, clock=clock,
                           names=lambda: {"agent_summary", "traffic_by_interval"})
