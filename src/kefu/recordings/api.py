"""Recordings (录音): search and look at recorded calls.  Admins see every recording;
inspectors (``qa``) and supervisors too for now (groups come with the access rules)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from kefu.store.errors import NotFound
from kefu.users.service import User
from kefu.web.deps import MAX_INT, RecordingsDep, require_roles

from .records import Search
from .schemas import InspectorIn, InspectorOut, RecordingOut, RecordingPage

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


# ---------------------------------------------------------------------- playback by phone

Admin = Annotated[User, Depends(require_roles("admin"))]
Username = Annotated[str, Path(min_length=1, max_length=64)]


@router.get("/inspectors/{username}", response_model=InspectorOut,
            summary="An inspector's phone access (never the PIN)")
def get_inspector(username: Username, recordings: RecordingsDep, user: Admin) -> InspectorOut:
    found = recordings.inspectors.get(username)
    if found is None:
        raise NotFound(f"{username} has no phone access")
    return InspectorOut.of(found)


@router.put("/inspectors/{username}", response_model=InspectorOut,
            summary="Give an inspector phone access (ID digits and PIN) or change it")
def set_inspector(username: Username, body: InspectorIn, recordings: RecordingsDep,
                  user: Admin) -> InspectorOut:
    return InspectorOut.of(recordings.inspectors.set(username, body.code, body.pin))


@router.delete("/inspectors/{username}", status_code=204,
               summary="Take an inspector's phone access away")
def clear_inspector(username: Username, recordings: RecordingsDep, user: Admin) -> Response:
    recordings.inspectors.clear(username)
    return Response(status_code=204)
