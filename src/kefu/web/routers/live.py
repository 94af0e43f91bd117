"""Live calls and call control: make call, hold, transfer, conference, DTMF, call-attached
data, supervision and force release.

Thin HTTP over :class:`kefu.calls.control.CallControl`; it runs on the event loop where
the switch lives (async routes); ``ControlError`` becomes 403/404/409/413/422 with its
reason in :mod:`kefu.web.app`, like the store's errors.

Names: ``by`` is the party acting (hold, resume, transfer, consult, DTMF), ``party`` the
one added, ``target`` the one transferred or consulted to; the old ``number`` is accepted
for one more release.  Status codes, one rule: **204** when the call already has its new
shape as the answer leaves (hold, resume, ending a consultation, releases); **202** when
the request starts something finished later and reported by events — a phone being rung
or digits being played (transfer, parties, consult, monitor, DTMF).  404: no such call,
party or number; 409: it conflicts with the call's state (not connected, busy,
unregistered, not the holder); 403: not allowed.

Who may do what: supervisors and admins act on any call and party; an agent acts only on
calls its logged-in extension takes part in, and only as that extension (recording on
demand too: start, stop, pause, resume).  Listening,
whispering, barging (a second press switches mode in place), stopping that and releasing a
whole call are for supervisors and admins.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from pydantic import BaseModel, Field, model_validator

from kefu.calls.call import Call
from kefu.calls.control import CallControl
from kefu.calls.room import Mode
from kefu.users.service import User
from kefu.values import DIAL, DialString, DtmfDigits

from ..deps import CtxDep, require_roles
from ..views import AttachedData, LiveCallOut
from .agents import SUPERVISORS, AcdDep

router = APIRouter(prefix="/live-calls", tags=["call control"])
# 202: no body; what was started (a phone rung, digits played) is reported by events
STARTED: dict[str, Any] = {
    "status_code": status.HTTP_202_ACCEPTED, "response_class": Response,
    "responses": {202: {"description": "Started; the outcome comes as events"}}}
Supervisor = Annotated[User, Depends(require_roles("admin", "supervisor"))]
Staff = Annotated[User, Depends(require_roles("admin", "supervisor", "agent"))]
Number = DialString


def get_control(ctx: CtxDep) -> CallControl:
    if ctx.control is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "call control is not running")
    return ctx.control


Control = Annotated[CallControl, Depends(get_control)]


def own_extension(user: User, acd: Any) -> str | None:
    """The extension an agent is logged in on (None for supervisors and admins; 403 for
    an agent who is not logged in)."""
    if user.role in SUPERVISORS:
        return None
    agent = acd.agents.get(user.username) if acd is not None else None
    if agent is None or not agent.logged_in:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "log in as an agent first")
    return agent.extension


def allowed_call(call_id: str, user: User, control: CallControl, acd: Any) -> tuple[Call, str | None]:
    """The call, if ``user`` may act on it, and the agent's own extension."""
    ext = own_extension(user, acd)
    call = control.get(call_id)
    if ext is not None and not call.involves(ext):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "an agent acts on its own calls only")
    return call, ext


def as_party(number: str | None, ext: str | None) -> str:
    """The party acted for: an agent may only be itself."""
    if ext is not None and number not in (None, ext):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"an agent acts as {ext} only")
    if number is None and ext is None:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "by is required")
    return number or ext  # type: ignore[return-value]


def _old_name(new: str) -> Any:
    return Field(None, description=f"**Deprecated**: the old name of `{new}`, accepted until "
                 "the next release", json_schema_extra={"deprecated": True})


class _Renamed(BaseModel):
    """A body whose field ``NEW`` used to be called ``number``: before validation the
    deprecated ``number`` counts as ``NEW`` (both given: they must be equal).  Each
    subclass declares ``number = _old_name(NEW)`` for the schema."""

    NEW: ClassVar[str]

    @model_validator(mode="before")
    @classmethod
    def _old_name_counts(cls, data: Any) -> Any:
        new = cls.NEW
        if isinstance(data, dict) and data.get("number") is not None:
            if data.get(new) not in (None, data["number"]):
                raise ValueError(f"`{new}` and the deprecated `number` disagree")
            data = {**data, new: data["number"]}
        return data


class ByIn(_Renamed):
    """A request made for one party of the call: ``by`` is the party acting."""

    NEW = "by"
    by: Number | None = Field(None, description="the party acting (its number); agents: "
                                                "omitted (themselves)")
    number: Number | None = _old_name("by")


class PartyIn(_Renamed):
    NEW = "party"
    party: Number | None = Field(None, description="who is added to the call (required; "
                                                   "until the next release `number` will do)")
    number: Number | None = _old_name("party")

    @model_validator(mode="after")
    def _given(self) -> "PartyIn":
        if self.party is None:
            raise ValueError("party is required")
        return self


class TransferIn(ByIn):
    by: Number | None = Field(None, description="the transferring party, which leaves; "
                                                "agents: omitted (themselves)")
    target: Number | None = Field(None, description="blind: an extension, queue or number")
    agent: str | None = Field(None, description="blind: an agent (by username)")
    queue: str | None = Field(None, description="blind: a queue (by name)")
    consult_call_id: str | None = Field(None, description="attended: the consultation call")


class MonitorIn(BaseModel):
    supervisor: str | None = Field(
        None, pattern=r"^[A-Za-z0-9_.@+*#-]{1,64}$",
        description="the user who supervises (default: you): their browser line, else the "
                    "extension they are logged in on as an agent; an extension number is "
                    "accepted too (its phone is dialled if it is not in the call)")
    mode: Literal["listen", "whisper", "barge"] = "listen"
    target: Number | None = Field(None, description="whisper: the member who hears the supervisor")


class OriginateIn(BaseModel):
    to: Number = Field(description="the number to call")
    from_: Number | None = Field(None, alias="from",
                                 description="the extension that rings first; agents: theirs")
    data: dict[str, Any] = Field(default_factory=dict, description="call-attached data")


class DtmfIn(ByIn):
    by: Number | None = Field(None, description="the party whose keys these are; agents: "
                                                "omitted (themselves)")
    digits: DtmfDigits


def supervisor_number(name: str | None, user: User, control: CallControl, acd: Any) -> str:
    """Whose phone supervises: a user's browser line, else the extension that user is
    logged in on as an agent, else ``name`` itself when it is an extension number."""
    username = name or user.username
    number = control.line_of(username)
    agent = acd.agents.get(username) if acd is not None else None
    if number is None and agent is not None and agent.logged_in:
        number = agent.extension
    if number is None and name and DIAL.is_valid(name):
        number = name
    if number is None:
        if name is None:
            raise HTTPException(status.HTTP_409_CONFLICT,
                                f"{username} has no softphone line and is not logged in on an "
                                "extension: open the line or name an extension")
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"no user {name} with a line or an extension")
    return number


@router.get("", response_model=list[LiveCallOut], summary="Calls in progress with their members (an agent: its own)")
async def list_live(control: Control, acd: AcdDep, user: Staff) -> list[dict[str, Any]]:
    ext = own_extension(user, acd)
    return [c.describe() for c in control.switch.calls.values()
            if not c.ended and (ext is None or c.involves(ext))]


@router.post("", status_code=201, response_model=LiveCallOut,
             summary="Make a call: ring `from` first, then dial `to`")
async def originate(body: OriginateIn, control: Control, acd: AcdDep,
                    user: Staff) -> dict[str, Any]:
    first = as_party(body.from_, own_extension(user, acd))
    acd.check_data(body.data)
    call = control.originate(first, body.to, body.data, control.switch.idle_line(first))
    acd.outbound(first, call)
    return call.describe()


@router.get("/{call_id}", response_model=LiveCallOut, summary="One call in progress")
async def get_live(call_id: str, control: Control, acd: AcdDep, user: Staff) -> dict[str, Any]:
    return allowed_call(call_id, user, control, acd)[0].describe()


@router.post("/{call_id}/hold", status_code=204, summary="`by` puts the others on hold")
async def hold(call_id: str, body: ByIn, control: Control, acd: AcdDep, user: Staff) -> None:
    _, ext = allowed_call(call_id, user, control, acd)
    control.hold(call_id, as_party(body.by, ext), True)


@router.post("/{call_id}/resume", status_code=204,
             summary="`by` takes the others off its hold (409 when another party holds)")
async def resume(call_id: str, body: ByIn, control: Control, acd: AcdDep,
                 user: Staff) -> None:
    _, ext = allowed_call(call_id, user, control, acd)
    control.hold(call_id, as_party(body.by, ext), False)


class RecordingIn(BaseModel):
    action: Literal["start", "stop", "pause", "resume"] = Field(
        description="start (on demand, a new segment), stop, pause (silence in the file "
                    "until resume), resume")


@router.post("/{call_id}/recording", status_code=204,
             summary="Start, stop, pause or resume the call's recording (409 with the reason "
                     "when it makes no sense now: not recorded, already paused, a rule that "
                     "says never)")
async def recording(call_id: str, body: RecordingIn, control: Control, acd: AcdDep,
                    user: Staff) -> None:
    allowed_call(call_id, user, control, acd)     # an agent: on its own calls only
    await control.recording(call_id, body.action, user.username)


@router.post("/{call_id}/transfer", **STARTED,
             summary="`by` transfers the others, blind (to an agent, queue, extension or "
                     "number) or attended, and leaves")
async def transfer(call_id: str, body: TransferIn, control: Control, acd: AcdDep,
                   user: Staff) -> None:
    _, ext = allowed_call(call_id, user, control, acd)
    if body.consult_call_id:
        allowed_call(body.consult_call_id, user, control, acd)
    await control.transfer(call_id, as_party(body.by, ext),
                           acd.resolve_target(body.target, body.agent, body.queue),
                           body.consult_call_id)


@router.post("/{call_id}/parties", **STARTED,
             summary="Conference: dial `party` into the call")
async def add_party(call_id: str, body: PartyIn, control: Control, acd: AcdDep,
                    user: Staff) -> None:
    allowed_call(call_id, user, control, acd)
    control.add_party(call_id, body.party)  # type: ignore[arg-type]  # (validated)


class ConsultIn(ByIn):
    by: Number | None = Field(None, description="who consults; agents: omitted (themselves)")
    target: Number | None = Field(None, description="an extension or number to consult")
    agent: str | None = Field(None, description="or an agent (by username)")


@router.post("/{call_id}/consult", **STARTED,
             summary="Consult (咨询): `by` calls someone while the others wait with music")
async def consult(call_id: str, body: ConsultIn, control: Control, acd: AcdDep,
                  user: Staff) -> None:
    _, ext = allowed_call(call_id, user, control, acd)
    target = acd.resolve_target(body.target, body.agent)
    if not target:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "target or agent is required")
    control.consult(call_id, as_party(body.by, ext), target)


@router.post("/{call_id}/consult/{how}", status_code=204,
             summary="End a consultation: transfer (转接), conference (三方) or cancel")
async def finish_consult(call_id: str, how: Literal["transfer", "conference", "cancel"],
                         body: ByIn, control: Control, acd: AcdDep, user: Staff) -> None:
    _, ext = allowed_call(call_id, user, control, acd)
    control.finish_consult(call_id, as_party(body.by, ext), how)


@router.post("/{call_id}/dtmf", **STARTED,
             summary="Send DTMF as `by`: the other parties receive the digits")
async def dtmf(call_id: str, body: DtmfIn, control: Control, acd: AcdDep, user: Staff) -> None:
    _, ext = allowed_call(call_id, user, control, acd)
    control.send_dtmf(call_id, as_party(body.by, ext), body.digits)


@router.get("/{call_id}/data", response_model=AttachedData, summary="Call-attached data")
async def get_data(call_id: str, control: Control, acd: AcdDep, user: Staff) -> dict[str, Any]:
    return allowed_call(call_id, user, control, acd)[0].data


@router.patch("/{call_id}/data", response_model=AttachedData, summary="Merge keys into the call-attached data (≤ 1 MiB)")
async def patch_data(call_id: str, body: dict[str, Any], control: Control, acd: AcdDep,
                     user: Staff) -> dict[str, Any]:
    call, _ = allowed_call(call_id, user, control, acd)
    return acd.set_data(call, body, merge=True)


@router.put("/{call_id}/data", response_model=AttachedData, summary="Replace the call-attached data (≤ 1 MiB)")
async def put_data(call_id: str, body: dict[str, Any], control: Control, acd: AcdDep,
                   user: Staff) -> dict[str, Any]:
    call, _ = allowed_call(call_id, user, control, acd)
    return acd.set_data(call, body, merge=False)


class SelfServiceIn(ByIn):
    by: Number | None = Field(None, description="the agent's party, which stays in the call "
                                                "held (music) meanwhile; agents: omitted "
                                                "(themselves); staff: default the call's agent")
    flow: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$", description="a published flow")


def get_ivr_calls(ctx: CtxDep) -> Any:
    if ctx.ivr_calls is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the IVR is not running on calls")
    return ctx.ivr_calls


@router.post("/{call_id}/ivr", **STARTED,
             summary="Self-service (转自助服务): the caller walks `flow` while `by` waits; "
                     "a `return` node brings it back with the results (`ivr.back`)")
async def self_service(call_id: str, body: SelfServiceIn, control: Control, acd: AcdDep,
                       user: Staff, ivr_calls: Annotated[Any, Depends(get_ivr_calls)]) -> None:
    call, ext = allowed_call(call_id, user, control, acd)
    by = body.by
    if ext is None and by is None and call.agent in acd.agents:
        by = acd.agents[call.agent].extension or None
    by = as_party(by, ext)
    agent = acd.agent_on(by)
    ivr_calls.send(call, body.flow, by, agent.username if agent is not None else by)


class MonitorOut(BaseModel):
    call_id: str
    supervisor: str = Field(description="the number that supervises (a browser line's, a phone's)")
    mode: Literal["listen", "whisper", "barge"]


@router.post("/{call_id}/monitor", status_code=status.HTTP_202_ACCEPTED, response_model=MonitorOut,
             summary="Supervisor listens (监听), whispers (密语) or barges in (强插); already "
                     "in the call: switches mode in place")
async def monitor(call_id: str, body: MonitorIn, control: Control, acd: AcdDep,
                  user: Supervisor) -> MonitorOut:
    number = supervisor_number(body.supervisor, user, control, acd)
    control.monitor(call_id, number, Mode(body.mode), body.target)
    return MonitorOut(call_id=call_id, supervisor=number, mode=body.mode)


@router.delete("/{call_id}/monitor", status_code=204,
               summary="Stop supervising (停止监控): the supervisor leaves, the call goes on "
                       "(a browser line goes back to its session, a phone is hung up)")
async def stop_monitor(call_id: str, control: Control, acd: AcdDep, user: Supervisor,
                       supervisor: Annotated[str | None, Query(
                           pattern=r"^[A-Za-z0-9_.@+*#-]{1,64}$",
                           description="as in POST …/monitor (default: you)")] = None) -> None:
    control.get(call_id)                              # 404 for no such call first
    control.stop_monitor(call_id, supervisor_number(supervisor, user, control, acd))


@router.delete("/{call_id}", status_code=204,
                summary="Force release (强拆) the whole call")
async def release(call_id: str, control: Control, _: Supervisor) -> None:
    await control.hangup(call_id)


@router.delete("/{call_id}/parties/{number}", status_code=204,
               summary="Hang up one party (an agent: itself)")
async def release_party(call_id: str, number: str, control: Control, acd: AcdDep,
                        user: Staff) -> None:
    _, ext = allowed_call(call_id, user, control, acd)
    await control.hangup(call_id, as_party(number, ext))
