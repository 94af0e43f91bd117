"""Live calls and call control: hold, transfer, three-way, supervision, force release.

Thin HTTP over :class:`kefu.cti.control.CallControl`; it runs on the event loop where
the switch lives (async routes); ``ControlError`` becomes 404/409/422 with its reason in
:mod:`kefu.web.app`, like the store's errors.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, Field

from kefu.cti.control import CallControl
from kefu.cti.room import Mode
from kefu.store import User

from ..deps import CtxDep, require_roles

router = APIRouter(prefix="/live-calls", tags=["call control"])
Supervisor = Annotated[User, Depends(require_roles("admin", "supervisor"))]
Number = Annotated[str, Field(pattern=r"^[0-9*#+]{2,20}$")]


def get_control(ctx: CtxDep) -> CallControl:
    if ctx.control is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "call control is not running")
    return ctx.control


Control = Annotated[CallControl, Depends(get_control)]


class PartyIn(BaseModel):
    number: Number


class TransferIn(BaseModel):
    number: Number = Field(description="the transferring party; it leaves the call")
    target: Number | None = Field(None, description="blind transfer: where to send the others")
    consult_call_id: str | None = Field(None, description="attended: the consultation call")


class MonitorIn(BaseModel):
    supervisor: Number = Field(description="the supervisor's extension, dialled if not in the call")
    mode: Literal["listen", "whisper", "barge"] = "listen"
    target: Number | None = Field(None, description="whisper: the member who hears the supervisor")


@router.get("", summary="Calls in progress with their members")
async def list_live(control: Control, _: Supervisor) -> list[dict[str, Any]]:
    return control.list()


@router.get("/{call_id}", summary="One call in progress")
async def get_live(call_id: str, control: Control, _: Supervisor) -> dict[str, Any]:
    return control.get(call_id).describe()


@router.post("/{call_id}/hold", status_code=204, summary="A party puts the others on hold")
async def hold(call_id: str, body: PartyIn, control: Control, _: Supervisor) -> None:
    control.hold(call_id, body.number, True)


@router.post("/{call_id}/resume", status_code=204, summary="A party takes the others off hold")
async def resume(call_id: str, body: PartyIn, control: Control, _: Supervisor) -> None:
    control.hold(call_id, body.number, False)


@router.post("/{call_id}/transfer", status_code=204, summary="Blind or attended transfer")
async def transfer(call_id: str, body: TransferIn, control: Control, _: Supervisor) -> None:
    await control.transfer(call_id, body.number, body.target, body.consult_call_id)


@router.post("/{call_id}/parties", status_code=202, summary="Dial a third party into the call")
async def add_party(call_id: str, body: PartyIn, control: Control, _: Supervisor) -> None:
    control.add_party(call_id, body.number)


@router.post("/{call_id}/monitor", status_code=202,
             summary="Supervisor listens (监听), whispers (密语) or barges in (强插)")
async def monitor(call_id: str, body: MonitorIn, control: Control, _: Supervisor) -> None:
    mode = Mode.TALK if body.mode == "barge" else Mode(body.mode)
    control.monitor(call_id, body.supervisor, mode, body.target)


@router.delete("/{call_id}", status_code=204, summary="Force release (强拆) the whole call")
async def release(call_id: str, control: Control, _: Supervisor) -> None:
    await control.hangup(call_id)


@router.delete("/{call_id}/parties/{number}", status_code=204, summary="Release one party")
async def release_party(call_id: str, number: str, control: Control, _: Supervisor) -> None:
    await control.hangup(call_id, number)
