"""RTP legs: one UDP port, one remote, one codec; a mixer source and listener.

The receive path (``_receive``, called by the event loop per datagram) is the only
per-packet Python, so it does as little as possible:

* parse the header (a shortcut for the usual 12-byte header), count the packet;
* **latch** (symmetric RTP): a phone behind NAT announces one address in its SDP and
  sends from another; sending to the SDP address would never reach it.  The first
  packet of an expected payload type from a new address moves our sending there.
* **fast path**: when this leg is the only source of a listener with the same codec
  (the plain two-party bridge, kefu's commonest case), the payload is relayed to that
  listener at once with the listener's own payload type, SSRC, sequence number and
  timestamp (``_forward``) instead of waiting up to 20 ms for the mixer's tick.  The
  far end's jitter buffer absorbs network jitter, so ours is skipped.
* queue the payload in the jitter buffer only when the tick needs this leg's audio
  (a mixed listener, a recorder, in-band DTMF detection).

RFC 4733 events are handled here too, since they are rare and their callback should
not wait for a tick; they are never forwarded (the call layer relays digits with
``send_dtmf``).  Everything else — decoding, concealment, in-band DTMF, encoding,
mixed sending, outgoing DTMF — happens in the engine's 20 ms tick (:mod:`.tick`).

A listener's outgoing stream stays one stream whichever path feeds it: its
timestamp ``_ts`` is advanced by every tick (the media clock), the fast path maps
the source's timestamps onto it with an offset fixed when forwarding (re)starts,
and on leaving the fast path the later of the two clocks is kept, so timestamps
never run backwards and sequence numbers never skip.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import struct
from collections import deque
from typing import Any, Callable, Protocol

import numpy as np

from .codecs import FRAME_SAMPLES, Codec, codec_by_name
from .dtmf import KeyTracker, dtmf_samples
from .errors import MediaError
from .jitter import Concealer, JitterBuffer
from .mixer import Source
from .rtp import DIGIT_TO_EVENT, EVENT_TO_DIGIT, ReceiveStats, build_event, parse_event, parse_header

log = logging.getLogger(__name__)

__all__ = ["RtpLeg"]

_HDR = struct.Struct("!BBHII")
_SILENCE = np.zeros(FRAME_SAMPLES, dtype=np.int16)
_DTMF_VOLUME = 10  # -10 dBm0
_DTMF_GAP_TICKS = 2  # muted audio between digits, after the 3 end packets
_MAX_CARRY = 4 * FRAME_SAMPLES
_INBAND_GAP_MS = 60  # silence after each in-band digit
_M32 = 0xFFFFFFFF


def _later(a: int, b: int) -> int:
    """The later of two 32-bit RTP timestamps (modulo wraparound)."""
    return b if ((b - a) & _M32) < 0x80000000 else a


def _dropped(data: bytes, addr: Any) -> None:
    """sendto of a closed leg: nothing goes out."""


def _ignored(data: bytes, addr: Any) -> None:
    """datagram_received of a closed leg."""


class _DtmfStep:
    """One outgoing event (``event`` >= 0) or a muted gap (``event`` == -1)."""

    __slots__ = ("event", "ticks", "k", "start_ts", "future")

    def __init__(self, event: int, ticks: int) -> None:
        self.event = event
        self.ticks = ticks
        self.k = 0
        self.start_ts = 0
        self.future: asyncio.Future[None] | None = None


class _LegProtocol(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.transport: asyncio.DatagramTransport | None = None
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Any) -> None:
        pass  # replaced by the leg's _receive once it exists

    def error_received(self, exc: Exception) -> None:
        log.debug("rtp socket error: %s", exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None  # transport <-> protocol: no cycle left behind
        if not self.lost.done():
            self.lost.set_result(None)


class Playing(Protocol):
    """What a leg needs of audio it starts playing (a :class:`.player.Player`)."""

    @property
    def done(self) -> asyncio.Event: ...

    def stop(self) -> None: ...


class LegHost(Protocol):
    """What a leg needs of the engine that owns it (:class:`.engine.MediaEngine` is the
    one): declared here so that the leg need not import the engine, which imports it.
    None of it is on the receive path (``latch`` is copied at creation)."""

    @property
    def latch(self) -> bool: ...

    @property
    def running(self) -> bool: ...

    def leg_changed(self, leg: RtpLeg) -> None: ...

    def play_samples(self, leg: RtpLeg | None, samples: np.ndarray, loop: bool = False, *,
                     exclusive: bool = False) -> Playing: ...


class RtpLeg(Source):
    """One RTP endpoint.  As a :class:`Source` it is the audio this leg *sends* us."""

    def __init__(self, engine: LegHost, leg_id: str, name: str, host: str, port: int,
                 protocol: _LegProtocol) -> None:
        self.id = leg_id
        self.name = name
        self.local_host = host
        self.local_port = port
        self.on_dtmf: Callable[[str], None] | None = None
        self.closed = False
        # a leg that hears nothing sends silence (phones and NATs expect a stream); a
        # browser's line does not need it, and idle lines are most of a desktop's day
        self.send_silence = True
        # counters
        self.packets_in = 0
        self.packets_out = 0
        self.invalid = 0  # not RTP v2 / too short / bad lengths
        self.ignored = 0  # RTCP, unexpected payload types, audio before configure()
        self.send_errors = 0
        self.dtmf_in = 0
        self.dtmf_out = 0
        # outgoing stream
        self.ssrc = random.getrandbits(32)
        self._seq = random.getrandbits(16)
        self.ts = random.getrandbits(32)
        """The outgoing RTP timestamp; the tick advances it while the leg is relayed."""
        self._marker = 0x80  # OR-ed into the second header byte
        self.remote: tuple[str, int] | None = None
        """Where we send: the SDP address, or the one latched onto (symmetric RTP); set by
        :meth:`configure` and the latch, read by the tick plan."""
        self.codec: Codec | None = None
        """The negotiated codec, set by :meth:`configure`."""
        self.decode_table: np.ndarray | None = None
        """G.711's decode table (None for G.722): the tick decodes such legs in one batch."""
        self._pt = -1
        self._dtmf_pt = -1
        self.dtmf_steps: deque[_DtmfStep] = deque()
        """RFC 4733 events being sent: while any is, the tick sends through :meth:`emit`."""
        # incoming stream
        self.jb = JitterBuffer()
        """Received audio payloads; the tick pops one frame per 20 ms."""
        self.conceal = Concealer()
        """Loss concealment; the tick's batch decode updates it inline (Concealer.next)."""
        self._rx = ReceiveStats()
        self._rx_ssrc: int | None = None
        self._lost_before = 0
        self.carry: np.ndarray | None = None
        """Decoded samples beyond the last frame (codecs whose packets are not 20 ms)."""
        self._ev_ts = -1
        self._ev_code = 0
        self._ev_dur = 0
        self._ev_pending = False
        self._ev_done: deque[int] = deque(maxlen=8)
        # symmetric RTP
        self._latch = engine.latch
        # fast path: set by the tick plan through enter_fast/leave_fast (see module doc)
        self.relay_to: tuple[RtpLeg, ...] = ()
        """Listeners this leg's packets are relayed to (fast path)."""
        self.relay_from: RtpLeg | None = None
        """The leg relayed to this one (fast path)."""
        self._fwd_ssrc: int | None = None  # source SSRC the offset belongs to; None: resync
        self._fwd_off = 0
        self._fwd_last: int | None = None  # timestamp after the last relayed packet
        # The tick plan's bookkeeping on this leg: declared here, written only by
        # :class:`.tick.TickPlan` (the engine's one plan), read by the leg and the engine.
        self.tick_need = True
        """The tick decodes this leg's audio (its jitter buffer is fed)."""
        self.slot = -1
        """Row in the tick's frame array, -1: none."""
        self.tick_path = 0
        """What feeds the leg: tick.NONE, RELAY, PROMPT or MIX."""
        self.tick_heard: Any = None
        """The prompt path's player, the mix path's sources."""
        self.pull_group: Any = None
        """The pull group it is in while the tick needs its audio."""
        self.inband_detect = False
        """Whether the tick checks this leg's audio for in-band DTMF."""
        self.inband_keys: KeyTracker | None = None
        """In-band DTMF detector state."""
        self._inband_lock: asyncio.Lock | None = None  # in-band digits go out one call at a time
        self._engine = engine
        self._protocol = protocol
        self._transport = protocol.transport
        self._sendto: Callable[[bytes, Any], None] = protocol.transport.sendto  # type: ignore[union-attr]
        protocol.datagram_received = self._receive  # type: ignore[method-assign]

    # ------------------------------------------------------------------ public
    @property
    def configured(self) -> bool:
        return self.remote is not None

    @property
    def dtmf_pt(self) -> int | None:
        """The negotiated telephone-event payload type, None without RFC 4733."""
        return None if self._dtmf_pt < 0 else self._dtmf_pt

    @property
    def fast_path(self) -> bool:
        """Whether this leg's audio is relayed packet by packet from its single source."""
        return self.relay_from is not None

    @property
    def packets_lost(self) -> int:
        """Inbound packets lost (RFC 3550 expected - received, summed over SSRCs)."""
        return self._lost_before + self._rx.lost

    @property
    def late(self) -> int:
        """Inbound packets that arrived after their playout time (dropped)."""
        return self.jb.late

    @property
    def stats(self) -> dict[str, int]:
        jb = self.jb
        return {
            "packets_in": self.packets_in,
            "packets_out": self.packets_out,
            "packets_lost": self.packets_lost,
            "late": jb.late,
            "duplicates": jb.duplicates,
            "jitter_dropped": jb.dropped,
            "underruns": jb.underruns,
            "concealed": self.conceal.concealed,
            "invalid": self.invalid,
            "ignored": self.ignored,
            "send_errors": self.send_errors,
            "dtmf_in": self.dtmf_in,
            "dtmf_out": self.dtmf_out,
        }

    def configure(self, remote_host: str, remote_port: int, codec_name: str, payload_type: int,
                  dtmf_pt: int | None) -> None:
        """Set (or change, on a re-INVITE) the remote and codec; sending starts on the next tick.

        SSRC, sequence and timestamp carry on across changes.
        """
        if self.closed:
            raise MediaError(f"leg {self.id} is closed")
        try:
            ipaddress.ip_address(remote_host)
        except ValueError:
            raise MediaError(f"remote host must be an IP address: {remote_host!r}") from None
        if not 0 < remote_port < 65536:
            raise MediaError(f"bad remote port {remote_port}")
        if not 0 <= payload_type <= 127:
            raise MediaError(f"bad payload type {payload_type}")
        if dtmf_pt is not None and (not 0 <= dtmf_pt <= 127 or dtmf_pt == payload_type):
            raise MediaError(f"bad telephone-event payload type {dtmf_pt}")
        codec = self.codec
        if codec is None or codec.name != codec_name.upper():
            codec = codec_by_name(codec_name)
        if codec is not self.codec or payload_type != self._pt:
            self.jb.reset()
            self.conceal.reset()
            self.carry = None
        self.codec = codec
        self.decode_table = codec.decode_table
        self._pt = payload_type
        self._dtmf_pt = -1 if dtmf_pt is None else dtmf_pt
        self.remote = (remote_host, remote_port)
        self._engine.leg_changed(self)  # codec or telephone-event may change its path

    def couple(self, deliver: Callable[[bytes], None]) -> Callable[[bytes], None]:
        """Make the far end a peer in this process: what the leg sends goes to
        ``deliver(packet)``, and the peer hands its packets to the function returned.

        A browser's WebRTC line lives in kefu's own process; a socket pair between it and
        its leg would cost two system calls and two event-loop wake-ups a packet each way.
        Call after :meth:`configure`; the leg's socket stays bound but carries nothing.
        """
        remote = self.remote
        if remote is None:
            raise MediaError(f"leg {self.id}: configure before coupling")
        self._sendto = lambda data, addr: deliver(data)

        def feed(data: bytes) -> None:
            if not self.closed:
                self._receive(data, remote)

        return feed

    async def send_dtmf(self, digits: str, duration_ms: int = 100) -> None:
        """Send digits, paced by the clock; returns when all went out.

        With RFC 4733 negotiated, per digit: a start packet (marker), updates every
        20 ms, the end packet three times, then a short muted gap.  Without it, the
        dual tones are played in-band (``duration_ms`` of tone, 60 ms of silence per
        digit).  Either way the leg hears nothing else meanwhile.
        """
        if self.closed:
            raise MediaError(f"leg {self.id} is closed")
        if self.remote is None:
            raise MediaError(f"leg {self.id} is not configured")
        if self._dtmf_pt < 0:
            await self._send_inband(digits, duration_ms)
            return
        if not self._engine.running:
            raise MediaError("media engine is not running")
        if not 20 <= duration_ms <= 8000:
            raise MediaError("DTMF duration must be 20..8000 ms")
        codes = []
        for ch in digits.upper():
            code = DIGIT_TO_EVENT.get(ch)
            if code is None:
                raise MediaError(f"not a DTMF digit: {ch!r}")
            codes.append(code)
        if not codes:
            return
        ticks = max(1, round(duration_ms / 20))
        mine: list[_DtmfStep] = []
        for code in codes:
            mine.append(_DtmfStep(code, ticks))
            mine.append(_DtmfStep(-1, _DTMF_GAP_TICKS))
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        mine[-1].future = fut
        self.dtmf_steps.extend(mine)
        try:
            await fut
        except asyncio.CancelledError:
            current = self.dtmf_steps[0] if self.dtmf_steps else None
            ids = {id(s) for s in mine}
            self.dtmf_steps = deque(s for s in self.dtmf_steps if id(s) not in ids or s is current)
            raise

    async def _send_inband(self, digits: str, duration_ms: int) -> None:
        if not 20 <= duration_ms <= 8000:
            raise MediaError("DTMF duration must be 20..8000 ms")
        try:
            pcm = dtmf_samples(digits, duration_ms, _INBAND_GAP_MS)
        except ValueError as exc:
            raise MediaError(str(exc)) from None
        if pcm.size == 0:
            return
        if not self._engine.running:
            raise MediaError("media engine is not running")
        if self._inband_lock is None:
            self._inband_lock = asyncio.Lock()
        async with self._inband_lock:
            if self.closed:
                raise MediaError(f"leg {self.id} closed")
            player = self._engine.play_samples(self, pcm, exclusive=True)
            self.dtmf_out += len(digits)
            try:
                await player.done.wait()
            finally:
                player.stop()
        if self.closed:
            raise MediaError(f"leg {self.id} closed")

    # ------------------------------------------------------------ receive path
    def _receive(self, data: bytes, addr: Any) -> None:
        if len(data) < 12:
            self.invalid += 1
            return
        b0, b1, seq, ts, ssrc = _HDR.unpack_from(data)
        if b0 == 0x80:  # no padding, extension or CSRCs: the usual case
            payload = data[12:]
        else:
            h = parse_header(data)
            if h is None:
                self.invalid += 1
                return
            payload = h[5]
        pt = b1 & 0x7F
        if 72 <= pt <= 76:  # RTCP on the RTP port (rtcp-mux): not used
            self.ignored += 1
            return
        self.packets_in += 1
        if ssrc != self._rx_ssrc:
            if self._rx_ssrc is not None:  # a new stream: start over
                self._lost_before += self._rx.lost
                self._rx = ReceiveStats()
                self.jb.reset()
                self.carry = None
            self._rx_ssrc = ssrc
        rx = self._rx
        if seq == rx.expect:  # in order: ReceiveStats.update's common case, inlined
            rx.highest += 1
            rx.received += 1
            rx.expect = (seq + 1) & 0xFFFF
        else:
            rx.update(seq)
        if pt == self._pt:
            if addr != self.remote and self._latch:
                self._latch_to(addr)
            if self._ev_pending and ((ts - self._ev_ts) & 0xFFFFFFFF) > self._ev_dur + 800:
                self._report_event()  # audio resumed; the event's end packets were all lost
            for listener in self.relay_to:
                listener._forward(b1 & 0x80, ts, ssrc, payload)
            if self.tick_need:
                self.jb.put(seq, payload)
        elif pt == self._dtmf_pt:
            if addr != self.remote and self._latch:
                self._latch_to(addr)
            self._receive_event(ts, payload)
        else:
            self.ignored += 1

    def _latch_to(self, addr: Any) -> None:
        remote = self.remote
        if remote is None:
            return
        if tuple(addr[:2]) == tuple(remote[:2]):  # same place, another tuple form (IPv6)
            self.remote = addr
            return
        log.info("leg %s: symmetric RTP, sending to %s:%s (was %s:%s)", self.id, addr[0], addr[1],
                 remote[0], remote[1])
        self.remote = addr

    def _forward(self, marker: int, ts: int, ssrc: int, payload: bytes) -> None:
        """Fast path: relay one packet of our single source under our own stream.

        The payload's byte count is its duration in timestamp units for every codec
        kefu has (G.711 and G.722 at 64 kbit/s: one byte per 1/8000 s).
        """
        if self.dtmf_steps:  # RFC 4733 going out: audio is muted
            return
        if ssrc != self._fwd_ssrc:  # (re)start: continue from our own clock
            self._fwd_ssrc = ssrc
            self._fwd_off = (self.ts - ts) & _M32
            marker = 0x80
        out_ts = (ts + self._fwd_off) & _M32
        seq = self._seq
        self._seq = (seq + 1) & 0xFFFF
        try:
            self._sendto(_HDR.pack(0x80, self._pt | marker | self._marker, seq, out_ts, self.ssrc) + payload,
                         self.remote)
        except Exception as exc:
            self._send_failed(exc)
            return
        self._marker = 0
        self._fwd_last = (out_ts + len(payload)) & _M32
        self.packets_out += 1

    def enter_fast(self, source: RtpLeg) -> None:
        """Be relayed ``source``'s packets (``leave_fast`` first if fed by another)."""
        if self.relay_from is not None and self.relay_from is not source:
            self.leave_fast()
        self.relay_from = source
        self._fwd_ssrc = None  # the first relayed packet fixes the timestamp offset
        self._fwd_last = None
        if self not in source.relay_to:
            source.relay_to = (*source.relay_to, self)

    def leave_fast(self) -> None:
        """Back to the mixed path: keep the later of the clock's and the relay's timestamp."""
        src, self.relay_from = self.relay_from, None
        if src is not None and self in src.relay_to:
            src.relay_to = tuple(leg for leg in src.relay_to if leg is not self)
        if self._fwd_last is not None:
            self.ts = _later(self.ts, self._fwd_last)
            self._fwd_last = None

    def _receive_event(self, ts: int, payload: bytes) -> None:
        ev = parse_event(payload)
        if ev is None:
            self.invalid += 1
            return
        if ts != self._ev_ts:
            if ts in self._ev_done:  # a straggling retransmission of a reported event
                return
            if self._ev_pending:
                self._report_event()
            self._ev_ts = ts
            self._ev_code = ev.event
            self._ev_pending = True
        self._ev_dur = ev.duration
        if ev.end and self._ev_pending:
            self._report_event()

    def _report_event(self) -> None:
        self._ev_pending = False
        self._ev_done.append(self._ev_ts)
        digit = EVENT_TO_DIGIT.get(self._ev_code)
        if digit is not None:
            self.report_digit(digit)

    def report_digit(self, digit: str) -> None:
        """One key press, from RFC 4733 or in-band detection."""
        self.dtmf_in += 1
        cb = self.on_dtmf
        if cb is not None:
            try:
                cb(digit)
            except Exception:
                log.exception("on_dtmf callback of leg %s failed", self.id)

    # ------------------------------------------------------------- tick path
    def pull(self) -> np.ndarray | None:
        """This tick's frame of what the leg sends us (None = silence)."""
        if self.carry is None:
            return self.frame_from(self.jb.pop())
        return self._reframe(self.carry)

    def frame_from(self, payload: bytes | None) -> np.ndarray | None:
        """Decode and conceal one payload already popped from the jitter buffer."""
        if payload is None:
            return self.conceal.next(None)
        frame = self.codec.decode(payload)  # type: ignore[union-attr]
        if frame.shape[0] == FRAME_SAMPLES:
            return self.conceal.next(frame)
        return self._reframe(frame)

    def _reframe(self, carry: np.ndarray) -> np.ndarray | None:
        """The peer uses another ptime: re-cut its audio into 20 ms frames."""
        while carry.shape[0] < FRAME_SAMPLES:
            payload = self.jb.pop()
            if payload is None:
                break
            carry = np.concatenate((carry, self.codec.decode(payload)))  # type: ignore[union-attr]
        if carry.shape[0] < FRAME_SAMPLES:
            self.carry = carry if carry.shape[0] else None
            return self.conceal.next(None)
        frame = carry[:FRAME_SAMPLES]
        rest = carry[FRAME_SAMPLES:]
        self.carry = rest[-_MAX_CARRY:] if rest.shape[0] else None
        return self.conceal.next(frame)

    def emit(self, pcm: np.ndarray) -> None:
        """Send this tick's packet (audio, or a DTMF step) and advance the timestamp."""
        if self.dtmf_steps:
            self._emit_dtmf()
        else:
            self._send(self._pt | self._marker, self.codec.encode(pcm), self.ts)  # type: ignore[union-attr]
            self._marker = 0
        self.ts = (self.ts + FRAME_SAMPLES) & 0xFFFFFFFF

    def send_payload(self, payload: bytes) -> None:
        """Send pre-encoded audio (the engine's batch G.711 path)."""
        seq = self._seq
        ts = self.ts
        self._seq = (seq + 1) & 0xFFFF
        self.ts = (ts + FRAME_SAMPLES) & 0xFFFFFFFF
        try:
            self._sendto(_HDR.pack(0x80, self._pt | self._marker, seq, ts, self.ssrc) + payload, self.remote)
        except Exception as exc:
            self._send_failed(exc)
            return
        self._marker = 0
        self.packets_out += 1

    def _send(self, pt_marker: int, payload: bytes, ts: int) -> None:
        """One packet; ``pt_marker`` is the payload type with the marker bit OR-ed in."""
        seq = self._seq
        self._seq = (seq + 1) & 0xFFFF
        try:
            self._sendto(_HDR.pack(0x80, pt_marker, seq, ts, self.ssrc) + payload, self.remote)
        except Exception as exc:
            self._send_failed(exc)
            return
        self.packets_out += 1

    def _send_failed(self, exc: Exception) -> None:
        """OSError, or a transport closed under us: count, log once, carry on."""
        self.send_errors += 1
        if self.send_errors == 1:
            log.warning("leg %s: send to %s failed: %s", self.id, self.remote, exc)

    def _emit_dtmf(self) -> None:
        step = self.dtmf_steps[0]
        step.k += 1
        if step.event < 0:  # muted gap
            self._send(self._pt, self.codec.encode(_SILENCE), self.ts)  # type: ignore[union-attr]
            finished = step.k >= step.ticks
        else:
            if step.k == 1:
                step.start_ts = self.ts
                self.dtmf_out += 1
            n = step.ticks
            end = step.k >= n
            payload = build_event(step.event, end, _DTMF_VOLUME, min(step.k, n) * FRAME_SAMPLES)
            self._send(self._dtmf_pt | (0x80 if step.k == 1 else 0), payload, step.start_ts)
            finished = step.k >= n + 2  # the end packet goes out three times
        if finished:
            self.dtmf_steps.popleft()
            if step.future is not None and not step.future.done():
                step.future.set_result(None)
            if not self.dtmf_steps:
                self._marker = 0x80  # audio restarts: new talkspurt

    def advance(self, ticks: int) -> None:
        """The clock skipped ``ticks``: keep the RTP timestamp on wall-clock time."""
        self.ts = (self.ts + ticks * FRAME_SAMPLES) & 0xFFFFFFFF

    def shutdown(self) -> asyncio.Future[None]:
        """Close the socket and fail pending DTMF; the engine's half of ``close_leg`` (call
        that, not this).  Resolves when the socket is closed."""
        self.closed = True
        self.on_dtmf = None
        self.leave_fast()
        self.relay_to = ()
        for step in self.dtmf_steps:
            if step.future is not None and not step.future.done():
                step.future.set_exception(MediaError(f"leg {self.id} closed"))
        self.dtmf_steps.clear()
        transport, self._transport = self._transport, None
        self._sendto = _dropped
        # no reference cycle left through the protocol: a closed leg is freed at once by
        # reference counting, not by a full garbage collection (which stalls every thread
        # for as long as it takes to walk the heap)
        self._protocol.datagram_received = _ignored  # type: ignore[method-assign]
        if transport is not None:
            transport.close()
        return self._protocol.lost

    def __repr__(self) -> str:
        codec = self.codec.name if self.codec else "-"
        return f"<RtpLeg {self.id} {self.local_host}:{self.local_port} -> {self.remote} {codec}>"
