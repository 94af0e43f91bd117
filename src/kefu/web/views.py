"""Response models for the live views (agents, queues, calls, rooms, health), so that
``/openapi.json`` describes what those routes return.

The ACD and the switch build these views as dicts (``describe()``, ``queue_status()``);
the models name every field they hold.  ``extra="allow"``: a field added there and not yet
here still reaches the client, as before the models existed.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, RootModel

from kefu.events import MemberFields


class View(BaseModel):
    model_config = ConfigDict(extra="allow")


class LastLogout(View):
    at: float = Field(description="when (Unix time)")
    reason: str | None = Field(description="the ACD's reason: line_lost (the desk's line "
                               "did not come back in time), closed (the tab was closed), "
                               "line_closed; None: logged out by hand")
    by: str | None = Field(description="who: acd, a supervisor; None: the agent itself")


class AgentOut(View):
    """An agent's state and today's figures."""
    username: str
    name: str
    extension: str = Field(description="the device while logged in, else empty")
    state: str = Field(description="logged_out, ready, not_ready, away, ringing, talking, "
                                   "on_hold or wrap_up")
    reason: str = Field(description="why not ready")
    since: float = Field(description="when the state began (Unix time)")
    in_state: float = Field(description="seconds in the state")
    queues: list[str] = Field(description="queues logged into")
    skills: dict[str, int] = Field(description="queue → skill level (membership)")
    call_id: str | None = Field(description="the call offered or in progress")
    queue: str | None = Field(description="that call's queue")
    wrap_up_until: float | None
    persistent_line: bool
    device: str = Field(description="phone (SIP) or webrtc (the browser)")
    auto_answer: bool
    answered: int = Field(description="calls answered today")
    talk_time: float = Field(description="seconds talked today")
    absent: str | None = Field(None, description="the browser desk went away: lost (its "
                               "line; the call waits with music) or leaving (page-hide)")
    last_logout: LastLogout | None = Field(None, description="the last log-out, with the "
                                           "ACD's reason (shown at the next sign-in)")


class WaitingCall(View):
    call_id: str
    caller: str
    position: int = Field(description="1-based; 0: no longer waiting")
    wait: float
    callback: bool = Field(description="a callback keeping the caller's place")
    ringing: list[str] = Field(description="agents it is offered to now")
    priority: int = Field(description="its priority in the queue (the caller's, raised "
                                      "by its tier's): higher first")
    tier: str | None = Field(description="the customer's tier (call-attached data)")


class QueueOut(View):
    """A queue: its waiting calls, its agents and today's figures."""
    name: str
    number: str
    strategy: str
    waiting: int
    callbacks_waiting: int
    longest_wait: float
    agents_logged_in: int
    agents_ready: int
    agents_talking: int
    entered: int
    answered: int
    abandoned: int = Field(description="waited [reports] short_abandon or longer, then hung up")
    short_abandoned: int = Field(description="hung up sooner: neither offered nor abandoned "
                                             "(docs/kpis.md)")
    overflowed: int
    callbacks: int
    callbacks_connected: int
    service_level: float | None = Field(description="answered within target / handled "
                                                    "(null before any call)")
    service_level_seconds: float
    alert_wait: float = Field(description="the wallboard's long-wait alert, seconds (0: off)")
    alert_not_ready: float = Field(description="the long not-ready alert for its agents, "
                                               "seconds (0: off)")
    alert_talk: float = Field(description="the long-call alert, seconds (0: off)")
    calls: list[WaitingCall]


class MemberOut(MemberFields, View):
    """A party in a call's room."""


class LiveCallOut(View):
    """A call in progress."""
    call_id: str
    caller: str
    callee: str
    state: str
    started: float
    queue: str | None
    agent: str | None
    line: bool = Field(description="an agent's persistent line")
    members: list[MemberOut]
    dialing: list[str] = Field(description="numbers being reached for it")
    recording: Literal["recording", "paused"] | None = Field(
        None, description="its recording: being written, paused (silence), or none")


class AttachedData(RootModel[dict[str, JsonValue]]):
    """A call's attached data: keys and JSON values the integrator chooses (a CRM id, what
    the caller keyed in), at most ``acd.max_data_bytes`` as JSON; offered with the call."""


class RoomMemberOut(MemberOut):
    call_id: str | None


class RoomOut(View):
    """A conference room in use."""
    room: str
    dial: str
    members: list[RoomMemberOut]


class HealthOut(View):
    """``/health``: always status, version and database; the live PBX figures once the PBX
    runs (``pbx: error`` if they could not be read)."""
    status: str = Field(description="ok, or error when the database does not answer")
    version: str
    database: str
    sip: dict[str, Any] | None = None
    calls: dict[str, Any] | None = None
    acd: dict[str, Any] | None = None
    media: dict[str, Any] | None = None
    tasks: int | None = None
    pbx: str | None = None
