"""Phones behind NAT: a raw UDP client on 127.0.0.1 whose Contact claims 10.0.0.5:5060.

kefu must answer where the request came from (rport/received, RFC 3581), remember the
REGISTER's source in the binding and send the INVITE there, and keep the dialog (ACK, BYE)
on the real socket too.  Nothing may ever be sent to 10.x: a guard on the transaction
manager drops and records any such send, and every test asserts there was none.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import socket
import uuid
from dataclasses import dataclass

import pytest

from kefu.config import SipSettings
from kefu.sip.leg import SipLeg
from kefu.sip.locations import behind_nat, is_private
from kefu.sip.server import SipServer
from kefu.sip.tcp import KefuTransactionManager
from kefu.store.credentials import ha1

REALM = "kefu"
USER, PASSWORD = "1001", "secret-1001"
FAKE = ("10.0.0.5", 5060)           # what the phone claims; never a destination
SDP = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio 20000 RTP/AVP 0\r\n")


@dataclass
class Creds:
    ha1_md5: str
    ha1_sha256: str
    enabled: bool = True


def lookup(user: str) -> Creds | None:
    if user != USER:
        return None
    return Creds(ha1(USER, REALM, PASSWORD), ha1(USER, REALM, PASSWORD, "SHA-256"))


class Answering:
    """Answers every inbound call at once; the test hangs up."""

    def __init__(self) -> None:
        self.legs: list[SipLeg] = []

    def incoming(self, leg) -> None:
        self.legs.append(leg)
        leg.answer(SDP)


def free_port() -> int:
    while True:
        with socket.socket() as t:
            t.bind(("127.0.0.1", 0))
            port = t.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                try:
                    u.bind(("127.0.0.1", port))
                except OSError:
                    continue
        return port


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
async def server(off_box):
    srv = SipServer(SipSettings(host="127.0.0.1", port=free_port(), realm=REALM), lookup,
                    Answering())
    srv.start(asyncio.get_running_loop())
    yield srv
    srv.stop()


class NatPhone(asyncio.DatagramProtocol):
    """A UA on 127.0.0.1:<ephemeral> that believes it is 10.0.0.5:5060."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue()

    def datagram_received(self, data, addr) -> None:
        self.queue.put_nowait(data.decode())

    @classmethod
    async def open(cls, server: SipServer) -> "NatPhone":
        transport, p = await asyncio.get_running_loop().create_datagram_endpoint(
            cls, local_addr=("127.0.0.1", 0))
        p.transport = transport
        p.port = transport.get_extra_info("sockname")[1]
        p.server = ("127.0.0.1", server.settings.port)
        return p

    def request(self, method: str, call_id: str, cseq: int, *extra: str, rport: bool = True,
                body: str = "", ruri: str = "sip:127.0.0.1") -> bytes:
        lines = [f"{method} {ruri} SIP/2.0",
                 f"Via: SIP/2.0/UDP {FAKE[0]}:{FAKE[1]};branch=z9hG4bK{uuid.uuid4().hex}"
                 + (";rport" if rport else ""),
                 "Max-Forwards: 70", f"From: <sip:{USER}@127.0.0.1>;tag={call_id[:8]}",
                 f"To: <sip:{USER if method == 'REGISTER' else '2000'}@127.0.0.1>",
                 f"Call-ID: {call_id}", f"CSeq: {cseq} {method}",
                 f"Contact: <sip:{USER}@{FAKE[0]}:{FAKE[1]}>", *extra]
        if body:
            lines.append("Content-Type: application/sdp")
        lines.append(f"Content-Length: {len(body.encode())}")
        return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()

    async def recv(self, timeout: float = 5.0) -> str:
        return await asyncio.wait_for(self.queue.get(), timeout)

    async def final(self, data: bytes) -> str:
        self.transport.sendto(data, self.server)
        while True:
            msg = await self.recv()
            if not msg.startswith("SIP/2.0 1"):
                return msg

    @staticmethod
    def auth(challenge: str, method: str, uri: str) -> str:
        nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)
        md5 = lambda s: hashlib.md5(s.encode()).hexdigest()          # noqa: E731
        resp = md5(f"{md5(f'{USER}:{REALM}:{PASSWORD}')}:{nonce}:{md5(f'{method}:{uri}')}")
        return (f'Authorization: Digest username="{USER}", realm="{REALM}", nonce="{nonce}", '
                f'uri="{uri}", response="{resp}", algorithm=MD5')

    async def register(self, rport: bool = True) -> str:
        call_id = uuid.uuid4().hex
        first = await self.final(self.request("REGISTER", call_id, 1, "Expires: 120", rport=rport))
        assert first.startswith("SIP/2.0 401"), first
        auth = self.auth(first, "REGISTER", "sip:127.0.0.1")
        return await self.final(self.request("REGISTER", call_id, 2, "Expires: 120", auth,
                                             rport=rport))

    def close(self) -> None:
        self.transport.close()


def header(msg: str, name: str) -> list[str]:
    return [line.split(":", 1)[1].strip() for line in msg.split("\r\n")[1:]
            if line.lower().startswith(name.lower() + ":")]


def reply(req: str, code: str, *extra: str, body: str = "") -> bytes:
    lines = [f"SIP/2.0 {code}", *(f"Via: {v}" for v in header(req, "via")),
             f"From: {header(req, 'from')[0]}", f"To: {header(req, 'to')[0]};tag=natphone",
             f"Call-ID: {header(req, 'call-id')[0]}", f"CSeq: {header(req, 'cseq')[0]}", *extra]
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body.encode())}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


# --- tests ------------------------------------------------------------------------------------

async def test_register_behind_nat_and_invite_reaches_the_real_socket(server):
    phone = await NatPhone.open(server)
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
        phone.transport.sendto(reply(invite, "180 Ringing"), phone.server)
        # the 200 OK's Contact claims 10.0.0.5 again: ACK and BYE must still come here
        phone.transport.sendto(reply(invite, "200 OK", f"Contact: <sip:{USER}@{FAKE[0]}:{FAKE[1]}>",
                                     body=SDP), phone.server)
        ack = await phone.recv()
        assert ack.startswith("ACK sip:") and header(ack, "call-id") == header(invite, "call-id")
        leg.hangup()
        bye = await phone.recv()
        assert bye.startswith("BYE sip:") and header(bye, "call-id") == header(invite, "call-id")
        phone.transport.sendto(reply(bye, "200 OK"), phone.server)
    finally:
        phone.close()


async def test_call_from_behind_nat_keeps_its_dialog_on_the_real_socket(server):
    phone = await NatPhone.open(server)
    try:
        call_id = uuid.uuid4().hex
        ruri = "sip:2000@127.0.0.1"
        first = await phone.final(phone.request("INVITE", call_id, 1, ruri=ruri, body=SDP))
        assert first.startswith("SIP/2.0 401"), first
        auth = phone.auth(first, "INVITE", ruri)
        phone.transport.sendto(phone.request("ACK", call_id, 1, ruri=ruri), phone.server)
        ok = await phone.final(phone.request("INVITE", call_id, 2, auth, ruri=ruri, body=SDP))
        assert ok.startswith("SIP/2.0 200"), ok
        to = header(ok, "to")[0]
        ack = phone.request("ACK", call_id, 2, ruri=header(ok, "contact")[0].strip("<>"))
        phone.transport.sendto(ack.replace(f"To: <sip:2000@127.0.0.1>".encode(),
                                           f"To: {to}".encode()), phone.server)
        (leg,) = server.handler.legs
        await asyncio.sleep(0.1)
        leg.hangup()
        bye = await phone.recv()                      # not to 10.0.0.5 (the Contact)
        assert bye.startswith(f"BYE sip:{USER}@127.0.0.1:{phone.port}"), bye
        phone.transport.sendto(reply(bye, "200 OK"), phone.server)
    finally:
        phone.close()


async def test_register_without_nat_keeps_the_contact(server):
    """Contact = source: not NAT; the binding is the Contact itself."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    phone = await NatPhone.open(server)
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
