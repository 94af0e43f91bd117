"""A browser's softphone as an ordinary RTP peer of the media engine.

aiortc terminates the browser's WebRTC session (ICE, DTLS-SRTP) and decodes its PCMU
audio.  :class:`WebRtcLine` repacks those frames as plain RTP and sends them over
loopback to an :class:`~kefu.media.leg.RtpLeg` of the engine, and turns what the engine
sends back into the track the browser hears.  The engine, the mixer, recordings and every
call feature therefore treat a browser exactly like a SIP phone; the price is one PCMU
encode/decode per direction on the bridge.

Audio crosses the bridge as PCMU payloads, never decoded or re-encoded there: kefu hands
aiortc ready-made packets to send (aiortc only packs them), and :func:`passthrough_pcmu`
replaces aiortc's PCMU decoder with one that returns the payload itself.  The engine
decodes once, as for any phone.

aiortc's ICE (aioice) offers every interface's address except 127.0.0.1.  kefu must not
listen beyond its configured addresses, so :func:`restrict_ice` makes aioice offer exactly
the configured ones (a process-wide setting: aioice has no per-connection option).
"""

from __future__ import annotations

import asyncio
import fractions
import logging
import random
from typing import Callable

import numpy as np

from .codecs import ulaw_encode
from .engine import MediaEngine
from .leg import RtpLeg
from .rtp import build_rtp, parse_rtp

log = logging.getLogger(__name__)

RATE = 8000
PCMU_PT = 0
TIME_BASE = fractions.Fraction(1, RATE)


class Payload:
    """What the pass-through decoder yields instead of an ``AudioFrame``: PCMU bytes."""

    __slots__ = ("data", "timestamp")

    def __init__(self, data: bytes, timestamp: int) -> None:
        self.data, self.timestamp = data, timestamp


class _PassthroughDecoder:
    def decode(self, encoded_frame) -> list[Payload]:  # type: ignore[no-untyped-def]
        return [Payload(bytes(encoded_frame.data), encoded_frame.timestamp)]


def passthrough_pcmu() -> None:
    """Make aiortc hand over received PCMU payloads undecoded (process-wide: aiortc has no
    per-connection decoder option; kefu's only use of aiortc is these lines)."""
    import aiortc.rtcrtpreceiver as receiver

    if getattr(receiver.get_decoder, "kefu_passthrough", False):
        return
    original = receiver.get_decoder

    def get_decoder(codec):  # type: ignore[no-untyped-def]
        if codec.mimeType.lower() == "audio/pcmu":
            return _PassthroughDecoder()
        return original(codec)

    get_decoder.kefu_passthrough = True  # type: ignore[attr-defined]
    receiver.get_decoder = get_decoder


def restrict_ice(addresses: list[str]) -> None:
    """Make aiortc's ICE offer host candidates on ``addresses`` only."""
    import aioice.ice

    chosen = list(addresses)
    aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=True: list(chosen)


class WebRtcError(Exception):
    """The browser's offer cannot be used (HTTP 422)."""


def _track_class():
    from aiortc import MediaStreamTrack

    class EngineTrack(MediaStreamTrack):
        """What the engine sends to the browser: its PCMU payloads as packets aiortc only
        packs (no encoding), paced by the engine's own 20 ms clock (``recv`` waits for
        the next one)."""

        kind = "audio"

        def __init__(self) -> None:
            super().__init__()
            self.queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=50)
            self._pts = 0

        async def recv(self):  # type: ignore[override]
            import av

            payload = await self.queue.get()
            packet = av.Packet(payload)
            packet.pts = self._pts
            packet.time_base = TIME_BASE
            self._pts += len(payload)            # PCMU: one byte a sample
            return packet

    return EngineTrack


class _Bridge(asyncio.DatagramProtocol):
    """The loopback socket that plays the browser's side of the engine leg."""

    def __init__(self, line: "WebRtcLine") -> None:
        self.line = line

    def datagram_received(self, data: bytes, addr) -> None:  # type: ignore[no-untyped-def]
        packet = parse_rtp(data)
        if packet is None or packet.payload_type != PCMU_PT:
            return
        self.line._to_browser(packet.payload)


class WebRtcLine:
    """One browser's audio session, alive from its offer until either side closes it.

    ``rtp`` is the engine leg that stands for the browser; ``on_closed`` is called once
    when the browser goes away (closed tab, failed connection) or :meth:`close` runs.
    """

    def __init__(self, engine: MediaEngine, host: str) -> None:
        self.engine = engine
        self.host = host
        self.rtp: RtpLeg | None = None
        self.pc = None
        self.on_closed: Callable[[], None] | None = None
        self._transport: asyncio.DatagramTransport | None = None
        self._track = None
        self._reader: asyncio.Task | None = None
        self._closed = False
        self._seq = random.randint(0, 0xFFFF)
        self._ts = random.randint(0, 0xFFFFFFFF)
        self._ssrc = random.randint(1, 0xFFFFFFFF)
        self.frames_in = 0
        self.frames_out = 0

    async def open(self, offer_sdp: str) -> str:
        """Answer the browser's offer (PCMU only); returns the answer SDP."""
        from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
        from aiortc.rtcrtpsender import RTCRtpSender

        loop = asyncio.get_running_loop()
        self.rtp = await self.engine.open_leg("webrtc")
        self.rtp.send_silence = False        # an idle line sends the browser nothing
        self._transport, _ = await loop.create_datagram_endpoint(
            lambda: _Bridge(self), local_addr=(self.host, 0))
        port = self._transport.get_extra_info("sockname")[1]
        self.rtp.configure(self.host, port, "PCMU", PCMU_PT, None)
        self.pc = pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self._track = _track_class()()

        @pc.on("track")
        def on_track(track) -> None:  # type: ignore[no-untyped-def]
            if track.kind == "audio" and self._reader is None:
                self._reader = asyncio.ensure_future(self._from_browser(track))

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState in ("failed", "closed"):
                await self.close()

        try:
            if "m=audio" not in offer_sdp:
                raise WebRtcError("the offer has no audio")
            # aiortc picks the answer's codecs while it applies the offer, so the audio
            # transceiver must exist, PCMU-only, before the offer is applied
            audio = pc.addTransceiver(self._track, direction="sendrecv")
            audio.setCodecPreferences([c for c in RTCRtpSender.getCapabilities("audio").codecs
                                       if c.mimeType.lower() == "audio/pcmu"])
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
        except WebRtcError:
            await self.close()
            raise
        except Exception as exc:        # aiortc raises many kinds on a bad SDP
            await self.close()
            raise WebRtcError(f"unusable offer: {exc}") from None
        answer = pc.localDescription.sdp
        if "PCMU/8000" not in answer:
            await self.close()
            raise WebRtcError("the browser does not offer PCMU")
        return answer

    async def _from_browser(self, track) -> None:  # type: ignore[no-untyped-def]
        """The browser's PCMU payloads → RTP to the engine leg, as they came (20 ms each
        from browsers); decoded audio (without the pass-through) is encoded first."""
        from aiortc.mediastreams import MediaStreamError

        try:
            while True:
                item = await track.recv()
                if isinstance(item, Payload):
                    self._send(item.data)
                elif item.sample_rate == RATE:       # aiortc decoded it after all
                    self._send(ulaw_encode(item.to_ndarray().reshape(-1).astype(np.int16)))
        except (MediaStreamError, asyncio.CancelledError):
            pass

    def _send(self, payload: bytes) -> None:
        if self._transport is None or self.rtp is None:
            return
        packet = build_rtp(PCMU_PT, self._seq, self._ts, self._ssrc, payload)
        self._seq = (self._seq + 1) & 0xFFFF
        self._ts = (self._ts + len(payload)) & 0xFFFFFFFF
        self._transport.sendto(packet, (self.host, self.rtp.local_port))
        self.frames_in += 1

    def _to_browser(self, payload: bytes) -> None:
        if self._track is None:
            return
        queue = self._track.queue
        if queue.full():                    # the browser side is not reading: drop the oldest
            queue.get_nowait()
        queue.put_nowait(payload)
        self.frames_out += 1

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._reader is not None:
            self._reader.cancel()
        if self.pc is not None:
            await self.pc.close()
        if self._transport is not None:
            self._transport.close()
        if self.rtp is not None:
            await self.engine.close_leg(self.rtp)
        if self.on_closed is not None:
            self.on_closed()
