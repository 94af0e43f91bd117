"""What the users slice hands out: frozen dataclasses and the rules' limits."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("admin", "supervisor", "agent", "qa")
MIN_USER_PASSWORD = 8
MAX_BINDINGS = 100          # extensions one agent may be bound to


@dataclass(frozen=True)
class User:
    """A person who logs in to the web API."""

    id: int
    username: str
    display_name: str
    role: str
    created_at: float
