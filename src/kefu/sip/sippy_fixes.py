"""Fixes to sippy's SIP parser, applied once when this module is imported.

Found with RFC 4475's torture messages (tests/sip/rfc4475.py); each is small enough to
offer upstream.  ``SIPPY_VERSION`` is the version they were written against, and
tests/sip/test_sippy_fixes.py fails if sippy changes underneath them.

* A message is decoded as UTF-8 where it is UTF-8 and ISO-8859-1 where it is not (the
  body always as ISO-8859-1, so its length matches Content-Length): sippy decoded whole
  datagrams as UTF-8 and dropped any message with one other byte (a phone's display name
  "M\\xfcller", a binary body part).
* A response whose status code is not three digits is dropped quietly: sippy printed the
  whole message to stdout (kefu's log).
* ``SipParseError.getResponse()`` takes the request as optional: sippy calls it without
  one for a message it could not parse, so the 400 it had built was never sent.
* ``SipVia.parse`` accepts LWS around the ``/`` of ``SIP / 2.0 / UDP`` (RFC 3261 §25.1
  allows it; sippy raised IndexError) and around ``=`` of its parameters.
* Requests are checked and fully parsed before they reach a transaction: a bad request line,
  URI scheme or SIP version, a duplicated single-valued header, a header sippy cannot parse
  or a missing mandatory one gets 400/416/505 (sent to the packet's source, as sippy does
  for parse errors) instead of silence or a traceback later on.
"""

from __future__ import annotations

import codecs
import logging
import re
import secrets
from importlib import metadata

import sippy.SipTransactionManager as _stm
from sippy.Exceptions.SipParseError import SipParseError
from sippy.SipGenericHF import SipGenericHF
from sippy.SipHeader import SipHeader
from sippy.SipRequest import SipRequest
from sippy.SipResponse import SipResponse
from sippy.SipVia import SipVia

log = logging.getLogger(__name__)

SIPPY_VERSION = "2.5.0"

# compact header names (RFC 3261 §7.3.3) of the headers checked here
_COMPACT = {"v": "via", "f": "from", "t": "to", "i": "call-id", "l": "content-length",
            "m": "contact", "c": "content-type"}
_SINGLE = ("from", "to", "call-id", "cseq", "max-forwards", "content-length", "content-type")
_MANDATORY = ("via", "from", "to", "call-id", "cseq")
_PARSED = ("via", "from", "to", "call-id", "cseq", "contact", "max-forwards")
_ECHOED = ("via", "from", "to", "call-id", "cseq")
SCHEMES = ("sip", "sips")


# --- decoding --------------------------------------------------------------------------------

def _latin1_fallback(exc: UnicodeDecodeError):
    return exc.object[exc.start:exc.end].decode("latin-1"), exc.end


codecs.register_error("kefu-latin1", _latin1_fallback)


def decode(data: bytes) -> str:
    """A SIP message as text: headers UTF-8 (ISO-8859-1 for bytes that are not), the body
    ISO-8859-1, one character per octet."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return data.decode("utf-8", "kefu-latin1")
    return (data[:end + 4].decode("utf-8", "kefu-latin1")
            + data[end + 4:].decode("latin-1"))


# --- raw header access (for messages sippy cannot parse) -------------------------------------

def _head_lines(buf: str) -> list[str]:
    head = re.split(r"\r?\n\r?\n", buf, maxsplit=1)[0]
    lines: list[str] = []
    for line in head.splitlines():
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += " " + line.strip()
        else:
            lines.append(line)
    return lines


def _headers(lines: list[str]) -> list[tuple[str, str]]:
    """(canonical lower-case name, value) of each header line."""
    out = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if colon:
            name = name.strip().lower()
            out.append((_COMPACT.get(name, name), value.strip()))
    return out


def raw_response(buf: str, code: int, reason: str) -> SipResponse | None:
    """A response to ``buf`` built from its raw Via/From/To/Call-ID/CSeq lines; None
    without a Via (nowhere to answer)."""
    headers = [(n, v) for n, v in _headers(_head_lines(buf)) if n in _ECHOED]
    if not any(n == "via" for n, _ in headers):
        return None
    resp = SipResponse(scode=code, reason=reason, sipver="SIP/2.0")
    for name, value in headers:
        if name == "to" and ";tag" not in value.lower():
            value += ";tag=" + secrets.token_hex(4)
        resp.appendHeader(SipHeader(name=name, body=SipGenericHF(value, name)))
    return resp


def check_request(buf: str) -> tuple[int, str] | None:
    """What is wrong with a request that sippy would accept or choke on: (status, reason)."""
    lines = _head_lines(buf)
    parts = lines[0].split(" ") if lines else []
    if len(parts) != 3 or not all(parts):          # RFC 3261 §25.1: single SPs, no LWS
        return 400, "Bad Request (request line)"
    method, uri, version = parts
    if version != "SIP/2.0":
        if re.fullmatch(r"SIP/\d+\.\d+", version):
            return 505, "Version Not Supported"
        return 400, "Bad Request (request line)"
    scheme, colon, rest = uri.partition(":")
    if not colon or "<" in uri or ">" in uri:
        return 400, "Bad Request (Request-URI)"
    if scheme.lower() not in SCHEMES:
        return 416, "Unsupported URI Scheme"
    if "?" in rest.rpartition("@")[2]:              # §19.1.5: no headers in a Request-URI
        return 400, "Bad Request (headers in the Request-URI)"
    headers = _headers(lines)
    for name in _SINGLE:
        if sum(1 for n, _ in headers if n == name) > 1:
            return 400, f"Bad Request (more than one {name})"
    for name in _MANDATORY:
        if not any(n == name for n, _ in headers):
            return 400, f"Bad Request (missing {name})"
    for name, value in headers:
        if name == "content-length" and not value.isdigit():
            return 400, "Bad Request (Content-Length)"
        if name in ("from", "to", "contact") and "<" not in value and "?" in value:
            return 400, f"Bad Request ({name}: URI with headers outside <>)"   # §20
    return None


class CheckedSipRequest(SipRequest):
    """sippy's SipRequest, for received requests: checked (:func:`check_request`) and with
    its routing headers parsed at once, so every syntax error becomes a SipParseError that
    carries its response."""

    def __init__(self, buf=None, *args, **kwargs) -> None:
        if buf is None:
            super().__init__(None, *args, **kwargs)
            return
        problem = check_request(buf)
        if problem is not None:
            raise SipParseError(problem[1], sip_response=raw_response(buf, *problem))
        try:
            super().__init__(buf)
            for header in self.headers:
                if header.name in _PARSED:
                    header.getBody()
            self.getTIds()
        except SipParseError as exc:
            if exc.sip_response is None:
                exc.sip_response = raw_response(buf, 400, "Bad Request")
            raise
        except Exception as exc:
            raise SipParseError(f"{type(exc).__name__}: {exc}",
                                sip_response=raw_response(buf, 400, "Bad Request")) from None


# --- the patches -----------------------------------------------------------------------------

_sippy_get_response = SipParseError.getResponse
_sippy_via_parse = SipVia.parse
_sippy_handle_incoming = _stm.SipTransactionManager.handleIncoming
_SENT_PROTOCOL = re.compile(r"\s*([^/\s]+)\s*/\s*([^/\s]+)\s*/\s*([^/\s;]+)\s*")
_STATUS_LINE = re.compile(r"SIP/2\.0 [1-6]\d\d(?: |\r?\n)")


def _get_response(self, req=None):
    if self.sip_response is not None:
        return self.sip_response
    return None if req is None else _sippy_get_response(self, req)


def _via_parse(self) -> None:
    m = _SENT_PROTOCOL.match(self.body)
    if m is not None:
        self.body = f"{m[1]}/{m[2]}/{m[3]} " + self.body[m.end():]
    _sippy_via_parse(self)
    self.params = {k.strip(): (v.strip() if v is not None else None)
                   for k, v in self.params.items()}


def _handle_incoming(self, data_in, ra, server, rtime):
    if isinstance(data_in, bytes):
        data_in = decode(data_in)
    if data_in.startswith("SIP/") and not _STATUS_LINE.match(data_in):
        log.warning("dropped a SIP response with a malformed status line from %s", ra)
        getattr(self, "on_malformed", lambda: None)()
        return
    return _sippy_handle_incoming(self, data_in, ra, server, rtime)


def apply() -> None:
    """Install the fixes (idempotent)."""
    version = metadata.version("sippy")
    if version != SIPPY_VERSION:
        log.warning("sippy %s: kefu's parser fixes were written for %s", version, SIPPY_VERSION)
    SipParseError.getResponse = _get_response
    SipVia.parse = _via_parse
    _stm.SipTransactionManager.handleIncoming = _handle_incoming
    _stm.SipRequest = CheckedSipRequest


apply()
