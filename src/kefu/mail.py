"""Mail through the site's SMTP server (the ``[smtp]`` section): the one mailer of kefu.

The IVR sends documents and voicemail notifications with it (:mod:`kefu.ivr.delivery`),
the reports their scheduled Excel files (:mod:`kefu.reports.schedule`).  SMTP itself is
blocking (:mod:`smtplib`): :meth:`Mailer.send` runs it in a worker thread so the event
loop never waits on a mail server; code already on a worker thread calls
:meth:`Mailer.deliver`.  Every failure is a :class:`DeliveryError` saying what went wrong.
"""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage

from kefu.config import SmtpSettings  # the [smtp] section: host, port, sender, login …


class DeliveryError(RuntimeError):
    """The mail (or document, or notification) was not handed over; the message says why."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes  # text/* is UTF-8
    mime: str  # "text/plain", "audio/wav" …


class Mailer:
    """Sends mail through one SMTP server."""

    def __init__(self, smtp: SmtpSettings) -> None:
        self.smtp = smtp      # ``starttls``: upgrade before logging in; login when ``username``

    def message(self, to: str | Sequence[str], subject: str, body: str, *,
                html_body: str | None = None,
                attachments: Sequence[Attachment] = ()) -> EmailMessage:
        """The mail from ``[smtp] sender`` to one address or several."""
        msg = EmailMessage()
        msg["From"], msg["Subject"] = self.smtp.sender, subject
        msg["To"] = to if isinstance(to, str) else ", ".join(to)
        msg.set_content(body)
        if html_body is not None:
            msg.add_alternative(html_body, subtype="html")
        for a in attachments:
            maintype, _, subtype = a.mime.partition("/")
            if maintype == "text":  # UTF-8 said in the part, or a reader guesses ASCII
                msg.add_attachment(a.data.decode("utf-8"), subtype=subtype, charset="utf-8",
                                   filename=a.filename)
            else:
                msg.add_attachment(a.data, maintype=maintype, subtype=subtype, filename=a.filename)
        return msg

    async def send(self, to: str | Sequence[str], subject: str, body: str, *,
                   html_body: str | None = None, attachments: Sequence[Attachment] = ()) -> None:
        msg = self.message(to, subject, body, html_body=html_body, attachments=attachments)
        await asyncio.to_thread(self.deliver, msg)

    def deliver(self, msg: EmailMessage) -> None:
        """Hand ``msg`` to the server (blocking: call it from a worker thread)."""
        s = self.smtp
        try:
            with smtplib.SMTP(s.host, s.port, timeout=s.timeout) as conn:
                if s.starttls:
                    conn.starttls(context=ssl.create_default_context())
                if s.username:
                    conn.login(s.username, s.password or "")
                conn.send_message(msg)
        except (OSError, smtplib.SMTPException) as e:
            raise DeliveryError(f"mail to {msg['To']} via {s.host}:{s.port} failed: {e}") from None
