"""The users slice's public face: users, password checks, API tokens, extension bindings.

Every method is one transaction (all or nothing) and returns plain dataclasses; methods
are synchronous and thread-safe, asyncio callers run them in a worker thread.
"""

from __future__ import annotations

import logging
import time
from typing import Iterable, Sequence

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.exc import IntegrityError

from kefu.config import UsersSettings
from kefu.store.checks import MAX_USERNAME, check_display_name, check_names, check_number
from kefu.store.credentials import default_hasher, new_token, token_digest
from kefu.store.db import Database
from kefu.store.errors import Conflict, Invalid, NotFound
from kefu.values import EXTENSION_MAX

from . import repo
from .models import UserRow
from .records import MAX_BINDINGS, MIN_USER_PASSWORD, ROLES, User

__all__ = ["MAX_BINDINGS", "MAX_USERNAME", "MIN_USER_PASSWORD", "ROLES",
           "User", "Users"]

log = logging.getLogger(__name__)


BOUND_ROLES = ("agent", "supervisor", "admin")   # the roles that take part in calls


def _check_password(password: object) -> None:
    if not isinstance(password, str) or len(password) < MIN_USER_PASSWORD:
        raise Invalid(f"password must be at least {MIN_USER_PASSWORD} characters")


def _check_bindings(role: str, extensions: object) -> list[str]:
    """The extensions to bind, without duplicates.  An agent may use only its bound
    extensions; a supervisor or admin may use any, and its bound ones are its own (the
    wallboard's browser line stands for the first); a qa user takes no calls."""
    numbers = check_names("extensions", extensions, MAX_BINDINGS, EXTENSION_MAX)
    for number in numbers:
        check_number(number)
    if numbers and role not in BOUND_ROLES:
        raise Invalid(f"a {role} user takes no calls: only {', '.join(BOUND_ROLES)} users "
                      "are bound to extensions")
    return numbers


class Users:
    """Web users over the shared :class:`Database`.

    ``hasher`` exists for tests (cheap argon2 parameters); production uses the default.
    """

    def __init__(self, db: Database, settings: UsersSettings | None = None, *,
                 hasher: PasswordHasher | None = None) -> None:
        self._db = db
        self.settings = settings or UsersSettings()
        self._hasher = hasher or default_hasher()
        self._dummy_hash: str | None = None

    def create_user(self, username: str, password: str, role: str,
                    display_name: str = "", extensions: Sequence[str] = ()) -> User:
        """Add a web user, bound to ``extensions`` (not qa) in the same transaction;
        raises :class:`Conflict` when the username is taken, Invalid (and creates
        nothing) when an extension does not exist."""
        if not (isinstance(username, str) and 0 < len(username) <= MAX_USERNAME
                and username.strip() == username):
            raise Invalid(f"username must be 1-{MAX_USERNAME} characters without outer spaces")
        if role not in ROLES:
            raise Invalid(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        _check_password(password)
        check_display_name(display_name)
        numbers = _check_bindings(role, extensions)
        row = UserRow(username=username, display_name=display_name, role=role,
                      password_hash=self._hasher.hash(password), created_at=time.time())
        try:
            with self._db.tx() as s:
                s.add(row)
                s.flush()
                repo.bind(s, row.id, numbers)
                return repo.to_user(row)
        except IntegrityError:
            raise Conflict(f"user {username} already exists") from None

    def update_user(self, username: str, *, display_name: str | None = None,
                    password: str | None = None) -> User:
        """Rename ``username`` for display and/or give it a new password (what is None is
        kept).  A new password signs the user out everywhere: its tokens are revoked in
        the same transaction.  NotFound for an unknown user, Invalid (nothing changes)
        for a bad value."""
        if display_name is not None:
            check_display_name(display_name)
        if password is not None:
            _check_password(password)
        hashed = None if password is None else self._hasher.hash(password)
        with self._db.tx() as s:
            row = repo.row_named(s, username)
            if row is None:
                raise NotFound(f"user {username} does not exist")
            if display_name is not None:
                row.display_name = display_name
            if hashed is not None:
                row.password_hash = hashed
                repo.delete_tokens_of(s, row.id)
            return repo.to_user(row)

    def user_extensions(self, username: str) -> list[str]:
        """The extensions bound to ``username``, sorted; NotFound for an unknown user."""
        with self._db.tx(write=False) as s:
            user_id = repo.id_named(s, username)
            if user_id is None:
                raise NotFound(f"user {username} does not exist")
            return repo.bound_numbers(s, user_id)

    def set_user_extensions(self, username: str, extensions: Sequence[str]) -> list[str]:
        """Bind ``username`` (an agent, supervisor or admin) to exactly ``extensions``, replacing its bindings;
        returns them sorted.  NotFound for an unknown user, Invalid for another role or an
        extension that does not exist (nothing changes then)."""
        with self._db.tx() as s:
            row = repo.row_named(s, username)
            if row is None:
                raise NotFound(f"user {username} does not exist")
            numbers = _check_bindings(row.role, extensions)
            repo.unbind_all(s, row.id)
            repo.bind(s, row.id, numbers)
            return sorted(numbers)

    def extension_bindings(self) -> dict[str, list[str]]:
        """username → its extensions (sorted), for the users that have any."""
        with self._db.tx(write=False) as s:
            return repo.bindings(s)

    def list_users(self) -> list[User]:
        with self._db.tx(write=False) as s:
            return [repo.to_user(r) for r in repo.all_rows(s)]

    def get_user(self, user_id: int) -> User | None:
        with self._db.tx(write=False) as s:
            row = s.get(UserRow, user_id)
            return repo.to_user(row) if row else None

    def user_named(self, username: str) -> User | None:
        with self._db.tx(write=False) as s:
            row = repo.row_named(s, username)
            return repo.to_user(row) if row else None

    def missing_users(self, usernames: Iterable[str]) -> list[str]:
        """Those of ``usernames`` that are no user, sorted: a typo in a customer's owner or
        an announcement's audience would otherwise route to, or address, nobody without
        anyone noticing."""
        wanted = list(usernames)
        if not wanted:
            return []
        with self._db.tx(write=False) as s:
            return repo.missing(s, wanted)

    def authenticate(self, username: str, password: str) -> User | None:
        """The user when the password matches, else None; upgrades outdated hashes.

        The slow argon2 check runs outside any transaction, and an unknown username costs
        the same time as a wrong password, so timing does not reveal who exists.
        """
        with self._db.tx(write=False) as s:
            row = repo.row_named(s, username)
            user, stored = (repo.to_user(row), row.password_hash) if row else (None, None)
        if stored is None:
            if self._dummy_hash is None:
                self._dummy_hash = self._hasher.hash("kefu-no-such-user")
            stored = self._dummy_hash
        try:
            self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if user is None:
            return None
        if self._hasher.check_needs_rehash(stored):
            with self._db.tx() as s:
                row = s.get(UserRow, user.id)
                if row is not None and row.password_hash == stored:
                    row.password_hash = self._hasher.hash(password)
        return user

    def issue_token(self, user_id: int, ttl_s: float | None = None, *,
                    now: float | None = None) -> str:
        """A new bearer token for the user, valid ``ttl_s`` seconds (``users.token_ttl``
        unless given) from ``now``.

        Only its SHA-256 is stored.  Expired tokens of every user are purged on the way.
        """
        ttl_s = self.settings.token_ttl if ttl_s is None else ttl_s
        if ttl_s <= 0:
            raise Invalid("token lifetime must be positive")
        now = time.time() if now is None else now
        token = new_token()
        with self._db.tx() as s:
            if s.get(UserRow, user_id) is None:
                raise NotFound(f"user {user_id} does not exist")
            repo.purge_expired_tokens(s, now)
            repo.add_token(s, token_digest(token), user_id, now, ttl_s)
        return token

    def user_for_token(self, token: str, *, now: float | None = None) -> User | None:
        """The token's user, or None when unknown, revoked or expired."""
        now = time.time() if now is None else now
        with self._db.tx(write=False) as s:
            row = repo.row_for_token(s, token_digest(token), now)
            return repo.to_user(row) if row else None

    def revoke_token(self, token: str) -> bool:
        """True when the token existed (expired or not) and is now gone."""
        with self._db.tx() as s:
            return repo.delete_token(s, token_digest(token))
