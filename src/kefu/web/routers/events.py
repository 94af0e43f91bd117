"""Live bus events over a WebSocket, for agent desktops, wallboards and programs.

``GET /api/v1/events?token=…&types=agent.,queue.``: browsers cannot set headers on a
WebSocket, so the API token comes in the ``token`` query parameter (an ``Authorization:
Bearer`` header works too); it is never logged here.  A bad token is answered by accepting
and then closing with 4401, because a refused handshake reaches a browser only as a bare
failure, while a close code tells the desktop to log in again.

Each connection has a bounded queue fed by a bus subscriber; a client too slow to drain it
is closed with 1013 instead of letting memory grow or the bus wait.  Who sees what is
declared with each event type in :mod:`kefu.events`: admin and supervisor everything, qa
``call.*``, an agent its own events, queue figures and its calls (``AppContext.visible``).
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Callable

import anyio
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from kefu.bus import Event
from kefu.events import visible
from kefu.users.service import User

from ..context import AppContext

router = APIRouter(prefix="/events", tags=["events"])
log = logging.getLogger(__name__)

QUEUE_SIZE = 1000           # messages buffered per connection before the client is dropped
CLOSE_UNAUTHORIZED = 4401   # application range 4000-4999; mirrors HTTP 401
CLOSE_TOO_SLOW = 1013       # "try again later"

Message = dict[str, Any]


def _visibility(ctx: AppContext, user: User) -> Callable[[Event], bool]:
    """The registry's rule (:func:`kefu.events.visible`); for agents ``ctx.visible`` (the
    ACD's, which knows each agent's current call) when the composition root gives one."""
    if user.role == "agent" and ctx.visible is not None:
        rule = ctx.visible
        return lambda event: rule(user, event)
    return lambda event: visible(user.role, user.username, event)


def _bearer(ws: WebSocket, token: str | None) -> str | None:
    """The token from the query, else from an ``Authorization: Bearer`` header."""
    if token:
        return token
    scheme, _, credentials = ws.headers.get("authorization", "").partition(" ")
    return (credentials.strip() or None) if scheme.lower() == "bearer" else None


def _dumps(message: Message) -> str:
    # default=str: one odd value in an event's data must not end the connection
    return json.dumps(message, default=str, ensure_ascii=False, separators=(",", ":"))


@router.websocket("")
async def events(ws: WebSocket, token: str | None = None, types: str | None = None) -> None:
    """Stream bus events as JSON text: ``{"type", "call_id", "ts", "data"}``, after a first
    ``{"type": "hello", "user", "role"}``.  ``types``: comma-separated type prefixes.
    Send ``ping`` to get ``{"type": "pong"}``."""
    ctx: AppContext = ws.app.state.ctx
    peer = f"{ws.client.host}:{ws.client.port}" if ws.client else "?"
    await ws.accept()
    secret = _bearer(ws, token)
    user = await run_in_threadpool(ctx.users.user_for_token, secret) if secret else None
    if user is None:
        reason = "invalid or expired token" if secret else "missing token"
        log.info("events: refused %s: %s", peer, reason)
        await ws.close(CLOSE_UNAUTHORIZED, reason)
        return

    prefixes = tuple(p.strip() for p in (types or "").split(",") if p.strip()) or ("",)
    visible = _visibility(ctx, user)
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Message] = asyncio.Queue(QUEUE_SIZE)
    overflow = asyncio.Event()

    def offer(message: Message) -> None:
        if overflow.is_set():
            return
        try:
            queue.put_nowait(message)
        except asyncio.QueueFull:
            overflow.set()

    def enqueue(event: Event) -> None:
        if not event.type.startswith(prefixes):
            return
        try:
            shown = visible(event)
        except Exception:   # a broken rule hides the event, it does not break the bus
            log.exception("events: visibility rule failed on %s", event.type)
            return
        if shown:
            offer({"type": event.type, "call_id": event.call_id, "ts": event.ts,
                   "data": event.data})

    def on_event(event: Event) -> None:
        # Buses deliver on the loop (LocalBus bound to it); should one deliver on another
        # thread (an unbound LocalBus, a Redis reader) hop here: asyncio.Queue is not
        # thread-safe.
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            enqueue(event)
        else:
            loop.call_soon_threadsafe(enqueue, event)

    unsubscribe = ctx.bus.subscribe(on_event)
    try:
        await ws.send_text(_dumps({"type": "hello", "user": user.username, "role": user.role}))
        log.info("events: %s (%s) connected from %s, types %s", user.username, user.role,
                 peer, ",".join(prefixes) or "all")
        await _pump(ws, queue, offer, overflow)
        if overflow.is_set():
            log.warning("events: %s at %s too slow, %d messages behind; disconnected",
                        user.username, peer, queue.qsize())
            await ws.close(CLOSE_TOO_SLOW, "too slow: event queue full")
        else:
            log.info("events: %s at %s disconnected", user.username, peer)
    except WebSocketDisconnect:
        log.info("events: %s at %s went away", user.username, peer)
    finally:
        unsubscribe()


async def _pump(ws: WebSocket, queue: asyncio.Queue[Message],
                offer: Callable[[Message], None], overflow: asyncio.Event) -> None:
    """Send queued messages and answer pings until the client leaves or the queue
    overflows; a send stuck on a client that does not read is cancelled on overflow.

    An anyio task group, not bare asyncio tasks: the ASGI server (or TestClient) may cancel
    us through an anyio cancel scope, and asyncio-style "cancel, then await the children"
    clean-up is cancelled again by that scope, which then lets the cancellation escape.
    """
    async with anyio.create_task_group() as tasks:
        async def send() -> None:
            try:
                while True:
                    await ws.send_text(_dumps(await queue.get()))
            except WebSocketDisconnect:     # gone mid-send; receive() sees it too
                tasks.cancel_scope.cancel()

        async def receive() -> None:
            while (message := await ws.receive())["type"] != "websocket.disconnect":
                if (message.get("text") or "").strip() == "ping":
                    offer({"type": "pong"})
            tasks.cancel_scope.cancel()

        async def watch() -> None:
            await overflow.wait()
            tasks.cancel_scope.cancel()

        for task in (send, receive, watch):
            tasks.start_soon(task)
