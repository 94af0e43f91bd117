"""DTMF sent as SIP INFO (kefu.sip.info): what an INFO body means, the answer it gets,
and the key press reaching the leg's listener, in dialogs kefu placed and answered.

The dialog tests run real sippy dialogs against a raw UDP phone: they also fail if sippy
changes how a dialog reaches its connected state (kefu's INFO handling rides on
``UA.UaStateConnected``), since the INFO would then get sippy's own blanket 200.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from kefu.sip.info import InfoDigit, InfoRefused, parse_info
from kefu.sip.leg import SipLeg
from sipkit import SDP, USER, UdpClient, authorization, header, parse, request, response

RELAY, PLAIN = "application/dtmf-relay", "application/dtmf"


@pytest.mark.parametrize("ctype, body, digit", [
    (RELAY, "Signal=5\r\nDuration=160\r\n", InfoDigit("5", 160)),
    (RELAY, "Signal= #\r\nDuration= 250", InfoDigit("#", 250)),
    (RELAY, "signal=*\n", InfoDigit("*")),                        # no Duration, bare LF
    (RELAY, "Signal=11\r\nDuration=100", InfoDigit("#", 100)),    # RFC 4733 event code
    (RELAY, "Signal=d\r\nDuration=x", InfoDigit("D")),            # unreadable duration
    (f"{RELAY}; charset=us-ascii", "Signal=0", InfoDigit("0")),
    ("Application/DTMF", "5", InfoDigit("5")),
    (PLAIN, " 10\r\n", InfoDigit("*")),
    (RELAY, "Signal=!\r\nDuration=500", None),                    # flash hook: no key
    (None, "", None),                                             # no body: keep-alive
])
def test_info_bodies(ctype, body, digit):
    assert parse_info(ctype, body) == digit


@pytest.mark.parametrize("ctype, body, code", [
    ("text/plain", "5", 415),
    ("application/media_control+xml", "<media_control/>", 415),
    (RELAY, "Signal=X", 400),
    (RELAY, "Signal=16a", 400),
    (RELAY, "Duration=100", 400),                                 # no Signal
    (PLAIN, "55", 400),
])
def test_info_bodies_refused(ctype, body, code):
    with pytest.raises(InfoRefused) as refused:
        parse_info(ctype, body)
    assert refused.value.code == code


def test_an_optional_body_of_another_type_is_ignored():
    assert parse_info("application/x-whatever", "1", optional=True) is None


class Listener:
    """CallHandler and LegListener: answers inbound calls, records key presses."""

    def __init__(self) -> None:
        self.legs: list[SipLeg] = []
        self.keys: asyncio.Queue = asyncio.Queue()

    def incoming(self, leg: SipLeg) -> None:
        self.legs.append(leg)
        leg.listener = self
        leg.answer(SDP)

    def leg_dtmf(self, leg, digit, duration_ms) -> None:
        self.keys.put_nowait((leg, digit, duration_ms))

    def __getattr__(self, name):          # leg_answered, leg_ended, ...: not of interest
        if name.startswith("leg_"):
            return lambda *args: None
        raise AttributeError(name)


class Dialog:
    """The phone's side of one confirmed dialog: in-dialog requests to kefu."""

    def __init__(self, phone: UdpClient, call_id: str, local: str, remote: str,
                 target: str, cseq: int) -> None:
        self.phone, self.call_id, self.local, self.remote = phone, call_id, local, remote
        self.target, self.cseq = target, cseq

    async def send(self, method: str, *extra: str, body: str = "") -> str:
        self.cseq += 1
        lines = [f"{method} {self.target} SIP/2.0",
                 f"Via: SIP/2.0/UDP 127.0.0.1:{self.phone.port};rport;"
                 f"branch=z9hG4bK{uuid.uuid4().hex}",
                 "Max-Forwards: 70", f"From: {self.local}", f"To: {self.remote}",
                 f"Call-ID: {self.call_id}", f"CSeq: {self.cseq} {method}", *extra,
                 f"Content-Length: {len(body.encode())}"]
        return await self.phone.final(("\r\n".join(lines) + "\r\n\r\n" + body).encode())

    async def info(self, ctype: str | None, body: str, *extra: str) -> str:
        return await self.send("INFO", *((f"Content-Type: {ctype}",) if ctype else ()),
                               *extra, body=body)


async def _called_by_kefu(server, phone: UdpClient) -> tuple[Dialog, SipLeg]:
    """kefu dials the phone (registered as USER), the phone answers: kefu is the UAC."""
    call_id = uuid.uuid4().hex
    via = f"SIP/2.0/UDP 127.0.0.1:{phone.port}"
    contact = f"Contact: <sip:{USER}@127.0.0.1:{phone.port}>"
    first = await phone.final(request("REGISTER", "sip:127.0.0.1", via, call_id=call_id,
                                      extra=[contact, "Expires: 60"]))
    auth = authorization(first, "REGISTER", "sip:127.0.0.1")
    ok = await phone.final(request("REGISTER", "sip:127.0.0.1", via, call_id=call_id, cseq=2,
                                   extra=[contact, "Expires: 60", auth]))
    assert ok.startswith("SIP/2.0 200"), ok
    (binding,) = server.locations.lookup(USER)
    leg = SipLeg(server.thread, "out", caller="2000", callee=USER)
    leg.listener = server.handler
    server.dial(binding, leg, SDP)
    invite = await phone.recv()
    _, headers, _ = parse(invite)
    phone.send(response(headers, "200 OK", contact, tag="phone", body=SDP))
    ack = await phone.recv()
    assert ack.startswith("ACK "), ack
    return Dialog(phone, headers["call-id"][0], f"{headers['to'][0]};tag=phone",
                  headers["from"][0], header(invite, "contact")[0].strip("<>"), 100), leg


async def _calling_kefu(server, phone: UdpClient) -> tuple[Dialog, SipLeg]:
    """The phone calls 2000 with digest auth, kefu answers: kefu is the UAS."""
    call_id, ruri = uuid.uuid4().hex, "sip:2000@127.0.0.1"
    via = f"SIP/2.0/UDP 127.0.0.1:{phone.port}"
    contact = f"Contact: <sip:{USER}@127.0.0.1:{phone.port}>"
    sdp = ["Content-Type: application/sdp"]
    first = await phone.final(request("INVITE", ruri, via, call_id=call_id, to_uri=ruri,
                                      extra=[contact, *sdp], body=SDP))
    assert first.startswith("SIP/2.0 401"), first
    phone.send(request("ACK", ruri, via, call_id=call_id, to_uri=ruri))
    auth = authorization(first, "INVITE", ruri)
    ok = await phone.final(request("INVITE", ruri, via, call_id=call_id, cseq=2, to_uri=ruri,
                                   extra=[contact, auth, *sdp], body=SDP))
    assert ok.startswith("SIP/2.0 200"), ok
    dialog = Dialog(phone, call_id, header(ok, "from")[0], header(ok, "to")[0],
                    header(ok, "contact")[0].strip("<>"), 2)
    phone.send(request("ACK", dialog.target, via, call_id=call_id, cseq=2, to_uri=ruri)
               .replace(f"To: <{ruri}>".encode(), f"To: {dialog.remote}".encode()))
    (leg,) = server.handler.legs
    return dialog, leg


@pytest.mark.parametrize("direction", ["kefu called the phone", "the phone called kefu"])
async def test_info_dtmf_in_a_dialog(sip_server, direction):
    server = await sip_server(Listener())
    phone = await UdpClient.open(server.settings.port)
    try:
        setup = _called_by_kefu if direction.startswith("kefu") else _calling_kefu
        dialog, leg = await setup(server, phone)
        keys = server.handler.keys

        ok = await dialog.info(RELAY, "Signal=5\r\nDuration=160\r\n")
        assert ok.startswith("SIP/2.0 200"), ok
        assert await asyncio.wait_for(keys.get(), 5) == (leg, "5", 160)
        ok = await dialog.info(PLAIN, "#")
        assert ok.startswith("SIP/2.0 200"), ok
        assert await asyncio.wait_for(keys.get(), 5) == (leg, "#", None)

        refused = await dialog.info("text/plain", "hello")
        assert refused.startswith("SIP/2.0 415"), refused
        assert header(refused, "accept") == [f"{RELAY}, {PLAIN}"]
        refused = await dialog.info(RELAY, "Signal=X")
        assert refused.startswith("SIP/2.0 400"), refused
        for quiet in [(None, ""), ("application/x-pic", "1", "Content-Disposition: "
                                   "render;handling=optional")]:
            ok = await dialog.info(*quiet)
            assert ok.startswith("SIP/2.0 200"), (quiet, ok)
        await asyncio.sleep(0.2)
        assert keys.empty()                                 # none of those was a key

        ok = await dialog.info(RELAY, "Signal=0")              # the dialog is still up
        assert ok.startswith("SIP/2.0 200"), ok
        assert await asyncio.wait_for(keys.get(), 5) == (leg, "0", None)
        bye = await dialog.send("BYE")
        assert bye.startswith("SIP/2.0 200"), bye
    finally:
        phone.close()
