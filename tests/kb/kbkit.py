"""A :class:`Kb` over a migrated store with a clock the test moves (Asia/Shanghai), one
user per role, and an API client over it (the app as :mod:`webkit` builds it, plus the
knowledge base)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest

from fake_clock import FakeClock
from kefu.kb.index import ScanIndex
from kefu.kb.service import Kb
from kefu.store import Store
from kefu.users.service import ROLES, User, Users
from webkit import Api

TZ = ZoneInfo("Asia/Shanghai")
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
PDF = b"%PDF-1.4\n" + b"x" * 64


def at(*args: int) -> float:
    """Epoch seconds of a Shanghai wall time."""
    return dt.datetime(*args, tzinfo=TZ).timestamp()


@dataclass
class Kit:
    kb: Kb
    clock: FakeClock
    store: Store
    who: dict[str, User]
    index: ScanIndex


@pytest.fixture
def kit(store: Store, users: Users, tmp_path) -> Kit:  # type: ignore[no-untyped-def]
    who = {role: users.create_user(role, "password1", role) for role in ROLES}
    who["agent2"] = users.create_user("agent2", "password1", "agent")
    clock = FakeClock(at(2026, 12, 2, 10))
    index = ScanIndex()
    kb = Kb(store.db, files_dir=tmp_path / "kb", clock=clock, tz=TZ, index=index)
    return Kit(kb, clock, store, who, index)


@pytest.fixture
def kb_api(api: Api, tmp_path) -> Iterator[Api]:  # type: ignore[no-untyped-def]
    """webkit's app with the knowledge base in its context (files under tmp_path/kb)."""
    api.ctx.kb = Kb(api.store.db, api.ctx.settings.kb, files_dir=tmp_path / "kb", tz=TZ)
    yield api
