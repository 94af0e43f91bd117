"""A recording stand-in for the switch, for call control's in-process tests (tests/calls and
tests/web): only what :mod:`kefu.calls.control` touches; it routes by a table."""

from __future__ import annotations

from kefu.bus import Event
from kefu.calls.call import Call, CallState
from kefu.calls.control import Refused
from kefu.calls.dialplan import Route
from kefu.calls.room import Member, Room
from kefu.events import check


class FakeSwitch:
    """Records what it is told (events, dismissed members, numbers reached)."""

    def __init__(self, reachable: dict[str, str] | None = None) -> None:
        self.calls: dict[str, Call] = {}
        self.lines: dict[str, Member] = {}
        self.conferences: dict[str, Room] = {}
        self.destinations: dict = {}               # route kind → handler (Switch.register)
        self.reachable = reachable or {}
        self.events: list[tuple[str, dict]] = []
        self.dismissed: list[str] = []
        self.reached: list[str] = []

    def publish(self, call: Call, type_: str, **data) -> None:
        check(Event(type_, call.id, data))          # as declared in kefu.events
        self.events.append((type_, data))

    def remix(self, call: Call) -> None:
        pass

    def route(self, caller: str, dialed: str) -> Route:
        if self.reachable.get(dialed) == "queue":
            return Route(kind="queue", queue="sales")
        if dialed in self.reachable:
            return Route(kind="extension", extension=dialed)
        return Route.refuse(404, "Not Found")

    def destination(self, caller, dialed, trunk=None, exclude=None, route=None):
        route = route or self.route(caller, dialed)
        if route.kind == "refuse":
            raise Refused(route.code, route.reason, dialed)
        if route.kind != "extension":
            raise Refused(404, f"Not Found (a {route.kind})", dialed)
        if self.reachable[dialed] == "busy":
            raise Refused(486, "Busy Here", dialed)
        return dialed, [], 30.0

    def dismiss(self, call: Call, member: Member, sip_done: bool = False) -> None:
        self.dismissed.append(member.number)
        call.remove(member)

    def reach(self, call, number, stages, timeout, caller_id, on_answer, on_fail, headers=()):
        self.reached.append(number)

    def idle_line(self, number: str) -> Member | None:
        return None


def a_call(switch: FakeSwitch) -> Call:
    a = object()
    call = Call(caller="1001", callee="1002", a=a)   # type: ignore[arg-type]
    call.transition(CallState.RINGING)
    call.transition(CallState.CONNECTED)
    call.room.add(Member("1001", "caller", a, object()))
    call.room.add(Member("1002", "callee", object(), object()))
    switch.calls[call.id] = call
    return call
