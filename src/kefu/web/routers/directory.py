"""The transfer directory (通讯录): where a call can be sent, searchable by whoever
handles calls.

An agent sees only itself in ``/agents``; to transfer it still needs to find a colleague,
a queue or an extension.  The directory gives exactly what a transfer target needs
(name, number, state) and nothing else of other agents (no device, no figures).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from kefu.acd.agents import AgentState
from kefu.users.service import User

from ..deps import StoreDep, require_roles
from .agents import AcdDep

router = APIRouter(tags=["agents and queues"])
Handler = Annotated[User, Depends(require_roles("admin", "supervisor", "agent"))]
Kind = Literal["agent", "queue", "extension"]

# free agents first: they can take a transfer now
_ORDER = {AgentState.READY: 0, AgentState.WRAP_UP: 1, AgentState.NOT_READY: 2,
          AgentState.AWAY: 2, AgentState.LOGGED_OUT: 4}


class Entry(BaseModel):
    kind: Kind
    value: str          # what the transfer API takes: a username, a queue name, a number
    label: str          # what a person reads: a name
    number: str = ""    # where it rings: the agent's extension, the queue's number
    state: str = ""     # agents: their state; queues: "" (see waiting)
    waiting: int | None = None


def _matches(q: str, *texts: str) -> bool:
    return not q or any(q in t.casefold() for t in texts if t)


@router.get("/directory", response_model=list[Entry],
            summary="Agents, queues and extensions to transfer to, filtered by q")
async def directory(acd: AcdDep, store: StoreDep, _: Handler,
                    q: Annotated[str, Query(max_length=64)] = "",
                    kind: Kind | None = None,
                    limit: Annotated[int, Query(ge=1, le=200)] = 20) -> list[Entry]:
    q = q.strip().casefold()
    out: list[Entry] = []
    if kind in (None, "agent"):
        agents = sorted(acd.agents.values(),
                        key=lambda a: (_ORDER.get(a.state, 3), a.username))
        out += [Entry(kind="agent", value=a.username, label=a.name or a.username,
                      number=a.extension or "", state=a.state.value)
                for a in agents if _matches(q, a.username, a.name, a.extension or "")]
    if kind in (None, "queue"):
        for name, cfg in acd.queues.items():
            if _matches(q, name, cfg.number):
                out.append(Entry(kind="queue", value=name, label=name, number=cfg.number,
                                 waiting=acd.queue_status(name)["waiting"]))
    if kind in (None, "extension"):
        out += [Entry(kind="extension", value=e.number, label=e.display_name or e.number,
                      number=e.number)
                for e in store.list_extensions()
                if e.enabled and _matches(q, e.number, e.display_name)]
    return out[:limit]
