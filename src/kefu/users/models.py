"""The users slice's tables, on the store's declarative base.

Only :mod:`kefu.users.repo` queries them.  ``user_extensions.number`` refers to the store's
``extensions`` table: deleting an extension drops its bindings.
"""

from __future__ import annotations

from sqlalchemy import Double, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kefu.store.models import Base, one_of

from .records import ROLES


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (
        one_of("role", ROLES),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[float] = mapped_column(Double)


class UserExtensionRow(Base):
    """An extension an agent may log in on (and open a browser line for).

    Deleting the user or the extension deletes the binding: neither may outlive the other.
    """

    __tablename__ = "user_extensions"

    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[str] = mapped_column(
        String(10), ForeignKey("extensions.number", ondelete="CASCADE"), primary_key=True,
        index=True)
    created_at: Mapped[float] = mapped_column(Double)


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[float] = mapped_column(Double)
    expires_at: Mapped[float] = mapped_column(Double)
