"""Conference rooms (``*8<room>``): each is listed with its members, so a room has a
handle of its own beside the calls that joined it (a member's ``call_id`` is the handle
for hanging it up: ``DELETE /live-calls/{call_id}/parties/{number}``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from kefu.users.service import User

from ..deps import require_roles
from ..views import RoomOut
from .live import Control

router = APIRouter(prefix="/rooms", tags=["call control"])
Supervisor = Annotated[User, Depends(require_roles("admin", "supervisor"))]


@router.get("", response_model=list[RoomOut], summary="Conference rooms in use, with their members")
async def list_rooms(control: Control, _: Supervisor) -> list[dict[str, Any]]:
    return control.rooms()


@router.get("/{room}", response_model=RoomOut,
            summary="One conference room with its members (404: nobody in it)")
async def get_room(room: str, control: Control, _: Supervisor) -> dict[str, Any]:
    return control.room(room)
