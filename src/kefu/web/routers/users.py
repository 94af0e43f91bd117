"""Web users, administered by admins; passwords are write-only."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, status
from pydantic import BaseModel, ConfigDict, Field

from kefu.store import User
from kefu.store.service import MIN_USER_PASSWORD

from ..deps import StoreDep, require_roles

router = APIRouter(prefix="/users", tags=["users"])

Admin = Annotated[User, Depends(require_roles("admin"))]


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(pattern=r"^[A-Za-z0-9_.@-]{1,64}$")
    password: str = Field(min_length=MIN_USER_PASSWORD, max_length=1024)
    role: Literal["admin", "supervisor", "agent", "qa"]
    display_name: str = Field("", max_length=128)


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    created_at: float

    @classmethod
    def of(cls, u: User) -> UserOut:
        return cls(id=u.id, username=u.username, display_name=u.display_name, role=u.role,
                   created_at=u.created_at)


@router.get("", response_model=list[UserOut])
def list_users(store: StoreDep, _user: Admin) -> list[UserOut]:
    return [UserOut.of(u) for u in store.list_users()]


@router.post("", response_model=UserOut, status_code=status.HTTP_201_CREATED)
def create_user(body: UserIn, store: StoreDep, _user: Admin) -> UserOut:
    return UserOut.of(store.create_user(body.username, body.password, body.role,
                                        body.display_name))
