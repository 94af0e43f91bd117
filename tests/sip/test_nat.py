"""Phones behind NAT: a raw UDP client on 127.0.0.1 whose Contact claims 10.0.0.5:5060.

kefu must answer where the request came from (rport/received, RFC 3581), remember the
REGISTER's source in the binding and send the INVITE there, and keep the dialog (ACK, BYE)
on the real socket too.  Nothing may ever be sent to 10.x: a guard on the transaction
manager drops and records any such send, and every test asserts there was none.
"""

from __future__ import annotations

import asyncio
import socket
import uuid

import pytest

import sipkit
from kefu.sip.leg import SipLeg
from kefu.sip.locations import behind_nat, is_private
from kefu.sip.tcp import KefuTransactionManager
from sipkit import SDP, USER, UdpClient, authorization, header, parse, response

FAKE = ("10.0.0.5", 5060)           # what the phone claims; never a destination


class Answering:
    """Answers every inbound call at once; the test hangs up."""

    def __init__(self) -> None:
        self.legs: list[SipLeg] = []

    def incoming(self, leg) -> None:
        self.legs.append(leg)
        leg.answer(SDP)


@pytest.fixture
def off_box(monkeypatch):
    """Every destination kefu tried that is not loopback (dropped, never sent)."""
    tried: list[tuple] = []
    original = KefuTransactionManager.transmitData

    def transmit(self, userv, data, address, *args, **kw):
        if not str(address[0]).strip("[]").startswith(("127.", "::1")):
            tried.append(tuple(address))
            return
        return original(self, userv, data, address, *args, **kw)

    monkeypatch.setattr(KefuTransactionManager, "transmitData", transmit)
    yield tried
    assert tried == [], f"kefu tried to send to {tried}"


@pytest.fixture
async def server(off_box, sip_server):
    return await sip_server(Answering())


class NatPhone(UdpClient):
    """A UA on 127.0.0.1:<ephemeral> that believes it is 10.0.0.5:5060."""

    def request(self, method: str, call_id: str, cseq: int, *extra: str, rport: bool = True,
                body: str = "", ruri: str = "sip:127.0.0.1") -> bytes:
        to = USER if method == "REGISTER" else "2000"
        return sipkit.request(
            method, ruri, f"SIP/2.0/UDP {FAKE[0]}:{FAKE[1]}", call_id=call_id, cseq=cseq,
            rport=rport, to_uri=f"sip:{to}@127.0.0.1", body=body,
            extra=[f"Contact: <sip:{USER}@{FAKE[0]}:{FAKE[1]}>", *extra,
                   *(["Content-Type: application/sdp"] if body else [])])

    async def register(self, rport: bool = True) -> str:
        call_id = uuid.uuid4().hex
        first = await self.final(self.request("REGISTER", call_id, 1, "Expires: 120", rport=rport))
        assert first.startswith("SIP/2.0 401"), first
        auth = authorization(first, "REGISTER", "sip:127.0.0.1")
        return await self.final(self.request("REGISTER", call_id, 2, "Expires: 120", auth,
                                             rport=rport))


def reply(req: str, code: str, *extra: str, body: str = "") -> bytes:
    return response(parse(req)[1], code, *extra, tag="natphone", body=body)


# --- tests ------------------------------------------------------------------------------------

async def test_register_behind_nat_and_invite_reaches_the_real_socket(server):
    phone = await NatPhone.open(server.settings.port)
    try:
        ok = await phone.register()
        assert ok.startswith("SIP/2.0 200"), ok
        via = header(ok, "via")[0]      # answered to the source: received + rport filled in
        assert "received=127.0.0.1" in via and f"rport={phone.port}" in via
        assert f"<sip:{USER}@{FAKE[0]}:{FAKE[1]}>" in header(ok, "contact")[0]   # as sent
        (b,) = server.locations.lookup(USER)
        assert b.nated and (b.host, b.port) == ("127.0.0.1", phone.port)
        assert b.contact == f"sip:{USER}@{FAKE[0]}:{FAKE[1]}" and b.transport == "udp"

        leg = SipLeg(server.thread, "out", caller="2000", callee=USER)
        server.dial(b, leg, SDP)
        invite = await phone.recv()                   # on the phone's real socket
        assert invite.startswith("INVITE sip:"), invite
        phone.send(reply(invite, "180 Ringing"))
        # the 200 OK's Contact claims 10.0.0.5 again: ACK and BYE must still come here
        phone.send(reply(invite, "200 OK", f"Contact: <sip:{USER}@{FAKE[0]}:{FAKE[1]}>",
                         body=SDP))
        ack = await phone.recv()
        assert ack.startswith("ACK sip:") and header(ack, "call-id") == header(invite, "call-id")
        leg.hangup()
        bye = await phone.recv()
        assert bye.startswith("BYE sip:") and header(bye, "call-id") == header(invite, "call-id")
        phone.send(reply(bye, "200 OK"))
    finally:
        phone.close()


async def test_call_from_behind_nat_keeps_its_dialog_on_the_real_socket(server):
    phone = await NatPhone.open(server.settings.port)
    try:
        call_id = uuid.uuid4().hex
        ruri = "sip:2000@127.0.0.1"
        first = await phone.final(phone.request("INVITE", call_id, 1, ruri=ruri, body=SDP))
        assert first.startswith("SIP/2.0 401"), first
        auth = authorization(first, "INVITE", ruri)
        phone.send(phone.request("ACK", call_id, 1, ruri=ruri))
        ok = await phone.final(phone.request("INVITE", call_id, 2, auth, ruri=ruri, body=SDP))
        assert ok.startswith("SIP/2.0 200"), ok
        to = header(ok, "to")[0]
        ack = phone.request("ACK", call_id, 2, ruri=header(ok, "contact")[0].strip("<>"))
        phone.send(ack.replace(b"To: <sip:2000@127.0.0.1>", f"To: {to}".encode()))
        (leg,) = server.handler.legs
        await asyncio.sleep(0.1)
        leg.hangup()
        bye = await phone.recv()                      # not to 10.0.0.5 (the Contact)
        assert bye.startswith(f"BYE sip:{USER}@127.0.0.1:{phone.port}"), bye
        phone.send(reply(bye, "200 OK"))
    finally:
        phone.close()


async def test_register_without_nat_keeps_the_contact(server):
    """Contact = source: not NAT; the binding is the Contact itself."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    phone = await NatPhone.open(server.settings.port)
    try:
        global FAKE
        saved, FAKE = FAKE, ("127.0.0.1", phone.port)
        try:
            assert (await phone.register()).startswith("SIP/2.0 200")
        finally:
            FAKE = saved
        (b,) = server.locations.lookup(USER)
        assert not b.nated and (b.host, b.port) == ("127.0.0.1", phone.port)
    finally:
        phone.close()
    assert port


def test_behind_nat_rules():
    src = ("127.0.0.1", 40000)
    assert behind_nat(("10.0.0.5", 5060), src, rport=False, stream=False)        # RFC 1918
    assert behind_nat(("192.168.1.9", 5060), src, rport=False, stream=True)
    assert behind_nat(("203.0.113.7", 5060), src, rport=True, stream=False)      # rport
    assert not behind_nat(("203.0.113.7", 5060), src, rport=False, stream=False)  # trusted
    assert not behind_nat(("127.0.0.1", 40000), src, rport=True, stream=False)   # same
    assert behind_nat(("127.0.0.1", 5060), src, rport=True, stream=False)        # port mapped
    assert not behind_nat(("127.0.0.1", 5060), src, rport=True, stream=True)     # TCP: ephemeral
    assert not behind_nat(("192.168.1.9", 5060), ("192.168.1.9", 5060), False, False)  # LAN
    assert is_private("172.31.0.1") and not is_private("172.32.0.1") and not is_private("pbx")
