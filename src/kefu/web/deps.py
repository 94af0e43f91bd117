"""FastAPI dependencies: the services out of the app's context, and bearer-token auth.

Routes declare what they need (``Depends(require_roles("admin"))``) instead of reaching
for globals, so tests build an app around any store and bus.
"""

from __future__ import annotations

from typing import Annotated, Callable, Sequence

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


def get_ivr(ctx: Annotated[AppContext, Depends(get_ctx)]) -> Ivr:
    if ctx.ivr is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "the IVR is not running")
    return ctx.ivr


def get_recordings(ctx: Annotated[AppContext, Depends(get_ctx)]) -> Recordings:
    if ctx.recordings is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "recordings are not kept")
    return ctx.recordings


def get_qa(ctx: Annotated[AppContext, Depends(get_ctx)]) -> Qa:
    if ctx.qa is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "quality inspection is off")
    return ctx.qa


def get_tickets(ctx: Annotated[AppContext, Depends(get_ctx)]) -> Tickets:
    if ctx.tickets is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "tickets are not kept")
    return ctx.tickets
RecordingsFor = Callable[[Sequence[str], str, str], dict[str, int]]


def get_recordings_for(ctx: Annotated[AppContext, Depends(get_ctx)]) -> RecordingsFor:
    """Which calls' recordings a user may play (none when recordings are not kept)."""
    return ctx.recordings_for or (lambda _calls, _username, _role: {})
def get_followups(ctx: Annotated[AppContext, Depends(get_ctx)]) -> Followups:
    if ctx.followups is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "follow-ups are off")
    return ctx.followups


def get_reports(ctx: Annotated[AppContext, Depends(get_ctx)]) -> Reports:
    if ctx.reports is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "reports are off")
    return ctx.reports


def get_report_schedules(ctx: Annotated[AppContext, Depends(get_ctx)]) -> ReportSchedules:
    if ctx.report_schedules is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "report schedules are off")
    return ctx.report_schedules


StoreDep = Annotated[Store, Depends(get_store)]
BusDep = Annotated[Bus, Depends(get_bus)]
UsersDep = Annotated[Users, Depends(get_users)]
CrmDep = Annotated[Crm, Depends(get_crm)]
AnnouncementsDep = Annotated[Announcements, Depends(get_announcements)]
IvrDep = Annotated[Ivr, Depends(get_ivr)]
RecordingsDep = Annotated[Recordings, Depends(get_recordings)]
RecordingsForDep = Annotated[RecordingsFor, Depends(get_recordings_for)]
QaDep = Annotated[Qa, Depends(get_qa)]
TicketsDep = Annotated[Tickets, Depends(get_tickets)]
FollowupsDep = Annotated[Followups, Depends(get_followups)]
ReportsDep = Annotated[Reports, Depends(get_reports)]
ReportSchedulesDep = Annotated[ReportSchedules, Depends(get_report_schedules)]
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
