"""A recording stand-in for the switch: the calls protocol (:mod:`kefu.calls.protocol`)
without SIP or media, for the in-process tests of call control (tests/calls, tests/web)
and of the ACD (tests/acd).

It routes by a table (``reachable``: number → ``"free"``, ``"busy"``, ``"queue"`` or
``"queue:<name>"``), records what it is told (events, dismissed members, numbers reached,
prompts played) and lets a test play the far ends: :meth:`FakeSwitch.answer` and
:meth:`FakeSwitch.refuse` settle an attempt to reach a number, :meth:`FakeSwitch.hang_up`
ends a call as a phone would, :meth:`FakeSwitch.line_up` brings up a persistent line.
With a ``bus`` its events go there too, as the real switch's do, so the ACD hears them.
Its coroutines never wait, so :meth:`spawn` runs them to the end at once: the tests stay
synchronous and every step is decided before the next line.
"""

from __future__ import annotations

import asyncio
import wave
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Coroutine, Mapping

import numpy as np

from kefu.bus import Bus, Event
from kefu.calls.call import Call, CallState, Disposition
from kefu.calls.control import Refused
from kefu.calls.destinations import hand_on
from kefu.calls.dialplan import Route
from kefu.calls.room import Member, Mode, Room
from kefu.calls.recording import NotNow, Segment
from kefu.events import check


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine that never waits to its end (the fake's, and the ACD's over it)."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    coro.close()
    raise AssertionError("the coroutine waited: the fake switch cannot run it")


class Party:
    """A phone's dialog as the fake sees it: hung up or not."""

    def __init__(self, number: str) -> None:
        self.number, self.hung_up = number, False

    def hangup(self) -> None:
        self.hung_up = True

    def __repr__(self) -> str:
        return f"<Party {self.number}>"


@dataclass(eq=False)
class Reaching:
    """One attempt to reach a number (what ``reach`` returns)."""

    call: Call
    number: str
    caller_id: str
    on_answer: Callable[..., None]
    on_fail: Callable[..., None]
    headers: tuple[tuple[str, str], ...] = ()
    ring_timeout: float = 0.0
    done: bool = False
    cancelled: bool = False


@dataclass(eq=False)
class Placed:
    """A call kefu placed (``originate``): its two sides, rung one after the other."""

    call: Call
    first: str
    second: str
    caller_id: str | None
    member: Member | None
    callbacks: dict[str, Callable[..., None] | None] = field(default_factory=dict)


class FakeRecording:
    """What ``record_caller`` gives: a test sets ``seconds``; ``close`` writes that many
    seconds of a 440 Hz tone to ``path`` (a WAV, as the real recorder's) and answers them."""

    def __init__(self, path: Path) -> None:
        self.path, self.seconds, self.closed = path, 3.0, False

    async def close(self) -> float:
        if not self.closed:
            self.closed = True
            t = np.arange(int(8000 * self.seconds)) / 8000
            pcm = (np.sin(2 * np.pi * 440 * t) * 8000).astype("<i2")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with wave.open(str(self.path), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(8000)
                w.writeframes(pcm.tobytes())
        return self.seconds


class FakeSwitch:
    """Records what it is told; a test answers, refuses and hangs up for the far ends."""

    def __init__(self, reachable: dict[str, str] | None = None, bus: Bus | None = None,
                 clock: Callable[[], float] | None = None) -> None:
        self.calls: dict[str, Call] = {}
        self.lines: dict[str, Member] = {}
        self.conferences: dict[str, Room] = {}
        self.destinations: dict = {}               # route kind → handler (Switch.register)
        self.media: Any = None
        self.reachable = reachable or {}
        self.bus, self.clock = bus, clock
        self.events: list[tuple[str, dict]] = []
        self.dismissed: list[str] = []
        self.reached: list[str] = []
        self.attempts: list[Reaching] = []
        self.placed: list[Placed] = []
        self.sessions: dict[str, tuple[Call, Callable, Callable]] = {}   # number → session
        self.prompts: list[Path] = []
        self.listening: dict[str, Any] = {}         # call id → the tap a flow listens on
        self.recording: list[str] = []             # call ids whose recording started
        self.recorders: list[FakeRecording] = []   # record_caller's, in order

    # --- where a number leads --------------------------------------------------------------
    def is_extension(self, number: str) -> bool:
        return self.reachable.get(number) in ("free", "busy")

    def handler(self, route: Route) -> Any:
        return self.destinations.get(route.kind)

    def route(self, caller: str, dialed: str) -> Route:
        if dialed.startswith("flow:"):
            return Route(kind="flow", flow=dialed[len("flow:"):])
        kind = self.reachable.get(dialed, "")
        if kind.startswith("queue"):
            return Route(kind="queue", queue=kind.partition(":")[2] or "sales")
        if dialed in self.reachable:
            return Route(kind="extension", extension=dialed)
        return Route.refuse(404, "Not Found")

    def destination(self, caller: str, dialed: str, trunk: str | None = None,
                    exclude: Call | None = None, route: Route | None = None):  # type: ignore[no-untyped-def]
        route = route or self.route(caller, dialed)
        if route.kind == "refuse":
            raise Refused(route.code, route.reason, dialed)
        if route.kind != "extension":
            raise Refused(404, f"Not Found (a {route.kind})", dialed)
        if self.reachable[dialed] == "busy" or self.busy(dialed, exclude):
            raise Refused(486, "Busy Here", dialed)
        return dialed, [], 30.0

    def busy(self, number: str, exclude: Call | None = None) -> bool:
        return any(c is not exclude and c.involves(number) for c in self.calls.values())

    # --- reaching a party ------------------------------------------------------------------
    def reach(self, call: Call, number: str, stages: list, ring_timeout: float,  # type: ignore[type-arg]
              caller_id: str, on_answer: Callable[..., None], on_fail: Callable[..., None],
              headers: tuple[tuple[str, str], ...] = ()) -> Any:
        self.reached.append(number)
        attempt = Reaching(call, number, caller_id, on_answer, on_fail, headers, ring_timeout)
        call.attempts.append(attempt)               # type: ignore[arg-type]
        self.attempts.append(attempt)
        return attempt

    def cancel(self, attempt: Any) -> None:
        attempt.done = attempt.cancelled = True

    def drop_fork(self, fork: Any) -> None:
        fork.sip.hangup()

    def ringing(self, number: str | None = None) -> list[Reaching]:
        """Attempts still ringing (for ``number``)."""
        return [a for a in self.attempts if not a.done and number in (None, a.number)]

    def answer(self, number: str) -> Reaching:
        """``number``'s phone answers the attempt ringing it."""
        (attempt,) = self.ringing(number)
        attempt.done = True
        fork = SimpleNamespace(sip=Party(number), rtp=object())
        attempt.on_answer(attempt.call, attempt, fork, None)
        return attempt

    def refuse(self, number: str, code: int = 408, reason: str = "No Answer") -> Reaching:
        """The attempt ringing ``number`` fails (408: nobody answered in time)."""
        (attempt,) = self.ringing(number)
        attempt.done = True
        attempt.on_fail(attempt.call, attempt, code, reason)
        return attempt

    def originate(self, first: str, second: str, caller_id: str | None = None,
                  data: dict | None = None,
                  on_first: Callable[[Call], None] | None = None,
                  on_first_failed: Callable[[Call, int, str], None] | None = None,
                  member: Member | None = None,
                  on_second_failed: Callable[[Call, int, str], None] | None = None,
                  on_second: Callable[[Call], None] | None = None) -> Call:
        if member is None:
            self.destination(first, first)
        call = Call(caller=first, callee=second, data=dict(data or {}))
        self.calls[call.id] = call
        self.placed.append(Placed(call, first, second, caller_id, member, {
            "on_first": on_first, "on_first_failed": on_first_failed,
            "on_second": on_second, "on_second_failed": on_second_failed}))
        return call

    def first_answers(self, placed: Placed) -> None:
        """The first side of a placed call answers (or was on its line): the second rings."""
        call = placed.call
        member = placed.member or Member(placed.first, "caller", Party(placed.first), object())
        self.detach_from_home(member)
        member.role = "caller"
        call.a = member.sip
        call.transition(CallState.RINGING)
        self.join(call, member, quiet=True)
        if placed.callbacks["on_first"]:
            placed.callbacks["on_first"](call)

    def second_answers(self, placed: Placed) -> None:
        call = placed.call
        call.transition(CallState.CONNECTED)
        self.join(call, Member(placed.second, "callee", Party(placed.second), object()),
                  quiet=True)
        if placed.callbacks["on_second"]:
            placed.callbacks["on_second"](call)

    def second_fails(self, placed: Placed, code: int = 486, reason: str = "Busy Here") -> None:
        if placed.callbacks["on_second_failed"]:
            placed.callbacks["on_second_failed"](placed.call, code, reason)
        run(self.end(placed.call, Disposition.BUSY, "callee", code))

    def first_fails(self, placed: Placed, code: int = 408, reason: str = "No Answer") -> None:
        if placed.callbacks["on_first_failed"]:
            placed.callbacks["on_first_failed"](placed.call, code, reason)
        run(self.end(placed.call, Disposition.NO_ANSWER, "caller", code))

    def open_session(self, number: str, on_open: Callable[[Call, Member], None],
                     on_fail: Callable[[int, str], None]) -> Call:
        self.destination(number, number)
        session = Call(caller="kefu", callee=number, line=True)
        self.calls[session.id] = session
        self.sessions[number] = (session, on_open, on_fail)
        return session

    def open_line(self, number: str, party: Any, rtp: Any) -> tuple[Call, Member]:
        """A browser's line came up (what call control does for WebRTC)."""
        return self.line_up(number, party, rtp)

    def line_up(self, number: str, party: Any = None, rtp: Any = None) -> tuple[Call, Member]:
        """``number``'s phone answers its persistent line (or a browser's line comes up)."""
        if number in self.sessions:
            session, on_open, _ = self.sessions.pop(number)
        else:
            session, on_open = Call(caller="kefu", callee=number, line=True), None
            self.calls[session.id] = session
        session.a = party or Party(number)
        session.transition(CallState.HOSTED)
        member = Member(number, "line", session.a, rtp or object(), home=session)
        session.room.add(member)
        self.lines[number] = member
        if on_open is not None:
            on_open(session, member)
        return session, member

    def idle_line(self, number: str) -> Member | None:
        member = self.lines.get(number)
        home = getattr(member, "home", None)
        if home is None or home.ended or member not in home.room.members:
            return None
        return member

    # --- the room --------------------------------------------------------------------------
    def join(self, call: Call, member: Member, quiet: bool = False) -> None:
        call.room.add(member)
        if not quiet:
            self.publish(call, "call.member_joined", **member.describe())

    def detach_from_home(self, member: Member) -> None:
        home = member.home
        if home is not None and member in home.room.members:
            home.remove(member)

    def remix(self, call: Call) -> None:
        pass

    def start_recording(self, call: Call, by: str | None = None) -> None:
        """As the switch's, every call recorded (policy ``all``); the state on the call."""
        if call.segment is not None:
            if by is not None:
                raise NotNow("the call is already being recorded")
            return
        self.recording.append(call.id)
        call.segments += 1
        call.segment = Segment(call.segments, "all" if by is None else "on_demand")

    def end_segment(self, call: Call) -> None:
        call.segment = None

    async def stop_recording(self, call: Call, by: str | None = None) -> None:
        if call.segment is None and by is not None:
            raise NotNow("the call is not being recorded")
        call.segment = None

    def pause_recording(self, call: Call, by: str) -> None:
        if call.segment is None:
            raise NotNow("the call is not being recorded")
        call.segment.pause(0.0)

    def resume_recording(self, call: Call, by: str) -> None:
        if call.segment is None:
            raise NotNow("the call is not being recorded")
        call.segment.resume(0.0)

    def dismiss(self, call: Call, member: Member, sip_done: bool = False) -> None:
        """As the switch's: a persistent line goes home, anyone else is hung up."""
        self.dismissed.append(member.number)
        call.remove(member)
        self.publish(call, "call.member_left", number=member.number, role=member.role)
        if member.home is not None and member.home is not call:
            member.role, member.mode = "line", Mode.TALK
            member.home.room.add(member)
        elif not sip_done and hasattr(member.sip, "hangup"):
            member.sip.hangup()

    def settle(self, call: Call, member: Member, by: str) -> None:
        if call.state is CallState.HOSTED and member.sip is not call.a:
            return                  # as the switch's: a caller in a flow goes on alone
        if not call.goes_on() and not hand_on(self, call, member):
            run(self.end(call, Disposition.ANSWERED, by, 200))

    def party_hangs_up(self, call: Call, number: str, by: str = "callee") -> None:
        """A member's phone hangs up (an agent, say): it leaves, then the call settles."""
        member = next(m for m in call.room.members if m.number == number)
        self.dismiss(call, member, sip_done=True)
        self.settle(call, member, by)

    def leg_ended(self, leg: Any) -> None:
        pass

    def line_lost(self, member: Member) -> None:
        """As the switch's: the member stays where it is, absent."""
        member.absent = True

    def rebind_line(self, member: Member, party: Any, rtp: Any) -> Call | None:
        """As the switch's: the member gets the new dialog and leg where it is."""
        home = member.home
        if home is not None and home.a is member.sip:
            home.a = party
        member.sip, member.rtp, member.absent = party, rtp, False
        return next((c for c in self.calls.values()
                     if not c.ended and member in c.room.members), None)

    # --- the caller's side -----------------------------------------------------------------
    async def answer_hosted(self, call: Call, state: CallState = CallState.HOSTED) -> None:
        call.a_rtp = call.a_rtp or object()         # type: ignore[assignment]
        call.transition(state)
        self.publish(call, "call.answered")

    async def end(self, call: Call, disposition: Disposition, hangup_by: str,
                  sip_code: int) -> None:
        if call.ended:
            return
        call.transition(CallState.ENDED)
        for attempt in call.attempts:
            self.cancel(attempt)
        for member in list(call.room.members):
            if member.home is not None and member.home is not call:
                call.remove(member)
                member.role = "line"
                member.home.room.add(member)
        for number, line in list(self.lines.items()):
            if line.home is call:
                del self.lines[number]
        self.publish(call, "call.ended", disposition=disposition.value, hangup_by=hangup_by,
                     sip_code=sip_code)
        self.calls.pop(call.id, None)

    async def fail(self, call: Call, code: int, reason: str, disposition: Disposition,
                   hangup_by: str = "system") -> None:
        await self.end(call, disposition, hangup_by, code)

    def hang_up(self, call: Call, by: str = "caller") -> None:
        """A phone hangs up: the call ends (the caller abandons a queue, say)."""
        disposition = Disposition.ABANDONED if call.state is CallState.QUEUED \
            else Disposition.ANSWERED
        run(self.end(call, disposition, by, 200))

    # --- sound and work --------------------------------------------------------------------
    def music(self, file: str | None) -> Any:
        return f"music:{file}"

    def play_prompt(self, call: Call, path: Path) -> Any:
        self.prompts.append(path)
        done = asyncio.Event()
        done.set()
        return SimpleNamespace(done=done)

    def record_caller(self, call: Call, path: Path) -> FakeRecording:
        self.recorders.append(FakeRecording(path))
        return self.recorders[-1]

    def listen(self, call: Call, on_frame: Callable[[np.ndarray], None]) -> Any:
        """The test speaks for the caller: ``self.listening[call.id]`` takes its frames."""
        tap = SimpleNamespace(on_frame=on_frame, closed=False)
        tap.close = lambda: setattr(tap, "closed", True)
        self.listening[call.id] = tap
        return tap

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        run(coro)

    def publish(self, call: Call, type_: str, **data: Any) -> None:
        event = Event(type_, call.id, data, **({"ts": self.clock()} if self.clock else {}))
        check(event)                                # as declared in kefu.events
        self.events.append((type_, data))
        if self.bus is not None:
            self.bus.publish(event)


def a_call(switch: FakeSwitch) -> Call:
    a = Party("1001")
    call = Call(caller="1001", callee="1002", a=a)   # type: ignore[arg-type]
    call.transition(CallState.RINGING)
    call.transition(CallState.CONNECTED)
    call.room.add(Member("1001", "caller", a, object()))   # type: ignore[arg-type]
    call.room.add(Member("1002", "callee", Party("1002"), object()))   # type: ignore[arg-type]
    switch.calls[call.id] = call
    return call


def incoming(switch: FakeSwitch, caller: str = "2001", callee: str = "800",
             data: dict | None = None) -> Call:
    """A new call from ``caller``, still being routed (what a queue's handler takes)."""
    call = Call(caller=caller, callee=callee, a=Party(caller), data=dict(data or {}))  # type: ignore[arg-type]
    switch.calls[call.id] = call
    return call
