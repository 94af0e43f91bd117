"""The users API's request and response bodies."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from kefu.values import ExtensionNumber

from .records import MAX_BINDINGS, MIN_USER_PASSWORD, User

Skills = dict[Annotated[str, Field(max_length=64)], Annotated[int, Field(ge=0, le=100)]]
"""Queue → skill level (0-100): what ``PUT /agents/{username}/skills`` takes, and what a new
agent may be created with."""

Extensions = Annotated[list[ExtensionNumber], Field(max_length=MAX_BINDINGS)]


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(pattern=r"^[A-Za-z0-9_.@-]{1,64}$")
    password: str = Field(min_length=MIN_USER_PASSWORD, max_length=1024)
    role: Literal["admin", "supervisor", "agent", "qa"]
    display_name: str = Field("", max_length=128)
    extensions: Extensions = Field(default_factory=list, description=(
        "agents: the extensions it may log in on (and open its browser line for); "
        "supervisors and admins use any, and their bound ones are their own (the "
        "wallboard's browser line stands for the first); qa: none"))
    skills: Skills | None = Field(None, max_length=200, description=(
        "agents: queue → skill level (0-100), as PUT /agents/{username}/skills"))


class UserPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    display_name: str | None = Field(None, max_length=128)
    password: str | None = Field(None, min_length=MIN_USER_PASSWORD, max_length=1024,
                                 description="a new password: the user is signed out "
                                             "everywhere (its tokens revoked)")


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    created_at: float
    extensions: list[str] = Field(description="the extensions an agent may use")

    @classmethod
    def of(cls, u: User, extensions: list[str]) -> UserOut:
        return cls(id=u.id, username=u.username, display_name=u.display_name, role=u.role,
                   created_at=u.created_at, extensions=extensions)


class ExtensionsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    extensions: Extensions = Field(description="all the extensions the agent may use "
                                               "(replaces the old list; [] for none)")


class ExtensionsOut(BaseModel):
    username: str
    extensions: list[str]
