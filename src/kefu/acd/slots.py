"""What the routing engine knows of agents and waiting calls, and what a strategy may see
of a queue: the data both :mod:`kefu.acd.routing` and :mod:`kefu.acd.strategies` use.

They live here, below both, so that the router can hold the strategies' indexes and the
strategies can name these types without importing the router back (no import cycle).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(eq=False)
class AgentSlot:
    """What routing knows of an agent."""

    id: str
    skills: dict[str, int]                   # queue → skill level, the agent's memberships
    seq: int = 0
    queues: set[str] = field(default_factory=set)    # queues logged into
    ready: bool = False
    idle_since: float = 0.0                  # when the agent last became free
    calls: int = 0                           # calls answered (fewest calls)
    talk_time: float = 0.0                   # seconds talked (least talk time)
    attrs: dict[str, Any] = field(default_factory=dict)   # for plug-in strategies
    parked: list["Waiting"] = field(default_factory=list)  # calls waiting for this agent


@dataclass(eq=False)
class Waiting:
    """A call waiting in a queue."""

    id: str
    queue: str
    enqueued: float
    priority: int = 0
    base_priority: int = 0                   # the ACD's priority before customer tiers
    preferred: str | None = None             # agent id (customer-based routing)
    prefer_until: float = 0.0
    data: Any = None                         # the ACD's own (the call)
    key: tuple = ()
    parked: bool = False
    min_level: int = 0                       # only members at this skill level or above


class AgentBook(Protocol):
    """Every agent routing knows, by id (the router)."""

    @property
    def agents(self) -> dict[str, AgentSlot]: ...


class QueueView(Protocol):
    """What a strategy sees of its queue (the router's ``RQueue``)."""

    @property
    def name(self) -> str: ...

    @property
    def members(self) -> dict[str, int]:
        """Agent id → skill level."""

    @property
    def order(self) -> dict[str, int]:
        """Agent id → position in member order (top-down, ring-all, round robin)."""

    @property
    def router(self) -> AgentBook: ...
