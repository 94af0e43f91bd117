"""Who takes a routed call that no phone answers: the switch's table of destination handlers.

The switch rings extensions and trunks itself (and answers refusals); every other kind of
route is handed to the handler registered for it: the test prompt and conference rooms
(the switch's own), queues (the ACD registers ``queue`` at start-up), later an IVR flow.
So ``calls`` names no module above it, and a new kind of destination is one registration.
"""

from __future__ import annotations

from typing import Protocol

from kefu.calls.call import Call
from kefu.calls.dialplan import Route

RINGING_KINDS = frozenset({"extension", "trunk", "refuse"})   # the switch's own: not a handler


class Destination(Protocol):
    """Takes over ``call``, routed to ``route``: answers it, queues it, runs a flow.  Called
    for a new call (still ROUTING) and for a blind transfer's target (the call connected,
    its transferor already gone)."""

    async def __call__(self, call: Call, route: Route, /) -> None: ...
