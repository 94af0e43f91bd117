"""FastAPI dependencies: the services out of the app's context, and bearer-token auth.

Routes declare what they need (``Depends(require_roles("admin"))``) instead of reaching
for globals, so tests build an app around any store and bus.
"""

from __future__ import annotations

from typing import Annotated, Any, Callable, Sequence

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kefu.bus import Bus
from kefu.announcements.service import Announcements
from kefu.crm.service import Crm
from kefu.followups.service import Followups
from kefu.reports.schedule import ReportSchedules
from kefu.ivr.service import Ivr
from kefu.qa.service import Qa
from kefu.recordings.service import Recordings
from kefu.reports.service import Reports
from kefu.store import Store
from kefu.tickets.service import Tickets
from kefu.users.service import ROLES, User, Users

from .context import AppContext

MAX_INT = 2**31 - 1
UPLOADED_FILE: dict[int | str, dict[str, Any]] = {200: {"content": {"*/*": {
    "schema": {"type": "string", "format": "binary"}}},
    "description": "the file, served with the media type its content was found to be"}}
"""The answer of a route serving an uploaded file (store/uploads.py): any media type."""
"""The largest value of any integer path or query parameter: larger is a 422, not a database
error (SQLite's INTEGER overflows past 2**63, PostgreSQL's past 2**31)."""

_bearer = HTTPBearer(auto_error=False, description="Token from POST /api/v1/auth/login")


def get_ctx(request: Request) -> AppContext:
    return request.app.state.ctx


def get_store(ctx: Annotated[AppContext, Depends(get_ctx)]) -> Store:
    return ctx.store


def get_bus(ctx: Annotated[AppContext, Depends(get_ctx)]) -> Bus:
    return ctx.bus


def get_users(ctx: Annotated[AppContext, Depends(get_ctx)]) -> Users:
    return ctx.users


def get_crm(ctx: Annotated[AppContext, Depends(get_ctx)]) -> Crm:
    return ctx.crm


def get_announcements(ctx: Annotated[AppContext, Depends(get_ctx)]) -> Announcements:
    return ctx.announcements


def running(attr: str, off: str) -> Callable[[AppContext], Any]:
    """The dependency of a service kefu may run without (``ctx.<attr>`` None: 503 saying
    ``off``): the IVR, recordings, quality inspection, tickets, follow-ups, reports."""
    def get(ctx: Annotated[AppContext, Depends(get_ctx)]) -> Any:
        service = getattr(ctx, attr)
        if service is None:
            raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, off)
        return service
    return get


RecordingsFor = Callable[[Sequence[str], str, str], dict[str, int]]


def get_recordings_for(ctx: Annotated[AppContext, Depends(get_ctx)]) -> RecordingsFor:
    """Which calls' recordings a user may play (none when recordings are not kept)."""
    return ctx.recordings_for or (lambda _calls, _username, _role: {})


StoreDep = Annotated[Store, Depends(get_store)]
BusDep = Annotated[Bus, Depends(get_bus)]
UsersDep = Annotated[Users, Depends(get_users)]
CrmDep = Annotated[Crm, Depends(get_crm)]
AnnouncementsDep = Annotated[Announcements, Depends(get_announcements)]
IvrDep = Annotated[Ivr, Depends(running("ivr", "the IVR is not running"))]
RecordingsDep = Annotated[Recordings, Depends(running("recordings", "recordings are not kept"))]
RecordingsForDep = Annotated[RecordingsFor, Depends(get_recordings_for)]
QaDep = Annotated[Qa, Depends(running("qa", "quality inspection is off"))]
TicketsDep = Annotated[Tickets, Depends(running("tickets", "tickets are not kept"))]
FollowupsDep = Annotated[Followups, Depends(running("followups", "follow-ups are off"))]
ReportsDep = Annotated[Reports, Depends(running("reports", "reports are off"))]
ReportSchedulesDep = Annotated[ReportSchedules,
                               Depends(running("report_schedules", "report schedules are off"))]
CtxDep = Annotated[AppContext, Depends(get_ctx)]


def _unauthorized(reason: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, reason,
                         headers={"WWW-Authenticate": "Bearer"})


def bearer_token(
    creds: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The request's bearer token as sent (401 when there is none); not yet checked."""
    if creds is None or creds.scheme.lower() != "bearer" or not creds.credentials:
        raise _unauthorized("missing bearer token")
    return creds.credentials


def current_user(users: UsersDep, token: Annotated[str, Depends(bearer_token)]) -> User:
    """The token's user (401 when the token is unknown, revoked or expired)."""
    user = users.user_for_token(token)
    if user is None:
        raise _unauthorized("invalid or expired token")
    return user


def require_roles(*roles: str) -> Callable[..., User]:
    """A dependency that yields the caller when their role is one of ``roles``, else 403."""
    unknown = set(roles) - set(ROLES)
    if not roles or unknown:
        raise ValueError(f"require_roles needs known roles, got {roles!r}")

    def dependency(user: Annotated[User, Depends(current_user)]) -> User:
        if user.role not in roles:
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"requires role {' or '.join(roles)}; you are {user.role}")
        return user

    return dependency
