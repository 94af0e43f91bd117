"""HTTP connections cannot pile up (issue 10, denial of service): kefu.web.limits against a
real uvicorn server on 127.0.0.1 — the request-header deadline (uvicorn's own timer only
starts after a response), kept-alive and WebSocket connections left alone, and the
per-address cap (127.0.0.2 is loopback too)."""

from __future__ import annotations

import asyncio
import base64
import os

import pytest
import uvicorn

from kefu.sip.guard import Guard
from kefu.web.limits import protocol

DEADLINE = 0.4


async def app(scope, receive, send):
    """A page and a WebSocket that echoes until closed: all the server needs here."""
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})
    elif scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        while (await receive())["type"] != "websocket.disconnect":
            pass


@pytest.fixture
async def http():
    guard = Guard()
    cap = guard.connection_cap("http", 3)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, loop="none", lifespan="off",
                            log_level="warning", http=protocol(cap, DEADLINE))
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    server.port = server.servers[0].sockets[0].getsockname()[1]
    server.cap = cap
    yield server
    server.should_exit = True
    await task


async def connect(server, host: str = "127.0.0.1"):
    return await asyncio.open_connection("127.0.0.1", server.port, local_addr=(host, 0))


async def closed_within(reader: asyncio.StreamReader, seconds: float) -> bool:
    """True if the server closes the connection (EOF or reset) within ``seconds``."""
    try:
        while await asyncio.wait_for(reader.read(65536), seconds):
            pass
    except asyncio.TimeoutError:
        return False
    except (ConnectionError, OSError):
        pass
    return True


GET = b"GET / HTTP/1.1\r\nHost: kefu\r\n\r\n"


async def test_half_open_requests_are_closed_after_the_deadline(http):
    loop = asyncio.get_running_loop()
    silent = await connect(http)
    half = await connect(http)
    half[1].write(b"GET / HTTP/1.1\r\nX: ")
    start = loop.time()
    assert await closed_within(silent[0], 3) and await closed_within(half[0], 3)
    assert DEADLINE - 0.05 < loop.time() - start < DEADLINE + 0.5
    assert http.cap.timed_out == 2 and http.cap.open() == 0


async def test_kept_alive_and_websocket_connections_stay(http):
    reader, writer = await connect(http)
    for _ in range(3):                        # requests spread over more than the deadline
        writer.write(GET)
        assert (await reader.readuntil(b"ok")).startswith(b"HTTP/1.1 200")
        await asyncio.sleep(DEADLINE * 0.8)
    # a kept-alive connection that starts a next request must finish it in time, too
    writer.write(b"GET / HTTP/1.1\r\n")
    assert await closed_within(reader, DEADLINE + 0.5)

    ws_reader, ws_writer = await connect(http)
    key = base64.b64encode(os.urandom(16))
    ws_writer.write(b"GET /ws HTTP/1.1\r\nHost: kefu\r\nUpgrade: websocket\r\n"
                    b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                    b"Sec-WebSocket-Key: " + key + b"\r\n\r\n")
    assert (await ws_reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101")
    assert not await closed_within(ws_reader, DEADLINE * 3)
    assert http.cap.open("127.0.0.1") == 1    # still counted while it is open
    ws_writer.close()
    await asyncio.sleep(0.2)
    assert http.cap.open() == 0


async def test_cap_refuses_excess_connections_per_address(http):
    held = [await connect(http) for _ in range(3)]
    await asyncio.sleep(0.05)
    extra = [await connect(http) for _ in range(2)]
    assert [await closed_within(r, 1) for r, _ in extra] == [True, True]
    other_r, other_w = await connect(http, "127.0.0.2")        # another address is served
    other_w.write(GET)
    assert (await other_r.readuntil(b"ok")).startswith(b"HTTP/1.1 200")
    st = http.cap.status()
    assert st["refused"] == 2 and st["open"] == 4
    for _, w in [*held, *extra]:
        w.close()
    other_w.close()
