"""Idle SIP TCP/TLS connections cannot pile up (issue 10, denial of service): the header
deadline, the idle timeout of connections without a registration, and the per-address
cap (kefu.sip.guard.ConnectionCap) — the rules with a fake clock, then against a real
SipServer with clients on distinct loopback addresses (127.0.0.2 is loopback too)."""

from __future__ import annotations

import asyncio
import logging
import ssl
import uuid

import sipkit
from kefu.config import LimitsSettings, SecuritySettings, TlsSettings
from kefu.sip.guard import REFUSED_LOG_EVERY, Guard
from kefu.sip.tcp import expiry
from sipkit import USER, authorization, code, free_port
from sipkit import StreamClient as Client


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


RULES = dict(header_timeout=5.0, idle_timeout=600.0, unbound_idle=30.0)


def why(now: float, *, heads: int = 1, last: float = 0.0, outbound: bool = False,
        bound: bool = False, trusted: bool = False) -> str | None:
    return expiry(now, 0.0, last, heads, outbound=outbound, bound=bound, trusted=trusted,
                  **RULES)


# --- the rules (pure) ------------------------------------------------------------------------

def test_header_deadline_counts_from_accept_until_the_first_headers():
    assert why(4.9, heads=0, last=4.8) is None
    assert why(5.1, heads=0, last=5.0) == "no complete headers within 5 s"   # bytes don't help
    assert why(5.1, heads=1, last=5.0) is None
    # kefu's own connections wait for the peer's answer, not for its headers
    assert why(100.0, heads=0, last=99.0, outbound=True) is None


def test_idle_timeout_depends_on_what_the_connection_is_for():
    assert why(29.0) is None
    assert why(31.0) == "idle for 31 s with no registration"
    assert why(10_000.0, bound=True) is None                      # as long as its binding
    for kind in ({"outbound": True}, {"trusted": True}):
        assert why(599.0, **kind) is None
        assert why(601.0, **kind) == "idle for 601 s"


def test_cap_refuses_beyond_the_limit_per_address_and_logs_once(caplog):
    clock = Clock()
    guard = Guard(clock=clock, trusted=["10.9.9.9"])
    cap = guard.connection_cap("sip", 2)
    caplog.set_level(logging.WARNING, "kefu.sip.guard")
    keys = [cap.admit("10.0.0.1"), cap.admit("[10.0.0.1]")]
    assert keys == ["10.0.0.1", "10.0.0.1"]
    assert [cap.admit("10.0.0.1") for _ in range(50)] == [None] * 50
    assert cap.admit("10.0.0.2") == "10.0.0.2"                     # another address
    assert all(cap.admit("10.9.9.9") for _ in range(5))            # trusted: no cap
    lines = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert lines == ["guard: refused SIP connections from 10.0.0.1: 2 already open (the cap)"]
    cap.release(keys[0])
    assert cap.admit("10.0.0.1") == "10.0.0.1"                     # room again
    clock.t += REFUSED_LOG_EVERY
    assert cap.admit("10.0.0.1") is None
    lines = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(lines) == 2 and lines[1].endswith("(and 49 more since the last report)")
    st = guard.status()["connections"]["sip"]
    assert st == {"open": 8, "addresses": 3, "limit": 2, "refused": 51, "timed_out": 0}


# --- a real SipServer ------------------------------------------------------------------------

LIMITS = LimitsSettings(sip_per_address=3, header_timeout=0.4, sip_unbound_idle=1.0)


async def connect(port: int, host: str = "127.0.0.1", **kw) -> Client:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(host, 0), **kw)
    return Client(reader, writer)


async def is_open(c: Client, wait: float = 0.1) -> bool:
    """True if the server has not closed ``c`` (EOF or reset) within ``wait`` seconds."""
    try:
        data = await asyncio.wait_for(c.reader.read(1), wait)
    except asyncio.TimeoutError:
        return True
    except (ConnectionError, OSError):
        return False
    return bool(data)


def request(method: str, port: int, c: Client, **kw) -> bytes:
    return sipkit.request(method, "sip:127.0.0.1", f"SIP/2.0/TCP 127.0.0.1:{c.port}",
                          rport=False, **kw)


async def register(port: int, c: Client) -> None:
    contact = [f"Contact: <sip:{USER}@127.0.0.1:{c.port};transport=tcp>", "Expires: 120"]
    call_id = uuid.uuid4().hex
    await c.send(request("REGISTER", port, c, call_id=call_id, cseq=1, extra=contact))
    _, headers, _ = await c.recv_final()
    auth = authorization(headers["www-authenticate"][0], "REGISTER", "sip:127.0.0.1")
    await c.send(request("REGISTER", port, c, call_id=call_id, cseq=2, extra=[*contact, auth]))
    assert code((await c.recv_final())[0]) == 200


async def test_cap_counts_tcp_and_tls_together_per_address(sip_server, tmp_path):
    tls_port = free_port()
    srv = await sip_server(tls=TlsSettings(enabled=True, port=tls_port), data_dir=tmp_path,
                           limits=LimitsSettings(sip_per_address=3, header_timeout=5))
    port = srv.settings.port
    ctx = ssl.create_default_context()
    ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
    held = [await connect(port), await connect(port), await connect(tls_port, ssl=ctx)]
    await asyncio.sleep(0.1)
    extra = [await connect(port), await connect(port)]
    assert [await is_open(c, 1.0) for c in extra] == [False, False]     # closed at once
    assert all([await is_open(c) for c in held])
    other = await connect(port, "127.0.0.2")                           # another address
    await other.send(request("OPTIONS", port, other))
    assert code((await other.recv_final())[0]) == 200
    st = srv.guard.status()["connections"]["sip"]
    assert st["refused"] == 2 and st["open"] == 4
    held[0].close()
    await asyncio.sleep(0.2)
    again = await connect(port)                                        # room again
    await again.send(request("OPTIONS", port, again))
    assert code((await again.recv_final())[0]) == 200
    for c in [*held, *extra, other, again]:
        c.close()


async def test_half_open_and_unregistered_connections_close_registered_stay(sip_server):
    srv = await sip_server(limits=LIMITS, security=SecuritySettings())
    port = srv.settings.port
    loop = asyncio.get_running_loop()
    silent, half, chatty, phone = [await connect(port) for _ in range(3)] + [
        await connect(port, "127.0.0.2")]
    await half.send(b"OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1\r\nX: ")
    await chatty.send(request("OPTIONS", port, chatty))
    assert code((await chatty.recv_final())[0]) == 200
    await register(port, phone)
    start = loop.time()
    assert not await is_open(silent, 2.0) and not await is_open(half, 2.0)
    closed_after = loop.time() - start
    assert closed_after < LIMITS.header_timeout + 0.6, closed_after
    assert await is_open(chatty, 0.05)       # it sent its headers: the idle timeout applies
    assert not await is_open(chatty, 2.0)    # unbound idle (1 s) with no registration
    assert await is_open(phone, 1.0)         # a registration is bound to it: kept
    st = srv.guard.status()["connections"]["sip"]
    assert st["timed_out"] == 2 and st["open"] == 1
    for c in (silent, half, chatty, phone):
        c.close()
