"""SIP over TCP (RFC 3261 §18) for sippy, which ships only UDP and WSS transports.

The sockets live on kefu's asyncio loop; sippy only ever sees complete messages, delivered
on its own thread through ``ED2.callFromThread`` exactly like its UDP and WSS servers do.
:class:`TcpTransport` is the ``Network_server`` sippy talks to; :class:`KefuTransactionManager`
routes ``transport=tcp`` targets to it and makes responses find their connection.

Connection matching, in one place:

* every connection is known by its peer address (host, ephemeral port);
* a request received over TCP gets ``received``/``rport`` forced into its top Via, so
  sippy's response address (``Via.getTAddr()``) is exactly that peer address and the
  response goes back on the connection the request came in on (RFC 3261 §18.2.2);
* when the Via sent-by host is the peer's own address, the sent-by (host, port) becomes an
  alias of the connection, so requests kefu later sends to that phone's Contact reuse the
  connection the phone opened (phones behind NAT or firewalls rarely accept new ones);
* a request to an address with no connection opens one.

SIP over TLS (:mod:`kefu.sip.tls`) is this transport with ssl contexts (handshake on
accept and on connect).  The listeners accept connections themselves so that ``refuse``
(banned addresses, :mod:`kefu.sip.guard`) and ``cap`` (open connections per address)
close them before any byte is read.

How long a connection lives (:func:`expiry`, applied by the sweep): an accepted one must
complete its first header section within ``header_timeout``; after that a connection a
registration was made over stays as long as the binding, one kefu opened (or from a
trusted address) is closed after ``idle_timeout`` without traffic, and any other after
``unbound_idle``, so idle sockets cannot pile up until kefu runs out of descriptors.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from typing import Callable, Iterable, Union

from sippy.Core.EventDispatcher import ED2
from sippy.Network_server import Network_server, Network_server_opts, Remote_address
from sippy.SipConf import SipConf
from sippy.SipRequest import SipRequest
from sippy.SipTransactionManager import SipTransactionManager
from sippy.Time.MonoTime import MonoTime
from sippy.Udp_server import Udp_server, Udp_server_opts

from kefu.sip.guard import ConnectionCap
from kefu.sip.locations import behind_nat

log = logging.getLogger(__name__)

Address = tuple[str, int]

MAX_HEADER = 64 * 1024          # bytes up to and including the blank line
MAX_BODY = 1024 * 1024          # Content-Length limit
MAX_WRITE_BUFFER = 4 * 1024 * 1024  # a peer that stops reading this far behind is dropped
DEFAULT_IDLE_TIMEOUT = 600.0    # seconds without traffic before a connection is closed
DEFAULT_HEADER_TIMEOUT = 10.0   # an accepted connection's first header section, from accept
DEFAULT_UNBOUND_IDLE = 60.0     # idle seconds for a connection with no registration on it
CONNECT_TIMEOUT = 10.0
HANDSHAKE_TIMEOUT = 10.0        # TLS handshake, on accept and on connect
READ_CHUNK = 65536


# --- framing ---------------------------------------------------------------------------------

class Ping:
    """A CRLFCRLF keep-alive (RFC 5626 §3.5.1); answered with a single CRLF."""


PING = Ping()


class FramingError(Exception):
    """The byte stream cannot be cut into SIP messages any more.

    ``head`` is the header section when it was complete (so a 400 can still be built);
    after a framing error the stream is out of sync and the connection must be closed.
    """

    def __init__(self, reason: str, head: bytes | None = None) -> None:
        super().__init__(reason)
        self.head = head


Frame = Union[bytes, Ping, FramingError]


def content_length(head: bytes) -> int:
    """The Content-Length of a header section; raises :class:`FramingError` if absent or bad.

    Stream transports have no datagram boundary, so unlike UDP the length is mandatory
    (RFC 3261 §18.3, §20.14).
    """
    lines: list[bytes] = []
    for line in head.split(b"\r\n")[1:]:
        if line[:1] in (b" ", b"\t") and lines:      # folded continuation line
            lines[-1] += b" " + line.strip()
        elif line:
            lines.append(line)
    found: int | None = None
    for line in lines:
        name, colon, value = line.partition(b":")
        if not colon or name.strip().lower() not in (b"content-length", b"l"):
            continue
        value = value.strip()
        if not value.isdigit():
            raise FramingError("bad Content-Length", head)
        n = int(value)
        if found is not None and found != n:
            raise FramingError("conflicting Content-Length headers", head)
        found = n
    if found is None:
        raise FramingError("missing Content-Length", head)
    return found


class SipStreamFramer:
    """Cuts a TCP byte stream into SIP messages (header section + Content-Length body)."""

    def __init__(self, max_header: int = MAX_HEADER, max_body: int = MAX_BODY) -> None:
        self.max_header = max_header
        self.max_body = max_body
        self._buf = bytearray()
        self._head: bytes | None = None
        self._need = 0
        self._failed = False
        self.heads = 0                   # header sections completed (the deadline's "done")

    def feed(self, data: bytes) -> list[Frame]:
        """Add bytes; return the frames now complete.  A :class:`FramingError` is always last."""
        if self._failed:
            return []
        self._buf += data
        out: list[Frame] = []
        try:
            while self._next(out):
                pass
        except FramingError as exc:
            self._failed = True
            self._buf.clear()
            out.append(exc)
        return out

    def _next(self, out: list[Frame]) -> bool:
        buf = self._buf
        if self._head is None:
            # keep-alives between messages: CRLFCRLF is a ping, a lone CRLF is ignored
            while buf[:2] == b"\r\n":
                if buf[:4] == b"\r\n\r\n":
                    del buf[:4]
                    out.append(PING)
                elif len(buf) < 4 and b"\r\n\r\n".startswith(bytes(buf)):
                    return False                         # maybe the rest of a ping
                else:
                    del buf[:2]
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > self.max_header:
                    raise FramingError("header section too large")
                return False
            if end + 4 > self.max_header:
                raise FramingError("header section too large")
            head = bytes(buf[:end + 4])
            need = content_length(head)
            if need > self.max_body:
                raise FramingError("body too large")
            del buf[:end + 4]
            self._head, self._need = head, need
            self.heads += 1
        if len(buf) < self._need:
            return False
        out.append(self._head + bytes(buf[:self._need]))
        del buf[:self._need]
        self._head, self._need = None, 0
        return True


# --- addresses -------------------------------------------------------------------------------

def _key(address: tuple) -> Address:
    """Canonical dictionary key: IPv6 brackets removed, host lower-cased, port an int."""
    host = str(address[0]).strip("[]").lower()
    return (host, int(address[1]))


def _sip_host(host: str) -> str:
    """Hosts as sippy writes them: IPv6 literals in brackets."""
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def is_tcp(transport: object) -> bool:
    return transport is not None and str(transport).lower() == "tcp"


def is_tls(transport: object) -> bool:
    return transport is not None and str(transport).lower() == "tls"


# --- connections -----------------------------------------------------------------------------

def expiry(now: float, opened: float, last: float, heads: int, *, outbound: bool,
           bound: bool, trusted: bool, header_timeout: float, idle_timeout: float,
           unbound_idle: float) -> str | None:
    """Why a connection must be closed now, or None (pure: the sweep's one rule)."""
    if not outbound and heads == 0:
        if now - opened > header_timeout:
            return f"no complete headers within {header_timeout:g} s"
        return None
    if bound:
        return None                   # a registration lives on it: kept as long as that
    unbound = not (outbound or trusted)
    if now - last > (unbound_idle if unbound else idle_timeout):
        return f"idle for {now - last:.0f} s" + (" with no registration" if unbound else "")
    return None


class _Conn:
    """One TCP (or TLS) connection, touched only on the asyncio loop."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 loop: asyncio.AbstractEventLoop, transport: str = "tcp",
                 label: str = "SIP/TCP") -> None:
        self.reader = reader
        self.writer = writer
        peer = writer.get_extra_info("peername") or ("0.0.0.0", 0)
        self.peer: Address = _key(peer)
        self.framer = SipStreamFramer()
        self.loop = loop
        self.last = loop.time()
        self.aliases: set[Address] = set()
        self.closed = False
        self.transport = transport
        self.label = label
        self.opened = self.last           # accepted (or connected) at
        self.outbound = False             # kefu opened it (to a phone or a trunk)
        self.capped: str | None = None    # the address its ConnectionCap admitted it as

    def remote(self) -> Remote_address:
        return Remote_address((_sip_host(self.peer[0]), self.peer[1]), self.transport)

    def write(self, data: bytes) -> None:
        if self.closed or self.writer.is_closing():
            return
        self.writer.write(data)
        self.last = self.loop.time()
        if self.writer.transport.get_write_buffer_size() > MAX_WRITE_BUFFER:
            log.warning("%s %s:%d is not reading; closing", self.label, *self.peer)
            self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.writer.close()        # flushes what is buffered, then closes


class TcpTransport(Network_server):
    """sippy's view of SIP over TCP; sockets are served on the asyncio ``loop``.

    ``send_to`` and ``handle_read`` follow sippy's ``Network_server`` contract (called on,
    and delivering to, the sippy thread); everything else runs on the loop.
    """

    transport = "tcp"
    label = "SIP/TCP"
    server_ssl: ssl.SSLContext | None = None     # set by the TLS subclass (kefu.sip.tls)
    client_ssl: ssl.SSLContext | None = None
    # connections from addresses it says True for are closed at once (kefu.sip.guard)
    refuse: Callable[[str], bool] = staticmethod(lambda host: False)
    refused = 0
    # open connections per address (kefu.sip.guard.ConnectionCap, shared by TCP and TLS)
    cap: ConnectionCap | None = None
    # the (host, port) sources registrations were made from: never idle-closed
    bound: Callable[[], Iterable[tuple]] = staticmethod(lambda: ())
    # addresses with the long idle timeout (carriers: kefu.sip.guard's trusted)
    trusted: Callable[[str], bool] = staticmethod(lambda host: False)

    def __init__(self, loop: asyncio.AbstractEventLoop, laddress: Address,
                 data_callback: Callable, idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
                 header_timeout: float = DEFAULT_HEADER_TIMEOUT,
                 unbound_idle: float = DEFAULT_UNBOUND_IDLE) -> None:
        super().__init__(Network_server_opts(laddress, data_callback))
        self.loop = loop
        self.idle_timeout = idle_timeout
        self.header_timeout = header_timeout
        self.unbound_idle = unbound_idle
        self._by_peer: dict[Address, _Conn] = {}
        self._by_alias: dict[Address, _Conn] = {}
        self._conns: set[_Conn] = set()
        self._connecting: dict[Address, list[bytes]] = {}
        self._acceptor: asyncio.Task | None = None
        self._sweeper: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        # Bind now, on the caller's thread, so "address in use" surfaces at start-up; the
        # loop may be blocked waiting for SIP start-up, so serving begins once it runs again
        # (the kernel queues early connections in the listen backlog meanwhile).
        self._sock = self._listen(laddress)
        self.uopts.laddress = (laddress[0], self._sock.getsockname()[1])
        loop.call_soon_threadsafe(self._start)

    @staticmethod
    def _listen(laddress: Address) -> socket.socket:
        host = str(laddress[0]).strip("[]")
        info = socket.getaddrinfo(host, laddress[1], type=socket.SOCK_STREAM,
                                  flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(info[0], socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(info[4])
            sock.listen(128)
            sock.setblocking(False)
        except OSError:
            sock.close()
            raise
        return sock

    # --- sippy side (sippy thread) ---------------------------------------------------------
    def getSIPaddr(self):
        (host, port), transport = super().getSIPaddr()
        return ((_sip_host(str(host)), port), transport)

    def send_to(self, data: bytes | str, address: object, delayed: bool = False) -> None:
        """Queue ``data`` for ``address`` (a (host, port) pair) on the asyncio loop."""
        if not isinstance(data, bytes):
            data = data.encode("utf-8")
        try:
            self.loop.call_soon_threadsafe(self._send, data, tuple(address))
        except RuntimeError:
            log.warning("%s: event loop closed, dropping message to %s", self.label, address)

    def join(self) -> None:       # Network_server's API; there is no thread of our own
        pass

    def shutdown(self) -> None:
        self.uopts.data_callback = None
        try:
            self.loop.call_soon_threadsafe(self._close_all)
        except RuntimeError:      # loop already gone: nothing else uses the socket now
            self._sock.close()

    def drop_host(self, host: str) -> None:
        """Close every connection from ``host`` (any thread; used when it is banned)."""
        try:
            self.loop.call_soon_threadsafe(self._drop_host, _key((host, 0))[0])
        except (RuntimeError, ValueError, TypeError):
            pass

    def alias(self, sent_by: Address, peer: Address) -> None:
        """Let requests to ``sent_by`` reuse the connection from ``peer`` (any thread)."""
        try:
            self.loop.call_soon_threadsafe(self._alias, _key(sent_by), _key(peer))
        except RuntimeError:
            pass

    def _deliver(self, data: bytes, conn: _Conn) -> None:
        ED2.callFromThread(self.handle_read, data, conn.remote(), MonoTime())

    def _reject(self, head: bytes, conn: _Conn, reason: str) -> None:
        """Answer a request that broke framing with 400, then close (sippy thread)."""
        data: bytes | None = None
        try:
            if not head.startswith(b"SIP/2.0 "):
                req = SipRequest(head.decode("utf-8", errors="replace"))
                resp = req.genResponse(400, f"Bad Request ({reason})")
                data = resp.localStr(self.getSIPaddr()).encode("utf-8")
        except Exception as exc:
            log.info("%s %s:%d: unparsable message (%s)", self.label, *conn.peer, exc)
        finally:
            try:
                self.loop.call_soon_threadsafe(self._write_and_close, conn, data)
            except RuntimeError:
                pass

    # --- asyncio side ----------------------------------------------------------------------
    def _start(self) -> None:
        self._acceptor = self._spawn(self._serve_forever())
        self._sweeper = self._spawn(self._sweep())

    def _spawn(self, coro) -> asyncio.Task:
        task = self.loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _serve_forever(self) -> None:
        """Accept connections; refused addresses are closed before any byte is read
        (before the TLS handshake, too)."""
        log.info("SIP listening on %s:%s:%d", self.transport, *self.uopts.laddress)
        while True:
            try:
                sock, peer = await self.loop.sock_accept(self._sock)
            except asyncio.CancelledError:
                raise
            except OSError as exc:
                if self._sock.fileno() < 0:
                    return
                log.warning("%s: accept failed: %s", self.label, exc)
                await asyncio.sleep(0.1)          # e.g. out of file descriptors
                continue
            try:
                host = _key(peer)[0]
            except (TypeError, ValueError, IndexError):
                host = ""
            if self.refuse(host):
                self.refused += 1
                log.debug("%s: refused a connection from %s", self.label, host)
                sock.close()
                continue
            capped = None
            if self.cap is not None:
                capped = self.cap.admit(host)
                if capped is None:          # counted and logged by the guard
                    sock.close()
                    continue
            self._spawn(self._accepted(sock, peer, capped))

    async def _accepted(self, sock: socket.socket, peer: tuple, capped: str | None = None) -> None:
        opened = self.loop.time()
        try:
            reader, writer = await self._open_accepted(sock)
        except (OSError, asyncio.TimeoutError, EOFError, asyncio.CancelledError) as exc:
            # (ssl.SSLError is an OSError)
            if capped is not None and self.cap is not None:
                self.cap.release(capped)
            if isinstance(exc, asyncio.CancelledError):
                sock.close()
                raise
            log.info("%s: connection from %s:%s failed: %s%s", self.label, peer[0], peer[1],
                     type(exc).__name__, f" ({exc})" if str(exc) else "")
            return
        conn = self._adopt(reader, writer)
        conn.opened, conn.capped = opened, capped
        await self._run(conn)

    async def _open_accepted(self, sock: socket.socket):
        """Streams over an accepted socket (with the TLS handshake when ``server_ssl``,
        within the header deadline too)."""
        reader = asyncio.StreamReader(loop=self.loop)
        protocol = asyncio.StreamReaderProtocol(reader, loop=self.loop)
        extra = {} if self.server_ssl is None else {
            "ssl": self.server_ssl,
            "ssl_handshake_timeout": min(HANDSHAKE_TIMEOUT, self.header_timeout)}
        transport, _ = await self.loop.connect_accepted_socket(lambda: protocol, sock, **extra)
        return reader, asyncio.StreamWriter(transport, protocol, reader, self.loop)

    def _adopt(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> _Conn:
        conn = _Conn(reader, writer, self.loop, self.transport, self.label)
        self._conns.add(conn)
        self._by_peer[conn.peer] = conn
        log.debug("%s connection %s:%d", self.label, *conn.peer)
        return conn

    async def _run(self, conn: _Conn) -> None:
        """Read, frame and deliver until EOF, error or a framing error."""
        rejecting = False
        try:
            while not conn.closed:
                chunk = await conn.reader.read(READ_CHUNK)
                if not chunk:
                    break
                conn.last = self.loop.time()
                for frame in conn.framer.feed(chunk):
                    if isinstance(frame, bytes):
                        self._deliver(frame, conn)
                    elif isinstance(frame, Ping):
                        conn.write(b"\r\n")
                    else:
                        log.warning("%s %s:%d: %s", self.label, conn.peer[0], conn.peer[1], frame)
                        if frame.head is not None:
                            rejecting = True
                            ED2.callFromThread(self._reject, frame.head, conn, str(frame))
                        return
        except (ConnectionError, OSError) as exc:
            log.debug("%s %s:%d: %s", self.label, conn.peer[0], conn.peer[1], exc)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s %s:%d: unexpected error", self.label, *conn.peer)
        finally:
            self._forget(conn)
            if not rejecting:
                self._discard(conn)

    def _forget(self, conn: _Conn) -> None:
        """Stop routing messages to ``conn`` (it stays open until closed)."""
        if self._by_peer.get(conn.peer) is conn:
            del self._by_peer[conn.peer]
        for a in conn.aliases:
            if self._by_alias.get(a) is conn:
                del self._by_alias[a]
        conn.aliases.clear()

    def _discard(self, conn: _Conn) -> None:
        self._forget(conn)
        self._conns.discard(conn)
        conn.close()
        if conn.capped is not None and self.cap is not None:
            self.cap.release(conn.capped)
            conn.capped = None

    def _write_and_close(self, conn: _Conn, data: bytes | None) -> None:
        if data:
            conn.write(data)
        self._discard(conn)

    def _drop_host(self, host: str) -> None:
        for conn in [c for c in self._conns if c.peer[0] == host]:
            log.info("%s %s:%d: address banned; closing", self.label, *conn.peer)
            self._discard(conn)

    def _alias(self, sent_by: Address, peer: Address) -> None:
        conn = self._by_peer.get(peer)
        if conn is not None and sent_by != peer:
            old = self._by_alias.get(sent_by)
            if old is not None and old is not conn:
                old.aliases.discard(sent_by)
            self._by_alias[sent_by] = conn
            conn.aliases.add(sent_by)

    def _find(self, key: Address) -> _Conn | None:
        for table in (self._by_peer, self._by_alias):
            conn = table.get(key)
            if conn is not None and not conn.closed and not conn.writer.is_closing():
                return conn
        return None

    def _send(self, data: bytes, address: tuple) -> None:
        try:
            key = _key(address)
        except (TypeError, ValueError, IndexError):
            log.warning("%s: bad destination %r", self.label, address)
            return
        conn = self._find(key)
        if conn is not None:
            conn.write(data)
        elif key in self._connecting:
            self._connecting[key].append(data)
        elif data.startswith(b"SIP/2.0 "):
            # the request's connection is gone; its peer port was ephemeral, nobody listens
            log.warning("%s: no connection to %s:%d for a response, dropped", self.label, *key)
        else:
            self._connecting[key] = [data]
            self._spawn(self._connect(key))

    async def _connect(self, key: Address) -> None:
        """Open a connection for requests to an address nobody has connected from."""
        try:
            extra = {} if self.client_ssl is None else {
                "ssl": self.client_ssl, "server_hostname": key[0],
                "ssl_handshake_timeout": HANDSHAKE_TIMEOUT}
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(key[0], key[1], **extra), CONNECT_TIMEOUT)
        except (OSError, asyncio.TimeoutError) as exc:
            dropped = self._connecting.pop(key, [])
            log.warning("%s: cannot connect to %s:%d (%s); %d message(s) dropped",
                        self.label, key[0], key[1], exc or type(exc).__name__, len(dropped))
            return
        conn = self._adopt(reader, writer)
        conn.outbound = True
        self._alias(key, conn.peer)
        for data in self._connecting.pop(key, []):
            conn.write(data)
        await self._run(conn)

    async def _sweep(self) -> None:
        """Close the connections :func:`expiry` says must go."""
        shortest = min(self.idle_timeout, self.header_timeout, self.unbound_idle)
        period = max(0.05, min(shortest / 4, 1.0))
        while True:
            await asyncio.sleep(period)
            self.sweep_once(self.loop.time())

    def sweep_once(self, now: float) -> int:
        """Close expired connections; how many were closed (on the loop)."""
        bound = {_key(source) for source in self.bound()} if self._conns else set()
        closed = 0
        for conn in list(self._conns):
            why = expiry(now, conn.opened, conn.last, conn.framer.heads, outbound=conn.outbound,
                         bound=conn.peer in bound, trusted=self.trusted(conn.peer[0]),
                         header_timeout=self.header_timeout, idle_timeout=self.idle_timeout,
                         unbound_idle=self.unbound_idle)
            if why is None:
                continue
            half_open = not conn.outbound and conn.framer.heads == 0
            # half-open connections come by the hundred in an attack: not one INFO line each
            log.log(logging.DEBUG if half_open else logging.INFO, "%s %s:%d %s; closing",
                    self.label, conn.peer[0], conn.peer[1], why)
            if half_open and self.cap is not None:
                self.cap.timed_out += 1
            self._discard(conn)
            closed += 1
        return closed

    def _close_all(self) -> None:
        if self._acceptor is not None and not self._acceptor.done():
            # close the listening socket once the pending accept has let go of it
            self._acceptor.add_done_callback(lambda _task: self._sock.close())
        else:
            self._sock.close()
        for task in list(self._tasks):
            task.cancel()
        for conn in list(self._conns):
            self._discard(conn)
        self._connecting.clear()

    def connection_count(self) -> int:
        """Open connections (call on the loop; for tests and status)."""
        return len(self._conns)


# sippy's UDP receiver reads at most 8192 bytes and silently truncates the rest: a
# datagram that fills the buffer was probably cut, so it is dropped, not half-parsed.
# (Large messages belong on TCP anyway, RFC 3261 §18.1.1.)
MAX_DATAGRAM = 8191


class _OrderedUdpOpts(Udp_server_opts):
    """One UDP sender and one receiver thread.  sippy's default three of each may send an
    ACK and the BYE queued right behind it in the wrong order (seen: a carrier aborting the
    call on "unexpected BYE"); SIP over UDP needs its messages in order more than it needs
    parallel send calls."""

    nworkers = 1


class KefuTransactionManager(SipTransactionManager):
    """sippy's transaction manager with TCP and TLS: ``tcp`` targets use :class:`TcpTransport`,
    ``tls`` targets ``self.tls`` (a :class:`kefu.sip.tls.TlsTransport`, set by the server).

    Also the first and last word on every packet: ``banned`` (kefu.sip.guard) drops all
    packets of an address before parsing, and requests/responses from phones behind NAT
    get their Contact pointed at the address they really came from (see ``_fix_nated``).
    """

    model_udp_server = (Udp_server, _OrderedUdpOpts)
    tcp: TcpTransport | None = None
    tls: TcpTransport | None = None
    on_malformed: Callable[[], None] = staticmethod(lambda: None)  # counts for /health
    banned: Callable[[str], bool] = staticmethod(lambda host: False)

    def start_tcp(self, loop: asyncio.AbstractEventLoop, host: str, port: int,
                  idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
                  header_timeout: float = DEFAULT_HEADER_TIMEOUT,
                  unbound_idle: float = DEFAULT_UNBOUND_IDLE) -> TcpTransport:
        """Listen for SIP over TCP on ``host:port`` (call on the sippy thread)."""
        self.tcp = TcpTransport(loop, (host, port), self.handleIncoming, idle_timeout,
                                header_timeout, unbound_idle)
        return self.tcp

    def stop_tcp(self) -> None:
        """Close the TCP and TLS listeners and connections."""
        for name in ("tcp", "tls"):
            transport = getattr(self, name)
            if transport is not None:
                transport.shutdown()
                setattr(self, name, None)

    def _streams(self) -> tuple:
        return tuple(t for t in (self.tcp, self.tls) if t is not None)

    def handleIncoming(self, data_in, ra, server, rtime):
        """Drop packets from banned addresses, and datagrams that may have been truncated,
        before sippy parses them."""
        if self.banned(ra.address[0]):
            return
        if len(data_in) > MAX_DATAGRAM:
            self.on_malformed()
            log.warning("dropped a %d-byte SIP datagram from %s (limit %d)",
                        len(data_in), ra, MAX_DATAGRAM)
            return
        super().handleIncoming(data_in, ra, server, rtime)

    def newTransaction(self, msg, resp_cb=None, laddress=None, userv=None,
                       cb_ifver=1, compact=False, t=None):
        target, transport = msg.getTarget()
        if str(transport) != str(transport).lower():  # ;transport=UDP is legal (RFC 3261 §19.1.1)
            transport = str(transport).lower()
            msg.setTarget((target, transport))
        if userv is None:
            if self.tcp is not None and is_tcp(transport):
                userv = self.tcp
            elif is_tls(transport):
                if self.tls is None:
                    raise RuntimeError("SIP over TLS is not enabled (tls.enabled = false)")
                userv = self.tls
        t = super().newTransaction(msg, resp_cb, laddress, userv, cb_ifver, compact, t)
        if t.userv in self._streams() and t.teA is not None:
            # reliable transport: requests are not retransmitted (RFC 3261 §17.1.1.2);
            # timer B still ends the transaction with a 408
            t.teA.cancel()
            t.teA = None
        return t

    def incomingRequest(self, msg, checksum, tids, server):
        stream = server in self._streams()
        if stream:
            self._pin_to_connection(msg, server)
        if msg.getMethod() in ("INVITE", "UPDATE") and msg.countHFs("via") == 1:
            self._fix_nated(msg, "rport" in msg.getHFBody("via").params, stream)
        return super().incomingRequest(msg, checksum, tids, server)

    def incomingResponse(self, msg, t, checksum):
        if t.method == "INVITE":
            self._fix_nated(msg, False, t.userv in self._streams())
        return super().incomingResponse(msg, t, checksum)

    @staticmethod
    def _fix_nated(msg, rport: bool, stream: bool) -> None:
        """Point a dialog-forming Contact at the address the message came from when the
        peer is behind NAT (Kamailio's fix_nated_contact), so that ACK, BYE and re-INVITEs
        reach it.  REGISTER is not rewritten: the registrar keeps the Contact as sent and
        notes the source in the binding instead."""
        try:
            if msg.countHFs("contact") == 0:
                return
            contact = msg.getHFBody("contact")
            if contact.asterisk:
                return
            url = contact.getUrl()
            source = msg.getSource()
            if behind_nat(url.getAddr(), source, rport, stream):
                log.debug("NAT: Contact %s:%s of a %s from %s:%s rewritten to the source",
                          url.host, url.port, _what(msg), *source)
                url.host, url.port = str(source[0]), int(source[1])
        except Exception as exc:   # a broken Contact is the dialog layer's business
            log.debug("NAT: cannot check the Contact: %s", exc)

    def _pin_to_connection(self, msg, server=None) -> None:
        """Make the response address of ``msg`` the connection it arrived on."""
        try:
            host, port = msg.getSource()
            via = msg.getHFBody("via")
            if _key((via.getTAddr()[0], 0))[0] != _key((host, 0))[0]:
                via.params["received"] = str(host).strip("[]")
            via.params["rport"] = str(port)
            sent_host, sent_port = via.getAddr()
            if _key((sent_host, 0))[0] == _key((host, 0))[0]:
                (server or self.tcp).alias((sent_host, sent_port or SipConf.default_port),
                                           (host, port))
        except Exception:
            log.exception("SIP/TCP: cannot note the connection of a request")


def _what(msg) -> str:
    try:
        return msg.getMethod()
    except Exception:
        return "response"
