"""Shared fixtures: a running MediaEngine and RTP test peers, all on 127.0.0.1.

Each test module may set ``ENGINE_PORTS = (lo, hi)`` so that modules use disjoint RTP
ranges (a leftover socket of one module never collides with the next).
"""

from __future__ import annotations

import pytest

from kefu.media import MediaEngine

from .audio import RtpPeer


@pytest.fixture
async def engine(request):
    lo, hi = getattr(request.module, "ENGINE_PORTS", (24000, 25999))
    eng = MediaEngine("127.0.0.1", lo, hi)
    await eng.start()
    yield eng
    await eng.stop()


@pytest.fixture
async def peers():
    """Factory: ``await peers()`` -> a new RtpPeer, closed after the test."""
    made: list[RtpPeer] = []

    async def make() -> RtpPeer:
        p = await RtpPeer.create()
        made.append(p)
        return p

    yield make
    for p in made:
        p.close()
