"""Every event type the bus carries: its name, its payload's fields and who may see it.

One declaration per type, the single place three users read: the WebSocket filter
(:func:`visible`), the check that publishers keep to their declaration (:func:`check`, on
in the tests and with ``KEFU_CHECK_EVENTS=1``) and the JSON Schema in
``docs/events.schema.json`` (:func:`json_schema`, ``kefu events-schema``) that the desk,
reports and webhooks read.  The call and ACD publishers still publish plain
``Event(type, call_id, data)``: the payload models describe ``data``; they are not built
on the hot path.  Slices build theirs from the payload (:func:`event`), so the type's name
and fields come from here too.  Slice events are declared here, not in the slice, so that
the registry is whole without importing the slices (they stand above this module).

Fields with a default may be absent from ``data``; ``X | None`` without one must be there
but may be null.  Imports nothing of kefu above :mod:`kefu.bus`.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from enum import Enum
from typing import Any, Callable

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kefu.bus import Event

log = logging.getLogger(__name__)

CHECK_ENV = "KEFU_CHECK_EVENTS"        # "1": the bus checks every event it carries
STAFF_ROLES = frozenset({"admin", "supervisor"})


class Audience(str, Enum):
    """Who sees an event on ``/api/v1/events`` besides admins and supervisors (who see all).

    Whatever the audience, an agent named in ``data.agent`` or listed in ``data.agents``
    sees the event."""

    STAFF = "staff"     # admins and supervisors only
    NAMED = "named"     # and the agent(s) it names
    AGENTS = "agents"   # and every agent, unless it names agents: then only those
    CALL = "call"       # and qa, and the agent whose current call it is


class Payload(BaseModel):
    """An event's ``data``: strict types, no field beyond the declared ones."""

    model_config = ConfigDict(extra="forbid", strict=True)


@dataclass(frozen=True)
class EventType:
    name: str
    payload: type[Payload]
    audience: Audience

    @property
    def doc(self) -> str:
        return " ".join((self.payload.__doc__ or "").split())


REGISTRY: dict[str, EventType] = {}
NAME_OF: dict[type[Payload], str] = {}      # a payload model → its event type's name


def declare(name: str, audience: Audience) -> Callable[[type[Payload]], type[Payload]]:
    def register(payload: type[Payload]) -> type[Payload]:
        if name in REGISTRY:
            raise ValueError(f"event type {name!r} declared twice")
        REGISTRY[name] = EventType(name, payload, audience)
        NAME_OF[payload] = name
        return payload
    return register


def event(payload: Payload, call_id: str | None = None) -> Event:
    """The bus event carrying ``payload`` under the name it was declared with."""
    return Event(NAME_OF[type(payload)], call_id, payload.model_dump())


AUDIENCE_TEXT = {
    Audience.STAFF: "nobody else",
    Audience.NAMED: "the agent in data.agent or data.agents",
    Audience.AGENTS: "every agent, unless it names agents in data.agent or data.agents",
    Audience.CALL: "qa users and the agent whose current call it is",
}
CALL, QUEUE, AGENT, STAFF = Audience.CALL, Audience.AGENTS, Audience.NAMED, Audience.STAFF


# --- call.*: the switch and call control ---------------------------------------------------
class MemberFields(BaseModel):
    """A party in a call's room as ``calls.room.Member.describe()`` gives it: the fields of
    ``call.member_joined`` and ``call.monitor`` and of the live-call views' members
    (``web.views.MemberOut``).  No config of its own: each user adds its own."""
    number: str
    role: str
    mode: str
    holding: bool
    held: bool
    whisper_to: str | None
    absent: bool = False        # a browser agent whose line went away, waiting for it back


class _Member(MemberFields, Payload):
    pass


@declare("call.started", CALL)
class CallStarted(Payload):
    """A call exists: from a phone or trunk, originated by the API, or a persistent line
    (``session``; ``webrtc`` for a browser's)."""
    caller: str
    callee: str
    caller_name: str
    trunk: str | None
    originated: bool = False
    session: bool = False
    webrtc: bool = False


@declare("call.ringing", CALL)
class CallRinging(Payload):
    """The far end rings."""


@declare("call.answered", CALL)
class CallAnswered(Payload):
    """Answered, by ``callee`` when the switch reached a number."""
    callee: str | None = None


@declare("call.recording_started", CALL)
class CallRecordingStarted(Payload):
    """The call is being recorded into ``path``: its ``segment`` (1, 2... after a
    transfer), the recording ``policy`` rule that decided, and ``linked_to``, the
    customer's call a consultation's recording belongs with."""
    path: str
    segment: int = 1
    policy: str = "all"
    linked_to: str | None = None
    agent: str | None = None          # the ACD's agent (username) the segment starts with
    parties: list[str] = []           # the numbers on the right channel as it starts
    by: str | None = None             # started on demand by this user (policy on_demand)


@declare("call.recording_skipped", CALL)
class CallRecordingSkipped(Payload):
    """The recording ``policy`` rule said not to record ``segment`` (what an inspector
    looks for when a call has no recording)."""
    policy: str
    segment: int = 1


@declare("call.recording", CALL)
class CallRecording(Payload):
    """The recording is closed: ``duration`` seconds in ``path``; ``paused``: the
    (start, end) seconds into the file that are silence by pause."""
    path: str
    duration: float
    segment: int = 1
    paused: list[tuple[float, float]] = []
    by: str | None = None             # stopped on demand by this user (else: the call ended,
    #                                   or a transfer began the next segment)


@declare("call.recording_paused", CALL)
class CallRecordingPaused(Payload):
    """``by`` paused the recording of ``segment`` ``at`` seconds into its file."""
    segment: int
    at: float
    by: str


@declare("call.recording_resumed", CALL)
class CallRecordingResumed(Payload):
    """``by`` resumed the recording of ``segment`` ``at`` seconds into its file."""
    segment: int
    at: float
    by: str


@declare("call.member_joined", CALL)
class CallMemberJoined(_Member):
    """A party joined the call's room."""


@declare("call.monitor", CALL)
class CallMonitor(_Member):
    """A supervisor listens, whispers or barges in."""


@declare("call.member_left", CALL)
class CallMemberLeft(Payload):
    """A party left the call's room."""
    number: str
    role: str


@declare("call.ended", CALL)
class CallEnded(Payload):
    """The call is over (its CDR is derived from its events now)."""
    disposition: str
    hangup_by: str
    sip_code: int | None


@declare("call.dtmf", CALL)
class CallDtmf(Payload):
    """A party pressed a key."""
    digit: str
    leg: str
    number: str


@declare("call.dtmf_sent", CALL)
class CallDtmfSent(Payload):
    """Keys sent to the far end for ``number`` (an agent driving an IVR)."""
    number: str
    digits: str


@declare("call.hold", CALL)
class CallHold(Payload):
    """``number`` put the call on hold."""
    number: str


@declare("call.resume", CALL)
class CallResume(Payload):
    """``number`` took the call off hold."""
    number: str


@declare("call.transferred", CALL)
class CallTransferred(Payload):
    """Transferred by ``by``: blind, attended (``consult_call`` is the other call, which
    gets ``into_call``) or consult."""
    by: str
    mode: str
    target: str | None = None
    consult_call: str | None = None
    into_call: str | None = None


@declare("call.consult", CALL)
class CallConsult(Payload):
    """``by`` consults ``target`` while the caller waits."""
    by: str
    target: str


@declare("call.consult_end", CALL)
class CallConsultEnd(Payload):
    """The consultation ended (``how``)."""
    by: str
    how: str
    target: str | None = None


@declare("call.party_failed", CALL)
class CallPartyFailed(Payload):
    """A number the call tried to add could not be reached."""
    number: str
    code: int
    reason: str


@declare("call.data", CALL)
class CallData(Payload):
    """Call-attached data changed: its size and keys (the values travel with offers)."""
    bytes: int
    keys: list[str]


# --- queue.*: the ACD ------------------------------------------------------------------------
@declare("queue.entered", QUEUE)
class QueueEntered(Payload):
    """A call waits in ``queue``."""
    queue: str
    caller: str
    position: int
    priority: int
    preferred: str | None


@declare("queue.refused", QUEUE)
class QueueRefused(Payload):
    """The queue refused the call (``full``, ``empty`` or ``closed``: outside its hours)
    and has nowhere to send it (no overflow; closed: no ``closed`` destination)."""
    queue: str
    reason: str
    caller: str


@declare("queue.overflow", QUEUE)
class QueueOverflow(Payload):
    """The call left the queue for its overflow ``destination``."""
    queue: str
    reason: str
    wait: float
    position: int
    destination: str | None = None


@declare("queue.offer", QUEUE)
class QueueOffer(Payload):
    """The call is offered to ``agents``, with its attached data; ``timeout``: the
    queue's ring timeout (seconds), after which an unanswered offer rings out (the desk
    counts it down)."""
    queue: str
    agents: list[str]
    caller: str
    wait: float
    callback: str | None
    attached: dict[str, Any]
    timeout: float = 0.0


@declare("queue.connect", QUEUE)
class QueueConnect(Payload):
    """``agent`` took the call."""
    queue: str
    agent: str
    extension: str
    caller: str
    wait: float
    position: int


@declare("queue.ring_no_answer", QUEUE)
class QueueRingNoAnswer(Payload):
    """``agent`` did not take the offer."""
    queue: str
    agent: str
    code: int
    reason: str


@declare("queue.abandon", QUEUE)
class QueueAbandon(Payload):
    """The caller hung up while waiting."""
    queue: str
    caller: str
    position: int
    entry_position: int
    wait: float


@declare("queue.complete", QUEUE)
class QueueComplete(Payload):
    """A queued call that ``agent`` answered ended."""
    queue: str
    agent: str
    by: str
    talk: float
    wait: float


@declare("queue.announce", QUEUE)
class QueueAnnounce(Payload):
    """The caller hears its position and estimated wait."""
    queue: str
    position: int
    wait_minutes: int


@declare("queue.priority", QUEUE)
class QueuePriority(Payload):
    """A waiting call's priority changed."""
    queue: str
    priority: int
    position: int


@declare("queue.callback", QUEUE)
class QueueCallback(Payload):
    """The caller asked to be called back on ``number`` and hung up, keeping its place."""
    queue: str
    number: str
    position: int
    wait: float


@declare("queue.callback_connect", QUEUE)
class QueueCallbackConnect(Payload):
    """``agent`` answered a callback; the customer is being called."""
    queue: str
    agent: str
    number: str
    original_call: str
    wait: float


@declare("queue.callback_answered", QUEUE)
class QueueCallbackAnswered(Payload):
    """The customer answered the callback."""
    queue: str
    agent: str
    number: str
    original_call: str


@declare("queue.callback_failed", QUEUE)
class QueueCallbackFailed(Payload):
    """The callback's last attempt failed: given up."""
    queue: str
    number: str
    attempt: int
    code: int
    reason: str
    original_call: str


@declare("queue.callback_retry", QUEUE)
class QueueCallbackRetry(QueueCallbackFailed):
    """The callback failed; tried again in ``retry_in`` seconds."""
    retry_in: float


# --- agent.*: the ACD's agents -----------------------------------------------------------------
@declare("agent.login", AGENT)
class AgentLogin(Payload):
    """Logged in on ``extension`` to ``queues`` (``by`` someone else)."""
    agent: str
    extension: str
    queues: list[str]
    by: str | None = None


@declare("agent.logout", AGENT)
class AgentLogout(Payload):
    """Logged out (``by`` someone else; ``by="acd"`` with a ``reason``: ``line_lost``,
    the browser desk's line did not come back within ``acd.reconnect_grace``;
    ``closed``, the desk said it was closing and did not come back within
    ``acd.leave_grace``; ``line_closed``, the line ended)."""
    agent: str
    extension: str
    by: str | None = None
    reason: str | None = None


@declare("agent.state", AGENT)
class AgentStateChanged(Payload):
    """The agent's state changed from ``previous``."""
    agent: str
    state: str
    previous: str
    reason: str
    extension: str
    by: str | None = None


@declare("agent.pause", AGENT)
class AgentPause(Payload):
    """The agent stopped being available (not ready, away)."""
    agent: str
    state: str
    reason: str
    by: str | None = None


@declare("agent.unpause", AGENT)
class AgentUnpause(Payload):
    """The agent is available again after ``paused`` seconds."""
    agent: str
    state: str
    reason: str
    paused: float
    by: str | None = None


@declare("agent.skills", AGENT)
class AgentSkills(Payload):
    """The agent's queue memberships and levels (replayed at start-up)."""
    agent: str
    skills: dict[str, int]
    by: str | None = None


@declare("agent.line", AGENT)
class AgentLine(Payload):
    """The agent's persistent line: ``open`` (on ``device``), ``closed`` or ``failed``;
    a browser desk's: ``lost`` (its line went away, or the desk said it was closing:
    ``leaving``; the agent has ``grace`` seconds to come back, its call waits with
    music), ``restored`` (the desk's new line took the same place)."""
    agent: str
    state: str
    code: int | None = None
    reason: str | None = None
    extension: str | None = None
    device: str | None = None
    grace: float | None = None


@declare("agent.wrap_up_start", AGENT)
class AgentWrapUpStart(Payload):
    """After-call work until ``until`` (a timestamp)."""
    agent: str
    until: float


@declare("agent.wrap_up_extended", AGENT)
class AgentWrapUpExtended(AgentWrapUpStart):
    """After-call work extended until ``until``."""


@declare("agent.wrap_up_end", AGENT)
class AgentWrapUpEnd(Payload):
    """After-call work ended (``by`` someone else)."""
    agent: str
    by: str | None = None


# --- the PBX: registrations, trunks, extensions --------------------------------------------
@declare("registration.added", STAFF)
class RegistrationAdded(Payload):
    """A phone registered ``contact`` for ``extension``."""
    extension: str
    contact: str
    expires: int


@declare("registration.removed", STAFF)
class RegistrationRemoved(Payload):
    """A contact (``*``: all) of ``extension`` was removed."""
    extension: str
    contact: str


@declare("registration.failed", STAFF)
class RegistrationFailed(Payload):
    """A REGISTER for ``extension`` was refused; ``source`` is [host, port]."""
    extension: str
    source: list[str | int]


@declare("trunk.registered", STAFF)
class TrunkRegistered(Payload):
    """kefu is registered with the carrier for ``expires`` seconds."""
    trunk: str
    code: int
    expires: int


@declare("trunk.registration_failed", STAFF)
class TrunkRegistrationFailed(Payload):
    """The carrier refused kefu's REGISTER."""
    trunk: str
    code: int
    reason: str


@declare("extension.changed", STAFF)
class ExtensionChanged(Payload):
    """An extension was created, changed or deleted (``action``) through the API."""
    number: str
    action: str
    by: str


# --- announcements -----------------------------------------------------------------------------
@declare("announcement.posted", QUEUE)
class AnnouncementPosted(Payload):
    """A notice for ``agents`` (null: every agent)."""
    id: int
    title: str
    agents: list[str] | None
    groups: list[str]


@declare("announcement.acked", AGENT)
class AnnouncementAcked(Payload):
    """``agent`` acknowledged the notice."""
    id: int
    agent: str


# --- ticket.*: the tickets slice (kefu.tickets.service) -------------------------------------------
class _TicketMoved(Payload):
    """Fields of every ticket.created / ticket.changed."""
    ticket_id: int
    state: str
    assignee: str
    group: str
    action: str
    agents: list[str] = []      # the assignee; none: every agent may see it


@declare("ticket.created", QUEUE)
class TicketCreated(_TicketMoved):
    """A ticket was created (``action`` created)."""


@declare("ticket.changed", QUEUE)
class TicketChanged(_TicketMoved):
    """A ticket changed: ``action`` is its activity (transition, assigned, changed,
    comment, attachment, escalated, state_mapped)."""


class _TicketSla(Payload):
    ticket_id: int
    which: str                  # first_response | resolution
    due_at: float
    assignee: str
    group: str
    agents: list[str] = []
    notify_supervisors: bool = False   # the type asks supervisors to be told


@declare("ticket.sla_warning", QUEUE)
class TicketSlaWarning(_TicketSla):
    """A ticket's SLA clock ``which`` is due within its type's ``warn_before``."""


@declare("ticket.sla_breached", QUEUE)
class TicketSlaBreached(_TicketSla):
    """A ticket's SLA clock ``which`` passed its due time (reported once)."""


# --- ivr.*: a call's walk through a flow (kefu.ivr.calls) ----------------------------------------
class IvrStep(Payload):
    """Where in which flow the call is: every ``ivr.*`` event names both."""
    flow: str
    node: str


@declare("ivr.start", STAFF)
class IvrStart(IvrStep):
    """A call entered the flow's published ``version`` (kept for the whole call)."""
    version: int
    caller: str


@declare("ivr.node", STAFF)
class IvrNode(IvrStep):
    """The call entered ``node`` (of node ``type``)."""
    type: str


@declare("ivr.choice", STAFF)
class IvrChoice(IvrStep):
    """A menu's ``key`` was chosen: the call goes ``to`` that node; ``said``: what the key
    stands for in the menu's words ("退货请按1" → "退货"; "" when the menu does not say)."""
    key: str
    to: str
    said: str = ""


@declare("ivr.digits", STAFF)
class IvrDigits(IvrStep):
    """A collect node kept ``digits`` in variable ``into``."""
    digits: str
    into: str


@declare("ivr.invalid", STAFF)
class IvrInvalid(IvrStep):
    """Input refused (``problem``) on ``attempt``: the invalid-input prompt plays."""
    digits: str
    problem: str
    attempt: int


@declare("ivr.timeout", STAFF)
class IvrTimeout(IvrStep):
    """Nothing was pressed in time on ``attempt``."""
    attempt: int


@declare("ivr.survey", STAFF)
class IvrSurvey(IvrStep):
    """A survey's ``score`` (null: none given)."""
    score: int | None


@declare("ivr.speech", STAFF)
class IvrSpeech(IvrStep):
    """An utterance during a menu with ``words``: the phrase ``heard`` (null: none of them)."""
    heard: str | None


@declare("ivr.say", STAFF)
class IvrSay(IvrStep):
    """A read-out of ``kind`` spelled out as ``text`` in ``lang``."""
    kind: str
    text: str
    lang: str


@declare("ivr.lookup", STAFF)
class IvrLookup(IvrStep):
    """A look-up's result: ``ok`` with the variables it filled, or its ``error``."""
    ok: bool
    fields: list[str] = []
    error: str = ""


@declare("ivr.store", STAFF)
class IvrStore(IvrStep):
    """Collected data was saved as a ``record``."""
    record: str


@declare("ivr.error", STAFF)
class IvrError(IvrStep):
    """An error branch: the flow's error prompt plays."""
    error: str


@declare("ivr.flow", STAFF)
class IvrFlow(IvrStep):
    """The call went on into flow ``to``."""
    to: str


@declare("ivr.return", STAFF)
class IvrReturn(IvrStep):
    """A subflow returned."""
    from_: str = Field(alias="from")


@declare("ivr.sent", AGENT)
class IvrSent(Payload):
    """Self-service (转自助服务): ``agent``'s caller was sent into ``flow``; the agent (its
    party ``by``) stays in the call, held with music, until the caller comes back."""
    flow: str
    agent: str
    by: str


@declare("ivr.back", AGENT)
class IvrBack(Payload):
    """The caller ``agent`` sent into ``flow`` left it: ``returned`` (talking to the agent
    again, the flow's results merged into the call-attached data under ``keys``), or
    the agent is let go: ``queue``, ``transfer``, ``ended`` (the flow or someone ended the
    call), ``caller_hangup``, ``agent_hangup`` (the caller finishes the flow alone)."""
    flow: str
    agent: str
    reason: str
    keys: list[str] = []


@declare("ivr.refused", STAFF)
class IvrRefused(IvrStep):
    """The queue or transfer target would not take the call."""
    reason: str


@declare("ivr.voicemail", STAFF)
class IvrVoicemail(IvrStep):
    """A voicemail message was taken: ``message_id`` (null: nothing said, or no mailbox),
    its ``duration`` in seconds, ``mailbox`` (its id), and why recording stopped
    (``reason``: key, silence, max_seconds, hangup)."""
    mailbox: int | None = None
    message_id: int | None = None
    duration: float = 0.0
    reason: str = ""


@declare("ivr.exit", STAFF)
class IvrExit(IvrStep):
    """The call left the flow: ``reason`` (queue, transfer, hangup, caller_hangup …);
    ``to``: the queue or number a hand-off went to."""
    reason: str
    to: str = ""


# --- followup.*: callbacks and return visits (kefu.followups) ----------------------------------
class _FollowUp(Payload):
    """A follow-up: its id, ``agent`` (the assignee, "" for the group's), ``group`` (a
    queue, or ""), ``state`` and ``due_at``."""
    id: int
    agent: str
    group: str
    state: str
    due_at: float


@declare("followup.due", AGENT)
class FollowupDue(_FollowUp):
    """Reminder: the follow-up falls due soon (``[followups] remind_before``); ``number``
    to call."""
    number: str


@declare("followup.overdue", AGENT)
class FollowupOverdue(_FollowUp):
    """The follow-up is overdue and escalated (once): supervisors are told, or it moved to
    the group ``[followups] escalate_to`` (``previous``: the assignee it had)."""
    previous: str = ""


@declare("followup.changed", QUEUE)
class FollowupChanged(_FollowUp):
    """Created, started, an outcome, edited or cancelled (``action``): for its assignee,
    or every agent while it is a group's (their lists refresh; no number in it)."""
    action: str


# --- the check --------------------------------------------------------------------------------
class EventMismatch(ValueError):
    """An event whose type is not declared, or whose data does not match its payload."""


def check(event: Event) -> None:
    """Raise :class:`EventMismatch` unless ``event`` is declared and its data fits."""
    declared = REGISTRY.get(event.type)
    if declared is None:
        raise EventMismatch(f"undeclared event type {event.type!r}")
    try:
        declared.payload.model_validate(event.data)
    except ValidationError as exc:
        raise EventMismatch(f"{event.type}: {exc}") from None


def check_from_env() -> Callable[[Event], None] | None:
    """The check for :class:`~kefu.bus.LocalBus` when ``KEFU_CHECK_EVENTS=1``: a mismatch
    is logged with its traceback (which the e2e tests look for) and the event still goes."""
    if os.environ.get(CHECK_ENV, "") not in ("1", "true", "yes"):
        return None

    def logging_check(event: Event) -> None:
        try:
            check(event)
        except EventMismatch:
            log.exception("event does not match its declaration")
    return logging_check


# --- who sees what ------------------------------------------------------------------------------
def _named(event: Event) -> tuple[str, ...]:
    agents = event.data.get("agents")
    # A list, not a string: "ann" in "joanna" must not leak joanna's events to ann.
    listed = tuple(agents) if isinstance(agents, (list, tuple, set, frozenset)) else ()
    agent = event.data.get("agent")
    return (agent, *listed) if isinstance(agent, str) and agent else listed


def audience(type_: str) -> Audience:
    """A type's audience; an undeclared one (only with the check off) gets its family's."""
    declared = REGISTRY.get(type_)
    if declared is not None:
        return declared.audience
    family = type_.partition(".")[0]
    return {"call": CALL, "queue": QUEUE, "agent": AGENT}.get(family, STAFF)


def visible(role: str, username: str, event: Event,
            current_call: Callable[[], str | None] | None = None) -> bool:
    """Whether a user sees ``event`` on the WebSocket.  ``current_call``: the call the
    (agent) user is in now, known to the ACD; without it an agent sees no ``call.*`` event
    that does not name it."""
    if role in STAFF_ROLES:
        return True
    kind = audience(event.type)
    if role == "qa":
        return kind is CALL
    if role != "agent":
        return False            # a role added later sees nothing until decided here
    named = _named(event)
    if username in named:
        return True
    if kind is QUEUE:           # for every agent unless it names some
        return not (event.data.get("agent") or event.data.get("agents"))
    if kind is CALL and current_call is not None:
        call_id = current_call()
        return call_id is not None and call_id == event.call_id
    return False


# --- the JSON Schema -------------------------------------------------------------------------
def json_schema() -> dict[str, Any]:
    """One JSON Schema for every event as the WebSocket sends it (``type``, ``call_id``,
    ``ts``, ``data``): a ``oneOf`` over the types, each with its payload's schema in
    ``$defs`` and its audience in ``x-audience``."""
    defs: dict[str, Any] = {}
    variants = []
    for name in sorted(REGISTRY):
        declared = REGISTRY[name]
        schema = declared.payload.model_json_schema(ref_template="#/$defs/{model}")
        defs.update(schema.pop("$defs", {}))
        schema["title"] = declared.payload.__name__
        defs[declared.payload.__name__] = schema
        variants.append({
            "title": name, "description": declared.doc, "x-audience": declared.audience.value,
            "type": "object", "required": ["type", "call_id", "ts", "data"],
            "additionalProperties": False,
            "properties": {"type": {"const": name},
                           "call_id": {"type": ["string", "null"]},
                           "ts": {"type": "number"},
                           "data": {"$ref": f"#/$defs/{declared.payload.__name__}"}}})
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": "kefu events",
            "description": "Events on the bus and on /api/v1/events, generated from "
                           "kefu.events.  x-audience: who sees each besides admins and "
                           "supervisors (and any agent it names): " + "; ".join(
                               f"{a.value}: {AUDIENCE_TEXT[a]}" for a in Audience) + ".",
            "oneOf": variants, "$defs": dict(sorted(defs.items()))}


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"
