"""Agents and queues: log in and out, state changes with reasons, wrap-up, queue status.

An agent acts on itself only; supervisors and admins act on any agent (the event then
records ``by``).  ``AcdError`` becomes 404/409/422 with its reason in :mod:`kefu.web.app`.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, status
from starlette.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from kefu.acd.service import Acd
from kefu.acd.agents import AgentState
from kefu.store import NotFound
from kefu.users.schemas import Skills
from kefu.users.service import User, Users
from kefu.values import ExtensionNumber

from ..deps import CtxDep, UsersDep, require_roles
from ..views import AgentOut, QueueOut

log = logging.getLogger(__name__)
router = APIRouter(tags=["agents and queues"])
Staff = Annotated[User, Depends(require_roles("admin", "supervisor", "agent"))]
SUPERVISORS = ("admin", "supervisor")
Supervisor = Annotated[User, Depends(require_roles(*SUPERVISORS))]


def get_acd(ctx: CtxDep) -> Acd:
    if ctx.acd is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the ACD is not running")
    return ctx.acd


AcdDep = Annotated[Acd, Depends(get_acd)]


def acting_on(user: User, username: str) -> str:
    """'' when ``user`` acts on itself, else its name for the event's ``by`` (403 for an
    agent acting on someone else)."""
    if user.username == username:
        return ""
    if user.role not in SUPERVISORS:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "an agent may act on itself only")
    return user.username


async def check_device(users: Users, username: str, extension: str) -> None:
    """403 unless ``username`` may use ``extension`` as its device: an admin bound it to
    the agent (``PUT /users/{username}/extensions``), or the user is a supervisor or admin.

    Logging in on an extension is what lets an agent see, hang up, transfer and dial as
    it, so an agent named only in a queue's ``members`` config gets no extension either.
    """
    def lookup() -> tuple[str | None, list[str]]:
        try:
            user = users.user_named(username)
            return (user.role, users.user_extensions(username)) if user else (None, [])
        except NotFound:                # deleted between the two reads
            return None, []

    role, bound = await run_in_threadpool(lookup)
    if role in SUPERVISORS or extension in bound:
        return
    if role is None:
        reason = (f"{username} is not a user: an admin creates it with its extensions "
                  f"(POST /api/v1/users with \"extensions\")")
    else:
        reason = (f"extension {extension} is not bound to {username} (bound: "
                  f"{', '.join(bound) or 'none'}); an admin binds it with "
                  f"PUT /api/v1/users/{username}/extensions")
    log.warning("refused %s the extension %s: not bound to it", username, extension)
    raise HTTPException(status.HTTP_403_FORBIDDEN, reason)


class LoginIn(BaseModel):
    extension: ExtensionNumber = Field(description="the agent's device")
    queues: list[str] | None = Field(None, description="queues to log into; omitted: all")
    ready: bool = False
    persistent: bool = Field(False, description="keep a line open to the phone (常连接): "
                                                "offers are answered through the API")
    device: Literal["phone", "webrtc"] = Field(
        "phone", description="webrtc: the desktop's softphone (POST /lines with its offer)")
    auto_answer: bool = Field(False, description="phone: offers ask the phone to answer "
                                                 "by itself (Call-Info answer-after=0)")


class StateIn(BaseModel):
    state: Literal["ready", "not_ready", "away"]
    reason: str = Field("", max_length=64, description="not_ready: one of acd.pause_reasons")


class ExtendIn(BaseModel):
    seconds: float = Field(gt=0, le=3600)


@router.get("/agents", response_model=list[AgentOut], summary="Agents and their states (an agent sees itself)")
async def list_agents(acd: AcdDep, user: Staff) -> list[dict[str, Any]]:
    return [acd.describe(a) for a in acd.agents.values()
            if user.role in SUPERVISORS or a.username == user.username]


@router.get("/agents/{username}", response_model=AgentOut, summary="One agent")
async def get_agent(username: str, acd: AcdDep, user: Staff) -> dict[str, Any]:
    acting_on(user, username)
    return acd.describe(acd.agent(username))


@router.post("/agents/{username}/login", response_model=AgentOut,
             summary="Log in on a device, to some queues or all")
async def login(username: str, body: LoginIn, acd: AcdDep, users: UsersDep,
                user: Staff) -> dict[str, Any]:
    by = acting_on(user, username)
    await check_device(users, username, body.extension)
    return acd.describe(acd.login(username, body.extension, body.queues, body.ready, by,
                                  body.persistent, body.device, body.auto_answer))


@router.post("/agents/{username}/answer", response_model=AgentOut, summary="Take the offered call (persistent line)")
async def answer(username: str, acd: AcdDep, user: Staff) -> dict[str, Any]:
    acting_on(user, username)
    return acd.describe(acd.answer(username))


@router.post("/agents/{username}/reject", response_model=AgentOut, summary="Decline the offered call")
async def reject(username: str, acd: AcdDep, user: Staff) -> dict[str, Any]:
    acting_on(user, username)
    return acd.describe(acd.reject(username))


@router.post("/agents/{username}/logout", status_code=204, summary="Log out of every queue")
async def logout(username: str, acd: AcdDep, user: Staff) -> None:
    acd.logout(username, acting_on(user, username))


@router.post("/agents/{username}/leave", response_model=AgentOut,
             summary="The desk is closing (page-hide): offer nothing, log out soon unless back")
async def leave(username: str, acd: AcdDep, user: Staff) -> dict[str, Any]:
    """Sent by the desk on ``pagehide`` (``fetch`` with ``keepalive``): an idle agent is
    offered nothing at once and logged out after ``acd.leave_grace`` unless ``back``
    comes first (a reload); an agent in a call gets the line's ``acd.reconnect_grace``."""
    acting_on(user, username)
    return acd.describe(acd.leave(username))


@router.post("/agents/{username}/back", response_model=AgentOut,
             summary="The desk is there again (a reloaded page's first request)")
async def back(username: str, acd: AcdDep, user: Staff) -> dict[str, Any]:
    acting_on(user, username)
    return acd.describe(acd.back(username))


@router.post("/agents/{username}/state", response_model=AgentOut,
             summary="Ready (示闲), not ready with a reason (示忙) or away")
async def set_state(username: str, body: StateIn, acd: AcdDep, user: Staff) -> dict[str, Any]:
    by = acting_on(user, username)
    return acd.describe(acd.set_state(username, AgentState(body.state), body.reason, by))


@router.post("/agents/{username}/wrap-up/end", response_model=AgentOut, summary="End after-call work now")
async def end_wrap_up(username: str, acd: AcdDep, user: Staff) -> dict[str, Any]:
    return acd.describe(acd.end_wrap_up(username, acting_on(user, username)))


@router.post("/agents/{username}/wrap-up/extend", response_model=AgentOut, summary="More time for after-call work")
async def extend_wrap_up(username: str, body: ExtendIn, acd: AcdDep,
                         user: Staff) -> dict[str, Any]:
    acting_on(user, username)
    return acd.describe(acd.extend_wrap_up(username, body.seconds))


class SkillsIn(BaseModel):
    skills: Skills = Field(max_length=200, description="queue → skill level (0-100); the "
                                                       "queues not named are left")


@router.put("/agents/{username}/skills", response_model=AgentOut,
            summary="Set an agent's queues and skill levels (supervisors; takes effect at once)")
async def set_skills(username: str, body: SkillsIn, acd: AcdDep, users: UsersDep,
                     user: Supervisor) -> dict[str, Any]:
    known = await run_in_threadpool(users.list_users)
    if not any(u.username == username and u.role == "agent" for u in known):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no agent user {username!r}")
    return acd.describe(acd.set_skills(username, body.skills, user.username))


@router.get("/queues", response_model=list[QueueOut], summary="Every queue: waiting calls, agents, today's figures")
async def list_queues(acd: AcdDep, _: Staff) -> list[dict[str, Any]]:
    return [acd.queue_status(name) for name in acd.queues]


@router.get("/queues/{name}", response_model=QueueOut, summary="One queue, with its waiting calls")
async def get_queue(name: str, acd: AcdDep, _: Staff) -> dict[str, Any]:
    return acd.queue_status(name)
