"""SIP over TCP against a real SipServer on 127.0.0.1 (kefu.sip.tcp).

The server's TCP sockets are served by the test's own event loop, so every client here
uses asyncio streams (a blocking socket would stall the server it talks to).
"""

from __future__ import annotations

import asyncio
import re
import shutil
import socket
import uuid
from pathlib import Path

import pytest

import sipkit
from kefu.sip.tcp import FramingError, PING, SipStreamFramer, TcpTransport
from sipkit import REALM, SDP, USER, authorization, code, free_port
from sipkit import StreamClient as Client

SIPP_OPTIONS = Path(__file__).resolve().parents[1] / "e2e" / "sipp" / "options.xml"


def request(method: str, port: int, client_port: int, *, extra: str = "",
            ruri: str | None = None, **kw) -> bytes:
    """A request over TCP from ``client_port``; ``extra``: header lines, one a line."""
    return sipkit.request(method, ruri or f"sip:127.0.0.1:{port};transport=tcp",
                          f"SIP/2.0/TCP 127.0.0.1:{client_port}", rport=False,
                          extra=extra.strip().split("\n") if extra else (), **kw)


def options(port: int, client_port: int, **kw) -> bytes:
    return request("OPTIONS", port, client_port, **kw)


# --- tests ------------------------------------------------------------------------------------

async def test_options_over_tcp(server):
    c = await Client.connect(server.settings.port)
    await c.send(options(server.settings.port, c.port, call_id="opt-1"))
    line, headers, _ = await c.recv_final()
    assert code(line) == 200
    assert headers["call-id"] == ["opt-1"]
    via = headers["via"][0]
    assert via.startswith("SIP/2.0/TCP 127.0.0.1:")
    assert f"rport={c.port}" in via            # answered on this very connection
    c.close()


async def test_register_with_digest_over_tcp(server):
    port = server.settings.port
    c = await Client.connect(port)
    contact = f"Contact: <sip:{USER}@127.0.0.1:{c.port};transport=tcp>\nExpires: 120"
    call_id = uuid.uuid4().hex
    await c.send(request("REGISTER", port, c.port, call_id=call_id, cseq=1, extra=contact,
                         ruri="sip:127.0.0.1"))
    line, headers, _ = await c.recv_final()
    assert code(line) == 401
    challenge = headers["www-authenticate"][0]
    assert f'realm="{REALM}"' in challenge
    auth = authorization(challenge, "REGISTER", "sip:127.0.0.1")
    await c.send(request("REGISTER", port, c.port, call_id=call_id, cseq=2,
                         extra=contact + "\n" + auth, ruri="sip:127.0.0.1"))
    line, headers, _ = await c.recv_final()
    assert code(line) == 200, line
    bindings = server.locations.lookup(USER)
    assert len(bindings) == 1
    assert bindings[0].contact == f"sip:{USER}@127.0.0.1:{c.port};transport=tcp"
    assert bindings[0].source == ("127.0.0.1", c.port)
    c.close()


async def test_wrong_password_is_forbidden(server):
    port = server.settings.port
    c = await Client.connect(port)
    await c.send(request("REGISTER", port, c.port, ruri="sip:127.0.0.1",
                         extra=f"Contact: <sip:{USER}@127.0.0.1:{c.port};transport=tcp>"))
    _, headers, _ = await c.recv_final()
    nonce = re.search(r'nonce="([^"]+)"', headers["www-authenticate"][0]).group(1)
    auth = (f'Authorization: Digest username="{USER}", realm="{REALM}", nonce="{nonce}", '
            f'uri="sip:127.0.0.1", response="{"0" * 32}"')
    await c.send(request("REGISTER", port, c.port, cseq=2, ruri="sip:127.0.0.1", extra=auth))
    line, _, _ = await c.recv_final()
    assert code(line) == 403
    assert server.locations.lookup(USER) == []
    c.close()


async def test_two_messages_in_one_segment(server):
    port = server.settings.port
    c = await Client.connect(port)
    await c.send(options(port, c.port, call_id="seg-a") + b"\r\n\r\n"
                 + options(port, c.port, call_id="seg-b", body="hello", extra="Content-Type: text/plain"))
    got = set()
    for _ in range(2):
        line, headers, _ = await c.recv_final()
        assert code(line) == 200
        got.add(headers["call-id"][0])
    assert got == {"seg-a", "seg-b"}
    c.close()


async def test_message_split_across_segments(server):
    port = server.settings.port
    c = await Client.connect(port)
    c.writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    data = options(port, c.port, call_id="split", body="v=0\r\n", extra="Content-Type: text/plain")
    cut = data.index(b"\r\n\r\n")            # header ends in one segment, body in the next
    for piece in (data[:10], data[10:cut + 2], data[cut + 2:cut + 5], data[cut + 5:]):
        await c.send(piece)
        await asyncio.sleep(0.03)
    line, headers, _ = await c.recv_final()
    assert code(line) == 200 and headers["call-id"] == ["split"]
    c.close()


async def test_compact_content_length(server):
    port = server.settings.port
    c = await Client.connect(port)
    data = options(port, c.port, call_id="compact", length=False, extra="l: 0")
    await c.send(data)
    line, headers, _ = await c.recv_final()
    assert code(line) == 200 and headers["call-id"] == ["compact"]
    c.close()


async def test_missing_content_length_gets_400_and_close(server):
    port = server.settings.port
    c = await Client.connect(port)
    await c.send(options(port, c.port, call_id="nolen", length=False))
    line, headers, _ = await c.recv()
    assert code(line) == 400 and headers["call-id"] == ["nolen"]
    assert await c.closed()
    c2 = await Client.connect(port)          # the server is fine
    await c2.send(options(port, c2.port))
    assert code((await c2.recv_final())[0]) == 200
    c2.close()


async def test_garbage_does_not_hurt(server):
    port = server.settings.port
    for junk in (b"\x00\xff\xfe garbage \x01\x02" * 50 + b"\r\n\r\n",
                 b"NOT SIP AT ALL\r\nContent-Length: 0\r\n\r\n",
                 b"OPTIONS sip:x SIP/2.0\r\nContent-Length: abc\r\n\r\n",
                 b"INVITE sip:x SIP/2.0\r\nContent-Length: 999999999\r\n\r\n",
                 b"A" * (70 * 1024)):
        c = await Client.connect(port)
        await c.send(junk)
        c.writer.write_eof()
        assert await c.closed()
    c = await Client.connect(port)
    await c.send(options(port, c.port))
    assert code((await c.recv_final())[0]) == 200
    c.close()


async def test_keepalive_ping_gets_pong(server):
    port = server.settings.port
    c = await Client.connect(port)
    await c.send(b"\r\n\r\n")
    assert await asyncio.wait_for(c.reader.readexactly(2), 5) == b"\r\n"
    await c.send(options(port, c.port))
    assert code((await c.recv_final())[0]) == 200
    c.close()


async def test_udp_still_works_on_the_same_port(server):
    port = server.settings.port

    def exchange() -> bytes:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            s.settimeout(5)
            msg = options(port, s.getsockname()[1]).replace(b"SIP/2.0/TCP", b"SIP/2.0/UDP")
            s.sendto(msg.replace(b";transport=tcp", b""), ("127.0.0.1", port))
            return s.recv(65536)

    reply = await asyncio.to_thread(exchange)
    assert reply.startswith(b"SIP/2.0 200 ")


async def test_kefu_opens_a_connection_to_a_tcp_phone(server):
    """An INVITE to a transport=tcp target: new connection, TCP Via, ACK on it, no retransmits."""
    from sippy.CCEvents import CCEventTry
    from sippy.MsgBody import MsgBody
    from sippy.UA import UA

    got: asyncio.Queue = asyncio.Queue()

    async def phone(reader, writer):
        await got.put(Client(reader, writer))

    phone_srv = await asyncio.start_server(phone, "127.0.0.1", 0)
    phone_port = phone_srv.sockets[0].getsockname()[1]

    def dial() -> None:
        ua = UA(server._config, event_cb=lambda *a: None,
                nh_address=("127.0.0.1", phone_port), nh_transport="tcp")
        ua.recvEvent(CCEventTry((None, "kefu", "2000", MsgBody(SDP), None, "kefu"),
                                origin="test"))

    server.thread.call(dial)
    conn = await asyncio.wait_for(got.get(), 5)
    line = await conn.refuse_invite("TCP", server.settings.port)
    assert line.startswith("INVITE sip:2000@127.0.0.1")
    conn.close()
    phone_srv.close()


async def test_request_to_registered_contact_reuses_its_connection(server):
    """A phone's Via sent-by (its Contact) maps to the connection it opened."""
    from sippy.CCEvents import CCEventTry
    from sippy.MsgBody import MsgBody
    from sippy.UA import UA

    port = server.settings.port
    c = await Client.connect(port)
    ghost = free_port()                      # the phone claims this port but does not listen
    await c.send(options(port, ghost))      # Via: SIP/2.0/TCP 127.0.0.1:<ghost>
    assert code((await c.recv_final())[0]) == 200    # the response found the connection

    def dial() -> None:
        ua = UA(server._config, event_cb=lambda *a: None,
                nh_address=("127.0.0.1", ghost), nh_transport="tcp")
        ua.recvEvent(CCEventTry((None, "kefu", USER, MsgBody("v=0\r\n"), None, "kefu"),
                                origin="test"))

    server.thread.call(dial)
    line, headers, _ = await c.recv()
    assert line.startswith(f"INVITE sip:{USER}@127.0.0.1")
    c.close()


async def test_idle_connections_are_closed():
    loop = asyncio.get_running_loop()
    received: list[bytes] = []
    tcp = TcpTransport(loop, ("127.0.0.1", 0), lambda data, *a: received.append(data),
                       idle_timeout=0.3, header_timeout=0.3)
    try:
        await asyncio.sleep(0.01)
        c = await Client.connect(tcp.uopts.laddress[1])
        await asyncio.sleep(0.1)
        assert tcp.connection_count() == 1
        assert await c.closed(timeout=3)
        assert tcp.connection_count() == 0
    finally:
        tcp.shutdown()
        await asyncio.sleep(0.01)


def test_framer_units():
    f = SipStreamFramer()
    msg = b"OPTIONS sip:x SIP/2.0\r\nVia: x\r\nl: 3\r\n\r\nabc"
    assert f.feed(b"\r\n") == []
    assert f.feed(b"\r\n") == [PING]
    assert f.feed(msg + msg[:5]) == [msg]
    assert f.feed(msg[5:]) == [msg]
    bad = SipStreamFramer().feed(b"OPTIONS sip:x SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\n")
    assert isinstance(bad[0], FramingError) and bad[0].head is not None
    big = SipStreamFramer(max_header=100).feed(b"X" * 101)
    assert isinstance(big[0], FramingError) and big[0].head is None


@pytest.mark.skipif(shutil.which("sipp") is None, reason="sipp not installed")
async def test_sipp_options_over_tcp(server, tmp_path):
    proc = await asyncio.create_subprocess_exec(
        "sipp", f"127.0.0.1:{server.settings.port}", "-sf", str(SIPP_OPTIONS), "-s", "kefu",
        "-m", "1", "-t", "t1", "-i", "127.0.0.1", "-p", str(free_port()),
        "-mi", "127.0.0.1", "-mp", str(free_port()),
        "-nostdin", "-timeout", "10s", "-timeout_error",
        cwd=tmp_path, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), 20)
    assert proc.returncode == 0, (out.decode(errors="replace")[-2000:], err.decode(errors="replace"))


async def test_stop_closes_the_listener_and_connections(sip_server):
    srv = await sip_server()
    settings = srv.settings
    c = await Client.connect(settings.port)
    await c.send(options(settings.port, c.port))
    assert code((await c.recv_final())[0]) == 200
    srv.stop()
    assert await c.closed(timeout=3)
    with pytest.raises(OSError):
        await Client.connect(settings.port)
