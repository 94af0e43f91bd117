"""SIP trunks against a real SipServer on 127.0.0.1, with sipp as the carrier on 127.0.0.2.

(a) kefu registers to the carrier with digest auth and refreshes in time;
(b) INVITEs from a trunk's source address are taken without a challenge, others challenged;
(c) ``SipServer.dial_trunk`` reaches the carrier with the number, From caller ID and
    credentials for its 407.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
import sys
import time
from pathlib import Path

import pytest

import sipkit
from kefu.config import TrunkConfig
from kefu.sip.leg import SipLeg
from kefu.sip.server import SipServer
from kefu.sip.trunks import Trunks, refresh_after
from sipkit import UdpClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))       # tests/, for e2e.sipp
from e2e.sipp.carrier import (CARRIER_503, CARRIER_REGISTRAR, CARRIER_UAC,  # noqa: E402
                              CARRIER_UAS, CARRIER_UAS_AUTH, Carrier, digest_valid, header,
                              received)

CARRIER_IP = "127.0.0.2"
STRANGER_IP = "127.0.0.3"
TRUNK_USER, TRUNK_PASS = "kefu-acct", "carrier-secret-1"
DID = "8008001234"

needs_sipp = pytest.mark.skipif(shutil.which("sipp") is None, reason="sipp not installed")

SDP = ("v=0\r\no=kefu 1 1 IN IP4 127.0.0.1\r\ns=kefu\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
       "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n")


def free_port(host: str) -> int:
    """A UDP port free on ``host`` and its +2000 neighbour (sipp's media port)."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        if port + 2000 > 65535:
            continue
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.bind((host, port + 2000))
        except OSError:
            continue
        return port


class Recorder:
    """CallHandler and LegListener: every event lands in a queue; inbound legs are answered."""

    def __init__(self, answer: bool = True) -> None:
        self.answer = answer
        self.legs: list[SipLeg] = []
        self.events: asyncio.Queue = asyncio.Queue()

    def incoming(self, leg: SipLeg) -> None:
        self.legs.append(leg)
        leg.listener = self
        self.events.put_nowait(("incoming", leg))
        if self.answer:
            leg.answer(SDP)

    def leg_ringing(self, leg) -> None:
        self.events.put_nowait(("ringing", leg))

    def leg_answered(self, leg, sdp) -> None:
        self.events.put_nowait(("answered", leg, sdp))

    def leg_failed(self, leg, code, reason) -> None:
        self.events.put_nowait(("failed", leg, code, reason))

    def leg_ended(self, leg) -> None:
        self.events.put_nowait(("ended", leg))

    def leg_updated(self, leg, sdp) -> None:
        self.events.put_nowait(("updated", leg, sdp))

    def leg_referred(self, leg, target, replaces) -> None:
        self.events.put_nowait(("referred", leg, target))

    async def until(self, kind: str, timeout: float = 10.0) -> tuple:
        async def wait():
            while True:
                event = await self.events.get()
                if event[0] == kind:
                    return event
        return await asyncio.wait_for(wait(), timeout)


@pytest.fixture
def kefu(sip_server):
    """Start a SipServer with the given trunks: ``await kefu(trunks, handler)``."""
    async def start(trunks: list[TrunkConfig], handler=None, retry: float = 60.0) -> SipServer:
        return await sip_server(handler or Recorder(), trunks=Trunks(trunks, retry=retry))
    return start


@pytest.fixture
def carriers():
    started: list[Carrier] = []

    def make(*args, **kwargs) -> Carrier:
        c = Carrier(*args, **kwargs)
        started.append(c)
        return c

    yield make
    for c in started:
        c.stop()


async def until(get, ok, timeout: float = 5.0):
    """Poll ``get()`` until ``ok(value)``; return the last value either way."""
    deadline = time.monotonic() + timeout
    while True:
        value = get()
        if ok(value) or time.monotonic() > deadline:
            return value
        await asyncio.sleep(0.05)


async def finished(carrier: Carrier):
    return await asyncio.to_thread(carrier.wait)


def trunk(port: int, **kw) -> TrunkConfig:
    base = dict(name="carrier", host=CARRIER_IP, port=port, username=TRUNK_USER,
                password=TRUNK_PASS, inbound_sources=[CARRIER_IP])
    base.update(kw)
    return TrunkConfig(**base)


# --- Trunks without the network ---------------------------------------------------------------

def test_match_source_and_get() -> None:
    trunks = Trunks([TrunkConfig("a", "192.0.2.1", inbound_sources=["192.0.2.1", "198.51.100.0/28"]),
                     TrunkConfig("b", "2001:db8::1", inbound_sources=["2001:db8::/64"]),
                     TrunkConfig("c", "192.0.2.9", inbound_sources=[])])
    assert trunks.match_source("192.0.2.1").name == "a"
    assert trunks.match_source("198.51.100.15").name == "a"
    assert trunks.match_source("198.51.100.16") is None
    assert trunks.match_source("[2001:db8::42]").name == "b"
    assert trunks.match_source("::ffff:192.0.2.1").name == "a"
    assert trunks.match_source("192.0.2.9") is None           # no inbound sources at all
    assert trunks.match_source("not-an-ip") is None
    assert trunks.get("b").host == "2001:db8::1" and trunks.get("x") is None
    assert [t.name for t in trunks] == ["a", "b", "c"] and len(trunks) == 3


def test_status_without_registration() -> None:
    trunks = Trunks([TrunkConfig("a", "192.0.2.1"), TrunkConfig("r", "192.0.2.2", register=True,
                                                                username="u", password="p")])
    status = trunks.status()
    assert status["a"] == {"host": "192.0.2.1", "port": 5060, "transport": "udp", "register": False}
    assert status["r"]["registered"] is False and status["r"]["last_code"] is None


@pytest.mark.parametrize("granted,expected", [(3600, 3540), (600, 540), (60, 48), (2, 1.6),
                                              (0.1, 0.5)])
def test_refresh_before_expiry(granted: float, expected: float) -> None:
    assert refresh_after(granted) == pytest.approx(expected)


# --- (a) registration to the carrier ---------------------------------------------------------

@needs_sipp
async def test_registers_with_digest_auth_and_refreshes(kefu, carriers, tmp_path) -> None:
    port = free_port(CARRIER_IP)
    carrier = carriers(CARRIER_REGISTRAR, ip=CARRIER_IP, port=port, workdir=tmp_path,
                       variables={"user": TRUNK_USER, "pass": TRUNK_PASS, "granted": "2"},
                       timeout=20).start()
    t0 = time.time()
    srv = await kefu([trunk(port, register=True, expires=120)])
    result = await finished(carrier)
    assert result.ok, result

    registers = received(result.message_log, "REGISTER")
    assert len(registers) == 4
    assert len({header(r, "call-id") for r in registers}) == 1
    assert header(registers[0], "authorization") is None
    contact = header(registers[0], "contact")
    assert f"sip:{TRUNK_USER}@127.0.0.1:{srv.settings.port}" in contact and "expires=120" in contact
    assert header(registers[0], "to").startswith(f"<sip:{TRUNK_USER}@{CARRIER_IP}")
    assert registers[0].startswith(f"REGISTER sip:{CARRIER_IP}:{port} SIP/2.0")
    auth = header(registers[1], "authorization")
    assert f'username="{TRUNK_USER}"' in auth and 'realm="carrier.test"' in auth
    assert f'uri="sip:{CARRIER_IP}:{port}"' in auth and "qop=auth" in auth
    assert 'nonce="n2' in header(registers[3], "authorization")     # re-challenged refresh

    # sipp exits as soon as it sent the last 200; kefu may still be reading it
    status = await until(lambda: srv.trunks.status()["carrier"],
                         lambda st: st["next_refresh"] and st["next_refresh"] > t0 + 3500)
    assert status["registered"] is True and status["last_code"] == 200
    # the last 200 granted 3600 s: next refresh about 3540 s after it
    assert t0 + 3500 < status["next_refresh"] < time.time() + 3541
    assert status["expires_at"] > status["next_refresh"]
    # the refresh came in time for the 2 s grant (sipp waited at most 30 s)
    assert time.time() - t0 < 10


@needs_sipp
async def test_registration_refused_is_reported(kefu, carriers, tmp_path) -> None:
    port = free_port(CARRIER_IP)
    carrier = carriers(CARRIER_REGISTRAR, ip=CARRIER_IP, port=port, workdir=tmp_path,
                       variables={"user": TRUNK_USER, "pass": "another-password", "granted": "2"},
                       timeout=10).start()
    srv = await kefu([trunk(port, register=True)])
    result = await finished(carrier)
    assert not result.ok                                    # the scenario saw wrong credentials
    assert received(result.message_log, "REGISTER")[1].count("Authorization:") == 1
    status = await until(lambda: srv.trunks.status()["carrier"],
                         lambda st: st["last_code"] is not None)
    assert status["registered"] is False and status["last_code"] == 403
    assert status["next_refresh"] > time.time() + 50      # retried after `retry` seconds


# --- (b) inbound calls from the carrier ---------------------------------------------------------

@needs_sipp
async def test_invite_from_trunk_source_needs_no_challenge(kefu, carriers, tmp_path) -> None:
    calls = Recorder()
    srv = await kefu([trunk(5060)], calls)
    carrier = carriers(CARRIER_UAC, ip=CARRIER_IP, port=free_port(CARRIER_IP), workdir=tmp_path,
                       target=f"127.0.0.1:{srv.settings.port}", service=DID,
                       variables={"caller": "13812345678"}, pause_ms=300, timeout=15).start()
    _, leg = await calls.until("incoming")
    assert leg.trunk == "carrier"
    assert (leg.caller, leg.callee, leg.direction) == ("13812345678", DID, "in")
    assert "PCMU" in leg.remote_sdp
    await calls.until("ended")                              # the carrier's BYE
    result = await finished(carrier)
    assert result.ok, result
    assert not received(result.message_log, "SIP/2.0 401")
    assert not received(result.message_log, "SIP/2.0 407")


@needs_sipp
async def test_invite_from_unknown_source_is_challenged(kefu, carriers, tmp_path) -> None:
    calls = Recorder()
    srv = await kefu([trunk(5060)], calls)
    carrier = carriers(CARRIER_UAC, ip=STRANGER_IP, port=free_port(STRANGER_IP),
                       workdir=tmp_path, target=f"127.0.0.1:{srv.settings.port}", service=DID,
                       variables={"caller": "13812345678"}, timeout=10).start()
    result = await finished(carrier)
    assert not result.ok
    assert received(result.message_log, "SIP/2.0 401 ")
    assert not received(result.message_log, "SIP/2.0 200")
    assert calls.legs == []


async def _udp_request(host: str, port: int, source: str, text: str) -> str:
    """Send one request from ``source`` and return the first final response."""
    client = await UdpClient.open(port, source, server_host=host)
    try:
        return await client.final(text.replace("LOCALPORT", str(client.port)).encode())
    finally:
        client.close()


def _invite(ruri_user: str, to_user: str, source: str, port: int, auth: str = "") -> str:
    extra = [f"Contact: <sip:13900000000@{source}:LOCALPORT>", *([auth] if auth else []),
             "Content-Type: application/sdp"]
    return sipkit.request("INVITE", f"sip:{ruri_user}@127.0.0.1:{port}",
                          f"SIP/2.0/UDP {source}:LOCALPORT", from_uri=f"sip:13900000000@{source}",
                          to_uri=f"sip:{to_user}@127.0.0.1", extra=extra, body=SDP).decode()


async def test_invite_to_registered_contact_takes_the_did_from_to(kefu) -> None:
    calls = Recorder(answer=False)
    srv = await kefu([trunk(5060)], calls)
    task = asyncio.ensure_future(_udp_request(
        "127.0.0.1", srv.settings.port, CARRIER_IP,
        _invite(TRUNK_USER, DID, CARRIER_IP, srv.settings.port)))
    _, leg = await calls.until("incoming")
    assert (leg.trunk, leg.callee, leg.caller) == ("carrier", DID, "13900000000")
    leg.reject(404, "Not Found")
    assert (await task).startswith("SIP/2.0 404")


async def test_stranger_with_bogus_credentials_is_forbidden(kefu) -> None:
    calls = Recorder()
    srv = await kefu([trunk(5060)], calls)
    auth = ('Authorization: Digest username="carrier",realm="kefu",nonce="x",'
            f'uri="sip:{DID}@127.0.0.1",response="00000000000000000000000000000000"')
    first = await _udp_request("127.0.0.1", srv.settings.port, STRANGER_IP,
                               _invite(DID, DID, STRANGER_IP, srv.settings.port))
    assert first.startswith("SIP/2.0 401")
    second = await _udp_request("127.0.0.1", srv.settings.port, STRANGER_IP,
                                _invite(DID, DID, STRANGER_IP, srv.settings.port, auth))
    assert re.match(r"SIP/2.0 (401|403)", second)
    await asyncio.sleep(0.1)
    assert calls.legs == []


# --- (c) outbound calls over the trunk --------------------------------------------------------

@needs_sipp
async def test_dial_trunk_answers_407_with_credentials(kefu, carriers, tmp_path) -> None:
    port = free_port(CARRIER_IP)
    carrier = carriers(CARRIER_UAS_AUTH, ip=CARRIER_IP, port=port, workdir=tmp_path,
                       timeout=15).start()
    calls = Recorder()
    srv = await kefu([trunk(port, from_domain="pbx.example.com")], calls)
    leg = SipLeg(srv.thread, "out", caller="1001", callee="13812345678")
    leg.listener = calls
    srv.dial_trunk("carrier", "13812345678", "8008001234", leg, SDP)
    assert leg.trunk == "carrier"
    _, _, answer = await calls.until("answered")
    assert "PCMU" in answer
    leg.hangup()
    result = await finished(carrier)
    assert result.ok, result

    first, second = received(result.message_log, "INVITE")
    assert header(first, "proxy-authorization") is None
    for invite in (first, second):
        assert invite.startswith(f"INVITE sip:13812345678@{CARRIER_IP}:{port} SIP/2.0")
        assert re.search(r"<sip:8008001234@pbx\.example\.com>", header(invite, "from"))
        assert header(invite, "to").startswith(f"<sip:13812345678@{CARRIER_IP}>")
    auth = header(second, "proxy-authorization")
    assert f'username="{TRUNK_USER}"' in auth and 'realm="carrier.test"' in auth
    assert f'uri="sip:13812345678@{CARRIER_IP}:{port}' in auth
    assert digest_valid(second, TRUNK_PASS) and not digest_valid(second, "wrong")
    assert "INVITE for 13812345678 from 8008001234" in carrier.logs


@needs_sipp
async def test_dial_trunk_without_from_domain_uses_kefus_address(kefu, carriers, tmp_path) -> None:
    port = free_port(CARRIER_IP)
    carrier = carriers(CARRIER_UAS, ip=CARRIER_IP, port=port, workdir=tmp_path,
                       pause_ms=100, timeout=15).start()
    calls = Recorder()
    srv = await kefu([trunk(port, username="", password="")], calls)
    config = srv.trunks.get("carrier")
    leg = SipLeg(srv.thread, "out", caller="1001", callee="+442012345678",
                 caller_name="Front desk")
    leg.listener = calls
    srv.dial_trunk(config, "+442012345678", "+861088880000", leg, SDP)
    await calls.until("ringing")
    await calls.until("answered")
    leg.hangup()
    result = await finished(carrier)
    assert result.ok, result
    (invite,) = received(result.message_log, "INVITE")
    assert invite.startswith(f"INVITE sip:%2B442012345678@{CARRIER_IP}:{port} SIP/2.0") or \
        invite.startswith(f"INVITE sip:+442012345678@{CARRIER_IP}:{port} SIP/2.0")
    assert re.search(r'"Front desk" <sip:(\+|%2B)861088880000@127\.0\.0\.1(:\d+)?>',
                     header(invite, "from"))


@needs_sipp
async def test_dial_trunk_503_fails_the_leg(kefu, carriers, tmp_path) -> None:
    port = free_port(CARRIER_IP)
    carrier = carriers(CARRIER_503, ip=CARRIER_IP, port=port, workdir=tmp_path,
                       timeout=10).start()
    calls = Recorder()
    srv = await kefu([trunk(port)], calls)
    leg = SipLeg(srv.thread, "out", caller="1001", callee="01087654321")
    leg.listener = calls
    srv.dial_trunk("carrier", "861087654321", "8008001234", leg, SDP)
    _, failed_leg, code, reason = await calls.until("failed")
    assert failed_leg is leg and code == 503
    result = await finished(carrier)
    assert result.ok, result                 # kefu ACKed the 503


async def test_dial_unknown_trunk_raises(kefu) -> None:
    srv = await kefu([])
    with pytest.raises(KeyError):
        srv.dial_trunk("nope", "1", "2", SipLeg(srv.thread, "out"), SDP)


async def test_dial_trunk_over_disabled_tls_fails_the_leg(kefu) -> None:
    calls = Recorder()
    srv = await kefu([trunk(5061, transport="tls")], calls)     # the server has no TLS
    leg = SipLeg(srv.thread, "out", caller="1001", callee="110")
    leg.listener = calls
    srv.dial_trunk("carrier", "110", "8008001234", leg, SDP)
    _, failed_leg, code, _ = await calls.until("failed", timeout=5)
    assert failed_leg is leg and code == 503 and leg.ended
