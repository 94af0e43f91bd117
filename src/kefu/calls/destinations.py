"""Who takes a routed call that no phone answers: the switch's table of destination handlers.

The switch rings extensions and trunks itself (and answers refusals); every other kind of
route is handed to the handler registered for it: the test prompt and conference rooms
(the switch's own), queues (the ACD registers ``queue`` at start-up), later an IVR flow.
So ``calls`` names no module above it, and a new kind of destination is one registration.
"""

from __future__ import annotations

from typing import Any, Coroutine, Protocol

from kefu.calls.call import Call
from kefu.calls.dialplan import Route
from kefu.calls.room import Member

RINGING_KINDS = frozenset({"extension", "trunk", "refuse"})   # the switch's own: not a handler


class Destination(Protocol):
    """Takes over ``call``, routed to ``route``: answers it, queues it, runs a flow.  Called
    for a new call (still ROUTING) and for a blind transfer's target (the call connected,
    its transferor already gone)."""

    async def __call__(self, call: Call, route: Route, /) -> None: ...


class Routes(Protocol):
    """What :func:`hand_on` needs of the switch (a part of ``protocol.Calls``)."""

    def route(self, caller: str, dialed: str) -> Route: ...

    def handler(self, route: Route) -> Destination | None: ...

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None: ...


def hand_on(calls: Routes, call: Call, member: Member) -> bool:
    """``member`` left a connected call that holds no conversation any more: when it was
    not the caller and the call names where its caller goes next (``call.after``, set by
    the ACD from the queue's ``survey``), hand the caller to that route's handler instead
    of ending the call.  True when handed on.  Once per call: the flow's end ends it."""
    if member.sip is call.a or not call.hands_on():
        call.after = ""
        return False
    route = calls.route(call.caller, call.after)
    call.after = ""
    take = calls.handler(route)
    if take is None:
        return False
    calls.spawn(take(call, route))
    return True
