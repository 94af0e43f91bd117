"""The users slice's queries: each takes the caller's session, so the service decides what
one transaction holds."""

from __future__ import annotations

import time
from typing import Iterable, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from kefu.store.errors import Invalid
from kefu.store.models import ExtensionRow

from .models import ApiTokenRow, UserExtensionRow, UserRow
from .records import User


def to_user(row: UserRow) -> User:
    return User(id=row.id, username=row.username, display_name=row.display_name,
                role=row.role, created_at=row.created_at)


def row_named(s: Session, username: str) -> UserRow | None:
    return s.scalar(select(UserRow).where(UserRow.username == username))


def id_named(s: Session, username: str) -> int | None:
    return s.scalar(select(UserRow.id).where(UserRow.username == username))


def all_rows(s: Session) -> list[UserRow]:
    return list(s.scalars(select(UserRow).order_by(UserRow.username)))


def missing(s: Session, usernames: Iterable[str]) -> list[str]:
    """Those of ``usernames`` that are no user, sorted."""
    wanted = set(usernames)
    if not wanted:
        return []
    found = set(s.scalars(select(UserRow.username).where(UserRow.username.in_(wanted))))
    return sorted(wanted - found)


def bound_numbers(s: Session, user_id: int) -> list[str]:
    return list(s.scalars(select(UserExtensionRow.number)
                          .where(UserExtensionRow.user_id == user_id)
                          .order_by(UserExtensionRow.number)))


def bindings(s: Session) -> dict[str, list[str]]:
    """username → its extensions (sorted), for the users that have any."""
    rows = s.execute(select(UserRow.username, UserExtensionRow.number)
                     .join(UserExtensionRow, UserExtensionRow.user_id == UserRow.id)
                     .order_by(UserRow.username, UserExtensionRow.number))
    out: dict[str, list[str]] = {}
    for username, number in rows:
        out.setdefault(username, []).append(number)
    return out


def unbind_all(s: Session, user_id: int) -> None:
    s.execute(delete(UserExtensionRow).where(UserExtensionRow.user_id == user_id))


def bind(s: Session, user_id: int, numbers: list[str]) -> None:
    """Insert the bindings; Invalid naming the numbers that are no extension."""
    if not numbers:
        return
    known = set(s.scalars(select(ExtensionRow.number)
                          .where(ExtensionRow.number.in_(numbers))))
    if missing := [n for n in numbers if n not in known]:
        raise Invalid(f"no extension {', '.join(missing)}")
    now = time.time()
    s.add_all([UserExtensionRow(user_id=user_id, number=n, created_at=now)
               for n in numbers])
    s.flush()


def purge_expired_tokens(s: Session, now: float) -> None:
    s.execute(delete(ApiTokenRow).where(ApiTokenRow.expires_at <= now))


def add_token(s: Session, digest: str, user_id: int, now: float, ttl_s: float) -> None:
    s.add(ApiTokenRow(token_sha256=digest, user_id=user_id, created_at=now,
                      expires_at=now + ttl_s))


def row_for_token(s: Session, digest: str, now: float) -> UserRow | None:
    return s.scalar(select(UserRow).join(ApiTokenRow, ApiTokenRow.user_id == UserRow.id)
                    .where(ApiTokenRow.token_sha256 == digest, ApiTokenRow.expires_at > now))


def delete_tokens_of(s: Session, user_id: int) -> None:
    s.execute(delete(ApiTokenRow).where(ApiTokenRow.user_id == user_id))


def delete_token(s: Session, digest: str) -> bool:
    # a DELETE's result is a CursorResult (which has rowcount); execute() is typed wider
    result = cast(CursorResult, s.execute(delete(ApiTokenRow)
                                          .where(ApiTokenRow.token_sha256 == digest)))
    return bool(result.rowcount)
