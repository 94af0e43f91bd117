"""Live calls and call control: make call, hold, transfer, conference, DTMF, call-attached
data, supervision and force release.

Thin HTTP over :class:`kefu.cti.control.CallControl`; it runs on the event loop where
the switch lives (async routes); ``ControlError`` becomes 404/409/413/422 with its reason
in :mod:`kefu.web.app`, like the store's errors.

Who may do what: supervisors and admins act on any call and party; an agent acts only on
calls its logged-in extension takes part in, and only as that extension.  Listening,
whispering, barging and releasing a whole call are for supervisors and admins.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, Field

from kefu.cti.call import Call
from kefu.cti.control import CallControl
from kefu.cti.room import Mode
from kefu.store import User

from ..deps import CtxDep, require_roles
from .agents import SUPERVISORS, AcdDep

router = APIRouter(prefix="/live-calls", tags=["call control"])
Supervisor = Annotated[User, Depends(require_roles("admin", "supervisor"))]
Staff = Annotated[User, Depends(require_roles("admin", "supervisor", "agent"))]
Number = Annotated[str, Field(pattern=r"^[0-9*#+]{2,20}$")]


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
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "number is required")
    return number or ext  # type: ignore[return-value]


class PartyIn(BaseModel):
    number: Number | None = Field(None, description="the party; agents: omitted (themselves)")


class DialIn(BaseModel):
    number: Number = Field(description="who to add to the call")


class TransferIn(BaseModel):
    number: Number | None = Field(None, description="the transferring party; it leaves")
    target: Number | None = Field(None, description="blind: an extension, queue or number")
    agent: str | None = Field(None, description="blind: an agent (by username)")
    queue: str | None = Field(None, description="blind: a queue (by name)")
    consult_call_id: str | None = Field(None, description="attended: the consultation call")


class MonitorIn(BaseModel):
    supervisor: Number = Field(description="the supervisor's extension, dialled if not in the call")
    mode: Literal["listen", "whisper", "barge"] = "listen"
    target: Number | None = Field(None, description="whisper: the member who hears the supervisor")


class OriginateIn(BaseModel):
    to: Number = Field(description="the number to call")
    from_: Number | None = Field(None, alias="from",
                                 description="the extension that rings first; agents: theirs")
    data: dict[str, Any] = Field(default_factory=dict, description="call-attached data")


class DtmfIn(BaseModel):
    number: Number | None = Field(None, description="the party whose keys these are")
    digits: str = Field(pattern=r"^[0-9*#A-D]{1,32}$")


@router.get("", summary="Calls in progress with their members (an agent: its own)")
async def list_live(control: Control, acd: AcdDep, user: Staff) -> list[dict[str, Any]]:
    ext = own_extension(user, acd)
    return [c.describe() for c in control.switch.calls.values()
            if not c.ended and (ext is None or c.involves(ext))]


@router.post("", status_code=201, summary="Make a call: ring `from` first, then dial `to`")
async def originate(body: OriginateIn, control: Control, acd: AcdDep,
                    user: Staff) -> dict[str, Any]:
    first = as_party(body.from_, own_extension(user, acd))
    acd.check_data(body.data)
    call = control.originate(first, body.to, body.data, control.switch.idle_line(first))
    acd.outbound(first, call)
    return call.describe()


@router.get("/{call_id}", summary="One call in progress")
async def get_live(call_id: str, control: Control, acd: AcdDep, user: Staff) -> dict[str, Any]:
    return allowed_call(call_id, user, control, acd)[0].describe()


@router.post("/{call_id}/hold", status_code=204, summary="A party puts the others on hold")
async def hold(call_id: str, body: PartyIn, control: Control, acd: AcdDep, user: Staff) -> None:
    _, ext = allowed_call(call_id, user, control, acd)
    control.hold(call_id, as_party(body.number, ext), True)


@router.post("/{call_id}/resume", status_code=204, summary="A party takes the others off hold")
async def resume(call_id: str, body: PartyIn, control: Control, acd: AcdDep,
                 user: Staff) -> None:
    _, ext = allowed_call(call_id, user, control, acd)
    control.hold(call_id, as_party(body.number, ext), False)


@router.post("/{call_id}/transfer", status_code=204,
             summary="Blind (to an agent, queue, extension or number) or attended transfer")
async def transfer(call_id: str, body: TransferIn, control: Control, acd: AcdDep,
                   user: Staff) -> None:
    _, ext = allowed_call(call_id, user, control, acd)
    if body.consult_call_id:
        allowed_call(body.consult_call_id, user, control, acd)
    await control.transfer(call_id, as_party(body.number, ext),
                           acd.resolve_target(body.target, body.agent, body.queue),
                           body.consult_call_id)


@router.post("/{call_id}/parties", status_code=202,
             summary="Conference: dial a third party into the call")
async def add_party(call_id: str, body: DialIn, control: Control, acd: AcdDep,
                    user: Staff) -> None:
    allowed_call(call_id, user, control, acd)
    control.add_party(call_id, body.number)


class ConsultIn(BaseModel):
    number: Number | None = Field(None, description="who consults; agents: omitted (themselves)")
    target: Number | None = Field(None, description="an extension or number to consult")
    agent: str | None = Field(None, description="or an agent (by username)")


class FinishIn(BaseModel):
    number: Number | None = Field(None, description="who consulted; agents: omitted")


@router.post("/{call_id}/consult", status_code=202,
             summary="Consult (咨询): call someone while the others wait with music")
async def consult(call_id: str, body: ConsultIn, control: Control, acd: AcdDep,
                  user: Staff) -> None:
    _, ext = allowed_call(call_id, user, control, acd)
    target = acd.resolve_target(body.target, body.agent)
    if not target:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, "target or agent is required")
    control.consult(call_id, as_party(body.number, ext), target)


@router.post("/{call_id}/consult/{how}", status_code=204,
             summary="End a consultation: transfer (转接), conference (三方) or cancel")
async def finish_consult(call_id: str, how: Literal["transfer", "conference", "cancel"],
                         body: FinishIn, control: Control, acd: AcdDep, user: Staff) -> None:
    _, ext = allowed_call(call_id, user, control, acd)
    control.finish_consult(call_id, as_party(body.number, ext), how)


@router.post("/{call_id}/dtmf", status_code=202, summary="Send DTMF as one of the parties")
async def dtmf(call_id: str, body: DtmfIn, control: Control, acd: AcdDep, user: Staff) -> None:
    _, ext = allowed_call(call_id, user, control, acd)
    await control.send_dtmf(call_id, as_party(body.number, ext), body.digits)


@router.get("/{call_id}/data", summary="Call-attached data")
async def get_data(call_id: str, control: Control, acd: AcdDep, user: Staff) -> dict[str, Any]:
    return allowed_call(call_id, user, control, acd)[0].data


@router.patch("/{call_id}/data", summary="Merge keys into the call-attached data (≤ 1 MiB)")
async def patch_data(call_id: str, body: dict[str, Any], control: Control, acd: AcdDep,
                     user: Staff) -> dict[str, Any]:
    call, _ = allowed_call(call_id, user, control, acd)
    return acd.set_data(call, body, merge=True)


@router.put("/{call_id}/data", summary="Replace the call-attached data (≤ 1 MiB)")
async def put_data(call_id: str, body: dict[str, Any], control: Control, acd: AcdDep,
                   user: Staff) -> dict[str, Any]:
    call, _ = allowed_call(call_id, user, control, acd)
    return acd.set_data(call, body, merge=False)


@router.post("/{call_id}/monitor", status_code=202,
             summary="Supervisor listens (监听), whispers (密语) or barges in (强插)")
async def monitor(call_id: str, body: MonitorIn, control: Control, _: Supervisor) -> None:
    mode = Mode(body.mode)
    control.monitor(call_id, body.supervisor, mode, body.target)


@router.delete("/{call_id}", status_code=204, summary="Force release (强拆) the whole call")
async def release(call_id: str, control: Control, _: Supervisor) -> None:
    await control.hangup(call_id)


@router.delete("/{call_id}/parties/{number}", status_code=204,
               summary="Hang up one party (an agent: itself)")
async def release_party(call_id: str, number: str, control: Control, acd: AcdDep,
                        user: Staff) -> None:
    _, ext = allowed_call(call_id, user, control, acd)
    await control.hangup(call_id, as_party(number, ext))
