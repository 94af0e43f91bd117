"""The ivr slice's tests: its pure parts, its services on both backends (:mod:`dbkit`), its
API over SQLite (:mod:`webkit`)."""

from __future__ import annotations

import pytest

from dbkit import db_url, pg_schema_url, store, users  # noqa: F401
from kefu.ivr.service import Ivr
from kefu.store import Store


@pytest.fixture
def ivr(store: Store, tmp_path, fast_hasher) -> Ivr:  # type: ignore[no-untyped-def]
    return Ivr(store.db, voicemail_dir=tmp_path / "voicemail",
               prompts_dir=tmp_path / "prompts", hasher=fast_hasher)
