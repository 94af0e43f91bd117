"""A :class:`Tickets` over a migrated store with everything it is handed faked: the clock
(Asia/Shanghai wall time), the bus, the follow-ups' ``schedule_visit``, the groups."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fake_clock import FakeClock
from kefu.bus import Event
from kefu.calendar import Calendar
from kefu.crm.service import Crm
from kefu.store import Store
from kefu.tickets.service import Tickets
from kefu.users.service import User, Users

TZ = ZoneInfo("Asia/Shanghai")
OFFICE = Calendar(week={d: ["09:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
                  holidays=[dt.date(2026, 12, 7)])          # a Monday
GROUPS = {"sue": ("support",), "sam": ("billing",), "ann": ("support",),
          "bob": ("support",), "cat": ("billing",)}
PEOPLE = {"root": "admin", "sue": "supervisor", "sam": "supervisor", "ann": "agent",
          "bob": "agent", "cat": "agent", "quinn": "qa"}


def at(*args: int) -> float:
    """Epoch seconds of a Shanghai wall time."""
    return dt.datetime(*args, tzinfo=TZ).timestamp()


@dataclass
class Kit:
    tickets: Tickets
    clock: FakeClock
    crm: Crm
    store: Store
    who: dict[str, User]
    events: list[Event] = field(default_factory=list)
    visits: list[dict[str, Any]] = field(default_factory=list)

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e.data for e in self.events if e.type == kind]


@pytest.fixture
def kit(store: Store, users: Users, crm: Crm, tmp_path) -> Kit:  # type: ignore[no-untyped-def]
    who = {name: users.create_user(name, "password1", role) for name, role in PEOPLE.items()}
    clock = FakeClock(at(2026, 12, 2, 10))            # a Wednesday morning
    k = Kit(None, clock, crm, store, who)  # type: ignore[arg-type]

    def visit(**kwargs: Any) -> None:
        assert kwargs.pop("s") is not None             # inside the ticket's transaction
        k.visits.append(kwargs)

    k.tickets = Tickets(store.db, users, crm, files_dir=tmp_path / "tickets",
                        calendars={"office": OFFICE}, tz=TZ, clock=clock,
                        publish=k.events.append,
                        group_scope=lambda u, r: None if r == "admin" else GROUPS.get(u, ()),
                        schedule_visit=visit)
    k.tickets.seed()
    return k
