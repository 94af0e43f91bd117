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
import ssl
import stat
import uuid
from pathlib import Path

import pytest

import sipkit
from kefu.config import SipSettings, TlsSettings
from kefu.sip.leg import SipLeg
from kefu.sip.server import SipServer
from kefu.sip.tls import TlsError, ensure_certificate, fingerprint, generate_self_signed
from sipkit import (PASSWORD, REALM, SDP, USER, NoCalls, StreamClient, authorization,
                    free_port, lookup)


async def start_server(sip_server, data_dir: Path, **tls) -> SipServer:
    return await sip_server(tls=TlsSettings(enabled=True, port=free_port(), **tls),
                            data_dir=data_dir)


@pytest.fixture
async def server(sip_server, tmp_path):
    return await start_server(sip_server, tmp_path / "data")


def client_context(cert: Path) -> ssl.SSLContext:
    """Verifies kefu's certificate, host name 127.0.0.1 included (SAN IP)."""
    return ssl.create_default_context(cafile=str(cert))


class Client(StreamClient):
    """A minimal SIP-over-TLS UA."""

    @classmethod
    async def connect(cls, srv: SipServer) -> "Client":
        return await super().connect(srv.tls_settings.port, server_hostname="127.0.0.1",
                                     ssl=client_context(srv.tls_certificate))


def request(method: str, client_port: int, *, call_id: str, cseq: int, extra: list[str],
            ruri: str = "sip:127.0.0.1;transport=tls") -> bytes:
    return sipkit.request(method, ruri, f"SIP/2.0/TLS 127.0.0.1:{client_port}",
                          call_id=call_id, cseq=cseq, extra=extra)


async def register(c: Client, password: str = PASSWORD) -> int:
    call_id = uuid.uuid4().hex
    contact = [f"Contact: <sip:{USER}@127.0.0.1:{c.port};transport=tls>", "Expires: 120"]
    await c.send(request("REGISTER", c.port, call_id=call_id, cseq=1, extra=contact))
    line, headers, _ = await c.recv_final()
    assert line.startswith("SIP/2.0 401"), line
    auth = authorization(headers["www-authenticate"][0], "REGISTER",
                         "sip:127.0.0.1;transport=tls", password=password)
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
    line = await c.refuse_invite("TLS", server.tls_settings.port)
    assert line.startswith(f"INVITE sip:{USER}@127.0.0.1:{c.port}")
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


async def test_certificate_is_made_once_and_reused(sip_server, tmp_path):
    data = tmp_path / "data"
    srv = await start_server(sip_server, data)
    cert, fp = srv.tls_certificate, srv.tls_fingerprint
    srv.stop()
    await asyncio.sleep(0.05)
    key = data / "tls" / "key.pem"
    assert cert == data / "tls" / "cert.pem" and key.is_file()
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert re.fullmatch(r"([0-9A-F]{2}:){31}[0-9A-F]{2}", fp)
    der = ssl.PEM_cert_to_DER_cert(cert.read_text())
    assert fp.replace(":", "").lower() == hashlib.sha256(der).hexdigest()
    mtime = cert.stat().st_mtime_ns
    srv = await start_server(sip_server, data)
    assert srv.tls_fingerprint == fp and cert.stat().st_mtime_ns == mtime
    c = await Client.connect(srv)            # verified against the same file
    assert await register(c) == 200
    c.close()


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


async def test_configured_certificate_files_are_used(sip_server, tmp_path):
    cert, key = tmp_path / "mine.crt", tmp_path / "mine.key"
    generate_self_signed(cert, key, "127.0.0.1")
    srv = await start_server(sip_server, tmp_path / "data", cert_file=str(cert),
                             key_file=str(key))
    assert srv.tls_certificate == cert and srv.tls_fingerprint == fingerprint(cert)
    assert not (tmp_path / "data" / "tls").exists()
    c = await Client.connect(srv)
    assert await register(c) == 200
    c.close()


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


async def test_tls_disabled_opens_no_port(sip_server, tmp_path):
    port = free_port()
    srv = await sip_server(tls=TlsSettings(enabled=False, port=port), data_dir=tmp_path)
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)
    assert srv.tls_fingerprint is None and not (tmp_path / "tls").exists()
