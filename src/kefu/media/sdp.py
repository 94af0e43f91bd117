"""SDP (RFC 4566) for audio offers and answers, as pure functions.

Only what a PBX's audio path needs: the first audio stream's address, port, formats,
telephone-event payload type and direction.  Anything malformed raises
:class:`SdpError` with the reason, so the SIP layer can answer 488 and log why.
Negotiation follows RFC 3264: the answerer picks the *first* offered format it
supports; static payload types 0/8/9 need no ``a=rtpmap``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

__all__ = [
    "SdpError",
    "Format",
    "Origin",
    "SessionDescription",
    "Negotiated",
    "parse_sdp",
    "negotiate",
    "build_sdp",
    "offer_formats",
    "DTMF_PT",
    "DIRECTIONS",
]

DTMF_PT = 101
"""Payload type kefu offers for RFC 4733 telephone-event."""

DIRECTIONS = ("sendrecv", "sendonly", "recvonly", "inactive")

_MIRROR = {"sendrecv": "sendrecv", "sendonly": "recvonly", "recvonly": "sendonly", "inactive": "inactive"}

# RFC 3551 static audio payload types: pt -> (encoding name, clock rate)
_STATIC = {
    0: ("PCMU", 8000),
    3: ("GSM", 8000),
    4: ("G723", 8000),
    8: ("PCMA", 8000),
    9: ("G722", 8000),
    13: ("CN", 8000),
    18: ("G729", 8000),
}

_LINE = re.compile(r"^([a-z])=(.*)$")
_RTPMAP = re.compile(r"^(\d+)\s+([^/\s]+)/(\d+)(?:/(\d+))?\s*$")
_AUDIO_PROTOS = ("RTP/AVP", "RTP/AVPF")


class SdpError(ValueError):
    """The SDP is malformed or unusable; the message says why."""


@dataclass(frozen=True)
class Format:
    pt: int
    name: str  # "" for a dynamic pt without rtpmap
    rate: int  # 0 when unknown
    channels: int = 1


@dataclass(frozen=True)
class Origin:
    username: str
    session_id: str
    version: str
    nettype: str
    addrtype: str
    address: str


@dataclass(frozen=True)
class SessionDescription:
    origin: Origin
    connection: str
    """Effective connection address of the audio stream (media-level c= wins)."""
    audio_port: int
    """0 means the audio stream is rejected/disabled."""
    proto: str
    formats: list[Format]
    dtmf_pt: int | None
    direction: str
    ptime: int | None = None
    session_name: str = ""
    attributes: list[str] = field(default_factory=list)
    """Raw media-level ``a=`` lines of the audio stream, for callers that need more."""


@dataclass(frozen=True)
class Negotiated:
    codec_name: str
    payload_type: int
    dtmf_pt: int | None
    remote_host: str
    remote_port: int
    direction: str
    """The direction the *remote* side declared (c=0.0.0.0 hold folded in)."""

    @property
    def answer_direction(self) -> str:
        """The direction to put in our answer (sendonly <-> recvonly)."""
        return _MIRROR[self.direction]

    @property
    def formats(self) -> list[tuple[int, str, int]]:
        """The chosen format, ready for :func:`build_sdp`."""
        return [(self.payload_type, self.codec_name, 8000)]


def _int(value: str, what: str, lo: int, hi: int) -> int:
    try:
        n = int(value)
    except ValueError:
        raise SdpError(f"{what} is not a number: {value!r}") from None
    if not lo <= n <= hi or not value.isdigit():
        raise SdpError(f"{what} out of range: {value!r}")
    return n


def _connection(value: str) -> str:
    parts = value.split()
    if len(parts) != 3 or parts[0] != "IN" or parts[1] not in ("IP4", "IP6"):
        raise SdpError(f"bad c= line: {value!r}")
    addr = parts[2].split("/")[0]  # drop multicast TTL / count
    if parts[1] == "IP4":
        try:
            ipaddress.IPv4Address(addr)
        except ValueError:
            if not re.fullmatch(r"[A-Za-z0-9.-]+", addr):
                raise SdpError(f"bad c= address: {addr!r}") from None
    return addr


def parse_sdp(text: str | bytes) -> SessionDescription:
    """Parse an SDP body; raises :class:`SdpError` on anything broken."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise SdpError("SDP is not UTF-8 text") from None
    if not isinstance(text, str) or not text.strip():
        raise SdpError("empty SDP")
    lines = [ln.rstrip("\r") for ln in text.split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()
    parsed: list[tuple[str, str]] = []
    for n, line in enumerate(lines, 1):
        m = _LINE.match(line)
        if not m:
            raise SdpError(f"line {n} is not <type>=<value>: {line[:60]!r}")
        parsed.append((m.group(1), m.group(2)))
    if parsed[0] != ("v", "0"):
        raise SdpError("SDP must start with v=0")

    origin: Origin | None = None
    session_name = ""
    session_c: str | None = None
    session_dir = "sendrecv"
    # media sections: (m value, c, [a values])
    media: list[tuple[str, str | None, list[str]]] = []
    for kind, value in parsed[1:]:
        if media:
            m_value, m_c, m_attrs = media[-1]
            if kind == "m":
                media.append((value, None, []))
            elif kind == "c":
                media[-1] = (m_value, _connection(value), m_attrs)
            elif kind == "a":
                m_attrs.append(value)
            continue
        if kind == "o":
            parts = value.split()
            if len(parts) != 6:
                raise SdpError(f"bad o= line: {value!r}")
            origin = Origin(*parts)
        elif kind == "s":
            session_name = value
        elif kind == "c":
            session_c = _connection(value)
        elif kind == "a" and value in DIRECTIONS:
            session_dir = value
        elif kind == "m":
            media.append((value, None, []))
    if origin is None:
        raise SdpError("missing o= line")

    audio = [(mv, mc, ma) for mv, mc, ma in media if mv.split(" ", 1)[0] == "audio"]
    if not audio:
        raise SdpError("no m=audio stream")
    chosen = None
    for entry in audio:
        parts = entry[0].split()
        if len(parts) >= 2 and parts[1].split("/")[0] != "0":
            chosen = entry
            break
    m_value, m_c, attrs = chosen or audio[0]
    parts = m_value.split()
    if len(parts) < 4:
        raise SdpError(f"bad m= line: {m_value!r}")
    port = _int(parts[1].split("/")[0], "audio port", 0, 65535)
    proto = parts[2]
    pts = [_int(p, "payload type", 0, 127) for p in parts[3:]]
    connection = m_c or session_c
    if connection is None:
        raise SdpError("missing c= line (neither session- nor media-level)")

    rtpmap: dict[int, tuple[str, int, int]] = {}
    direction = session_dir
    ptime = None
    for a in attrs:
        if a.startswith("rtpmap:"):
            m = _RTPMAP.match(a[7:])
            if not m:
                raise SdpError(f"bad a=rtpmap: {a!r}")
            rtpmap[int(m.group(1))] = (m.group(2), int(m.group(3)), int(m.group(4) or 1))
        elif a in DIRECTIONS:
            direction = a
        elif a.startswith("ptime:"):
            try:
                ptime = int(float(a[6:]))
            except ValueError:
                raise SdpError(f"bad a=ptime: {a!r}") from None

    formats = []
    for pt in pts:
        if pt in rtpmap:
            name, rate, ch = rtpmap[pt]
        elif pt in _STATIC:
            (name, rate), ch = _STATIC[pt], 1
        else:
            name, rate, ch = "", 0, 1
        formats.append(Format(pt, name, rate, ch))
    # our events run on the 8 kHz audio clock; a telephone-event/16000 is of no use to us
    dtmf_pt = next((f.pt for f in formats if f.name.lower() == "telephone-event" and f.rate == 8000), None)
    return SessionDescription(
        origin=origin,
        connection=connection,
        audio_port=port,
        proto=proto,
        formats=formats,
        dtmf_pt=dtmf_pt,
        direction=direction,
        ptime=ptime,
        session_name=session_name,
        attributes=list(attrs),
    )


_ACCEPTED_RATES = {"PCMU": (8000,), "PCMA": (8000,), "G722": (8000, 16000)}  # G722/16000 is a common mistake


def negotiate(
    offer: SessionDescription, supported: tuple[str, ...] | list[str] = ("PCMU", "PCMA", "G722")
) -> Negotiated:
    """Pick the first offered format we support (RFC 3264 answerer rule)."""
    if offer.audio_port == 0:
        raise SdpError("audio stream rejected (port 0)")
    if offer.proto not in _AUDIO_PROTOS:
        raise SdpError(f"unsupported media transport {offer.proto!r} (need RTP/AVP; no SRTP)")
    wanted = {s.upper() for s in supported}
    for f in offer.formats:
        name = f.name.upper()
        if name in wanted and f.rate in _ACCEPTED_RATES.get(name, (8000,)):
            direction = offer.direction
            if offer.connection in ("0.0.0.0", "::"):  # RFC 2543 hold: the peer will not receive
                direction = {"sendrecv": "sendonly", "recvonly": "inactive"}.get(direction, direction)
            return Negotiated(
                codec_name=name,
                payload_type=f.pt,
                dtmf_pt=offer.dtmf_pt,
                remote_host=offer.connection,
                remote_port=offer.audio_port,
                direction=direction,
            )
    offered = ", ".join(f"{f.pt}:{f.name or '?'}" for f in offer.formats) or "nothing"
    raise SdpError(f"no common codec (offered {offered}; we support {', '.join(supported)})")


def offer_formats() -> list[tuple[int, str, int]]:
    """The audio formats kefu offers, in preference order; pass :data:`DTMF_PT` as dtmf_pt."""
    return [(0, "PCMU", 8000), (8, "PCMA", 8000), (9, "G722", 8000)]


def build_sdp(
    address: str,
    port: int,
    formats: list[tuple[int, str, int]],
    dtmf_pt: int | None,
    session_id: int,
    version: int,
    direction: str = "sendrecv",
) -> str:
    """An RFC 4566 body (CRLF line ends) for one audio stream with 20 ms packets."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise SdpError(f"address must be an IP literal: {address!r}") from None
    if not 0 <= port <= 65535:
        raise SdpError(f"bad port {port}")
    if direction not in DIRECTIONS:
        raise SdpError(f"bad direction {direction!r}")
    if not formats:
        raise SdpError("no formats")
    addrtype = "IP6" if ip.version == 6 else "IP4"
    pts = []
    lines_a = []
    for pt, name, rate in formats:
        if not 0 <= pt <= 127:
            raise SdpError(f"bad payload type {pt}")
        if pt == dtmf_pt:
            continue
        pts.append(pt)
        lines_a.append(f"a=rtpmap:{pt} {name}/{rate}")
    if dtmf_pt is not None:
        if not 0 <= dtmf_pt <= 127:
            raise SdpError(f"bad telephone-event payload type {dtmf_pt}")
        pts.append(dtmf_pt)
        lines_a.append(f"a=rtpmap:{dtmf_pt} telephone-event/8000")
        lines_a.append(f"a=fmtp:{dtmf_pt} 0-16")
    lines = [
        "v=0",
        f"o=kefu {int(session_id)} {int(version)} IN {addrtype} {address}",
        "s=kefu",
        f"c=IN {addrtype} {address}",
        "t=0 0",
        f"m=audio {port} RTP/AVP {' '.join(map(str, pts))}",
        *lines_a,
        "a=ptime:20",
        f"a={direction}",
    ]
    return "\r\n".join(lines) + "\r\n"
