"""A FastAPI app over a real SQLite store, with one logged-in user per role.

The web and slice test packages' conftests import :func:`api` from here."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient

from kefu.app import recordings_for
from kefu.bus import Event, LocalBus
from kefu.config import Settings
from kefu.announcements.service import Announcements
from kefu.qa.service import Qa
from kefu.recordings.service import Recordings
from kefu.crm.service import Crm
from kefu.followups.service import Followups
from kefu.store import Store
from kefu.tickets.service import Tickets
from kefu.users.service import ROLES, Users
from kefu.web import AppContext, create_app

from dbkit import sqlite_copy

PASSWORD = "password-123"


@dataclass
class Api:
    client: TestClient
    store: Store
    users: Users
    ctx: AppContext
    events: list[Event] = field(default_factory=list)
    password: str = PASSWORD          # every role's user has this password
    tokens: dict[str, str] = field(default_factory=dict)

    def as_(self, role: str) -> dict[str, str]:
        """Authorization header of the user whose role (and username) is ``role``."""
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@pytest.fixture
def api(tmp_path, fast_hasher, migrated_sqlite) -> Iterator[Api]:  # type: ignore[no-untyped-def]
    store = Store(sqlite_copy(migrated_sqlite, tmp_path))
    store.migrate()            # at the newest revision already: a check, as kefu does at start
    users = Users(store.db, hasher=fast_hasher)
    bus = LocalBus()
    crm = Crm(store.db, users)
    ctx = AppContext(settings=Settings(data_dir=tmp_path), store=store, bus=bus, users=users,
                     crm=crm, announcements=Announcements(store.db, users),
                     recordings=(recordings := Recordings(store.db, users=users,
                                                          hasher=fast_hasher)),
                     qa=Qa(store.db, recordings),
                     followups=(followups := Followups(store.db, crm, users,
                                                       publish=bus.publish)))
    ctx.tickets = Tickets(store.db, users, ctx.crm, files_dir=tmp_path / "tickets",
                          publish=bus.publish, schedule_visit=followups.schedule)
    ctx.tickets.seed()
    # as kefu.app.start wires them: a merge moves recordings, tickets and follow-ups
    crm.on_merge += [recordings.move_customer, ctx.tickets.on_merge, followups.on_merge]
    crm.on_delete += [ctx.tickets.on_delete, followups.on_delete]
    ctx.recordings_for = recordings_for(recordings)     # the timeline's play links
    api = Api(TestClient(create_app(ctx)), store, users, ctx)
    bus.subscribe(api.events.append)
    for role in ROLES:
        user = users.create_user(role, PASSWORD, role)
        api.tokens[role] = users.issue_token(user.id)
    with api.client:
        yield api
    store.close()
