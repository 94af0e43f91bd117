"""SDP parsing, negotiation and building, including broken input."""

from __future__ import annotations

import pytest

from kefu.media.sdp import DTMF_PT, SdpError, build_sdp, negotiate, offer_formats, parse_sdp

LINPHONE_OFFER = (
    "v=0\r\n"
    "o=alice 3724 2918 IN IP4 192.0.2.10\r\n"
    "s=Talk\r\n"
    "c=IN IP4 192.0.2.10\r\n"
    "t=0 0\r\n"
    "m=audio 7078 RTP/AVP 9 0 8 101 96\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-15\r\n"
    "a=rtpmap:96 opus/48000/2\r\n"
    "a=ptime:20\r\n"
    "a=sendrecv\r\n"
    "m=video 9078 RTP/AVP 97\r\n"
    "c=IN IP4 192.0.2.99\r\n"
    "a=rtpmap:97 H264/90000\r\n"
)


def test_parse_typical_offer() -> None:
    sd = parse_sdp(LINPHONE_OFFER)
    assert sd.connection == "192.0.2.10"
    assert sd.audio_port == 7078
    assert sd.proto == "RTP/AVP"
    assert [(f.pt, f.name, f.rate) for f in sd.formats] == [
        (9, "G722", 8000), (0, "PCMU", 8000), (8, "PCMA", 8000), (101, "telephone-event", 8000), (96, "opus", 48000)
    ]
    assert sd.formats[-1].channels == 2
    assert sd.dtmf_pt == 101
    assert sd.direction == "sendrecv"
    assert sd.ptime == 20
    assert (sd.origin.username, sd.origin.session_id, sd.origin.version, sd.origin.address) == (
        "alice", "3724", "2918", "192.0.2.10")


def test_negotiate_takes_first_supported_in_offer_order() -> None:
    n = negotiate(parse_sdp(LINPHONE_OFFER))
    assert (n.codec_name, n.payload_type, n.dtmf_pt, n.remote_host, n.remote_port, n.direction) == (
        "G722", 9, 101, "192.0.2.10", 7078, "sendrecv")
    n = negotiate(parse_sdp(LINPHONE_OFFER), supported=("PCMA", "PCMU"))
    assert (n.codec_name, n.payload_type) == ("PCMU", 0)
    assert n.formats == [(0, "PCMU", 8000)]


def test_static_payload_types_without_rtpmap_and_lf_line_ends() -> None:
    sdp = "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=-\nt=0 0\nm=audio 4000 RTP/AVP 18 8 0\nc=IN IP4 10.0.0.2\n"
    sd = parse_sdp(sdp)
    assert sd.connection == "10.0.0.2"  # media-level c=
    assert sd.dtmf_pt is None
    n = negotiate(sd)
    assert (n.codec_name, n.payload_type, n.dtmf_pt) == ("PCMA", 8, None)


def test_media_level_connection_and_direction_override_session() -> None:
    sdp = (
        "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\na=recvonly\r\n"
        "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 10.0.0.3\r\na=sendonly\r\n"
    )
    n = negotiate(parse_sdp(sdp))
    assert n.remote_host == "10.0.0.3"
    assert n.direction == "sendonly"
    assert n.answer_direction == "recvonly"
    sdp2 = sdp.replace("a=sendonly\r\n", "")
    assert parse_sdp(sdp2).direction == "recvonly"  # session-level default applies


def test_old_style_hold_with_zero_address() -> None:
    sdp = "v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"
    n = negotiate(parse_sdp(sdp))
    assert n.direction == "sendonly"
    assert n.answer_direction == "recvonly"


def test_telephone_event_prefers_8k_clock() -> None:
    sdp = (
        "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
        "m=audio 4000 RTP/AVP 0 100 101\r\na=rtpmap:100 telephone-event/48000\r\n"
        "a=rtpmap:101 TELEPHONE-EVENT/8000\r\n"
    )
    assert parse_sdp(sdp).dtmf_pt == 101


def test_no_common_codec() -> None:
    sdp = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 18 3\r\n"
    with pytest.raises(SdpError, match="no common codec"):
        negotiate(parse_sdp(sdp))


GOOD = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n"


@pytest.mark.parametrize(
    "text, reason",
    [
        ("", "empty"),
        ("hello world", "not <type>=<value>"),
        (b"\xff\xfe\x00", "UTF-8"),
        (GOOD.replace("v=0", "v=1"), "v=0"),
        (GOOD.replace("m=audio 4000 RTP/AVP 0", "m=video 4000 RTP/AVP 31"), "no m=audio"),
        (GOOD.replace("4000", "port"), "audio port"),
        (GOOD.replace("4000", "70000"), "audio port"),
        (GOOD.replace("4000", "-1"), "audio port"),
        (GOOD.replace("c=IN IP4 10.0.0.1\r\n", ""), "missing c="),
        (GOOD.replace("c=IN IP4 10.0.0.1", "c=IN IP4"), "bad c="),
        (GOOD.replace("c=IN IP4 10.0.0.1", "c=IN IP4 10.0.0.1 junk"), "bad c="),
        (GOOD.replace("o=- 1 1 IN IP4 10.0.0.1\r\n", ""), "missing o="),
        (GOOD.replace("RTP/AVP 0", "RTP/AVP"), "bad m="),
        (GOOD.replace("RTP/AVP 0", "RTP/AVP 0 x"), "payload type"),
        (GOOD.replace("RTP/AVP 0", "RTP/AVP 200"), "payload type"),
        (GOOD + "a=rtpmap:0 PCMU\r\n", "rtpmap"),
        (GOOD + "garbage\r\n", "line 7"),
    ],
)
def test_broken_sdp_raises(text, reason: str) -> None:
    with pytest.raises(SdpError, match=reason):
        parse_sdp(text)
    assert issubclass(SdpError, ValueError)


@pytest.mark.parametrize(
    "text, reason",
    [
        (GOOD.replace("4000", "0"), "rejected"),
        (GOOD.replace("RTP/AVP", "RTP/SAVP"), "SRTP"),
    ],
)
def test_unusable_sdp_fails_negotiation(text: str, reason: str) -> None:
    with pytest.raises(SdpError, match=reason):
        negotiate(parse_sdp(text))


def test_build_offer_round_trips() -> None:
    body = build_sdp("127.0.0.1", 20000, offer_formats(), DTMF_PT, session_id=42, version=7)
    assert body.endswith("\r\n")
    assert "\n" not in body.replace("\r\n", "")
    lines = body.split("\r\n")[:-1]
    assert lines[0] == "v=0"
    assert lines[1] == "o=kefu 42 7 IN IP4 127.0.0.1"
    assert [ln[0] for ln in lines[:5]] == ["v", "o", "s", "c", "t"]  # RFC 4566 order
    assert "m=audio 20000 RTP/AVP 0 8 9 101" in lines
    assert "a=rtpmap:101 telephone-event/8000" in lines
    assert "a=fmtp:101 0-16" in lines
    assert "a=ptime:20" in lines
    assert lines[-1] == "a=sendrecv"
    sd = parse_sdp(body)
    assert [(f.pt, f.name, f.rate) for f in sd.formats] == [
        (0, "PCMU", 8000), (8, "PCMA", 8000), (9, "G722", 8000), (101, "telephone-event", 8000)]
    assert (sd.connection, sd.audio_port, sd.dtmf_pt, sd.direction) == ("127.0.0.1", 20000, 101, "sendrecv")


def test_build_answer_from_negotiation() -> None:
    n = negotiate(parse_sdp(LINPHONE_OFFER), supported=("PCMU",))
    body = build_sdp("127.0.0.1", 20002, n.formats, n.dtmf_pt, 1, 1, direction=n.answer_direction)
    sd = parse_sdp(body)
    assert [f.pt for f in sd.formats] == [0, 101]
    assert "a=fmtp:101 0-16\r\n" in body
    assert negotiate(sd).codec_name == "PCMU"
    no_dtmf = build_sdp("127.0.0.1", 20002, n.formats, None, 1, 1, direction="sendonly")
    assert "telephone-event" not in no_dtmf and "a=sendonly\r\n" in no_dtmf


def test_build_ipv6_and_bad_arguments() -> None:
    assert "c=IN IP6 ::1\r\n" in build_sdp("::1", 4000, offer_formats(), None, 1, 1)
    with pytest.raises(SdpError):
        build_sdp("example.com", 4000, offer_formats(), None, 1, 1)
    with pytest.raises(SdpError):
        build_sdp("127.0.0.1", 4000, offer_formats(), None, 1, 1, direction="both")
    with pytest.raises(SdpError):
        build_sdp("127.0.0.1", 4000, [], None, 1, 1)
