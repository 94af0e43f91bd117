"""SIP over TLS (kefu.sip.tls) against a real SipServer on 127.0.0.1.

The client is Python's ssl over asyncio streams (the server's sockets are served by the
test's own loop) and verifies kefu's self-signed certificate by its file: CN/SAN must be
the SIP host.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import socket
import ssl
import stat
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from kefu.config import SipSettings, TlsSettings
from kefu.sip.leg import SipLeg
from kefu.sip.server import SipServer
from kefu.sip.tls import TlsError, ensure_certificate, fingerprint, generate_self_signed
from kefu.store.credentials import ha1

REALM = "kefu"
USER, PASSWORD = "1001", "secret-1001"
SDP = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=audio 20000 RTP/AVP 0\r\n")


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


async def start_server(data_dir: Path, **tls) -> SipServer:
    settings = SipSettings(host="127.0.0.1", port=free_port(), realm=REALM)
    srv = SipServer(settings, lookup, NoCalls(),
                    tls=TlsSettings(enabled=True, port=free_port(), **tls), data_dir=data_dir)
    srv.start(asyncio.get_running_loop())
    await asyncio.sleep(0.01)        # let the loop start serving the listeners
    return srv


async def stop_server(srv: SipServer) -> None:
    srv.stop()
    await asyncio.sleep(0.05)


@pytest.fixture
async def server(tmp_path):
    srv = await start_server(tmp_path / "data")
    yield srv
    await stop_server(srv)


def client_context(cert: Path) -> ssl.SSLContext:
    """Verifies kefu's certificate, host name 127.0.0.1 included (SAN IP)."""
    return ssl.create_default_context(cafile=str(cert))


class Client:
    """A minimal SIP-over-TLS UA."""

    def __init__(self, reader, writer) -> None:
        self.reader, self.writer = reader, writer
        self.port = writer.get_extra_info("sockname")[1]

    @classmethod
    async def connect(cls, srv: SipServer) -> "Client":
        return cls(*await asyncio.open_connection(
            "127.0.0.1", srv.tls_settings.port, ssl=client_context(srv.tls_certificate),
            server_hostname="127.0.0.1"))

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def recv(self, timeout: float = 5.0) -> tuple[str, dict[str, list[str]], str]:
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), timeout)
        lines = head.decode().lstrip("\r\n").split("\r\n")
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

    def close(self) -> None:
        self.writer.close()


def request(method: str, client_port: int, *, call_id: str, cseq: int, extra: list[str],
            ruri: str = "sip:127.0.0.1;transport=tls") -> bytes:
    lines = [f"{method} {ruri} SIP/2.0",
             f"Via: SIP/2.0/TLS 127.0.0.1:{client_port};branch=z9hG4bK{uuid.uuid4().hex};rport",
             "Max-Forwards: 70",
             f"From: <sip:{USER}@127.0.0.1>;tag={call_id[:8]}",
             f"To: <sip:{USER}@127.0.0.1>",
             f"Call-ID: {call_id}", f"CSeq: {cseq} {method}", *extra, "Content-Length: 0"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def digest(challenge: str, method: str, uri: str, password: str = PASSWORD) -> str:
    nonce = re.search(r'nonce="([^"]+)"', challenge).group(1)
    md5 = lambda s: hashlib.md5(s.encode()).hexdigest()          # noqa: E731
    h1, h2 = md5(f"{USER}:{REALM}:{password}"), md5(f"{method}:{uri}")
    return (f'Authorization: Digest username="{USER}", realm="{REALM}", nonce="{nonce}", '
            f'uri="{uri}", response="{md5(f"{h1}:{nonce}:{h2}")}", algorithm=MD5')


async def register(c: Client, password: str = PASSWORD) -> int:
    call_id = uuid.uuid4().hex
    contact = [f"Contact: <sip:{USER}@127.0.0.1:{c.port};transport=tls>", "Expires: 120"]
    await c.send(request("REGISTER", c.port, call_id=call_id, cseq=1, extra=contact))
    line, headers, _ = await c.recv_final()
    assert line.startswith("SIP/2.0 401"), line
    auth = digest(headers["www-authenticate"][0], "REGISTER", "sip:127.0.0.1;transport=tls",
                  password)
    await c.send(request("REGISTER", c.port, call_id=call_id, cseq=2, extra=contact + [auth]))
    line, headers, _ = await c.recv_final()
    assert f"rport={c.port}" in headers["via"][0]           # answered on this connection
    return int(line.split()[1])


# --- tests ------------------------------------------------------------------------------------

async def test_register_with_digest_over_tls(server):
    c = await Client.connect(server)
    assert c.writer.get_extra_info("ssl_object").version() in ("TLSv1.2", "TLSv1.3")
    assert await register(c) == 200
    (b,) = server.locations.lookup(USER)
    assert b.contact == f"sip:{USER}@127.0.0.1:{c.port};transport=tls"
    assert b.transport == "tls" and not b.nated
    assert b.source == ("127.0.0.1", c.port)
    c.close()


async def test_wrong_password_over_tls_is_forbidden(server):
    c = await Client.connect(server)
    assert await register(c, password="wrong-password") == 403
    assert server.locations.lookup(USER) == []
    c.close()


async def test_invite_to_a_tls_binding_reuses_its_connection(server):
    """kefu's INVITE to a transport=tls contact: TLS Via, transport=tls Contact, no retransmits."""
    c = await Client.connect(server)
    assert await register(c) == 200
    (binding,) = server.locations.lookup(USER)
    server.dial(binding, SipLeg(server.thread, "out", caller="2000", callee=USER), SDP)
    line, headers, _ = await c.recv()
    assert line.startswith(f"INVITE sip:{USER}@127.0.0.1:{c.port}")
    assert headers["via"][0].startswith(f"SIP/2.0/TLS 127.0.0.1:{server.tls_settings.port};")
    assert "transport=tls" in headers["contact"][0]
    with pytest.raises(asyncio.TimeoutError):                   # timer A is off on TLS
        await c.recv(timeout=0.8)
    reply = "\r\n".join(["SIP/2.0 486 Busy Here", *(f"Via: {v}" for v in headers["via"]),
                         f"From: {headers['from'][0]}", f"To: {headers['to'][0]};tag=p1",
                         f"Call-ID: {headers['call-id'][0]}", f"CSeq: {headers['cseq'][0]}",
                         "Content-Length: 0", "", ""])
    await c.send(reply.encode())
    line, ack, _ = await c.recv()
    assert line.startswith("ACK ") and ack["call-id"] == headers["call-id"]
    c.close()


async def test_kefu_opens_a_tls_connection_to_a_phone(server, tmp_path):
    phone_cert, phone_key = tmp_path / "phone.pem", tmp_path / "phone.key"
    generate_self_signed(phone_cert, phone_key, "127.0.0.1")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(phone_cert, phone_key)
    got: asyncio.Queue = asyncio.Queue()

    async def accepted(reader, writer):
        await got.put(Client(reader, writer))

    phone = await asyncio.start_server(accepted, "127.0.0.1", 0, ssl=ctx)
    port = phone.sockets[0].getsockname()[1]
    from kefu.sip.locations import Binding
    binding = Binding(aor=USER, contact=f"sip:{USER}@127.0.0.1:{port};transport=tls",
                      host="127.0.0.1", port=port, expires_at=1e12, call_id="x", cseq=1,
                      source=("127.0.0.1", port))
    server.dial(binding, SipLeg(server.thread, "out", caller="2000", callee=USER), SDP)
    conn = await asyncio.wait_for(got.get(), 5)
    line, headers, _ = await conn.recv()
    assert line.startswith("INVITE ") and headers["via"][0].startswith("SIP/2.0/TLS ")
    conn.close()
    phone.close()


async def test_plain_tcp_on_the_tls_port_is_dropped(server):
    reader, writer = await asyncio.open_connection("127.0.0.1", server.tls_settings.port)
    writer.write(b"OPTIONS sip:x SIP/2.0\r\nContent-Length: 0\r\n\r\n")
    await writer.drain()
    assert await asyncio.wait_for(reader.read(), 5) == b""       # closed, no SIP answer
    writer.close()
    c = await Client.connect(server)                               # still serving TLS
    assert await register(c) == 200
    c.close()


async def test_certificate_is_made_once_and_reused(tmp_path):
    data = tmp_path / "data"
    srv = await start_server(data)
    cert, fp = srv.tls_certificate, srv.tls_fingerprint
    await stop_server(srv)
    key = data / "tls" / "key.pem"
    assert cert == data / "tls" / "cert.pem" and key.is_file()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", fp)
    der = ssl.PEM_cert_to_DER_cert(cert.read_text())
    assert fp.replace(":", "").lower() == hashlib.sha256(der).hexdigest()
    mtime = cert.stat().st_mtime_ns
    srv = await start_server(data)
    assert srv.tls_fingerprint == fp and cert.stat().st_mtime_ns == mtime
    c = await Client.connect(srv)            # verified against the same file
    assert await register(c) == 200
    c.close()
    await stop_server(srv)


async def test_certificate_names_the_sip_host(tmp_path):
    from cryptography import x509
    cert, _ = ensure_certificate("", "", tmp_path, "127.0.0.1")
    c = x509.load_pem_x509_certificate(cert.read_bytes())
    assert c.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)[0].value == "127.0.0.1"
    san = c.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert (c.not_valid_after_utc - c.not_valid_before_utc).days >= 3649
    cert2, _ = ensure_certificate("", "", tmp_path / "h", "pbx.example.org")
    c2 = x509.load_pem_x509_certificate(cert2.read_bytes())
    san2 = c2.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san2.get_values_for_type(x509.DNSName) == ["pbx.example.org"]


async def test_configured_certificate_files_are_used(tmp_path):
    cert, key = tmp_path / "mine.crt", tmp_path / "mine.key"
    generate_self_signed(cert, key, "127.0.0.1")
    srv = await start_server(tmp_path / "data", cert_file=str(cert), key_file=str(key))
    try:
        assert srv.tls_certificate == cert and srv.tls_fingerprint == fingerprint(cert)
        assert not (tmp_path / "data" / "tls").exists()
        c = await Client.connect(srv)
        assert await register(c) == 200
        c.close()
    finally:
        await stop_server(srv)


@pytest.mark.parametrize("case", ["missing", "unreadable", "garbage", "half"])
async def test_unusable_certificate_stops_startup_naming_the_file(tmp_path, case):
    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    generate_self_signed(cert, key, "127.0.0.1")
    kw = {"cert_file": str(cert), "key_file": str(key)}
    bad = cert
    if case == "missing":
        bad = tmp_path / "nope.pem"
        kw["cert_file"] = str(bad)
    elif case == "unreadable":
        if os.geteuid() == 0:
            bad = tmp_path / "dir.pem"          # root reads anything: a directory it is
            bad.mkdir()
            kw["cert_file"] = str(bad)
        else:
            cert.chmod(0)
    elif case == "garbage":
        cert.write_text("not a certificate\n")
    else:
        kw = {"cert_file": str(cert), "key_file": ""}
    settings = SipSettings(host="127.0.0.1", port=free_port(), realm=REALM)
    srv = SipServer(settings, lookup, NoCalls(),
                    tls=TlsSettings(enabled=True, port=free_port(), **kw), data_dir=tmp_path)
    with pytest.raises(TlsError) as err:
        srv.start(asyncio.get_running_loop())
    assert (str(bad) if case != "half" else "tls.key_file") in str(err.value)
    assert srv.thread is None                    # nothing was started


async def test_tls_disabled_opens_no_port(tmp_path):
    port = free_port()
    settings = SipSettings(host="127.0.0.1", port=free_port(), realm=REALM)
    srv = SipServer(settings, lookup, NoCalls(), tls=TlsSettings(enabled=False, port=port),
                    data_dir=tmp_path)
    srv.start(asyncio.get_running_loop())
    try:
        await asyncio.sleep(0.01)
        with pytest.raises(OSError):
            await asyncio.open_connection("127.0.0.1", port)
        assert srv.tls_fingerprint is None and not (tmp_path / "tls").exists()
    finally:
        await stop_server(srv)
