"""The calls layer's face: the verbs the ACD, call control and the web API use of the switch.

Everything above ``calls`` (and :mod:`kefu.calls.control` inside it) types against these
protocols, not the concrete :class:`~kefu.calls.switch.Switch`: so the ACD can be driven
in-process by a fake of them (``tests/fake_switch.py``), and what the switch owes its
users is written in one place.  ``tests/calls/test_protocol.py`` checks that ``Switch``
has every member here with the same signature; ``app.py`` assigns it to these types, so
mypy checks it too.

The verbs, grouped:

* **where a number leads**: :meth:`Calls.route` (the dial plan's answer),
  :meth:`Calls.destination` (what rings: number, stages, ring timeout; or ``Refused``),
  :meth:`Calls.is_extension`, :meth:`Calls.handler` (who takes a route no phone answers:
  a queue, a flow);
* **reaching a party**: :meth:`Calls.reach` starts an attempt, :meth:`Calls.cancel`
  stops one, :meth:`Calls.drop_fork` hangs up an answered leg nobody wants;
  :meth:`Calls.originate` (a call kefu places: ring one side, then dial the other),
  :meth:`Calls.open_session` (an agent's persistent line);
* **the room**: :meth:`Calls.join`, :meth:`Calls.detach_from_home` (a persistent line
  leaves its idle session), :meth:`Calls.remix` (apply who hears whom),
  :meth:`Calls.start_recording`;
* **the caller's side**: :meth:`Calls.answer_hosted` (kefu answers: a queue, a prompt),
  :meth:`Calls.end`, :meth:`Calls.fail` (reject before answer, then end);
* **sound**: :meth:`Calls.music` (a looped music source), :meth:`Calls.play_prompt`,
  :meth:`Calls.record_caller` (only what the caller says: a voicemail message),
  :meth:`Calls.listen` (the caller's audio frame by frame: speech input);
* **work**: :meth:`Calls.spawn` runs a coroutine the switch looks after.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Callable, Coroutine, Mapping, Protocol

from kefu.calls.call import Call, CallState, Disposition
from kefu.calls.room import Member, Room

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np

    from kefu.calls.attempt import Attempt, Fork, Stage
    from kefu.calls.destinations import Destination
    from kefu.calls.dialplan import Route
    from kefu.media import MediaEngine, Negotiated, RtpLeg

OnAnswer = Callable[[Call, "Attempt", "Fork", "Negotiated"], None]
OnFail = Callable[[Call, "Attempt", int, str], None]


class Playing(Protocol):
    """A prompt being played: ``done`` is set at its end."""

    done: asyncio.Event


class Recording(Protocol):
    """What the caller says, being written to a WAV (a voicemail message): ``close`` ends
    it and gives the seconds recorded."""

    async def close(self) -> float: ...


class Listening(Protocol):
    """The caller's audio being handed over: ``close`` stops it."""

    def close(self) -> None: ...


class Calls(Protocol):
    """What the ACD and the web API use of the calls layer."""

    @property
    def calls(self) -> Mapping[str, Call]:
        """Live calls by id (ended ones leave)."""

    @property
    def lines(self) -> Mapping[str, Member]:
        """Persistent lines (常连接) by number: each one's member."""

    # --- where a number leads -------------------------------------------------------------
    def is_extension(self, number: str) -> bool: ...

    def route(self, caller: str, dialed: str) -> "Route": ...

    def destination(self, caller: str, dialed: str, trunk: str | None = None,
                    exclude: Call | None = None, route: "Route | None" = None
                    ) -> tuple[str, list["Stage"], float]: ...

    def handler(self, route: "Route") -> "Destination | None":
        """The handler registered for ``route``'s kind (a flow, a queue); None: a phone
        or trunk is rung (:meth:`destination`)."""

    # --- reaching a party -----------------------------------------------------------------
    def reach(self, call: Call, number: str, stages: list["Stage"], ring_timeout: float,
              caller_id: str, on_answer: OnAnswer, on_fail: OnFail,
              headers: tuple[tuple[str, str], ...] = ()) -> "Attempt": ...

    def cancel(self, attempt: "Attempt") -> None: ...

    def drop_fork(self, fork: "Fork") -> None: ...

    def originate(self, first: str, second: str, caller_id: str | None = None,
                  data: dict | None = None,
                  on_first: Callable[[Call], None] | None = None,
                  on_first_failed: Callable[[Call, int, str], None] | None = None,
                  member: Member | None = None,
                  on_second_failed: Callable[[Call, int, str], None] | None = None,
                  on_second: Callable[[Call], None] | None = None) -> Call: ...

    def open_session(self, number: str, on_open: Callable[[Call, Member], None],
                     on_fail: Callable[[int, str], None]) -> Call: ...

    def line_lost(self, member: Member) -> None:
        """A line's media went away (or is going); its member stays, absent, to be
        re-bound."""

    def idle_line(self, number: str) -> Member | None: ...

    # --- the room -------------------------------------------------------------------------
    def join(self, call: Call, member: Member, quiet: bool = False) -> None: ...

    def detach_from_home(self, member: Member) -> None: ...

    def remix(self, call: Call) -> None: ...

    def start_recording(self, call: Call, by: str | None = None) -> None: ...

    def end_segment(self, call: Call) -> None: ...

    def dismiss(self, call: Call, member: Member, sip_done: bool = False) -> None:
        """Take ``member`` out (its phone hung up; a persistent line back home): the IVR
        lets go of the agent whose caller a flow sends on."""

    # --- the caller's side ----------------------------------------------------------------
    async def answer_hosted(self, call: Call, state: CallState = CallState.HOSTED) -> None: ...

    async def end(self, call: Call, disposition: Disposition, hangup_by: str,
                  sip_code: int) -> None: ...

    async def fail(self, call: Call, code: int, reason: str, disposition: Disposition,
                   hangup_by: str = "system") -> None: ...

    # --- sound and work -------------------------------------------------------------------
    def music(self, file: str | None) -> Any: ...

    def play_prompt(self, call: Call, path: "Path") -> Playing: ...

    def record_caller(self, call: Call, path: "Path") -> Recording: ...

    def listen(self, call: Call, on_frame: Callable[[np.ndarray], None]) -> Listening: ...

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None: ...


class Switchboard(Calls, Protocol):
    """What call control (:mod:`kefu.calls.control`) uses besides: it changes rooms and
    parties itself, so it also publishes and settles."""

    @property
    def media(self) -> "MediaEngine": ...

    @property
    def conferences(self) -> Mapping[str, Room]: ...

    @property
    def destinations(self) -> Mapping[str, "Destination"]: ...

    def busy(self, number: str, exclude: Call | None = None) -> bool: ...

    def publish(self, call: Call, type_: str, **data: Any) -> None: ...

    def settle(self, call: Call, member: Member, by: str) -> None: ...

    async def stop_recording(self, call: Call, by: str | None = None) -> None: ...

    def pause_recording(self, call: Call, by: str) -> None: ...

    def resume_recording(self, call: Call, by: str) -> None: ...

    def open_line(self, number: str, party: Any, rtp: "RtpLeg") -> tuple[Call, Member]: ...

    def leg_ended(self, leg: Any) -> None: ...

    def rebind_line(self, member: Member, party: Any, rtp: "RtpLeg") -> Call | None:
        """A new dialog and media leg for an (absent) line member; the call it is in."""
