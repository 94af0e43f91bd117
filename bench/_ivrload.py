"""The callers' media for ``bench/ivr_calls.py``: N phones inside IVR flows, one process.

``ivr_callers`` runs in a child process (``multiprocessing``, spawn) on one UDP socket
(``_rtpsock``); the SIP side is ``_sipload.sip_agent`` with ``hosted=True``, whose SDP
names this socket.  A caller is known by the port kefu sends its prompts from (its leg's
port: kefu's RTP is symmetric), so no port list is needed and the first prompt packet of a
call, which comes right after the 200 OK, is never missed.

Per caller, once its first packet arrives: 20 ms PCMU near-silence to kefu (a phone's
open microphone), spread over the period like independent phones, and this loop:

  listen   a prompt plays (a packet with speech energy: mean |sample| >= ``LOUD``) …
  quiet    … and then ``--quiet`` s pass without energy: the prompt ended, the menu
           waits; the caller keys a digit as RFC 4733 (start with marker, an update every
           20 ms, three end packets; 100 ms, audio muted meanwhile): ``1`` while the
           run goes on, ``2`` once the parent said ``finish`` and ``1`` was keyed once
  wait     latency = kernel receive time of the first packet with energy after the
           digit − send time of the digit's first end packet (kefu reports a key on its
           end packet).  No energy within ``LOST_AFTER`` s: the digit counts as lost and
           the caller stops keying.
  after 2  the flow says goodbye and kefu hangs up; the caller stops sending when its
           packets stop coming (``_sipload`` sees the BYE).

Messages: → ("port", p) at start; ← ("finish", t_monotonic): key 2 from then on;
← ("stop", None) → ("result", {...}).
"""

from __future__ import annotations

import select
import socket
import struct
import time

import numpy as np

from _rtpsock import HOST, open_rtp_socket, rx_time_ns
from _sipload import PTIME, ulaw_table

LOUD = 300.0           # mean |sample| (16-bit scale) of a frame with speech in it
LOST_AFTER = 5.0       # s after a digit without any prompt: the digit was lost
ENDED_AFTER = 3.0      # s without a packet from kefu: the call ended (it streams silence)
DTMF_PT = 101          # what _sipload.sdp offers (kefu answers with the offer's type)
DTMF_MS = 100
_HDR = struct.Struct("!BBHII")
_EVENT = struct.Struct("!BBH")
_DIGIT = {"1": 1, "2": 2}


class Caller:
    """One phone's media: its RTP stream to kefu and where it is in the loop."""

    __slots__ = ("port", "index", "seq", "ts", "frame", "state", "last_loud", "sent_at",
                 "digit", "keyed", "lat", "lost", "dtmf", "silent_since", "done")

    def __init__(self, port: int, index: int) -> None:
        self.port, self.index = port, index
        self.seq = self.ts = self.frame = 0
        self.state = "listen"         # listen → quiet → (keying) wait → listen … → done
        self.last_loud = 0.0
        self.sent_at = 0              # time_ns of the current digit's first end packet
        self.digit = ""
        self.keyed: list[str] = []    # digits sent, in order
        self.lat: list[tuple[str, float]] = []   # (digit, ms) per digit answered
        self.lost: list[str] = []
        self.dtmf: list[bytes] | None = None     # event packets still to send (None: audio)
        self.silent_since = 0.0       # last packet from kefu (the call ended when it stops)
        self.done = False


def ivr_callers(conn, quiet: float) -> None:
    """Child process: every caller's media.  ``quiet``: the silence (s) that ends a prompt."""
    try:
        _ivr_callers(conn, quiet)
    except KeyboardInterrupt:
        pass


def _event_packets(digit: str) -> list[bytes]:
    """The RFC 4733 payloads of one key press: updates every 20 ms, then three ends."""
    code, steps = _DIGIT[digit], DTMF_MS // 20
    out = [_EVENT.pack(code, 10, 160 * (k + 1)) for k in range(steps)]
    return out + [_EVENT.pack(code, 0x80 | 10, 160 * steps)] * 3


def _ivr_callers(conn, quiet: float) -> None:
    sock, _kernel_ts = open_rtp_socket()
    conn.send(("port", sock.getsockname()[1]))
    table = np.abs(ulaw_table()).astype(np.float64)
    silence = bytes([0xFF]) * 160
    callers: dict[int, Caller] = {}          # kefu's port → caller
    order: list[Caller] = []
    anc = socket.CMSG_SPACE(16)
    finish_at = [float("inf")]
    t0 = time.monotonic()
    slots = 20                               # send slots per 20 ms (callers spread over them)
    slot = 0
    counts = {"rx": 0, "tx": 0, "send_errors": 0, "late_frames": 0}

    def send(c: Caller, payload: bytes, pt: int, marker: bool, ts: int) -> None:
        pkt = _HDR.pack(0x80, (0x80 if marker else 0) | pt, c.seq, ts & 0xFFFFFFFF,
                        0x1B000 + c.index) + payload
        c.seq = (c.seq + 1) & 0xFFFF
        try:
            sock.sendto(pkt, (HOST, c.port))
            counts["tx"] += 1
        except OSError:
            counts["send_errors"] += 1

    def frame(c: Caller, now: float) -> None:
        """This caller's 20 ms: audio, or the next packet of a key press."""
        if c.dtmf is not None:
            first = len(c.dtmf) == DTMF_MS // 20 + 3
            payload = c.dtmf.pop(0)
            send(c, payload, DTMF_PT, first, c.ts)
            if payload[1] & 0x80 and c.sent_at == 0:
                c.sent_at = time.time_ns()
            if not c.dtmf:
                c.dtmf = None
                c.ts += 160 * (DTMF_MS // 20 + 1)
            return
        send(c, silence, 0, c.frame == 0, c.ts)
        c.ts += 160
        c.frame += 1
        if c.state == "quiet" and now - c.last_loud >= quiet:
            c.digit = "2" if now >= finish_at[0] and "1" in c.keyed else "1"
            c.keyed.append(c.digit)
            c.dtmf = _event_packets(c.digit)
            c.sent_at = 0
            c.state = "wait"
        elif c.state == "wait" and c.sent_at and time.time_ns() - c.sent_at > LOST_AFTER * 1e9:
            c.lost.append(c.digit)
            c.state = "done"

    def drain() -> None:
        while True:
            try:
                data, ancdata, _flags, addr = sock.recvmsg(2048, anc)
            except BlockingIOError:
                return
            rx_ns = rx_time_ns(ancdata)
            now = time.monotonic()
            counts["rx"] += 1
            c = callers.get(addr[1])
            if c is None:
                c = callers[addr[1]] = Caller(addr[1], len(order))
                order.append(c)
            c.silent_since = now
            if len(data) < 12 + 80 or data[1] & 0x7F != 0:
                continue
            body = np.frombuffer(data, dtype=np.uint8, offset=12)
            if table[body].mean() < LOUD:
                continue
            c.last_loud = now
            if c.state == "listen":
                c.state = "quiet"
            elif c.state == "wait" and c.sent_at:
                c.lat.append((c.digit, (rx_ns - c.sent_at) / 1e6))
                c.state = "done" if c.digit == "2" else "quiet"

    running = True
    while running:
        now = time.monotonic()
        # one send slot after another: caller k sends in slot k % slots of every 20 ms
        due = t0 + slot * PTIME / slots
        while due <= now:
            k = slot % slots
            for c in order[k::slots]:
                if not c.done and now - c.silent_since < ENDED_AFTER:
                    frame(c, now)
                elif not c.done:
                    c.done = True             # kefu stopped sending: the call ended
            if now - due > 0.010:
                counts["late_frames"] += 1
            slot += 1
            due = t0 + slot * PTIME / slots
        select.select([sock], [], [], max(0.0, due - time.monotonic()))
        drain()
        if conn.poll():
            kind, arg = conn.recv()
            if kind == "finish":
                finish_at[0] = arg
            elif kind == "stop":
                running = False
    sock.close()
    conn.send(("result", {
        **counts,
        "callers": [{"port": c.port, "keyed": c.keyed, "lat": c.lat, "lost": c.lost,
                     "state": c.state} for c in order],
    }))
