"""Login and logout: username/password in, an expiring bearer token out.

Logins are throttled per username and per address (:mod:`kefu.web.throttle`): a refused
try is 429 with ``Retry-After`` and its password is never checked.  Admins see the
failures and lockouts at ``GET /auth/lockouts`` and lift one with ``DELETE``.
"""

from __future__ import annotations

import logging
import time
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, Field

from kefu.config import Settings
from kefu.users.service import User

from ..deps import CtxDep, UsersDep, bearer_token, current_user, require_roles
from ..errors import Error
from ..throttle import Kind, LoginThrottle, retry_after

log = logging.getLogger(__name__)
router = APIRouter(prefix="/auth", tags=["auth"])


class LoginIn(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class LoginOut(BaseModel):
    token: str
    role: str
    username: str
    expires_at: float = Field(description="epoch seconds")


class Me(BaseModel):
    id: int
    username: str
    display_name: str
    role: str


class LockoutEntry(BaseModel):
    """A username or an address with recent login failures."""
    kind: Kind
    key: str
    failures: int
    last_failure: float = Field(description="epoch seconds of the newest failure")
    refused: int = Field(description="tries refused unchecked since")
    locked_until: float | None = Field(description="epoch seconds, while locked out")
    retry_after: int = Field(description="seconds a try waits now (0: at once)")


class AuthEventOut(BaseModel):
    """A ``failed`` login, a ``lockout`` or an admin's ``unlock``."""
    ts: float
    type: Literal["failed", "lockout", "unlock"]
    kind: Kind
    key: str
    failures: int
    username: str
    address: str
    by: str = Field(description="the admin who unlocked")


class LockoutsOut(BaseModel):
    entries: list[LockoutEntry]
    events: list[AuthEventOut] = Field(description="newest first")


def throttle_for(settings: Settings) -> LoginThrottle:
    http = settings.http
    return LoginThrottle(http.login_fail_limit, http.login_fail_limit_address,
                         http.login_lockout)


def get_throttle(request: Request) -> LoginThrottle:
    return request.app.state.login_throttle


Throttle = Annotated[LoginThrottle, Depends(get_throttle)]
Admin = Annotated[User, Depends(require_roles("admin"))]


@router.post("/login", response_model=LoginOut, responses={
    401: {"model": Error, "description": "wrong username or password"},
    429: {"model": Error, "description": "too many failures: wait `Retry-After` seconds"}})
def login(body: LoginIn, request: Request, ctx: CtxDep, throttle: Throttle) -> LoginOut:
    client = request.client.host if request.client else "?"
    wait = throttle.begin(body.username, client)
    if wait is not None:
        seconds = retry_after(wait)
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                            f"too many failed logins; try again in {seconds} s",
                            headers={"Retry-After": str(seconds)})
    try:
        user = ctx.users.authenticate(body.username, body.password)
    except BaseException:
        throttle.end(body.username, client, ok=None)
        raise
    events = throttle.end(body.username, client, ok=user is not None)
    if user is None:
        failures = next((e.failures for e in events if e.type == "failed"), 0)
        log.warning("login failed for user %r from %s (%d in a row)", body.username, client,
                    failures)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid username or password",
                            headers={"WWW-Authenticate": "Bearer"})
    now = time.time()
    ttl = ctx.users.settings.token_ttl
    token = ctx.users.issue_token(user.id, now=now)
    log.info("user %r (%s) logged in from %s", user.username, user.role, client)
    return LoginOut(token=token, role=user.role, username=user.username, expires_at=now + ttl)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(users: UsersDep, user: Annotated[User, Depends(current_user)],
           token: Annotated[str, Depends(bearer_token)]) -> Response:
    users.revoke_token(token)
    log.info("user %r logged out", user.username)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=Me)
def me(user: Annotated[User, Depends(current_user)]) -> Me:
    return Me(id=user.id, username=user.username, display_name=user.display_name,
              role=user.role)


@router.get("/lockouts", response_model=LockoutsOut,
            summary="Login failures and lockouts, by username and address")
def lockouts(throttle: Throttle, _admin: Admin) -> LockoutsOut:
    """``entries``: every username and address with recent failures (a try now waits
    ``retry_after`` seconds; ``locked_until`` while locked out); ``events``: the latest
    ``failed``, ``lockout`` and ``unlock`` events, newest first.  Kept in memory: a
    restart forgets them (the log keeps the lines)."""
    return LockoutsOut.model_validate({"entries": throttle.status(),
                                       "events": throttle.events()})


@router.delete("/lockouts/{kind}/{key}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Lift a lockout: forget a username's or an address's failures")
def lift_lockout(kind: Literal["username", "address"], key: str, throttle: Throttle,
                 admin: Admin) -> Response:
    if not throttle.lift(kind, key, by=admin.username):
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no failures recorded for {kind} {key!r}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
