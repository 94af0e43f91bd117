"""Login and logout: username/password in, an expiring bearer token out."""

from __future__ import annotations

import logging
import time
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, Field

from kefu.store import User

from ..deps import CtxDep, StoreDep, bearer_token, current_user

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


@router.post("/login", response_model=LoginOut)
def login(body: LoginIn, request: Request, ctx: CtxDep) -> LoginOut:
    user = ctx.store.authenticate(body.username, body.password)
    client = request.client.host if request.client else "?"
    if user is None:
        log.warning("login failed for user %r from %s", body.username, client)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid username or password",
                            headers={"WWW-Authenticate": "Bearer"})
    now = time.time()
    ttl = ctx.settings.http.token_ttl
    token = ctx.store.issue_token(user.id, ttl, now=now)
    log.info("user %r (%s) logged in from %s", user.username, user.role, client)
    return LoginOut(token=token, role=user.role, username=user.username, expires_at=now + ttl)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(store: StoreDep, user: Annotated[User, Depends(current_user)],
           token: Annotated[str, Depends(bearer_token)]) -> Response:
    store.revoke_token(token)
    log.info("user %r logged out", user.username)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=Me)
def me(user: Annotated[User, Depends(current_user)]) -> Me:
    return Me(id=user.id, username=user.username, display_name=user.display_name,
              role=user.role)
