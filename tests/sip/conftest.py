"""Fixtures for the tests in tests/sip: real SipServers on 127.0.0.1 (helpers: sipkit.py)."""

from __future__ import annotations

import asyncio

import pytest

from kefu.config import SipSettings
from kefu.sip.server import SipServer
from sipkit import REALM, NoCalls, free_port, lookup


@pytest.fixture
async def sip_server():
    """Start SipServers, stopped after the test: ``await sip_server(handler, **kw)``.

    ``handler`` defaults to one that rejects every call; ``settings`` (a dict) adds to the
    SipSettings; any other keyword (tls=, security=, trunks=, data_dir=) goes to SipServer.
    A server may be stopped early by the test.
    """
    started: list[SipServer] = []

    async def start(handler=None, *, settings: dict | None = None, **kw) -> SipServer:
        sip = SipSettings(host="127.0.0.1", port=free_port(), realm=REALM, **(settings or {}))
        srv = SipServer(sip, lookup, handler or NoCalls(), **kw)
        srv.start(asyncio.get_running_loop())
        started.append(srv)
        await asyncio.sleep(0.01)          # let the loop start serving the listeners
        return srv

    yield start
    for srv in started:
        srv.stop()
    await asyncio.sleep(0.05)              # the listeners close on the loop


@pytest.fixture
async def server(sip_server) -> SipServer:
    """One SipServer with default settings that rejects every call."""
    return await sip_server()
