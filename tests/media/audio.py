"""Test helpers: tones, FFT checks, and an RTP peer on a real UDP socket.

The peer builds and parses RTP with ``struct`` itself, so tests do not trust the
code under test to check its own wire format.
"""

from __future__ import annotations

import asyncio
import struct
import time
from dataclasses import dataclass

import numpy as np

RATE = 8000
FRAME = 160
_HDR = struct.Struct("!BBHII")


def tone(freq: float, seconds: float, rate: int = RATE, amp: float = 8000.0) -> np.ndarray:
    n = int(round(seconds * rate))
    return (amp * np.sin(2 * np.pi * freq * np.arange(n) / rate)).astype(np.int16)


def dominant_frequency(x: np.ndarray, rate: int = RATE) -> float:
    """Frequency of the strongest FFT bin (Hann window, DC removed)."""
    x = np.asarray(x, dtype=np.float64)
    x = x - x.mean()
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return float(np.fft.rfftfreq(x.size, 1.0 / rate)[int(spec.argmax())])


def band_energy(x: np.ndarray, freq: float, rate: int = RATE, width: float = 30.0) -> float:
    """Share of the signal's energy within +-width Hz of freq."""
    x = np.asarray(x, dtype=np.float64)
    spec = np.abs(np.fft.rfft((x - x.mean()) * np.hanning(x.size))) ** 2
    f = np.fft.rfftfreq(x.size, 1.0 / rate)
    total = spec.sum()
    return float(spec[np.abs(f - freq) <= width].sum() / total) if total else 0.0


def rms(x: np.ndarray) -> float:
    x = np.asarray(x, dtype=np.float64)
    return float(np.sqrt(np.mean(x * x))) if x.size else 0.0


@dataclass
class Rx:
    t: float
    pt: int
    marker: bool
    seq: int
    ts: int
    ssrc: int
    payload: bytes


def parse(data: bytes) -> Rx:
    b0, b1, seq, ts, ssrc = _HDR.unpack_from(data)
    assert b0 >> 6 == 2
    off = 12 + 4 * (b0 & 0x0F)
    return Rx(time.monotonic(), b1 & 0x7F, bool(b1 & 0x80), seq, ts, ssrc, data[off:])


def rtp(pt: int, seq: int, ts: int, ssrc: int, payload: bytes, marker: bool = False) -> bytes:
    return _HDR.pack(0x80, pt | (0x80 if marker else 0), seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc) + payload


class RtpPeer(asyncio.DatagramProtocol):
    """A phone stand-in: sends paced RTP to a leg, keeps what it receives."""

    def __init__(self) -> None:
        self.received: list[Rx] = []
        self.transport: asyncio.DatagramTransport | None = None
        self.seq = 1000
        self.ts = 5000
        self.ssrc = 0x1234ABCD

    @classmethod
    async def create(cls) -> RtpPeer:
        loop = asyncio.get_running_loop()
        _, peer = await loop.create_datagram_endpoint(cls, local_addr=("127.0.0.1", 0))
        return peer

    def connection_made(self, transport):  # type: ignore[override]
        self.transport = transport

    def datagram_received(self, data, addr):  # type: ignore[override]
        self.received.append(parse(data))

    @property
    def port(self) -> int:
        return self.transport.get_extra_info("sockname")[1]  # type: ignore[union-attr]

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    def send(self, port: int, data: bytes) -> None:
        self.transport.sendto(data, ("127.0.0.1", port))  # type: ignore[union-attr]

    def send_frame(self, port: int, pt: int, payload: bytes, marker: bool = False, ts: int | None = None) -> None:
        self.send(port, rtp(pt, self.seq, self.ts if ts is None else ts, self.ssrc, payload, marker))
        self.seq += 1

    async def stream(self, port: int, pt: int, payloads: list[bytes]) -> None:
        """Send one payload per 20 ms, paced against a monotonic deadline."""
        start = time.monotonic()
        for i, payload in enumerate(payloads):
            delay = start + i * 0.02 - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self.send_frame(port, pt, payload, marker=(i == 0))
            self.ts += FRAME

    def audio(self, pt: int, decode, skip: float = 0.2) -> np.ndarray:
        """Decoded audio of received packets of ``pt``, in arrival order, minus the first ``skip`` s."""
        frames = [decode(r.payload) for r in self.received if r.pt == pt]
        if not frames:
            return np.zeros(0, dtype=np.int16)
        x = np.concatenate(frames)
        return x[int(skip * RATE) :]


def frames_of(samples: np.ndarray, encode) -> list[bytes]:
    n = samples.size // FRAME
    return [encode(samples[i * FRAME : (i + 1) * FRAME]) for i in range(n)]


def brute(frames: np.ndarray, lists) -> np.ndarray:
    """The reference mix: row i is the clipped sum of the frames listed in lists[i]."""
    out = np.zeros((len(lists), frames.shape[1]), dtype=np.int16)
    for i, srcs in enumerate(lists):
        if srcs:
            s = frames[sorted(set(srcs))].astype(np.int32).sum(axis=0)
            out[i] = np.clip(s, -32768, 32767)
    return out
