"""The ivr slice's tests: its pure parts, its services on both backends (:mod:`dbkit`), its
API over SQLite (:mod:`webkit`)."""

from __future__ import annotations

import time

import pytest

from dbkit import db_url, pg_schema_url, store, users  # noqa: F401
from webkit import Api, api  # noqa: F401
from kefu.ivr.service import Ivr
from kefu.store import Store


@pytest.fixture
def ivr(store: Store, tmp_path, fast_hasher) -> Ivr:  # type: ignore[no-untyped-def]
    return Ivr(store.db, voicemail_dir=tmp_path / "voicemail",
               prompts_dir=tmp_path / "prompts", hasher=fast_hasher)


@pytest.fixture
def ivr_api(api: Api, tmp_path, fast_hasher) -> Api:  # type: ignore[no-untyped-def]
    """The web test app (:mod:`webkit`) with the IVR service in its context."""
    api.ctx.ivr = Ivr(api.store.db, voicemail_dir=tmp_path / "vm",
                      prompts_dir=tmp_path / "ivr-prompts", hasher=fast_hasher)
    return api


@pytest.fixture
def shanghai(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """The process in Asia/Shanghai (UTC+8, no daylight saving): the statistics' local
    intervals the same on any machine."""
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
