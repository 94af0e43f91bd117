"""SIP extensions: read for admins and supervisors, write for admins.

Passwords go in and never come out (not even their HA1s, which are password-equivalent
for SIP digest).  Every change is published as ``extension.changed`` so caches (the SIP
directory) drop stale credentials at once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Response, status
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from kefu.bus import Event
from kefu.config import MIN_EXTENSION_PASSWORD
from kefu.store import Extension
from kefu.users.service import User
from kefu.values import ExtensionNumber

from ..deps import BusDep, CtxDep, StoreDep, require_roles

router = APIRouter(prefix="/extensions", tags=["extensions"])

Reader = Annotated[User, Depends(require_roles("admin", "supervisor"))]
Admin = Annotated[User, Depends(require_roles("admin"))]
Password = Annotated[str, Field(min_length=MIN_EXTENSION_PASSWORD, max_length=128)]
DisplayName = Annotated[str, Field(max_length=128)]


class ExtensionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: ExtensionNumber
    password: Password
    display_name: DisplayName = ""


class ExtensionPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: Password | None = None
    display_name: DisplayName | None = None
    enabled: StrictBool | None = None


class ExtensionOut(BaseModel):
    number: str
    display_name: str
    enabled: bool
    created_at: float
    updated_at: float

    @classmethod
    def of(cls, ext: Extension) -> ExtensionOut:
        return cls(number=ext.number, display_name=ext.display_name, enabled=ext.enabled,
                   created_at=ext.created_at, updated_at=ext.updated_at)


def _changed(bus: BusDep, number: str, action: str, user: User) -> None:
    bus.publish(Event("extension.changed",
                      data={"number": number, "action": action, "by": user.username}))


def _not_found(number: str) -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, f"extension {number} does not exist")


@router.get("", response_model=list[ExtensionOut])
def list_extensions(store: StoreDep, _user: Reader) -> list[ExtensionOut]:
    return [ExtensionOut.of(e) for e in store.list_extensions()]


@router.get("/{number}", response_model=ExtensionOut)
def get_extension(number: str, store: StoreDep, _user: Reader) -> ExtensionOut:
    ext = store.get_extension(number)
    if ext is None:
        raise _not_found(number)
    return ExtensionOut.of(ext)


@router.post("", response_model=ExtensionOut, status_code=status.HTTP_201_CREATED)
def create_extension(body: ExtensionIn, ctx: CtxDep, bus: BusDep,
                     user: Admin) -> ExtensionOut:
    ext = ctx.store.create_extension(body.number, body.password, body.display_name,
                                     ctx.settings.sip.realm)
    _changed(bus, ext.number, "created", user)
    return ExtensionOut.of(ext)


@router.patch("/{number}", response_model=ExtensionOut)
def update_extension(number: str, body: ExtensionPatch, ctx: CtxDep, bus: BusDep,
                     user: Admin) -> ExtensionOut:
    fields = body.model_dump(exclude_unset=True, exclude_none=True)
    if not fields:
        ext = ctx.store.get_extension(number)
        if ext is None:
            raise _not_found(number)
        return ExtensionOut.of(ext)
    ext = ctx.store.update_extension(number, realm=ctx.settings.sip.realm, **fields)
    _changed(bus, number, "updated", user)
    return ExtensionOut.of(ext)


@router.delete("/{number}", status_code=status.HTTP_204_NO_CONTENT)
def delete_extension(number: str, store: StoreDep, bus: BusDep, user: Admin) -> Response:
    if not store.delete_extension(number):
        raise _not_found(number)
    _changed(bus, number, "deleted", user)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
