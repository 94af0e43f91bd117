"""Call detail records, filtered and paged: every call for supervisors, QA and admins; for
an agent, its own calls (``agent=me``: the desk's recent calls) or one number's (the screen
pop of a caller who is no customer yet: the same calls a customer's timeline shows any
agent), without the recording's file path."""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, BeforeValidator, Field

from kefu.store import Cdr, NotFound
from kefu.users.service import User

from ..deps import MAX_INT, CtxDep, StoreDep, UsersDep, require_roles

router = APIRouter(tags=["calls"])


def to_epoch(value: object) -> object:
    """ISO 8601 (naive means UTC) or epoch seconds -> epoch seconds."""
    if value is None or isinstance(value, (int, float)):
        return value
    text = str(value).strip()
    try:
        epoch = float(text)
    except ValueError:
        pass
    else:
        if not math.isfinite(epoch):
            raise ValueError("must be a finite number of epoch seconds")
        return epoch
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("must be ISO 8601 (2026-01-31T08:00:00Z) or epoch seconds") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


Epoch = Annotated[float, BeforeValidator(to_epoch)]


class CallPage(BaseModel):
    items: list[Cdr] = Field(description="the store's records as they are")
    total: int
    limit: int
    offset: int


def agent_extensions(ctx: CtxDep, users: UsersDep, username: str) -> list[str]:
    """The extensions whose direct calls are ``username``'s: those bound to it and the one
    it is logged in on now; 404 for an unknown user."""
    try:
        numbers = set(users.user_extensions(username))
    except NotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user {username}") from None
    agent = ctx.acd.agents.get(username) if ctx.acd is not None else None
    if agent is not None and agent.extension:
        numbers.add(agent.extension)
    return sorted(numbers)


@router.get("/calls", response_model=CallPage, summary="CDRs, newest first")
def list_calls(
    store: StoreDep,
    ctx: CtxDep,
    users: UsersDep,
    user: Annotated[User, Depends(require_roles("admin", "supervisor", "qa", "agent"))],
    number: Annotated[str | None, Query(max_length=255,
                                        description="caller or callee")] = None,
    agent: Annotated[str | None, Query(max_length=64, description=(
        "an agent's calls (username, or `me`): taken from a queue or placed or taken on "
        "its extensions; agents: `me` only"))] = None,
    since: Annotated[Epoch | None, Query(description="start at or after; ISO 8601 or epoch")] = None,
    until: Annotated[Epoch | None, Query(description="start before; ISO 8601 or epoch")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
) -> CallPage:
    username = user.username if agent == "me" else agent or None
    is_agent = user.role == "agent"
    if is_agent and username not in (None, user.username):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "an agent sees its own calls only (agent=me)")
    if is_agent and not username and not number:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            "an agent lists its own calls (agent=me) or one number's (number=)")
    extensions = agent_extensions(ctx, users, username) if username else []
    items, total = store.list_calls(number=number or None, since=since, until=until,
                                    limit=limit, offset=offset, agent=username,
                                    extensions=extensions)
    if is_agent:          # a server path is no agent's business; its play link comes elsewhere
        items = [dataclasses.replace(c, recording_path=None) for c in items]
    return CallPage(items=list(items), total=total, limit=limit,
                    offset=offset)
