"""Web users, administered by admins; passwords are write-only.

An agent uses only the extensions an admin bound to it (``extensions``): it logs in on
them and opens its browser line on them, nothing else.  Creating an agent can bind its
extensions and set its queues (``skills``) in the same call, so a new queue member is
usable at once.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from kefu.store import User
from kefu.store.service import MAX_BINDINGS, MIN_USER_PASSWORD

from ..deps import CtxDep, StoreDep, require_roles
from .agents import Skills

log = logging.getLogger(__name__)
router = APIRouter(prefix="/users", tags=["users"])

Admin = Annotated[User, Depends(require_roles("admin"))]
Extensions = Annotated[list[Annotated[str, Field(pattern=r"^[0-9]{2,10}$")]],
                       Field(max_length=MAX_BINDINGS)]


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(pattern=r"^[A-Za-z0-9_.@-]{1,64}$")
    password: str = Field(min_length=MIN_USER_PASSWORD, max_length=1024)
    role: Literal["admin", "supervisor", "agent", "qa"]
    display_name: str = Field("", max_length=128)
    extensions: Extensions = Field(default_factory=list, description=(
        "agents: the extensions it may log in on (and open its browser line for); "
        "supervisors and admins use any"))
    skills: Skills | None = Field(None, max_length=200, description=(
        "agents: queue → skill level (0-100), as PUT /agents/{username}/skills"))


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    created_at: float
    extensions: list[str] = Field(description="the extensions an agent may use")

    @classmethod
    def of(cls, u: User, extensions: list[str]) -> UserOut:
        return cls(id=u.id, username=u.username, display_name=u.display_name, role=u.role,
                   created_at=u.created_at, extensions=extensions)


class ExtensionsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    extensions: Extensions = Field(description="all the extensions the agent may use "
                                               "(replaces the old list; [] for none)")


class ExtensionsOut(BaseModel):
    username: str
    extensions: list[str]


@router.get("", response_model=list[UserOut])
def list_users(store: StoreDep, _user: Admin) -> list[UserOut]:
    bindings = store.extension_bindings()
    return [UserOut.of(u, bindings.get(u.username, [])) for u in store.list_users()]


@router.post("", response_model=UserOut, status_code=status.HTTP_201_CREATED,
             summary="Create a user; an agent with its extensions and queues in one call")
async def create_user(body: UserIn, ctx: CtxDep, admin: Admin) -> UserOut:
    if body.skills:
        _check_skills(ctx.acd, body.role, body.skills)
    user = await run_in_threadpool(ctx.store.create_user, body.username, body.password,
                                   body.role, body.display_name, body.extensions)
    extensions = sorted(set(body.extensions))
    log.info("user %r (%s) created by %s%s", user.username, user.role, admin.username,
             f", bound to {', '.join(extensions)}" if extensions else "")
    if body.skills:
        ctx.acd.set_skills(user.username, body.skills, admin.username)
    return UserOut.of(user, extensions)


def _check_skills(acd: Any, role: str, skills: dict[str, int]) -> None:
    """Before anything is created: skills are for agents, in queues the running ACD has."""
    if role != "agent":
        raise HTTPException(422,
                            f"skills are for agents; a {role} is in no queue")
    if acd is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the ACD is not running")
    if unknown := sorted(set(skills) - set(acd.queues)):
        raise HTTPException(422,
                            f"no queue {', '.join(map(repr, unknown))}")


@router.get("/{username}/extensions", response_model=ExtensionsOut,
            summary="The extensions an agent may use")
def get_extensions(username: str, store: StoreDep, _user: Admin) -> ExtensionsOut:
    return ExtensionsOut(username=username, extensions=store.user_extensions(username))


@router.put("/{username}/extensions", response_model=ExtensionsOut,
            summary="Bind an agent to exactly these extensions (an agent logged in on "
                    "another is logged out)")
async def set_extensions(username: str, body: ExtensionsIn, ctx: CtxDep,
                         admin: Admin) -> ExtensionsOut:
    numbers = await run_in_threadpool(ctx.store.set_user_extensions, username,
                                      body.extensions)
    log.info("agent %r bound to extensions [%s] by %s", username, ", ".join(numbers),
             admin.username)
    agent = ctx.acd.agents.get(username) if ctx.acd is not None else None
    if agent is not None and agent.logged_in and agent.extension not in numbers:
        ctx.acd.logout(username, by=admin.username)    # it may no longer act as that phone
    return ExtensionsOut(username=username, extensions=numbers)
