"""Plain helpers shared by the tests in tests/sip: credentials, free ports, raw SIP clients.

Imported as ``sipkit`` (``from sipkit import ...``): tests/sip has no ``__init__.py``, so
pytest puts this folder on sys.path; ``tests.sip`` would not do, sippy installs a
top-level package named ``tests``.  The ``sip_server`` fixture is in conftest.py.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import socket
import uuid

import pytest

from kefu.store.credentials import ha1

REALM = "kefu"
USER, PASSWORD = "1001", "secret-1001"
USERS = {USER: PASSWORD, "1002": "secret-1002"}
SDP = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio 20000 RTP/AVP 0\r\n")


# --- what the server is given ----------------------------------------------------------------

class Creds:
    """A user's digest credentials, as kefu's store hands them to the SIP server."""

    def __init__(self, user: str, password: str) -> None:
        self.ha1_md5 = ha1(user, REALM, password)
        self.ha1_sha256 = ha1(user, REALM, password, "SHA-256")
        self.enabled = True


def lookup(user: str) -> Creds | None:
    return Creds(user, USERS[user]) if user in USERS else None


class NoCalls:
    def incoming(self, leg) -> None:
        leg.reject(486, "Busy Here")


def free_port(host: str = "127.0.0.1") -> int:
    """A port free for both TCP and UDP on ``host``."""
    while True:
        with socket.socket() as t:
            t.bind((host, 0))
            port = t.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                try:
                    u.bind((host, port))
                except OSError:
                    continue
        return port


# --- SIP messages ----------------------------------------------------------------------------

def md5(s: str) -> str:
    return hashlib.md5(s.encode()).hexdigest()


def authorization(challenge: str, method: str, uri: str, user: str = USER,
                  password: str = PASSWORD) -> str:
    """The ``Authorization`` header answering a 401's MD5 digest ``challenge``."""
    nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)
    h1, h2 = md5(f"{user}:{REALM}:{password}"), md5(f"{method}:{uri}")
    if re.search(r'qop="?[^",]*\bauth\b', challenge):
        params = (f'qop=auth, nc=00000001, cnonce="c0ffee", '
                  f'response="{md5(f"{h1}:{nonce}:00000001:c0ffee:auth:{h2}")}"')
    else:
        params = f'response="{md5(f"{h1}:{nonce}:{h2}")}"'
    return (f'Authorization: Digest username="{user}", realm="{REALM}", nonce="{nonce}", '
            f'uri="{uri}", {params}, algorithm=MD5')


def request(method: str, ruri: str, via: str, *, call_id: str | None = None, cseq: int = 1,
            rport: bool = True, tag: str | None = None, from_uri: str = f"sip:{USER}@127.0.0.1",
            to_uri: str = f"sip:{USER}@127.0.0.1", extra=(), body: str = "",
            length: bool = True) -> bytes:
    """A SIP request; ``via`` is the sent-by part (``SIP/2.0/UDP host:port``), a new branch
    is added; ``extra`` header lines follow CSeq; the From tag defaults to the Call-ID's
    first 8 characters."""
    call_id = call_id or uuid.uuid4().hex
    lines = [f"{method} {ruri} SIP/2.0",
             f"Via: {via};branch=z9hG4bK{uuid.uuid4().hex}" + (";rport" if rport else ""),
             "Max-Forwards: 70",
             f"From: <{from_uri}>;tag={tag or call_id[:8]}",
             f"To: <{to_uri}>",
             f"Call-ID: {call_id}", f"CSeq: {cseq} {method}", *extra]
    if length:
        lines.append(f"Content-Length: {len(body.encode())}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def parse(msg: str) -> tuple[str, dict[str, list[str]], str]:
    """(start line, header values by lower-case name, body) of one message."""
    head, _, body = msg.lstrip("\r\n").partition("\r\n\r\n")     # skip keep-alive pongs
    lines = head.split("\r\n")
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers.setdefault(name.strip().lower(), []).append(value.strip())
    return lines[0], headers, body


def header(msg: str, name: str) -> list[str]:
    """Every value of header ``name`` in ``msg``."""
    return parse(msg)[1].get(name.lower(), [])


def code(msg: str | None) -> int | None:
    """The status code of a response (or its start line); None for None."""
    return None if msg is None else int(msg.split()[1])


def response(headers: dict[str, list[str]], status: str, *extra: str, tag: str,
             body: str = "") -> bytes:
    """A response with ``status`` (``"200 OK"``) to a request with ``headers`` (parsed)."""
    lines = [f"SIP/2.0 {status}", *(f"Via: {v}" for v in headers["via"]),
             f"From: {headers['from'][0]}", f"To: {headers['to'][0]};tag={tag}",
             f"Call-ID: {headers['call-id'][0]}", f"CSeq: {headers['cseq'][0]}", *extra]
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body.encode())}")
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


# --- raw clients -----------------------------------------------------------------------------

class StreamClient:
    """A minimal SIP client over an asyncio stream (TCP, or TLS with ``ssl=``).

    The server's sockets are served by the test's own loop: a blocking socket would stall
    the server it talks to.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.port = writer.get_extra_info("sockname")[1]

    @classmethod
    async def connect(cls, port: int, **kw) -> "StreamClient":
        return cls(*await asyncio.open_connection("127.0.0.1", port, **kw))

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def recv(self, timeout: float = 5.0) -> tuple[str, dict[str, list[str]], str]:
        """(start line, headers by lower-case name, body) of the next message."""
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), timeout)
        line, headers, _ = parse(head.decode())
        n = int(headers.get("content-length", headers.get("l", ["0"]))[0])
        body = await asyncio.wait_for(self.reader.readexactly(n), timeout) if n else b""
        return line, headers, body.decode()

    async def recv_final(self, timeout: float = 5.0):
        while True:
            msg = await self.recv(timeout)
            if not msg[0].startswith("SIP/2.0 1"):
                return msg

    async def refuse_invite(self, transport: str, server_port: int) -> str:
        """Take kefu's INVITE on this connection: a Via and Contact of ``transport`` (TCP,
        TLS) and no retransmission (timer A is off on a stream); answer 486 and expect
        the ACK on the same connection.  Returns the INVITE's start line."""
        line, headers, _ = await self.recv()
        assert line.startswith("INVITE "), line
        assert headers["via"][0].startswith(f"SIP/2.0/{transport} 127.0.0.1:{server_port};")
        assert f"transport={transport.lower()}" in headers["contact"][0]
        with pytest.raises(asyncio.TimeoutError):
            await self.recv(timeout=0.8)
        await self.send(response(headers, "486 Busy Here", tag="phone1"))
        ack_line, ack, _ = await self.recv()
        assert ack_line.startswith("ACK ") and ack["call-id"] == headers["call-id"]
        return line

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


class UdpClient(asyncio.DatagramProtocol):
    """A raw SIP-over-UDP client on ``host``:<ephemeral> (any 127.x address) that talks
    to one server."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[str] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr) -> None:
        self.queue.put_nowait(data.decode())

    @classmethod
    async def open(cls, server_port: int, host: str = "127.0.0.1",
                   server_host: str = "127.0.0.1"):
        transport, client = await asyncio.get_running_loop().create_datagram_endpoint(
            cls, local_addr=(host, 0))
        client.transport, client.host = transport, host
        client.port = transport.get_extra_info("sockname")[1]
        client.server = (server_host, server_port)
        return client

    def send(self, data: bytes) -> None:
        self.transport.sendto(data, self.server)

    async def recv(self, timeout: float = 5.0) -> str:
        return await asyncio.wait_for(self.queue.get(), timeout)

    async def final(self, data: bytes, timeout: float = 5.0) -> str:
        """Send ``data``; the first final response to come back."""
        self.send(data)
        while True:
            msg = await self.recv(timeout)
            if not msg.startswith("SIP/2.0 1"):
                return msg

    def close(self) -> None:
        self.transport.close()
