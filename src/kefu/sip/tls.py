"""SIP over TLS (RFC 3261 §26.2, RFC 5630 for the transport=tls form).

TLS is TCP plus an ssl context: :class:`TlsTransport` is :class:`~kefu.sip.tcp.TcpTransport`
with the transport name ``tls`` (Via ``SIP/2.0/TLS``, contacts ``;transport=tls``) and
sockets wrapped on accept and on connect.  The framing, connection matching, deadlines,
idle timeouts, ban refusal and per-address cap are the TCP transport's.

Certificates: ``tls.cert_file``/``tls.key_file`` when configured, else a self-signed one
(EC P-256, CN and subjectAltName = ``sip.host``, 10 years) made under ``<data_dir>/tls/``
on first start and reused afterwards.  Phones are not asked for certificates, and kefu
does not verify the certificates of phones it connects to (they are self-signed as a rule).
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import ipaddress
import logging
import os
import socket
import ssl
from pathlib import Path

from kefu.sip.tcp import (DEFAULT_HEADER_TIMEOUT, DEFAULT_IDLE_TIMEOUT, DEFAULT_UNBOUND_IDLE,
                          Address, TcpTransport)

log = logging.getLogger(__name__)

HANDSHAKE_TIMEOUT = 10.0
CERT_NAME, KEY_NAME = "cert.pem", "key.pem"
VALID_DAYS = 3650


class TlsError(RuntimeError):
    """The certificate or key cannot be used; the message names the file."""


# --- certificates -----------------------------------------------------------------------------

def _subject_name(host: str) -> str:
    host = host.strip("[]")
    try:
        if ipaddress.ip_address(host).is_unspecified:   # listening on every address
            return socket.getfqdn()
    except ValueError:
        pass
    return host


def generate_self_signed(cert_path: Path, key_path: Path, host: str) -> None:
    """Write a self-signed EC P-256 certificate for ``host`` (CN and SAN), valid 10 years.

    The key is created with mode 0600; both files are written next to their final names
    and renamed into place, so a crash never leaves a key without its certificate.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    name = _subject_name(host)
    key = ec.generate_private_key(ec.SECP256R1())
    try:
        san: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        san = x509.DNSName(name)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "kefu")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
            .add_extension(x509.SubjectAlternativeName([san]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH,
                                                  x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]),
                           critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    for path, data, mode in ((key_path, key_pem, 0o600), (cert_path, cert_pem, 0o644)):
        tmp = path.with_name(path.name + ".tmp")
        try:
            tmp.unlink()
        except FileNotFoundError:
            pass
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, mode)          # whatever the umask
        os.replace(tmp, path)


def ensure_certificate(cert_file: str, key_file: str, data_dir: Path, host: str) -> tuple[Path, Path]:
    """The (certificate, key) files to use, making a self-signed pair when none is configured.

    Configured files must both be given and readable; a made pair lives in
    ``<data_dir>/tls/`` and is reused while both files exist.
    """
    if cert_file or key_file:
        if not (cert_file and key_file):
            missing = "tls.key_file" if cert_file else "tls.cert_file"
            raise TlsError(f"{missing}: must be set together with "
                           f"{'tls.cert_file' if cert_file else 'tls.key_file'}")
        paths = (Path(cert_file), Path(key_file))
        for key_name, path in zip(("tls.cert_file", "tls.key_file"), paths):
            try:
                with open(path, "rb") as fh:
                    fh.read(1)
            except OSError as exc:
                raise TlsError(f"{key_name} {path}: cannot read: {exc.strerror or exc}") from None
        return paths
    folder = Path(data_dir) / "tls"
    cert, key = folder / CERT_NAME, folder / KEY_NAME
    if cert.is_file() and key.is_file():
        return cert, key
    try:
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        generate_self_signed(cert, key, host)
    except OSError as exc:
        raise TlsError(f"{folder}: cannot write the self-signed certificate: {exc}") from None
    log.warning("SIP/TLS: made a self-signed certificate %s for %s (valid %d days); "
                "phones must be told to accept it", cert, _subject_name(host), VALID_DAYS)
    return cert, key


def fingerprint(cert_path: Path) -> str:
    """SHA-256 fingerprint of a PEM certificate, ``AB:CD:...`` (what phones display)."""
    try:
        der = ssl.PEM_cert_to_DER_cert(Path(cert_path).read_text())
    except (OSError, ValueError) as exc:
        raise TlsError(f"tls.cert_file {cert_path}: not a readable PEM certificate: {exc}") from None
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    """TLS 1.2+ server context; errors name the file."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.verify_mode = ssl.CERT_NONE            # phones authenticate with SIP digest
    try:
        ctx.load_cert_chain(str(cert), str(key))
    except FileNotFoundError as exc:
        raise TlsError(f"{exc.filename or cert}: cannot read: {exc.strerror}") from None
    except (ssl.SSLError, OSError) as exc:
        raise TlsError(f"tls.cert_file {cert} / tls.key_file {key}: "
                       f"not a usable certificate and key: {exc}") from None
    return ctx


def client_context() -> ssl.SSLContext:
    """For connections kefu opens to phones: encrypted, not verified (self-signed phones)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def load(cert_file: str, key_file: str, data_dir: Path, host: str) -> tuple[ssl.SSLContext, Path, str]:
    """(server context, certificate path, SHA-256 fingerprint) from the settings."""
    cert, key = ensure_certificate(cert_file, key_file, data_dir, host)
    ctx = server_context(cert, key)
    return ctx, cert, fingerprint(cert)


# --- transport --------------------------------------------------------------------------------

class TlsTransport(TcpTransport):
    """SIP over TLS for sippy: the TCP transport with ssl contexts."""

    transport = "tls"
    label = "SIP/TLS"

    def __init__(self, loop: asyncio.AbstractEventLoop, laddress: Address, data_callback,
                 server_ssl: ssl.SSLContext, client_ssl: ssl.SSLContext | None = None,
                 idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
                 header_timeout: float = DEFAULT_HEADER_TIMEOUT,
                 unbound_idle: float = DEFAULT_UNBOUND_IDLE) -> None:
        self.server_ssl = server_ssl
        self.client_ssl = client_ssl or client_context()
        super().__init__(loop, laddress, data_callback, idle_timeout, header_timeout,
                         unbound_idle)
