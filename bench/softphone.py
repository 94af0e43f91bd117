#!/usr/bin/env python
"""Benchmark the WebRTC softphone: answer click -> two-way audio, and 50 persistent lines.

One ``kefu serve`` (subprocess, 127.0.0.1, its own data directory, recording on, 127.0.0.1
trusted) with one queue ``bench`` (number 8001, longest idle, no wrap-up) whose members
are the agents a01..aNN; the agents' users and every extension (agents 1001.., callers
2001..) are made through the API.  Three processes besides kefu:

``browsers``  one process of NN aiortc peers standing in for the agents' browsers, ICE on
              127.0.0.1 only.  Each agent logs in (``POST /agents/{u}/login {device:
              "webrtc"}``, its own token), its peer's offer goes to ``POST /api/v1/lines``
              and kefu's answer back to the peer.  Like the desktop, a peer sends nothing
              while its line is idle; from its call's offer until the call ends it plays
              a 1000 Hz tone (``--idle-send``: for as long as the line is up, as the
              desktop did before 2026-11-27), handed to aiortc as PCMU packets, as a browser's
              native encoder would: aiortc's Python encoder path would cost the generator
              more than kefu).  A hook on aiortc's RTP receiver sees every packet kefu sends
              (SRTP removed): arrival time, sequence number, µ-law payload.  a01's peer
              (every peer with ``--full-browsers``) also runs aiortc's jitter buffer and
              decoder, and its decoded frames are what "play" measures; the other peers
              count and check packets only, and their "play" time is aiortc's jitter-buffer
              rule applied to the arrivals (frame k is decoded when frame k+4 arrives:
              JitterBuffer(capacity=16, prefetch=4)).
``callers``   one process of real SIP UAs (sippy; INVITE to 8001 with digest auth) and one
              RTP socket for every call's media: each call sends a 440 Hz tone (µ-law,
              20 ms) and checks what it hears, frame by frame, for the agent's 1000 Hz.
``driver``    this process: HTTP API (one keep-alive connection), orchestration, CPU.

A 20 ms frame is "dominated" by a tone when at least half its energy is at that frequency
(single-bin DFT of its 160 samples, as Goertzel) and its RMS is above 300.

Phase 1, answer click -> two-way audio (``--calls`` K, default 10): only a01 is logged in,
with its line up; K calls one after another.  For each: the caller dials 8001, kefu
answers it and plays hold music, the driver polls ``GET /agents/a01`` until ``reserved``,
arms both detectors, takes t0 and posts ``POST /agents/a01/answer``.  From t0, in ms:
  browser rtp   first 440-dominated RTP packet at the browser (network arrival)
  browser play  the decoded frame of that packet out of aiortc's jitter buffer (~80 ms
                later; a browser's NetEQ holds a similar amount on a clean network)
  caller        first 1000-dominated frame at the caller: the agent's voice reached it
  two-way       max(browser play, caller): both sides hear each other (target < 300 ms)
The same figures are taken for every call of phase 2's ramp (every line up, 0..M-1 calls
already in progress).

Phase 2 (``--agents`` NN=50, ``--in-calls`` M=25, ``--seconds`` S=20): the other agents
log in and open their lines; kefu's CPU is read over ``--idle-seconds`` with every line up
and no call; then M callers dial one after another and each offer is answered through the
API; after a 1 s settle, a window of S seconds (its bounds are sent to both generator
processes, so each counts only what arrives inside it):
  lines         lines still connected at the end of the window
  kefu% idle%   kefu's CPU (all threads) over the window, and with the lines idle;
  brows% call% drv%  the browsers process, the callers process, this driver; all utime +
                stime from /proc/<pid>/stat, % of one core
  browser rx/exp  RTP packets the M in-call browsers received / expected (50/s each)
  lost%         of the packets kefu sent them in the window (the span of the RTP sequence
                numbers seen), those that never arrived
  caller rx/exp, lost%  the same for what the M callers received
  b>k lost%     of the packets the browsers sent in the window, those kefu's aiortc
                reported lost in its RTCP receiver reports (delta over the window)
Below the table: frames checked for the other side's tone, what the idle lines received
(kefu sends idle lines nothing), set-up times, problems, kefu's log, load average.
Then the callers hang up, the browsers close their lines, every process is stopped.

Usage:
  /work/venv/bin/python bench/softphone.py [--calls 10] [--agents 50] [--in-calls 25]
        [--seconds 20] [--idle-seconds 3] [--line-timeout 30] [--ramp-timeout 30]
        [--full-browsers] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import functools
import multiprocessing as mp
import os
import random
import select
import struct
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _kefu  # noqa: E402
from _kefu import Api, expect  # noqa: E402
import _sipload  # noqa: E402
from _rtpsock import HOST, open_rtp_socket  # noqa: E402
from kefu.media.codecs import ulaw_decode, ulaw_encode  # noqa: E402

RATE = 8000
FRAME = 160                      # 20 ms at 8 kHz
PTIME = 0.02
CALLER_HZ = 440.0                # what the callers play
AGENT_HZ = 1000.0                # what the browsers play
QUEUE_NUMBER = "8001"
AGENT_PW = "bench-agent-pw-1"
SHARE = 0.5                      # a frame is dominated by a tone: >= half its energy
MIN_RMS = 300.0                  # ... and not near silence
_HDR = struct.Struct("!BBHII")


# --- tones ----------------------------------------------------------------------------------

@functools.lru_cache(maxsize=8)
def _basis(freq: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    w = 2 * np.pi * freq / RATE * np.arange(n)
    return np.cos(w), np.sin(w)


def tone_share(pcm: np.ndarray, freq: float) -> float:
    """The share of a frame's energy at ``freq`` (single-bin DFT, as Goertzel); 0 when the
    frame is near silence.  A pure tone gives ~1 whatever its phase."""
    x = pcm.astype(np.float64)
    n = x.shape[0]
    e = float(x @ x)
    if n == 0 or e < n * MIN_RMS * MIN_RMS:
        return 0.0
    c, s = _basis(freq, n)
    i, q = float(x @ c), float(x @ s)
    return 2.0 * (i * i + q * q) / (n * e)


def tone_frames(freq: float) -> list[np.ndarray]:
    """One second of a tone (continuous phase when looped: 440 and 1000 Hz both fit a
    whole number of periods in a second) as 50 frames of 160 samples."""
    t = np.arange(RATE) / RATE
    pcm = (8000 * np.sin(2 * np.pi * freq * t)).astype(np.int16)
    return [pcm[k * FRAME:(k + 1) * FRAME] for k in range(RATE // FRAME)]


class SeqSpan:
    """Packets counted inside a window and the span of their (extended) RTP sequence
    numbers: span - count = packets sent in the window that never arrived."""

    __slots__ = ("ext", "lo", "hi", "count")

    def __init__(self) -> None:
        self.ext: int | None = None
        self.lo = self.hi = None
        self.count = 0

    def add(self, seq: int, inside: bool) -> None:
        if self.ext is None:
            self.ext = seq
        else:
            self.ext += ((seq - (self.ext & 0xFFFF) + 0x8000) & 0xFFFF) - 0x8000
        if inside:
            self.count += 1
            self.lo = self.ext if self.lo is None else min(self.lo, self.ext)
            self.hi = self.ext if self.hi is None else max(self.hi, self.ext)

    def span(self) -> int:
        return 0 if self.lo is None else self.hi - self.lo + 1


# --- the browsers (child process) -----------------------------------------------------------

def browsers_child(conn, host: str, idle_send: bool) -> None:
    """Child process: aiortc peers, one per agent.  Messages from the driver:
    ("offer", i, full) -> ("offer", i, sdp); ("answer", i, sdp) -> ("state", i, s) as the
    connection moves; ("arm", i) -> ("armed", i), later ("heard", i, t_rtp, t_rule,
    t_play or None); ("window", ta, tb); ("report",) -> ("report", [...]);
    ("close",) -> ("closed", None)."""
    try:
        asyncio.run(_browsers(conn, host, idle_send))
    except KeyboardInterrupt:
        pass


async def _browsers(conn, host: str, idle_send: bool) -> None:
    import aioice.ice
    import av
    from aiortc import (MediaStreamTrack, RTCConfiguration, RTCPeerConnection,
                        RTCSessionDescription)
    from aiortc.mediastreams import MediaStreamError
    from aiortc.rtcrtpreceiver import RTCRtpReceiver

    # ICE on 127.0.0.1 only (aioice leaves loopback out by default), as kefu does
    aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=True: [host]

    original = RTCRtpReceiver._handle_rtp_packet

    async def hooked(self, packet, arrival_time_ms):  # type: ignore[no-untyped-def]
        peer = getattr(self, "bench_peer", None)
        if peer is not None:
            peer.on_rtp(packet)
        if peer is None or peer.full:           # aiortc's jitter buffer and decoder
            await original(self, packet, arrival_time_ms)

    RTCRtpReceiver._handle_rtp_packet = hooked

    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue = asyncio.Queue()
    window = [float("inf"), float("inf")]
    payloads = [ulaw_encode(f) for f in tone_frames(AGENT_HZ)]
    tb = fractions.Fraction(1, RATE)

    def send(*msg) -> None:
        conn.send(msg)

    class Tone(MediaStreamTrack):
        """The microphone: 1000 Hz, handed to aiortc already encoded (PCMU packets), as a
        browser's native encoder would; paced on its own clock."""

        kind = "audio"

        def __init__(self, on: bool) -> None:
            super().__init__()
            self.n = 0
            self.t0: float | None = None
            self.late = 0
            self.on = asyncio.Event()         # off: nothing is sent (the desktop's idle line)
            if on:
                self.on.set()

        async def recv(self):  # type: ignore[override]
            if not self.on.is_set():
                await self.on.wait()
                self.t0 = None                # pacing starts over from now
            now = time.monotonic()
            if self.t0 is None:
                self.t0 = now - self.n * PTIME
            wait = self.t0 + self.n * PTIME - now
            if wait > 0:
                await asyncio.sleep(wait)
            elif wait < -0.2:                     # starved for 200 ms: start over
                self.late += 1
                self.t0 = now - self.n * PTIME
            packet = av.Packet(payloads[self.n % 50])
            packet.pts, packet.time_base = self.n * FRAME, tb
            self.n += 1
            return packet

    class Peer:
        def __init__(self, i: int, full: bool) -> None:
            self.i, self.full = i, full
            self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
            self.tone = Tone(idle_send)
            self.pc.addTrack(self.tone)
            for tr in self.pc.getTransceivers():
                tr.receiver.bench_peer = self
            self.rtp_rx = 0
            self.win = SeqSpan()
            self.checked = self.caller = 0        # frames checked for 440 Hz in the window
            self.play_rx = self.play_win = 0
            self.armed = False
            self.heard_rtp: float | None = None
            self.heard_seq = self.heard_ts = 0
            self.ts_origin: int | None = None     # the first RTP timestamp (aiortc's origin)
            self.heard_emu: float | None = None   # aiortc's jitter-buffer rule, emulated
            self.heard_play: float | None = None
            self.snaps: dict[str, dict] = {}

            @self.pc.on("connectionstatechange")
            def on_state() -> None:
                send("state", self.i, self.pc.connectionState)

            if full:
                @self.pc.on("track")
                def on_track(track) -> None:  # type: ignore[no-untyped-def]
                    asyncio.ensure_future(self.read(track))

        def on_rtp(self, packet) -> None:  # type: ignore[no-untyped-def]
            t = time.monotonic()
            self.rtp_rx += 1
            if self.ts_origin is None:
                self.ts_origin = packet.timestamp
            inside = window[0] <= t < window[1]
            self.win.add(packet.sequence_number, inside)
            if packet.payload_type != 0:
                return
            if self.armed:
                if self.heard_rtp is None:
                    if tone_share(ulaw_decode(packet.payload), CALLER_HZ) >= SHARE:
                        self.heard_rtp, self.heard_seq = t, self.win.ext
                        self.heard_ts = packet.timestamp
                elif self.heard_emu is None and self.win.ext >= self.heard_seq + 4:
                    # aiortc's audio JitterBuffer(capacity=16, prefetch=4) hands frame k
                    # to the decoder when frame k+4 arrives
                    self.heard_emu = t
                self.maybe_heard()
            elif inside and packet.sequence_number % 5 == 0:
                self.checked += 1
                self.caller += tone_share(ulaw_decode(packet.payload), CALLER_HZ) >= SHARE

        async def read(self, track) -> None:  # type: ignore[no-untyped-def]
            try:
                while True:
                    frame = await track.recv()
                    t = time.monotonic()
                    self.play_rx += 1
                    if window[0] <= t < window[1]:
                        self.play_win += 1
                    if self.armed and self.heard_play is None and self.heard_rtp is not None:
                        # the decoded frame of the first 440 Hz packet (not frames the
                        # jitter buffer still held from before the answer): aiortc's pts
                        # is the RTP timestamp less the first packet's
                        ts = (self.ts_origin + frame.pts) & 0xFFFFFFFF
                        if (ts - self.heard_ts) & 0xFFFFFFFF < 0x80000000:
                            pcm = frame.to_ndarray().reshape(-1)
                            if tone_share(pcm[::max(1, frame.sample_rate // RATE)],
                                          CALLER_HZ) >= SHARE:
                                self.heard_play = t
                                self.maybe_heard()
            except MediaStreamError:
                pass                              # the line closed

        def maybe_heard(self) -> None:
            if self.heard_rtp is not None and self.heard_emu is not None and \
                    (self.heard_play is not None or not self.full):
                self.armed = False
                send("heard", self.i, self.heard_rtp, self.heard_emu, self.heard_play)

        async def snapshot(self, label: str) -> None:
            snap = {"sent": self.tone.n}
            try:
                report = await self.pc.getStats()
            except Exception:                     # closing: no figures
                report = {}
            for st in report.values():
                if st.type == "remote-inbound-rtp":         # kefu's RR on our stream
                    snap["rr_lost"] = st.packetsLost
            self.snaps[label] = snap

        def report(self) -> dict:
            return {"i": self.i, "full": self.full, "state": self.pc.connectionState,
                    "sent": self.tone.n, "late": self.tone.late, "rtp_rx": self.rtp_rx,
                    "rtp_win": self.win.count, "span_win": self.win.span(),
                    "play_rx": self.play_rx, "play_win": self.play_win,
                    "checked": self.checked, "caller": self.caller, "snaps": self.snaps}

    peers: dict[int, Peer] = {}

    async def snapshot_all(label: str) -> None:
        await asyncio.gather(*(p.snapshot(label) for p in peers.values()))

    def reader() -> None:
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                msg = ("close",)
            loop.call_soon_threadsafe(inbox.put_nowait, msg)
            if msg[0] == "close":
                return

    threading.Thread(target=reader, daemon=True).start()
    send("ready", os.getpid())
    while True:
        msg = await inbox.get()
        kind = msg[0]
        if kind == "offer":
            p = peers[msg[1]] = Peer(msg[1], msg[2])
            await p.pc.setLocalDescription(await p.pc.createOffer())
            send("offer", p.i, p.pc.localDescription.sdp)
        elif kind == "answer":
            p = peers[msg[1]]
            await p.pc.setRemoteDescription(RTCSessionDescription(sdp=msg[2], type="answer"))
        elif kind == "arm":                       # the offer is there: the mic goes live
            p = peers[msg[1]]
            p.armed, p.heard_rtp, p.heard_emu, p.heard_play = True, None, None, None
            p.tone.on.set()
            send("armed", p.i)
        elif kind == "quiet":                     # the call is over: the line goes idle
            if not idle_send:
                peers[msg[1]].tone.on.clear()
        elif kind == "window":
            window[:] = [msg[1], msg[2]]
            for label, at in (("a", msg[1]), ("b", msg[2])):
                loop.call_at(at, lambda label=label: asyncio.ensure_future(snapshot_all(label)))
        elif kind == "report":
            send("report", [p.report() for p in peers.values()])
        elif kind == "close":
            await asyncio.wait_for(asyncio.gather(*(p.pc.close() for p in peers.values()),
                                                  return_exceptions=True), 15)
            send("closed", None)
            return


# --- the callers (child process) ------------------------------------------------------------

class Stream:
    """One call's media at the caller: 440 Hz out, what comes back checked for 1000 Hz."""

    def __init__(self, i: int, port: int, due: float) -> None:
        self.i, self.addr = i, (HOST, port)
        self.seq, self.ts = random.randint(0, 0xFFFF), random.randint(0, 0xFFFFFFFF)
        self.ssrc = 0x5A0000 + i
        self.n = 0
        self.due = due
        self.sent_win = 0
        self.rx = 0
        self.win = SeqSpan()
        self.checked = 0                          # frames checked for 1000 Hz in the window
        self.agent = 0                            # ... and dominated by it
        self.armed = False
        self.heard: float | None = None


def callers_child(conn, kefu_port: int, passwords: dict[str, str]) -> None:
    """Child process: SIP callers (sippy) and their RTP.  Messages from the driver:
    ("dial", i, ext, number) -> ("up", i, port) or ("fail", i, reason); ("hangup", i);
    ("arm", i) -> ("armed", i), later ("heard", i, t); ("window", ta, tb);
    ("report",) -> ("report", {...}); ("quit",).  ("down", i, why) when kefu ends a call."""
    try:
        _callers(conn, kefu_port, passwords)
    except KeyboardInterrupt:
        pass


def _callers(conn, kefu_port: int, passwords: dict[str, str]) -> None:
    from sippy.CCEvents import CCEventConnect, CCEventDisconnect, CCEventFail, CCEventTry
    from sippy.Core.EventDispatcher import ED2
    from sippy.MsgBody import MsgBody
    from sippy.SipConf import SipConf
    from sippy.SipTransactionManager import SipTransactionManager
    from sippy.UA import UA

    send_lock = threading.Lock()

    def send(*msg) -> None:
        with send_lock:
            conn.send(msg)

    sock, _ = open_rtp_socket()
    rtp_port = sock.getsockname()[1]
    payloads = [ulaw_encode(f) for f in tone_frames(CALLER_HZ)]
    lock = threading.Lock()
    streams: dict[int, Stream] = {}
    by_port: dict[int, Stream] = {}
    window = [float("inf"), float("inf")]
    stats = {"late": 0, "foreign": 0, "late_max": 0.0}
    stop = threading.Event()

    def rtp_loop() -> None:
        hdr = _HDR.pack
        while not stop.is_set():
            now = time.monotonic()
            nxt = now + PTIME
            with lock:
                for s in streams.values():
                    while s.due <= now:
                        late = now - s.due
                        if window[0] <= s.due < window[1]:
                            s.sent_win += 1
                            stats["late_max"] = max(stats["late_max"], late)
                        if late > 0.2:            # starved: do not burst, start over
                            stats["late"] += 1
                            s.due = now
                        pkt = hdr(0x80, 0x80 if s.n == 0 else 0, s.seq, s.ts, s.ssrc) + \
                            payloads[s.n % 50]
                        s.seq, s.ts, s.n = (s.seq + 1) & 0xFFFF, (s.ts + FRAME) & 0xFFFFFFFF, \
                            s.n + 1
                        s.due += PTIME
                        try:
                            sock.sendto(pkt, s.addr)
                        except OSError:
                            pass
                    nxt = min(nxt, s.due)
            select.select([sock], [], [], max(0.0, nxt - time.monotonic()))
            while True:
                try:
                    data, addr = sock.recvfrom(2048)
                except (BlockingIOError, OSError):
                    break
                t = time.monotonic()
                with lock:
                    s = by_port.get(addr[1])
                    if s is None or len(data) < 12:
                        stats["foreign"] += 1
                        continue
                    s.rx += 1
                    inside = window[0] <= t < window[1]
                    seq = (data[2] << 8) | data[3]
                    s.win.add(seq, inside)
                    watch = s.armed and s.heard is None
                    check = inside and seq % 5 == 0       # every 5th frame in the window
                if watch or check:
                    share = tone_share(ulaw_decode(data[12:]), AGENT_HZ)
                    with lock:
                        if check:
                            s.checked += 1
                            s.agent += share >= SHARE
                        if watch and share >= SHARE:
                            s.heard, s.armed = t, False
                            send("heard", s.i, t)

    my_port = _sipload.free_udp_tcp_port()
    SipConf.my_address = HOST
    SipConf.my_port = my_port
    SipConf.my_uaname = "kefu-softphone-bench"
    gc: dict = {"_sip_address": HOST, "_sip_port": my_port, "_sip_logger": _sipload.quiet_logger()}
    uas: dict[int, object] = {}
    setup_t0: dict[int, float] = {}
    hanging: set[int] = set()

    def on_request(req, sip_t):  # type: ignore[no-untyped-def]
        code = 200 if req.getMethod() == "OPTIONS" else 405
        return (req.genResponse(code, "Not Here"), None, None)

    def event(i: int, ev, ua) -> None:  # type: ignore[no-untyped-def]
        if isinstance(ev, CCEventConnect):
            _code, _reason, body = ev.getData()
            port = _sipload.sdp_port(body)
            if port is None:
                send("fail", i, "no SDP in the 200")
                return
            with lock:
                s = Stream(i, port, time.monotonic())
                streams[i] = by_port[port] = s
            send("up", i, port, (time.monotonic() - setup_t0[i]) * 1000)
        elif isinstance(ev, CCEventFail):
            data = ev.getData()
            send("fail", i, f"{data[0]} {data[1]}" if data else "fail")
            end_stream(i)
        elif isinstance(ev, CCEventDisconnect):
            if i not in hanging:
                send("down", i, "BYE from kefu")
            end_stream(i)

    def end_stream(i: int) -> None:
        with lock:
            s = streams.pop(i, None)
            if s is not None:
                by_port.pop(s.addr[1], None)

    def dial(i: int, ext: str, number: str) -> None:
        ua = UA(gc, event_cb=functools.partial(event, i), username=ext,
                password=passwords[ext], nh_address=(HOST, kefu_port))
        uas[i] = ua
        setup_t0[i] = time.monotonic()
        ua.recvEvent(CCEventTry((None, ext, number, MsgBody(_sipload.sdp(rtp_port, 7000 + i)),
                                 None, f"Caller {ext}"), origin="bench"))

    def hangup(i: int) -> None:
        hanging.add(i)
        ua = uas.pop(i, None)
        end_stream(i)
        if ua is not None and ua.state is not None and not ua.state.dead:
            ua.recvEvent(CCEventDisconnect(origin="bench"))

    def report() -> dict:
        with lock:
            return {"streams": [{"i": s.i, "sent_win": s.sent_win, "rx": s.rx,
                                 "rx_win": s.win.count, "span_win": s.win.span(),
                                 "checked": s.checked, "agent": s.agent}
                                for s in streams.values()], **stats}

    def handle(msg) -> None:  # type: ignore[no-untyped-def]
        kind = msg[0]
        if kind == "dial":
            dial(*msg[1:])
        elif kind == "hangup":
            hangup(msg[1])
        elif kind == "quit":
            for i in list(uas):
                hangup(i)
            ED2.breakLoop()

    def reader() -> None:
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                msg = ("quit",)
            kind = msg[0]
            if kind == "arm":
                with lock:
                    s = streams.get(msg[1])
                    if s is not None:
                        s.armed, s.heard = True, None
                send("armed", msg[1])
            elif kind == "window":
                with lock:
                    window[:] = [msg[1], msg[2]]
            elif kind == "report":
                send("report", report())
            else:
                ED2.callFromThread(handle, msg)
            if kind == "quit":
                return

    gc["_sip_tm"] = SipTransactionManager(gc, on_request)
    rtp = threading.Thread(target=rtp_loop, daemon=True)
    rtp.start()
    threading.Thread(target=reader, daemon=True).start()
    send("ready", os.getpid())
    ED2.loop()
    time.sleep(0.5)                               # let the last BYEs go out
    stop.set()
    rtp.join(2)
    sock.close()


# --- the driver -----------------------------------------------------------------------------

class Child:
    """A spawned child process and its pipe; a reader thread keeps what it sends, and
    ``wait`` takes the first message a predicate accepts."""

    def __init__(self, name: str, target, args: tuple) -> None:  # type: ignore[no-untyped-def]
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=target, args=(child, *args), name=name, daemon=True)
        self.proc.start()
        child.close()
        self.name = name
        self.msgs: list[tuple] = []
        self.cond = threading.Condition()
        self.eof = False
        threading.Thread(target=self._read, daemon=True).start()
        self.pid = self.wait(lambda m: m[0] == "ready", 30, "ready")[1]

    def _read(self) -> None:
        while True:
            try:
                msg = self.conn.recv()
            except (EOFError, OSError):
                with self.cond:
                    self.eof = True
                    self.cond.notify_all()
                return
            with self.cond:
                self.msgs.append(msg)
                self.cond.notify_all()

    def send(self, *msg) -> None:
        self.conn.send(msg)

    def wait(self, pred, timeout: float, what: str, fail=None):  # type: ignore[no-untyped-def]
        """The first message ``pred`` accepts (removed from the inbox); a message ``fail``
        accepts raises RuntimeError, so does a timeout or the child's end."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for k, m in enumerate(self.msgs):
                    if pred(m):
                        return self.msgs.pop(k)
                    if fail is not None and fail(m):
                        self.msgs.pop(k)
                        raise RuntimeError(f"{self.name}: {m} while waiting for {what}")
                left = deadline - time.monotonic()
                if left <= 0 or self.eof:
                    raise RuntimeError(f"{self.name}: no {what} within {timeout:g} s"
                                       + (" (the process ended)" if self.eof else ""))
                self.cond.wait(min(left, 0.5))

    def purge(self, pred) -> None:  # type: ignore[no-untyped-def]
        """Drop every message ``pred`` accepts (late answers to an earlier question)."""
        with self.cond:
            self.msgs = [m for m in self.msgs if not pred(m)]

    def poll(self, pred):  # type: ignore[no-untyped-def]
        """The first message ``pred`` accepts, or None at once."""
        with self.cond:
            for k, m in enumerate(self.msgs):
                if pred(m):
                    return self.msgs.pop(k)
        return None


def stats(xs: list[float]) -> tuple[float, float, float]:
    return _kefu.spread(xs, 95)


class Bench:
    """The whole run; ``close()`` ends every process it started."""

    def __init__(self, args: argparse.Namespace, root: Path) -> None:
        self.args = args
        self.dir = root
        self.log_path = root / "kefu.log"
        self.kefu: subprocess.Popen | None = None
        self.browsers: Child | None = None
        self.callers: Child | None = None
        self.dialled: list[int] = []

    # -- set-up --------------------------------------------------------------------------
    def config(self, sip_port: int, http_port: int) -> str:
        a = self.args
        members = ", ".join(f"{u} = 1" for u in self.agents)
        queue = f"""
[acd]
no_answer_limit = 1000
busy_backoff = 1

[[queues]]
name = "bench"
number = "{QUEUE_NUMBER}"
strategy = "longest_idle"
members = {{ {members} }}
ring_timeout = 60
retry = 0.5
wrap_up = 0
"""
        rtp = (a.rtp_base, a.rtp_base + 4 * (a.agents + a.in_calls) + 400)
        return _kefu.kefu_config(sip_port, http_port, rtp, self.dir / "data", {}) + queue

    def setup(self) -> None:
        a = self.args
        self.agents = [f"a{k:02d}" for k in range(1, a.agents + 1)]
        self.ext = {u: str(1001 + k) for k, u in enumerate(self.agents)}
        self.caller_exts = [str(2001 + k) for k in range(max(a.in_calls, 1))]
        passwords = {e: f"bench-{e}-pw" for e in list(self.ext.values()) + self.caller_exts}
        sip_port = _sipload.free_udp_tcp_port()
        self.http_port = http_port = _sipload.free_udp_tcp_port()
        config = self.config(sip_port, http_port)
        _kefu.add_admin(self.dir, config)
        t = time.monotonic()
        self.kefu = _kefu.start_kefu(self.dir, config, http_port)
        self.api = _kefu.admin_api(http_port)

        def one(job):  # type: ignore[no-untyped-def]
            kind, arg = job
            api = Api(http_port, self.api.token)
            if kind == "ext":
                expect(api("POST", "/extensions", {"number": arg, "password": passwords[arg]}),
                       (201,), f"extension {arg}")
                return None
            expect(api("POST", "/users", {"username": arg, "password": AGENT_PW,
                                          "role": "agent", "extensions": [self.ext[arg]]}),
                   (201,), f"user {arg}")
            return arg, expect(api("POST", "/auth/login", {"username": arg,
                                                           "password": AGENT_PW}),
                               (200,), f"login {arg}")["token"]

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(one, [("ext", e) for e in passwords]))
            self.tokens = dict(r for r in pool.map(one, [("user", u) for u in self.agents]))
        self.setup_s = time.monotonic() - t
        print(f"  kefu up, {len(passwords)} extensions and {len(self.agents)} agents made "
              f"in {self.setup_s:.1f} s", file=sys.stderr)
        self.browsers = Child("browsers", browsers_child, (HOST, self.args.idle_send))
        self.callers = Child("callers", callers_child, (sip_port, passwords))

    def open_lines(self, idx: list[int], timeout: float) -> tuple[float, list[int], list[str]]:
        """Log the agents in (webrtc) and bring their lines up, one POST /lines after the
        other, all within ``timeout``: (seconds, the lines up with their agent ready,
        what went wrong)."""
        t = time.monotonic()
        deadline = t + timeout
        errors: list[str] = []
        for i in idx:
            u = self.agents[i]
            expect(self.api("POST", f"/agents/{u}/login",
                            {"extension": self.ext[u], "queues": ["bench"], "ready": True,
                             "device": "webrtc"}, token=self.tokens[u]), (200,), f"login {u}")
            self.browsers.send("offer", i, self.args.full_browsers or i == 0)
        posted = []
        for i in idx:
            u = self.agents[i]
            sdp = self.browsers.wait(lambda m, i=i: m[:2] == ("offer", i), 30, f"offer {i}")[2]
            if time.monotonic() > deadline:
                errors.append(f"line {u}: not posted within {timeout:g} s")
                continue
            status, body = self.api("POST", "/lines", {"type": "offer", "sdp": sdp},
                                    token=self.tokens[u])
            if status != 200:
                errors.append(f"line {u}: HTTP {status} {body}")
                continue
            self.browsers.send("answer", i, body["sdp"])
            posted.append(i)
        up = []
        for i in posted:
            try:
                self.browsers.wait(lambda m, i=i: m[:3] == ("state", i, "connected"),
                                   max(1.0, deadline - time.monotonic()), f"line {i} connected",
                                   fail=lambda m, i=i: m[:2] == ("state", i)
                                   and m[2] in ("failed", "closed"))
                up.append(i)
            except RuntimeError as exc:
                errors.append(str(exc))
        want = {self.agents[i] for i in up}
        ready: set[str] = set()

        def all_ready() -> bool:
            ready.clear()
            ready.update(g["username"] for g in self.api("GET", "/agents")[1]
                         if g["state"] == "ready")
            return want <= ready
        if not _kefu.wait(all_ready, max(5.0, deadline - time.monotonic()), 0.05):
            errors.append(f"{len(want - ready)} agents not ready once their line was up")
        return time.monotonic() - t, [i for i in up if self.agents[i] in ready], errors

    # -- one answered call ------------------------------------------------------------------
    def call(self, c: int, ext: str, agents: list[int] | None) -> dict:
        """Caller ``c`` dials the queue; once an agent (of ``agents``, None: any) is
        offered the call, answer it through the API and time both directions.  Raises
        RuntimeError when the call does not come up or cannot be answered."""
        cl, br, api = self.callers, self.browsers, self.api
        cl.send("dial", c, ext, QUEUE_NUMBER)
        self.dialled.append(c)
        up = cl.wait(lambda m: m[:2] == ("up", c), 15, f"call {c} up",
                     fail=lambda m: m[:2] == ("fail", c))
        t_up = time.monotonic()
        deadline = t_up + 15
        refused = []
        while True:
            if agents is not None and len(agents) == 1:
                g = api("GET", f"/agents/{self.agents[agents[0]]}")[1]
                offered = [g] if g["state"] == "reserved" else []
            else:
                offered = [g for g in api("GET", "/agents")[1] if g["state"] == "reserved"]
            if offered:
                t_offer = time.monotonic()
                u = offered[0]["username"]
                i = self.agents.index(u)
                br.purge(lambda m: m[0] in ("heard", "armed") and m[1] == i)
                br.send("arm", i)
                cl.send("arm", c)
                br.wait(lambda m: m[:2] == ("armed", i), 5, f"browser {i} armed")
                cl.wait(lambda m: m[:2] == ("armed", c), 5, f"caller {c} armed")
                t0 = time.monotonic()
                status, body = api("POST", f"/agents/{u}/answer", token=self.tokens[u])
                t_api = time.monotonic()
                if status == 200 and body.get("state") == "talking":
                    break
                refused.append(f"{u}: HTTP {status} {body}")     # the offer moved on
            if time.monotonic() > deadline:
                raise RuntimeError(f"call {c}: not answered within 15 s"
                                   + (f" ({'; '.join(refused[:3])})" if refused else ""))
            time.sleep(0.01)
        res = {"agent": i, "caller": c, "setup": up[3], "offer": (t_offer - t_up) * 1000,
               "api": (t_api - t0) * 1000, "rtp": None, "emu": None, "measured": None,
               "play": None, "at_caller": None, "refused": len(refused)}
        try:
            h = br.wait(lambda m: m[:2] == ("heard", i), 5, f"caller's tone at browser {i}")
            res["rtp"], res["emu"] = (h[2] - t0) * 1000, (h[3] - t0) * 1000
            res["measured"] = None if h[4] is None else (h[4] - t0) * 1000
            res["play"] = res["emu"] if h[4] is None else res["measured"]
        except RuntimeError as exc:
            print(f"  {exc}", file=sys.stderr)
        try:
            h = cl.wait(lambda m: m[:2] == ("heard", c), 5, f"agent's tone at caller {c}")
            res["at_caller"] = (h[2] - t0) * 1000
        except RuntimeError as exc:
            print(f"  {exc}", file=sys.stderr)
        return res

    # -- the run ------------------------------------------------------------------------------
    def run(self) -> dict:
        a = self.args
        load0 = _kefu.loadavg()
        self.setup()
        br, cl = self.browsers, self.callers
        out: dict = {"load0": load0, "setup_s": self.setup_s}

        # phase 1: one line, K calls one after another
        _s, up, errors = self.open_lines([0], 30)
        if not up:
            raise RuntimeError(f"a01's line: {errors}")
        quiet = []
        for k in range(a.calls):
            quiet.append(self.call(k, self.caller_exts[k % len(self.caller_exts)], [0]))
            time.sleep(0.3)
            cl.send("hangup", k)
            br.send("quiet", 0)
            if not _kefu.wait(lambda: self.api("GET", "/agents/a01")[1]["state"] == "ready",
                              10, 0.02):
                raise RuntimeError("a01 not ready again after its call")
        out["quiet"] = quiet
        out["load1"] = _kefu.loadavg()
        print(f"  phase 1: {len(quiet)} calls answered", file=sys.stderr)
        if a.in_calls == 0:
            return out

        # phase 2: every line up, idle CPU, then M calls answered one after another
        out["lines_s"], up, out["line_errors"] = self.open_lines(list(range(1, a.agents)),
                                                                  a.line_timeout)
        out["lines_up"] = len(up) + 1
        with_line = {self.agents[i] for i in [0, *up]}
        pids = {"kefu": self.kefu.pid, "browsers": br.pid, "callers": cl.pid,
                "driver": os.getpid()}
        c0, w0 = {k: _kefu.cpu_seconds(p) for k, p in pids.items()}, time.monotonic()
        time.sleep(a.idle_seconds)
        c1, w1 = {k: _kefu.cpu_seconds(p) for k, p in pids.items()}, time.monotonic()
        out["idle_cpu"] = {k: (c1[k] - c0[k]) / (w1 - w0) * 100 for k in pids}
        print(f"  phase 2: {out['lines_up']}/{a.agents} lines up in {out['lines_s']:.1f} s, "
              f"kefu idle {out['idle_cpu']['kefu']:.1f}%", file=sys.stderr)
        for e in out["line_errors"][:5]:
            print(f"    {e}", file=sys.stderr)
        ramp, out["call_errors"] = [], []
        t = time.monotonic()
        for j in range(a.in_calls):
            if time.monotonic() - t > a.ramp_timeout:
                out["call_errors"].append(f"{a.in_calls - j} calls not placed: the ramp took "
                                          f"over {a.ramp_timeout:g} s")
                break
            try:
                ramp.append(self.call(1000 + j, self.caller_exts[j], None))
            except RuntimeError as exc:
                out["call_errors"].append(str(exc))
                print(f"  {exc}", file=sys.stderr)
        out["ramp"], out["ramp_s"] = ramp, time.monotonic() - t
        in_call = {r["agent"] for r in ramp}
        time.sleep(1.0)
        ta = time.monotonic() + 0.3
        tb = ta + a.seconds
        br.send("window", ta, tb)
        cl.send("window", ta, tb)
        time.sleep(max(0.0, ta - time.monotonic()))
        c0, w0 = {k: _kefu.cpu_seconds(p) for k, p in pids.items()}, time.monotonic()
        health0 = _kefu.health(self.http_port) or {}
        time.sleep(max(0.0, tb - time.monotonic()))
        c1, w1 = {k: _kefu.cpu_seconds(p) for k, p in pids.items()}, time.monotonic()
        out["cpu"] = {k: (c1[k] - c0[k]) / (w1 - w0) * 100 for k in pids}
        out["window"] = tb - ta
        out["load2"] = _kefu.loadavg()
        time.sleep(0.5)                               # frames still on their way; the
        br.send("report")                             # end-of-window stats snapshots
        cl.send("report")
        out["browsers"] = br.wait(lambda m: m[0] == "report", 20, "browser report")[1]
        out["callers"] = cl.wait(lambda m: m[0] == "report", 20, "caller report")[1]
        out["in_call"] = in_call
        out["active"] = health0.get("calls", {}).get("active")
        out["drops"] = []
        while (m := cl.poll(lambda m: m[0] == "down")) is not None:
            out["drops"].append(m)
        agents = self.api("GET", "/agents")[1]
        out["talking"] = sum(g["state"] == "talking" for g in agents)

        # tear down: callers hang up, lines close, kefu idle again
        for c in self.dialled:
            cl.send("hangup", c)
        # (kefu counts every open line as an active call)
        out["idle_after"] = bool(_kefu.wait(lambda: (
            lambda h: h and h["calls"]["active"] <= a.agents)(_kefu.health(self.http_port)), 15))
        br.send("close")
        br.wait(lambda m: m[0] == "closed", 30, "browsers closed")
        out["logged_out"] = bool(_kefu.wait(lambda: all(
            g["state"] == "logged_out" for g in self.api("GET", "/agents")[1]
            if g["username"] in with_line), 20, 0.5))
        for g in self.api("GET", "/agents")[1]:       # logged in, but their line never came
            if g["state"] != "logged_out":
                self.api("POST", f"/agents/{g['username']}/logout")
        h = _kefu.wait(lambda: (lambda h: h if h and h["calls"]["active"] == 0
                                and h["media"]["ports_in_use"] == 0 else None)(
            _kefu.health(self.http_port)), 10)
        out["released"] = bool(h)
        return out

    def close(self) -> None:
        for child, bye in ((self.callers, ("quit",)), (self.browsers, ("close",))):
            if child is not None and child.proc.is_alive():
                try:
                    child.send(*bye)
                except OSError:
                    pass
                child.proc.join(5)
        _kefu.stop_children([c.proc for c in (self.callers, self.browsers) if c is not None])
        _kefu.stop(self.kefu)
        if self.log_path.exists():
            log = self.log_path.read_text(errors="replace").splitlines()
            self.warn = [ln for ln in log if " WARNING " in ln]
            self.err = [ln for ln in log if " ERROR " in ln or " CRITICAL " in ln
                        or "Traceback" in ln]
        else:
            self.warn, self.err = [], []


# --- report ---------------------------------------------------------------------------------

def report(r: dict, args: argparse.Namespace, bench: Bench) -> None:
    cores = os.cpu_count() or 1

    def f3(xs: list[float]) -> str:
        p50, p95, mx = stats(xs)
        return f"{p50:.0f}/{p95:.0f}/{mx:.0f}"

    def col(calls: list[dict], key: str) -> list[float]:
        return [c[key] for c in calls if c[key] is not None]

    head = (f"{'case':<24} {'n':>3} {'api':>4} {'browser rtp':>12} {'browser play':>13} "
            f"{'caller':>12} {'two-way':>12} {'<300':>6}")
    _kefu.table_head(f"kefu softphone bench, answer click -> two-way audio, ms from just "
                     f"before POST /agents/{{u}}/answer, p50/p95/max, {cores} CPUs", head)
    rows = [("1 line, calls in turn", r["quiet"])]
    if r.get("ramp"):
        rows.append((f"{args.agents} lines, 0..{len(r['ramp']) - 1} up", r["ramp"]))
    for label, calls in rows:
        both = [max(c["play"], c["at_caller"]) for c in calls
                if c["play"] is not None and c["at_caller"] is not None]
        under = sum(x < 300 for x in both)
        print(f"{label:<24} {len(calls):>3} {stats(col(calls, 'api'))[0]:>4.0f} "
              f"{f3(col(calls, 'rtp')):>12} {f3(col(calls, 'play')):>13} "
              f"{f3(col(calls, 'at_caller')):>12} {f3(both):>12} "
              f"{f'{under}/{len(calls)}':>6}")
    print()
    for label, calls in rows:
        misses = sum(c["play"] is None or c["at_caller"] is None for c in calls)
        measured = col(calls, "measured")
        lines = ["browser play = " + (
            f"decoded frame out of aiortc's jitter buffer ({len(measured)} calls); the "
            f"4-frame rule gives {f3(col(calls, 'emu'))}" if measured else
            "the 4-frame rule of aiortc's jitter buffer on the RTP arrivals (light peers)"),
            f"POST answer p50/max {f3(col(calls, 'api'))} ms; caller INVITE -> 200 (queue) "
            f"p50 {stats(col(calls, 'setup'))[0]:.0f} ms; 200 -> agent reserved (seen by "
            f"polling) p50/max {stats(col(calls, 'offer'))[0]:.0f}/"
            f"{stats(col(calls, 'offer'))[2]:.0f} ms"
            + (f"; {misses} calls without a detection in 5 s" if misses else "")]
        _kefu.notes(label, lines)
    if "cpu" not in r:
        return

    cpu, win = r["cpu"], r["window"]
    in_call = r["in_call"]
    brs = {b["i"]: b for b in r["browsers"]}
    busy = [brs[i] for i in in_call if i in brs]
    idle = [b for i, b in brs.items() if i not in in_call]
    exp = 50 * win * len(busy)
    b_rx = sum(b["rtp_win"] for b in busy)
    b_span = sum(b["span_win"] for b in busy)
    b_chk, b_ok = sum(b["checked"] for b in busy), sum(b["caller"] for b in busy)
    full = [b for b in busy if b["full"]]
    i_rx = sum(b["rtp_win"] for b in idle)
    cs = r["callers"]["streams"]
    c_exp = 50 * win * len(cs)
    c_rx = sum(s["rx_win"] for s in cs)
    c_span = sum(s["span_win"] for s in cs)
    c_chk, c_ok = sum(s["checked"] for s in cs), sum(s["agent"] for s in cs)
    sent = rr = rr_known = 0
    for b in brs.values():
        sa, sb = b["snaps"].get("a", {}), b["snaps"].get("b", {})
        if "sent" in sa and "sent" in sb:
            sent += sb["sent"] - sa["sent"]
        if "rr_lost" in sa and "rr_lost" in sb:
            rr += sb["rr_lost"] - sa["rr_lost"]
            rr_known += 1
    gen = cpu["browsers"] + cpu["callers"] + cpu["driver"]

    connected = sum(b["state"] == "connected" for b in brs.values())
    head = (f"{'lines':>5} {'calls':>5} {'kefu%':>6} {'idle%':>6} {'brows%':>6} "
            f"{'call%':>6} {'drv%':>5} {'browser rx/exp':>15} {'lost%':>6} "
            f"{'caller rx/exp':>15} {'lost%':>6} {'b>k lost%':>9}")
    _kefu.table_head(f"kefu softphone bench, {args.agents} persistent WebRTC lines, "
                     f"{len(busy)} in calls, {win:.0f} s window, PCMU 20 ms, recorded, "
                     f"{cores} CPUs", head)
    print(f"{connected:>5} {len(busy):>5} {cpu['kefu']:>6.1f} {r['idle_cpu']['kefu']:>6.1f} "
          f"{cpu['browsers']:>6.1f} {cpu['callers']:>6.1f} {cpu['driver']:>5.1f} "
          f"{f'{b_rx}/{exp:.0f}':>15} {_kefu.pct(b_span - b_rx, b_span):>6.2f} "
          f"{f'{c_rx}/{c_exp:.0f}':>15} {_kefu.pct(c_span - c_rx, c_span):>6.2f} "
          f"{_kefu.pct(rr, sent):>9.3f}")
    print()
    _kefu.notes("phase 2", [
        f"kefu {cpu['kefu']:.1f}% of a core with {len(busy)} calls on {args.agents} lines, "
        f"{r['idle_cpu']['kefu']:.1f}% with the {args.agents} lines idle "
        f"({(cpu['kefu'] - r['idle_cpu']['kefu']) / max(1, len(busy)):.2f}% a call more)",
        f"load generator {gen:.1f}% of a core: browsers {cpu['browsers']:.1f}% "
        f"({args.agents} aiortc peers, {len([b for b in brs.values() if b['full']])} with "
        f"aiortc's jitter buffer + decoder), callers {cpu['callers']:.1f}% ({len(cs)} sippy "
        f"UAs + RTP), driver {cpu['driver']:.1f}%; with the lines idle: browsers "
        f"{r['idle_cpu']['browsers']:.1f}%, callers {r['idle_cpu']['callers']:.1f}%",
        f"in-call browsers: {b_rx} RTP packets in the window of {exp:.0f} expected; kefu sent "
        f"{b_span} by their sequence numbers ({b_span - b_rx} lost on the way); "
        f"{b_ok}/{b_chk} checked frames 440 Hz-dominated"
        + (f"; {sum(b['play_win'] for b in full)} frames out of the jitter buffer of "
           f"{len(full)} full peers" if full else ""),
        f"idle browsers: {i_rx} packets in the window ({i_rx / max(1, len(idle)) / win:.1f}/s "
        f"a line: kefu sends idle lines nothing); callers: {c_rx} frames, kefu sent {c_span} "
        f"by sequence numbers, {c_ok}/{c_chk} checked frames 1000 Hz-dominated; caller "
        f"pacing max {r['callers']['late_max'] * 1000:.1f} ms late",
        f"browser->kefu: {sent} packets sent by the browsers in the window "
        f"({sent / max(1, len(brs)) / win:.1f}/s a line), {rr} lost by kefu's RTCP "
        f"receiver reports ({rr_known}/{len(brs)} lines with reports)",
        f"kefu's active calls in the window {r['active']} (open lines count as calls), "
        f"agents talking {r['talking']}, calls dropped {len(r['drops'])}; after the hang-ups "
        f"only the lines left: {'yes' if r['idle_after'] else 'NO'}; every agent logged "
        f"out once its browser closed: {'yes' if r['logged_out'] else 'NO'}; no call and no "
        f"RTP port left: {'yes' if r['released'] else 'NO'}",
        f"set-up: kefu + users {r['setup_s']:.1f} s; {r['lines_up']}/{args.agents} lines up "
        f"({args.agents - 1} opened in {r['lines_s']:.1f} s), {connected} still connected at "
        f"the end of the window; {len(r['ramp'])}/{args.in_calls} calls answered in turn in "
        f"{r['ramp_s']:.1f} s ({sum(c['refused'] for c in r['ramp'])} answers refused: "
        f"the offer had moved on)",
        *[f"problem: {e[:200]}" for e in (r["line_errors"][:4] + r["call_errors"][:4])],
        f"kefu log: {len(bench.warn)} warnings, {len(bench.err)} errors"
        + "".join(f"\n       log: {ln[:160]}" for ln in (bench.err[:3] + bench.warn[:3])),
        f"load average: before {r['load0']}, after phase 1 {r['load1']}, end of window "
        f"{r['load2']}; kefu {_kefu.tree_state()}",
    ])


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n")[0],
        epilog="See the module docstring (and bench/README.md) for what each column means.")
    ap.add_argument("--calls", type=int, default=10,
                    help="phase 1: calls answered one after another on one line (default 10)")
    ap.add_argument("--agents", type=int, default=50,
                    help="phase 2: agents logged in with a persistent WebRTC line (default 50)")
    ap.add_argument("--in-calls", type=int, default=25,
                    help="phase 2: how many of them are in calls (default 25)")
    ap.add_argument("--seconds", type=float, default=20.0, help="phase 2 window (default 20)")
    ap.add_argument("--idle-seconds", type=float, default=3.0,
                    help="kefu's CPU with every line up and no call (default 3)")
    ap.add_argument("--idle-send", action="store_true",
                    help="browsers send their microphone on idle lines too (the desktop before "
                         "2026-11-27; default: only from the offer until the call ends, as "
                         "the desktop does now)")
    ap.add_argument("--full-browsers", action="store_true",
                    help="every browser runs aiortc's jitter buffer and decoder (default: "
                         "only a01's; the others count and check RTP packets only)")
    ap.add_argument("--line-timeout", type=float, default=30.0,
                    help="phase 2: seconds for every line to come up (default 30)")
    ap.add_argument("--ramp-timeout", type=float, default=30.0,
                    help="phase 2: seconds for placing and answering the calls (default 30)")
    ap.add_argument("--rtp-base", type=int, default=52000, help="first RTP port of kefu")
    ap.add_argument("--keep", action="store_true", help="keep the data directory (log, WAVs)")
    args = ap.parse_args()
    if not 1 <= args.agents <= 200 or not 0 <= args.in_calls <= args.agents:
        ap.error("--agents 1..200, --in-calls 0..agents")
    if not 1 <= args.calls <= 100 or not 1 <= args.seconds <= 120:
        ap.error("--calls 1..100, --seconds 1..120")

    status = 0
    with _kefu.scratch("kefu-softphone-bench-", args.keep) as root:
        bench = Bench(args, root)
        try:
            r = _kefu.run_case("softphone", bench, log_tail=True)
        except KeyboardInterrupt:
            r, status = None, 130
            print("interrupted", file=sys.stderr)
        if r is None:
            status = status or 1
        else:
            report(r, args, bench)
    return status


if __name__ == "__main__":
    sys.exit(main())
