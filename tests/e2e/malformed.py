"""Malformed SIP datagrams for robustness tests, and a raw UDP sender.

Each datagram is a template: ``send_datagrams`` / ``send_each`` replace
``%LHOST%``/``%LPORT%`` (our socket) and ``%RHOST%``/``%RPORT%``/``%RUSER%``
(the target; user defaults to "kefu") before sending, so Via/Contact point back at the sender and any response can
reach us.  Only 127.0.0.1 is ever used.

    from .malformed import MALFORMED, send_each, valid_options  # from tests/e2e/
    for name, responses in send_each("127.0.0.1", 5060, MALFORMED):
        ...
    assert send_datagrams("127.0.0.1", 5060, [valid_options()])  # still alive
"""

from __future__ import annotations

import random
import socket
import uuid
from typing import Iterable

__all__ = ["MALFORMED", "MALFORMED_DATAGRAMS", "valid_options", "fill",
           "send_datagrams", "send_each", "status_code"]

CRLF = "\r\n"
LOOPBACK = "127.0.0.1"


def _req(method: str, headers: list[str], body: str = "", *, ruri: str | None = None,
         version: str = "SIP/2.0", content_length: int | None | str = "auto") -> bytes:
    ruri = ruri or "sip:%RUSER%@%RHOST%:%RPORT%"
    hs = list(headers)
    if content_length == "auto":
        hs.append(f"Content-Length: {len(body.encode())}")
    elif content_length is not None:
        hs.append(f"Content-Length: {content_length}")
    return (f"{method} {ruri} {version}{CRLF}" + CRLF.join(hs) + CRLF + CRLF + body).encode()


def _std_headers(method: str = "OPTIONS", cseq: str | None = None, *,
                 drop: Iterable[str] = ()) -> list[str]:
    """A complete header set; ``drop`` removes headers by (lower-case) name."""
    tag = uuid.uuid4().hex[:8]
    cid = uuid.uuid4().hex
    branch = "z9hG4bK" + uuid.uuid4().hex[:16]
    hs = {
        "via": f"Via: SIP/2.0/UDP %LHOST%:%LPORT%;branch={branch};rport",
        "max-forwards": "Max-Forwards: 70",
        "from": f"From: <sip:fuzz@%LHOST%:%LPORT%>;tag={tag}",
        "to": "To: <sip:%RUSER%@%RHOST%:%RPORT%>",
        "call-id": f"Call-ID: {cid}@kefu-e2e",
        "cseq": f"CSeq: {cseq or '1 ' + method}",
        "contact": "Contact: <sip:fuzz@%LHOST%:%LPORT%>",
        "user-agent": "User-Agent: kefu-e2e-malformed",
    }
    drop = {d.lower() for d in drop}
    return [v for k, v in hs.items() if k not in drop]


_SDP_OK = (
    "v=0\r\n"
    "o=fuzz 1 1 IN IP4 %LHOST%\r\n"
    "s=-\r\n"
    "c=IN IP4 %LHOST%\r\n"
    "t=0 0\r\n"
    "m=audio 40000 RTP/AVP 0 101\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
)

_SDP_BROKEN = (
    "v=0\r\n"
    "o=broken\r\n"                          # too few fields
    "c=IN IP4\r\n"                          # no address
    "m=audio notaport RTP/AVP x y z\r\n"    # port and formats not numbers
    "a=rtpmap:0\r\n"
    "this is not sdp at all\r\n"
    "m=\r\n"
)


def valid_options() -> bytes:
    """A well-formed OPTIONS: a liveness probe after the bad ones (expect 200)."""
    return _req("OPTIONS", _std_headers("OPTIONS"))


def _build() -> list[tuple[str, bytes]]:
    rnd = random.Random(20240501)           # deterministic junk
    body10 = "0123456789"
    out: list[tuple[str, bytes]] = [
        ("empty", b""),
        ("garbage_text", b"Hello, this is not SIP at all!\r\n\r\n"),
        ("garbage_bytes", b"\x00\xff\xfe SIP/2.0 \x13\x37\x00\r\n\x80\x81\r\n\r\n"),
        ("binary_junk", bytes(rnd.getrandbits(8) for _ in range(1200))),
        ("crlf_keepalive_only", b"\r\n\r\n"),
        ("missing_call_id", _req("OPTIONS", _std_headers(drop=["call-id"]))),
        ("missing_cseq", _req("OPTIONS", _std_headers(drop=["cseq"]))),
        ("missing_via", _req("OPTIONS", _std_headers(drop=["via"]))),
        ("missing_from", _req("OPTIONS", _std_headers(drop=["from"]))),
        ("missing_to", _req("OPTIONS", _std_headers(drop=["to"]))),
        ("content_length_too_long",
         _req("OPTIONS", _std_headers() + ["Content-Type: text/plain"], body10,
              content_length=500)),
        ("content_length_too_short",
         _req("OPTIONS", _std_headers() + ["Content-Type: text/plain"], body10 * 5,
              content_length=5)),
        ("content_length_negative",
         _req("OPTIONS", _std_headers(), "", content_length=-1)),
        ("content_length_not_a_number",
         _req("OPTIONS", _std_headers(), "", content_length="lots")),
        ("invite_broken_sdp",
         _req("INVITE", _std_headers("INVITE") + ["Content-Type: application/sdp"],
              _SDP_BROKEN)),
        ("invite_sdp_content_length_too_long",
         _req("INVITE", _std_headers("INVITE") + ["Content-Type: application/sdp"],
              _SDP_OK, content_length=len(_SDP_OK) + 200)),
        ("cseq_not_numeric", _req("OPTIONS", _std_headers(cseq="abc OPTIONS"))),
        ("cseq_method_mismatch", _req("OPTIONS", _std_headers(cseq="1 INVITE"))),
        ("cseq_huge_number", _req("OPTIONS", _std_headers(cseq="99999999999999999999 OPTIONS"))),
        ("bad_sip_version", _req("OPTIONS", _std_headers(), version="SIP/3.0")),
        ("bad_request_uri", _req("OPTIONS", _std_headers(), ruri="not a uri at all")),
        ("no_request_uri", ("OPTIONS SIP/2.0" + CRLF + CRLF.join(_std_headers())
                            + CRLF + "Content-Length: 0" + CRLF + CRLF).encode()),
        ("header_without_colon",
         _req("OPTIONS", _std_headers() + ["This header has no colon"])),
        ("via_garbage",
         _req("OPTIONS", ["Via: SIP/2.0/UDP ;;;branch=" + "\x01" * 4] + _std_headers(drop=["via"]))),
        ("headers_not_terminated",   # no blank line after the headers
         ("OPTIONS sip:%RUSER%@%RHOST%:%RPORT% SIP/2.0" + CRLF
          + CRLF.join(_std_headers())).encode()),
        ("huge_header",              # one ~60 kB header, datagram still < 64 kB
         _req("OPTIONS", _std_headers() + ["X-Huge: " + "A" * 60000])),
        ("many_headers",
         _req("OPTIONS", _std_headers() + [f"X-H{i}: {i}" for i in range(2000)])),
        ("invalid_utf8_in_headers",
         _req("OPTIONS", _std_headers()).replace(b"User-Agent: kefu-e2e-malformed",
                                                b"User-Agent: \xff\xfe\xc3\x28")),
        ("response_to_nothing",      # a response nobody asked for
         ("SIP/2.0 200 OK" + CRLF + CRLF.join(_std_headers("INVITE", cseq="1 INVITE"))
          + CRLF + "Content-Length: 0" + CRLF + CRLF).encode()),
        ("max_forwards_zero",        # well-formed; a proxy would say 483
         _req("OPTIONS", [h if not h.startswith("Max-Forwards") else "Max-Forwards: 0"
                          for h in _std_headers()])),
    ]
    return out


#: (name, datagram template) pairs
MALFORMED: list[tuple[str, bytes]] = _build()
#: just the datagram templates
MALFORMED_DATAGRAMS: list[bytes] = [d for _, d in MALFORMED]


def fill(datagram: bytes, lport: int, rhost: str, rport: int, lhost: str = LOOPBACK,
         ruser: str = "kefu") -> bytes:
    return (datagram.replace(b"%LHOST%", lhost.encode()).replace(b"%LPORT%", str(lport).encode())
            .replace(b"%RHOST%", rhost.encode()).replace(b"%RPORT%", str(rport).encode())
            .replace(b"%RUSER%", ruser.encode()))


def _check_host(host: str) -> None:
    if host not in ("127.0.0.1", "localhost"):
        raise ValueError(f"refusing to send test traffic to {host!r}: loopback only")


def _open(local_port: int = 0) -> socket.socket:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((LOOPBACK, local_port))
    return s


def _collect(s: socket.socket, wait: float) -> list[bytes]:
    """Receive until ``wait`` seconds pass without any datagram."""
    got: list[bytes] = []
    s.settimeout(wait)
    while True:
        try:
            data, _ = s.recvfrom(65535)
        except (socket.timeout, ConnectionRefusedError):
            return got
        got.append(data)


def send_datagrams(host: str, port: int, datagrams: Iterable[bytes | tuple[str, bytes]],
                   wait: float = 0.3, local_port: int = 0, ruser: str = "kefu") -> list[bytes]:
    """Send the datagrams (templates are filled in) from one UDP socket on
    127.0.0.1 and return every datagram received until ``wait`` seconds of quiet."""
    _check_host(host)
    host = LOOPBACK
    s = _open(local_port)
    try:
        lport = s.getsockname()[1]
        for d in datagrams:
            if isinstance(d, tuple):
                d = d[1]
            try:
                s.sendto(fill(d, lport, host, port, ruser=ruser), (host, port))
            except OSError:
                pass        # e.g. EMSGSIZE; ICMP errors surface on recv
        return _collect(s, wait)
    finally:
        s.close()


def send_each(host: str, port: int, items: Iterable[tuple[str, bytes]],
              wait: float = 0.3, ruser: str = "kefu") -> list[tuple[str, list[bytes]]]:
    """Send each (name, datagram) from its own socket; returns (name, responses)."""
    return [(name, send_datagrams(host, port, [d], wait=wait, ruser=ruser)) for name, d in items]


def status_code(response: bytes) -> int | None:
    """Status code of a SIP response datagram, or None if it is not a response."""
    line = response.split(b"\r\n", 1)[0].split(b" ")
    if len(line) >= 2 and line[0] == b"SIP/2.0" and line[1].isdigit():
        return int(line[1])
    return None
