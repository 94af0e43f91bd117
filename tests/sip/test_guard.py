"""kefu.sip.guard: bans after digest failures, REGISTER/INVITE throttling, trusted
addresses — the logic with a fake clock, then the hooks against a real SipServer with
clients on distinct loopback addresses (127.0.0.2, 127.0.0.3 are loopback too)."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid

import pytest

import sipkit
from kefu.config import SecuritySettings
from kefu.sip.guard import Guard, normalize
from kefu.sip.server import SipServer
from sipkit import PASSWORD, REALM, USER, UdpClient, authorization, code


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def guard(**kw) -> tuple[Guard, Clock]:
    clock = Clock()
    s = SecuritySettings(**{"auth_fail_limit": 3, "auth_fail_window": 60, "ban_seconds": 100,
                            "register_rate": 2, "invite_rate": 1, **kw})
    return Guard.from_settings(s, clock), clock


# --- logic -----------------------------------------------------------------------------------

def test_ban_after_limit_within_window_and_expiry(caplog):
    g, clock = guard()
    caplog.set_level(logging.WARNING, "kefu.sip.guard")
    assert not g.auth_failed("10.1.1.1")
    clock.t += 30
    assert not g.auth_failed("10.1.1.1")
    assert not g.is_banned("10.1.1.1")
    clock.t += 29
    assert g.auth_failed("10.1.1.1", "REGISTER for '1001'")        # 3 within 60 s
    assert g.is_banned("10.1.1.1") and not g.is_banned("10.1.1.2")
    assert "banned 10.1.1.1 for 100 s: 3 authentication failures" in caplog.text
    assert "REGISTER for '1001'" in caplog.text
    assert g.status()["bans_active"] == 1 and g.bans()[0]["address"] == "10.1.1.1"
    clock.t += 99.9
    assert g.is_banned("10.1.1.1")
    clock.t += 0.2
    assert not g.is_banned("10.1.1.1")
    assert "unbanned 10.1.1.1 (ban expired)" in caplog.text
    st = g.status()
    assert st["bans_active"] == 0 and st["bans_total"] == 1 and st["auth_failures"] == 3
    # counting starts afresh after a ban
    assert not g.auth_failed("10.1.1.1") and not g.auth_failed("10.1.1.1")


def test_failures_outside_the_window_do_not_add_up():
    g, clock = guard()
    for _ in range(10):
        assert not g.auth_failed("10.1.1.1")
        clock.t += 31                      # never 3 within 60 s
    assert not g.is_banned("10.1.1.1")


def test_sweep_expires_bans_without_traffic(caplog):
    g, clock = guard()
    caplog.set_level(logging.WARNING, "kefu.sip.guard")
    g.ban("10.2.2.2", 5, "test")
    clock.t += 6
    g.sweep()
    assert "unbanned 10.2.2.2 (ban expired)" in caplog.text
    assert g.bans() == []


def test_manual_ban_and_unban(caplog):
    g, clock = guard(trusted=["192.168.0.0/16"])
    caplog.set_level(logging.WARNING, "kefu.sip.guard")
    assert g.ban("2001:db8::0:1", reason="abuse report")
    assert g.is_banned("[2001:db8::1]") and normalize("[2001:db8::0:1]") == "2001:db8::1"
    assert g.bans() == [{"address": "2001:db8::1", "reason": "abuse report", "remaining": 100.0}]
    assert g.unban("2001:db8::1")
    assert not g.unban("2001:db8::1")
    assert not g.is_banned("2001:db8::1")
    assert "unbanned 2001:db8::1 (lifted by an administrator)" in caplog.text
    assert not g.ban("192.168.7.7")                 # trusted: never banned


def test_trusted_never_banned_or_throttled():
    g, _ = guard(trusted=["127.0.0.5", "10.9.0.0/16"])
    for _ in range(20):
        g.auth_failed("10.9.3.4")
        assert g.throttle("10.9.3.4", "register") is None
        assert g.throttle("127.0.0.5", "invite") is None
    assert not g.is_banned("10.9.3.4")
    assert g.status()["throttled"] == {"register": 0, "invite": 0}


def test_trust_at_run_time_lifts_bans():
    g, _ = guard()
    g.ban("10.7.0.9")
    g.trust(["10.7.0.0/24"])
    assert not g.is_banned("10.7.0.9") and not g.ban("10.7.0.10")
    assert g.throttle("10.7.0.9", "invite") is None and g.throttle("10.7.0.9", "invite") is None


def test_bad_trusted_entry_names_it():
    with pytest.raises(ValueError, match="security.trusted: 'not-an-ip'"):
        guard(trusted=["not-an-ip"])


def test_token_bucket(caplog):
    g, clock = guard()                              # register 2/s (burst 2), invite 1/s
    caplog.set_level(logging.WARNING, "kefu.sip.guard")
    assert g.throttle("10.3.3.3", "register") is None
    assert g.throttle("10.3.3.3", "register") is None
    assert g.throttle("10.3.3.3", "register") == 1          # Retry-After 1
    assert g.throttle("10.3.3.4", "register") is None       # another address: own bucket
    assert g.throttle("10.3.3.3", "invite") is None          # another kind: own bucket
    assert g.throttle("10.3.3.3", "invite") == 1
    clock.t += 0.5
    assert g.throttle("10.3.3.3", "register") is None        # refilled one token
    assert g.throttle("10.3.3.3", "register") == 1
    for _ in range(50):
        g.throttle("10.3.3.3", "register")
    st = g.status()["throttled"]
    assert st == {"register": 52, "invite": 1}
    lines = [r for r in caplog.records if "throttled REGISTER from 10.3.3.3" in r.getMessage()]
    assert len(lines) == 1                                     # rate-limited logging
    clock.t += 11
    for _ in range(30):
        g.throttle("10.3.3.3", "register")
    lines = [r.getMessage() for r in caplog.records if "throttled REGISTER" in r.getMessage()]
    assert len(lines) == 2 and "(and 51 more since the last report)" in lines[1]


def test_slow_rate_retry_after():
    g, _ = guard(register_rate=0.2)                 # one per 5 s, burst 1
    assert g.throttle("10.4.4.4", "register") is None
    assert g.throttle("10.4.4.4", "register") == 5


def test_tables_are_bounded(monkeypatch):
    import kefu.sip.guard as mod
    monkeypatch.setattr(mod, "MAX_TRACKED", 50)
    g, clock = guard()
    for i in range(500):
        g.auth_failed(f"10.5.{i // 250}.{i % 250}")
        g.throttle(f"10.5.{i // 250}.{i % 250}", "register")
    assert len(g._failures) <= 50 and len(g._buckets) <= 50
    clock.t += 1000
    g.sweep()
    assert not g._failures and not g._buckets


def test_ban_listeners_are_told():
    g, _ = guard()
    told: list[str] = []
    g.on_ban(told.append)
    for _ in range(3):
        g.auth_failed("10.6.6.6")
    g.ban("10.6.6.7")
    assert told == ["10.6.6.6", "10.6.6.7"]


# --- hooks, against a real SipServer ---------------------------------------------------------

@pytest.fixture
def make_server(sip_server):
    """``await make_server(**security)``: a SipServer with a Guard set up for the test."""
    async def make(**security) -> SipServer:
        s = SecuritySettings(**{"auth_fail_limit": 3, "auth_fail_window": 60, "ban_seconds": 1.5,
                                "register_rate": 50, "invite_rate": 50, **security})
        return await sip_server(security=s)
    return make


class Udp(UdpClient):
    """A UDP SIP client bound to ``host`` (any 127.x address)."""

    def request(self, method: str, call_id: str, cseq: int, extra: tuple[str, ...] = ()) -> bytes:
        ruri = f"sip:{USER}@127.0.0.1" if method == "INVITE" else "sip:127.0.0.1"
        return sipkit.request(method, ruri, f"SIP/2.0/UDP {self.host}:{self.port}",
                              call_id=call_id, cseq=cseq,
                              extra=(f"Contact: <sip:{USER}@{self.host}:{self.port}>", *extra))

    async def exchange(self, data: bytes, timeout: float = 3.0) -> str | None:
        """The final response, or None when nothing comes back within ``timeout``."""
        try:
            return await self.final(data, timeout)
        except asyncio.TimeoutError:
            return None

    async def register(self, password: str, method: str = "REGISTER",
                       timeout: float = 3.0) -> str | None:
        call_id = uuid.uuid4().hex
        first = await self.exchange(self.request(method, call_id, 1), timeout)
        if first is None or not first.startswith("SIP/2.0 401"):
            return first
        uri = f"sip:{USER}@127.0.0.1" if method == "INVITE" else "sip:127.0.0.1"
        auth = authorization(first, method, uri, password=password)
        return await self.exchange(self.request(method, call_id, 2, (auth,)), timeout)


async def test_wrong_passwords_ban_the_address_only(caplog, make_server):
    caplog.set_level(logging.WARNING, "kefu.sip.guard")
    srv = await make_server()
    port = srv.settings.port
    bad, good = await Udp.open(port, "127.0.0.2"), await Udp.open(port, "127.0.0.1")
    try:
        # challenges alone never count
        for _ in range(5):
            assert code(await bad.exchange(bad.request("REGISTER", uuid.uuid4().hex, 1))) == 401
        assert not srv.guard.is_banned("127.0.0.2")
        for _ in range(3):           # REGISTER and INVITE failures add up
            assert code(await bad.register("wrong")) == 403
        assert srv.guard.is_banned("127.0.0.2")
        assert "banned 127.0.0.2" in caplog.text
        assert await bad.register(PASSWORD, timeout=0.7) is None       # no answer at all
        assert await bad.exchange(bad.request("OPTIONS", "o", 1), 0.5) is None
        assert code(await good.register(PASSWORD)) == 200             # others are served
        assert srv.guard.status()["bans_active"] == 1 and srv.guard.status()["dropped"] >= 2
        # a TCP connection from the banned address is closed unread
        r, w = await asyncio.open_connection("127.0.0.1", srv.settings.port,
                                             local_addr=("127.0.0.2", 0))
        assert await asyncio.wait_for(r.read(), 3) == b""
        w.close()
        await asyncio.sleep(1.6)                                        # ban_seconds 1.5
        assert not srv.guard.is_banned("127.0.0.2")
        assert code(await bad.register(PASSWORD)) == 200
        assert "unbanned 127.0.0.2 (ban expired)" in caplog.text
    finally:
        bad.close(), good.close()


async def test_invite_failures_count_and_unknown_users_too(make_server):
    srv = await make_server(auth_fail_limit=2)
    bad = await Udp.open(srv.settings.port, "127.0.0.3")
    try:
        assert code(await bad.register("wrong", method="INVITE")) == 403
        assert not srv.guard.is_banned("127.0.0.3")
        # unknown user: same 403, same count
        call_id = uuid.uuid4().hex
        first = await bad.exchange(bad.request("REGISTER", call_id, 1))
        nonce = re.search(r'nonce="([^"]+)"', first).group(1)
        auth = (f'Authorization: Digest username="9999", realm="{REALM}", nonce="{nonce}", '
                f'uri="sip:127.0.0.1", response="{"0" * 32}"')
        assert code(await bad.exchange(bad.request("REGISTER", call_id, 2, (auth,)))) == 403
        assert srv.guard.is_banned("127.0.0.3")
        assert srv.guard.unban("127.0.0.3")                     # the API's way out
        assert code(await bad.register(PASSWORD)) == 200
    finally:
        bad.close()


async def test_unknown_auth_scheme_is_challenged_and_not_counted(make_server):
    """RFC 4475 regaut01: an Authorization of a scheme kefu does not know is answered 401
    with a Digest challenge, and is no failed guess (it was 403 and counted to a ban)."""
    srv = await make_server(auth_fail_limit=1)
    phone = await Udp.open(srv.settings.port, "127.0.0.4")
    try:
        for cseq in (1, 2, 3):
            resp = await phone.exchange(phone.request(
                "REGISTER", "regaut01", cseq, ("Authorization: NoOneKnowsThisScheme opaque-data=here",)))
            assert code(resp) == 401 and 'Digest realm="kefu"' in resp
        assert not srv.guard.is_banned("127.0.0.4")
        assert code(await phone.register(PASSWORD)) == 200
    finally:
        phone.close()


async def test_register_flood_gets_503_while_others_are_served(make_server):
    srv = await make_server(register_rate=5)
    port = srv.settings.port
    flood, other = await Udp.open(port, "127.0.0.2"), await Udp.open(port, "127.0.0.3")
    try:
        codes = []
        for i in range(20):       # distinct transactions, sent back to back
            flood.send(flood.request("REGISTER", uuid.uuid4().hex, 1))
        for _ in range(20):
            msg = await asyncio.wait_for(flood.queue.get(), 3)
            codes.append(code(msg))
            if code(msg) == 503:
                assert re.search(r"^Retry-After: [1-9]\d*\r$", msg, re.M), msg
        assert codes.count(401) in range(5, 8) and codes.count(503) >= 13, codes
        assert code(await other.register(PASSWORD)) == 200
        assert srv.guard.status()["throttled"]["register"] >= 13
    finally:
        flood.close(), other.close()


async def test_invite_flood_gets_503(make_server):
    srv = await make_server(invite_rate=2)
    c = await Udp.open(srv.settings.port, "127.0.0.2")
    try:
        codes = [code(await c.exchange(c.request("INVITE", uuid.uuid4().hex, 1)))
                 for _ in range(4)]
        assert codes[:2] == [401, 401] and 503 in codes[2:], codes
    finally:
        c.close()


async def test_trusted_address_is_never_banned(make_server):
    srv = await make_server(trusted=["127.0.0.2/32"], register_rate=1)
    c = await Udp.open(srv.settings.port, "127.0.0.2")
    try:
        for _ in range(4):
            assert code(await c.register("wrong")) == 403
        assert not srv.guard.is_banned("127.0.0.2")
        assert code(await c.register(PASSWORD)) == 200
    finally:
        c.close()
