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

The SMTP part is kefu's one mailer (:mod:`kefu.mail`, shared with the reports' scheduled
deliveries); every failure is a :class:`DeliveryError` saying what went wrong.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from kefu import mail
from kefu.config import SmtpSettings  # noqa: F401  (the [smtp] section, for the callers)
from kefu.mail import Attachment, DeliveryError

from .records import Mailbox, Message

__all__ = ["Attachment", "DeliveryError", "Document", "Mailer", "SmsGateway", "SmtpSettings"]


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


class Mailer(mail.Mailer):
    """The site's mailer (:class:`kefu.mail.Mailer`) with the IVR's two mails."""

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
