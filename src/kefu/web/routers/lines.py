"""Softphone lines: a browser posts its WebRTC offer and gets kefu's answer.

The line stays up while the desktop is open (one persistent media session per agent, so
an answered call is connected at once); calls borrow it and give it back.  An agent's
line is on the extension it logged in with (``device: webrtc``), which must be bound to
it (403 otherwise, like the login); a supervisor's browser stands for the extension it
names, else its own (the first bound to it: the wallboard opens it on demand when the
supervisor presses listen); listen, whisper and barge then use that line.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from kefu.users.service import User, Users
from kefu.values import ExtensionNumber

from ..deps import CtxDep, UsersDep, require_roles
from .agents import SUPERVISORS, AcdDep, check_device
from .live import Control

router = APIRouter(prefix="/lines", tags=["softphone"])
Staff = Annotated[User, Depends(require_roles("admin", "supervisor", "agent"))]


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["offer"]
    sdp: str = Field(min_length=10, max_length=20000)
    extension: ExtensionNumber | None = Field(
        None, description="supervisors: the extension this browser is (default: the first "
                          "one bound to them; 409 when none is)")


class LineOut(BaseModel):
    """kefu's answer: the browser sets it as its remote description."""
    type: Literal["answer"]
    sdp: str
    call_id: str = Field(description="the line's persistent media session")
    extension: str = Field(description="the number the line stands for")


async def line_number(user: User, acd: Any, extension: str | None, is_extension: Any,
                      users: Users) -> str:
    """The number the browser's line is for: an agent's own (bound) extension, or the one a
    supervisor names, else the supervisor's own (the first bound to it)."""
    if user.role not in SUPERVISORS:
        agent = acd.agents.get(user.username)
        if agent is None or not agent.logged_in or agent.device != "webrtc":
            raise HTTPException(status.HTTP_409_CONFLICT,
                                "log in as an agent with device webrtc first")
        if extension not in (None, agent.extension):
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"an agent's line is on its own extension {agent.extension}")
        await check_device(users, user.username, agent.extension)
        return agent.extension
    if not extension:
        bound = await run_in_threadpool(users.user_extensions, user.username)
        if not bound:
            raise HTTPException(status.HTTP_409_CONFLICT,
                                f"{user.username} has no extension of its own: name one, or "
                                "an admin binds one (PUT /api/v1/users/"
                                f"{user.username}/extensions)")
        extension = bound[0]
    if not is_extension(extension):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no extension {extension}")
    return extension


@router.post("", response_model=LineOut,
             summary="Open the browser's softphone line (WebRTC offer → answer, PCMU)")
async def open_line(body: LineIn, ctx: CtxDep, control: Control, acd: AcdDep,
                    users: UsersDep, user: Staff) -> LineOut:
    number = await line_number(user, acd, body.extension,
                               control.switch.is_extension, users)
    answer, session, member = await control.open_webrtc_line(
        number, body.sdp, ctx.settings.webrtc_host, user.username)
    acd.attach_line(number, session, member)
    return LineOut(type="answer", sdp=answer, call_id=session.id, extension=number)


@router.delete("/{number}", status_code=204, summary="Close a softphone line")
async def close_line(number: str, control: Control, acd: AcdDep, user: Staff) -> None:
    if user.role not in SUPERVISORS:
        agent = acd.agents.get(user.username)
        if agent is None or agent.extension != number:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "an agent closes its own line only")
    member = control.switch.lines.get(number)
    if member is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no line on {number}")
    member.sip.hangup()
