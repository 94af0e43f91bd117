"""Recordings (录音): search and look at recorded calls.  Admins see every recording;
inspectors (``qa``) and supervisors too for now (groups come with the access rules)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from kefu.users.service import User
from kefu.web.deps import MAX_INT, RecordingsDep, require_roles

from .records import Search
from .schemas import RecordingOut, RecordingPage

router = APIRouter(prefix="/recordings", tags=["recordings"])

Inspector = Annotated[User, Depends(require_roles("admin", "supervisor", "qa"))]


@router.get("", response_model=RecordingPage, summary="Search recordings")
def search(recordings: RecordingsDep, user: Inspector,
           agent: str | None = None, number: str | None = None,
           since: float | None = None, until: float | None = None,
           offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
           limit: Annotated[int, Query(ge=1, le=500)] = 50) -> RecordingPage:
    page = recordings.search(Search(agent=agent, number=number, since=since, until=until),
                             offset, limit)
    return RecordingPage(items=[RecordingOut.of(r) for r in page.items], total=page.total)


@router.get("/{recording_id}", response_model=RecordingOut, summary="One recording")
def get(recording_id: Annotated[int, Path(ge=1, le=MAX_INT)], recordings: RecordingsDep,
        user: Inspector) -> RecordingOut:
    return RecordingOut.of(recordings.get(recording_id))
