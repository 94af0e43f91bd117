"""A browser's softphone as an ordinary RTP peer of the media engine.

aiortc terminates the browser's WebRTC session (ICE, DTLS-SRTP).  :class:`WebRtcLine`
couples it to an :class:`~kefu.media.leg.RtpLeg` of the engine in the same process
(:meth:`~kefu.media.leg.RtpLeg.couple`: no socket in between), so the engine, the mixer,
recordings and every call feature treat a browser exactly like a SIP phone.

Audio crosses as PCMU payloads, never decoded or re-encoded on the way:

* browser -> engine: the line taps aiortc's RTP receiver (:func:`_tap`) and hands each
  packet, SRTP removed, straight to the leg, whose jitter buffer is the one that counts.
  aiortc's own jitter buffer, decoder thread and track (a thread hand-off and back for
  every 20 ms packet) are skipped; they cost more than everything else a line does.
* engine -> browser: the leg's packets become ready-made ``av.Packet``s that aiortc only
  packs and encrypts.

aiortc's ICE (aioice) offers every interface's address except 127.0.0.1.  kefu must not
listen beyond its configured addresses, so :func:`restrict_ice` makes aioice offer exactly
the configured ones (a process-wide setting: aioice has no per-connection option).
"""

from __future__ import annotations

import asyncio
import fractions
import logging
from typing import Callable

# imported with kefu, not at the first line: the import takes ~0.25 s, and on the event
# loop that would stall the media clock of every call in progress
import aioice.ice
import av
from aiortc import (MediaStreamTrack, RTCConfiguration, RTCPeerConnection,
                    RTCSessionDescription)
from aiortc.rtcrtpreceiver import StreamStatistics
from aiortc.rtcrtpsender import RTCRtpSender

from .engine import MediaEngine
from .leg import RtpLeg
from .rtp import build_rtp

log = logging.getLogger(__name__)

RATE = 8000
PCMU_PT = 0
TIME_BASE = fractions.Fraction(1, RATE)


def restrict_ice(addresses: list[str]) -> None:
    """Make aiortc's ICE offer host candidates on ``addresses`` only."""
    chosen = list(addresses)
    aioice.ice.get_host_addresses = lambda use_ipv4=True, use_ipv6=True: list(chosen)


class WebRtcError(Exception):
    """The browser's offer cannot be used (HTTP 422)."""


class EngineTrack(MediaStreamTrack):
    """What the engine sends to the browser: its PCMU payloads as packets aiortc only
    packs (no encoding), paced by the engine's own 20 ms clock (``recv`` waits for the
    next one)."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=50)
        self._pts = 0

    async def recv(self) -> av.Packet:  # type: ignore[override]
        payload = await self.queue.get()
        packet = av.Packet(payload)
        packet.pts = self._pts
        packet.time_base = TIME_BASE
        self._pts += len(payload)            # PCMU: one byte a sample
        return packet


def _tap(receiver, deliver: Callable[[object], None]) -> None:  # type: ignore[no-untyped-def]
    """Hand ``receiver``'s RTP packets to ``deliver`` as they arrive (SRTP removed).

    Replaces the receiver's packet handler on this instance only.  aiortc's per-stream
    statistics are still kept when its receiver has them (its RTCP receiver reports to
    the browser come from them); they are a private table, so without it there are none.
    """
    streams = getattr(receiver, "_RTCRtpReceiver__remote_streams", None)

    async def handle(packet, arrival_time_ms: int) -> None:  # type: ignore[no-untyped-def]
        if not receiver._enabled:
            return
        if streams is not None:
            stats = streams.get(packet.ssrc)
            if stats is None:
                stats = streams[packet.ssrc] = StreamStatistics(RATE)
            stats.add(packet)
        deliver(packet)

    receiver._handle_rtp_packet = handle


class WebRtcLine:
    """One browser's audio session, alive from its offer until either side closes it.

    ``rtp`` is the engine leg that stands for the browser; ``on_closed`` is called once
    when the browser goes away (closed tab, failed connection) or :meth:`close` runs.
    """

    def __init__(self, engine: MediaEngine, host: str) -> None:
        self.engine = engine
        self.host = host
        self.rtp: RtpLeg | None = None
        self.pc: RTCPeerConnection | None = None
        self.on_closed: Callable[[], None] | None = None
        self._feed: Callable[[bytes], None] | None = None
        self._track: EngineTrack | None = None
        self._closed = False
        self.frames_in = 0
        self.frames_out = 0

    async def open(self, offer_sdp: str) -> str:
        """Answer the browser's offer (PCMU only); returns the answer SDP."""
        self.rtp = rtp = await self.engine.open_leg("webrtc")
        rtp.send_silence = False             # an idle line sends the browser nothing
        # the leg's remote is never written to: coupled, its packets go to _to_browser
        rtp.configure(self.host, rtp.local_port, "PCMU", PCMU_PT, None)
        self._feed = rtp.couple(self._to_browser)
        self.pc = pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self._track = EngineTrack()

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
            _tap(audio.receiver, self._from_browser)
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

    def _from_browser(self, packet) -> None:  # type: ignore[no-untyped-def]
        """One of the browser's RTP packets -> the engine leg, sequence numbers and
        timestamps as sent, so the leg's jitter buffer sees the real stream."""
        if packet.payload_type != PCMU_PT or self._feed is None:
            return
        self._feed(build_rtp(PCMU_PT, packet.sequence_number, packet.timestamp, packet.ssrc,
                             packet.payload, packet.marker))
        self.frames_in += 1

    def _to_browser(self, packet: bytes) -> None:
        """A packet of the engine leg (always a plain 12-byte header) -> the browser."""
        if self._track is None:
            return
        queue = self._track.queue
        if queue.full():                    # the browser side is not reading: drop the oldest
            queue.get_nowait()
        queue.put_nowait(packet[12:])
        self.frames_out += 1

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._feed = None
        if self.pc is not None:
            await self.pc.close()
        if self.rtp is not None:
            await self.engine.close_leg(self.rtp)
        if self.on_closed is not None:
            self.on_closed()
