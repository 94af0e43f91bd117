"""Document delivery and the voicemail email for real: a local SMTP server (aiosmtpd) and an
SMS gateway stub, both on loopback, started by the test."""

from __future__ import annotations

import email
import email.policy
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from ivrkit import wav
from kefu.ivr.delivery import DeliveryError, Document, Mailer, SmsGateway, SmtpSettings
from kefu.ivr.records import Mailbox, Message
from stubs import closed_port, http_stub, reply


class Inbox:
    def __init__(self) -> None:
        self.mail: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.mail.append((envelope.mail_from, list(envelope.rcpt_tos), msg))  # type: ignore[arg-type]
        return "250 OK"


def _login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"kefu", b"s3cret")
    return AuthResult(success=ok)


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), closed_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=_login,
                     auth_require_tls=False)
    ctl.start()
    yield inbox, port
    ctl.stop()


STATEMENT = Document("账单 Statement 1001", {"户名": "张三", "余额 Balance": "12.30", "到期": "2024-10-08"})


async def test_a_document_by_email(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    await Mailer(SmtpSettings("127.0.0.1", port, sender="ivr@kefu.test")).send_document("ann@example.com", STATEMENT)
    (sender, to, msg), = inbox.mail
    assert sender == "ivr@kefu.test" and to == ["ann@example.com"]
    assert msg["Subject"] == "账单 Statement 1001"
    (att,) = list(msg.iter_attachments())
    assert att.get_filename().endswith(".txt") and att.get_content_type() == "text/plain"
    text = att.get_content()
    assert "张三" in text and "12.30" in text and text.splitlines()[0] == "账单 Statement 1001"
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<td>12.30</td>" in html


async def test_voicemail_email_with_the_wav(smtp: tuple[Inbox, int], tmp_path: Path) -> None:
    inbox, port = smtp
    data = wav(8000, 1, 2.0)
    (tmp_path / "m.wav").write_bytes(data)
    box = Mailbox(1, "extension", "8001", "bob@example.com", 0.0, 0.0)
    message = Message(7, 1, "c-1", "13800138000", 1728352800.0, 2.0, "m.wav", "new", False, None, None)
    mailer = Mailer(SmtpSettings("127.0.0.1", port, username="kefu", password="s3cret"))
    await mailer.send_voicemail("bob@example.com", box, message, tmp_path / "m.wav")
    (_, to, msg), = inbox.mail
    assert to == ["bob@example.com"] and "13800138000" in msg["Subject"]
    (att,) = list(msg.iter_attachments())
    assert att.get_content_type() == "audio/wav" and att.get_filename() == "voicemail-7.wav"
    assert att.get_content() == data
    assert "8001" in msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]


async def test_mail_failures_say_why(smtp: tuple[Inbox, int], tmp_path: Path) -> None:
    inbox, port = smtp
    with pytest.raises(DeliveryError, match="failed"):
        await Mailer(SmtpSettings("127.0.0.1", port, username="kefu", password="wrong", timeout=1)).send_document("a@b.c", STATEMENT)
    with pytest.raises(DeliveryError, match="refused"):
        await Mailer(SmtpSettings("127.0.0.1", closed_port(), timeout=2)).send_document("a@b.c", STATEMENT)
    assert inbox.mail == []


async def test_a_document_through_the_sms_gateway() -> None:
    routes = {"/sms": lambda r: reply({"queued": True}), "/down": lambda r: reply({}, 503)}
    with http_stub(routes) as stub:
        gw = SmsGateway(f"{stub.url}/sms", headers={"Authorization": "Bearer t"})
        await gw.send_document("13800138000", STATEMENT)
        req = stub.requests[-1]
        assert req["method"] == "POST" and req["headers"]["Authorization"] == "Bearer t"
        assert req["json"]["to"] == "13800138000" and "余额 Balance  12.30" in req["json"]["text"]
        with pytest.raises(DeliveryError, match="HTTP 503"):
            await SmsGateway(f"{stub.url}/down").send("1", "x")
        await gw.close()
    with pytest.raises(DeliveryError, match="ConnectError"):
        await SmsGateway(f"http://127.0.0.1:{closed_port()}/sms").send("1", "x")
