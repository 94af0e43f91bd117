"""RTP (RFC 3550) packets and RFC 4733 telephone-events.

The receive path calls :func:`parse_header` once per datagram, so it is a flat
function returning a tuple; :class:`RtpPacket` / :func:`parse_rtp` are the friendly
form for tests and tools.  Invalid datagrams (short, version != 2, inconsistent
CSRC/extension/padding lengths) give ``None``; callers count them and move on.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

__all__ = [
    "RtpPacket",
    "parse_header",
    "parse_rtp",
    "build_rtp",
    "is_rtcp",
    "TelephoneEvent",
    "parse_event",
    "build_event",
    "DIGIT_TO_EVENT",
    "EVENT_TO_DIGIT",
    "ReceiveStats",
]

_HDR = struct.Struct("!BBHII")
_EXT = struct.Struct("!HH")
_EVENT = struct.Struct("!BBH")

DIGIT_TO_EVENT: dict[str, int] = {**{str(d): d for d in range(10)}, "*": 10, "#": 11, "A": 12, "B": 13, "C": 14, "D": 15}
EVENT_TO_DIGIT: dict[int, str] = {v: k for k, v in DIGIT_TO_EVENT.items()}


@dataclass(frozen=True, slots=True)
class RtpPacket:
    payload_type: int
    marker: bool
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes


def parse_header(data: bytes) -> tuple[int, int, int, int, int, bytes] | None:
    """(payload_type, marker, seq, ts, ssrc, payload) or None when not valid RTP v2.

    CSRCs and a header extension are skipped (their lengths are honoured), padding
    is removed.
    """
    n = len(data)
    if n < 12:
        return None
    b0, b1, seq, ts, ssrc = _HDR.unpack_from(data)
    if b0 & 0xC0 != 0x80:
        return None
    off = 12 + ((b0 & 0x0F) << 2)
    if b0 & 0x10:
        if n < off + 4:
            return None
        off += 4 + (_EXT.unpack_from(data, off)[1] << 2)
    end = n
    if b0 & 0x20:
        pad = data[-1]
        if pad == 0:
            return None
        end -= pad
    if off > end:
        return None
    return b1 & 0x7F, b1 & 0x80, seq, ts, ssrc, data[off:end]


def is_rtcp(payload_type: int) -> bool:
    """RTCP types 200-204 appear as pt 72-76 with the marker bit (rtcp-mux)."""
    return 72 <= payload_type <= 76


def parse_rtp(data: bytes) -> RtpPacket | None:
    h = parse_header(data)
    if h is None:
        return None
    pt, marker, seq, ts, ssrc, payload = h
    return RtpPacket(pt, bool(marker), seq, ts, ssrc, payload)


def build_rtp(payload_type: int, sequence: int, timestamp: int, ssrc: int, payload: bytes, marker: bool = False) -> bytes:
    return _HDR.pack(0x80, (payload_type & 0x7F) | (0x80 if marker else 0), sequence & 0xFFFF,
                     timestamp & 0xFFFFFFFF, ssrc & 0xFFFFFFFF) + payload


@dataclass(frozen=True, slots=True)
class TelephoneEvent:
    """One RFC 4733 event payload: event code, end bit, volume (-dBm0), duration (ts units)."""

    event: int
    end: bool
    volume: int
    duration: int

    @property
    def digit(self) -> str | None:
        return EVENT_TO_DIGIT.get(self.event)


def parse_event(payload: bytes) -> TelephoneEvent | None:
    if len(payload) < 4:
        return None
    event, flags, duration = _EVENT.unpack_from(payload)
    return TelephoneEvent(event, bool(flags & 0x80), flags & 0x3F, duration)


def build_event(event: int, end: bool, volume: int, duration: int) -> bytes:
    return _EVENT.pack(event & 0xFF, (0x80 if end else 0) | (volume & 0x3F), min(duration, 0xFFFF))


class ReceiveStats:
    """RFC 3550 A.1-style loss accounting for one SSRC: extended sequence numbers,
    expected - received, tolerant of wraparound, reordering and a sender restart."""

    __slots__ = ("base", "highest", "received", "lost_before", "expect")

    RESTART_GAP = 3000

    def __init__(self) -> None:
        self.base: int | None = None
        self.highest = 0
        self.received = 0
        self.lost_before = 0
        self.expect = -1
        """The next in-order 16-bit sequence number: lets the receive path count an
        in-order packet inline (``highest += 1; received += 1``) without a call."""

    def update(self, seq: int) -> None:
        if self.base is None:
            self.base = self.highest = seq
            self.received = 1
            self.expect = (seq + 1) & 0xFFFF
            return
        delta = ((seq - self.highest + 0x8000) & 0xFFFF) - 0x8000
        if abs(delta) > self.RESTART_GAP:  # sender restarted its sequence
            self.lost_before = self.lost
            self.base = self.highest = seq
            self.received = 1
            self.expect = (seq + 1) & 0xFFFF
            return
        ext = self.highest + delta
        if delta > 0:
            self.highest = ext
            self.expect = (seq + 1) & 0xFFFF
        elif ext < self.base:
            self.base = ext
        self.received += 1

    @property
    def lost(self) -> int:
        if self.base is None:
            return self.lost_before
        return self.lost_before + max(0, self.highest - self.base + 1 - self.received)
