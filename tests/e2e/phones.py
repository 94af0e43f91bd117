"""Drive real baresip (Debian 1.0.0) processes as SIP phones in end-to-end tests.

Synchronous API, safe to use from several threads (one reader thread per phone
collects events from baresip's ``ctrl_tcp`` JSON-netstring interface)::

    with Baresip("alice", tmp_path, sip_port=5080, ctrl_port=5280,
                 user="1001", password="pw", registrar="127.0.0.1:5060",
                 audio_wav=tone, record_dir=tmp_path / "rec-alice") as a:
        a.wait_registered()
        a.dial("sip:1002@127.0.0.1:5060")
        a.wait_event("CALL_ESTABLISHED", timeout=10)
        ...
        a.hangup()
        a.wait_event("CALL_CLOSED")
        wavs = a.received_wav_paths()

Facts about baresip 1.0.0 this module relies on (read from its sources and
checked on this machine):

* ctrl_tcp accepts ONE connection and only sends events while connected, so
  events raised before we connect are lost.  We therefore start baresip with an
  empty ``accounts`` file and create the account with the ``uanew`` command
  once connected; REGISTERING / REGISTER_OK / REGISTER_FAIL are then seen.
* The call commands come from ``menu.so``.  ``sndcode``, ``hold``, ``resume``,
  ``transfer`` exist only while a call is up (otherwise the response is
  ``ok: false, data: "command not found (sndcode)"`` -> CommandError);
  ``dial`` also works during a call (a second line); ``accept`` and ``hangup``
  act on the current call of the (only) UA.
* Events carry ``type``, ``class``, ``accountaor``, ``param`` and, for calls,
  ``direction``, ``peeruri`` and ``id`` (the SIP Call-ID).  Seen on a call:
  caller CALL_LOCAL_SDP(offer), CALL_RINGING, CALL_REMOTE_SDP(answer),
  CALL_ESTABLISHED, CALL_RTPESTAB, CALL_RTCP...; callee CALL_INCOMING (param:
  caller URI; not emitted with answermode=auto), CALL_REMOTE_SDP(offer),
  CALL_LOCAL_SDP(answer), CALL_ESTABLISHED; both CALL_CLOSED (param: "Connection
  reset by user" for the side that hung up, "...by peer" for the other, or the
  SIP status like "404 Not Found" / "486 Rejected", or "end of file").
  Received RFC 4733 DTMF: CALL_DTMF_START (param: the digit), CALL_DTMF_END.
* No audio player module is loaded at all: baresip then still decodes incoming
  RTP and runs the decode filters, so ``sndfile.so`` records what the phone
  received in ``<snd_path>/dump-YYYY-MM-DD-HH-MM-SS-dec.wav`` (what it sent goes
  to ``...-enc.wav``), local time, one-second resolution.  The WAV header is
  only finished when the call's audio is torn down (just after CALL_CLOSED).
* ``aufile`` loads the whole source WAV when the call's audio starts and ends
  the call ("end of file": AUDIO_ERROR then CALL_CLOSED) once it has played.
  The WAV must be 16-bit mono; ``ausrc_srate 8000`` makes baresip resample an
  8 kHz file for G.722 (16 kHz) too.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Callable, Iterable

__all__ = [
    "Baresip",
    "BaresipError",
    "CommandError",
    "EventTimeout",
    "EventFailure",
    "find_free_ports",
    "port_is_free",
]

BARESIP = shutil.which("baresip") or "/usr/bin/baresip"
MODULE_PATH = "/usr/lib/baresip/modules"
LOOPBACK = "127.0.0.1"


class BaresipError(RuntimeError):
    """Baresip could not be started or misbehaved."""


class CommandError(BaresipError):
    """A ctrl_tcp command answered ``ok: false``."""

    def __init__(self, command: str, response: dict):
        self.command = command
        self.response = response
        super().__init__(f"baresip command {command!r} failed: {response.get('data')!r}")


class EventTimeout(BaresipError, TimeoutError):
    """The awaited event did not arrive in time."""


class EventFailure(BaresipError):
    """A failure event (e.g. REGISTER_FAIL, CALL_CLOSED) arrived instead of the awaited one."""

    def __init__(self, message: str, event: dict):
        self.event = event
        super().__init__(message)


# ----------------------------------------------------------------------------
# ports

def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """True if ``port`` can be bound on ``host`` for both UDP and TCP."""
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        s = socket.socket(socket.AF_INET, kind)
        try:
            if kind == socket.SOCK_STREAM:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
        except OSError:
            return False
        finally:
            s.close()
    return True


_port_lock = threading.Lock()
_handed_out: set[int] = set()


PORT_RANGE = (20000, 30000)      # SIP/ctrl ports handed out by find_free_ports
RTP_RANGE = (40000, 49998)       # default rtp_ports of every phone (disjoint)


def find_free_ports(count: int, start: int | None = None, step: int = 2,
                    span: int = 2) -> list[int]:
    """Return ``count`` ports ``p`` (``start``, ``start+step``, ...) where ``p`` to
    ``p+span-1`` are all free on 127.0.0.1 (UDP and TCP) and not handed out before
    by this process.  For baresip SIP ports use span=2 (it opens TLS on p+1).
    Without ``start`` the scan begins at a pid-derived offset in PORT_RANGE so
    that concurrent test processes rarely race for the same ports."""
    lo, hi = PORT_RANGE
    if start is None:
        start = lo + (os.getpid() * 97 * step) % (hi - lo)
    # wrap around inside PORT_RANGE, or scan up from an explicit start outside it
    first, end = (lo, hi) if lo <= start < hi else (start, 65536)
    found: list[int] = []
    with _port_lock:
        p = start
        for _ in range((end - first) // step + 1):
            if len(found) == count:
                break
            if p + span > end:
                p = first
            block = range(p, p + span)
            if not any(q in _handed_out for q in block) and all(port_is_free(q) for q in block):
                found.append(p)
                _handed_out.update(block)
            p += step
    if len(found) < count:
        raise BaresipError("no free ports left")
    return found


# ----------------------------------------------------------------------------
# netstrings

class NetstringDecoder:
    """Incremental netstring (``<len>:<payload>,``) decoder; tolerates partial input."""

    def __init__(self, max_len: int = 1 << 20):
        self._buf = bytearray()
        self._max = max_len

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        out: list[bytes] = []
        while True:
            colon = self._buf.find(b":")
            if colon < 0:
                if len(self._buf) > 20:
                    raise ValueError(f"bad netstring header: {bytes(self._buf[:20])!r}")
                return out
            head = bytes(self._buf[:colon])
            if not head.isdigit() or len(head) > 10:
                raise ValueError(f"bad netstring header: {head!r}")
            n = int(head)
            if n > self._max:
                raise ValueError(f"netstring too long: {n}")
            end = colon + 1 + n
            if len(self._buf) < end + 1:
                return out
            if self._buf[end] != ord(","):
                raise ValueError("netstring not terminated by ','")
            out.append(bytes(self._buf[colon + 1:end]))
            del self._buf[:end + 1]


def netstring(payload: bytes) -> bytes:
    return str(len(payload)).encode() + b":" + payload + b","


# ----------------------------------------------------------------------------

EventMatch = Callable[[dict], bool] | dict | None


def _matches(ev: dict, types: frozenset[str] | None, match: EventMatch) -> bool:
    if types is not None and ev.get("type") not in types:
        return False
    if match is None:
        return True
    if callable(match):
        return bool(match(ev))
    return all(ev.get(k) == v for k, v in match.items())


def _types(t: str | Iterable[str] | None) -> frozenset[str] | None:
    if t is None:
        return None
    if isinstance(t, str):
        return frozenset([t])
    return frozenset(t)


_CODEC_DEFAULTS = {"PCMU": "PCMU/8000/1", "PCMA": "PCMA/8000/1", "G722": "G722/16000/1"}


def _codec_list(codecs: str | Iterable[str] | None) -> str | None:
    """baresip's audio_codecs wants name/srate/ch and defaults srate to 8000,
    so a bare "G722" would not match G722/16000/1 (baresip then silently offers
    every codec).  Fill in the defaults for the codecs we load."""
    if not codecs:
        return None
    items = codecs.split(",") if isinstance(codecs, str) else list(codecs)
    out = []
    for c in (i.strip() for i in items):
        if c:
            out.append(c if "/" in c else _CODEC_DEFAULTS.get(c.upper(), c))
    return ",".join(out)


class Baresip:
    """One baresip process acting as a SIP phone, controlled over ctrl_tcp.

    Parameters
    ----------
    name:        label; also the SIP user when no ``user`` is given.
    tmp_dir:     directory for this phone: ``<tmp_dir>/<name>/`` gets the config
                 dir ``cfg/`` and the log ``baresip.log``.
    sip_port:    ``sip_listen 127.0.0.1:<sip_port>`` (UDP+TCP; TLS takes port+1,
                 so keep phones 2 apart).
    ctrl_port:   ``ctrl_tcp_listen 127.0.0.1:<ctrl_port>``.
    user, password, registrar ("host:port"), transport: the account.  With a
                 registrar the AOR is ``sip:<user>@<registrar>``; without one it
                 is ``sip:<user>@127.0.0.1:<sip_port>`` (peer-to-peer).
                 ``transport="tls"``: give the registrar's TLS port; baresip then
                 uses its TLS listener (sip_port+1) and connects with TLS.
    tls_cafile:  ``sip_cafile`` (PEM) baresip trusts for TLS servers, e.g. kefu's
                 self-signed ``<data_dir>/tls/cert.pem``.
    local_host:  the loopback address baresip binds SIP and RTP to (default
                 127.0.0.1; any 127.x.y.z works as a distinct source address).
                 ctrl_tcp always stays on 127.0.0.1.
    register:    send REGISTER (``regint``, seconds) — needs a registrar.
    audio_wav:   16-bit mono WAV (8 kHz) played into every call; must be longer
                 than the call or baresip hangs up when it ends.  ``None``: no
                 audio source (the phone sends no RTP).
    record_dir:  load ``sndfile.so`` and record into this directory (received
                 audio ``*-dec.wav``, sent audio ``*-enc.wav``).
    codecs:      optional ``audio_codecs`` account value (str "A,B" or list), e.g.
                 ``"PCMU"``, ``"PCMA"``, ``"G722"`` (expanded to G722/16000/1),
                 ``"PCMU,PCMA"``; default offers PCMU, PCMA, G722 in that order,
                 plus telephone-event/8000 (pt 101).
    answermode:  ``manual`` (default: incoming calls ring, call ``accept()``),
                 ``auto`` or ``early``.
    extra_config / extra_account_params: appended verbatim (escape hatch).
    """

    def __init__(self, name: str, tmp_dir, sip_port: int, ctrl_port: int, *,
                 user: str | None = None, password: str | None = None,
                 registrar: str | None = None, transport: str = "udp",
                 audio_wav=None, record_dir=None, register: bool = True,
                 regint: int = 600, codecs: str | None = None,
                 answermode: str = "manual", display_name: str | None = None,
                 rtp_ports: tuple[int, int] | None = RTP_RANGE,
                 extra_config: str = "", extra_account_params: str = "",
                 sip_trace: bool = False, binary: str = BARESIP,
                 local_host: str = LOOPBACK, tls_cafile=None):
        self.name = name
        self.user = user or name
        self.password = password
        self.registrar = registrar
        self.transport = transport
        self.sip_port = int(sip_port)
        self.ctrl_port = int(ctrl_port)
        self.audio_wav = Path(audio_wav).resolve() if audio_wav else None
        self.record_dir = Path(record_dir).resolve() if record_dir else None
        self.register = bool(register and registrar)
        self.regint = int(regint) if self.register else 0
        self.codecs = _codec_list(codecs)
        self.answermode = answermode
        self.display_name = display_name
        self.rtp_ports = rtp_ports
        self.extra_config = extra_config
        self.extra_account_params = extra_account_params
        self.sip_trace = sip_trace
        self.binary = binary
        self.local_host = local_host
        self.tls_cafile = Path(tls_cafile).resolve() if tls_cafile else None

        self.dir = Path(tmp_dir).resolve() / name
        self.cfg_dir = self.dir / "cfg"
        self.log_path = self.dir / "baresip.log"

        self.events: list[dict] = []          # every event, in arrival order
        self.responses: list[dict] = []       # every command response
        self._consumed: set[int] = set()      # indexes into events handed out by wait_event
        self._cond = threading.Condition()
        self._pending: dict[str, dict | None] = {}
        self._send_lock = threading.Lock()
        self._tokens = itertools.count(1)
        self._sock: socket.socket | None = None
        self._reader: threading.Thread | None = None
        self._reader_error: BaseException | None = None
        self._proc: subprocess.Popen | None = None
        self._log_fh = None
        self._closed = False

    # ------------------------------------------------------------------ setup
    @property
    def aor(self) -> str:
        host = self.registrar or f"{self.local_host}:{self.sip_port}"
        return f"sip:{self.user}@{host}"

    @property
    def contact_uri(self) -> str:
        """Where to send requests to this phone directly (peer-to-peer)."""
        return f"sip:{self.user}@{self.local_host}:{self.sip_port}"

    def account_line(self) -> str:
        tp = "" if self.transport.lower() == "udp" else f";transport={self.transport}"
        uri = f"<{self.aor}{tp}>"
        params = [f"regint={self.regint}", f"answermode={self.answermode}"]
        if self.password is not None:
            params.append(f"auth_user={self.user}")
            params.append(f"auth_pass={self.password}")
        if self.codecs:
            params.append(f"audio_codecs={self.codecs}")
        if self.extra_account_params:
            params.append(self.extra_account_params.lstrip(";"))
        line = uri + "".join(";" + p for p in params)
        if self.display_name:
            line = f'"{self.display_name}" {line}'
        return line

    def config_text(self) -> str:
        modules = ["g711.so", "g722.so"]
        if self.audio_wav:
            modules.append("aufile.so")
        if self.record_dir:
            modules.append("sndfile.so")
        lines = [
            "poll_method\t\tepoll",
            f"sip_listen\t\t{self.local_host}:{self.sip_port}",
            f"net_interface\t\t{self.local_host}",
            f"dns_server\t\t{LOOPBACK}:53",   # never resolve off-box
            "call_local_timeout\t120",
            "call_max_calls\t\t4",
            # no auplay module is loaded: decoding + decode filters still run
            (f"audio_source\t\taufile,{self.audio_wav}" if self.audio_wav
             else "#audio_source\t\t(none)"),
            "ausrc_srate\t\t8000",
            "ausrc_channels\t\t1",
            "audio_level\t\tno",
            "ausrc_format\t\ts16",
            "auplay_format\t\ts16",
            "auenc_format\t\ts16",
            "audec_format\t\ts16",
            "audio_buffer\t\t20-160",
            "rtp_tos\t\t\t0",
            "rtcp_mux\t\tno",
            "jitter_buffer_delay\t1-10",
            "rtp_stats\t\tno",
            f"module_path\t\t{MODULE_PATH}",
            *[f"module\t\t\t{m}" for m in modules],
            "module_tmp\t\taccount.so",
            "module_app\t\tmenu.so",
            "module_app\t\tctrl_tcp.so",
            f"ctrl_tcp_listen\t\t{LOOPBACK}:{self.ctrl_port}",
            "ringback_disabled\tyes",
            "statmode_default\toff",   # no per-call status line spam in the log
        ]
        if self.rtp_ports:
            lines.append(f"rtp_ports\t\t{self.rtp_ports[0]}-{self.rtp_ports[1]}")
        if self.record_dir:
            lines.append(f"snd_path\t\t{self.record_dir}")
        if self.tls_cafile:
            lines.append(f"sip_cafile\t\t{self.tls_cafile}")
        if self.extra_config:
            lines.append(self.extra_config)
        return "\n".join(lines) + "\n"

    def write_config(self) -> None:
        self.cfg_dir.mkdir(parents=True, exist_ok=True)
        (self.cfg_dir / "config").write_text(self.config_text())
        # Kept empty on purpose: the account is created with `uanew` once the
        # control connection is up, so no event is lost.  Written for reference:
        (self.cfg_dir / "accounts").write_text(
            "# created at runtime over ctrl_tcp with:\n# uanew " + self.account_line() + "\n")
        (self.cfg_dir / "contacts").write_text("")
        if self.record_dir:
            self.record_dir.mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------------ life
    def start(self, timeout: float = 10.0) -> "Baresip":
        if self._proc is not None:
            raise BaresipError(f"{self.name}: already started")
        if self.audio_wav and not self.audio_wav.is_file():
            raise BaresipError(f"{self.name}: audio_wav {self.audio_wav} does not exist")
        # a busy ctrl port could connect us to someone else's baresip
        for port, host in ((self.ctrl_port, LOOPBACK), (self.sip_port, self.local_host)):
            if not port_is_free(port, host):
                raise BaresipError(f"{self.name}: port {port} on {host} is in use")
        self.write_config()
        cmd = [self.binary, "-4", "-f", str(self.cfg_dir)]
        if self.sip_trace:
            cmd.append("-s")
        stdbuf = shutil.which("stdbuf")
        if stdbuf:  # line-buffered log, readable while running
            cmd = [stdbuf, "-oL", "-eL", *cmd]
        self._log_fh = open(self.log_path, "ab", buffering=0)
        self._proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=self._log_fh,
            stderr=subprocess.STDOUT, cwd=str(self.dir), start_new_session=True)
        try:
            self._connect(timeout)
            self._reader = threading.Thread(target=self._read_loop,
                                            name=f"baresip-{self.name}", daemon=True)
            self._reader.start()
            self.command("uanew", self.account_line(), timeout=timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _connect(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise BaresipError(
                    f"{self.name}: baresip exited with {self._proc.returncode}:\n{self.log_tail()}")
            try:
                s = socket.create_connection((LOOPBACK, self.ctrl_port), timeout=1.0)
            except OSError as exc:
                last = exc
                time.sleep(0.05)
                continue
            s.settimeout(None)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock = s
            return
        raise BaresipError(f"{self.name}: cannot connect to ctrl_tcp "
                           f"{LOOPBACK}:{self.ctrl_port}: {last}\n{self.log_tail()}")

    def _read_loop(self) -> None:
        dec = NetstringDecoder()
        sock = self._sock
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                for payload in dec.feed(data):
                    try:
                        msg = json.loads(payload.decode("utf-8", "replace"))
                    except ValueError:
                        msg = {"event": True, "type": "?UNPARSEABLE", "raw": payload.decode("latin-1")}
                    self._dispatch(msg)
        except (OSError, ValueError) as exc:
            if not self._closed:
                self._reader_error = exc
        finally:
            with self._cond:
                self._cond.notify_all()

    def _dispatch(self, msg: dict) -> None:
        with self._cond:
            if msg.get("response"):
                self.responses.append(msg)
                tok = msg.get("token")
                if tok in self._pending:
                    self._pending[tok] = msg
            else:
                msg["_t"] = time.monotonic()
                self.events.append(msg)
            self._cond.notify_all()

    def stop(self, timeout: float = 3.0) -> int | None:
        """Quit baresip (``quit`` command, then SIGTERM, then SIGKILL); always reaps."""
        if self._closed:
            return self._proc.returncode if self._proc else None
        self._closed = True
        proc = self._proc
        if proc is not None and proc.poll() is None and self._sock is not None:
            try:
                with self._send_lock:
                    self._sock.sendall(netstring(json.dumps(
                        {"command": "quit", "token": "quit"}).encode()))
            except OSError:
                pass
        if proc is not None:
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                # `quit` = graceful ua_stop_all, which waits for BYE/un-REGISTER
                # transactions (up to 32 s if the peer is gone).  baresip's
                # signal handler: 1st signal = the same graceful stop, 2nd = exit.
                for sig, wait in ((signal.SIGTERM, 0.3), (signal.SIGTERM, 2.0),
                                  (signal.SIGKILL, 5.0)):
                    try:
                        os.killpg(proc.pid, sig)
                    except ProcessLookupError:
                        pass
                    try:
                        proc.wait(timeout=wait)
                        break
                    except subprocess.TimeoutExpired:
                        continue
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._sock.close()
        if self._reader is not None:
            self._reader.join(timeout=2.0)
        if self._log_fh is not None:
            self._log_fh.close()
            self._log_fh = None
        with self._cond:
            self._cond.notify_all()
        return proc.returncode if proc else None

    close = stop

    def __enter__(self) -> "Baresip":
        if self._proc is None:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def log_tail(self, n: int = 60) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])

    # --------------------------------------------------------------- commands
    def command(self, command: str, params: str | None = None, timeout: float = 5.0,
                check: bool = True) -> dict:
        """Run a baresip command; returns the response dict
        ``{"response": true, "ok": bool, "data": str, "token": str}``."""
        if self._sock is None or self._closed:
            raise BaresipError(f"{self.name}: not running")
        token = f"t{next(self._tokens)}"
        msg = {"command": command, "token": token}
        if params is not None:
            msg["params"] = params
        with self._cond:
            self._pending[token] = None
        try:
            with self._send_lock:
                self._sock.sendall(netstring(json.dumps(msg).encode()))
            deadline = time.monotonic() + timeout
            with self._cond:
                while self._pending[token] is None:
                    left = deadline - time.monotonic()
                    if left <= 0 or self._reader_error or not self._reader.is_alive():
                        raise BaresipError(
                            f"{self.name}: no response to {command!r} "
                            f"({self._reader_error or 'timeout'})\n{self.log_tail(20)}")
                    self._cond.wait(left)
                resp = self._pending[token]
        finally:
            with self._cond:
                self._pending.pop(token, None)
        if check and not resp.get("ok"):
            raise CommandError(f"{command} {params or ''}".strip(), resp)
        return resp

    def dial(self, uri: str) -> dict:
        """Call ``uri`` (only while no call is up: ``dial`` is a menu idle command)."""
        return self.command("dial", uri)

    def accept(self) -> dict:
        """Answer the current incoming call (``accept``)."""
        return self.command("accept")

    def hangup(self) -> dict:
        """Hang up (or reject / cancel) the current call."""
        return self.command("hangup")

    def send_dtmf(self, digits: str) -> dict:
        """Send DTMF as RFC 4733 telephone-events (``sndcode``); needs a call up and
        ``telephone-event`` in the peer's SDP, otherwise baresip silently sends
        nothing.  Each digit lasts ~240 ms on the wire (digits are queued)."""
        return self.command("sndcode", digits)

    def hold(self) -> dict:
        """Put the current call on hold (re-INVITE with a=sendonly)."""
        return self.command("hold")

    def resume(self) -> dict:
        """Take the current call off hold (re-INVITE with a=sendrecv)."""
        return self.command("resume")

    def transfer(self, uri: str) -> dict:
        """Blind transfer (REFER) of the current call to ``uri``.  The transferee
        baresip reports TRANSFER (param: the Refer-To URI) and dials it itself."""
        return self.command("transfer", uri)

    def set_answermode(self, mode: str) -> dict:
        return self.command("answermode", mode)

    def list_calls(self) -> str:
        return self.command("listcalls").get("data", "")

    def reginfo(self) -> str:
        return self.command("reginfo").get("data", "")

    # ----------------------------------------------------------------- events
    def wait_event(self, types: str | Iterable[str] | None = None, timeout: float = 10.0,
                   match: EventMatch = None, fail_on: str | Iterable[str] | None = None,
                   consume: bool = True) -> dict:
        """Return the earliest not-yet-consumed event whose ``type`` is in ``types``
        (and that satisfies ``match``: a dict of field values or a predicate),
        waiting up to ``timeout`` seconds.  Events that arrived before the call
        count.  If an unconsumed event of a type in ``fail_on`` comes first,
        raise EventFailure.  Raises EventTimeout on timeout."""
        want = _types(types)
        bad = _types(fail_on) or frozenset()
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i, ev in enumerate(self.events):
                    if i in self._consumed:
                        continue
                    if _matches(ev, want, match):
                        if consume:
                            self._consumed.add(i)
                        return ev
                    if ev.get("type") in bad:
                        self._consumed.add(i)
                        raise EventFailure(
                            f"{self.name}: got {ev.get('type')} ({ev.get('param')!r}) "
                            f"while waiting for {sorted(want) if want else 'any event'}", ev)
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [e.get("type") for e in self.events]
                    raise EventTimeout(
                        f"{self.name}: no {sorted(want) if want else 'event'} within "
                        f"{timeout}s; events so far: {seen}\n{self.log_tail(25)}")
                if self._reader is not None and not self._reader.is_alive() and not self.running:
                    raise BaresipError(f"{self.name}: baresip is gone\n{self.log_tail(25)}")
                self._cond.wait(min(left, 0.5))

    def wait_registered(self, timeout: float = 10.0) -> dict:
        """Wait for REGISTER_OK; raise EventFailure carrying the REGISTER_FAIL event
        (``param`` e.g. "403 Forbidden") if the registrar refuses."""
        return self.wait_event("REGISTER_OK", timeout, fail_on="REGISTER_FAIL")

    def wait_incoming(self, timeout: float = 10.0) -> dict:
        return self.wait_event("CALL_INCOMING", timeout, fail_on="CALL_CLOSED")

    def wait_established(self, timeout: float = 10.0) -> dict:
        return self.wait_event("CALL_ESTABLISHED", timeout, fail_on="CALL_CLOSED")

    def wait_closed(self, timeout: float = 10.0) -> dict:
        return self.wait_event("CALL_CLOSED", timeout)

    def event_types(self) -> list[str]:
        with self._cond:
            return [e.get("type") for e in self.events]

    def dtmf_received(self) -> str:
        """Digits reported by CALL_DTMF_START events so far (not consumed)."""
        with self._cond:
            return "".join(e.get("param", "") for e in self.events
                           if e.get("type") == "CALL_DTMF_START")

    def drain(self) -> None:
        """Mark every event so far as consumed."""
        with self._cond:
            self._consumed.update(range(len(self.events)))

    # ------------------------------------------------------------- recordings
    def _recordings(self, suffix: str, wait: bool, timeout: float) -> list[Path]:
        if not self.record_dir:
            raise BaresipError(f"{self.name}: no record_dir configured")
        deadline = time.monotonic() + timeout
        while True:
            files = sorted(self.record_dir.glob(f"dump-*-{suffix}.wav"),
                           key=lambda p: (p.stat().st_mtime, p.name))
            if not wait or all(_wav_finalised(p) for p in files) or time.monotonic() > deadline:
                return files
            time.sleep(0.05)

    def received_wav_paths(self, wait: bool = True, timeout: float = 3.0) -> list[Path]:
        """WAVs of decoded incoming audio (``dump-<time>-dec.wav``), oldest first.
        With ``wait`` (default) wait until their headers are finalised (call
        audio torn down).  Two calls starting within the same second on one phone
        share a file name: the later overwrites the earlier."""
        return self._recordings("dec", wait, timeout)

    def sent_wav_paths(self, wait: bool = True, timeout: float = 3.0) -> list[Path]:
        """WAVs of the audio this phone encoded and sent (``dump-<time>-enc.wav``)."""
        return self._recordings("enc", wait, timeout)

    def __repr__(self) -> str:
        return f"<Baresip {self.name} sip={self.sip_port} ctrl={self.ctrl_port} pid={self.pid}>"


def _wav_finalised(path: Path) -> bool:
    """libsndfile writes the RIFF sizes on close; until then the header says 0."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
        size = path.stat().st_size
    except OSError:
        return False
    if len(head) < 12 or head[:4] != b"RIFF":
        return False
    return int.from_bytes(head[4:8], "little") + 8 == size
