"""Denial of service by idle connections (issue 10), end to end: ``kefu serve`` under
``prlimit --nofile=256:256`` while 127.0.0.1 opens more half-open HTTP and SIP/TCP
connections than it has descriptors.  The per-address cap refuses the excess at once,
the header deadline closes the rest, and meanwhile the API answers another address and
two baresip phones (SIP over UDP, RTP through the media engine) still make a call.
"""

from __future__ import annotations

import http.client
import json
import os
import select
import shutil
import socket
import time

import pytest

from . import audio
from .conftest import start_kefu, stop_kefu

pytestmark = [pytest.mark.e2e,
              pytest.mark.skipif(shutil.which("baresip") is None and not os.environ.get("CI"),
                                 reason="baresip not installed"),
              pytest.mark.skipif(shutil.which("prlimit") is None, reason="prlimit missing")]

NOFILE = 256
CAP = 40                 # per address and service
DEADLINE = 8.0           # seconds for request headers (the call must fit in them)
HALF_OPEN = 200          # per service: 400 in all, well over NOFILE
LIMITS = f"""
[limits]
http_per_address = {CAP}
sip_per_address = {CAP}
header_timeout = {DEADLINE:g}
sip_unbound_idle = 10
"""


@pytest.fixture(scope="module")
def kefu(tmp_path_factory):
    server = start_kefu(tmp_path_factory.mktemp("kefu-dos"), extra=LIMITS,
                        wrap=("prlimit", f"--nofile={NOFILE}:{NOFILE}"))
    yield server
    log = stop_kefu(server)
    assert "Traceback" not in log, log


def descriptors(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def half_open(port: int, first_bytes: bytes, n: int) -> list[socket.socket]:
    """``n`` connections from 127.0.0.1 that start a request and never finish it (fewer
    if the server stops accepting: its listen backlog is full)."""
    socks = []
    for _ in range(n):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=2)
        except TimeoutError:
            break
        try:
            s.sendall(first_bytes)
        except OSError:               # refused already: closed under our feet
            pass
        socks.append(s)
    return socks


def close_times(socks: list[socket.socket], start: float, timeout: float) -> list[float]:
    """Seconds after ``start`` at which the server closed each socket (inf: still open)."""
    when = {s: float("inf") for s in socks}
    poller = select.poll()
    for s in socks:
        poller.register(s, select.POLLIN | select.POLLHUP | select.POLLERR)
    fds = {s.fileno(): s for s in socks}
    end = time.monotonic() + timeout
    while (left := end - time.monotonic()) > 0 and any(t == float("inf") for t in when.values()):
        for fd, _ in poller.poll(left * 1000):
            s = fds[fd]
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if not data:
                when[s] = time.monotonic() - start
                poller.unregister(fd)
    return [when[s] for s in socks]


def health_from(kefu, source: str) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", kefu.http_port, timeout=5,
                                      source_address=(source, 0))
    try:
        conn.request("GET", "/api/v1/health")
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read())
    finally:
        conn.close()


def test_half_open_connections_cannot_exhaust_descriptors(kefu, phone):
    pid = kefu.proc.pid
    a = phone("1001", tone=440)
    b = phone("1002", tone=1000)
    before = descriptors(pid)

    start = time.monotonic()
    socks = (half_open(kefu.http_port, b"GET / HTTP/1.1\r\nX: ", HALF_OPEN)
             + half_open(kefu.sip_port, b"OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP "
                                        b"127.0.0.1:5999\r\nX: ", HALF_OPEN))
    opened = time.monotonic() - start
    try:
        early = close_times(socks, start, 1.0)
        # another address is served, and the guard counts what 127.0.0.1 was refused
        status, health = health_from(kefu, "127.0.0.2")
        assert status == 200, health
        during = descriptors(pid)
        assert during <= before + 2 * CAP + 10 < NOFILE, (before, during)
        # the excess was closed at once
        held = [s for s, t in zip(socks, early) if t == float("inf")]
        assert len(socks) == 2 * HALF_OPEN and len(held) == 2 * CAP, (len(socks), len(held))
        conns = health["sip"]["guard"]["connections"]
        assert conns["http"]["refused"] == HALF_OPEN - CAP, conns
        assert conns["sip"]["refused"] == HALF_OPEN - CAP, conns

        # a real call: SIP over UDP and the media engine work while the caps are held
        a.dial(kefu.uri("1002"))
        b.wait_incoming()
        b.accept()
        a.wait_established()
        b.wait_established()
        time.sleep(1.5)
        a.hangup()
        b.wait_closed()
        assert time.monotonic() - start < DEADLINE, "the call outlasted the attack"
        (b_rx,) = b.received_wav_paths()
        samples, rate, _ = audio.read_wav(b_rx)
        assert audio.has_tone(samples, rate, 440), audio.dominant_frequency(samples, rate)

        # the rest at the deadline
        when = close_times(held, start, DEADLINE + 5)
        assert DEADLINE - 0.5 < min(when) and max(when) < DEADLINE + opened + 2.0, when
        print(f"descriptors before {before}, during {during}, after {descriptors(pid)}; "
              f"{len(socks)} opened in {opened:.2f} s, {len(socks) - len(held)} refused, "
              f"{len(held)} closed {min(when):.2f}-{max(when):.2f} s after the first")
    finally:
        for s in socks:
            s.close()

    time.sleep(0.3)
    assert descriptors(pid) <= before + 2
    status, health = health_from(kefu, "127.0.0.1")
    assert status == 200
    conns = health["sip"]["guard"]["connections"]
    assert conns["http"]["timed_out"] == CAP and conns["sip"]["timed_out"] == CAP, conns
    log = kefu.log_path.read_text(errors="replace")
    assert "Too many open files" not in log
    assert log.count("refused HTTP connections from 127.0.0.1") == 1
    assert log.count("refused SIP connections from 127.0.0.1") == 1
    assert f"open files limit: {NOFILE}" in log
