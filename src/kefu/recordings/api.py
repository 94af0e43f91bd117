"""Recordings (录音): search, look at, tag and play recorded calls; the audit trail.

Who sees what is :mod:`kefu.recordings.access` (admins all, supervisors and inspectors
their groups, agents their own calls if the site allows it); a denial is a 403 with its
reason.  An ``<audio>`` element cannot send a bearer header, so playback goes through a
ticket: ``POST /{id}/ticket`` (authenticated, access checked) returns signed URLs for
``/{id}/audio`` (range requests) and ``/{id}/download`` that name the user; each play and
download is written once to the audit log, with the client's address.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path as FilePath
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response, status
from fastapi.responses import FileResponse

from kefu.store.errors import NotFound
from kefu.users.service import User
from kefu.web.deps import MAX_INT, RecordingsDep, require_roles

from .access import Denied
from .records import SORTS, Recording, Search
from .schemas import (AuditOut, PeaksOut, RecordingOut, RecordingPage, ScopeIn, ScopeOut,
                      TagsIn, TicketOut, InspectorIn, InspectorOut)
from .service import Recordings

router = APIRouter(prefix="/recordings", tags=["recordings"])

Viewer = Annotated[User, Depends(require_roles("admin", "supervisor", "qa", "agent"))]
Inspector = Annotated[User, Depends(require_roles("admin", "supervisor", "qa"))]
Admin = Annotated[User, Depends(require_roles("admin"))]
RecordingId = Annotated[int, Path(ge=1, le=MAX_INT)]
Seconds = Annotated[float | None, Query(ge=0, le=1e10)]
Score = Annotated[float | None, Query(ge=0, le=1e6)]
Name = Annotated[str | None, Query(min_length=1, max_length=64)]
MEDIA_TYPES = {"wav": "audio/wav", "flac": "audio/flac", "opus": "audio/ogg"}
_AUDIO: dict[int | str, dict[str, object]] = {
    200: {"content": {t: {} for t in MEDIA_TYPES.values()}, "description": "the audio"},
    206: {"content": {t: {} for t in MEDIA_TYPES.values()},
          "description": "the byte range asked for (Range)"},
    416: {"description": "the range is beyond the end of the file"}}


def _denied(exc: Denied) -> HTTPException:
    return HTTPException(status.HTTP_403_FORBIDDEN, str(exc))


def _agents(recordings: Recordings, user: User) -> tuple[str, ...] | None:
    try:
        return recordings.visible_agents(user.username, user.role)
    except Denied as exc:
        raise _denied(exc) from None


def _visible(recordings: Recordings, user: User, recording_id: int) -> Recording:
    """The recording, if the caller may see it (else 403; 404 if there is none)."""
    try:
        return recordings.visible(user.username, user.role, recording_id)
    except Denied as exc:
        raise _denied(exc) from None


def _ordered(name: str, low: float | None, high: float | None) -> None:
    if low is not None and high is not None and high < low:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"{name}: the upper bound is below the lower one")


@router.get("", response_model=RecordingPage, summary="Search recordings")
def search(recordings: RecordingsDep, user: Viewer,
           agent: Name = None,
           number: Annotated[str | None, Query(min_length=1, max_length=32,
                                               pattern=r"^\+?[0-9*#]+$")] = None,
           since: Seconds = None, until: Seconds = None,
           queue: Name = None,
           customer_id: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
           min_duration: Seconds = None, max_duration: Seconds = None,
           disposition: Annotated[str | None, Query(min_length=1, max_length=16)] = None,
           min_score: Score = None, max_score: Score = None,
           tags: Annotated[list[str], Query(max_length=16)] = [],
           call_id: Annotated[str | None, Query(min_length=1, max_length=128)] = None,
           offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
           limit: Annotated[int, Query(ge=1, le=500)] = 50,
           sort: Annotated[str, Query(description=f"one of {', '.join(SORTS)}")]
           = "started_at",
           descending: bool = True) -> RecordingPage:
    """Every filter narrows (tags: all of them); ``number`` is a prefix of the caller's or
    the callee's number.  Only what the caller may see is searched."""
    if sort not in SORTS:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"sort must be one of {', '.join(SORTS)}")
    _ordered("since/until", since, until)
    _ordered("min_duration/max_duration", min_duration, max_duration)
    _ordered("min_score/max_score", min_score, max_score)
    if any(not t.strip() or len(t) > 32 for t in tags):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            "tags: each is 1 to 32 characters")
    found = Search(agent=agent, number=number, since=since, until=until, queue=queue,
                   customer_id=customer_id, min_duration=min_duration,
                   max_duration=max_duration, disposition=disposition, min_score=min_score,
                   max_score=max_score, tags=tuple(tags), call_id=call_id,
                   agents=_agents(recordings, user))
    page = recordings.search(found, offset, limit, sort, descending)
    return RecordingPage(items=[RecordingOut.of(r) for r in page.items], total=page.total,
                         total_capped=page.capped)


# --- the audit trail and the groups (admins) ----------------------------------------------
AuditFilters = tuple[float | None, float | None, str | None, int | None]


def _audit_filters(since: Seconds = None, until: Seconds = None, username: Name = None,
                   recording: Annotated[int | None, Query(ge=1, le=MAX_INT)] = None,
                   ) -> AuditFilters:
    _ordered("since/until", since, until)
    return since, until, username, recording


@router.get("/audit", response_model=list[AuditOut], summary="The audit log (newest first)")
def audit(recordings: RecordingsDep, _user: Admin,
          filters: Annotated[AuditFilters, Depends(_audit_filters)],
          offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0,
          limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[AuditOut]:
    return [AuditOut.of(e) for e in recordings.audit_log(*filters, offset, limit)]


@router.get("/audit.csv", response_class=Response, summary="The audit log as CSV",
            responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
def audit_csv(request: Request, recordings: RecordingsDep, user: Admin,
              filters: Annotated[AuditFilters, Depends(_audit_filters)]) -> Response:
    """Oldest first; the export itself is audited (``export``)."""
    text = recordings.audit_csv(*filters)
    recordings.audit(user.username, "export", None, _address(request),
                     "audit log: " + ", ".join(f"{k}={v}" for k, v in zip(
                         ("since", "until", "username", "recording"), filters) if v is not None))
    day = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d")
    return Response("\ufeff" + text, media_type="text/csv; charset=utf-8",  # BOM: Excel's UTF-8
                    headers={"Content-Disposition":
                             f'attachment; filename="recordings-audit-{day}.csv"'})


@router.get("/scopes/{username}", response_model=ScopeOut, summary="A user's groups")
def get_scope(username: Annotated[str, Path(min_length=1, max_length=64)],
              recordings: RecordingsDep, _user: Admin) -> ScopeOut:
    return ScopeOut(username=username, queues=list(recordings.scope(username)))


@router.put("/scopes/{username}", response_model=ScopeOut,
            summary="Set the queues a supervisor or inspector may hear (empty: all)")
def set_scope(username: Annotated[str, Path(min_length=1, max_length=64)], body: ScopeIn,
              recordings: RecordingsDep, _user: Admin) -> ScopeOut:
    return ScopeOut(username=username, queues=list(recordings.set_scope(username, body.queues)))


# --- playback by phone: inspectors' access (before /{recording_id}: literal first) ---------

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


# --- one recording ----------------------------------------------------------------------------
@router.get("/{recording_id}", response_model=RecordingOut, summary="One recording")
def get(recording_id: RecordingId, recordings: RecordingsDep, user: Viewer) -> RecordingOut:
    return RecordingOut.of(_visible(recordings, user, recording_id))


@router.get("/{recording_id}/segments", response_model=list[RecordingOut],
            summary="The customer's journey: every segment, in order")
def segments(recording_id: RecordingId, recordings: RecordingsDep,
             user: Viewer) -> list[RecordingOut]:
    """The segments of the recording's call and of the calls linked to it, as far as the
    caller may see them."""
    rec = _visible(recordings, user, recording_id)
    agents = _agents(recordings, user)
    return [RecordingOut.of(r) for r in recordings.for_call(rec.call_id)
            if agents is None or r.agent in agents]


@router.put("/{recording_id}/tags", response_model=RecordingOut, summary="Set its tags")
def set_tags(recording_id: RecordingId, body: TagsIn, recordings: RecordingsDep,
             user: Inspector) -> RecordingOut:
    _visible(recordings, user, recording_id)
    return RecordingOut.of(recordings.set_tags(recording_id, body.tags))


@router.get("/{recording_id}/peaks", response_model=PeaksOut,
            summary="The waveform, without the file")
def peaks(recording_id: RecordingId, recordings: RecordingsDep, user: Viewer,
          points: Annotated[int, Query(ge=1, le=4000)] = 800) -> PeaksOut:
    path = _playable(recordings, _visible(recordings, user, recording_id))
    found = recordings.peaks.get(path, points)
    return PeaksOut(duration=found.duration, left=found.left, right=found.right)


@router.post("/{recording_id}/ticket", response_model=TicketOut,
             summary="Signed URLs to play or download it (about five minutes)")
def ticket(recording_id: RecordingId, request: Request, recordings: RecordingsDep,
           user: Viewer) -> TicketOut:
    _playable(recordings, _visible(recordings, user, recording_id))
    signed, expires = recordings.tickets.issue(recording_id, user.username)
    urls = [f"{request.url_for(name, recording_id=recording_id).path}?ticket={signed}"
            for name in ("recording_audio", "recording_download")]
    return TicketOut(audio=urls[0], download=urls[1], expires=expires)


Ticket = Annotated[str, Query(min_length=1, max_length=512)]


@router.get("/{recording_id}/audio", name="recording_audio", response_class=FileResponse,
            responses=_AUDIO, summary="The audio, by ticket (range requests)")
def audio(recording_id: RecordingId, ticket: Ticket, request: Request,
          recordings: RecordingsDep) -> FileResponse:
    """The ticket is the caller's permission (from ``POST /{id}/ticket``); the first
    request with it is audited as a play, a player's further range requests are not."""
    rec, path = _by_ticket(recordings, recording_id, ticket, request, "play")
    return FileResponse(path, media_type=MEDIA_TYPES[rec.codec])


@router.get("/{recording_id}/download", name="recording_download",
            response_class=FileResponse, responses={200: _AUDIO[200]},
            summary="The file as an attachment, by ticket")
def download(recording_id: RecordingId, ticket: Ticket, request: Request,
             recordings: RecordingsDep) -> FileResponse:
    rec, path = _by_ticket(recordings, recording_id, ticket, request, "download")
    name = f"{rec.call_id}-{rec.segment}{path.suffix or '.' + rec.codec}"
    return FileResponse(path, media_type=MEDIA_TYPES[rec.codec], filename=name)


def _by_ticket(recordings: Recordings, recording_id: int, ticket: str, request: Request,
               action: str) -> tuple[Recording, FilePath]:
    try:
        username = recordings.tickets.check(ticket, recording_id)
    except Denied as exc:
        raise _denied(exc) from None
    rec = recordings.get(recording_id)
    path = _playable(recordings, rec)
    if recordings.tickets.first_use(ticket, action):
        recordings.audit(username, action, recording_id, _address(request))
    return rec, path


def _playable(recordings: Recordings, rec: Recording) -> FilePath:
    """The recording's file, or 404 (deleted by retention, or missing)."""
    if rec.state == "deleted":
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"recording {rec.id} was deleted (retention)")
    path = recordings.file(rec)
    if not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"recording {rec.id}: no file")
    return path


def _address(request: Request) -> str:
    return request.client.host if request.client else ""
