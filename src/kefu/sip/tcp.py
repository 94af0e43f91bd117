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
"""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import Callable, Union

from sippy.Core.EventDispatcher import ED2
from sippy.Network_server import Network_server, Network_server_opts, Remote_address
from sippy.SipConf import SipConf
from sippy.SipRequest import SipRequest
from sippy.SipTransactionManager import SipTransactionManager
from sippy.Time.MonoTime import MonoTime

log = logging.getLogger(__name__)

Address = tuple[str, int]

MAX_HEADER = 64 * 1024          # bytes up to and including the blank line
MAX_BODY = 1024 * 1024          # Content-Length limit
MAX_WRITE_BUFFER = 4 * 1024 * 1024  # a peer that stops reading this far behind is dropped
DEFAULT_IDLE_TIMEOUT = 600.0    # seconds without traffic before a connection is closed
CONNECT_TIMEOUT = 10.0
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


# --- connections -----------------------------------------------------------------------------

class _Conn:
    """One TCP connection, touched only on the asyncio loop."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 loop: asyncio.AbstractEventLoop) -> None:
        self.reader = reader
        self.writer = writer
        peer = writer.get_extra_info("peername") or ("0.0.0.0", 0)
        self.peer: Address = _key(peer)
        self.framer = SipStreamFramer()
        self.loop = loop
        self.last = loop.time()
        self.aliases: set[Address] = set()
        self.closed = False

    def remote(self) -> Remote_address:
        return Remote_address((_sip_host(self.peer[0]), self.peer[1]), "tcp")

    def write(self, data: bytes) -> None:
        if self.closed or self.writer.is_closing():
            return
        self.writer.write(data)
        self.last = self.loop.time()
        if self.writer.transport.get_write_buffer_size() > MAX_WRITE_BUFFER:
            log.warning("SIP/TCP %s:%d is not reading; closing", *self.peer)
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

    def __init__(self, loop: asyncio.AbstractEventLoop, laddress: Address,
                 data_callback: Callable, idle_timeout: float = DEFAULT_IDLE_TIMEOUT) -> None:
        super().__init__(Network_server_opts(laddress, data_callback))
        self.loop = loop
        self.idle_timeout = idle_timeout
        self._by_peer: dict[Address, _Conn] = {}
        self._by_alias: dict[Address, _Conn] = {}
        self._conns: set[_Conn] = set()
        self._connecting: dict[Address, list[bytes]] = {}
        self._server: asyncio.AbstractServer | None = None
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
            log.warning("SIP/TCP: event loop closed, dropping message to %s", address)

    def join(self) -> None:       # Network_server's API; there is no thread of our own
        pass

    def shutdown(self) -> None:
        self.uopts.data_callback = None
        try:
            self.loop.call_soon_threadsafe(self._close_all)
        except RuntimeError:      # loop already gone: nothing else uses the socket now
            self._sock.close()

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
            log.info("SIP/TCP %s:%d: unparsable message (%s)", *conn.peer, exc)
        finally:
            try:
                self.loop.call_soon_threadsafe(self._write_and_close, conn, data)
            except RuntimeError:
                pass

    # --- asyncio side ----------------------------------------------------------------------
    def _start(self) -> None:
        self._spawn(self._serve_forever())
        self._sweeper = self._spawn(self._sweep())

    def _spawn(self, coro) -> asyncio.Task:
        task = self.loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _serve_forever(self) -> None:
        try:
            self._server = await asyncio.start_server(self._accepted, sock=self._sock)
            log.info("SIP listening on tcp:%s:%d", *self.uopts.laddress)
        except Exception:
            log.exception("SIP/TCP listener failed to start")

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await self._run(self._adopt(reader, writer))

    def _adopt(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> _Conn:
        conn = _Conn(reader, writer, self.loop)
        self._conns.add(conn)
        self._by_peer[conn.peer] = conn
        log.debug("SIP/TCP connection %s:%d", *conn.peer)
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
                        log.warning("SIP/TCP %s:%d: %s", conn.peer[0], conn.peer[1], frame)
                        if frame.head is not None:
                            rejecting = True
                            ED2.callFromThread(self._reject, frame.head, conn, str(frame))
                        return
        except (ConnectionError, OSError) as exc:
            log.debug("SIP/TCP %s:%d: %s", conn.peer[0], conn.peer[1], exc)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("SIP/TCP %s:%d: unexpected error", *conn.peer)
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

    def _write_and_close(self, conn: _Conn, data: bytes | None) -> None:
        if data:
            conn.write(data)
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
            log.warning("SIP/TCP: bad destination %r", address)
            return
        conn = self._find(key)
        if conn is not None:
            conn.write(data)
        elif key in self._connecting:
            self._connecting[key].append(data)
        elif data.startswith(b"SIP/2.0 "):
            # the request's connection is gone; its peer port was ephemeral, nobody listens
            log.warning("SIP/TCP: no connection to %s:%d for a response, dropped", *key)
        else:
            self._connecting[key] = [data]
            self._spawn(self._connect(key))

    async def _connect(self, key: Address) -> None:
        """Open a connection for requests to an address nobody has connected from."""
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(key[0], key[1]), CONNECT_TIMEOUT)
        except (OSError, asyncio.TimeoutError) as exc:
            dropped = self._connecting.pop(key, [])
            log.warning("SIP/TCP: cannot connect to %s:%d (%s); %d message(s) dropped",
                        key[0], key[1], exc or type(exc).__name__, len(dropped))
            return
        conn = self._adopt(reader, writer)
        self._alias(key, conn.peer)
        for data in self._connecting.pop(key, []):
            conn.write(data)
        await self._run(conn)

    async def _sweep(self) -> None:
        """Close connections idle for longer than ``idle_timeout``."""
        period = max(0.05, min(self.idle_timeout / 4, 30.0))
        while True:
            await asyncio.sleep(period)
            now = self.loop.time()
            for conn in [c for c in self._conns if now - c.last > self.idle_timeout]:
                log.info("SIP/TCP %s:%d idle for %.0f s; closing",
                         conn.peer[0], conn.peer[1], now - conn.last)
                self._discard(conn)

    def _close_all(self) -> None:
        if self._server is not None:
            self._server.close()
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


class KefuTransactionManager(SipTransactionManager):
    """sippy's transaction manager with TCP: ``tcp`` targets use :class:`TcpTransport`."""

    tcp: TcpTransport | None = None
    on_malformed: Callable[[], None] = staticmethod(lambda: None)  # counts for /health

    def start_tcp(self, loop: asyncio.AbstractEventLoop, host: str, port: int,
                  idle_timeout: float = DEFAULT_IDLE_TIMEOUT) -> TcpTransport:
        """Listen for SIP over TCP on ``host:port`` (call on the sippy thread)."""
        self.tcp = TcpTransport(loop, (host, port), self.handleIncoming, idle_timeout)
        return self.tcp

    def stop_tcp(self) -> None:
        if self.tcp is not None:
            self.tcp.shutdown()
            self.tcp = None

    def handleIncoming(self, data_in, ra, server, rtime):
        """Drop datagrams that may have been truncated before sippy parses them."""
        if len(data_in) > MAX_DATAGRAM:
            self.on_malformed()
            log.warning("dropped a %d-byte SIP datagram from %s (limit %d)",
                        len(data_in), ra, MAX_DATAGRAM)
            return
        super().handleIncoming(data_in, ra, server, rtime)

    def newTransaction(self, msg, resp_cb=None, laddress=None, userv=None,
                       cb_ifver=1, compact=False, t=None):
        if userv is None and self.tcp is not None and is_tcp(msg.getTarget()[1]):
            userv = self.tcp
        t = super().newTransaction(msg, resp_cb, laddress, userv, cb_ifver, compact, t)
        if self.tcp is not None and t.userv is self.tcp and t.teA is not None:
            # reliable transport: requests are not retransmitted (RFC 3261 §17.1.1.2);
            # timer B still ends the transaction with a 408
            t.teA.cancel()
            t.teA = None
        return t

    def incomingRequest(self, msg, checksum, tids, server):
        if self.tcp is not None and server is self.tcp:
            self._pin_to_connection(msg)
        return super().incomingRequest(msg, checksum, tids, server)

    def _pin_to_connection(self, msg) -> None:
        """Make the response address of ``msg`` the connection it arrived on."""
        try:
            host, port = msg.getSource()
            via = msg.getHFBody("via")
            if _key((via.getTAddr()[0], 0))[0] != _key((host, 0))[0]:
                via.params["received"] = str(host).strip("[]")
            via.params["rport"] = str(port)
            sent_host, sent_port = via.getAddr()
            if _key((sent_host, 0))[0] == _key((host, 0))[0]:
                self.tcp.alias((sent_host, sent_port or SipConf.default_port), (host, port))
        except Exception:
            log.exception("SIP/TCP: cannot note the connection of a request")
