"""SIP security end to end against a real ``kefu serve`` with real (short) guard limits:
SIP over TLS with baresip, bans after wrong passwords, REGISTER flood throttling.

Distinct source addresses are loopback aliases (127.0.0.2, 127.0.0.3, ...); nothing
leaves 127.0.0.0/8.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import time
import uuid

import pytest

from .conftest import PASSWORDS, start_kefu, stop_kefu
from .phones import Baresip, find_free_ports
from .sipp import REGISTER, run_sipp, write_users_csv

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("baresip") is None and not os.environ.get("CI"),
                                 reason="baresip not installed")]
need_sipp = pytest.mark.skipif(shutil.which("sipp") is None and not os.environ.get("CI"),
                               reason="sipp not installed")

GUARD = {"auth_fail_limit": 3, "auth_fail_window": 60, "ban_seconds": 4,
         "register_rate": 10, "invite_rate": 10}


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    """This module's own server, with limits a test can reach (overrides conftest's)."""
    server = start_kefu(tmp_path_factory.mktemp("kefu-security"), security=GUARD)
    yield server
    log = stop_kefu(server)
    assert "Traceback" not in log, log


def wait_log(kefu, pattern: str, timeout: float = 5.0) -> str:
    deadline = time.monotonic() + timeout
    while True:
        text = kefu.log_path.read_text(errors="replace")
        m = re.search(pattern, text)
        if m:
            return m.group(0)
        if time.monotonic() > deadline:
            raise AssertionError(f"no {pattern!r} in kefu's log:\n{kefu.log_tail(40)}")
        time.sleep(0.1)


class RawUdp:
    """A bare SIP/UDP socket on any loopback address."""

    def __init__(self, host: str, kefu) -> None:
        self.host = host
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.port = self.sock.getsockname()[1]
        self.server = ("127.0.0.1", kefu.sip_port)

    def register(self, user: str = "1003") -> bytes:
        cid = uuid.uuid4().hex
        return (f"REGISTER sip:127.0.0.1:{self.server[1]} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {self.host}:{self.port};branch=z9hG4bK{cid[:16]};rport\r\n"
                f"Max-Forwards: 70\r\nFrom: <sip:{user}@127.0.0.1>;tag={cid[:8]}\r\n"
                f"To: <sip:{user}@127.0.0.1>\r\nCall-ID: {cid}\r\nCSeq: 1 REGISTER\r\n"
                f"Contact: <sip:{user}@{self.host}:{self.port}>\r\nContent-Length: 0\r\n\r\n"
                ).encode()

    def send(self, data: bytes) -> None:
        self.sock.sendto(data, self.server)

    def replies(self, seconds: float) -> list[str]:
        out, deadline = [], time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.sock.settimeout(left)
            try:
                out.append(self.sock.recv(65536).decode(errors="replace"))
            except socket.timeout:
                break
        return out

    def close(self) -> None:
        self.sock.close()


def status(msg: str) -> int:
    return int(msg.split(" ", 2)[1])


def sipp_register(kefu, tmp_path, user: str, password: str, host: str, calls: int = 1):
    port = find_free_ports(1, step=2, span=2)[0]
    users = write_users_csv(tmp_path / f"users-{host}-{port}.csv", [(user, password)])
    return run_sipp(REGISTER, kefu.sip_port, local_port=port, workdir=tmp_path / "sipp",
                    inject_file=users, calls=calls, timeout=6, extra_args=["-i", host])


# --- TLS -------------------------------------------------------------------------------------

def test_baresip_registers_and_calls_over_tls(kefu, phone, tones, tmp_path):
    cert = kefu.data_dir / "tls" / "cert.pem"
    assert cert.is_file()
    assert wait_log(kefu, r"SHA-256 fingerprint ([0-9A-F]{2}:){31}[0-9A-F]{2}")
    sip_port, ctrl_port = find_free_ports(2, step=2, span=2)
    t = Baresip("tls1001", tmp_path, sip_port, ctrl_port, user="1001",
                password=PASSWORDS["1001"], registrar=f"127.0.0.1:{kefu.tls_port}",
                transport="tls", tls_cafile=cert, audio_wav=tones[440], sip_trace=True)
    try:
        t.start()
        t.wait_registered()
        u = phone("1002", tone=1000)
        # kefu -> TLS phone: the INVITE goes down the connection the phone opened
        u.dial(kefu.uri("1001"))
        t.wait_incoming()
        t.accept()
        t.wait_established()
        u.wait_established()
        time.sleep(0.5)
        t.hangup()
        t.wait_closed()
        u.wait_closed()
        # TLS phone -> kefu (baresip puts its account's transport=tls on the dialled URI)
        t.dial(f"sip:1002@127.0.0.1:{kefu.tls_port};transport=tls")
        u.wait_incoming()
        u.accept()
        u.wait_established()
        t.wait_established()
        u.hangup()
        u.wait_closed()
        t.wait_closed()
        trace = t.log_path.read_text(errors="replace")
        assert "tls" in t.reginfo().lower() or "transport=tls" in trace, t.reginfo()
    finally:
        t.stop()


# --- bans ------------------------------------------------------------------------------------

@need_sipp
def test_wrong_password_bans_one_address_only(kefu, phone, tmp_path):
    r = sipp_register(kefu, tmp_path, "1003", "not-the-password", "127.0.0.2", calls=3)
    answers = re.findall(r"message received \[\d+\] bytes :\s+SIP/2\.0 (\d+)", r.message_log)
    assert not r.ok and answers.count("403") == 3, (answers, r)
    wait_log(kefu, r"WARNING kefu\.sip\.guard: SIP guard: banned 127\.0\.0\.2 for 4 s")
    banned_at = time.monotonic()

    # the banned address gets no answer at all, on UDP or TCP
    raw = RawUdp("127.0.0.2", kefu)
    try:
        raw.send(raw.register())
        assert raw.replies(1.0) == []
        tcp = socket.create_connection(("127.0.0.1", kefu.sip_port), timeout=3,
                                       source_address=("127.0.0.2", 0))
        tcp.sendall(raw.register().replace(b"SIP/2.0/UDP", b"SIP/2.0/TCP"))
        try:
            assert tcp.recv(1024) == b""                      # closed unanswered
        except ConnectionResetError:
            pass
        tcp.close()

        # meanwhile a phone on 127.0.0.1 registers and calls as usual
        a, b = phone("1001"), phone("1002")
        a.dial(kefu.uri("1002"))
        b.wait_incoming()
        b.accept()
        a.wait_established()
        a.hangup()
        b.wait_closed()
        assert time.monotonic() - banned_at < 4, "the test was too slow to see the ban"

        # after ban_seconds the address is heard again, and the right password works
        deadline = banned_at + 10
        while True:
            raw.send(raw.register())
            got = raw.replies(0.5)
            if got:
                assert status(got[0]) == 401
                break
            assert time.monotonic() < deadline, kefu.log_tail(30)
    finally:
        raw.close()
    assert time.monotonic() - banned_at >= 3.5
    wait_log(kefu, r"SIP guard: unbanned 127\.0\.0\.2 \(ban expired\)")
    r = sipp_register(kefu, tmp_path, "1003", PASSWORDS["1003"], "127.0.0.2")
    assert r.ok, r


# --- throttling ------------------------------------------------------------------------------

@need_sipp
def test_register_flood_gets_503_while_another_address_is_served(kefu, tmp_path):
    flood = RawUdp("127.0.0.3", kefu)
    try:
        for _ in range(40):                 # bounded: 40 datagrams, back to back
            flood.send(flood.register("1004"))
        r = sipp_register(kefu, tmp_path, "1005", PASSWORDS["1005"], "127.0.0.4")
        replies = flood.replies(2.0)
    finally:
        flood.close()
    codes = [status(m) for m in replies]
    assert len(codes) == 40, codes
    assert codes.count(503) >= 25 and codes.count(401) >= 10, codes
    for m in replies:
        if status(m) == 503:
            assert re.search(r"^Retry-After: [1-9]\d*\r$", m, re.M), m
    assert r.ok, r                         # 127.0.0.4 registered during the flood
    wait_log(kefu, r"SIP guard: throttled REGISTER from 127\.0\.0\.3: over 10/s")
