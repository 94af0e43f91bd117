"""Document delivery in place of fax-on-demand (在线传真), and the voicemail email.

A caller asks for a document (a statement, an order's status): the look-up result is sent
as a document by email (:class:`Mailer`, the document a UTF-8 text attachment with an HTML
rendering as the body) or as a text message through the site's SMS gateway
(:class:`SmsGateway`, an HTTP POST of JSON to a configured URL). The voicemail notification
(the WAV attached) goes through the same mailer.

Real T.30/T.38 fax: no library on PyPI implements it (only clients of commercial fax web
APIs); the C library spandsp (Debian ``libspandsp2``) does, with no maintained Python
binding, so kefu sends documents this way instead. PDF would need a CJK font beside
fpdf2/reportlab to print Mandarin, so the document is text (and HTML).

SMTP runs in a worker thread (:mod:`smtplib`), so the event loop never waits on a mail
server; every failure is a :class:`DeliveryError` saying what went wrong.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import httpx

from kefu.config import SmtpSettings  # the [smtp] section: host, port, sender, login …

from .records import Mailbox, Message


class DeliveryError(RuntimeError):
    """The document or notification was not handed over; the message says why."""


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes  # text/* is UTF-8
    mime: str  # "text/plain", "audio/wav" …


@dataclass(frozen=True)
class Document:
    """A look-up result as a document: a title and its lines (label → value, in order)."""

    title: str
    fields: Mapping[str, str]

    def text(self) -> str:
        width = max((len(k) for k in self.fields), default=0)
        return "\n".join([self.title, "", *(f"{k.ljust(width)}  {v}" for k, v in self.fields.items())]) + "\n"

    def html(self) -> str:
        rows = "".join(f"<tr><th align=left>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                       for k, v in self.fields.items())
        return (f"<html><body><h3>{html.escape(self.title)}</h3>"
                f"<table>{rows}</table></body></html>")

    def filename(self) -> str:
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in self.title).strip("_")
        return f"{safe or 'document'}.txt"


class Mailer:
    """Sends mail through one SMTP server."""

    def __init__(self, smtp: SmtpSettings) -> None:
        self.smtp = smtp      # ``starttls``: upgrade before logging in; login when ``username``

    async def send(self, to: str, subject: str, body: str, *, html_body: str | None = None,
                   attachments: Sequence[Attachment] = ()) -> None:
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = self.smtp.sender, to, subject
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
        await asyncio.to_thread(self._deliver, msg)

    def _deliver(self, msg: EmailMessage) -> None:
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

    async def send_document(self, to: str, doc: Document) -> None:
        """The document by email: the text in the body and attached, HTML as the alternative."""
        text = doc.text()
        await self.send(to, doc.title, text, html_body=doc.html(),
                        attachments=[Attachment(doc.filename(), text.encode("utf-8"), "text/plain")])

    async def send_voicemail(self, to: str, mailbox: Mailbox, message: Message, wav: Path) -> None:
        """The owner's notification of a new message, the WAV attached."""
        when = dt.datetime.fromtimestamp(message.created_at).strftime("%Y-%m-%d %H:%M:%S")
        caller = message.caller or "未知号码 / unknown"
        body = (f"新语音留言 / New voicemail\n\n"
                f"信箱 Mailbox: {mailbox.kind} {mailbox.owner}\n"
                f"来电 Caller: {caller}\n时间 Time: {when}\n"
                f"时长 Duration: {message.duration:.0f} s\n")
        try:
            data = wav.read_bytes()
        except OSError as e:
            raise DeliveryError(f"the message's file cannot be read: {e}") from None
        await self.send(to, f"语音留言 Voicemail from {caller}", body,
                        attachments=[Attachment(f"voicemail-{message.id}.wav", data, "audio/wav")])


class SmsGateway:
    """The site's SMS gateway: ``POST url`` with ``{"to": number, "text": text}`` as JSON
    (and the site's headers: an API key); any 2xx is taken as accepted."""

    def __init__(self, url: str, *, headers: Mapping[str, str] | None = None, timeout: float = 10.0,
                 client: httpx.AsyncClient | None = None) -> None:
        self.url, self.headers, self.timeout = url, dict(headers or {}), timeout
        self._client = client or httpx.AsyncClient()

    async def send(self, to: str, text: str) -> None:
        try:
            r = await self._client.post(self.url, json={"to": to, "text": text},
                                        headers=self.headers, timeout=self.timeout)
        except httpx.HTTPError as e:
            raise DeliveryError(f"SMS gateway {self.url}: {type(e).__name__} {e}".rstrip()) from None
        if not r.is_success:
            raise DeliveryError(f"SMS gateway {self.url} answered HTTP {r.status_code}")

    async def send_document(self, to: str, doc: Document) -> None:
        await self.send(to, doc.text().strip())

    async def close(self) -> None:
        await self._client.aclose()
