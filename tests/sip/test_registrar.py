"""The registrar over UDP against a real SipServer: digest auth, expiry, refresh,
several contacts, removal.  The client is a minimal independent SIP UA in the test."""

from __future__ import annotations

import asyncio
import re
import uuid

import pytest

import sipkit
from sipkit import USERS, UdpClient, authorization, code


@pytest.fixture
async def server(sip_server):
    return await sip_server(settings=dict(min_expires=2, max_expires=120, default_expires=60))


class Phone(UdpClient):
    """Just enough of a SIP UA to REGISTER with digest auth."""

    @classmethod
    async def open(cls, server_port: int, user: str, password: str) -> "Phone":
        phone = await super().open(server_port)
        phone.user, phone.password = user, password
        phone.call_id = uuid.uuid4().hex
        phone.cseq = 0
        return phone

    def request(self, contacts: list[str], expires: int | None, auth: str | None,
                user: str | None = None) -> bytes:
        self.cseq += 1
        aor = f"sip:{user or self.user}@127.0.0.1"
        extra = [f"Contact: {c}" for c in contacts]
        if expires is not None:
            extra.append(f"Expires: {expires}")
        if auth:
            extra.append(auth)
        return sipkit.request("REGISTER", f"sip:127.0.0.1:{self.server[1]}",
                              f"SIP/2.0/UDP 127.0.0.1:{self.port}", call_id=self.call_id,
                              cseq=self.cseq, from_uri=aor, to_uri=aor, extra=extra)

    async def exchange(self, data: bytes) -> tuple[int, str]:
        """(status code, message) of the final response to ``data``."""
        msg = await self.final(data)
        return code(msg), msg

    def authorization(self, challenge: str) -> str:
        return authorization(challenge, "REGISTER", f"sip:127.0.0.1:{self.server[1]}",
                             self.user, self.password)

    async def register(self, contacts: list[str], expires: int | None = 60,
                       user: str | None = None) -> tuple[int, str]:
        code, msg = await self.exchange(self.request(contacts, expires, None, user))
        if code != 401:
            return code, msg
        assert 'realm="kefu"' in msg
        return await self.exchange(self.request(contacts, expires, self.authorization(msg), user))


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
    code, msg = await phone.exchange(data)
    assert code == 200 and "INVITE" in msg and "Allow:" in msg
    data = phone.request([], None, None).replace(b"REGISTER", b"SUBSCRIBE")
    code, _ = await phone.exchange(data)
    assert code == 405
    phone.close()
