"""Web users, administered by admins; passwords are write-only.

An agent uses only the extensions an admin bound to it (``extensions``): it logs in on
them and opens its browser line on them, nothing else.  Creating an agent can bind its
extensions and set its queues (``skills``) in the same call, so a new queue member is
usable at once.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, status
from starlette.concurrency import run_in_threadpool

from kefu.web.deps import CtxDep, UsersDep, require_roles

from .schemas import ExtensionsIn, ExtensionsOut, UserIn, UserOut, UserPatch
from .service import User

log = logging.getLogger(__name__)
router = APIRouter(prefix="/users", tags=["users"])

Admin = Annotated[User, Depends(require_roles("admin"))]


@router.get("", response_model=list[UserOut])
def list_users(users: UsersDep, _user: Admin) -> list[UserOut]:
    bindings = users.extension_bindings()
    return [UserOut.of(u, bindings.get(u.username, [])) for u in users.list_users()]


@router.post("", response_model=UserOut, status_code=status.HTTP_201_CREATED,
             summary="Create a user; an agent with its extensions and queues in one call")
async def create_user(body: UserIn, ctx: CtxDep, admin: Admin) -> UserOut:
    if body.skills:
        _check_skills(ctx.acd, body.role, body.skills)
    user = await run_in_threadpool(ctx.users.create_user, body.username, body.password,
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


@router.patch("/{username}", response_model=UserOut,
              summary="Change a user's display name or password (a new password signs "
                      "them out everywhere)")
def update_user(username: str, body: UserPatch, users: UsersDep, admin: Admin) -> UserOut:
    user = users.update_user(username, display_name=body.display_name, password=body.password)
    changed = [k for k in ("display_name", "password") if getattr(body, k) is not None]
    log.info("user %r: %s changed by %s", username, ", ".join(changed) or "nothing",
             admin.username)
    return UserOut.of(user, users.user_extensions(username))


@router.get("/{username}/extensions", response_model=ExtensionsOut,
            summary="The extensions an agent may use")
def get_extensions(username: str, users: UsersDep, _user: Admin) -> ExtensionsOut:
    return ExtensionsOut(username=username, extensions=users.user_extensions(username))


@router.put("/{username}/extensions", response_model=ExtensionsOut,
            summary="Bind an agent to exactly these extensions (an agent logged in on "
                    "another is logged out)")
async def set_extensions(username: str, body: ExtensionsIn, ctx: CtxDep,
                         admin: Admin) -> ExtensionsOut:
    numbers = await run_in_threadpool(ctx.users.set_user_extensions, username,
                                      body.extensions)
    log.info("agent %r bound to extensions [%s] by %s", username, ", ".join(numbers),
             admin.username)
    agent = ctx.acd.agents.get(username) if ctx.acd is not None else None
    if agent is not None and agent.logged_in and agent.extension not in numbers:
        ctx.acd.logout(username, by=admin.username)    # it may no longer act as that phone
    return ExtensionsOut(username=username, extensions=numbers)
