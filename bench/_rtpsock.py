"""The load generators' UDP socket: big buffers, kernel receive timestamps; what they
count on what comes back."""

from __future__ import annotations

import socket
import struct
import time

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux value
HOST = "127.0.0.1"
_SEQ_SSRC = struct.Struct("!2xH4xI")                     # RTP header: seq, (ts), ssrc


def open_rtp_socket() -> tuple[socket.socket, bool]:
    """A non-blocking socket on 127.0.0.1 with 8 MiB buffers (SO_*BUFFORCE beats
    rmem_max as root: a whole tick's burst must fit) and, where the kernel allows,
    SO_TIMESTAMPNS.  Returns the socket and whether kernel timestamps are on."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    for opt, force in ((socket.SO_RCVBUF, 33), (socket.SO_SNDBUF, 32)):
        try:
            sock.setsockopt(socket.SOL_SOCKET, force, 8 << 20)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, opt, 8 << 20)
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        kernel_ts = True
    except OSError:
        kernel_ts = False
    sock.bind((HOST, 0))
    sock.setblocking(False)
    return sock, kernel_ts


def rx_time_ns(ancdata) -> int:
    """The kernel's receive time (SO_TIMESTAMPNS) in ``recvmsg``'s ancillary data, or now."""
    for level, kind, cdata in ancdata:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(cdata) >= 16:
            sec, nsec = struct.unpack_from("qq", cdata)
            return sec * 1_000_000_000 + nsec
    return time.time_ns()


class SeqGaps:
    """RTP packets received per SSRC, by extended sequence number: how many never came."""

    def __init__(self) -> None:
        self._ssrc: dict[int, list[int]] = {}       # ssrc -> [first, highest (ext), count]

    def add(self, packet: bytes) -> None:
        seq, ssrc = _SEQ_SSRC.unpack_from(packet)
        st = self._ssrc.get(ssrc)
        if st is None:
            self._ssrc[ssrc] = [seq, seq, 1]
        else:
            ext = st[1] + ((seq - st[1] + 0x8000) & 0xFFFF) - 0x8000
            if ext > st[1]:
                st[1] = ext
            st[2] += 1

    def missing(self) -> int:
        return sum(max(0, hi - first + 1 - n) for first, hi, n in self._ssrc.values())
