"""The load generators' UDP socket: big buffers, kernel receive timestamps."""

from __future__ import annotations

import socket

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux value
HOST = "127.0.0.1"


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
