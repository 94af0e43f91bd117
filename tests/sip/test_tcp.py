"""SIP over TCP against a real SipServer on 127.0.0.1 (kefu.sip.tcp).

The server's TCP sockets are served by the test's own event loop, so every client here
uses asyncio streams (a blocking socket would stall the server it talks to).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import shutil
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from kefu.config import SipSettings
from kefu.sip.server import SipServer
from kefu.sip.tcp import FramingError, PING, SipStreamFramer, TcpTransport
from kefu.store.credentials import ha1

REALM = "kefu"
USER, PASSWORD = "1001", "secret-1001"
SIPP_OPTIONS = Path(__file__).resolve().parents[1] / "e2e" / "sipp" / "options.xml"


@dataclass
class Creds:
    ha1_md5: str
    ha1_sha256: str
    enabled: bool = True


def lookup(user: str) -> Creds | None:
    if user != USER:
        return None
    return Creds(ha1(USER, REALM, PASSWORD), ha1(USER, REALM, PASSWORD, "SHA-256"))


class NoCalls:
    def incoming(self, leg) -> None:
        leg.reject(486, "Busy Here")


def free_port() -> int:
    """A port free for both TCP and UDP on 127.0.0.1."""
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
async def server():
    settings = SipSettings(host="127.0.0.1", port=free_port(), realm=REALM)
    srv = SipServer(settings, lookup, NoCalls())
    srv.start(asyncio.get_running_loop())
    await asyncio.sleep(0)          # let the loop start serving the TCP listener
    yield srv
    srv.stop()
    await asyncio.sleep(0.05)       # the listener closes on the loop


# --- a minimal independent SIP-over-TCP client ------------------------------------------------

class Client:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.port = writer.get_extra_info("sockname")[1]

    @classmethod
    async def connect(cls, port: int) -> "Client":
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def recv(self, timeout: float = 5.0) -> tuple[str, dict[str, list[str]], str]:
        """(start line, headers by lower-case name, body) of the next message."""
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), timeout)
        lines = head.decode().lstrip("\r\n").split("\r\n")   # skip keep-alive pongs
        headers: dict[str, list[str]] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers.setdefault(name.strip().lower(), []).append(value.strip())
        n = int(headers.get("content-length", headers.get("l", ["0"]))[0])
        body = await asyncio.wait_for(self.reader.readexactly(n), timeout) if n else b""
        return lines[0], headers, body.decode()

    async def recv_final(self, timeout: float = 5.0):
        while True:
            msg = await self.recv(timeout)
            if not msg[0].startswith("SIP/2.0 1"):
                return msg

    async def closed(self, timeout: float = 5.0) -> bool:
        """True when the server closes the connection (after any bytes it still sends)."""
        try:
            while await asyncio.wait_for(self.reader.read(65536), timeout):
                pass
        except (ConnectionError, OSError):
            pass
        self.writer.close()
        return True

    def close(self) -> None:
        self.writer.close()


def request(method: str, port: int, client_port: int, *, call_id: str | None = None,
            cseq: int = 1, extra: str = "", body: str = "", length: bool = True,
            ruri: str | None = None) -> bytes:
    ruri = ruri or f"sip:127.0.0.1:{port};transport=tcp"
    lines = [
        f"{method} {ruri} SIP/2.0",
        f"Via: SIP/2.0/TCP 127.0.0.1:{client_port};branch=z9hG4bK{uuid.uuid4().hex}",
        "Max-Forwards: 70",
        f"From: <sip:{USER}@127.0.0.1>;tag={uuid.uuid4().hex[:8]}",
        f"To: <sip:{USER}@127.0.0.1>",
        f"Call-ID: {call_id or uuid.uuid4().hex}",
        f"CSeq: {cseq} {method}",
    ]
    if extra:
        lines += extra.strip().split("\n")
    if length:
        lines.append(f"Content-Length: {len(body.encode())}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def options(port: int, client_port: int, **kw) -> bytes:
    return request("OPTIONS", port, client_port, **kw)


def status(start_line: str) -> int:
    return int(start_line.split()[1])


# --- tests ------------------------------------------------------------------------------------

async def test_options_over_tcp(server):
    c = await Client.connect(server.settings.port)
    await c.send(options(server.settings.port, c.port, call_id="opt-1"))
    line, headers, _ = await c.recv_final()
    assert status(line) == 200
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
    assert status(line) == 401
    challenge = headers["www-authenticate"][0]
    nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)
    assert f'realm="{REALM}"' in challenge

    def md5(s: str) -> str:
        return hashlib.md5(s.encode()).hexdigest()

    h1 = md5(f"{USER}:{REALM}:{PASSWORD}")
    h2 = md5("REGISTER:sip:127.0.0.1")
    qop = re.search(r'qop="?([a-z-]+)', challenge)
    if qop:
        params = f'qop=auth, nc=00000001, cnonce="c0ffee", ' \
                 f'response="{md5(f"{h1}:{nonce}:00000001:c0ffee:auth:{h2}")}"'
    else:
        params = f'response="{md5(f"{h1}:{nonce}:{h2}")}"'
    auth = (f'Authorization: Digest username="{USER}", realm="{REALM}", nonce="{nonce}", '
            f'uri="sip:127.0.0.1", {params}')
    await c.send(request("REGISTER", port, c.port, call_id=call_id, cseq=2,
                         extra=contact + "\n" + auth, ruri="sip:127.0.0.1"))
    line, headers, _ = await c.recv_final()
    assert status(line) == 200, line
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
    assert status(line) == 403
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
        assert status(line) == 200
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
    assert status(line) == 200 and headers["call-id"] == ["split"]
    c.close()


async def test_compact_content_length(server):
    port = server.settings.port
    c = await Client.connect(port)
    data = options(port, c.port, call_id="compact", length=False, extra="l: 0")
    await c.send(data)
    line, headers, _ = await c.recv_final()
    assert status(line) == 200 and headers["call-id"] == ["compact"]
    c.close()


async def test_missing_content_length_gets_400_and_close(server):
    port = server.settings.port
    c = await Client.connect(port)
    await c.send(options(port, c.port, call_id="nolen", length=False))
    line, headers, _ = await c.recv()
    assert status(line) == 400 and headers["call-id"] == ["nolen"]
    assert await c.closed()
    c2 = await Client.connect(port)          # the server is fine
    await c2.send(options(port, c2.port))
    assert status((await c2.recv_final())[0]) == 200
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
    assert status((await c.recv_final())[0]) == 200
    c.close()


async def test_keepalive_ping_gets_pong(server):
    port = server.settings.port
    c = await Client.connect(port)
    await c.send(b"\r\n\r\n")
    assert await asyncio.wait_for(c.reader.readexactly(2), 5) == b"\r\n"
    await c.send(options(port, c.port))
    assert status((await c.recv_final())[0]) == 200
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
    sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" \
          "m=audio 20000 RTP/AVP 0\r\n"

    def dial() -> None:
        ua = UA(server._config, event_cb=lambda *a: None,
                nh_address=("127.0.0.1", phone_port), nh_transport="tcp")
        ua.recvEvent(CCEventTry((None, "kefu", "2000", MsgBody(sdp), None, "kefu"),
                                origin="test"))

    server.thread.call(dial)
    conn = await asyncio.wait_for(got.get(), 5)
    line, headers, _ = await conn.recv()
    assert line.startswith("INVITE sip:2000@127.0.0.1")
    assert headers["via"][0].startswith(f"SIP/2.0/TCP 127.0.0.1:{server.settings.port};")
    assert "transport=tcp" in headers["contact"][0]
    with pytest.raises(asyncio.TimeoutError):      # timer A is off on TCP
        await conn.recv(timeout=0.8)
    to = headers["to"][0] + ";tag=phone1"
    reply = "\r\n".join(["SIP/2.0 486 Busy Here", *(f"Via: {v}" for v in headers["via"]),
                         f"From: {headers['from'][0]}", f"To: {to}",
                         f"Call-ID: {headers['call-id'][0]}", f"CSeq: {headers['cseq'][0]}",
                         "Content-Length: 0", "", ""])
    await conn.send(reply.encode())
    line, ack, _ = await conn.recv()
    assert line.startswith("ACK ") and ack["call-id"] == headers["call-id"]
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
    assert status((await c.recv_final())[0]) == 200    # the response found the connection

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
                       idle_timeout=0.3)
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


async def test_stop_closes_the_listener_and_connections():
    settings = SipSettings(host="127.0.0.1", port=free_port(), realm=REALM)
    srv = SipServer(settings, lookup, NoCalls())
    srv.start(asyncio.get_running_loop())
    c = await Client.connect(settings.port)
    await c.send(options(settings.port, c.port))
    assert status((await c.recv_final())[0]) == 200
    srv.stop()
    assert await c.closed(timeout=3)
    with pytest.raises(OSError):
        await Client.connect(settings.port)
