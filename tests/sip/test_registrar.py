"""The registrar over UDP against a real SipServer: digest auth, expiry, refresh,
several contacts, removal.  The client is a minimal independent SIP UA in the test."""

from __future__ import annotations

import asyncio
import hashlib
import re
import socket
import uuid

import pytest

from kefu.config import SipSettings
from kefu.sip.server import SipServer
from kefu.store.credentials import ha1

REALM = "kefu"
USERS = {"1001": "secret-1001", "1002": "secret-1002"}


class Creds:
    def __init__(self, user: str, password: str) -> None:
        self.ha1_md5 = ha1(user, REALM, password)
        self.ha1_sha256 = ha1(user, REALM, password, "SHA-256")
        self.enabled = True


def lookup(user: str) -> Creds | None:
    return Creds(user, USERS[user]) if user in USERS else None


class NoCalls:
    def incoming(self, leg) -> None:
        leg.reject(486, "Busy Here")


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
async def server():
    settings = SipSettings(host="127.0.0.1", port=free_udp_port(), realm=REALM,
                           min_expires=2, max_expires=120, default_expires=60)
    srv = SipServer(settings, lookup, NoCalls())
    srv.start(asyncio.get_running_loop())
    yield srv
    srv.stop()


class Phone(asyncio.DatagramProtocol):
    """Just enough of a SIP UA to REGISTER with digest auth."""

    def __init__(self, server_port: int, user: str, password: str) -> None:
        self.server = ("127.0.0.1", server_port)
        self.user, self.password = user, password
        self.call_id = uuid.uuid4().hex
        self.cseq = 0
        self.queue: asyncio.Queue[str] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr) -> None:
        self.queue.put_nowait(data.decode())

    @classmethod
    async def open(cls, server_port: int, user: str, password: str) -> "Phone":
        loop = asyncio.get_running_loop()
        transport, phone = await loop.create_datagram_endpoint(
            lambda: cls(server_port, user, password), local_addr=("127.0.0.1", 0))
        phone.transport = transport
        phone.port = transport.get_extra_info("sockname")[1]
        return phone

    def request(self, contacts: list[str], expires: int | None, auth: str | None,
                user: str | None = None) -> bytes:
        self.cseq += 1
        uri = f"sip:127.0.0.1:{self.server[1]}"
        lines = [f"REGISTER {uri} SIP/2.0",
                 f"Via: SIP/2.0/UDP 127.0.0.1:{self.port};branch=z9hG4bK{uuid.uuid4().hex};rport",
                 "Max-Forwards: 70",
                 f"From: <sip:{user or self.user}@127.0.0.1>;tag={self.call_id[:8]}",
                 f"To: <sip:{user or self.user}@127.0.0.1>",
                 f"Call-ID: {self.call_id}", f"CSeq: {self.cseq} REGISTER"]
        lines += [f"Contact: {c}" for c in contacts]
        if expires is not None:
            lines.append(f"Expires: {expires}")
        if auth:
            lines.append(auth)
        return ("\r\n".join(lines + ["Content-Length: 0", "", ""])).encode()

    async def send(self, data: bytes) -> tuple[int, str]:
        self.transport.sendto(data, self.server)
        while True:
            msg = await asyncio.wait_for(self.queue.get(), 5)
            code = int(msg.split(" ", 2)[1])
            if code >= 200:
                return code, msg

    def authorization(self, challenge: str) -> str:
        nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)
        uri = f"sip:127.0.0.1:{self.server[1]}"
        h1 = hashlib.md5(f"{self.user}:{REALM}:{self.password}".encode()).hexdigest()
        h2 = hashlib.md5(f"REGISTER:{uri}".encode()).hexdigest()
        resp = hashlib.md5(f"{h1}:{nonce}:{h2}".encode()).hexdigest()
        return (f'Authorization: Digest username="{self.user}", realm="{REALM}", '
                f'nonce="{nonce}", uri="{uri}", response="{resp}", algorithm=MD5')

    async def register(self, contacts: list[str], expires: int | None = 60,
                       user: str | None = None) -> tuple[int, str]:
        code, msg = await self.send(self.request(contacts, expires, None, user))
        if code != 401:
            return code, msg
        assert 'realm="kefu"' in msg
        return await self.send(self.request(contacts, expires, self.authorization(msg), user))

    def close(self) -> None:
        self.transport.close()


def contacts_in(msg: str) -> dict[str, int]:
    found = re.findall(r"^Contact: <([^>]+)>;expires=(\d+)", msg, re.M | re.I)
    return {uri: int(exp) for uri, exp in found}


async def test_register_refresh_several_contacts_and_removal(server):
    phone = await Phone.open(server.settings.port, "1001", USERS["1001"])
    desk, soft = "sip:1001@127.0.0.1:5999", "sip:1001@127.0.0.1:6001;transport=udp"
    code, msg = await phone.register([f"<{desk}>"], expires=60)
    assert code == 200 and contacts_in(msg) == {desk: 60}
    code, msg = await phone.register([f"<{soft}>;expires=30"], expires=60)
    assert code == 200
    assert contacts_in(msg) == {desk: 60, soft: 30}
    assert {b.contact for b in server.locations.lookup("1001")} == {desk, soft}
    # refresh with a longer interval, capped at max_expires
    code, msg = await phone.register([f"<{soft}>"], expires=100000)
    assert code == 200 and contacts_in(msg)[soft] == 120
    # un-register one contact, then all of them
    code, msg = await phone.register([f"<{desk}>;expires=0"], expires=None)
    assert code == 200 and set(contacts_in(msg)) == {soft}
    code, msg = await phone.register(["*"], expires=0)
    assert code == 200 and contacts_in(msg) == {}
    assert server.locations.lookup("1001") == []
    phone.close()


async def test_binding_expires(server):
    phone = await Phone.open(server.settings.port, "1002", USERS["1002"])
    code, _ = await phone.register(["<sip:1002@127.0.0.1:6003>"], expires=2)
    assert code == 200 and len(server.locations.lookup("1002")) == 1
    await asyncio.sleep(2.3)
    assert server.locations.lookup("1002") == []
    phone.close()


async def test_interval_too_brief(server):
    phone = await Phone.open(server.settings.port, "1001", USERS["1001"])
    code, msg = await phone.register(["<sip:1001@127.0.0.1:6005>"], expires=1)
    assert code == 423 and re.search(r"^Min-Expires: 2", msg, re.M | re.I)
    phone.close()


async def test_wrong_password_unknown_user_and_foreign_aor_are_refused(server):
    wrong = await Phone.open(server.settings.port, "1001", "not-the-password")
    code, _ = await wrong.register(["<sip:1001@127.0.0.1:6007>"])
    assert code == 403
    unknown = await Phone.open(server.settings.port, "1999", "whatever-pw")
    code, _ = await unknown.register(["<sip:1999@127.0.0.1:6009>"])
    assert code == 403
    # 1001's valid credentials may not register 1002's address
    thief = await Phone.open(server.settings.port, "1001", USERS["1001"])
    code, _ = await thief.register(["<sip:1002@127.0.0.1:6011>"], user="1002")
    assert code == 403
    assert server.locations.lookup("1001") == [] and server.locations.lookup("1002") == []
    for p in (wrong, unknown, thief):
        p.close()


async def test_options_and_unknown_method(server):
    phone = await Phone.open(server.settings.port, "1001", USERS["1001"])
    data = phone.request([], None, None).replace(b"REGISTER", b"OPTIONS")
    code, msg = await phone.send(data)
    assert code == 200 and "INVITE" in msg and "Allow:" in msg
    data = phone.request([], None, None).replace(b"REGISTER", b"SUBSCRIBE")
    code, _ = await phone.send(data)
    assert code == 405
    phone.close()
