"""RTP header and RFC 4733 payload parsing/building."""

from __future__ import annotations

import struct

from kefu.media.rtp import (
    ReceiveStats,
    TelephoneEvent,
    build_event,
    build_rtp,
    parse_event,
    parse_header,
    parse_rtp,
)


def test_build_and_parse() -> None:
    data = build_rtp(0, 65535, 0xFFFFFFFF, 0xDEADBEEF, b"abc", marker=True)
    assert data[:2] == b"\x80\x80"
    p = parse_rtp(data)
    assert p is not None
    assert (p.payload_type, p.marker, p.sequence, p.timestamp, p.ssrc, p.payload) == (
        0, True, 65535, 0xFFFFFFFF, 0xDEADBEEF, b"abc")


def test_csrc_extension_and_padding_are_skipped() -> None:
    csrcs = struct.pack("!II", 1, 2)
    ext = struct.pack("!HH", 0xBEDE, 2) + b"\x00" * 8
    payload = b"\x11" * 10
    padding = b"\x00\x00\x03"
    data = struct.pack("!BBHII", 0x80 | 0x20 | 0x10 | 2, 8, 7, 160, 99) + csrcs + ext + payload + padding
    h = parse_header(data)
    assert h is not None
    assert h == (8, 0, 7, 160, 99, payload)


def test_invalid_packets_are_rejected() -> None:
    good = build_rtp(0, 1, 2, 3, b"x" * 160)
    assert parse_header(good[:11]) is None  # short
    assert parse_header(b"\x40" + good[1:]) is None  # version 1
    assert parse_header(b"\x8f" + good[1:20]) is None  # 15 CSRCs announced, not there
    assert parse_header(b"\x90" + good[1:13]) is None  # extension header cut
    assert parse_header(b"\xa0" + good[1:13] + b"\x00") is None  # zero padding count
    assert parse_header(b"\xa0" + good[1:13] + b"\xff") is None  # padding longer than packet
    assert parse_header(good) is not None


def test_telephone_event_payload() -> None:
    payload = build_event(11, True, 10, 800)
    assert payload == bytes([11, 0x80 | 10]) + struct.pack("!H", 800)
    ev = parse_event(payload)
    assert ev == TelephoneEvent(11, True, 10, 800)
    assert ev.digit == "#"
    assert parse_event(b"\x01\x00") is None
    assert parse_event(build_event(1, False, 63, 70000)).duration == 0xFFFF  # clamped


def test_receive_stats_wraparound_reorder_and_loss() -> None:
    st = ReceiveStats()
    for seq in (65533, 65534, 65535, 1, 0, 2, 4):  # 0 reordered, 3 lost
        st.update(seq)
    assert st.highest == 65536 + 4
    assert st.lost == 1
    st.update(30000)  # restart
    st.update(30001)
    assert st.lost == 1
